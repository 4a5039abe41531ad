/**
 * Module namespace objects: live, sealed, null prototype, sorted keys, `[object Module]`, read-only from outside.
 * A Proxy over a sealed null-prototype target whose properties are writable, non-configurable data properties,
 * so `getOwnPropertyDescriptor` may report the live value without breaking the Proxy invariants.
 */

import type { InspectOptions } from 'node:util';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
/** Shown for a binding still in its TDZ. */
const UNINITIALIZED = { [INSPECT]: () => '<uninitialized>' };

/** Reads the current value of export `name` (throws a ReferenceError while it is uninitialised). */
export type ExportReader = (name: string) => unknown;

export function createNamespace(names: readonly string[], read: ExportReader, typeErrorCtor: ErrorConstructor): object {
  const sorted = [...names].sort();
  const exported = new Set(sorted);
  const custom = (depth: number, options: InspectOptions, inspect: typeof import('node:util').inspect): string => {
    if (sorted.length === 0) return '[Module: null prototype] {  }';
    const view = Object.create(null) as Record<string, unknown>;
    for (const name of sorted) {
      try {
        view[name] = read(name);
      } catch {
        view[name] = UNINITIALIZED;
      }
    }
    return inspect(view, { ...options, depth }).replace(/^\[Object: null prototype\]/, '[Module: null prototype]');
  };
  const target = Object.create(null) as Record<string | symbol, unknown>;
  for (const name of sorted)
    Object.defineProperty(target, name, { value: undefined, writable: true, enumerable: true, configurable: false });
  Object.defineProperty(target, Symbol.toStringTag, {
    value: 'Module',
    writable: false,
    enumerable: false,
    configurable: false,
  });
  // util.inspect looks at a Proxy's target, not through its traps: this prints a namespace as Node does
  // (`[Module: null prototype] { … }`, `<uninitialized>`). The one visible cost: `Reflect.ownKeys(ns)` lists this
  // symbol after `Symbol.toStringTag` (a non-extensible target's keys must all be reported).
  Object.defineProperty(target, INSPECT, { value: custom, writable: false, enumerable: false, configurable: false });
  Object.preventExtensions(target);
  const readOnly = (key: string | symbol): never => {
    throw new typeErrorCtor(
      exported.has(key as string)
        ? `Cannot assign to read only property '${String(key)}' of object '[object Module]'`
        : `Cannot add property ${String(key)}, object is not extensible`,
    );
  };
  return new Proxy(target, {
    get(t, key) {
      if (typeof key === 'symbol') return t[key];
      return exported.has(key) ? read(key) : undefined;
    },
    getOwnPropertyDescriptor(t, key) {
      if (typeof key === 'symbol') return Reflect.getOwnPropertyDescriptor(t, key);
      if (!exported.has(key)) return undefined;
      return { value: read(key), writable: true, enumerable: true, configurable: false };
    },
    set(_t, key) {
      return readOnly(key);
    },
    defineProperty(_t, key) {
      return readOnly(key);
    },
    deleteProperty(_t, key) {
      if (typeof key === 'string' && !exported.has(key)) return true;
      throw new typeErrorCtor(`Cannot delete property '${String(key)}' of [object Module]`);
    },
    setPrototypeOf(_t, proto) {
      return proto === null;
    },
  });
}
