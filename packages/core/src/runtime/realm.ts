/**
 * The realm a codebase's code runs in: its own `vm.Context` (one per ZipCodebase), or the host's main context
 * (host realm mode, `Codebase`). Creating the realm is separate from loading modules: the registry only asks
 * the realm to compile functions and to run an evaluation (under the optional timeout).
 *
 * ## Which globals come from where (context mode)
 *
 * The context has its own ECMAScript intrinsics (`Object`, `Array`, `Error`, `JSON`, `Promise`, `Map`, `RegExp`,
 * `Intl`, `WebAssembly`, `Atomics`, ...): object and array literals, `JSON.parse`, errors thrown by the language
 * all belong to it, so code that sets globals or patches prototypes affects only its own codebase.
 * Node's own globals are not part of V8 and are taken from the host:
 *
 * | global(s)                                                | from    | why |
 * | -------------------------------------------------------- | ------- | --- |
 * | `global`, `globalThis`                                   | context | the codebase's own global object; writes stay in it |
 * | `process`                                                | host    | one process: `env`, `argv`, `exitCode`, listeners are shared; a view whose `getBuiltinModule` is the codebase's |
 * | `Buffer`                                                 | host    | Node's Buffer is bound to the host's `Uint8Array`; see typed arrays |
 * | `ArrayBuffer`, `SharedArrayBuffer`, `DataView`, all typed arrays | host | every binary value Node hands back (Buffer, `TextEncoder`, `fs`, `crypto`, streams) is a host typed array, so `Buffer.from('x') instanceof Uint8Array` and `encode() instanceof Uint8Array` hold only if these are the host's (Jest's classic cross-realm bug) |
 * | timer functions                                          | own     | wrappers of the host's (realm-globals.ts): cleared on dispose, callback errors to the codebase |
 * | `queueMicrotask`, `structuredClone`                      | host    | bound to the host's event loop; a context has none |
 * | `console`                                                | own     | a copy of the host's (the context's V8 console prints nowhere) |
 * | `URL`, `URLSearchParams`, `TextEncoder`/`Decoder`        | own     | subclasses of Node's, so patches stay in the codebase |
 * | `atob`/`btoa`                                            | host    | Node implementations, not in V8 |
 * | `fetch`, `Headers`, `Request`, `Response`, `FormData`, `WebSocket`, `EventSource` | host | undici, bound to the host's I/O |
 * | `AbortController`/`Signal`, `Event`, `EventTarget`, `CustomEvent`, `DOMException` | host | so host APIs (fetch, timers/promises, streams) accept them |
 * | web streams, `Blob`, `File`, `CompressionStream`, ...     | host    | Node implementations, interoperating with the host's I/O |
 * | `BroadcastChannel`, `MessageChannel`/`Port`/`Event`      | host    | bound to the host's worker machinery |
 * | `performance` (+ entry classes), `crypto` (+ classes), `navigator` | host | Node implementations |
 * | `WebAssembly`                                            | context | part of V8; each codebase gets its own (memory buffers are context `ArrayBuffer`s) |
 *
 * Consequences (also in docs/realm.md): values made by host functions have host prototypes: arrays from
 * `fs.readdirSync` or `structuredClone` are not `instanceof Array` inside the codebase (`Array.isArray` works),
 * promises from host APIs are host promises (`await` works). Errors thrown by the codebase's `fs` view are
 * rebuilt in the realm (`rebuildError`) so `err instanceof Error` holds; errors from other builtins keep the
 * host prototype. `vm` is not a security boundary.
 */
import vm from 'node:vm';
import { CodesaveError } from '../errors.js';
import { TIMED_ENTRY } from './names.js';
import { installOwnGlobals, type OwnGlobals, processView } from './realm-globals.js';

