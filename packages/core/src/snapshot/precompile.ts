/**
 * The save side of precompiled forms (runtime/transform/precompiled.ts has the layout and the key): which files
 * of a snapshot the loader will transform, and how — by the same rules it applies at load time (the module format
 * by extension and package `"type"`, Node's syntax detection for a typeless `.js`, the root tsconfig.json's
 * compiler options for TypeScript) — and their forms. A guess that differs from what a loader later decides (a
 * tsconfig or package.json above the zip, a Node without syntax detection) costs only the unused entry: the key
 * carries every input, so such a form is never looked up.
 *
 * The transform is the runtime's own (loaded only when a snapshot is precompiled): one implementation makes the
 * forms and reads them, so a form is exactly what the loader would make.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PRECOMPILED_DIR } from '../runtime/transform/precompiled.js';
import type { TsCompilerOptions } from '../runtime/transform/typescript.js';
import { readTsconfig } from '../tsconfig.js';
import { readRegularTextSync } from './read-regular.js';
import type { ZipItem } from './zip.js';

/** Extensions whose files the loader may transform (`.d.ts` files are never loaded). */
const CANDIDATE = /\.(?:[cm]?js|[cm]?ts|[jt]sx)$/;
const DECLARATION = /\.d\.[cm]?ts$/;
/** Sources larger than this are left to the loader (a form is about as large; the zip would double them). */
const MAX_SOURCE = 8 * 1024 * 1024;
/** A virtual root to evaluate tsconfig globs against (only paths relative to it matter). */
const ROOT = '/codesave-precompile';

/** The forms made for a snapshot. */
export interface Precompiled {
  items: ZipItem[];
  /** How many forms (maps not counted) and their total size, maps included. */
  forms: number;
  bytes: number;
  /** The transform version they were made with. */
  transformVersion: string;
}

export { PRECOMPILED_DIR };

/** The forms of `items` (files about to be stored), as new zip items under `.codesave/precompiled/`. */
export async function precompile(items: readonly ZipItem[]): Promise<Precompiled> {
  const [{ precompileSource, TRANSFORM_VERSION }, { moduleFormat }, { containsModuleSyntax }, { transformEsm }] =
    await Promise.all([
      import('../runtime/transform/index.js'),
      import('../runtime/module-format.js'),
      import('../runtime/module-syntax.js'),
      import('../runtime/transform/esm.js'),
    ]);
  const byPath = new Map(items.filter((i) => i.link === undefined).map((i) => [i.zipPath, i]));
  const texts = new Map<string, string | undefined>();
  const textOf = async (zipPath: string): Promise<string | undefined> => {
    if (texts.has(zipPath)) return texts.get(zipPath);
    const item = byPath.get(zipPath);
    let text: string | undefined;
    if (item) text = (await bytesOf(item))?.toString('utf8');
    texts.set(zipPath, text);
    return text;
  };

  // The package scopes ("type") of the snapshot's package.json files, read up front (the loader's rule: the
  // nearest one, not crossing a node_modules folder).
  const types = new Map<string, string>();
  for (const [zipPath] of byPath) {
    if (zipPath !== 'package.json' && !zipPath.endsWith('/package.json')) continue;
    try {
      const json = JSON.parse((await textOf(zipPath)) ?? 'null') as { type?: unknown } | null;
      types.set(path.posix.dirname(zipPath), json?.type === 'module' || json?.type === 'commonjs' ? json.type : 'none');
    } catch {
      types.set(path.posix.dirname(zipPath), 'none');
    }
  }
  const packageType = (zipPath: string): string => {
    for (let dir = path.posix.dirname(zipPath); ; dir = path.posix.dirname(dir)) {
      const type = types.get(dir);
      if (type !== undefined) return type;
      if (dir === '.' || dir === '/' || dir.endsWith('/node_modules') || dir === 'node_modules') return 'none';
    }
  };

  // The compiler options: the root tsconfig.json's, where it selects the file (the loader's `tsOptions`).
  const tsconfig = readOptional(() =>
    readTsconfig(path.posix.join(ROOT, 'tsconfig.json'), {
      readText: (file) => {
        const item = file.startsWith(`${ROOT}/`) ? byPath.get(file.slice(ROOT.length + 1)) : undefined;
        if (!item) return undefined;
        if (item.buffer) return item.buffer.toString('utf8');
        return item.absPath === undefined ? undefined : readRegularTextSync(item.absPath, false);
      },
      isFile: (file) => file.startsWith(`${ROOT}/`) && byPath.has(file.slice(ROOT.length + 1)),
    }),
  );
  const tsOptions = (zipPath: string): TsCompilerOptions =>
    tsconfig?.matches(path.posix.join(ROOT, zipPath)) ? tsconfig.options : {};

  const out = new Map<string, Buffer>();
  let forms = 0;
  for (const [zipPath, item] of byPath) {
    if (!CANDIDATE.test(zipPath) || DECLARATION.test(zipPath) || item.size > MAX_SOURCE) continue;
    const ext = path.posix.extname(zipPath);
    let format = moduleFormat(zipPath, packageType);
    const isTs = ext !== '.js' && ext !== '.mjs' && ext !== '.cjs';
    if (ext === '.cjs') continue;
    const bytes = await bytesOf(item);
    if (!bytes) continue;
    const source = bytes.toString('utf8');
    // Node's syntax detection: a typeless `.js` that only parses as an ES module is one.
    if (format === 'commonjs' && ext === '.js') {
      if (packageType(zipPath) !== 'none') continue;
      const parses = (text: string) => transformEsm(text, zipPath);
      if (!containsModuleSyntax(source, parses)) continue;
      format = 'module';
    }
    const kind = format === 'module' ? 'esm' : 'cjs';
    const made = precompileSource({
      path: path.posix.join(ROOT, zipPath),
      source,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      kind,
      ...(isTs ? { ts: tsOptions(zipPath) } : {}),
    });
    if (!made) continue;
    for (const entry of made) {
      if (!entry.name.endsWith('.map') && !out.has(entry.name)) forms++;
      out.set(entry.name, entry.bytes);
    }
  }
  const formItems: ZipItem[] = [...out].map(([zipPath, buffer]) => ({
    zipPath,
    buffer,
    size: buffer.length,
    executable: false,
  }));
  return {
    items: formItems,
    forms,
    bytes: formItems.reduce((sum, i) => sum + i.size, 0),
    transformVersion: TRANSFORM_VERSION,
  };
}

/**
 * A tsconfig the save side cannot read gives TypeScript no options here: forms made with them only go unused if
 * the loader reads it otherwise (the key carries the options); the save itself never fails for an optimisation.
 */
function readOptional<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

async function bytesOf(item: ZipItem): Promise<Buffer | undefined> {
  if (item.buffer) return item.buffer;
  if (!item.absPath) return undefined;
  try {
    return await readFile(item.absPath);
  } catch {
    // Unreadable now: the zip writer reports it (or stores what it reads); this file just gets no form.
    return undefined;
  }
}
