/**
 * Module namespace objects: live, sealed, null prototype, sorted keys, `[object Module]`, read-only from outside.
 * A Proxy over a sealed null-prototype target whose properties are writable, non-configurable data properties,
 * so `getOwnPropertyDescriptor` may report the live value without breaking the Proxy invariants.
 *
 * The implementation is JavaScript source ({@link NAMESPACE_FACTORY}) that the loader compiles inside each realm,
 * so the Proxy's traps run in the same V8 context as the code reading the namespace (calls across contexts are
 * never inlined: a hot loop over `ns.f()` ran ~9x slower with host traps). It uses only its parameters and
 * standard globals.
 *
 * util.inspect looks at a Proxy's target, not through its traps: the target carries a non-enumerable
 * `util.inspect.custom` so a namespace prints as Node prints one (`[Module: null prototype] { … }`,
 * `<uninitialized>` for a binding in its TDZ). The one visible cost: `Reflect.ownKeys(ns)` lists that symbol
 * after `Symbol.toStringTag` (a non-extensible target's keys must all be reported).
 */
import vm from 'node:vm';
import { nodeFeatures } from '../features.js';

/**
 * `values[name]` reads export `name` live (an accessor that throws a ReferenceError in the TDZ). `settle()`
 * answers `true` once no export can change any more (all evaluated and constant): the values are then copied
 * into the target and the `get` traps removed, so reads are plain property loads; `'never'` stops asking.
 */
export type NamespaceFactory = (
  names: readonly string[],
  values: Record<string, unknown>,
  typeErrorCtor: ErrorConstructor,
  settle?: () => boolean | 'never',
) => object;

export const NAMESPACE_FACTORY = `(function createNamespace(names, values, TypeErrorCtor, settle) {
  'use strict';
  const INSPECT = Symbol.for('nodejs.util.inspect.custom');
  const UNINITIALIZED = { [INSPECT]: () => '<uninitialized>' };
  const sorted = [...names].sort();
  const exported = new Set(sorted);
  const custom = (depth, options, inspect) => {
    // Deeper than \`depth\`, Node prints a namespace by its prototype and tag.
    if (depth !== null && depth < 0) {
      const text = '[Object: null prototype] [Module]';
      return typeof options.stylize === 'function' ? options.stylize(text, 'special') : text;
    }
    const hidden = options.showHidden === true;
    if (sorted.length === 0 && !hidden) return '[Module: null prototype] {  }';
    const view = Object.create(null);
    for (const name of sorted) {
      try {
        view[name] = values[name];
      } catch {
        view[name] = UNINITIALIZED;
      }
    }
    // showHidden lists the tag as a (non-enumerable) key; an own tag is not repeated in the prefix.
    if (hidden) Object.defineProperty(view, Symbol.toStringTag, { value: 'Module' });
    return inspect(view, { ...options, depth }).replace(/^\\[Object: null prototype\\]/, '[Module: null prototype]');
  };
  const target = Object.create(null);
  for (const name of sorted)
    Object.defineProperty(target, name, { value: undefined, writable: true, enumerable: true, configurable: false });
  Object.defineProperty(target, Symbol.toStringTag, { value: 'Module', writable: false, enumerable: false, configurable: false });
  Object.defineProperty(target, INSPECT, { value: custom, writable: false, enumerable: false, configurable: false });
  Object.preventExtensions(target);
  const readOnly = (key) => {
    throw new TypeErrorCtor(
      ${nodeFeatures.namespaceAssignMessage}
        ? "Cannot assign to property '" + String(key) + "' of [object Module]"
        : exported.has(key)
          ? "Cannot assign to read only property '" + String(key) + "' of object '[object Module]'"
          : 'Cannot add property ' + String(key) + ', object is not extensible',
    );
  };
  let settled = settle === undefined;
  let countdown = 0;
  const trySettle = () => {
    if (settled || countdown-- > 0) return false;
    countdown = 64;
    const answer = settle();
    if (answer === 'never') settled = true;
    if (answer !== true) return false;
    for (const name of sorted) target[name] = values[name];
    delete handler.get;
    delete handler.getOwnPropertyDescriptor;
    settled = true;
    return true;
  };
  const handler = {
    get(t, key) {
      if (typeof key === 'symbol') return t[key];
      if (!exported.has(key)) return undefined;
      if (trySettle()) return t[key];
      return values[key];
    },
    getOwnPropertyDescriptor(t, key) {
      if (typeof key === 'symbol') return Reflect.getOwnPropertyDescriptor(t, key);
      if (!exported.has(key)) return undefined;
      if (trySettle()) return Reflect.getOwnPropertyDescriptor(t, key);
      return { value: values[key], writable: true, enumerable: true, configurable: false };
    },
    set(_t, key) {
      return readOnly(key);
    },
    // The spec's [[DefineOwnProperty]] of a namespace: only a descriptor that changes nothing succeeds (so
    // Object.seal works and Object.freeze fails); failures throw V8's message (Reflect.defineProperty throws too).
    defineProperty(t, key, desc) {
      const fail = () => {
        throw new TypeErrorCtor('Cannot redefine property: ' + String(key));
      };
      if (typeof key === 'symbol') return Reflect.defineProperty(t, key, desc) || fail();
      if (!exported.has(key) || desc.configurable === true || desc.enumerable === false) return fail();
      if ('get' in desc || 'set' in desc || desc.writable === false) return fail();
      if ('value' in desc && !Object.is(desc.value, values[key])) return fail();
      return true;
    },
    deleteProperty(_t, key) {
      if (typeof key === 'string' && !exported.has(key)) return true;
      throw new TypeErrorCtor("Cannot delete property '" + String(key) + "' of [object Module]");
    },
    setPrototypeOf(_t, proto) {
      if (proto === null) return true;
      throw new TypeErrorCtor('[object Module] is not extensible');
    },
  };
  return new Proxy(target, handler);
})`;

/** The factory compiled in the host realm (host-realm codebases, and `require(esm)` facades). */
export const createNamespace = vm.runInThisContext(NAMESPACE_FACTORY, {
  filename: 'codesave:namespace',
}) as NamespaceFactory;
