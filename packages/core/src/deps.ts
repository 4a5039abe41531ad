/**
 * The heavy dependencies, each loaded the first time it is needed, synchronously (a transform can run under
 * `require(esm)`, a memfs volume is built inside a sync `fs` call). Importing codesave loads none of them: zod
 * alone is ~170 ms of CPU, and a CommonJS app from a zip needs no transformer at all. Types come from
 * `import type`, which costs nothing at run time. docs/decisions.md, "Start-up: lazy dependencies and a bundled dist".
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type remappingFunction from '@jridgewell/remapping';
import type * as TraceMapping from '@jridgewell/trace-mapping';
import type * as Acorn from 'acorn';
import type * as AcornWalk from 'acorn-walk';
import type * as CjsLexer from 'cjs-module-lexer';
import type * as Esbuild from 'esbuild';
import type ignoreFunction from 'ignore';
import type MagicStringClass from 'magic-string';
import type * as Memfs from 'memfs';
import type * as Sucrase from 'sucrase';
import type * as Zod from 'zod';

/**
 * Set by the dist build to the CommonJS copy of magic-string it writes (`vendor/…` under dist/): the package
 * is ES-module only, and CommonJS hosts without `require(esm)` (Node < 20.19 / 22.12, jest) cannot require it.
 */
declare const __CODESAVE_MAGIC_STRING__: string | undefined;

const load = createRequire(import.meta.url);
const cache = new Map<string, unknown>();

/** `require(id)` once; later calls return the same module. */
function once<T>(id: string): T {
  let mod = cache.get(id);
  if (mod === undefined) {
    mod = load(id);
    cache.set(id, mod);
  }
  return mod as T;
}

/** The schema library (full manifest and report schemas; the loader's hot path checks by hand). */
export const zod = (): typeof Zod => once('zod');
/** In-memory file systems: one volume per mounted codebase, built on first use. */
export const memfs = (): typeof Memfs => once('memfs');
/** TypeScript type stripping that keeps lines in place. */
export const sucrase = (): typeof Sucrase => once('sucrase');
/** TypeScript features sucrase cannot do (namespaces, decorators), and JSON modules for the CommonJS path. */
export const esbuild = (): typeof Esbuild => once('esbuild');
/** The JavaScript parser the ES-module transform falls back to. */
export const acorn = (): typeof Acorn => once('acorn');
/** Walks acorn's trees (the CommonJS `import()` rewrite). */
export const acornWalk = (): typeof AcornWalk => once('acorn-walk');
/** The `.gitignore` matcher of the save side. */
export const ignore = (): typeof ignoreFunction => once('ignore');
/** CommonJS export names, for `import` of a CommonJS module. */
export const cjsLexer = (): typeof CjsLexer => once('cjs-module-lexer');
/** Source maps: reading them (stack traces) … */
export const traceMapping = (): typeof TraceMapping => once('@jridgewell/trace-mapping');
/** … and chaining two of them (TypeScript then ES-module transform). */
export const remapping = (): typeof remappingFunction => once('@jridgewell/remapping');

/** String edits with a source map (ES-module only: the dist carries a CommonJS copy; see above). */
export function magicString(): typeof MagicStringClass {
  const id = typeof __CODESAVE_MAGIC_STRING__ === 'string' ? vendored(__CODESAVE_MAGIC_STRING__) : 'magic-string';
  const mod = once<{ default: typeof MagicStringClass }>(id);
  return mod.default;
}

/** `relative` (`vendor/…`) under the nearest directory above this file that has it: dist/ from dist/chunks/ too. */
function vendored(relative: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, relative))) return join(dir, relative);
    if (dirname(dir) === dir) return relative; // not there: require() says what is missing
  }
}

/**
 * A zod schema built on first use: the value stands in for the schema `build` returns (every property and method
 * call goes to it), so exported schemas cost nothing until something parses with them.
 */
export function lazySchema<T extends object>(build: (z: typeof Zod.z) => T): T {
  let real: T | undefined;
  const get = (): T => (real ??= build(zod().z));
  return new Proxy({} as T, {
    get(_, key) {
      const target = get();
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    has: (_, key) => Reflect.has(get(), key),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor(_, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(get(), key);
      if (descriptor) descriptor.configurable = true; // the stand-in target is an empty extensible object
      return descriptor;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(get()),
  });
}
