/**
 * The ES module loader of one codebase: loading the graph with Node's policy, linking (ResolveExport, namespace
 * objects; the bindings themselves are binding.ts's) and the spec's evaluation algorithm (InnerModuleEvaluation with async parents), so evaluation order, cycles, TDZ
 * errors and top-level await match Node without `vm.SourceTextModule`. Modules arrive through an
 * {@link EsmHost}; this file never touches a file system itself.
 */
import { dirname, isAbsolute } from 'node:path';
import { nodeFeatures } from '../features.js';
import type { ModuleFormat } from '../module-format.js';
import { CJS_WRAPPER_PARAMS } from '../names.js';
import { type EsmTransform, rewriteEvalSource, transformEsm } from '../transform/esm.js';
import { M, type ModuleHandle } from '../transform/names.js';
import { checkAttributes, importAttributes } from './attributes.js';
import { type Binder, REALM_BINDER } from './binding.js';
import { cjsExportNames } from './cjs-lexer.js';
import { NAMESPACE_FACTORY, type NamespaceFactory } from './namespace.js';
import { statementLine } from './node-messages.js';
import { fileOf, ModuleRecord, type Resolution, URL_SUFFIX, urlOf } from './record.js';
import { restoreImportNames } from './stack.js';
import { dataUrlFormat, dataUrlMime, dataUrlText } from './url-modules.js';
import { type WasmApi, WasmModule } from './wasm.js';

export { ModuleRecord, URL_SUFFIX };

/** What the loader needs from the runtime of its codebase. */
export interface EsmHost {
  /** Node's resolution with `import` conditions: an absolute path, or `node:<id>` for a builtin. */
  resolve(specifier: string, parentPath: string | undefined): string;
  /** How Node would load the file: from its extension, the package `type`, and TS rules. */
  format(path: string): ModuleFormat;
  /** The source of a file (the codebase's fs view). */
  readFile(path: string): string;
  /** The bytes of a file (a `.wasm` module). */
  readBytes(path: string): Uint8Array;
  /** Transforms (cached) an ES module or an ESM-kind TypeScript file. */
  transform(path: string, source: string): EsmTransform;
  /** Compiles the transformed script in the realm and returns its value (the generator function). */
  compile(code: string, path: string, url: string): unknown;
  /** The JavaScript a CommonJS file runs as (TypeScript transpiled), for the export-names lexer. */
  cjsSource?(path: string): string;
  /**
   * A re-export the CJS lexer found (`module.exports = require(x)`, `__exportStar(require(x))`), resolved as
   * `require` resolves it from `parentPath`; `undefined` when Node would not lex the target for names (a
   * builtin, or an extension `require` loads other than `.js`/`.cjs`). Throws when it does not resolve.
   */
  resolveReexport?(specifier: string, parentPath: string): string | undefined;
  /** Runs a CommonJS module through the CJS loader (or returns its cached `module.exports`). */
  requireCjs(path: string): unknown;
  /** The module object of a builtin (`fs` is the codebase's view). */
  builtin(id: string): Record<string, unknown>;
  /** The package.json of `path`'s package scope (Node's getPackageScopeConfig; throws when it is not JSON). */
  packageScope(path: string): { pjsonPath: string; type?: string } | null;
  /** A JSON module's value from its text (BOM dropped; the realm's `JSON.parse` as it was before user code ran). */
  parseJson(text: string): unknown;
  /** The realm's global object: errors and promises handed to user code are the realm's. */
  global: typeof globalThis;
  /** Evaluates trusted loader code in the realm (so hot paths stay inside one V8 context). */
  evaluate(code: string): unknown;
  /** Runs a synchronous stretch of user code (the realm bounds it by its timeout, when set). */
  run?<T>(fn: () => T): T;
  /**
   * A `.json` file served as an ES module (format `module`) as tsx serves it: named exports, and imported with or
   * without `type: 'json'`.
   */
  jsonAsModule?(path: string): boolean;
}

export type { ModuleFormat } from '../module-format.js';

/** Node's warning for the first imported addon (once per process, as `emitExperimentalWarning`). */
let addonWarned = false;

/** A module whose requests are being loaded: the next one to load, and the records loaded so far. */
interface Loading {
  record: ModuleRecord;
  next: number;
  requested: ModuleRecord[];
}

export class EsmLoader {
  readonly registry = new Map<string, ModuleRecord>();
  private asyncOrder = 1;

