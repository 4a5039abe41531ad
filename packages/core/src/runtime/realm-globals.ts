/**
 * The host globals a context gets as objects of its own, so that a codebase patching them (as polyfills and
 * instrumentation do) changes nothing in the host or in another codebase, and so that its timers are its own:
 *
 * - `console`: a copy of the host's (its methods are bound to the host console: output is the host's);
 * - timer functions (`setTimeout`, `setInterval`, `setImmediate` and their `clear*`): wrappers that keep the
 *   handles the codebase created (cleared on dispose) and report a callback's exception to the codebase;
 * - `URL`, `URLSearchParams`, `TextEncoder`, `TextDecoder`: subclasses of the host's, so their prototypes and
 *   statics are the codebase's; `instanceof` still holds for values the host's builtins make.
 *
 * Binary data (`Buffer`, typed arrays) stays the host's: see docs/realm.md for the measured reason.
 */

type Handle = NodeJS.Timeout | NodeJS.Immediate;

/** Decides what happens to an exception a codebase's callback threw: `true` when the codebase took it. */
export type CallbackErrorSink = (error: unknown) => boolean;

export interface OwnGlobals {
  /** The codebase's timer functions, for its `timers` module. */
  readonly timers: Readonly<Record<string, Function>>;
  /** Timers, intervals and immediates created and not yet done. */
  readonly pending: number;
  /** Clear every pending timer, interval and immediate. */
  clearAll(): void;
}

const CLASS_GLOBALS = ['URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder'] as const;

/** Gives a host error the realm's prototype of its class (`Realm.rebuildError`). */
export type ErrorRebuilder = <E>(error: E) => E;

/**
 * Give `target` (a context's global) its own console, timers and web classes. Errors their host functions throw
 * (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_URL`) get the realm's prototypes, so `instanceof Error` holds as in Node.
 */
export function installOwnGlobals(
  target: typeof globalThis,
  sink: CallbackErrorSink,
  rebuild: ErrorRebuilder,
): OwnGlobals {
  const host = globalThis as unknown as Record<string, any>;
  const own = target as unknown as Record<string, unknown>;
  const define = (name: string, value: unknown) => {
    const current = Object.getOwnPropertyDescriptor(globalThis, name);
    Object.defineProperty(target, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: current?.enumerable ?? false,
    });
  };

  if (host.console) define('console', copyObject(host.console));

  for (const name of CLASS_GLOBALS) {
    const Base = host[name] as (new (...args: any[]) => object) | undefined;
    if (typeof Base === 'function') define(name, subclass(Base, rebuild));
  }

  const live = new Map<Handle, 'timeout' | 'immediate'>();
  const guarded = (callback: Function, done: (() => void) | undefined) =>
    function (this: unknown, ...args: unknown[]) {
      done?.();
      try {
        return Reflect.apply(callback, this, args);
      } catch (error) {
        if (!sink(error)) throw error;
      }
    };
  const schedule = (name: 'setTimeout' | 'setInterval' | 'setImmediate') => {
    const hostFn = host[name] as Function;
    const kind = name === 'setImmediate' ? 'immediate' : 'timeout';
    const repeats = name === 'setInterval';
    const wrapper = {
      [name](callback: unknown, ...rest: unknown[]) {
        // Node's own argument errors for a callback that is not a function.
        if (typeof callback !== 'function') return hostCall(hostFn, [callback, ...rest], rebuild);
        let handle: Handle | undefined;
        const done = repeats ? undefined : () => handle && live.delete(handle);
        handle = hostCall(hostFn, [guarded(callback, done), ...rest], rebuild) as Handle;
        live.set(handle, kind);
        return handle;
      },
    }[name]!;
    return copyFunctionProperties(hostFn, wrapper);
  };
  const unschedule = (name: 'clearTimeout' | 'clearInterval' | 'clearImmediate') => {
    const hostFn = host[name] as Function;
    const wrapper = {
      [name](handle: unknown) {
        hostCall(hostFn, [handle], rebuild);
        if (handle && typeof handle === 'object') live.delete(handle as Handle);
      },
    }[name]!;
    return copyFunctionProperties(hostFn, wrapper);
  };
  const timers: Record<string, Function> = {};
  for (const name of ['setTimeout', 'setInterval', 'setImmediate'] as const)
    if (typeof host[name] === 'function') timers[name] = schedule(name);
  for (const name of ['clearTimeout', 'clearInterval', 'clearImmediate'] as const)
    if (typeof host[name] === 'function') timers[name] = unschedule(name);
  for (const [name, fn] of Object.entries(timers)) if (Object.hasOwn(own, name)) define(name, fn);

  return {
    timers,
    get pending() {
      return live.size;
    },
    clearAll() {
      for (const [handle, kind] of live) {
        if (kind === 'immediate') clearImmediate(handle as NodeJS.Immediate);
        else clearTimeout(handle as NodeJS.Timeout);
      }
      live.clear();
    },
  };
}

