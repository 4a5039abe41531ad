/**
 * One codebase's module registry and CommonJS loader, step by step as Node's `lib/internal/modules/cjs/loader.js`
 * does it: a `Module` class of its own (so `require('module')`, `require.cache`, `require.main` are the codebase's),
 * `_load` with the cache, cycles and failed-module eviction, the `.js`/`.json`/`.node` loaders, builtins (the
 * host's, except `fs`, `fs/promises` and `module`, which see the codebase), and `import()` of CommonJS.
 *
 * Resolution is {@link Resolver}'s, code runs in a {@link Realm}, ES modules and TypeScript go through the
 * {@link LoaderHooks} seam.
 */
import { createHash } from 'node:crypto';
import realFs from 'node:fs';
import nodeModule from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { types } from 'node:util';
import { CodesaveError } from '../errors.js';
import { loadAddon } from './addons.js';
import { type BuiltinViewFactory, createBuiltinViews } from './builtin-views.js';
import { importerBuilder } from './dynamic-function.js';
import { hostBuiltinModules, isBuiltinRequest, loadHostBuiltin, nodeFeatures } from './features.js';
import type { FsView } from './fs-view.js';
import type { CommonJsHost, LoaderHooks } from './hooks.js';
import { mayCallImport } from './import-scan.js';
import { parseJsonText } from './json.js';
import { type ModuleFormat, moduleFormat } from './module-format.js';
import { containsModuleSyntax } from './module-syntax.js';
import { CJS_WRAPPER_PARAMS } from './names.js';
import * as errors from './node-errors.js';
import type { PackageConfig } from './package-json.js';
import {
  ArrayPrototypeIncludes,
  ArrayPrototypeIndexOf,
  ArrayPrototypePush,
  ArrayPrototypeSlice,
  ArrayPrototypeSplice,
  ObjectGetPrototypeOf,
  ObjectSetPrototypeOf,
  ReflectApply,
} from './primordials.js';
import type { RealFiles } from './real-files.js';
import type { Realm } from './realm.js';
import { type ParentLike, type ResolveMode, Resolver } from './resolve.js';
import { FUNCTION_BUILDER, mayBuildImporter, rewriteDynamicImport } from './transform/cjs-import.js';
import { transformEsm } from './transform/esm.js';
import { protocolNames } from './transform/names.js';
import { createVmView } from './vm-view.js';

/** A warning the runtime reports (also emitted as a `'warning'` event by `ZipCodebase`). */
export interface CodesaveWarning {
  code: 'DEPENDENCY_VERSION_MISMATCH';
  message: string;
  package: string;
  expected: string;
  actual: string;
  path: string;
}

export interface RuntimeOptions {
  /** The file system the codebase sees (the volume view, or the real `node:fs`). */
  fs: FsView;
  /**
   * What the loader itself reads modules through (default `fs`): the same files, possibly by a faster path
   * (the codebase passes the volume directly for paths under the root). User code always gets `fs`.
   */
  loaderFs?: FsView;
  /** Absolute root of the codebase (its virtual root for a zip). */
  root: string;
  realm: Realm;
  /** Folders searched after the `node_modules` walk-up (as `NODE_PATH`); a project folder means its node_modules. */
  dependencies?: string | readonly string[];
  /** Versions the manifest recorded, for dependency warnings. */
  expectedVersions?: Readonly<Record<string, string>>;
  onWarning?: (warning: CodesaveWarning) => void;
  /**
   * The ES module / TypeScript side, built for this runtime (the composition root, `codebase/`, passes the ESM
   * loader's; it sees the runtime as a {@link CommonJsHost}).
   */
  hooks: (runtime: Runtime) => LoaderHooks;
}

/** The public shape of a codebase's `Module` instances (Node's `module`). */
export interface CjsModule {
  id: string;
  path: string;
  exports: any;
  filename: string | null;
  loaded: boolean;
  children: CjsModule[];
  paths: string[];
  readonly parent: CjsModule | null | undefined;
  require(id: string): any;
  load(filename: string): void;
  _compile(content: string, filename: string): unknown;
}

export type { ModuleFormat } from './module-format.js';

type Loader = (module: CjsModule, filename: string) => void;

const TS_LIKE = /\.(?:ts|cts|mts|tsx|jsx)$/;