  constructor(private readonly host: EsmHost) {}

  private realmError(
    ctor: 'SyntaxError' | 'TypeError' | 'ReferenceError' | 'RangeError' | 'Error',
    message: string,
    code?: string,
  ) {
    const C = (this.host.global[ctor] ?? globalThis[ctor]) as ErrorConstructor;
    const e = new C(message) as Error & { code?: string };
    if (code) e.code = code;
    return e;
  }

  // ---------------------------------------------------------------------------------------------- loading

  /** The record for a resolved path, created and its dependencies loaded (synchronously). */
  private load(path: string, attributes: Record<string, string>): ModuleRecord {
    // Depth first, as a recursion would, but on a stack of its own: Node loads graphs thousands of modules deep
    // (a chain of 3,000 imports), which a recursion through transform and resolve overflowed at ~1,500.
    const loading: Loading[] = [];
    const root = this.enter(path, attributes, loading);
    try {
      while (loading.length > 0) {
        const top = loading[loading.length - 1]!;
        const requests = top.record.info!.requests;
        if (top.next < requests.length) {
          const r = requests[top.next++]!;
          top.requested.push(this.enter(this.resolveFrom(r.specifier, top.record.file), r.attributes, loading));
        } else {
          top.record.requested = top.requested;
          loading.pop();
        }
      }
    } catch (error) {
      // A module whose dependencies failed to load is forgotten, so a later import tries it again.
      for (const { record } of loading) this.registry.delete(record.path);
      throw error;
    }
    return root;
  }

  /** The record for a resolved path, created if new; a new ES module is pushed on `loading` for its requests. */
  private enter(path: string, attributes: Record<string, string>, loading: Loading[]): ModuleRecord {
    const file = fileOf(path);
    const isFile = isAbsolute(file);
    if (!isFile && !path.startsWith('node:') && !path.startsWith('data:')) throw this.unsupportedScheme(path);
    const format: ModuleFormat = isFile ? this.host.format(file) : this.urlFormat(path);
    const url = urlOf(path);
    if (!(format === 'module' && this.host.jsonAsModule?.(file)))
      checkAttributes(url, format, attributes, (message, code) => this.realmError('TypeError', message, code));
    let record = this.registry.get(path);
    if (record) return record;
    record = new ModuleRecord(path, url, format);
    this.registry.set(path, record);
    if (format === 'module' || format === 'wasm') {
      try {
        let info: EsmTransform;
        if (format === 'wasm') {
          const api = (this.host.global as unknown as { WebAssembly: WasmApi }).WebAssembly;
          record.wasm = new WasmModule(this.host.readBytes(file), file, api);
          info = transformEsm(record.wasm.source, file, { names: record.wasm.names });
        } else info = this.host.transform(file, this.readSource(file));
        // `import … assert { … }`: Node 22 and later no longer parse it.
        if (info.assertAt && nodeFeatures.importAssertSyntaxRemoved)
          throw Object.assign(new SyntaxError("Unexpected identifier 'assert'"), { loc: info.assertAt });
        record.info = info;
        record.hasTLA = info.async;
      } catch (error) {
        this.registry.delete(path);
        // Syntax errors found by the transform reach user code as the realm's SyntaxError, located in the stack.
        if (error instanceof SyntaxError) {
          const located = error as SyntaxError & { loc?: { line: number; column: number } };
          const e = this.realmError('SyntaxError', located.message);
          const where = located.loc ? `:${located.loc.line}:${located.loc.column}` : '';
          Object.defineProperty(e, 'stack', {
            value: `SyntaxError: ${located.message}\n    at ${record.url}${where}`,
            configurable: true,
            writable: true,
          });
          throw e;
        }
        throw error;
      }
      loading.push({ record, next: 0, requested: [] });
    } else if (format === 'commonjs') {
      record.syntheticNames = ['default', ...[...cjsExportNames(this.host, file)].filter((n) => n !== 'default')];
      if (nodeFeatures.moduleExportsExport) record.syntheticNames.push('module.exports');
    } else if (format === 'json') {
      record.syntheticNames = ['default'];
    } else if (format === 'addon') {
      // An addon's names are unknown until it is loaded: Node exports only the two names of `module.exports`.
      record.syntheticNames = ['default', 'module.exports'];
      if (!addonWarned) {
        addonWarned = true;
        process.emitWarning(
          'Importing addons is an experimental feature and might change at any time',
          'ExperimentalWarning',
        );
      }
    } else {
      const mod = this.host.builtin(path.slice(5));
      record.syntheticNames = ['default', ...Object.keys(mod).filter((n) => n !== 'default')];
    }
    for (const name of record.syntheticNames) record.getters[name] = () => record.values[name];
    return record;
  }

