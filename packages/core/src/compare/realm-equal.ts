/**
 * Deep equality that holds across realms.
 *
 * Values returned by a `ZipCodebase` come from its own `vm.Context`: their prototypes are that realm's
 * `Object.prototype`, `Array.prototype`, … so `assert.deepStrictEqual` (which compares prototypes by
 * identity) fails on two equal results from `v1` and `v2`. This comparison is as strict as
 * `deepStrictEqual` in every other respect, but compares prototypes by their constructor's *name*.
 */

import { types } from 'node:util';
import { loadHostBuiltin } from '../runtime/features.js';

/** Where two values first differ: a path like `$.rows[2].label` and a short reason. */
export interface RealmDifference {
  path: string;
  reason: string;
}

const tagOf = (value: object): string => Object.prototype.toString.call(value);

function constructorName(value: object): string | undefined {
  const proto = Object.getPrototypeOf(value);
  if (proto === null) return undefined;
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  return typeof ctor === 'function' ? ctor.name : '';
}

function ownKeys(value: object): (string | symbol)[] {
  return Reflect.ownKeys(value).filter((key) => Object.prototype.propertyIsEnumerable.call(value, key));
}

const describe = (key: string | symbol | number): string =>
  typeof key === 'number' ? `[${key}]` : typeof key === 'symbol' ? `[${String(key)}]` : `.${key}`;

/**
 * Returns the first difference between `a` and `b`, or `undefined` when they are deeply equal.
 * Primitives compare with `Object.is`; objects by tag, constructor name, own enumerable keys (strings and
 * symbols) and contents; `Map`/`Set` by entries (object keys matched deeply), errors by name and message,
 * dates by time, regexps by source and flags, typed arrays and buffers by bytes. Cycles are handled.
 */
export function realmDifference(a: unknown, b: unknown): RealmDifference | undefined {
  return compare(a, b, '$', new Map());
}

/** `true` when `a` and `b` are deeply equal, regardless of the realm each comes from. */
export function realmEqual(a: unknown, b: unknown): boolean {
  return realmDifference(a, b) === undefined;
}

/** Like `assert.deepStrictEqual`, across realms; throws an `AssertionError` naming the first difference. */
export function assertRealmEqual(actual: unknown, expected: unknown, message?: string): void {
  const diff = realmDifference(actual, expected);
  if (diff) {
    const { AssertionError } = loadHostBuiltin('assert') as typeof import('node:assert');
    throw new AssertionError({
      message: message ?? `Values differ at ${diff.path}: ${diff.reason}`,
      actual,
      expected,
      operator: 'realmEqual',
    });
  }
}

function compare(a: unknown, b: unknown, path: string, seen: Map<object, object>): RealmDifference | undefined {
  if (Object.is(a, b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    if (typeof a === 'function' || typeof b === 'function')
      return { path, reason: 'functions are only equal to themselves' };
    return { path, reason: `${String(a)} !== ${String(b)}` };
  }
  if (seen.get(a) === b) return undefined;
  seen.set(a, b);

  const tagA = tagOf(a);
  if (tagA !== tagOf(b)) return { path, reason: `${tagA} vs ${tagOf(b)}` };
  if (constructorName(a) !== constructorName(b)) {
    return { path, reason: `constructor ${constructorName(a) ?? 'null'} vs ${constructorName(b) ?? 'null'}` };
  }

  const special = compareSpecial(a, b, path, seen);
  if (special !== null) return special;

  const keysA = ownKeys(a);
  const keysB = ownKeys(b);
  if (keysA.length !== keysB.length || keysA.some((key) => !Object.prototype.propertyIsEnumerable.call(b, key))) {
    const extra = keysA.find((key) => !keysB.includes(key)) ?? keysB.find((key) => !keysA.includes(key));
    return { path, reason: `keys differ${extra === undefined ? '' : ` (${String(extra)})`}` };
  }
  for (const key of keysA) {
    const sub =
      Array.isArray(a) && typeof key === 'string' && /^\d+$/.test(key) ? describe(Number(key)) : describe(key);
    const diff = compare((a as any)[key], (b as any)[key], path + sub, seen);
    if (diff) return diff;
  }
  return undefined;
}

/** Type-specific checks; `null` means "no special rule, compare own keys only", `undefined` "equal so far". */
function compareSpecial(
  a: object,
  b: object,
  path: string,
  seen: Map<object, object>,
): RealmDifference | undefined | null {
  if (Array.isArray(a)) {
    return (a as unknown[]).length === (b as unknown[]).length ? null : { path, reason: 'array lengths differ' };
  }
  if (types.isDate(a)) {
    return Object.is((a as Date).getTime(), (b as Date).getTime()) ? null : { path, reason: 'dates differ' };
  }
  if (types.isRegExp(a)) {
    const [ra, rb] = [a as RegExp, b as RegExp];
    return ra.source === rb.source && ra.flags === rb.flags && ra.lastIndex === rb.lastIndex
      ? null
      : { path, reason: `${ra} vs ${rb}` };
  }
  if (types.isNativeError(a) || a instanceof Error) {
    const [ea, eb] = [a as Error, b as Error];
    if (ea.name !== eb.name || ea.message !== eb.message) return { path, reason: `${ea} vs ${eb}` };
    return null;
  }
  if (types.isBoxedPrimitive(a)) {
    return Object.is(a.valueOf(), b.valueOf()) ? null : { path, reason: 'boxed values differ' };
  }
  if (ArrayBuffer.isView(a) || types.isAnyArrayBuffer(a)) {
    const bytes = (x: object) =>
      ArrayBuffer.isView(x) ? new Uint8Array(x.buffer, x.byteOffset, x.byteLength) : new Uint8Array(x as ArrayBuffer);
    const [ba, bb] = [bytes(a), bytes(b)];
    if (ba.length !== bb.length || ba.some((byte, i) => byte !== bb[i])) return { path, reason: 'bytes differ' };
    return ArrayBuffer.isView(a) && !(a instanceof DataView) ? undefined : null;
  }
  if (types.isMap(a)) return compareMaps(a as Map<unknown, unknown>, b as Map<unknown, unknown>, path, seen) ?? null;
  if (types.isSet(a)) return compareSets(a as Set<unknown>, b as Set<unknown>, path) ?? null;
  if (types.isPromise(a) || types.isWeakMap(a) || types.isWeakSet(a)) {
    return { path, reason: `${tagOf(a)} values are only equal to themselves` };
  }
  return null;
}

function compareMaps(
  a: Map<unknown, unknown>,
  b: Map<unknown, unknown>,
  path: string,
  seen: Map<object, object>,
): RealmDifference | undefined {
  if (a.size !== b.size) return { path, reason: `map sizes ${a.size} vs ${b.size}` };
  const unmatched = [...b.entries()];
  for (const [key, value] of a) {
    const index = unmatched.findIndex(([k]) => realmEqual(key, k));
    if (index === -1) return { path, reason: `map key ${String(key)} missing` };
    const diff = compare(value, unmatched[index][1], `${path}.get(${String(key)})`, seen);
    if (diff) return diff;
    unmatched.splice(index, 1);
  }
  return undefined;
}

function compareSets(a: Set<unknown>, b: Set<unknown>, path: string): RealmDifference | undefined {
  if (a.size !== b.size) return { path, reason: `set sizes ${a.size} vs ${b.size}` };
  const unmatched = [...b];
  for (const value of a) {
    const index = unmatched.findIndex((other) => realmEqual(value, other));
    if (index === -1) return { path, reason: `set value ${String(value)} missing` };
    unmatched.splice(index, 1);
  }
  return undefined;
}
