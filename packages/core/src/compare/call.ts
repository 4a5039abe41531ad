/**
 * Calling one version on one case: the function named by `call`, the case copied into the version's realm,
 * `Math.random` reseeded, the call timed and bounded (`timeoutMs`: a synchronous endless loop is stopped by
 * V8, a promise that never settles is given up on), the output or error copied back as host data.
 */
import vm from 'node:vm';
import { fromModule } from '../codebase/from.js';
import type { ZipCodebase } from '../codebase/zip-codebase.js';
import { CodesaveError } from '../errors.js';
import type { Realm } from '../runtime/realm.js';
import { type ErrorData, errorToData, toHost, toRealm } from './data.js';
import { type SeededRandom, seedRealm } from './seed.js';

/** `'module:export'` (`'src/model:score'`), or a function given each opened codebase that returns the function. */
export type CallSpec = string | ((codebase: ZipCodebase) => unknown);

/** One version's answer to one case. */
export type CallResult =
  | { ok: true; output: unknown; durationMs: number }
  | { ok: false; error: ErrorData; durationMs: number; timedOut?: true };

/** Splits `'src/model:score'` into module and export; a spec without `:` names the module's default export. */
export function parseCallSpec(spec: string): { module: string; name: string } {
  const colon = spec.lastIndexOf(':');
  const module = colon < 0 ? spec : spec.slice(0, colon);
  const name = colon < 0 ? 'default' : spec.slice(colon + 1);
  if (!module || !name)
    throw new CodesaveError('ERR_BAD_OPTION', `call: "${spec}" is not 'module:export' (e.g. 'src/model:score').`);
  return { module, name };
}

/** The function `spec` names in `codebase`. */
export async function resolveCall(codebase: ZipCodebase, spec: CallSpec, version: string): Promise<Function> {
  let fn: unknown;
  let what: string;
  if (typeof spec === 'string') {
    const { module, name } = parseCallSpec(spec);
    what = `'${module}' export '${name}'`;
    if (name === 'default') {
      const ns = await codebase.import(module);
      fn = typeof ns === 'function' ? ns : ns?.default;
    } else {
      fn = await fromModule(codebase, module, name);
    }
  } else if (typeof spec === 'function') {
    what = 'the function call(codebase) returned';
    fn = await spec(codebase);
  } else {
    throw new CodesaveError('ERR_BAD_OPTION', "call: give 'module:export' or (codebase) => function.");
  }
  if (typeof fn !== 'function') {
    throw new CodesaveError(
      'ERR_NOT_CALLABLE',
      `In version "${version}", ${what} is ${fn === null ? 'null' : typeof fn}, not a function; call must name a function.`,
      { details: { version } },
    );
  }
  return fn;
}

const ENTRY = '__codesaveCompareCall';

/** Calls one version's function, case after case. */
export class Invoker {
  readonly #fn: Function;
  readonly #realm: Realm;
  readonly #random: SeededRandom | undefined;
  readonly #timeoutMs: number | undefined;
  #script: vm.Script | undefined;

  constructor(codebase: ZipCodebase, fn: Function, options: { seed?: number; timeoutMs?: number }) {
    this.#fn = fn;
    this.#realm = codebase.runtime.realm;
    this.#random = options.seed === undefined ? undefined : seedRealm(this.#realm, options.seed);
    this.#timeoutMs = options.timeoutMs;
  }

  /**
   * Calls with `args` (copied into the realm); `key` reseeds Math.random. Never throws. A synchronous answer
   * comes back without a promise (no event-loop turn per call: the harness stays close to a direct call).
   */
  call(args: readonly unknown[], key: number, signal?: AbortSignal): CallResult | Promise<CallResult> {
    const realmArgs =
      args.length === 1 ? [toRealm(args[0], this.#realm)] : args.map((arg) => toRealm(arg, this.#realm));
    this.#random?.reset(key);
    const start = performance.now();
    let value: unknown;
    try {
      value =
        this.#timeoutMs !== undefined
          ? this.#timed(realmArgs)
          : realmArgs.length === 1
            ? this.#fn(realmArgs[0])
            : this.#fn(...realmArgs);
    } catch (error) {
      return this.#failed(error, start);
    }
    if (isThenable(value)) {
      return this.#settle(value, signal).then(
        (settled) => this.#done(settled, start),
        (error) => this.#failed(error, start),
      );
    }
    return this.#done(value, start);
  }

  #done(value: unknown, start: number): CallResult {
    const durationMs = performance.now() - start;
    try {
      return { ok: true, output: toHost(value), durationMs };
    } catch (error) {
      return this.#failed(error, start);
    }
  }

  /** Puts the realm's Math.random back. */
  release(): void {
    this.#random?.restore();
  }

  #failed(error: unknown, start: number): CallResult {
    const durationMs = performance.now() - start;
    const timedOut = (error as { code?: unknown })?.code === 'ERR_TIMEOUT' && error instanceof CodesaveError;
    const data = errorToData(error);
    if (data.stack) data.stack = ownFrames(data.stack);
    return { ok: false, error: data, durationMs, ...(timedOut ? { timedOut: true as const } : {}) };
  }

  /** A synchronous call under V8's watchdog. */
  #timed(args: unknown[]): unknown {
    const global = this.#realm.global as unknown as Record<string, unknown>;
    this.#script ??= new vm.Script(`this[${JSON.stringify(ENTRY)}]()`, { filename: 'codesave:compare' });
    const fn = this.#fn;
    Object.defineProperty(global, ENTRY, { value: () => fn(...args), configurable: true, writable: true });
    try {
      const options = { timeout: this.#timeoutMs };
      return this.#realm.context
        ? this.#script.runInContext(this.#realm.context, options)
        : this.#script.runInThisContext(options);
    } catch (error) {
      if ((error as { code?: unknown })?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw this.#timeout(error);
      throw error;
    } finally {
      delete global[ENTRY];
    }
  }

  #timeout(cause?: unknown): CodesaveError {
    return new CodesaveError(
      'ERR_TIMEOUT',
      `The call took longer than timeoutMs (${this.#timeoutMs} ms) and was given up.`,
      { cause, details: { timeoutMs: this.#timeoutMs } },
    );
  }

  /** Awaits a promise, bounded by timeoutMs and the abort signal. */
  #settle(promise: PromiseLike<unknown>, signal: AbortSignal | undefined): Promise<unknown> {
    if (this.#timeoutMs === undefined && !signal) return Promise.resolve(promise);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => finish(() => reject(abortError(signal)));
      const finish = (settle: () => void) => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      if (this.#timeoutMs !== undefined) {
        timer = setTimeout(() => finish(() => reject(this.#timeout())), this.#timeoutMs);
      }
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      Promise.resolve(promise).then(
        (value) => finish(() => resolve(value)),
        (error) => finish(() => reject(error)),
      );
    });
  }
}

/** A stack without the frames of the harness itself (from the first frame of this module down). */
function ownFrames(stack: string): string {
  const lines = stack.split('\n');
  const cut = lines.findIndex((line, i) => i > 0 && /\bInvoker\.|codesave:compare/.test(line));
  if (cut < 0) return stack;
  // the arrow that calls the function under the timeout sits just above the watchdog's script
  const start = cut > 1 && /\bcodesave:compare/.test(lines[cut]) ? cut - 1 : cut;
  return lines.slice(0, Math.max(1, start)).join('\n');
}

function abortError(signal: AbortSignal | undefined): Error {
  const error = new Error('The comparison was aborted before this call finished.');
  error.name = 'AbortError';
  (error as { cause?: unknown }).cause = signal?.reason;
  return error;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
