/**
 * Precompiled forms: the transformed form of a snapshot's ES modules and TypeScript files, stored in the zip by
 * `checkpoint` (like `.pyc` files in a zip), so a machine with an empty transform cache loads about as fast as a
 * warm one.
 *
 * Layout (every entry listed and hashed in `codesave.json` `files`, like any other file):
 * - `.codesave/precompiled/v<version>/<key>.esm` — the {@link EsmTransform} the loader would make of the source
 *   (an ES module, or ESM-kind TypeScript/JSX): one line of JSON `{ version, sha256, target, transform }` (the
 *   source's sha256, and the transform without its `code`), a newline, then the code as is (not JSON-escaped: smaller, and parsed without a scan of the code).
 * - `.codesave/precompiled/v<version>/<key>.cjs` — CommonJS-kind TypeScript/JSX as plain CommonJS (what `require`
 *   runs): `{ version, sha256, target }`, a newline, the code.
 * - `.codesave/precompiled/v<version>/<key>.map` — for TypeScript/JSX, the source map of that output (read only
 *   for a stack trace). JavaScript ES modules get none: their transform keeps lines and a map of every column
 *   weighed 3× the form (46 MB for date-fns's bundles); the loader recomputes one from the source when a stack
 *   trace shows a frame of such a file.
 *
 * `<key>` is {@link precompiledKey}: sha256 over the transform version, the kind (`esm`/`cjs`), the input class
 * (`js`, `ts`, `tsx` — `.tsx` and `.jsx` —, and `cts` for CommonJS), the transpile options and the source's own
 * sha256 — everything the output is a function of. What it is not a function of: the path (the output never names
 * the file: `jsx: react-jsxdev`, which does, is never precompiled), `baseUrl`/`paths` (resolution only), Node
 * feature flags (they change only the errors of sources that fail to transform, which are never stored). The one
 * remaining input, esbuild's target (the running Node, as tsx), matters only for the TypeScript files esbuild
 * compiles: their entry records it (`target`), and a loader on another Node transforms them itself. Forms are
 * content-addressed: identical sources share one.
 */
import { createHash } from 'node:crypto';
import type { EsmTransform } from './esm.js';
import { protocolNames } from './names.js';
import type { TsCompilerOptions } from './typescript.js';

/** Where forms live in a snapshot (the manifest's `precompiled` field says they are there). */
export const PRECOMPILED_DIR = '.codesave/precompiled';

/** Which loader path a form is for. */
export type PrecompiledKind = 'esm' | 'cjs';
/** What the source was: JavaScript, TypeScript, TypeScript/JavaScript with JSX, or a `.cts` file (CommonJS only). */
export type PrecompiledInput = 'js' | 'ts' | 'tsx' | 'cts';

/** Options that only change resolution, not the transpiled text: left out of the key, so a form fits any root. */
const RESOLUTION_ONLY = new Set(['baseUrl', 'paths']);

