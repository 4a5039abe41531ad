/**
 * Builtins a codebase gets as views of its own, beyond `fs`/`module`/`vm` (runtime.ts): `process` (whose
 * `getBuiltinModule` answers as the codebase's `require`), `timers` (the realm's own timer functions, so
 * `require('timers').setInterval` is cleared on dispose as the global one is), and the modules that hand a path
 * to something outside the JS realm (`child_process`, `worker_threads`: paths under the virtual root run from
 * the materialized copy).
 */
import { loadHostBuiltin } from './features.js';
import type { Realm } from './realm.js';

/** Makes a codebase's view of a builtin module (by bare name), or `undefined` for the host's own. */
export type BuiltinViewFactory = (bare: string) => unknown;

/** Extra views registered by later hooks (child processes and workers), by bare builtin name. */
export interface BuiltinViewOptions {
  realm: Realm;
  /** Views by bare name, made on first use (child_process, worker_threads). */
  extra?: Readonly<Record<string, () => unknown>>;
}

export function createBuiltinViews(options: BuiltinViewOptions): BuiltinViewFactory {
  const { realm } = options;
  const made = new Map<string, unknown>();
  const make = (bare: string): unknown => {
    if (bare === 'process') return realm.context ? realm.process : undefined;
    if (bare === 'timers') {
      const own = realm.timers;
      if (!own) return undefined;
      const host = loadHostBuiltin('timers') as object;
      const view = Object.create(Object.getPrototypeOf(host), Object.getOwnPropertyDescriptors(host));
      for (const [name, fn] of Object.entries(own))
        Object.defineProperty(view, name, { value: fn, writable: true, configurable: true, enumerable: true });
      return view;
    }
    return options.extra?.[bare]?.();
  };
  return (bare) => {
    if (made.has(bare)) return made.get(bare);
    const view = make(bare);
    made.set(bare, view);
    return view;
  };
}