export class Runtime implements CommonJsHost {
  readonly fs: FsView;
  readonly root: string;
  readonly realm: Realm;
  readonly resolver: Resolver;
  /** `require.cache` / `Module._cache`: modules by filename. */
  readonly cache: Record<string, CjsModule>;
  /** `Module._extensions`. */
  readonly extensions: Record<string, Loader>;
  /** The codebase's `Module` class (what `require('module')` returns inside it). */
  readonly Module: any;
  hooks: LoaderHooks;
  mainModule: CjsModule | undefined;
  #parents = new WeakMap<object, CjsModule | null | undefined>();
  #relativeResolveCache: Record<string, string> = Object.create(null);
  #requireDepth = 0;
  /** Modules whose load began and has not ended, for repair after a timeout. */
  #loading: CjsModule[] = [];
  #expected: Readonly<Record<string, string>>;
  #checkedPackages = new Set<string>();
  #onWarning: ((warning: CodesaveWarning) => void) | undefined;
  #disposed = false;
  #loaderFs: FsView;
  #makeRequire: Function | undefined;
  readonly #jsonParse: (text: string) => unknown;
  /** `Module.wrap` or `Module.wrapper` was assigned: modules compile from `Module.wrap(source)`, as in Node. */
  wrapPatched = false;

  constructor(options: RuntimeOptions) {
    this.fs = options.fs;
    this.root = path.resolve(options.root);
    this.realm = options.realm;
    this.#expected = options.expectedVersions ?? {};
    this.#onWarning = options.onWarning;
    const realm = this.realm;
    const hostGlobalPaths = (nodeModule as unknown as { globalPaths: string[] }).globalPaths;
    const globalPaths = [...toDependencyPaths(options.dependencies), ...hostGlobalPaths];
    const loaderFs = options.loaderFs ?? this.fs;
    this.#loaderFs = loaderFs;
    this.resolver = new Resolver({
      fs: loaderFs,
      ctors: realm.intrinsics,
      toRealmArray: (items) => realm.toRealmArray(items),
      globalPaths,
      requireStack: (parent) => this.#requireStackOf(parent),
    });
    // Taken before any of the codebase's code runs (a codebase may replace its own `JSON.parse`).
    const { parse } = realm.intrinsics.JSON;
    this.#jsonParse = (text) => ReflectApply(parse, realm.intrinsics.JSON, [text]);
    this.cache = Object.create(null);
    this.extensions = Object.create(null);
    this.extensions['.js'] = (module, filename) => this.#loadJs(module, filename);
    this.extensions['.json'] = (module, filename) => this.#loadJson(module, filename);
    this.extensions['.node'] = (module, filename) => this.#loadAddon(module, filename);
    this.resolver.extensions = () => Object.keys(this.extensions);
    this.Module = createModuleClass(this, globalPaths);
    this.hooks = options.hooks(this);
    this.builtinViews = createBuiltinViews({ realm });
    realm.builtinModule = (id) => this.builtin(id);
  }

  // ---------------------------------------------------------------- Module._load

  /**
   * A load as Node's `Module.prototype.require` starts one: through `Module._load` as it is now (user code
   * may have replaced it, as require-in-the-middle or proxyquire do). The outermost call runs through the
   * realm (timeout) and repairs state on failure.
   */
  load(request: string, parent: CjsModule | null, isMain: boolean): any {
    return this.#outermost(() => this.Module._load(request, parent, isMain));
  }

  /** Node's own `Module._load` (the static before anyone replaces it). */
  loadModule(request: string, parent: CjsModule | null, isMain: boolean): any {
    return this.#outermost(() => this.#load(request, parent, isMain));
  }

