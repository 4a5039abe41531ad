/**
 * The differential harness: a fixture project is copied to a temporary folder, run natively by Node
 * (`node main.js`, printing a JSON report), zipped with `checkpoint`, run from the zip through ZipCodebase,
 * and both reports are compared after the root path is replaced by `<root>` in each.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CodebaseOptions, checkpoint, ZipCodebase } from '../../packages/core/src/index.ts';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');
export const repoNodeModules = path.join(repoRoot, 'node_modules');

export interface Prepared {
  /** The fixture's folder, run natively. */
  dir: string;
  /** The zip of it, next to it (so the folders above both are the same). */
  zip: string;
}

let base: string | undefined;
function tmpBase(): string {
  base ??= fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-conformance-'));
  return base;
}

export function cleanup(): void {
  if (base) fs.rmSync(base, { recursive: true, force: true });
  base = undefined;
}

export interface PrepareOptions {
  /** Name of the copy (default: the fixture's). */
  as?: string;
  /** Copy these packages from the repo's node_modules into the fixture's (dereferenced, flat). */
  packages?: string[];
  /** Edit files of the copy before it is run and zipped. */
  edit?: (dir: string) => void;
  /** Keep the copied packages out of the zip (`includeDependencies: false`). */
  zipDependencies?: boolean;
}

export async function prepare(fixture: string, options: PrepareOptions = {}): Promise<Prepared> {
  const parent = fs.mkdtempSync(path.join(tmpBase(), `${fixture}-`));
  const dir = path.join(parent, options.as ?? fixture);
  fs.cpSync(path.join(here, 'fixtures', fixture), dir, { recursive: true });
  fs.copyFileSync(path.join(here, 'fixtures', '_report.cjs'), path.join(dir, '_report.js'));
  // Files the linter can't parse (broken JSON on purpose) are stored as `<name>.in`.
  for (const entry of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (entry.endsWith('.in')) fs.renameSync(path.join(dir, entry), path.join(dir, entry.slice(0, -3)));
  }
  for (const name of options.packages ?? []) {
    fs.cpSync(packageDir(name), path.join(dir, 'node_modules', name), {
      recursive: true,
      dereference: true,
    });
  }
  options.edit?.(dir);
  const zip = `${dir}.zip`;
  await checkpoint(dir, { output: zip, includeDependencies: options.zipDependencies !== false });
  return { dir, zip };
}

/** Where the repo's install keeps `name` (pnpm: top level, or next to a package that depends on it). */
function packageDir(name: string): string {
  const top = path.join(repoNodeModules, name);
  if (fs.existsSync(top)) return top;
  for (const entry of fs.readdirSync(repoNodeModules)) {
    const sibling = path.join(fs.realpathSync(path.join(repoNodeModules, entry)), '..', name);
    if (!entry.startsWith('.') && fs.existsSync(path.join(sibling, 'package.json'))) return sibling;
  }
  throw new Error(`${name} is not installed in ${repoNodeModules}`);
}

/** Node's own run: `node <entry>` in the fixture's folder; the report it prints. */
export function runNative(dir: string, entry = 'main.js', env: Record<string, string> = {}): unknown {
  const out = execFileSync(process.execPath, [entry], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', CODESAVE_CONFORMANCE_PRINT: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return normalise(out, dir);
}

/** The same entry run from the zip as the main module of a ZipCodebase (opened by the caller). */
export function runInCodebase(codebase: ZipCodebase, entry = 'main.js'): unknown {
  const module = codebase.runMain(`./${entry}`);
  return normalise(JSON.stringify(module.exports), codebase.root);
}

export async function runZip(zip: string, entry = 'main.js', options: CodebaseOptions = {}): Promise<unknown> {
  const codebase = await ZipCodebase.open(zip, options);
  try {
    return runInCodebase(codebase, entry);
  } finally {
    await codebase.dispose();
  }
}

export function normalise(json: string, root: string): unknown {
  return JSON.parse(json.replaceAll(root, '<root>'));
}
