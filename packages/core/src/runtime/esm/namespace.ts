/**
 * Module namespace objects: live, sealed, null prototype, sorted keys, `[object Module]`, read-only from outside.
 * A Proxy over a sealed null-prototype target whose properties are writable, non-configurable data properties,
 * so `getOwnPropertyDescriptor` may report the live value without breaking the Proxy invariants.
 */

/** Reads the current value of export `name` (throws a ReferenceError while it is uninitialised). */
export type ExportReader = (name: string) => unknown;

export function createNamespace(names: readonly string[], read: ExportReader, typeErrorCtor: ErrorConstructor): object {
  const sorted = [...names].sort();
  const exported = new Set(sorted);
  const target = Object.create(null) as Record<string | symbol, unknown>;
  for (const name of sorted)
    Object.defineProperty(target, name, { value: undefined, writable: true, enumerable: true, configurable: false });
  Object.defineProperty(target, Symbol.toStringTag, {
    value: 'Module',
    writable: false,
    enumerable: false,
    configurable: false,
  });
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