  /** The source of a module: its file, or the text of its `data:` URL. */
  private readSource(path: string): string {
    if (!path.startsWith('data:')) return this.host.readFile(path);
    let text: string | undefined;
    try {
      text = dataUrlText(path);
    } catch (error) {
      // Node 20 lets decodeURIComponent's URIError through; later releases report the URL as invalid.
      if (!nodeFeatures.dataUrlInvalidAsUrl) throw error;
    }
    if (text === undefined)
      throw Object.assign(this.realmError('TypeError', 'Invalid URL', 'ERR_INVALID_URL'), { input: path });
    return text;
  }

  /** The format of a `node:` or `data:` module (Node 20 reads a data: URL before it asks its format). */
  private urlFormat(url: string): ModuleFormat {
    if (url.startsWith('node:')) return 'builtin';
    if (!nodeFeatures.dataUrlInvalidAsUrl) this.readSource(url);
    const mime = dataUrlMime(url);
    const format = dataUrlFormat(mime);
    if (format === undefined)
      throw this.realmError('RangeError', `Unknown module format: ${mime} for URL ${url}`, 'ERR_UNKNOWN_MODULE_FORMAT');
    return format;
  }

  /** A URL of a scheme Node's loader does not load (it resolved to itself). */
  private unsupportedScheme(url: string): Error {
    const protocol = new URL(url).protocol;
    // Measured: Node 24 names only file and data for http(s):, and file, data and node for other schemes.
    const schemes =
      nodeFeatures.httpSchemeMessageWithoutNode && (protocol === 'http:' || protocol === 'https:')
        ? 'file and data'
        : 'file, data, and node';
    return this.realmError(
      'Error',
      `Only URLs with a scheme in: ${schemes} are supported by the default ESM loader. Received protocol '${protocol}'`,
      'ERR_UNSUPPORTED_ESM_URL_SCHEME',
    );
  }

  private resolveFrom(specifier: string, parentPath: string | undefined): string {
    return this.host.resolve(specifier, parentPath);
  }

  // ---------------------------------------------------------------------------------------------- linking

  /** A module's own and indirect exports by name (built once). */
  private exportIndex(module: ModuleRecord): Map<string, { request: number; imported: string } | null> {
    if (module.exportIndex) return module.exportIndex;
    const index = new Map<string, { request: number; imported: string } | null>();
    const info = module.info!;
    for (const e of info.localExports) if (!index.has(e.name)) index.set(e.name, null);
    for (const e of info.indirectExports) if (!index.has(e.name)) index.set(e.name, e);
    module.exportIndex = index;
    return index;
  }

  /** The spec's ResolveExport. */
  private resolveExport(
    module: ModuleRecord,
    name: string,
    resolveSet: { module: ModuleRecord; name: string }[] = [],
  ): Resolution | null | 'ambiguous' {
    for (const r of resolveSet) if (r.module === module && r.name === name) return null; // circular import request
    resolveSet.push({ module, name });
    const info = module.info;
    if (!info) return module.syntheticNames.includes(name) ? { module, name } : null;
    const own = this.exportIndex(module).get(name);
    if (own === null) return { module, name };
    if (own !== undefined) {
      const imported = module.requested[own.request]!;
      if (own.imported === '*') return { module: imported, name: '*' };
      return this.resolveExport(imported, own.imported, resolveSet);
    }
    if (name === 'default') return null;
    let star: Resolution | null = null;
    for (const i of info.starExports) {
      const resolution = this.resolveExport(module.requested[i]!, name, resolveSet);
      if (resolution === 'ambiguous') return 'ambiguous';
      if (resolution === null) continue;
      if (star === null) star = resolution;
      else if (star.module !== resolution.module || star.name !== resolution.name) return 'ambiguous';
    }
    return star;
  }

  private exportedNames(module: ModuleRecord, visited = new Set<ModuleRecord>()): string[] {
    if (visited.has(module)) return [];
    visited.add(module);
    const info = module.info;
    if (!info) return [...module.syntheticNames];
    const names = new Set(this.exportIndex(module).keys());
    for (const i of info.starExports)
      for (const n of this.exportedNames(module.requested[i]!, visited)) if (n !== 'default') names.add(n);
    return [...names];
  }