/** The transpile options as the key spells them: sorted, resolution-only ones left out; `''` for JavaScript. */
export function transpileOptionsKey(input: PrecompiledInput, ts: TsCompilerOptions | undefined): string {
  if (input === 'js' || !ts) return '';
  const kept = Object.keys(ts)
    .filter((k) => !RESOLUTION_ONLY.has(k) && (ts as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => [k, (ts as Record<string, unknown>)[k]]);
  return JSON.stringify(kept);
}

/** The key of a form (40 hex digits): see the module comment. */
export function precompiledKey(
  version: string,
  kind: PrecompiledKind,
  input: PrecompiledInput,
  options: string,
  sourceSha256: string,
): string {
  return createHash('sha256')
    .update(`codesave-precompiled\0${version}\0${kind}\0${input}\0${options}\0${sourceSha256}\0`)
    .digest('hex')
    .slice(0, 40);
}

/** The folder of one transform version's forms. */
export const precompiledDir = (version: string) => `${PRECOMPILED_DIR}/v${version}`;
/** Entry name of a form of `kind`. */
export const formName = (version: string, kind: PrecompiledKind, key: string) =>
  `${precompiledDir(version)}/${key}.${kind}`;

/** A form's bytes: its JSON header (one line), a newline, its code. */
export function encodeForm(header: object, code: string): Buffer {
  return Buffer.from(`${JSON.stringify(header)}\n${code}`);
}
/** Entry name of a form's source map. */
export const mapName = (version: string, key: string) => `${precompiledDir(version)}/${key}.map`;

/** The bytes of a snapshot's entries, verified as any entry is (`undefined`: no such entry). */
export type PrecompiledReader = (name: string) => Uint8Array | undefined;

/**
 * Largest form read for a source of `n` UTF-16 units: its transformed text is about the source plus a prologue,
 * and JSON escapes at most six characters per unit. Anything larger is not what `checkpoint` writes: ignored.
 */
const sizeBound = (n: number) => 6 * n + 256 * 1024;

/** What a loader needs to look a form up: the version it transforms with and esbuild's target. */
export interface PrecompiledLookup {
  version: string;
  target: string;
}

/**
 * The precompiled forms of one snapshot, for its transformer. Every lookup returns `undefined` unless the form is
 * there, well formed, for this transform version and target, and not larger than its source can produce:
 * then the loader transforms the source itself, as it would without forms. Reading a tampered entry throws
 * whatever the reader throws (`ERR_ZIP_HASH_MISMATCH`).
 */
export class PrecompiledForms {
  /** Counters for tests and benchmarks: forms used, and forms present but refused as malformed. */
  readonly stats = { hits: 0, maps: 0, malformed: 0 };

  constructor(
    readonly read: PrecompiledReader,
    readonly lookup: PrecompiledLookup,
    /** Entry sizes by name, to refuse an oversize entry before reading it. */
    readonly sizeOf: (name: string) => number | undefined,
  ) {}

  #bytes(name: string, sourceLength: number): Buffer | undefined {
    const size = this.sizeOf(name);
    if (size === undefined) return undefined;
    if (size > sizeBound(sourceLength)) {
      this.stats.malformed++;
      return undefined;
    }
    const bytes = this.read(name);
    return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : undefined;
  }

  /** A form's header and code (`undefined`: absent, or not a form). */
  #form(
    name: string,
    sha256: string,
    sourceLength: number,
  ): { header: Record<string, unknown>; code: string } | undefined {
    const bytes = this.#bytes(name, sourceLength);
    if (!bytes) return undefined;
    const newline = bytes.indexOf(10);
    if (newline > 0) {
      try {
        const header = JSON.parse(bytes.toString('utf8', 0, newline)) as unknown;
        // A form names the source it was made from: one stored under another source's key is not used.
        if (isObject(header) && header.sha256 === sha256 && header.version === this.lookup.version)
          return { header, code: bytes.toString('utf8', newline + 1) };
      } catch {}
    }
    this.stats.malformed++;
    return undefined;
  }

  /** Whether a form made with `target` (null: esbuild did not run) is what this loader would make. */
  #fits(target: unknown): boolean {
    return target === null || target === this.lookup.target;
  }

  /** The {@link EsmTransform} of `source` (sha256 `sha256`), when the snapshot has it. */
  esm(input: PrecompiledInput, ts: TsCompilerOptions | undefined, sha256: string, source: string) {
    const key = precompiledKey(this.lookup.version, 'esm', input, transpileOptionsKey(input, ts), sha256);
    const form = this.#form(formName(this.lookup.version, 'esm', key), sha256, source.length);
    if (!form || !this.#fits(form.header.target)) return undefined;
    const value = isObject(form.header.transform) ? { ...form.header.transform, code: form.code } : undefined;
    if (!isEsmTransform(value, input, source)) {
      this.stats.malformed++;
      return undefined;
    }
    this.stats.hits++;
    return value;
  }

  /** CommonJS-kind TypeScript/JSX as CommonJS, when the snapshot has it. */
  cjs(input: PrecompiledInput, ts: TsCompilerOptions, sha256: string, source: string): string | undefined {
    const key = precompiledKey(this.lookup.version, 'cjs', input, transpileOptionsKey(input, ts), sha256);
    const form = this.#form(formName(this.lookup.version, 'cjs', key), sha256, source.length);
    if (!form || !this.#fits(form.header.target)) return undefined;
    this.stats.hits++;
    return form.code;
  }

  /** The stored source map of a form, when there is one (its form must be there and fit too). */
  map(
    kind: PrecompiledKind,
    input: PrecompiledInput,
    ts: TsCompilerOptions | undefined,
    sha256: string,
    source: string,
  ) {
    const key = precompiledKey(this.lookup.version, kind, input, transpileOptionsKey(input, ts), sha256);
    const form = this.#form(formName(this.lookup.version, kind, key), sha256, source.length);
    if (!form || !this.#fits(form.header.target)) return undefined;
    // A map is about as long as the output is: bounded as a form, with room for its mappings.
    const bytes = this.#bytes(mapName(this.lookup.version, key), 4 * source.length);
    if (bytes) this.stats.maps++;
    return bytes?.toString('utf8');
  }
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const arrayOf = (v: unknown, item: (x: Record<string, unknown>) => boolean) =>
  Array.isArray(v) && v.every((x) => isObject(x) && item(x));

/**
 * A stored transform has the shape the loader reads, and injected names of the protocol's shape — for JavaScript
 * exactly those this very source gets (a function of the source: a form with others was not made from it).
 */
function isEsmTransform(v: unknown, input: PrecompiledInput, source: string): v is EsmTransform {
  if (!isObject(v) || !isString(v.code) || typeof v.async !== 'boolean') return false;
  const request = (x: Record<string, unknown>) => Number.isInteger(x.request);
  if (!arrayOf(v.requests, (x) => isString(x.specifier) && isObject(x.attributes))) return false;
  if (!arrayOf(v.imports, (x) => isString(x.local) && isString(x.imported) && request(x))) return false;
  if (!arrayOf(v.localExports, (x) => isString(x.name) && isString(x.local))) return false;
  if (!arrayOf(v.indirectExports, (x) => isString(x.name) && isString(x.imported) && request(x))) return false;
  if (!Array.isArray(v.starExports) || !v.starExports.every((x) => Number.isInteger(x))) return false;
  const count = (v.requests as unknown[]).length;
  const inRange = (i: unknown) => (i as number) >= 0 && (i as number) < count;
  if (!(v.imports as { request: number }[]).every((x) => inRange(x.request))) return false;
  if (!(v.indirectExports as { request: number }[]).every((x) => inRange(x.request))) return false;
  if (!(v.starExports as number[]).every(inRange)) return false;
  if (v.assertAt !== undefined && !isObject(v.assertAt)) return false;
  const stored = v.names;
  if (!isObject(stored)) return false;
  if (input === 'js') {
    // For JavaScript they are the source's own (for TypeScript, those of the transpiled text).
    let names: ReturnType<typeof protocolNames>;
    try {
      names = protocolNames(source);
    } catch {
      return false;
    }
    for (const k of Object.keys(names) as (keyof typeof names)[]) if (stored[k] !== names[k]) return false;
    (v as { names: unknown }).names = names;
    return true;
  }
  const prefix = isString(stored.module) ? stored.module.slice(0, -1) : '';
  if (!/^__[\w$]{2}_$/.test(prefix)) return false;
  const expected = {
    module: `${prefix}m`,
    bindings: `${prefix}b`,
    dynamicImport: `${prefix}i`,
    defaultLocal: `${prefix}default`,
  };
  for (const [k, name] of Object.entries(expected)) if (stored[k] !== name) return false;
  (v as { names: unknown }).names = Object.freeze(expected);
  return true;
}
