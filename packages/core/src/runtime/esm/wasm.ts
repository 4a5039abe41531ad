/**
 * `import` of a `.wasm` file (WebAssembly ESM integration, instance phase), as Node 22.19+ and 24.5+ do it
 * unflagged: the module's imports are ES module requests (namespaces become the import object), its exports
 * are bindings set once it is instantiated at evaluation; exported globals are read as their values, while a
 * global one wasm module imports from another stays the `WebAssembly.Global` itself.
 *
 * The record runs as a generated ES module through the usual transform, which calls back into
 * {@link WasmModule.instantiate} through the module handle.
 */
import { M, type ProtocolNames, protocolNames } from '../transform/names.js';

/** The part of a realm's `WebAssembly` the loader uses (Node's type library has no WebAssembly JS API). */
export interface WasmApi {
  Module: {
    new (bytes: Uint8Array): object;
    imports(module: object): { module: string; name: string; kind: string }[];
    exports(module: object): { name: string; kind: string }[];
  };
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** Instance exports of each evaluated wasm module, by its namespace (Node's `[[Instance]]` slot). */
const instances = new WeakMap<object, Record<string, unknown>>();

let warned = false;

/** A compiled `.wasm` file and the ES module source that stands for it. */
export class WasmModule {
  readonly source: string;
  /** The injected names {@link source} uses (transform it with these). */
  readonly names: ProtocolNames;
  readonly #compiled: object;
  readonly #exports: { name: string; global: boolean }[];
  readonly #globalImports: { module: string; name: string }[];
  readonly #WebAssembly: WasmApi;

  /** Compiles `bytes` with the realm's `WebAssembly` (a CompileError names the file, as Node's does). */
  constructor(bytes: Uint8Array, file: string, realmWebAssembly: WasmApi) {
    if (!warned) {
      warned = true;
      process.emitWarning(
        'Importing WebAssembly module instances is an experimental feature and might change at any time',
        'ExperimentalWarning',
      );
    }
    this.#WebAssembly = realmWebAssembly;
    try {
      this.#compiled = new realmWebAssembly.Module(bytes);
    } catch (error) {
      (error as Error).message = `${file}: ${(error as Error).message}`;
      throw error;
    }
    const imports = realmWebAssembly.Module.imports(this.#compiled);
    this.#globalImports = imports.filter((i) => i.kind === 'global');
    const requests = [...new Set(imports.map((i) => i.module))];
    this.#exports = realmWebAssembly.Module.exports(this.#compiled).map((e) => ({
      name: e.name,
      global: e.kind === 'global',
    }));
    const lines = requests.map((r, i) => `import * as $i${i} from ${JSON.stringify(r)};`);
    if (this.#exports.length > 0) {
      lines.push(`let ${this.#exports.map((_, i) => `$e${i}`).join(', ')};`);
      lines.push(`export { ${this.#exports.map((e, i) => `$e${i} as ${JSON.stringify(e.name)}`).join(', ')} };`);
    }
    const importObject = requests.map((r, i) => `${JSON.stringify(r)}: $i${i}`).join(', ');
    const targets = this.#exports.map((_, i) => `$e${i}`).join(', ');
    // The names are chosen from the generated text (export names are the wasm file's): the transform takes them.
    this.names = protocolNames(lines.join('\n'));
    lines.push(`[${targets}] = ${this.names.module}.${M.wasm}({ ${importObject} });`);
    this.source = `${lines.join('\n')}\n`;
  }

  /**
   * Instantiates with the namespaces of the imports; returns the export values in order. `namespace` is this
   * module's own namespace (wasm modules importing it get its instance's globals).
   */
  instantiate(imports: Record<string, object>, namespace: object): unknown[] {
    for (const specifier of Object.keys(imports)) {
      const instance = instances.get(imports[specifier]!);
      if (!instance) continue;
      const wrapped: Record<string, unknown> = Object.assign(Object.create(null), imports[specifier]);
      for (const { module, name } of this.#globalImports) if (module === specifier) wrapped[name] = instance[name];
      imports[specifier] = wrapped;
    }
    const { exports } = new this.#WebAssembly.Instance(this.#compiled, imports);
    instances.set(namespace, exports);
    return this.#exports.map(({ name, global }) => {
      const value = exports[name];
      if (!global) return value;
      try {
        return (value as { value: unknown }).value;
      } catch {
        return undefined; // v128 has no JS value
      }
    });
  }
}