  /** The namespace object of a module (created on first use; names resolved, ambiguous ones left out). */
  namespace(module: ModuleRecord): object {
    if (module.namespaceObject) return module.namespaceObject;
    const names: string[] = [];
    const values = this.realmObject();
    const sources: Resolution[] = [];
    for (const name of this.exportedNames(module)) {
      const r = this.resolveExport(module, name);
      if (!r || r === 'ambiguous') continue;
      names.push(name);
      sources.push(r);
      this.defineBinding(values, name, r);
    }
    // Once every export is evaluated and can never change, the namespace keeps plain values (see namespace.ts).
    // (A builtin's exports change with syncBuiltinESMExports: never fixed.)
    const fixed = sources.every(
      (r) =>
        r.name === '*' ||
        (!r.module.info && r.module.format !== 'builtin') ||
        r.module.info?.localExports.some((e) => e.name === r.name && e.constant),
    );
    const settle = (): boolean | 'never' => {
      if (!fixed) return 'never';
      for (const r of sources) {
        if (r.name === '*') continue;
        if (r.module.evaluationError) return 'never';
        if (r.module.status !== 'evaluated') return false;
      }
      return true;
    };
    module.namespaceObject = this.namespaceFactory()(names, values, this.host.global.TypeError ?? TypeError, settle);
    return module.namespaceObject;
  }

  /** The namespace factory compiled in the realm (see namespace.ts). */
  private namespaceFactory(): NamespaceFactory {
    this.createNs ??= this.host.evaluate(NAMESPACE_FACTORY) as NamespaceFactory;
    return this.createNs;
  }
  private createNs: NamespaceFactory | undefined;

  /**
   * The realm's side of import bindings. Calls from code of a vm context into functions of the host are never
   * inlined (measured: a hot loop calling two imported functions ran 40x slower through host getters), so each
   * binding's getter is compiled in the realm and calls the exporter's own getter (realm code) directly; the
   * host is only asked on the first read, and on errors.
   */
  private realmBinder(): Binder {
    if (this.binder !== undefined) return this.binder;
    const factory = this.host.evaluate(REALM_BINDER) as (helpers: object) => Binder;
    this.binder = factory({
      tdz: (name: string) => {
        throw this.tdz(name);
      },
      rethrow: (error: unknown, name: string) => {
        const e = error as { name?: unknown; message?: unknown } | null;
        if (e?.name === 'ReferenceError' && / before initialization$/.test(String(e.message))) throw this.tdz(name);
        throw error;
      },
    });
    return this.binder;
  }
  private binder: Binder | undefined;

  private realmObject(): Record<string, unknown> {
    const RealmObject = this.host.global.Object ?? Object;
    return new RealmObject() as Record<string, unknown>;
  }

  /** Defines the live binding `local` of an importer, reading the resolved export. */
  private defineBinding(bindings: Record<string, unknown>, local: string, r: Resolution): void {
    const binder = this.realmBinder();
    if (r.name === '*') {
      const target = r.module;
      // `resolve` gives a getter; a namespace never changes identity.
      binder(bindings, local, () => () => this.namespace(target), true, local);
      return;
    }
    const { module, name } = r;
    const constant = module.info?.localExports.some((e) => e.name === name && e.constant) === true;
    binder(bindings, local, () => module.getters[name], constant, local);
  }

  private tdz(name: string): Error {
    const e = this.realmError('ReferenceError', `Cannot access '${name}' before initialization`);
    Error.captureStackTrace?.(e, this.tdzCaller);
    return e;
  }
  private readonly tdzCaller = () => undefined;

