/**
 * The whole protocol between transformed ES modules and the ESM loader: the names that transformed code
 * uses. A module's source becomes one script whose value is a generator function:
 *
 * ```js
 * 'use strict';(function* (__cs_m, __cs_b, __cs_i) { __cs_m.e({ x: () => x }); yield;
 * ...the module body, same lines as the original...
 * })
 * ```
 *
 * The first `next()` instantiates (function declarations are hoisted, export getters registered), the
 * second evaluates (a promise when the module has top-level await: `async function*`).
 */

/** Parameter: the module's runtime handle ({@link ModuleHandle}). */
export const MODULE = '__cs_m';
/** Parameter: the module's import bindings, one live getter per local import name. */
export const BINDINGS = '__cs_b';
/**
 * Parameter: `import(specifier, options?)` for the module (ESM, and CommonJS that calls `import()`: a vm
 * script cannot use Node's own `import()` without `--experimental-vm-modules`). As long as `import`, so
 * columns in stack traces do not move.
 */
export const DYNAMIC_IMPORT = '__cs_i';
/** Local name of an anonymous `export default` value. */
export const DEFAULT_LOCAL = '__cs_default';

/** Members of {@link MODULE}. */
export const M = {
  /** `e(getters)`: registers `{ exportName: () => localValue }`. */
  exports: 'e',
  /** `n(fn)`: names a hoisted anonymous default function `default`. */
  nameDefault: 'n',
  /** `import.meta` */
  meta: 'meta',
  /** `u(name)`: throws the ReferenceError of a name a module does not bind (`arguments` at module level). */
  unbound: 'u',
  /** `v(code)`: the code given to a direct `eval`, its imports rewritten as the module's. */
  evalSource: 'v',
} as const;

/** What a transformed module receives as {@link MODULE}. */
export interface ModuleHandle {
  e(getters: Record<string, () => unknown>): void;
  n(fn: Function): void;
  u(name: string): never;
  v(code: unknown): unknown;
  /** A `.wasm` module's generated source: instantiate with the import namespaces, get the export values. */
  wasm?(imports: Record<string, object>): unknown[];
  meta: object;
}
