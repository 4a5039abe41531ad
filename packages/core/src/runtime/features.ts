/**
 * Feature detection of the running Node, in one place. Everything in `runtime/` that behaves differently
 * between Node versions asks this module, never `process.version` directly.
 */
import { builtinModules, createRequire, isBuiltin } from 'node:module';

const features = process.features as typeof process.features & { require_module?: boolean; typescript?: string };
/** The running Node's version without the `v` (`22.23.3`). */
export const hostNodeVersion: string = process.versions.node;
const [major, minor] = hostNodeVersion.split('.').map(Number) as [number, number];

/**
 * Whether the running Node is at least one of the releases listed (`[22, 18]` = 22.18+ on the 22 line; the
 * last entry holds for every later line too). Used only below, where no behaviour can be probed directly
 * (an error text, a module-goal syntax, a loader default): each feature names what was measured on which release.
 */
function releasedIn(...releases: readonly (readonly [number, number])[]): boolean {
  const last = releases[releases.length - 1]!;
  if (major > last[0]) return true;
  return releases.some(([lineMajor, lineMinor]) => major === lineMajor && minor >= lineMinor);
}

/** Flags the host Node runs with (its command line and `NODE_OPTIONS`). */
const hostFlags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];

/** Facts about the running Node that change module semantics. Nothing else in `runtime/` reads the version. */
export const nodeFeatures = Object.freeze({
  /** `require()` of an ES module loads it (Node 20.19+, 22.12+) instead of throwing `ERR_REQUIRE_ESM`. */
  requireModule: features.require_module === true,
  /**
   * The `module-sync` export condition is active for both `require` and `import` (it ships together with
   * require(esm): Node 20.19+, 22.10+).
   */
  moduleSyncCondition: features.require_module === true,
  /** A `.js` file without `"type"` that only parses as ESM is loaded as ESM (Node 20.19+, 22.7+). */
  detectModule: releasedIn([20, 19], [22, 7], [23, 0]),
  /** CJS namespaces (import() of CommonJS) carry a `'module.exports'` export (measured: 24 and 26 yes, 22.23 no). */
  moduleExportsExport: releasedIn([23, 0]),
  /**
   * `err.path` of a `MODULE_NOT_FOUND` for an `exports` target that is missing: the package folder (measured on
   * 22 and 24) instead of its package.json (measured on 20). `imports` targets give the package.json on both.
   */
  exportsNotFoundPathIsDir: releasedIn([22, 0]),
  /** The `main` named by a package-not-found error loses its trailing slash (measured: kept on 20, dropped on 22+). */
  notFoundMainTrimsSlash: releasedIn([22, 0]),
  /** `#/…` is a valid `imports` name (Node 24+; before, `#/` is an invalid specifier). */
  importsSlashSubpath: releasedIn([24, 0]),
  /** `import.meta.main` exists (`false` for every module but the entry): Node 22.18+, 24.2+ (measured on 22.23). */
  importMetaMain: releasedIn([22, 18], [24, 2]),
  /** `import.meta.resolve.length`: `resolve(specifier, parentURL)` counts both from Node 26 (measured: 1 on 24.21). */
  importMetaResolveLength: releasedIn([26, 0]) ? 2 : 1,
  /** `import … assert { … }` is a syntax error (V8 12, Node 22+); before, it is the old spelling of `with`. */
  importAssertSyntaxRemoved: releasedIn([22, 0]),
  /** `import(x, { assert: … })` is read as `with` when `with` is absent (V8 before 12: Node 20). */
  importAssertOption: !releasedIn([22, 0]),
  /** Import-attribute errors use the `ERR_IMPORT_ATTRIBUTE_*` codes and texts (22+; 20: `ERR_IMPORT_ASSERTION_*`). */
  importAttributeCodes: releasedIn([22, 0]),
  /**
   * `data:` URLs (measured): 22+ asks the format before reading the body and reports a malformed one as
   * `ERR_INVALID_URL`; 20 reads it first and lets `decodeURIComponent`'s `URIError` through.
   */
  dataUrlInvalidAsUrl: releasedIn([22, 0]),
  /** `ERR_UNSUPPORTED_ESM_URL_SCHEME` for `http(s):` names only `file and data` (measured 22+; 20: all three). */
  httpSchemeMessageWithoutNode: releasedIn([22, 0]),
  /**
   * `ERR_REQUIRE_ASYNC_MODULE` names the module and the whole require stack (measured on 24 and 26); 20 and 22
   * (measured on 22.23) name the requirer only (`From … Requiring …`).
   */
  requireAsyncModuleStack: releasedIn([23, 0]),
  /**
   * Assigning to a module namespace throws V8's namespace text, `Cannot assign to property 'x' of [object Module]`,
   * for an export and a missing name alike (measured on 26.10; 24 and before: the read-only/non-extensible texts).
   */
  namespaceAssignMessage: releasedIn([26, 0]),
  /** On Node 20 a script compiled with `cachedData` reports the producer's file name in stack traces (measured). */
  codeCacheKeepsFileName: !releasedIn([22, 0]),
  /**
   * `import` of a `.wasm` file: on by default from 22.19 and 24.5 (measured: 24.21 imports it, 20.20 reports an
   * unknown extension); `--experimental-wasm-modules` turns it on before that on 22+.
   */
  wasmModules:
    (releasedIn([22, 0]) && hostFlags.includes('--experimental-wasm-modules')) ||
    releasedIn([22, 19], [24, 5], [25, 0]),
  /**
   * `import` of a `.node` addon: enabled by `--experimental-addon-modules` (22.20+, 23.6+) and by default in later
   * releases (measured on 24.21; Node 20 has neither).
   */
  addonModules: hostFlags.includes('--no-experimental-addon-modules')
    ? false
    : hostFlags.includes('--experimental-addon-modules') || releasedIn([24, 21], [25, 0]),
  /**
   * Node's CommonJS export-name lexer keeps names defined by getters it cannot prove safe: the lexer that ships
   * as `process.versions.merve` (Node 26) does; cjs-module-lexer (its predecessor) drops them.
   */
  cjsLexerKeepsUnsafeGetters: typeof (process.versions as Record<string, string | undefined>).merve === 'string',
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