  /**
   * InnerModuleLinking, without the async part: check imports, build bindings, instantiate (post-order, on a
   * stack of its own: graphs thousands of modules deep).
   */
  private link(root: ModuleRecord): void {
    if (root.status !== 'new') return;
    const seen = new Set<ModuleRecord>([root]);
    const stack: { module: ModuleRecord; next: number }[] = [{ module: root, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const dep = top.module.requested[top.next++];
      if (!dep) {
        stack.pop();
        this.linkModule(top.module);
      } else if (dep.status === 'new' && !seen.has(dep)) {
        seen.add(dep);
        stack.push({ module: dep, next: 0 });
      }
    }
  }

  /** Links one module whose dependencies are linked. */
  private linkModule(module: ModuleRecord): void {
    const info = module.info;
    if (info) {
      // A plain object (null-prototype objects start in V8's slow dictionary mode); names are own accessors.
      const bindings = this.realmObject();
      for (const imp of info.imports) {
        const dep = module.requested[imp.request]!;
        if (imp.imported === '*') {
          this.defineBinding(bindings, imp.local, { module: dep, name: '*' });
          continue;
        }
        const r = this.resolveExport(dep, imp.imported);
        const request = info.requests[imp.request]!.specifier;
        if (r === null)
          throw this.realmError('SyntaxError', this.missingExportMessage(module, dep, request, imp.imported));
        if (r === 'ambiguous')
          throw this.realmError(
            'SyntaxError',
            `The requested module '${request}' contains conflicting star exports for name '${imp.imported}'`,
          );
        this.defineBinding(bindings, imp.local, r);
      }
      for (const e of info.indirectExports) {
        const dep = module.requested[e.request]!;
        if (e.imported === '*') continue;
        const r = this.resolveExport(dep, e.imported);
        if (r === null || r === 'ambiguous')
          throw this.realmError(
            'SyntaxError',
            r === null
              ? this.missingExportMessage(module, dep, info.requests[e.request]!.specifier, e.imported)
              : `The requested module '${info.requests[e.request]!.specifier}' contains conflicting star exports for name '${e.imported}'`,
          );
      }
      const fn = this.host.compile(info.code, module.file, module.url) as (
        handle: ModuleHandle,
        bindings: object,
        dynamicImport: (specifier: unknown, options?: unknown) => Promise<object>,
      ) => Generator | AsyncGenerator;
      const path = module.file;
      module.generator = fn.call(undefined, this.handle(module), bindings, (specifier, options) =>
        this.dynamicImport(specifier, options, path),
      );
      const first = module.generator.next();
      if (module.hasTLA) module.instantiated = first as Promise<unknown>;
    }
    module.status = 'linked';
  }

  /**
   * V8's message for an import (or re-export) of a name `dep` lacks; for a CommonJS `dep`, Node's rewrite of it,
   * whose example destructures the `{ … }` of the source line holding the name (none when it is not on that line).
   */
  private missingExportMessage(module: ModuleRecord, dep: ModuleRecord, request: string, name: string): string {
    if (dep.format !== 'commonjs')
      return `The requested module '${request}' does not provide an export named '${name}'`;
    let line: string | undefined;
    try {
      line = statementLine(this.readSource(module.file), request, name);
    } catch {}
    const braces = line === undefined ? null : /{.*}/.exec(line);
    const destructuring = braces ? `const ${braces[0].replace(/\s+as\s+/g, ': ')} = pkg;\n` : '';
    return (
      `Named export '${name}' not found. The requested module '${request}' is a CommonJS module, which may not ` +
      'support all module.exports as named exports.\nCommonJS modules can always be imported via the default ' +
      `export, for example using:\n\nimport pkg from '${request}';\n${destructuring}`
    );
  }

  private handle(module: ModuleRecord): ModuleHandle {
    const meta = Object.create(null) as Record<string, unknown>;
    // Only a file's module has `dirname` and `filename`.
    if (module.url.startsWith('file:')) {
      meta.dirname = dirname(module.file);
      meta.filename = module.file;
    }
    // Node 24.2+: true only for the process's entry module, which a codebase's module never is (keys in Node's order).
    if (nodeFeatures.importMetaMain) meta.main = false;
    // A named function, as Node's (`import.meta.resolve.name` is 'resolve').
    const resolve = (specifier: string) => {
      const request = String(specifier);
      let resolved: string;
      try {
        resolved = this.resolveFrom(request, module.file);
      } catch (error) {
        // As Node: a file that does not exist (a path, or an exports target) still resolves to its URL, which the
        // resolver's error carries; a missing package throws.
        const { code, url } = (error ?? {}) as { code?: unknown; url?: unknown };
        if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNSUPPORTED_DIR_IMPORT') && typeof url === 'string')
          return url;
        // An unknown `node:` module resolves; it fails when loaded.
        if (code === 'ERR_UNKNOWN_BUILTIN_MODULE' && /^node:/i.test(request)) return request;
        throw error;
      }
      return urlOf(resolved);
    };
    // Node 26 declares `resolve(specifier, parentURL)` (the second argument is ignored unflagged).
    Object.defineProperty(resolve, 'length', { value: nodeFeatures.importMetaResolveLength });
    meta.resolve = resolve;
    meta.url = module.url;
    const handle: ModuleHandle = {
      [M.exports](getters) {
        Object.assign(module.getters, getters);
      },
      [M.nameDefault](fn) {
        Object.defineProperty(fn, 'name', { value: 'default', configurable: true });
      },
      [M.unbound]: this.unbound,
      [M.evalSource]: (code) => {
        const info = module.info;
        if (typeof code !== 'string' || !info) return code;
        const named = info.imports.filter((i) => i.imported !== '*').map((i) => i.local);
        return rewriteEvalSource(code, named, info.names);
      },
      [M.meta]: meta,
    };
    const wasm = module.wasm;
    if (wasm) handle[M.wasm] = (imports) => wasm.instantiate(imports, this.namespace(module));
    return handle;
  }

  /** `arguments` read at module level: unbound in a module, so V8's ReferenceError (thrown from the caller). */
  private readonly unbound = (name: string): never => {
    const error = this.realmError('ReferenceError', `${name} is not defined`);
    Error.captureStackTrace(error, this.unbound);
    throw error;
  };

  // ---------------------------------------------------------------------------------------------- evaluation

  private newCapability() {
    const P = (this.host.global.Promise ?? Promise) as PromiseConstructor;
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new P<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {});
    return { promise, resolve, reject };
  }

