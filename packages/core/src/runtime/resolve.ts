/**
 * Node's module resolution over an {@link FsView}: CommonJS (`Module._resolveFilename` and friends, step by
 * step as Node does them) and ES modules (`import` mode, for the ESM loader). `exports`/`imports` maps go
 * through resolve.exports; the surrounding checks and error texts are Node's.
 *
 * One {@link Resolver} per codebase: it caches package.json reads and realpaths for its life, stat results
 * for one outermost `require` (as Node does), and resolved paths by request.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exports as exportsMap, imports as importsMap } from 'resolve.exports';
import { isBuiltinRequest, nodeFeatures } from './features.js';
import { fileUrlOf } from './file-url.js';
import type { FsView } from './fs-view.js';
import * as errors from './node-errors.js';
import { type PackageConfig, PackageJsonCache } from './package-json.js';

/** What resolution needs to know about the requiring module (a Node `Module` or a stand-in). */
export interface ParentLike {
  id: string;
  filename: string | null;
  paths?: string[];
}

export type ResolveMode = 'require' | 'import';

export interface ResolverOptions {
  fs: FsView;
  /** Error constructors of the realm user code runs in. */
  ctors: errors.ErrorCtors;
  /** Copies an array into the realm (so `Array.isArray`/`instanceof Array` hold for user code). */
  toRealmArray?: (items: string[]) => string[];
  /** Node's `modulePaths`: searched after the `node_modules` walk-up (dependencies dir + global folders). */
  globalPaths?: readonly string[];
  /** The `requireStack` of a parent, for `MODULE_NOT_FOUND`. */
  requireStack?: (parent: ParentLike) => string[];
  /** Directory whose `process.cwd()` Node would use when there is no parent. */
  cwd?: () => string;
}

/** Node's pattern for `name/sub/path` in `require`'s exports lookup. */
const EXPORTS_PATTERN = /^((?:@[^/\\%]+\/)?[^./\\%][^/\\%]*)(\/.*)?$/;
const TRAILING_SLASH = /(?:^|\/)\.?\.$/;
const INVALID_SEGMENT =
  /(^|\\|\/)((\.|%2e)(\.|%2e)?|(n|%6e|%4e)(o|%6f|%4f)(d|%64|%44)(e|%65|%45)(_|%5f)(m|%6d|%4d)(o|%6f|%4f)(d|%64|%44)(u|%75|%55)(l|%6c|%4c)(e|%65|%45)(s|%73|%53))?(\\|\/|$)/i;