  #outermost<T>(fn: () => T): T {
    this.#assertLive();
    if (this.#requireDepth > 0) return fn();
    const loadingBefore = this.#loading.length;
    this.resolver.beginStatScope();
    try {
      return this.realm.evaluate(() => {
        this.#requireDepth++;
        try {
          return fn();
        } finally {
          this.#requireDepth--;
        }
      });
    } catch (error) {
      // After a timeout no `finally` between the loop and here has run: evict what was mid-load.
      for (const module of this.#loading.splice(loadingBefore)) this.#evict(module);
      throw error;
    } finally {
      this.#requireDepth = 0;
      this.resolver.endStatScope();
    }
  }

  /** `Module._resolveFilename` as it is now: Node looks it up on each call, and tools (module-alias) replace it. */
  resolveFilename(request: string, parent: CjsModule | null, isMain: boolean, options?: unknown): string {
    const own = this.#ownStatics;
    const current = this.Module._resolveFilename;
    if (own !== undefined && current === own._resolveFilename) {
      const resolve = () =>
        this.resolver.resolveFilename(request, parent, isMain, options as { paths?: unknown } | undefined);
      const from = parent?.filename;
      return this.hooks.resolveRequire && from && options === undefined && typeof request === 'string'
        ? this.hooks.resolveRequire(request, from, resolve)
        : resolve();
    }
    return options === undefined
      ? ReflectApply(current, this.Module, [request, parent, isMain])
      : ReflectApply(current, this.Module, [request, parent, isMain, options]);
  }

  /** Statics of the codebase's `Module` as created (to tell when user code has replaced one). */
  #ownStatics: Record<string, unknown> | undefined;

  /** @internal set once by the Module class factory. */
  setOwnStatics(statics: Record<string, unknown>): void {
    this.#ownStatics = statics;
  }

  /** `this.paths` of `Module.prototype.load`: `Module._nodeModulePaths(dir)` as it is now (app-module-path wraps it). */
  loadPathsOf(dir: string): string[] {
    const current = this.Module._nodeModulePaths;
    if (this.#ownStatics !== undefined && current === this.#ownStatics._nodeModulePaths) return this.modulePathsOf(dir);
    return ReflectApply(current, this.Module, [dir]);
  }

  #load(request: string, parent: CjsModule | null, isMain: boolean): any {
    let relKey: string | undefined;
    if (parent) {
      relKey = `${parent.path}\x00${request}`;
      const filename = this.#relativeResolveCache[relKey];
      if (filename !== undefined) {
        const cached = this.cache[filename];
        if (cached !== undefined) {
          updateChildren(parent, cached, true);
          return cached.loaded ? cached.exports : this.#exportsForCircularRequire(cached);
        }
        delete this.#relativeResolveCache[relKey];
      }
    }
    if (request.startsWith('node:')) {
      const id = request.slice(5);
      if (!isBuiltinRequest(request)) throw errors.unknownBuiltin(this.realm.intrinsics, request);
      return this.builtin(id);
    }
    const filename = this.resolveFilename(request, parent, isMain);
    const cached = this.cache[filename];
    if (cached !== undefined) {
      updateChildren(parent, cached, true);
      return cached.loaded ? cached.exports : this.#exportsForCircularRequire(cached);
    }
    if (isBuiltinRequest(filename)) return this.builtin(filename);
    this.#checkDependency(filename);

    const module: CjsModule = new this.Module(filename, parent);
    if (isMain) {
      this.mainModule = module;
      module.id = '.';
    }
    this.cache[filename] = module;
    if (relKey !== undefined) this.#relativeResolveCache[relKey] = filename;
    this.#loading.push(module);
    let threw = true;
    try {
      module.load(filename);
      threw = false;
    } finally {
      this.#loading.splice(this.#loading.lastIndexOf(module), 1);
      if (threw) {
        this.#evict(module);
        if (relKey !== undefined) delete this.#relativeResolveCache[relKey];
      } else if (this.#circularProxy !== undefined && isObject(module.exports)) {
        if (ObjectGetPrototypeOf(module.exports) === this.#circularProxy)
          ObjectSetPrototypeOf(module.exports, this.realm.intrinsics.Object.prototype);
      }
    }
    return module.exports;
  }

  /** The prototype a module's plain `exports` object takes while it is required from inside its own cycle. */
  #circularProxy: object | undefined;

  /**
   * Node's `getExportsForCircularRequire`: the exports of a module still loading, whose plain object (not one
   * a transpiler marked `__esModule`) warns on a read of a property it does not have until the module is loaded.
   */
  #exportsForCircularRequire(module: CjsModule): unknown {
    const exports = module.exports;
    const objectPrototype = this.realm.intrinsics.Object.prototype;
    if (!isObject(exports) || types.isProxy(exports) || ObjectGetPrototypeOf(exports) !== objectPrototype)
      return exports;
    if ((exports as { __esModule?: unknown }).__esModule) return exports;
    this.#circularProxy ??= circularRequireProxy(objectPrototype);
    ObjectSetPrototypeOf(exports, this.#circularProxy);
    return exports;
  }

  /** A module that threw leaves the cache and its parent's children (so the next require fails the same way). */
  #evict(module: CjsModule): void {
    if (module.filename !== null && this.cache[module.filename] === module) delete this.cache[module.filename];
    else if (this.cache[module.id] === module) delete this.cache[module.id];
    const children = this.#parents.get(module)?.children;
    if (Array.isArray(children)) {
      const index = ArrayPrototypeIndexOf(children, module);
      if (index !== -1) ArrayPrototypeSplice(children, index, 1);
    }
  }

  #modulePaths = new Map<string, string[]>();

  /** A fresh realm array of `Module._nodeModulePaths(dir)` (computed once per folder, copied per module). */
  modulePathsOf(dir: string): string[] {
    let paths = this.#modulePaths.get(dir);
    if (!paths) {
      paths = this.realm.toRealmArray(this.resolver.nodeModulePaths(dir));
      this.#modulePaths.set(dir, paths);
    }
    return ArrayPrototypeSlice(paths);
  }

  parentOf(module: CjsModule): CjsModule | null | undefined {
    return this.#parents.get(module);
  }

  setParent(module: CjsModule, parent: CjsModule | null | undefined): void {
    this.#parents.set(module, parent);
  }

  /** The files that required `module`, nearest first (Node's `requireStack` of an error `module` causes). */
  requireStackOf(module: CjsModule): string[] {
    const parent = this.#parents.get(module);
    return parent ? this.#requireStackOf(parent) : [];
  }

  #requireStackOf(parent: ParentLike): string[] {
    const stack: string[] = [];
    if (parent === this.#rootParent) return stack;
    for (let cursor: any = parent; cursor; cursor = this.#parents.get(cursor)) stack.push(cursor.filename || cursor.id);
    return stack;
  }

  // ---------------------------------------------------------------- loaders

  // ---------------------------------------------------------------- what the ES module side uses (CommonJsHost)

  get loaderFs(): FsView {
    return this.#loaderFs;
  }

  resolve(specifier: string, parentPath: string, mode: ResolveMode): string {
    return this.resolver.resolve(specifier, parentPath, mode);
  }

  packageType(file: string): 'module' | 'commonjs' | 'none' {
    return this.resolver.packageType(file);
  }

  packageScope(file: string): PackageConfig | null {
    return this.resolver.packages.scope(file);
  }

  requireFile(filename: string): unknown {
    return this.load(filename, null, false);
  }

  hasExtension(ext: string): boolean {
    return typeof this.extensions[ext] === 'function';
  }

  addJsExtensions(exts: readonly string[]): void {
    const js = this.extensions['.js'];
    if (!js) return;
    for (const ext of exts) this.extensions[ext] ??= js;
  }

  /** How Node would load `filename` (a builtin's name: `builtin`). */
  formatOf(filename: string): ModuleFormat {
    if (isBuiltinRequest(filename)) return 'builtin';
    return moduleFormat(filename, (file) => this.resolver.packageType(file));
  }

  #loadJs(module: CjsModule, filename: string): void {
    const content = this.#loaderFs.readFileSync(filename, 'utf8') as string;
    const ext = path.extname(filename);
    const esm =
      ext === '.mjs' ||
      ext === '.mts' ||
      ((ext === '.js' || ext === '.ts') && this.resolver.packageType(filename) === 'module');
    // tsx's require hook compiles every TypeScript file to CommonJS, ES module kinds (`.mts`) included.
    if (esm && !TS_LIKE.test(filename)) {
      this.#requireEsm(module, filename, content);
      return;
    }
    const source = TS_LIKE.test(filename) ? this.hooks.transformCjs(content, filename) : content;
    try {
      module._compile(source, filename);
    } catch (error) {
      // Node 20.19+/22.7+: a .js without "type" that only parses as ESM is loaded as ESM.
      if (
        nodeFeatures.detectModule &&
        ext === '.js' &&
        this.resolver.packageType(filename) === 'none' &&
        (error as { name?: unknown } | null)?.name === 'SyntaxError' &&
        containsModuleSyntax(content, (text) => transformEsm(text, filename))
      ) {
        this.#requireEsm(module, filename, content);
        return;
      }
      throw error;
    }
  }

  #requireEsm(module: CjsModule, filename: string, content: string): void {
    if (!nodeFeatures.requireModule) {
      const parent = this.#parents.get(module);
      const pkg = filename.endsWith('.js') ? this.resolver.packages.scope(filename) : null;
      throw errors.requireEsm(
        this.realm.intrinsics,
        filename,
        /\b(?:import|export)\b/.test(content),
        parent?.filename ?? undefined,
        pkg ? pkg.pjsonPath : undefined,
        path.basename,
      );
    }
    this.hooks.requireEsm(module, filename);
  }