  /** The spec's Evaluate(): a promise settled when the module and its dependencies have run. */
  private evaluate(start: ModuleRecord): Promise<void> {
    let module = start;
    if ((module.status === 'evaluating-async' || module.status === 'evaluated') && module.cycleRoot)
      module = module.cycleRoot;
    if (module.capability) return module.capability.promise;
    const stack: ModuleRecord[] = [];
    const capability = this.newCapability();
    module.capability = capability;
    try {
      this.innerEvaluation(module, stack, 0);
    } catch (error) {
      restoreImportNames(error);
      for (const m of stack) {
        m.status = 'evaluated';
        m.evaluationError = { error };
      }
      capability.reject(error);
      return capability.promise;
    }
    if (!module.asyncEvaluation) capability.resolve();
    return capability.promise;
  }

  private innerEvaluation(module: ModuleRecord, stack: ModuleRecord[], index: number): number {
    if (module.status === 'evaluating-async' || module.status === 'evaluated') {
      if (module.evaluationError) throw module.evaluationError.error;
      return index;
    }
    if (module.status === 'evaluating') return index;
    module.status = 'evaluating';
    module.dfsIndex = index;
    module.dfsAncestorIndex = index;
    module.pendingAsyncDependencies = 0;
    index++;
    stack.push(module);
    for (let required of module.requested) {
      index = this.innerEvaluation(required, stack, index);
      if (required.status === 'evaluating')
        module.dfsAncestorIndex = Math.min(module.dfsAncestorIndex, required.dfsAncestorIndex);
      else {
        required = required.cycleRoot ?? required;
        if (required.evaluationError) throw required.evaluationError.error;
      }
      if (required.asyncEvaluation) {
        module.pendingAsyncDependencies++;
        required.asyncParentModules.push(module);
      }
    }
    if (module.pendingAsyncDependencies > 0 || module.hasTLA) {
      module.asyncEvaluation = true;
      module.asyncEvaluationOrder = this.asyncOrder++;
      if (module.pendingAsyncDependencies === 0) this.executeAsync(module);
    } else this.execute(module);
    if (module.dfsAncestorIndex === module.dfsIndex) {
      for (;;) {
        const m = stack.pop()!;
        m.status = m.asyncEvaluation ? 'evaluating-async' : 'evaluated';
        m.cycleRoot = module;
        if (m === module) break;
      }
    }
    return index;
  }