/**
 * A relative or absolute specifier that resolves against a file URL exactly as `path.resolve` would: no `%`
 * escapes, `\\`, `?`, `#`, control characters or spaces (URL parsing decodes, splits or strips those), no `//`,
 * and no trailing `/`, `/.` or `/..` (a URL keeps the trailing slash, which names a directory).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this excludes
const PLAIN_RELATIVE = /^(?!.*\/\/)(?!.*\/\.{0,2}$)(?:\.{1,2})?\/[^%\\?#\u0000-\u0020\u007f]*$/;

const STAT_FILE = 0;
const STAT_DIR = 1;
const STAT_MISSING = -2;

export class Resolver {
  readonly fs: FsView;
  readonly packages: PackageJsonCache;
  readonly #ctors: errors.ErrorCtors;
  readonly #toRealmArray: (items: string[]) => string[];
  readonly #globalPaths: readonly string[];
  readonly #requireStack: (parent: ParentLike) => string[];
  readonly #cwd: () => string;
  #statCache: Map<string, number> | null = null;
  readonly #realpathCache = new Map<string, string>();
  readonly #pathCache = new Map<string, string>();
  /** Extensions `require` tries, in order: the keys of the registry's `Module._extensions`. */
  extensions: () => readonly string[] = () => nodeFeatures.cjsExtensions;
  /**
   * Extra libraries stored at the codebase root (`extraLibraries`): a bare name whose first segment is one of
   * `names` is also looked up in `dir`, after the `node_modules` walk-up and before the global paths — as if
   * the root were on NODE_PATH for those names only (the Python tool puts the zip root on `sys.path`).
   */
  libraries: { dir: string; names: ReadonlySet<string> } | undefined;

  #libraryDir(name: string): string[] {
    const libraries = this.libraries;
    return libraries?.names.has(name.split('/', 1)[0]!) ? [libraries.dir] : [];
  }

  constructor(options: ResolverOptions) {
    this.fs = options.fs;
    this.#ctors = options.ctors;
    this.#toRealmArray = options.toRealmArray ?? ((items) => items);
    this.#globalPaths = options.globalPaths ?? [];
    this.#requireStack = options.requireStack ?? ((parent) => (parent.filename ? [parent.filename] : []));
    this.#cwd = options.cwd ?? (() => process.cwd());
    this.packages = new PackageJsonCache(this.fs, (pjsonPath, error) =>
      errors.invalidPackageConfig(this.#ctors, pjsonPath, undefined, error.message),
    );
  }

  // ---------------------------------------------------------------- file system primitives

  /** Keep stat results until {@link endStatScope} (Node keeps them for one outermost require). */
  beginStatScope(): void {
    this.#statCache ??= new Map();
  }

  endStatScope(): void {
    this.#statCache = null;
  }

  /** 0 file, 1 directory, negative missing (Node's `internalModuleStat`). */
  stat(filename: string): number {
    const cached = this.#statCache?.get(filename);
    if (cached !== undefined) return cached;
    let result: number;
    try {
      const stats = this.fs.statSync(filename, { throwIfNoEntry: false });
      result = stats === undefined ? STAT_MISSING : stats.isDirectory() ? STAT_DIR : STAT_FILE;
    } catch {
      result = STAT_MISSING;
    }
    this.#statCache?.set(filename, result);
    return result;
  }

  realpath(filename: string): string {
    let real = this.#realpathCache.get(filename);
    if (real === undefined) {
      try {
        real = this.fs.realpathSync(filename) as string;
      } catch {
        real = path.resolve(filename);
      }
      this.#realpathCache.set(filename, real);
    }
    return real;
  }

  #tryFile(requestPath: string): string | false {
    return this.stat(requestPath) === STAT_FILE ? this.realpath(requestPath) : false;
  }

  #tryExtensions(basePath: string, exts: readonly string[]): string | false {
    for (const ext of exts) {
      const found = this.#tryFile(basePath + ext);
      if (found) return found;
    }
    return false;
  }

  #tryPackage(requestPath: string, exts: readonly string[], originalPath: string): string | false {
    const pjsonPath = path.resolve(requestPath, 'package.json');
    const main = this.packages.read(pjsonPath)?.main;
    if (!main) return this.#tryExtensions(path.resolve(requestPath, 'index'), exts);
    const filename = path.resolve(requestPath, main);
    let actual =
      this.#tryFile(filename) ||
      this.#tryExtensions(filename, exts) ||
      this.#tryExtensions(path.resolve(filename, 'index'), exts);
    if (actual === false) {
      actual = this.#tryExtensions(path.resolve(requestPath, 'index'), exts);
      if (!actual) throw errors.badMain(this.#ctors, filename, pjsonPath, originalPath);
      process.emitWarning(
        `Invalid 'main' field in '${pathToFileURL(pjsonPath)}' of '${main}'. Please either fix that or report it to the module author`,
        'DeprecationWarning',
        'DEP0128',
      );
    }
    return actual;
  }

  // ---------------------------------------------------------------- CommonJS

  /** Node's `Module._nodeModulePaths` (POSIX). */
  nodeModulePaths(from: string): string[] {
    from = path.resolve(from);
    if (from === '/') return ['/node_modules'];
    const paths: string[] = [];
    const nm = 'node_modules';
    for (let i = from.length - 1, p = 0, last = from.length; i >= 0; --i) {
      const code = from.charCodeAt(i);
      if (code === 47 /* / */) {
        if (p !== nm.length) paths.push(`${from.slice(0, last)}/node_modules`);
        last = i;
        p = 0;
      } else if (p !== -1) {
        if (nm.charCodeAt(nm.length - 1 - p) === code) ++p;
        else p = -1;
      }
    }
    paths.push('/node_modules');
    return paths;
  }

  /** Node's `Module._resolveLookupPaths`: where a request is searched, or `null` for a builtin. */
  resolveLookupPaths(request: string, parent: ParentLike | null | undefined): string[] | null {
    const paths = this.#lookupPaths(request, parent);
    return paths === null ? null : this.#toRealmArray(paths);
  }

  /** {@link resolveLookupPaths} as a host array, for resolution itself (no realm copy per `require`). */
  #lookupPaths(request: string, parent: ParentLike | null | undefined): string[] | null {
    if (isBuiltinRequest(request)) return null;
    if (request.charAt(0) !== '.' || (request.length > 1 && request.charAt(1) !== '.' && request.charAt(1) !== '/')) {
      const paths = [...(parent?.paths ?? []), ...this.#libraryDir(request), ...this.#globalPaths];
      return paths.length > 0 ? paths : null;
    }
    if (!parent?.id || !parent.filename) return ['.'];
    return [path.dirname(parent.filename)];
  }

  /** Node's `Module._resolveFilename`: a builtin id or an absolute real path; throws as Node does. */
  resolveFilename(
    request: string,
    parent: ParentLike | null | undefined,
    isMain = false,
    options?: { paths?: unknown },
  ): string {
    if (isBuiltinRequest(request)) return request;
    let paths: string[] | null;
    if (typeof options === 'object' && options !== null) {
      if (Array.isArray(options.paths)) {
        const isRelative = request.startsWith('./') || request.startsWith('../');
        if (isRelative) {
          paths = options.paths as string[];
        } else {
          paths = [];
          for (const dir of options.paths as string[]) {
            const fake: ParentLike = { id: '', filename: null, paths: this.nodeModulePaths(dir) };
            for (const p of this.#lookupPaths(request, fake) ?? []) if (!paths.includes(p)) paths.push(p);
          }
        }
      } else if (options.paths === undefined) {
        paths = this.#lookupPaths(request, parent);
      } else {
        throw errors.invalidArgValue(this.#ctors, 'options.paths', options.paths, 'is invalid');
      }
    } else {
      paths = this.#lookupPaths(request, parent);
    }

    if (request[0] === '#' && parent?.filename) {
      const pkg = this.packages.scope(parent.filename);
      if (pkg?.imports != null) {
        return this.#finalize(
          this.#packageImportsResolve(request, pkg, parent.filename, 'require'),
          path.dirname(pkg.pjsonPath),
          'imports',
        );
      }
    }

    const parentPath = !parent ? this.#cwd() : parent.filename;
    if (parentPath) {
      const self = this.#trySelf(parentPath, request);
      if (self) return self;
    }

    const filename = this.findPath(request, paths, isMain);
    if (filename) return filename;
    const requireStack = parent ? this.#requireStack(parent) : [];
    throw errors.moduleNotFound(this.#ctors, request, requireStack, this.#toRealmArray);
  }

  #trySelf(parentPath: string, request: string): string | false {
    const pkg = this.packages.scope(parentPath);
    if (!pkg || pkg.exports == null || pkg.name === undefined) return false;
    let expansion: string;
    if (request === pkg.name) expansion = '.';
    else if (request.startsWith(`${pkg.name}/`)) expansion = `.${request.slice(pkg.name.length)}`;
    else return false;
    const pkgDir = path.dirname(pkg.pjsonPath);
    const target = this.#packageExportsResolve(pkg, expansion, parentPath, 'require');
    return this.#finalize(target, pkgDir, 'exports');
  }

  /** `finalizeEsmResolution` + `createEsmNotFoundErr` of Node's CJS loader. */
  #finalize(resolved: string, pkgDir: string, kind: 'exports' | 'imports'): string {
    const actual = this.#tryFile(resolved);
    if (actual) return actual;
    const errPath =
      kind === 'exports' && nodeFeatures.exportsNotFoundPathIsDir ? pkgDir : path.resolve(pkgDir, 'package.json');
    throw errors.esmNotFound(this.#ctors, resolved, errPath);
  }

  #resolveExports(nmPath: string, request: string): string | undefined {
    const match = EXPORTS_PATTERN.exec(request);
    if (!match) return undefined;
    const [, name, expansion = ''] = match;
    const pkgPath = path.resolve(nmPath, name!);
    const pkg = this.packages.read(path.join(pkgPath, 'package.json'));
    if (pkg && pkg.exports != null) {
      const target = this.#packageExportsResolve(pkg, `.${expansion}`, undefined, 'require');
      return this.#finalize(target, pkgPath, 'exports');
    }
    return undefined;
  }

  /** Node's `Module._findPath`. */
  findPath(request: string, paths: readonly string[] | null, _isMain = false): string | false {
    const absoluteRequest = path.isAbsolute(request);
    if (absoluteRequest) paths = [''];
    else if (!paths || paths.length === 0) return false;
    const cacheKey = `${request}\x00${paths.join('\x00')}`;
    const cached = this.#pathCache.get(cacheKey);
    if (cached) return cached;
    const trailingSlash = request.endsWith('/') || TRAILING_SLASH.test(request);
    const isRelative =
      request.charCodeAt(0) === 46 &&
      (request.length === 1 ||
        request[1] === '/' ||
        (request[1] === '.' && (request.length === 2 || request[2] === '/')));
    let insidePath = true;
    if (isRelative && path.normalize(request).startsWith('..')) insidePath = false;
    const exts = this.extensions();
    for (const curPath of paths) {
      if (insidePath && curPath && this.stat(curPath) < STAT_DIR) continue;
      if (!absoluteRequest) {
        const exported = this.#resolveExports(curPath, request);
        if (exported) return exported;
      }
      const basePath = path.resolve(curPath, request);
      let filename: string | false = false;
      const rc = this.stat(basePath);
      if (!trailingSlash) {
        if (rc === STAT_FILE) filename = this.realpath(basePath);
        if (!filename) filename = this.#tryExtensions(basePath, exts);
      }
      if (!filename && rc === STAT_DIR) filename = this.#tryPackage(basePath, exts, request);
      if (filename) {
        this.#pathCache.set(cacheKey, filename);
        return filename;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- exports / imports

  #conditions(mode: ResolveMode): string[] {
    return mode === 'require' ? nodeFeatures.requireConditions : nodeFeatures.importConditions;
  }

  /** Absolute path the `exports` of `pkg` maps `subpath` to (not yet checked on disk). */
  #packageExportsResolve(pkg: PackageConfig, subpath: string, base: string | undefined, mode: ResolveMode): string {
    const pkgDir = path.dirname(pkg.pjsonPath);
    let targets: string[] | undefined;
    try {
      const config = { ...pkg, name: pkg.name ?? '', exports: withoutFolderMappings(pkg.exports) };
      targets = (exportsMap(config as never, subpath, {
        unsafe: true,
        conditions: this.#conditions(mode),
      }) ?? undefined) as string[] | undefined;
    } catch {
      targets = undefined;
    }
    if (!targets || targets.length === 0) throw errors.pathNotExported(this.#ctors, pkgDir + path.sep, subpath, base);
    for (const target of targets) {
      if (this.#validTarget(target, false)) return path.resolve(pkgDir, target);
    }
    throw errors.invalidPackageTarget(this.#ctors, pkgDir + path.sep, subpath, targets[0], false, base);
  }

  #validTarget(target: string, isImport: boolean): boolean {
    if (!target.startsWith('./')) return isImport && !target.startsWith('../') && !target.startsWith('/');
    return !INVALID_SEGMENT.test(target.slice(2));
  }

  /** Node refuses `#`, `#/…` (before Node 24, where `#/` subpaths became valid) and names ending in `/`. */
  #checkImportsName(specifier: string, base: string): void {
    const slashStart = specifier.startsWith('#/') && !nodeFeatures.importsSlashSubpath;
    if (specifier === '#' || slashStart || specifier.endsWith('/'))
      throw errors.invalidModuleSpecifier(
        this.#ctors,
        specifier,
        'is not a valid internal imports specifier name',
        base,
      );
  }

  #packageImportsResolve(specifier: string, pkg: PackageConfig, base: string, mode: ResolveMode): string {
    this.#checkImportsName(specifier, base);
    const pkgDir = path.dirname(pkg.pjsonPath);
    let targets: string[] | undefined;
    try {
      const config = { ...pkg, name: pkg.name ?? '', imports: withoutFolderMappings(pkg.imports) };
      targets = (importsMap(config as never, specifier, {
        unsafe: true,
        conditions: this.#conditions(mode),
      }) ?? undefined) as string[] | undefined;
    } catch {
      targets = undefined;
    }
    if (!targets || targets.length === 0)
      throw errors.importNotDefined(this.#ctors, specifier, pkgDir + path.sep, base);
    for (const target of targets) {
      if (!this.#validTarget(target, true)) continue;
      if (target.startsWith('./')) return path.resolve(pkgDir, target);
      // A bare target names a package, resolved from the package.json's folder.
      if (mode === 'import') return this.#resolveImport(target, pkg.pjsonPath);
      return this.resolveFilename(target, {
        id: pkg.pjsonPath,
        filename: pkg.pjsonPath,
        paths: this.nodeModulePaths(pkgDir),
      });
    }
    throw errors.invalidPackageTarget(this.#ctors, pkgDir + path.sep, specifier, targets[0], true, base);
  }

  // ---------------------------------------------------------------- ES modules

  /**
   * Resolve `specifier` from the file `parentPath`, by `require`'s rules or by `import`'s. Returns an absolute
   * path, or a builtin id (`fs`, `node:test` for `require`; always `node:`-prefixed for `import`).
   */
  resolve(specifier: string, parentPath: string, mode: ResolveMode): string {
    if (mode === 'require') {
      const parent: ParentLike = {
        id: parentPath,
        filename: parentPath,
        paths: this.nodeModulePaths(path.dirname(parentPath)),
      };
      return this.resolveFilename(specifier, parent);
    }
    this.beginStatScope();
    try {
      return this.#resolveImport(specifier, parentPath);
    } finally {
      this.endStatScope();
    }
  }

  /** Node's ESM `defaultResolve`, for file paths (no URL schemes but `file:` and `node:`). */
  #resolveImport(specifier: string, parentPath: string): string {
    if (isBuiltinRequest(specifier)) return specifier.startsWith('node:') ? specifier : `node:${specifier}`;
    let resolved: string;
    if (
      specifier.startsWith('/') ||
      specifier.startsWith('./') ||
      specifier.startsWith('../') ||
      specifier === '.' ||
      specifier === '..'
    ) {
      // A plain relative path resolves as a path would; anything URL parsing treats specially goes through URLs.
      resolved = PLAIN_RELATIVE.test(specifier)
        ? path.resolve(path.dirname(parentPath), specifier)
        : fileURLToPath(new URL(specifier, pathToFileURL(parentPath)));
    } else if (specifier.startsWith('file:')) {
      resolved = fileURLToPath(specifier);
    } else if (specifier[0] === '#') {
      this.#checkImportsName(specifier, parentPath);
      const pkg = this.packages.scope(parentPath);
      if (!pkg) throw errors.importNotDefined(this.#ctors, specifier, undefined, parentPath);
      resolved = this.#packageImportsResolve(specifier, pkg, parentPath, 'import');
    } else {
      resolved = this.#packageResolve(specifier, parentPath);
    }
    const rc = this.stat(resolved.length > 1 && resolved.endsWith('/') ? resolved.slice(0, -1) : resolved);
    // Node's finalizeResolution gives these two errors the resolved URL (`import.meta.resolve` returns it).
    if (rc === STAT_DIR)
      throw Object.assign(errors.unsupportedDirImport(this.#ctors, resolved, parentPath), { url: fileUrlOf(resolved) });
    if (rc !== STAT_FILE)
      throw Object.assign(errors.esmModuleNotFound(this.#ctors, 'module', resolved, parentPath), {
        url: fileUrlOf(resolved),
      });
    return this.realpath(resolved);
  }

  #packageResolve(specifier: string, base: string): string {
    let separator = specifier.indexOf('/');
    if (specifier[0] === '@') separator = separator === -1 ? -1 : specifier.indexOf('/', separator + 1);
    const name = separator === -1 ? specifier : specifier.slice(0, separator);
    // Node's parsePackageName: a scope needs a name after it; no leading dot, percent-encoding or backslash.
    if ((specifier[0] === '@' && specifier.indexOf('/') === -1) || /^\.|%|\\/.test(name))
      throw errors.invalidModuleSpecifier(this.#ctors, specifier, 'is not a valid package name', base);
    const subpath = `.${separator === -1 ? '' : specifier.slice(separator)}`;
    const self = this.packages.scope(base);
    if (self && self.name === name && self.exports != null)
      return this.#packageExportsResolve(self, subpath, base, 'import');
    const dirs = [...this.nodeModulePaths(path.dirname(base)), ...this.#libraryDir(name), ...this.#globalPaths];
    for (const nm of dirs) {
      const pkgDir = path.join(nm, name);
      if (this.stat(pkgDir) !== STAT_DIR) continue;
      const pkg = this.packages.read(path.join(pkgDir, 'package.json'));
      if (pkg && pkg.exports != null) return this.#packageExportsResolve(pkg, subpath, base, 'import');
      if (subpath === '.') return this.#legacyMainResolve(pkgDir, pkg, base);
      return path.join(pkgDir, subpath);
    }
    throw errors.esmModuleNotFound(this.#ctors, 'package', name, base);
  }

  #legacyMainResolve(pkgDir: string, pkg: PackageConfig | null, base: string): string {
    const tries: string[] = [];
    // As Node: `main` is a URL relative to the package.json, and the extensions are appended to its path.
    const main =
      pkg?.main === undefined ? undefined : fileURLToPath(new URL(`./${pkg.main}`, pathToFileURL(pkg.pjsonPath)));
    if (main !== undefined) {
      tries.push(main, `${main}.js`, `${main}.json`, `${main}.node`);
      tries.push(`${main}/index.js`, `${main}/index.json`, `${main}/index.node`);
    }
    tries.push(`${pkgDir}/index.js`, `${pkgDir}/index.json`, `${pkgDir}/index.node`);
    for (const candidate of tries)
      if (this.stat(path.normalize(candidate)) === STAT_FILE) return path.normalize(candidate);
    // The error names `main` (measured: with its trailing slash on Node 20, without on 24), else `index.js`.
    let missing = main ?? path.join(pkgDir, 'index.js');
    if (nodeFeatures.notFoundMainTrimsSlash && missing.length > 1 && missing.endsWith(path.sep))
      missing = missing.slice(0, -1);
    throw errors.esmModuleNotFound(this.#ctors, 'package', missing, base);
  }

  /** The package scope's `"type"` of a file (`module`, `commonjs` or `none`), as Node decides module kinds. */
  packageType(filename: string): 'module' | 'commonjs' | 'none' {
    return this.packages.scope(filename)?.type ?? 'none';
  }
}

/**
 * Node no longer supports folder mappings in `exports`/`imports` (`"./dir/": "./lib/"`, removed in Node 17):
 * such a key never matches, where resolve.exports would still use it.
 */
function withoutFolderMappings(map: unknown): unknown {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return map;
  const keys = Object.keys(map);
  if (!keys.some((key) => key.endsWith('/') && (key[0] === '.' || key[0] === '#'))) return map;
  return Object.fromEntries(Object.entries(map).filter(([key]) => !key.endsWith('/')));
}
