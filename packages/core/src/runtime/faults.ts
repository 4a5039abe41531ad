/**
 * Faults that reach the process from a codebase's realm: an unhandled rejection of a promise created in the realm,
 * an uncaught exception whose value is an error of the realm. While at least one codebase listens for them
 * (its `'error'` event), one process-wide listener each hands them to their codebase. Anything it does not own
 * gets Node's own default: the listener steps aside and the same value is raised again, so the process prints
 * and exits (or warns, under `--unhandled-rejections=warn`) exactly as it would have without codesave.
 * With no codebase listening, no listener is installed and nothing differs from Node.
 */

/** A codebase that listens for its faults. */
export interface FaultOwner {
  /** The realm's `Promise` and `Error` constructors, by which faults are attributed. */
  readonly Promise: Function;
  readonly Error: Function;
  /** Hand the fault to the codebase; `false` when it no longer listens. */
  report(error: unknown): boolean;
}

const owners = new Set<FaultOwner>();
let installed = false;

/** Start reporting `owner`'s faults to it; the returned function stops. */
export function watchFaults(owner: FaultOwner): () => void {
  owners.add(owner);
  install();
  return () => {
    owners.delete(owner);
    if (owners.size === 0) uninstall();
  };
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
}

function ownerOf(value: unknown, by: 'Promise' | 'Error'): FaultOwner | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  for (const owner of owners) {
    try {
      if (value instanceof (owner[by] as new () => unknown)) return owner;
    } catch {}
  }
  return undefined;
}

function onRejection(reason: unknown, promise: Promise<unknown>): void {
  // A promise of the realm, or a host promise (a builtin's) rejected with an error of the realm.
  if ((ownerOf(promise, 'Promise') ?? ownerOf(reason, 'Error'))?.report(reason)) return;
  // Another listener handles it as the program wants: Node would not apply its default either.
  if (process.listenerCount('unhandledRejection') > 1) return;
  stepAside();
  // The same reason rejects once more, unhandled, with no listener of ours: Node's --unhandled-rejections mode
  // decides what follows, as it would have for the original promise.
  Promise.reject(reason);
}

function onException(error: unknown): void {
  if (ownerOf(error, 'Error')?.report(error)) return;
  if (process.listenerCount('uncaughtException') > 1) return;
  stepAside();
  process.nextTick(() => {
    throw error;
  });
}

/** Remove both listeners until the raised-again fault was processed (then the owners still listening get them back). */
function stepAside(): void {
  uninstall();
  setImmediate(() => {
    if (owners.size > 0) install();
  }).unref();
}