  /** A JSON file's text as the codebase's value (its realm's `JSON.parse`, as it was before any code ran). */
  parseJson(text: string): unknown {
    return parseJsonText(text, this.#jsonParse);
  }

  #loadJson(module: CjsModule, filename: string): void {
    const content = this.#loaderFs.readFileSync(filename, 'utf8') as string;
    try {
      module.exports = this.parseJson(content);
    } catch (error) {
      (error as Error).message = `${filename}: ${(error as Error).message}`;
      throw error;
    }
  }

  /**
   * Native addons are loaded by the host (`process.dlopen`). One inside the zip is loaded from the materialized
   * copy of its package and the packages it depends on ({@link realFiles}), so the libraries it finds relative to
   * itself (`$ORIGIN`) are there too.
   */
  #loadAddon(module: CjsModule, filename: string): void {
    let real = filename;
    if (this.#insideRoot(filename)) {
      if (this.realFiles) real = this.realFiles.realPath(filename, 'package');
      else {
        const bytes = this.#loaderFs.readFileSync(filename) as Buffer;
        const dir = path.join(os.tmpdir(), 'codesave-addons', createHash('sha256').update(bytes).digest('hex'));
        real = path.join(dir, path.basename(filename));
        if (!realFs.existsSync(real)) {
          realFs.mkdirSync(dir, { recursive: true });
          const tmp = `${real}.${process.pid}.tmp`;
          realFs.writeFileSync(tmp, bytes);
          realFs.renameSync(tmp, real);
        }
      }
    }
    loadAddon(module, real, filename);
  }

  #insideRoot(filename: string): boolean {
    return filename === this.root || filename.startsWith(`${this.root}${path.sep}`);
  }

  /** Run `content` as the CommonJS module `module` (Node's `Module.prototype._compile`). */
  compile(module: CjsModule, source: string, filename: string): unknown {
    // A BOM stays: V8 reads it as whitespace (columns count it; a shebang after it is a syntax error), as in Node.
    // `import()` in vm-compiled code needs --experimental-vm-modules: rewritten to a call of a function the module
    // gets from one more function around it.
    const importName =
      mayCallImport(source) || mayBuildImporter(source) ? protocolNames(source).dynamicImport : undefined;
    const rewritten = importName === undefined ? undefined : rewriteDynamicImport(source, importName);
    let dynamicImport: Function | undefined;
    if (rewritten !== undefined) {
      const importFrom = (specifier: unknown, options?: unknown) =>
        this.hooks.importFrom!(specifier, options, filename);
      dynamicImport = Object.assign(importFrom, { [FUNCTION_BUILDER]: importerBuilder(this.realm, importFrom) });
    }
    const code = rewritten ?? source;
    const fn = this.wrapPatched
      ? this.#compileWrapped(code, filename, dynamicImport, importName)
      : dynamicImport && importName
        ? this.#compileWithImport(code, filename, dynamicImport, importName)
        : this.realm.compileFunction(code, CJS_WRAPPER_PARAMS, filename);
    const require = this.makeRequire(module);
    return ReflectApply(fn, module.exports, [module.exports, require, module, filename, path.dirname(filename)]);
  }

  /**
   * The wrapper of a module whose `import(` was rewritten: it gets `importName` from one more function
   * around it (a parameter of its own would make `arguments.length` 6). That function's head stands on the
   * source's first line, its width taken back by `columnOffset`, so positions stay the source's (V8 does not
   * apply the offset to an eval's origin: a `new Function` on line 1 reports a column that much further right).
   */
  #compileWithImport(source: string, filename: string, dynamicImport: Function, importName: string): Function {
    // A shebang is allowed only at the start of the compiled source: here it is a comment of the same length.
    const body = source.startsWith('#!') ? `//${source.slice(2)}` : source;
    const head = `return function (${CJS_WRAPPER_PARAMS.join(', ')}) {`;
    const outer = this.realm.compileFunction(`${head}${body}\n}`, [importName], filename, {
      columnOffset: -head.length,
    });
    return outer(dynamicImport) as Function;
  }

  /**
   * Node's `wrapSafe` once `Module.wrap`/`wrapper` were patched: the wrapped source runs as a script and must
   * evaluate to the function. A rewritten `import()` gets its parameter from one more function around it, on
   * the same line, so the user's lines keep their numbers.
   */
  #compileWrapped(
    source: string,
    filename: string,
    dynamicImport: Function | undefined,
    importName: string | undefined,
  ): Function {
    const wrapped = String(this.Module.wrap(source));
    if (!dynamicImport || !importName) return this.realm.runScript(wrapped, filename) as Function;
    const outer = this.realm.runScript(`(function (${importName}) { return ${wrapped}\n})`, filename) as Function;
    return outer(dynamicImport) as Function;
  }

  /** Node's `makeRequireFunction`: `require`, `require.resolve(+paths)`, `.main`, `.cache`, `.extensions`. */
  makeRequire(module: CjsModule): any {
    // Built by a factory compiled in the realm, so `require instanceof Function` holds inside the codebase.
    this.#makeRequire ??= this.realm.compileFunction(
      REQUIRE_FACTORY,
      ['impl'],
      'codesave:require',
    )(requireImpl(this)) as Function;
    return this.#makeRequire(module, this.mainModule, this.extensions, this.cache);
  }

  /** `require.resolve(request, options)` of `module`. */
  resolveFrom(module: CjsModule, request: unknown, options?: { paths?: unknown }): string {
    this.#validateString(request, 'request');
    this.resolver.beginStatScope();
    try {
      return this.resolveFilename(request as string, module, false, options);
    } finally {
      if (this.#requireDepth === 0) this.resolver.endStatScope();
    }
  }

  /** `require.resolve.paths(request)` of `module`. */
  lookupPathsFrom(module: CjsModule, request: unknown): string[] | null {
    this.#validateString(request, 'request');
    return this.resolver.resolveLookupPaths(request as string, module);
  }

  #validateString(value: unknown, name: string): void {
    if (typeof value !== 'string') throw errors.invalidArgType(this.realm.intrinsics, name, value);
  }

  /** `Module.prototype.require`. */
  requireFrom(module: CjsModule, id: unknown): any {
    this.#validateString(id, 'id');
    if (id === '') throw errors.invalidArgValue(this.realm.intrinsics, 'id', id, 'must be a non-empty string');
    return this.load(id as string, module, false);
  }

  // ---------------------------------------------------------------- builtins

  #vm: unknown;
  /** Where files under the root are on disk for code that leaves JavaScript (set by the façade). */
  realFiles: RealFiles | undefined;
  /** The codebase's other builtin views (builtin-views.ts); replaced by the façade to add its own. */
  builtinViews: BuiltinViewFactory;

  /**
   * A builtin as the codebase sees it: the host's, except `fs`, `fs/promises` and `module`, and `vm` in a context
   * of its own (whose "this context" is the codebase's).
   */
  builtin(id: string): unknown {
    const bare = id.startsWith('node:') ? id.slice(5) : id;
    if (bare === 'fs') return this.fs;
    if (bare === 'fs/promises') return this.fs.promises;
    if (bare === 'module') return this.Module;
    if (bare === 'vm' && this.realm.context) return (this.#vm ??= createVmView(this.realm.context));
    return this.builtinViews(bare) ?? loadHostBuiltin(id);
  }

  /** `module.createRequire(filename)` for the codebase. */
  createRequire(filename: string | URL): any {
    let file = typeof filename === 'string' ? filename : filename.href;
    if (file.startsWith('file:')) file = new URL(file).pathname;
    if (!path.isAbsolute(file))
      throw errors.invalidArgValue(
        this.realm.intrinsics,
        'filename',
        filename,
        'must be a file URL object, file URL string, or absolute path string',
      );
    const proxyPath = file.endsWith('/') ? path.join(file, 'noop.js') : file;
    const module: CjsModule = new this.Module(proxyPath, null);
    module.filename = proxyPath;
    module.paths = this.realm.toRealmArray(this.resolver.nodeModulePaths(path.dirname(proxyPath)));
    return this.makeRequire(module);
  }

  // ---------------------------------------------------------------- entry points for the façades

  /** `require(request)` relative to the codebase root, with no parent module (as a main script's). */
  requireFromRoot(request: string): any {
    const filename = this.resolveEntry(request);
    return this.load(filename, null, false);
  }

  #rootParent: ParentLike | undefined;

  /** A stand-in parent at the root, for resolution only (not part of any require stack). */
  rootParent(): ParentLike {
    const filename = path.join(this.root, '[codesave]');
    this.#rootParent ??= { id: filename, filename, paths: this.resolver.nodeModulePaths(this.root) };
    return this.#rootParent;
  }

  /**
   * Resolve `request` from the root: as a file of the codebase (bare names too), trying the entry-point
   * extensions as well, then as `require` would (`mode: 'require'`) or, for a bare name, as `import` would
   * (`mode: 'import'`: the package's `import` conditions, as `import('pkg')` from the root gets it).
   */
  resolveEntry(
    request: string,
    extraExtensions: readonly string[] = [],
    mode: 'require' | 'import' = 'require',
  ): string {
    this.#assertLive();
    const parent = this.rootParent();
    const isPath =
      request.startsWith('./') ||
      request.startsWith('../') ||
      request === '.' ||
      request === '..' ||
      path.isAbsolute(request);
    this.resolver.beginStatScope();
    try {
      const asFile = isPath ? request : `./${request}`;
      const found = this.resolver.findPath(path.resolve(this.root, asFile), [''], false);
      if (found) return found;
      for (const ext of extraExtensions) {
        const candidate = path.resolve(this.root, asFile) + ext;
        if (this.resolver.stat(candidate) === 0) return this.resolver.realpath(candidate);
        const index = path.join(path.resolve(this.root, asFile), `index${ext}`);
        if (this.resolver.stat(index) === 0) return this.resolver.realpath(index);
      }
      if (mode === 'import' && !isPath) return this.resolver.resolve(request, parent.filename!, 'import');
      return this.resolver.resolveFilename(request, parent);
    } finally {
      this.resolver.endStatScope();
    }
  }

  /** Run `filename` as the main module (`require.main === module`, `module.id === '.'`). */
  runMain(filename: string): CjsModule {
    this.load(filename, null, true);
    return this.cache[filename] ?? this.mainModule!;
  }

  // ---------------------------------------------------------------- warnings, lifecycle

  /** Once per package: a dependency loaded from outside the codebase whose version differs from the manifest's. */
  #checkDependency(filename: string): void {
    if (this.#insideRoot(filename)) return;
    const marker = `${path.sep}node_modules${path.sep}`;
    const at = filename.lastIndexOf(marker);
    if (at === -1) return;
    const rest = filename.slice(at + marker.length).split(path.sep);
    const name = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    if (!name || this.#checkedPackages.has(name)) return;
    this.#checkedPackages.add(name);
    const expected = this.#expected[name];
    if (expected === undefined) return;
    const pjsonPath = path.join(filename.slice(0, at + marker.length), name, 'package.json');
    let actual: string | undefined;
    try {
      actual = this.resolver.packages.read(pjsonPath)?.version;
    } catch {}
    if (actual === undefined || actual === expected) return;
    this.#onWarning?.({
      code: 'DEPENDENCY_VERSION_MISMATCH',
      message: `The codebase was saved with ${name}@${expected} but loads ${name}@${actual} from ${path.dirname(pjsonPath)}.`,
      package: name,
      expected,
      actual,
      path: pjsonPath,
    });
  }

  #assertLive(): void {
    if (this.#disposed) throw new CodesaveError('ERR_DISPOSED', 'This codebase was disposed; open it again to use it.');
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  dispose(): void {
    this.#disposed = true;
    for (const key of Object.keys(this.cache)) delete this.cache[key];
    this.#relativeResolveCache = Object.create(null);
    this.#loading = [];
    this.#modulePaths.clear();
    this.mainModule = undefined;
    this.#vm = undefined;
  }
}

