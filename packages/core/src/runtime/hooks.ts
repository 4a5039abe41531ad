/**
 * The seam between the CommonJS runtime and the ES module loader (runtime/esm/): the contract only. The
 * composition root (`codebase/`) builds a {@link Runtime} and hands it a factory of its hooks; neither side
 * imports the other's implementation.
 *
 * The CJS registry calls these hooks and nothing else of the ESM side:
 * - `requireEsm`: `require()` of an ES module (`.mjs`, `.js` under `"type": "module"`, or a `.js` that only
 *   parses as ESM) on a Node that allows it (`nodeFeatures.requireModule`); on older Nodes the registry throws
 *   `ERR_REQUIRE_ESM` itself and never calls this.
 * - `importFile`: `import()` of a resolved file, from the façade (`codebase.import()`) or from user code.
 * - `transformCjs`: source of a file `require` loads as CommonJS whose syntax is not plain JS (`.ts`, `.cts`,
 *   `.tsx`, `.jsx`) → JavaScript with the same line numbers.
 * - `importFrom`: `import()` written inside a CommonJS module (the runtime rewrites it to a wrapper parameter:
 *   vm code cannot use Node's own `import()` without `--experimental-vm-modules`).
 *
 * The ESM side, in turn, uses the runtime only through {@link CommonJsHost}.
 */
import type { FsView } from './fs-view.js';
import type { ModuleFormat } from './module-format.js';
import type { PackageConfig } from './package-json.js';
import type { Realm } from './realm.js';
import type { ResolveMode } from './resolve.js';
import type { CjsModule } from './runtime.js';

/** What the ES module side may use of the CommonJS runtime (implemented by `Runtime`). */
export interface CommonJsHost {
  /** Absolute root of the codebase. */
  readonly root: string;
  /** The file system the codebase's code sees. */
  readonly fs: FsView;
  /** The same files as the loader reads them (possibly by a faster path). */
  readonly loaderFs: FsView;
  /** The realm code runs in. */
  readonly realm: Pick<Realm, 'global' | 'context' | 'intrinsics' | 'evaluate'>;
  /** Node's resolution of `specifier` from the file `parentPath` (`node:<id>` for a builtin). */
  resolve(specifier: string, parentPath: string, mode: ResolveMode): string;
  /** The `"type"` of `file`'s package scope. */
  packageType(file: string): 'module' | 'commonjs' | 'none';
  /** The package.json of `file`'s package scope (throws when it is not JSON). */
  packageScope(file: string): PackageConfig | null;
  /** How Node would load `file` by its extension and package scope. */
  formatOf(file: string): ModuleFormat;
  /** A JSON file's text as the codebase's value. */
  parseJson(text: string): unknown;
  /** `require` of the resolved file `filename` with no parent (the registry's cache and cycles). */
  requireFile(filename: string): unknown;
  /** A builtin as the codebase sees it (`fs` is its view). */
  builtin(id: string): unknown;
  /** The files that required `module`, nearest first. */
  requireStackOf(module: CjsModule): string[];
  /** `require.extensions` has a loader for `ext`. */
  hasExtension(ext: string): boolean;
  /** `require` loads these extensions as it loads `.js` (tsx's TypeScript extensions), unless already set. */
  addJsExtensions(exts: readonly string[]): void;
}

export interface LoaderHooks {
  /** Evaluate the ES module `filename` synchronously and set `module.exports` as Node's require(esm) does. */
  requireEsm(module: CjsModule, filename: string): void;
  /** The namespace `import()` of the resolved file `filename` gives (CJS: `{ default, ...named }`). */
  importFile(filename: string): Promise<object>;
  /** JavaScript for a `.ts/.cts/.tsx/.jsx` file `require` loads as CommonJS. */
  transformCjs(source: string, filename: string): string;
  /** `import(specifier, options)` written in the CommonJS module `parentFilename` (rewritten by the runtime). */
  importFrom?(specifier: unknown, options: unknown, parentFilename: string): Promise<object>;
  /**
   * `require` resolution from `parentFilename` as tsx's CommonJS hook changes it (tsconfig `paths` first, `./x.js`
   * naming `./x.ts` when Node finds nothing); `resolve` is Node's.
   */
  resolveRequire?(request: string, parentFilename: string, resolve: () => string): string;
  /** `module.syncBuiltinESMExports()`: builtin namespaces take the current values of their modules' properties. */
  syncBuiltinExports?(): void;
}
