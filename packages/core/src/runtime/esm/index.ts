/**
 * The ES module / TypeScript side of a codebase's runtime: plugs the {@link EsmLoader} into the runtime's
 * {@link LoaderHooks} seam. Resolution is the runtime's (`import` mode) plus what tsx adds for TypeScript
 * importers (`./x.js` naming `./x.ts`, extensionless relative imports, tsconfig `paths`); CommonJS, JSON and
 * builtins go through the runtime; code runs in the runtime's realm.
 */
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { pathsCandidates, readTsconfig, type TsConfig } from '../../tsconfig.js';
import { nodeFeatures } from '../features.js';
import { fileUrlOf } from '../file-url.js';
import type { LoaderFsView } from '../fs-view.js';
import type { CommonJsHost, LoaderHooks } from '../hooks.js';
import { containsModuleSyntax } from '../module-syntax.js';
import { defaultCacheDir, type TransformCacheOptions, Transformer } from '../transform/index.js';
import type { TsCompilerOptions } from '../transform/typescript.js';
import { type EsmHost, EsmLoader, type ModuleFormat, URL_SUFFIX } from './loader.js';
import { createNamespace } from './namespace.js';
import { StackMapper } from './stack.js';
import { absoluteUrl, dataUrlText } from './url-modules.js';

export { type EsmHost, EsmLoader, type ModuleFormat, ModuleRecord } from './loader.js';

let cacheOptions: TransformCacheOptions = fromEnvironment();

function fromEnvironment(): TransformCacheOptions {
  const dir = process.env.CODESAVE_CACHE_DIR;
  if (dir === undefined || dir === '') return {};
  return { cacheDir: dir === '0' || dir === 'false' ? false : dir };
}

/**
 * Where transformed modules and V8 code caches are kept on disk for codebases opened from now on
 * (`cacheDir: false` disables the disk cache; default `$CODESAVE_CACHE_DIR`, else the per-user cache of user-cache.ts).
 */
export function configureTransformCache(options: TransformCacheOptions): void {
  cacheOptions = { ...options };
}

const definedOnly = (options: TransformCacheOptions): TransformCacheOptions =>
  options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir };

/** The cache directory a codebase with the `cacheDir` option `option` uses (`false`: none). */
export function effectiveCacheDir(option: string | false | undefined): string | false {
  const cacheDir = { ...cacheOptions, ...definedOnly({ cacheDir: option }) }.cacheDir;
  return cacheDir === false ? false : (cacheDir ?? defaultCacheDir());
}

const TS_FILE = /\.[cm]?tsx?$/;
/** Files `require` runs only after transpiling (as the runtime's `transformCjs` hook is called for them). */
const CJS_TRANSPILED = /\.(?:[cm]?tsx?|jsx)$/;
const JS_TO_TS: Record<string, string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};
/** Extensions `import` loads (Node's, plus TypeScript/JSX as under tsx). */
const IMPORTABLE = new Set(['.js', '.mjs', '.cjs', '.json', '.ts', '.mts', '.cts', '.tsx', '.jsx']);
const EXTENSIONLESS = ['.ts', '.tsx', '.js', '.jsx', '.mts', '.mjs', '.cts', '.cjs', '.json'];