  /** Runs a module without top-level await (synchronously). */
  private execute(module: ModuleRecord): void {
    if (module.generator) {
      const generator = module.generator;
      if (this.host.run) this.host.run(() => generator.next());
      else generator.next();
      return;
    }
    const values = module.values;
    if (module.format === 'addon') {
      // Loaded as `require` loads it (one instance, in the require cache).
      values.default = values['module.exports'] = this.host.requireCjs(module.file);
    } else if (module.format === 'commonjs') {
      const exports = this.host.requireCjs(module.file) as Record<string, unknown>;
      for (const name of module.syntheticNames) {
        if (name === 'default' || name === 'module.exports') continue;
        if (exports == null || !Object.hasOwn(exports, name)) continue;
        try {
          values[name] = exports[name];
        } catch {}
      }
      values.default = exports;
      if (module.syntheticNames.includes('module.exports')) values['module.exports'] = exports;
    } else if (module.format === 'json') {
      try {
        values.default = this.host.parseJson(this.readSource(module.file));
      } catch (error) {
        const e = error as Error;
        e.message = `${module.file}: ${e.message}`;
        throw e;
      }
    } else {
      const mod = this.host.builtin(module.path.slice(5));
      for (const name of module.syntheticNames) values[name] = name === 'default' ? mod : mod[name];
    }
  }

  private executeAsync(module: ModuleRecord): void {
    const run = async () => {
      if (module.instantiated) await module.instantiated;
      return module.generator!.next();
    };
    // The body starts synchronously when instantiation has completed (the usual case: linking awaited it).
    const start = () => module.generator!.next() as Promise<unknown>;
    const started = module.instantiatedDone ? (this.host.run ? this.host.run(start) : start()) : run();
    Promise.resolve(started).then(
      () => this.asyncFulfilled(module),
      (error) => this.asyncRejected(module, error),
    );
  }

  private gatherAncestors(module: ModuleRecord, execList: ModuleRecord[]): void {
    for (const m of module.asyncParentModules) {
      if (execList.includes(m) || (m.cycleRoot ?? m).evaluationError) continue;
      m.pendingAsyncDependencies--;
      if (m.pendingAsyncDependencies === 0) {
        execList.push(m);
        if (!m.hasTLA) this.gatherAncestors(m, execList);
      }
    }
  }

  private asyncFulfilled(module: ModuleRecord): void {
    if (module.status === 'evaluated') return;
    module.asyncEvaluation = false;
    module.status = 'evaluated';
    module.capability?.resolve();
    const execList: ModuleRecord[] = [];
    this.gatherAncestors(module, execList);
    execList.sort((a, b) => a.asyncEvaluationOrder - b.asyncEvaluationOrder);
    for (const m of execList) {
      if (m.status === 'evaluated') continue;
      if (m.hasTLA) this.executeAsync(m);
      else {
        try {
          this.execute(m);
        } catch (error) {
          this.asyncRejected(m, error);
          continue;
        }
        m.asyncEvaluation = false;
        m.status = 'evaluated';
        m.capability?.resolve();
      }
    }
  }

  private asyncRejected(module: ModuleRecord, error: unknown): void {
    if (module.status === 'evaluated') return;
    restoreImportNames(error);
    module.evaluationError = { error };
    module.status = 'evaluated';
    for (const m of module.asyncParentModules) this.asyncRejected(m, error);
    module.capability?.reject(error);
  }

  // ---------------------------------------------------------------------------------------------- entry points