/** Host globals a module sees in Node and which a vm.Context lacks (taken when the host has them). */
export const HOST_GLOBALS: readonly string[] = [
  'process',
  'Buffer',
  'console',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'setImmediate',
  'clearImmediate',
  'queueMicrotask',
  'structuredClone',
  'URL',
  'URLSearchParams',
  'TextEncoder',
  'TextDecoder',
  'atob',
  'btoa',
  'fetch',
  'Headers',
  'Request',
  'Response',
  'FormData',
  'WebSocket',
  'CloseEvent',
  'EventSource',
  'URLPattern',
  'Storage',
  'localStorage',
  'sessionStorage',
  'AbortController',
  'AbortSignal',
  'Event',
  'EventTarget',
  'CustomEvent',
  'DOMException',
  'ErrorEvent',
  'QuotaExceededError',
  'Blob',
  'File',
  'BroadcastChannel',
  'MessageChannel',
  'MessagePort',
  'MessageEvent',
  'performance',
  'Performance',
  'PerformanceEntry',
  'PerformanceMark',
  'PerformanceMeasure',
  'PerformanceObserver',
  'PerformanceObserverEntryList',
  'PerformanceResourceTiming',
  'crypto',
  'Crypto',
  'CryptoKey',
  'SubtleCrypto',
  'navigator',
  'Navigator',
  'ReadableStream',
  'ReadableStreamDefaultReader',
  'ReadableStreamBYOBReader',
  'ReadableStreamBYOBRequest',
  'ReadableByteStreamController',
  'ReadableStreamDefaultController',
  'TransformStream',
  'TransformStreamDefaultController',
  'WritableStream',
  'WritableStreamDefaultWriter',
  'WritableStreamDefaultController',
  'ByteLengthQueuingStrategy',
  'CountQueuingStrategy',
  'TextEncoderStream',
  'TextDecoderStream',
  'CompressionStream',
  'DecompressionStream',
  // binary data: see the table above
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float16Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

const ERROR_NAMES = ['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError'];

export interface RealmIntrinsics {
  Object: ObjectConstructor;
  Array: ArrayConstructor;
  Error: ErrorConstructor;
  TypeError: TypeErrorConstructor;
  SyntaxError: SyntaxErrorConstructor;
  JSON: JSON;
  Promise: PromiseConstructor;
  Function: FunctionConstructor;
}

export interface RealmOptions {
  /** `'context'`: a new vm.Context (ZipCodebase); `'host'`: the main context (Codebase). */
  kind: 'context' | 'host';
  /** Bound on synchronous evaluation of the outermost module load, in milliseconds. */
  timeoutMs?: number;
  /** Name shown by debuggers for the context. */
  name?: string;
}

export interface CompileOptions {
  /** Passed to `vm.compileFunction` (the ESM loader's hook for `import()`). */
  importModuleDynamically?: vm.CompileFunctionOptions['importModuleDynamically'];
  /** Columns stack traces subtract on the first line (code put before the source on its line). */
  columnOffset?: number;
}

export class Realm {
  readonly kind: 'context' | 'host';
  /** The vm context, `undefined` in host mode. */
  context: vm.Context | undefined;
  /** The realm's `globalThis`. */
  readonly global: typeof globalThis;
  readonly intrinsics: RealmIntrinsics;
  readonly timeoutMs: number | undefined;
  #depth = 0;
  #timedScript: vm.Script | undefined;
  #errorProtos = new Map<object, object>();
  #own: OwnGlobals | undefined;
  /**
   * Where an exception thrown by one of the realm's timer callbacks goes (the codebase's `'error'` event):
   * returns `true` when taken; otherwise it propagates as in Node.
   */
  reportError: ((error: unknown) => boolean) | undefined;
  /** The codebase's builtin modules (its `require('fs')`), for `process.getBuiltinModule`; set by the runtime. */
  builtinModule: ((id: string) => unknown) | undefined;
  #process: NodeJS.Process | undefined;

  constructor(options: RealmOptions) {
    this.kind = options.kind;
    this.timeoutMs = options.timeoutMs;
    if (options.kind === 'host') {
      this.global = globalThis;
    } else {
      this.context = vm.createContext({}, { name: options.name ?? 'codesave' });
      this.global = vm.runInContext('globalThis', this.context) as typeof globalThis;
      installHostGlobals(this.global);
      this.#own = installOwnGlobals(
        this.global,
        (error) => this.reportError?.(error) ?? false,
        (error) => this.rebuildError(error),
      );
      const process = this.process;
      const descriptor = Object.getOwnPropertyDescriptor(this.global, 'process');
      if (descriptor && process !== globalThis.process)
        Object.defineProperty(this.global, 'process', {
          get: () => process,
          // Node's own setter: assigning `process` replaces it for the codebase.
          set: (value: unknown) =>
            Object.defineProperty(this.global, 'process', { value, writable: true, configurable: true }),
          configurable: true,
          enumerable: descriptor.enumerable ?? false,
        });
    }
    const g = this.global as unknown as Record<string, any>;
    this.intrinsics = {
      Object: g.Object,
      Array: g.Array,
      Error: g.Error,
      TypeError: g.TypeError,
      SyntaxError: g.SyntaxError,
      JSON: g.JSON,
      Promise: g.Promise,
      Function: g.Function,
    };
    if (options.kind === 'context') {
      const host = globalThis as unknown as Record<string, any>;
      for (const name of ERROR_NAMES) this.#errorProtos.set(host[name].prototype, g[name].prototype);
    }
  }

  /** Compile `code` as the body of a function with `params`, in this realm, with `filename` in stack traces. */
  compileFunction(code: string, params: readonly string[], filename: string, options: CompileOptions = {}): Function {
    return vm.compileFunction(code, [...params], {
      filename,
      ...(options.columnOffset ? { columnOffset: options.columnOffset } : {}),
      ...(this.context ? { parsingContext: this.context } : {}),
      ...(options.importModuleDynamically ? { importModuleDynamically: options.importModuleDynamically } : {}),
    });
  }

  /** Run a script in the realm (sloppy, global scope). */
  runScript(code: string, filename: string): unknown {
    const script = new vm.Script(code, { filename });
    return this.context ? script.runInContext(this.context) : script.runInThisContext();
  }

  /**
   * Run `fn` as an evaluation of user code. The outermost one is bounded by `timeoutMs` when set: an endless
   * loop becomes `CodesaveError('ERR_TIMEOUT')`. Termination skips every `finally` between here and the loop:
   * callers must repair their state when this throws `ERR_TIMEOUT`.
   */
  evaluate<T>(fn: () => T): T {
    if (this.timeoutMs === undefined || this.#depth > 0) {
      this.#depth++;
      try {
        return fn();
      } finally {
        this.#depth--;
      }
    }
    this.#timedScript ??= new vm.Script(`this[${JSON.stringify(TIMED_ENTRY)}]()`, {
      filename: 'codesave:evaluate',
    });
    Object.defineProperty(this.global, TIMED_ENTRY, { value: fn, configurable: true, writable: true });
    this.#depth++;
    try {
      return (
        this.context
          ? this.#timedScript.runInContext(this.context, { timeout: this.timeoutMs })
          : this.#timedScript.runInThisContext({ timeout: this.timeoutMs })
      ) as T;
    } catch (error) {
      if ((error as { code?: unknown })?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        throw new CodesaveError(
          'ERR_TIMEOUT',
          `Evaluation of the codebase's code took longer than timeoutMs (${this.timeoutMs} ms) and was stopped. Raise timeoutMs or look for an endless loop at module top level.`,
          { cause: error, details: { timeoutMs: this.timeoutMs } },
        );
      }
      throw error;
    } finally {
      this.#depth = 0;
      delete (this.global as unknown as Record<string, unknown>)[TIMED_ENTRY];
    }
  }

  /** A copy of `items` as an array of this realm (`instanceof Array` holds in user code). */
  toRealmArray<T>(items: readonly T[]): T[] {
    return this.context ? this.intrinsics.Array.from(items) : [...items];
  }

  /** An empty plain object of this realm. */
  newObject(): Record<string, unknown> {
    return this.context ? Object.create(this.intrinsics.Object.prototype) : {};
  }

  /**
   * Give a host error (from `fs`, say) the prototype of the same error class of this realm, in place, so
   * `err instanceof Error` holds in user code. Message, code, stack and other properties are kept.
   */
  rebuildError<E>(error: E): E {
    if (this.context && error !== null && typeof error === 'object') {
      const proto = this.#realmProtoOf(Object.getPrototypeOf(error));
      if (proto) Object.setPrototypeOf(error, proto);
    }
    return error;
  }

  /** The `process` the realm's code sees (in a context, a view whose `getBuiltinModule` is the codebase's). */
  get process(): NodeJS.Process {
    if (!this.context) return process;
    this.#process ??= processView(
      (id) => {
        if (!this.builtinModule) throw new CodesaveError('ERR_DISPOSED', 'This codebase was disposed.');
        return this.builtinModule(id);
      },
      (error) => this.rebuildError(error),
    );
    return this.#process;
  }

  /** The realm's own timer functions (for its `timers` module), `undefined` in host mode. */
  get timers(): Readonly<Record<string, Function>> | undefined {
    return this.#own?.timers;
  }

  /** Timers, intervals and immediates the realm's code created and that are still pending. */
  get pendingTimers(): number {
    return this.#own?.pending ?? 0;
  }

  /**
   * The realm's counterpart of a host error prototype: the class's own (`TypeError.prototype`), or for Node's
   * internal subclasses (`NodeTypeError`, whose `toString` reads `TypeError [ERR_X]: …`) a copy of their prototype
   * chained to the realm's class. Made once per host prototype.
   */
  #realmProtoOf(hostProto: object | null): object | undefined {
    if (hostProto === null) return undefined;
    const known = this.#errorProtos.get(hostProto);
    if (known) return known;
    const parent = Object.getPrototypeOf(hostProto) as object | null;
    if (parent === null || parent === Object.prototype) return undefined;
    const realmParent = this.#realmProtoOf(parent);
    if (!realmParent) return undefined;
    const copy = Object.create(realmParent, Object.getOwnPropertyDescriptors(hostProto)) as object;
    this.#errorProtos.set(hostProto, copy);
    return copy;
  }

  /** Drop the context (and with it everything the codebase's code created); its pending timers are cleared. */
  dispose(): void {
    this.#own?.clearAll();
    this.#own = undefined;
    this.reportError = undefined;
    this.builtinModule = undefined;
    this.context = undefined;
    this.#timedScript = undefined;
    this.#errorProtos.clear();
  }
}