/**
 * The codebase's `process`: the host's one process (every read and write reaches it, with the host `process`
 * as receiver, so accessors such as `exitCode` validate as in Node), except `getBuiltinModule`, which answers
 * as the codebase's `require` does (its own `fs`, `module`, ...). Only when the running Node has one.
 */
export function processView(builtin: (id: string) => unknown, rebuild: ErrorRebuilder): NodeJS.Process {
  const hostProcess = process;
  const hostGet = (hostProcess as { getBuiltinModule?: (id: unknown) => unknown }).getBuiltinModule;
  if (typeof hostGet !== 'function') return hostProcess;
  const getBuiltinModule = copyFunctionProperties(
    hostGet,
    {
      getBuiltinModule(id: unknown) {
        // Node's validation and its answer for names that are no builtin.
        if (typeof id !== 'string' || hostGet.call(hostProcess, id) === undefined)
          return hostCall(hostGet, [id], rebuild, hostProcess);
        return builtin(id);
      },
    }.getBuiltinModule,
  );
  // An assignment through the codebase's `process` stays the codebase's; a replacement the host made is seen.
  let assigned = false;
  let assignedValue: unknown;
  return new Proxy(hostProcess, {
    get(target, key) {
      if (key === 'getBuiltinModule') {
        if (assigned) return assignedValue;
        const now = Reflect.get(target, key, target);
        return now === hostGet ? getBuiltinModule : now;
      }
      return Reflect.get(target, key, target);
    },
    set(target, key, value) {
      if (key === 'getBuiltinModule') {
        assigned = true;
        assignedValue = value;
        return true;
      }
      try {
        return Reflect.set(target, key, value, target);
      } catch (error) {
        throw rebuild(error);
      }
    },
  });
}

/** `fn.apply(self, args)`, a thrown error rebuilt in the realm. */
function hostCall(fn: Function, args: unknown[], rebuild: ErrorRebuilder, self: unknown = globalThis): unknown {
  try {
    return Reflect.apply(fn, self, args);
  } catch (error) {
    throw rebuild(error);
  }
}

/** A copy of `source` with its prototype and every own property (the host console's methods are bound). */
function copyObject<T extends object>(source: T): T {
  return Object.create(Object.getPrototypeOf(source), Object.getOwnPropertyDescriptors(source)) as T;
}

/** `name`, `length` and the rest (`util.promisify.custom`, `__promisify__`) as the host function has them. */
function copyFunctionProperties(source: Function, target: Function): Function {
  for (const key of Reflect.ownKeys(source)) {
    if (key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    const descriptor = Object.getOwnPropertyDescriptor(source, key)!;
    Object.defineProperty(target, key, descriptor);
  }
  return target;
}

/**
 * A subclass of a host class with the same name and length, whose `instanceof` also accepts the host class's
 * instances (what `url.pathToFileURL` and other builtins return).
 */
function subclass(Base: new (...args: any[]) => object, rebuild: ErrorRebuilder): Function {
  const Own = {
    [Base.name]: class extends Base {
      constructor(...args: any[]) {
        try {
          super(...args);
        } catch (error) {
          throw rebuild(error);
        }
      }
    },
  }[Base.name]!;
  Object.defineProperty(Own, 'length', { value: Base.length, configurable: true });
  Object.defineProperty(Own, Symbol.hasInstance, {
    value: (value: unknown) => value instanceof Base,
    configurable: true,
    writable: true,
  });
  return Own;
}
