/**
 * A codebase's `'error'` event: exceptions thrown by its timer callbacks, uncaught errors of its realm and
 * unhandled rejections of its realm's promises are emitted there while something listens (see
 * runtime/faults.ts for how they are attributed). With no listener, nothing is installed: the process behaves
 * as Node does (the exception is uncaught, the rejection follows `--unhandled-rejections`).
 */
import type { EventEmitter } from 'node:events';
import { watchFaults } from '../runtime/faults.js';
import type { Realm } from '../runtime/realm.js';

/** Route `realm`'s faults to `emitter`'s `'error'` listeners; the returned function detaches (dispose). */
export function routeFaults(emitter: EventEmitter, realm: Realm): () => void {
  const report = (error: unknown): boolean => {
    if (emitter.listenerCount('error') === 0) return false;
    emitter.emit('error', error);
    return true;
  };
  realm.reportError = report;
  // In host mode the realm's errors and promises are the host's: only timer callbacks could be told apart,
  // and those are the host's too. Nothing to attribute.
  if (!realm.context) return () => {};
  const owner = { Promise: realm.intrinsics.Promise, Error: realm.intrinsics.Error, report };
  let unwatch: (() => void) | undefined;
  // 'newListener' fires before the listener is added.
  const onNew = (name: string | symbol) => {
    if (name === 'error' && !unwatch) unwatch = watchFaults(owner);
  };
  const onRemoved = (name: string | symbol) => {
    if (name === 'error' && unwatch && emitter.listenerCount('error') === 0) {
      unwatch();
      unwatch = undefined;
    }
  };
  emitter.on('newListener', onNew);
  emitter.on('removeListener', onRemoved);
  return () => {
    emitter.off('newListener', onNew);
    emitter.off('removeListener', onRemoved);
    unwatch?.();
    unwatch = undefined;
  };
}