/** The ESM/TypeScript hooks of one runtime (what the composition root, `codebase/`, installs). */
export function createEsmHooks(
  runtime: CommonJsHost,
  options: TransformCacheOptions = {},
): LoaderHooks & { loader: EsmLoader; transformer: Transformer } {
  // One cache pack per codebase (its virtual root); entries inside are keyed by content. `options.cacheDir` (a
  // codebase's own `cacheDir` option) wins over `configureTransformCache` and `$CODESAVE_CACHE_DIR`.
  const transformer = new Transformer({
    ...cacheOptions,
    ...definedOnly(options),
    pack: runtime.root,
    ...(options.precompiled ? { precompiled: options.precompiled } : {}),
  });
  const tsconfigs = new Map<string, TsConfig | undefined>();
  let runsTypeScript = false;
  const readText = (file: string): string | undefined => {
    try {
      return runtime.fs.readFileSync(file, 'utf8') as string;
    } catch {
      return undefined;
    }
  };
  /** The nearest tsconfig.json above `file` (cached per directory). */
  const nearestTsconfig = (file: string): TsConfig | undefined => {
    const dir = path.dirname(file);
    if (tsconfigs.has(dir)) return tsconfigs.get(dir);
    const found =
      readTsconfig(path.join(dir, 'tsconfig.json'), { readText, isFile }) ??
      (dir === path.dirname(dir) ? undefined : nearestTsconfig(dir));
    tsconfigs.set(dir, found);
    return found;
  };
  /**
   * The tsconfig tsx uses: one for the whole process, found from its working directory — here the codebase's
   * root — whatever directory a file is in (a nested tsconfig.json is not read).
   */
  const tsconfigOf = (_file: string): TsConfig | undefined => nearestTsconfig(path.join(runtime.root, '[codesave]'));
  /** The compiler options of `file`: the tsconfig's when it selects the file, esbuild's defaults otherwise. */
  const tsOptions = (file: string): TsCompilerOptions => {
    const config = tsconfigOf(file);
    return config?.matches(file) ? config.options : {};
  };

  const isFile = (file: string): boolean => {
    try {
      return runtime.fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  const realpath = (file: string): string => {
    try {
      return runtime.fs.realpathSync(file) as string;
    } catch {
      return file;
    }
  };
  /** tsx's additions for a relative/absolute path that Node could not resolve. */
  /** `./x.js` as `./x.ts` (`.jsx` → `.tsx`, `.mjs` → `.mts`, `.cjs` → `.cts`) when that file exists. */
  const tsTwinOf = (base: string): string | undefined => {
    const ext = path.extname(base);
    for (const alt of JS_TO_TS[ext] ?? []) {
      const candidate = base.slice(0, -ext.length) + alt;
      if (isFile(candidate)) return realpath(candidate);
    }
    return undefined;
  };
  const tsFile = (base: string): string | undefined => {
    const twin = tsTwinOf(base);
    if (twin) return twin;
    for (const alt of EXTENSIONLESS) if (isFile(base + alt)) return realpath(base + alt);
    for (const alt of EXTENSIONLESS) {
      const index = path.join(base, `index${alt}`);
      if (isFile(index)) return realpath(index);
    }
    return undefined;
  };
  /** The file a relative, absolute or `file:` specifier names (a query or fragment is not part of it). */
  const fileOfSpecifier = (specifier: string, parentPath: string): string | undefined => {
    const file = specifier.replace(/[?#].*/s, '');
    if (file.startsWith('./') || file.startsWith('../') || file.startsWith('/'))
      return path.resolve(path.dirname(parentPath), file);
    return file.startsWith('file:') ? fileURLToPath(file) : undefined;
  };
  /** tsx, for a TypeScript importer: `./x.js` names `./x.ts` first, even where the `.js` file exists too. */
  const tsTwin = (specifier: string, parentPath: string): string | undefined => {
    if (!TS_FILE.test(parentPath)) return undefined;
    const file = fileOfSpecifier(specifier, parentPath);
    return file === undefined ? undefined : tsTwinOf(file);
  };
  /** A bare specifier tsx tries `paths` for first: not relative, a URL, `#imports` or a builtin. */
  const pathsFirst = (specifier: string, parentPath: string): boolean =>
    !/^(?:[./#]|[a-zA-Z][\w+.-]*:)/.test(specifier) &&
    !isBuiltin(specifier) &&
    !parentPath.split(path.sep).includes('node_modules');
  const resolveRequire = (request: string, parentPath: string, resolve: () => string): string => {
    if (!(runsTypeScript || TS_FILE.test(parentPath))) return resolve();
    const twin = tsTwin(request, parentPath);
    if (twin) return twin;
    if (pathsFirst(request, parentPath)) {
      const found = resolvePaths(request, parentPath);
      if (found) return found;
    }
    try {
      return resolve();
    } catch (error) {
      if ((error as { code?: unknown })?.code !== 'MODULE_NOT_FOUND') throw error;
      if (request.startsWith('./') || request.startsWith('../') || path.isAbsolute(request)) {
        const found = tsFile(path.resolve(path.dirname(parentPath), request));
        if (found) return found;
      }
      throw error;
    }
  };
  /** The resolution, with the query and fragment of a path or file: URL specifier kept (see `URL_SUFFIX`). */
  const resolveImport = (specifier: string, parentPath: string | undefined): string => {
    if (!/[?#]/.test(specifier) || !/^(?:\.\.?(?:\/|$)|\/|file:)/.test(specifier))
      return resolveImportPath(specifier, parentPath);
    let resolved: string;
    try {
      resolved = resolveImportPath(specifier, parentPath);
    } catch (error) {
      // The URL of a missing file keeps them too (import.meta.resolve returns it).
      const e = error as { url?: unknown } | null;
      if (typeof e?.url === 'string') e.url = e.url + urlSuffixOf(specifier, parentPath);
      throw error;
    }
    if (!path.isAbsolute(resolved)) return resolved;
    const suffix = urlSuffixOf(specifier, parentPath);
    return suffix ? `${resolved}${URL_SUFFIX}${suffix}` : resolved;
  };
  const urlSuffixOf = (specifier: string, parentPath: string | undefined): string => {
    const base =
      parentPath !== undefined && path.isAbsolute(parentPath) ? parentPath : path.join(runtime.root, '[codesave]');
    const url = new URL(specifier, fileUrlOf(base));
    return url.search + url.hash;
  };
  const resolveImportPath = (specifier: string, parentPath: string | undefined): string => {
    // A URL other than file: and node: is its own resolution (the loader runs data: URLs and refuses the rest).
    const url = absoluteUrl(specifier);
    if (url && url.protocol !== 'file:' && url.protocol !== 'node:') return url.href;
    if (parentPath !== undefined && !path.isAbsolute(parentPath) && !url && !isBuiltin(specifier)) {
      // From a data: module only builtins and absolute URLs resolve.
      const error = new runtime.realm.intrinsics.TypeError(
        `Failed to resolve module specifier "${specifier}" from "${parentPath}": Invalid relative URL or base scheme is not hierarchical.`,
      );
      throw Object.assign(error, { code: 'ERR_UNSUPPORTED_RESOLVE_REQUEST' });
    }
    const parent =
      parentPath !== undefined && path.isAbsolute(parentPath) ? parentPath : path.join(runtime.root, '[codesave]');
    if ((specifier.startsWith('node:') || url?.protocol === 'node:') && !isBuiltin(specifier)) {
      const error = new runtime.realm.intrinsics.Error(`No such built-in module: ${specifier}`);
      throw Object.assign(error, { code: 'ERR_UNKNOWN_BUILTIN_MODULE' });
    }
    // tsx tries tsconfig `paths` (and `baseUrl`) first for a bare specifier outside node_modules: an alias wins
    // over a package of the same name.
    const twin = parentPath === undefined ? undefined : tsTwin(specifier, parentPath);
    if (twin) return twin;
    if (parentPath !== undefined && (runsTypeScript || TS_FILE.test(parentPath)) && pathsFirst(specifier, parentPath)) {
      const found = resolvePaths(specifier, parentPath);
      if (found) return found;
    }
    try {
      const resolved = runtime.resolve(specifier, parent, 'import');
      return resolved.startsWith('node:') || path.isAbsolute(resolved) ? resolved : `node:${resolved}`;
    } catch (error) {
      if (parentPath !== undefined) addCommonJsHint(error, specifier, parentPath);
      // tsx's rules apply to every importer once the codebase runs TypeScript.
      if (parentPath === undefined || !(runsTypeScript || TS_FILE.test(parentPath))) throw error;
      // (`resolveImport` puts a query or fragment back on the resolution.)
      const file = fileOfSpecifier(specifier, parentPath);
      if (file !== undefined) {
        const found = tsFile(file);
        if (found) return found;
      } else {
        const found = resolvePaths(specifier, parentPath);
        if (found) return found;
      }
      throw error;
    }
  };
  /**
   * Node's `decorateErrorWithCommonJSHints`: when `import` finds no file (or a directory) where `require` would
   * find one, the message and stack end their first line with `Did you mean to import "<what require found>"?`.
   */
  const addCommonJsHint = (error: unknown, specifier: string, parentPath: string): void => {
    const e = error as { code?: unknown; message?: unknown; stack?: unknown } | null;
    if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'ERR_UNSUPPORTED_DIR_IMPORT') return;
    const request = specifier.startsWith('file://') ? fileURLToPath(specifier) : specifier;
    // Node's require there has no parent file: a relative specifier is looked up from the working directory, not
    // the importer (so an importer elsewhere gets no hint, or an odd one). A codebase's working directory is its root.
    const from = /^\.\.?(?:\/|$)/.test(request) ? path.join(runtime.root, '[codesave]') : parentPath;
    let found: string;
    try {
      found = runtime.resolve(request, from, 'require');
    } catch {
      return;
    }
    if (!path.isAbsolute(found)) return;
    const hinted = commonJsHint(request, found, fileUrlOf(parentPath));
    if (hinted === request) return;
    const hint = `Did you mean to import ${JSON.stringify(hinted)}?`;
    try {
      e.message = `${String(e.message)}\n${hint}`;
      if (typeof e.stack === 'string') {
        const lines = e.stack.split('\n');
        e.stack = [lines[0], hint, ...lines.slice(1)].join('\n');
      }
    } catch {}
  };
  /** tsconfig `paths` (and `baseUrl`): the first candidate that is a file, with tsx's extension rules. */
  const resolvePaths = (specifier: string, parentPath: string): string | undefined => {
    const config = tsconfigOf(parentPath);
    if (!config) return undefined;
    for (const candidate of pathsCandidates(config, specifier)) {
      if (isFile(candidate)) return realpath(candidate);
      const found = tsFile(candidate);
      if (found) return found;
    }
    return undefined;
  };

  // Original positions in stack traces (realm mode only: the host realm's Error is the host's business).
  const stacks = runtime.realm.context ? new StackMapper() : undefined;
  // Installed now, not with the first transformed module: natively `Error.prepareStackTrace` is Node's function
  // from the start (Node 20 and 24), and code that saves and restores it (depd, callsites) must find it.
  stacks?.install(runtime.realm.global);
  const readSource = (file: string): string =>
    file.startsWith('data:') ? (dataUrlText(file) ?? '') : (runtime.fs.readFileSync(file, 'utf8') as string);
  const tsOptionsFor = (file: string): TsCompilerOptions => (CJS_TRANSPILED.test(file) ? tsOptions(file) : {});
  const toFormat = (file: string): ModuleFormat => {
    const ext = path.extname(file);
    if (ext === '.node' && nodeFeatures.addonModules) return 'addon';
    if (ext === '.wasm' && nodeFeatures.wasmModules) return 'wasm';
    if (ext !== '' && !IMPORTABLE.has(ext)) {
      const error = new runtime.realm.intrinsics.TypeError(`Unknown file extension "${ext}" for ${file}`);
      throw Object.assign(error, { code: 'ERR_UNKNOWN_FILE_EXTENSION' });
    }
    // An extensionless file is ESM in a "type": "module" scope (Node 20.10+/22), CommonJS elsewhere.
    if (ext === '') return runtime.packageType(file) === 'module' ? 'module' : detected(file);
    // tsx serves every JSON import as an ES module (esbuild's JSON loader: a named export per top-level key).
    if (ext === '.json' && runsTypeScript) return 'module';
    const format = runtime.formatOf(file);
    if (format === 'commonjs' && ext === '.js') return detected(file);
    return format === 'addon' ? 'commonjs' : format;
  };
  /** Node 20.19+/22.7+: a `.js` or extensionless file with no package `type` is ESM when its syntax says so. */
  const detectedFormats = new Map<string, ModuleFormat>();
  const detected = (file: string): ModuleFormat => {
    if (!nodeFeatures.detectModule || runtime.packageType(file) !== 'none') return 'commonjs';
    let format = detectedFormats.get(file);
    if (format === undefined) {
      format = containsModuleSyntax(readSource(file), (source) => transformer.esm(file, source))
        ? 'module'
        : 'commonjs';
      detectedFormats.set(file, format);
    }
    return format;
  };
  const host: EsmHost = {
    resolve: resolveImport,
    format: toFormat,
    jsonAsModule: (file) => runsTypeScript && file.endsWith('.json'),
    // The loader's own file access (the fs view's routing costs ~3x per call); it sees what the view sees.
    readFile: (file) => runtime.loaderFs.readFileSync(file, 'utf8') as string,
    readBytes: (file) => runtime.loaderFs.readFileSync(file) as Uint8Array,
    parseJson: (text) => runtime.parseJson(text),
    packageScope: (file) => runtime.packageScope(file),
    transform: (file, source) => {
      // A data: URL is JavaScript whatever its text ends with.
      if (file.startsWith('data:')) return transformer.esm('data.mjs', source);
      const known = (runtime.loaderFs as LoaderFsView).contentHash?.(file);
      if (!TS_FILE.test(file)) return transformer.esm(file, source, tsOptionsFor(file), known);
      registerTypeScriptExtensions();
      return transformer.esm(file, source, tsOptions(file), known);
    },
    compile: (code, file, url) => {
      // Stack frames: Node shows ES modules by URL; tsx's source maps show TypeScript files by path.
      const ts = path.isAbsolute(file) && CJS_TRANSPILED.test(file);
      const name = ts ? file : url;
      if (stacks) {
        const named = path.isAbsolute(file) ? file : 'data.mjs';
        const map = () => transformer.esmSourceMap(named, readSource(file), ts ? tsOptionsFor(file) : {});
        stacks.register(name, map, 1, ts);
        stacks.install(runtime.realm.global);
      }
      const script = transformer.script(code, name, -1);
      const context = runtime.realm.context;
      return context ? script.runInContext(context) : script.runInThisContext();
    },
    cjsSource: (file) => {
      const source = readSource(file);
      return CJS_TRANSPILED.test(file) ? transformer.cjs(file, source, tsOptions(file)) : source;
    },
    resolveReexport: (specifier, parentPath) => {
      const resolved = runtime.resolve(specifier, parentPath, 'require');
      if (!path.isAbsolute(resolved)) return undefined;
      const ext = path.extname(resolved);
      return ext === '.js' || ext === '.cjs' || !runtime.hasExtension(ext) ? resolved : undefined;
    },
    requireCjs: (file) => runtime.requireFile(file),
    builtin: (id) => runtime.builtin(id) as Record<string, unknown>,
    global: runtime.realm.global,
    run: (fn) => runtime.realm.evaluate(fn),
    evaluate: (code) => {
      const context = runtime.realm.context;
      return context ? vm.runInContext(code, context) : vm.runInThisContext(code);
    },
  };
  const loader = new EsmLoader(host);
  /**
   * Once the codebase runs TypeScript, `require` resolves `.ts/.tsx/.cts/.mts` like `.js`, as under tsx (which
   * adds them to `require.extensions`). A JavaScript-only codebase keeps Node's own list.
   */
  const registerTypeScriptExtensions = () => {
    runsTypeScript = true;
    runtime.addJsExtensions(['.ts', '.tsx', '.cts', '.mts']);
  };
  return {
    loader,
    transformer,
    resolveRequire,
    requireEsm(module, filename) {
      module.exports = requireEsmExports(
        loader.requireModule(filename, () => runtime.requireStackOf(module)) as Record<string, unknown>,
        runtime.realm.intrinsics.TypeError,
      );
    },
    importFile(filename) {
      return loader.importPath(filename);
    },
    syncBuiltinExports() {
      loader.syncBuiltinExports();
    },
    importFrom(specifier, options, parentFilename) {
      return loader.dynamicImport(specifier, options, parentFilename);
    },
    transformCjs(source, filename) {
      registerTypeScriptExtensions();
      if (stacks) {
        stacks.register(filename, () => transformer.cjsSourceMap(filename, source, tsOptions(filename)), 0, true);
        stacks.install(runtime.realm.global);
      }
      return transformer.cjs(filename, source, tsOptions(filename));
    },
  };
}

/**
 * How Node's `resolveAsCommonJS` words what `require` found for `specifier`: relative to the importer for a
 * relative specifier, `pkg/<path in the package>` for a bare one, else the path itself.
 */
function commonJsHint(specifier: string, found: string, parentUrl: string): string {
  const relative = /^\.\.?(?:\/|$)/.test(specifier);
  if (relative) {
    const from = parentUrl.slice('file://'.length, parentUrl.lastIndexOf('/'));
    const hinted = path.posix.relative(from, fileUrlOf(found).slice('file://'.length));
    return hinted.startsWith('../') ? hinted : `./${hinted}`;
  }
  if (specifier[0] === '/' || specifier[0] === '.' || !specifier[0]) return found;
  const slash = specifier.indexOf('/');
  const pkg = slash === -1 ? specifier : specifier.slice(0, slash);
  const needle = `${path.sep}node_modules${path.sep}${pkg}${path.sep}`;
  const at = found.lastIndexOf(needle);
  if (at === -1) return fileUrlOf(found);
  const rest = found
    .slice(at + needle.length)
    .split(path.sep)
    .map(encodeURIComponent)
    .join('/');
  return `${pkg}/${rest}`;
}

/**
 * What `require(esm)` returns, as Node does it: the export named `'module.exports'` when there is one; else the
 * namespace, or, when it has a default export and no `__esModule` export, a namespace of a facade module that
 * adds `__esModule: true` (so transpiled CommonJS consumers find `default`).
 */
function requireEsmExports(namespace: Record<string, unknown>, TypeErr: ErrorConstructor): unknown {
  if ('module.exports' in namespace) return namespace['module.exports'];
  if (!('default' in namespace) || '__esModule' in namespace) return namespace;
  const values = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(namespace))
    Object.defineProperty(values, key, { get: () => namespace[key], enumerable: true });
  values.__esModule = true;
  return createNamespace([...Object.keys(namespace), '__esModule'], values, TypeErr);
}
