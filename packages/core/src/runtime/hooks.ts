/**
 * The seam between the CommonJS runtime and the ES module loader (runtime/esm/, built separately).
 *
 * The CJS registry calls these hooks and nothing else of the ESM side:
 * - `requireEsm`: `require()` of an ES module (`.mjs`, `.js` under `"type": "module"`, or a `.js` that only
 *   parses as ESM) on a Node that allows it (`nodeFeatures.requireModule`); on older Nodes the registry throws
 *   `ERR_REQUIRE_ESM` itself and never calls this.
 * - `importFile`: `import()` of a resolved file, from the façade (`codebase.import()`) or from user code.
 * - `transformCjs`: source of a file `require` loads as CommonJS whose syntax is not plain JS (`.ts`, `.cts`,
 *   `.tsx`, `.jsx`) → JavaScript with the same line numbers.
 *
 * - `importFrom`: `import()` written inside a CommonJS module (the runtime rewrites it to a wrapper parameter:
 *   vm code cannot use Node's own `import()` without `--experimental-vm-modules`).
 *
 * `createLoaderHooks` is the one place the ESM loader plugs in: it returns `createEsmHooks(runtime)`
 * (runtime/esm/index.ts). `createCjsOnlyHooks` is the CommonJS-only variant (ESM and TypeScript fail with
 * `CodesaveError('ERR_ESM_UNSUPPORTED')`).
 */
import { CodesaveError } from '../errors.js';
import { createEsmHooks } from './esm/index.js';
import type { CjsModule, Runtime } from './runtime.js';
import type { TransformCacheOptions } from './transform/index.js';

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

/** `options.cacheDir`: the transform cache directory of this codebase (`false`: no disk cache). */
export function createLoaderHooks(runtime: Runtime, options?: TransformCacheOptions): LoaderHooks {
  return createEsmHooks(runtime, options);
}

/** The hooks of a build without the ES module loader (kept for tests of the CommonJS side alone). */
export function createCjsOnlyHooks(runtime: Runtime): LoaderHooks {
  const unsupported = (filename: string, what: string): never => {
    throw new CodesaveError(
      'ERR_ESM_UNSUPPORTED',
      `${what} ${filename} is not supported yet: the ES module / TypeScript loader is not installed in this build.`,
      { details: { filename } },
    );
  };
  return {
    requireEsm: (_module, filename) => unsupported(filename, 'Loading the ES module'),
    importFile: async (filename) => {
      if (runtime.formatOf(filename) === 'commonjs') return runtime.cjsNamespace(filename);
      return unsupported(filename, 'Importing the ES module');
    },
    transformCjs: (_source, filename) => unsupported(filename, 'Loading the TypeScript/JSX file'),
  };
}