  /** Loads and links a graph; awaits the instantiation of async modules so their bodies start synchronously. */
  private async prepare(path: string, attributes: Record<string, string>): Promise<ModuleRecord> {
    const record = this.load(path, attributes);
    // The graph in depth-first pre-order (iteratively: graphs thousands of modules deep).
    const linked: ModuleRecord[] = [];
    const seen = new Set<ModuleRecord>([record]);
    const stack: { module: ModuleRecord; next: number }[] = [{ module: record, next: 0 }];
    if (record.status === 'new') linked.push(record);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const dep = top.module.requested[top.next++];
      if (!dep) stack.pop();
      else if (!seen.has(dep)) {
        seen.add(dep);
        if (dep.status === 'new') linked.push(dep);
        stack.push({ module: dep, next: 0 });
      }
    }
    this.link(record);
    for (const m of linked)
      if (m.instantiated) {
        await m.instantiated;
        m.instantiatedDone = true;
      }
    return record;
  }

  /** `import(path)` of an absolute path: the namespace object, once the module has evaluated. */
  async importPath(path: string, attributes: Record<string, string> = {}): Promise<object> {
    const record = await this.prepare(path, attributes);
    try {
      await this.evaluate(record);
    } catch (error) {
      this.explainCommonJsGlobal(error, record);
      throw error;
    }
    return this.namespace(record);
  }

  /**
   * Node's module job, when evaluating its graph throws `require is not defined` (or `module`, `exports`,
   * `__filename`, `__dirname`), adds `in ES module scope` (and the hint for a `.js` file under `"type": "module"`).
   */
  private explainCommonJsGlobal(error: unknown, root: ModuleRecord): void {
    const e = error as { name?: unknown; message?: unknown } | null;
    if (e === null || typeof e !== 'object' || e.name !== 'ReferenceError' || typeof e.message !== 'string') return;
    if (!CJS_WRAPPER_PARAMS.some((name) => e.message === `${name} is not defined`)) return;
    let message = `${e.message} in ES module scope`;
    if (message.startsWith('require ')) message += ', you can use import instead';
    if (root.url.startsWith('file://') && /\.js$/.test(root.file)) {
      let scope: { pjsonPath: string; type?: string } | null = null;
      try {
        scope = this.host.packageScope(root.file);
      } catch {}
      if (scope?.type === 'module')
        message +=
          "\nThis file is being treated as an ES module because it has a '.js' file extension and '" +
          scope.pjsonPath +
          '\' contains "type": "module". To treat it as a CommonJS script, rename it to use the \'.cjs\' file extension.';
    }
    try {
      e.message = message;
    } catch {}
  }

  /** `import(specifier, options)` from a module (ESM or CommonJS) at `parentPath`: a realm promise. */
  dynamicImport(specifier: unknown, options: unknown, parentPath: string | undefined): Promise<object> {
    const P = (this.host.global.Promise ?? Promise) as PromiseConstructor;
    return new P<object>((resolve, reject) => {
      try {
        const attributes = importAttributes(options, this.host.global.TypeError ?? TypeError);
        const path = this.resolveFrom(String(specifier), parentPath);
        this.importPath(path, attributes).then(resolve, reject);
      } catch (error) {
        reject(error);
      }
    });
  }

  /** Node's `syncBuiltinESMExports`: each loaded builtin's named exports re-read from its module object. */
  syncBuiltinExports(): void {
    for (const record of this.registry.values()) {
      if (record.format !== 'builtin' || record.status !== 'evaluated') continue;
      const mod = this.host.builtin(record.path.slice(5));
      for (const name of record.syntheticNames) if (name !== 'default') record.values[name] = mod[name];
    }
  }

  /**
   * `require()` of an ES module, as Node 22.12+/24 does it: synchronous, refused for a graph with top-level
   * await (`ERR_REQUIRE_ASYNC_MODULE`). Returns the namespace object.
   */
  requireModule(path: string, requireStack: () => string[] = () => []): object {
    const record = this.load(path, {});
    // The module is running (it imported, directly or not, the CommonJS module that requires it).
    if (record.status === 'evaluating') {
      const parent = requireStack()[0];
      throw this.realmError(
        'Error',
        `Cannot require() ES Module ${path} in a cycle.${parent ? ` (from ${parent})` : ''} A cycle involving ` +
          'require(esm) is not allowed to maintain invariants mandated by the ECMAScript specification. Try making' +
          ' at least part of the dependency in the graph lazily loaded.',
        'ERR_REQUIRE_CYCLE_MODULE',
      );
    }
    this.link(record);
    const hasAsync = (m: ModuleRecord, seen = new Set<ModuleRecord>()): boolean => {
      if (seen.has(m)) return false;
      seen.add(m);
      return m.hasTLA || m.requested.some((d) => hasAsync(d, seen));
    };
    if (hasAsync(record)) {
      const stack = requireStack();
      // Who required it: Node 20 names the requirer, later releases the whole require stack.
      let where = '';
      if (!nodeFeatures.requireAsyncModuleStack)
        where = stack.length ? `\n  From ${stack[0]} \n  Requiring ${path} ` : '';
      else where = `\nRequired module: ${path}${stack.length ? `\nRequire stack:\n- ${stack.join('\n- ')}` : ''}`;
      throw this.realmError(
        'Error',
        'require() cannot be used on an ESM graph with top-level await. Use import() instead. To see where the' +
          ` top-level await comes from, use --experimental-print-required-tla.${where}`,
        'ERR_REQUIRE_ASYNC_MODULE',
      );
    }
    const promise = this.evaluate(record);
    if (record.evaluationError) throw record.evaluationError.error;
    void promise;
    return this.namespace(record);
  }
}