/** Body of the realm-side factory of `require` functions (see `makeRequire`). */
const REQUIRE_FACTORY = `'use strict';
return function makeRequire(mod, main, extensions, cache) {
  const require = function require(id) { return mod.require(id); };
  function resolve(request, options) { return impl.resolve(mod, request, options); }
  function paths(request) { return impl.paths(mod, request); }
  resolve.paths = paths;
  require.resolve = resolve;
  require.main = main;
  require.extensions = extensions;
  require.cache = cache;
  return require;
};`;

function requireImpl(runtime: Runtime) {
  return {
    resolve: (module: CjsModule, request: unknown, options?: { paths?: unknown }) =>
      runtime.resolveFrom(module, request, options),
    paths: (module: CjsModule, request: unknown) => runtime.lookupPathsFrom(module, request),
  };
}

function updateChildren(parent: CjsModule | null | undefined, child: CjsModule, scan: boolean): void {
  const children = parent?.children;
  if (Array.isArray(children) && !(scan && ArrayPrototypeIncludes(children, child)))
    ArrayPrototypePush(children, child);
}

const isObject = (value: unknown): value is object =>
  (typeof value === 'object' && value !== null) || typeof value === 'function';

/**
 * Node's `CircularRequirePrototypeWarningProxy`: a prototype that answers what `Object.prototype` has (and
 * `__esModule`, which transpilers probe) and warns on every other name read through it.
 */
