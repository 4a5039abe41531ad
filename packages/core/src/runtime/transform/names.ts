/**
 * The whole protocol between transformed code and the loader: the names transformed code uses, and the
 * members of the module handle. A module's source becomes one script whose value is a generator function:
 *
 * ```js
 * 'use strict';(function* (__cs_m, __cs_b, __cs_i) { __cs_m.e({ x: () => x }); yield;
 * ...the module body, same lines as the original...
 * })
 * ```
 *
 * The first `next()` instantiates (function declarations are hoisted, export getters registered), the
 * second evaluates (a promise when the module has top-level await: `async function*`).
 *
 * The injected names share the module's scope with the user's code, so they are chosen per source: a source
 * that mentions none of them gets `__cs_m`, `__cs_b`, …; one that does (`var __cs_b = …` must not shadow the
 * bindings, as Endo's compartments also guard) gets another prefix of the same length that it does not
 * contain anywhere (lengths matter: `__cs_i` stands where `import` stood, so columns do not move).
 */
import { CodesaveError } from '../../errors.js';

/** The names injected into one transformed source. */
export interface ProtocolNames {
  /** Parameter: the module's runtime handle ({@link ModuleHandle}). */
  readonly module: string;
  /** Parameter: the module's import bindings, one live getter per local import name. */
  readonly bindings: string;
  /**
   * Parameter: `import(specifier, options?)` for the module (ESM, and CommonJS that calls `import()`: a vm
   * script cannot use Node's own `import()` without `--experimental-vm-modules`). As long as `import`.
   */
  readonly dynamicImport: string;
  /** Local name of an anonymous `export default` value. */
  readonly defaultLocal: string;
}

const DEFAULT_PREFIX = '__cs_';
const PREFIX_CHARS = 'csabdefghijklmnopqrtuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$';

function namesWith(prefix: string): ProtocolNames {
  return Object.freeze({
    module: `${prefix}m`,
    bindings: `${prefix}b`,
    dynamicImport: `${prefix}i`,
    defaultLocal: `${prefix}default`,
  });
}

/** The names of a source that mentions no injected name (most sources). */
export const DEFAULT_NAMES: ProtocolNames = namesWith(DEFAULT_PREFIX);
const byPrefix = new Map<string, ProtocolNames>([[DEFAULT_PREFIX, DEFAULT_NAMES]]);

/**
 * Injected names `source` does not contain, so no declaration or reference of the user's can meet them.
 * Throws `ERR_RESERVED_NAME` for a source that contains every candidate prefix (thousands of them).
 */
export function protocolNames(source: string): ProtocolNames {
  if (!source.includes(DEFAULT_PREFIX)) return DEFAULT_NAMES;
  for (const a of PREFIX_CHARS)
    for (const b of PREFIX_CHARS) {
      const prefix = `__${a}${b}_`;
      if (source.includes(prefix)) continue;
      let names = byPrefix.get(prefix);
      if (!names) byPrefix.set(prefix, (names = namesWith(prefix)));
      return names;
    }
  throw new CodesaveError(
    'ERR_RESERVED_NAME',
    'A module uses every name codesave could inject into it (`__xy_` for all pairs xy); rename its identifiers.',
  );
}

/** The binding-object names of every prefix chosen so far (for cleaning V8 messages that quote them). */
export function bindingNamesInUse(): string[] {
  return [...byPrefix.values()].map((names) => names.bindings);
}

/** Members of the module handle, as the transformed code calls them (one letter each: the code stays short). */
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
  /** `wasm(imports)`: a `.wasm` module's generated source instantiates it with its import namespaces. */
  wasm: 'wasm',
} as const;

/** What a transformed module receives as its {@link ProtocolNames.module} parameter, keyed by {@link M}. */
export interface ModuleHandle {
  [M.exports](getters: Record<string, () => unknown>): void;
  [M.nameDefault](fn: Function): void;
  [M.unbound](name: string): never;
  [M.evalSource](code: unknown): unknown;
  [M.wasm]?(imports: Record<string, object>): unknown[];
  [M.meta]: object;
}
