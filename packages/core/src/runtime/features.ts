/**
 * Feature detection of the running Node, in one place. Everything in `runtime/` that behaves differently
 * between Node versions asks this module, never `process.version` directly.
 */
import { builtinModules, createRequire, isBuiltin } from 'node:module';

const features = process.features as typeof process.features & { require_module?: boolean; typescript?: string };
const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];

/** Facts about the running Node that change module semantics. */
export const nodeFeatures = Object.freeze({
  major,
  minor,
  /** `require()` of an ES module loads it (Node 20.19+, 22.12+) instead of throwing `ERR_REQUIRE_ESM`. */
  requireModule: features.require_module === true,
  /**
   * The `module-sync` export condition is active for both `require` and `import` (it ships together with
   * require(esm): Node 20.19+, 22.10+).
   */
  moduleSyncCondition: features.require_module === true,
  /** A `.js` file without `"type"` that only parses as ESM is loaded as ESM (Node 20.19+, 22.7+). */
  detectModule: (major === 20 && minor >= 19) || (major === 22 && minor >= 7) || major >= 23,
  /** CJS namespaces (import() of CommonJS) carry a `'module.exports'` export (Node 23+, 22.12+? measured: 24 yes). */
  moduleExportsExport: major >= 23,
  /**
   * `err.path` of a `MODULE_NOT_FOUND` for an `exports` target that is missing: the package folder (measured on
   * 24) instead of its package.json (measured on 20). `imports` targets give the package.json on both.
   */
  exportsNotFoundPathIsDir: major >= 22,
  /**
   * Extensions `require` tries, in order. Node's own defaults: measured `.js .json .node` on 20 and 24
   * (the host's `Module._extensions` can't be read instead: a loader such as tsx adds to it).
   */
  cjsExtensions: ['.js', '.json', '.node'] as readonly string[],
  /** Conditions `require` matches in `exports`/`imports`, in Node's order (user `--conditions` excluded). */
  requireConditions: ['require', 'node', 'node-addons', ...(features.require_module ? ['module-sync'] : [])],
  importConditions: ['import', 'node', 'node-addons', ...(features.require_module ? ['module-sync'] : [])],
});

/** `true` for a name `require()` accepts as a builtin (`fs`, `node:fs`, `node:test`; not `test`). */
export function isBuiltinRequest(request: string): boolean {
  return isBuiltin(request);
}

/** Builtin names without the `node:` scheme, as `require('module').builtinModules` lists them. */
export const hostBuiltinModules: readonly string[] = builtinModules;

const hostRequire = createRequire('/codesave-host-builtins.js');

/** The host's instance of a builtin module (shared by every codebase: builtins are the host's). */
export function loadHostBuiltin(id: string): unknown {
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  return getBuiltin ? getBuiltin(id) : hostRequire(id);
}