/**
 * Globals backed by undici. On Node 24 they are V8 lazy data properties, which even
 * `Object.getOwnPropertyDescriptor` materialises, loading undici (~26 ms) in a process that may never use it:
 * the context reads them from the host on first use instead, then takes the host's shape.
 */
const UNDICI_GLOBALS = new Set([
  'fetch',
  'FormData',
  'Headers',
  'Request',
  'Response',
  'WebSocket',
  'EventSource',
  'MessageEvent',
  'CloseEvent',
]);

/** Define Node's host globals on a context's global, lazily for the ones Node itself defines lazily. */
function installHostGlobals(target: typeof globalThis): void {
  const host = globalThis as unknown as Record<string, unknown>;
  // In the host's own order, so `Object.keys(globalThis)` lists them as Node does.
  const wanted = new Set([...HOST_GLOBALS, 'global']);
  // Node's lazy globals become data properties on first read (`TextEncoder`, `atob`, ...) or stay accessors
  // (`process`, `crypto`): whichever the host's property did, the context's does too.
  const readOnFirstUse = (name: string, enumerable: boolean, settable: boolean) =>
    Object.defineProperty(target, name, {
      get() {
        const value = host[name];
        const now = Object.getOwnPropertyDescriptor(globalThis, name);
        if (now && 'value' in now) Object.defineProperty(target, name, { value, writable: now.writable });
        return value;
      },
      set: settable ? (value: unknown) => Object.defineProperty(target, name, { value, writable: true }) : undefined,
      configurable: true,
      enumerable,
    });
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (!wanted.has(name)) continue;
    if (UNDICI_GLOBALS.has(name)) {
      readOnFirstUse(name, Object.prototype.propertyIsEnumerable.call(globalThis, name), true);
      continue;
    }
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
    if (!descriptor) continue;
    if (name === 'global') {
      Object.defineProperty(target, 'global', {
        value: target,
        writable: true,
        configurable: true,
        enumerable: descriptor.enumerable ?? true,
      });
    } else if ('value' in descriptor) {
      Object.defineProperty(target, name, {
        value: descriptor.value,
        writable: true,
        configurable: true,
        enumerable: descriptor.enumerable ?? false,
      });
    } else readOnFirstUse(name, descriptor.enumerable ?? false, descriptor.set !== undefined);
  }
  if (!Object.hasOwn(target, 'global'))
    Object.defineProperty(target, 'global', { value: target, writable: true, configurable: true, enumerable: true });
  // `Object.prototype.toString.call(globalThis)` is '[object global]' in Node (bootstrap sets the tag).
  const tag = Object.getOwnPropertyDescriptor(globalThis, Symbol.toStringTag);
  if (tag && !Object.hasOwn(target, Symbol.toStringTag)) Object.defineProperty(target, Symbol.toStringTag, tag);
  // Node 20's bootstrap adds `Symbol.dispose` / `Symbol.asyncDispose` (V8 lacks them): the context's `Symbol` gets
  // the same symbols, so `using` (as tsx lowers it) and Node's own disposable objects agree with the context.
  const symbol = (target as unknown as { Symbol: SymbolConstructor }).Symbol;
  for (const name of ['dispose', 'asyncDispose'] as const) {
    const own = Object.getOwnPropertyDescriptor(Symbol, name);
    if (own && !Object.hasOwn(symbol, name)) Object.defineProperty(symbol, name, own);
  }
}