function circularRequireProxy(objectPrototype: object): object {
  const warn = (name: PropertyKey): void =>
    process.emitWarning(
      `Accessing non-existent property '${String(name)}' of module exports inside circular dependency`,
    );
  return new Proxy(Object.create(null) as object, {
    get(_target, name) {
      if (name in objectPrototype || name === '__esModule') return Reflect.get(objectPrototype, name);
      warn(name);
      return undefined;
    },
    getOwnPropertyDescriptor(target, name) {
      if (Object.hasOwn(target, name) || name === '__esModule') return Reflect.getOwnPropertyDescriptor(target, name);
      warn(name);
      return undefined;
    },
  });
}

function toDependencyPaths(dependencies: string | readonly string[] | undefined): string[] {
  if (dependencies === undefined) return [];
  const dirs = typeof dependencies === 'string' ? [dependencies] : [...dependencies];
  return dirs.map((dir) => {
    const abs = path.resolve(dir);
    if (path.basename(abs) === 'node_modules') return abs;
    const nm = path.join(abs, 'node_modules');
    return realFs.existsSync(nm) ? nm : abs;
  });
}

/** The codebase's `Module` class: instances are its modules, statics are `require('module')`'s API. */
function createModuleClass(runtime: Runtime, globalPaths: string[]): any {
  const realm = runtime.realm;
  function Module(this: CjsModule, id = '', parent?: CjsModule | null) {
    this.id = id;
    this.path = path.dirname(id);
    this.exports = realm.newObject();
    runtime.setParent(this, parent);
    updateChildren(parent, this, false);
    this.filename = null;
    this.loaded = false;
    this.children = realm.toRealmArray([]);
  }
  const proto = Module.prototype as any;
  Object.defineProperty(proto, 'parent', {
    get(this: CjsModule) {
      return runtime.parentOf(this);
    },
    set(this: CjsModule, value: CjsModule | null) {
      runtime.setParent(this, value);
    },
    configurable: true,
  });
  proto.require = function (this: CjsModule, id: string) {
    return runtime.requireFrom(this, id);
  };
  proto.load = function (this: CjsModule, filename: string) {
    this.filename = filename;
    this.paths = runtime.loadPathsOf(path.dirname(filename));
    const loader = runtime.extensions[findLongestRegisteredExtension(filename, runtime.extensions)]!;
    loader(this, filename);
    this.loaded = true;
  };
  proto._compile = function (this: CjsModule, content: string, filename: string) {
    return runtime.compile(this, content, filename);
  };
  const statics: Record<string, unknown> = {
    Module,
    _cache: runtime.cache,
    _extensions: runtime.extensions,
    _pathCache: Object.create(null),
    globalPaths: realm.toRealmArray(globalPaths),
    builtinModules: realm.toRealmArray(hostBuiltinModules),
    isBuiltin: (id: string) => isBuiltinRequest(id),
    createRequire: (filename: string | URL) => runtime.createRequire(filename),
    _load: (request: string, parent: CjsModule | null, isMain: boolean) => runtime.loadModule(request, parent, isMain),
    _resolveFilename: (request: string, parent: CjsModule | null, isMain?: boolean, options?: { paths?: unknown }) =>
      runtime.resolver.resolveFilename(request, parent, isMain, options),
    _resolveLookupPaths: (request: string, parent: CjsModule | null) =>
      runtime.resolver.resolveLookupPaths(request, parent),
    _nodeModulePaths: (from: string) => realm.toRealmArray(runtime.resolver.nodeModulePaths(from)),
    _findPath: (request: string, paths: string[] | null, isMain?: boolean) =>
      runtime.resolver.findPath(request, paths, isMain),
    _stat: (filename: string) => runtime.resolver.stat(filename),
    _initPaths: () => {},
    _preloadModules: (requests: unknown) => {
      if (!Array.isArray(requests) || requests.length === 0) return;
      const parent: CjsModule = new (Module as any)('internal/preload', null);
      parent.paths = runtime.modulePathsOf(process.cwd());
      for (const request of requests) parent.require(request);
    },
    _debug: () => {},
    runMain: (main: string = process.argv[1] ?? '') => runtime.runMain(runtime.resolveEntry(path.resolve(main))),
  };
  const host = loadHostBuiltin('module') as Record<string, unknown>;
  // Stateless helpers of Node's own module API (the rest act on the host's loader, not the codebase's).
  for (const name of [
    'syncBuiltinESMExports',
    'findSourceMap',
    'SourceMap',
    'register',
    'enableCompileCache',
    'flushCompileCache',
    'constants',
    'getCompileCacheDir',
    'findPackageJSON',
    'stripTypeScriptTypes',
    'getSourceMapsSupport',
    'setSourceMapsSupport',
  ]) {
    if (host[name] !== undefined) statics[name] = host[name];
  }
  // The host's builtin namespaces, and the codebase's own ones (its loader's records).
  const hostSync = host.syncBuiltinESMExports as (() => void) | undefined;
  statics.syncBuiltinESMExports = function syncBuiltinESMExports() {
    hostSync?.();
    runtime.hooks.syncBuiltinExports?.();
  };
  runtime.setOwnStatics(statics);
  // `wrap`/`wrapper` are accessors, as in Node: assigning either (or an element of `wrapper`) makes modules
  // compile from `Module.wrap(source)` (tools inject code that way).
  const wrapper = new Proxy(realm.toRealmArray([`(function (${CJS_WRAPPER_PARAMS.join(', ')}) { `, '\n});']), {
    set(target, property, value, receiver) {
      runtime.wrapPatched = true;
      return Reflect.set(target, property, value, receiver);
    },
    defineProperty(target, property, descriptor) {
      runtime.wrapPatched = true;
      return Reflect.defineProperty(target, property, descriptor);
    },
  });
  let wrapperValue: unknown = wrapper;
  let wrapValue: unknown = function wrap(script: string) {
    const current = Module as unknown as { wrapper: string[] };
    return current.wrapper[0] + script + current.wrapper[1];
  };
  const accessors: Record<string, PropertyDescriptor> = {
    wrap: {
      get: () => wrapValue,
      set: (value: unknown) => {
        runtime.wrapPatched = true;
        wrapValue = value;
      },
    },
    wrapper: {
      get: () => wrapperValue,
      set: (value: unknown) => {
        runtime.wrapPatched = true;
        wrapperValue = value;
      },
    },
  };
  // In the host's order and with its enumerability, so `Object.keys(require('module'))` lists what Node's does.
  const defineStatic = (name: string, enumerable: boolean) => {
    if (accessors[name]) Object.defineProperty(Module, name, { ...accessors[name], enumerable: false });
    else if (Object.hasOwn(statics, name))
      Object.defineProperty(Module, name, { value: statics[name], writable: true, configurable: true, enumerable });
  };
  for (const name of Object.getOwnPropertyNames(host)) {
    if (name === 'length' || name === 'name' || name === 'prototype') continue;
    defineStatic(name, Object.getOwnPropertyDescriptor(host, name)?.enumerable ?? true);
  }
  for (const name of [...Object.keys(statics), ...Object.keys(accessors)])
    if (!Object.hasOwn(Module, name)) defineStatic(name, !name.startsWith('_'));
  if (realm.context) {
    Object.setPrototypeOf(proto, realm.intrinsics.Object.prototype);
    Object.setPrototypeOf(Module, realm.intrinsics.Function.prototype);
  }
  return Module;
}

function findLongestRegisteredExtension(filename: string, extensions: Record<string, Loader>): string {
  const name = path.basename(filename);
  let index = name.indexOf('.', 1);
  while (index !== -1) {
    const ext = name.slice(index);
    if (extensions[ext]) return ext;
    index = name.indexOf('.', index + 1);
  }
  return '.js';
}
