/**
 * Values crossing realms as data. An output of a codebase is made of its realm's objects; the report holds a
 * host-realm copy (plain objects, arrays, Map, Set, Date, typed arrays, errors), so scorers, `deepStrictEqual`
 * and `structuredClone` (worker threads) treat it like any other host value. A case goes the other way: each
 * version gets its own copy made of its realm's objects, so one version mutating its input never reaches another.
 */
import { types } from 'node:util';
import type { Realm } from '../runtime/realm.js';

/** An error as the report keeps it: what `toHost` makes of a thrown value, plus a `code` when it had one. */
export interface ErrorData {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

const tag = (value: object) => Object.prototype.toString.call(value).slice(8, -1);

const MISSING = Symbol('missing');

/**
 * The copies made so far in one conversion (cycles and shared references map to the same copy). Small
 * values — most outputs and cases — are tracked in two arrays reused from call to call, larger ones in a Map:
 * the harness then allocates little per call.
 */
class Memo {
  #keys: object[] = [];
  #values: unknown[] = [];
  #map: Map<object, unknown> | undefined;
  #busy = false;

  get(key: object): unknown {
    if (this.#map) return this.#map.has(key) ? this.#map.get(key) : MISSING;
    const at = this.#keys.indexOf(key);
    return at < 0 ? MISSING : this.#values[at];
  }

  set(key: object, value: unknown): void {
    if (this.#map) {
      this.#map.set(key, value);
      return;
    }
    this.#keys.push(key);
    this.#values.push(value);
    if (this.#keys.length > 32) this.#map = new Map(this.#keys.map((k, i) => [k, this.#values[i]]));
  }

  /** One top-level conversion with this memo (a fresh one if it is already in use). */
  run(value: unknown, convert: (value: unknown, memo: Memo) => unknown): unknown {
    const memo = this.#busy ? new Memo() : this;
    memo.#busy = true;
    try {
      return convert(value, memo);
    } finally {
      memo.#busy = false;
      memo.#keys.length = 0;
      memo.#values.length = 0;
      memo.#map = undefined;
    }
  }
}

const hostMemo = new Memo();

/**
 * The common case without bookkeeping: a plain object whose values are all primitives (no getters, no
 * `__proto__` key), copied as a host object or one of `realm`'s. `MISSING` for anything else.
 */
function flatCopy(value: object, realm: Realm | undefined): unknown {
  if (realm === undefined ? !isPlainObject(value) : Object.getPrototypeOf(value) !== Object.prototype) return MISSING;
  const out = (realm ? new realm.intrinsics.Object() : {}) as Record<string, unknown>;
  try {
    for (const key in value) {
      if (!Object.hasOwn(value, key) || key === '__proto__') return MISSING;
      const item = (value as Record<string, unknown>)[key];
      if ((item !== null && typeof item === 'object') || typeof item === 'function' || typeof item === 'symbol')
        return MISSING;
      out[key] = item;
    }
  } catch {
    return MISSING; // a getter threw: the full copy records it
  }
  return out;
}

const realmMemo = new Memo();

/** A host-realm copy of `value` (cycles and shared references kept). Functions and symbols become strings. */
export function toHost(value: unknown, seen?: Memo): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return typeof value === 'symbol' ? value.toString() : value;
  }
  if (!seen) {
    const flat = flatCopy(value, undefined);
    return flat !== MISSING ? flat : hostMemo.run(value, toHost);
  }
  if (typeof value === 'function') return `[Function${value.name ? `: ${value.name}` : ' (anonymous)'}]`;
  const known = seen.get(value);
  if (known !== MISSING) return known;
  if (isPlainObject(value)) return copyKeys(value, {}, seen, toHost);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out.push(toHost(value[i], seen));
    return out;
  }
  if (types.isDate(value)) return new Date((value as Date).getTime());
  if (types.isRegExp(value)) return new RegExp((value as RegExp).source, (value as RegExp).flags);
  if (types.isBoxedPrimitive(value)) return toHost(value.valueOf(), seen);
  if (types.isMap(value)) {
    const out = new Map();
    seen.set(value, out);
    for (const [k, v] of value as Map<unknown, unknown>) out.set(toHost(k, seen), toHost(v, seen));
    return out;
  }
  if (types.isSet(value)) {
    const out = new Set();
    seen.set(value, out);
    for (const v of value as Set<unknown>) out.add(toHost(v, seen));
    return out;
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
    if (types.isDataView(value)) return new DataView(bytes.buffer);
    const name = tag(value);
    const Ctor = (globalThis as Record<string, unknown>)[name];
    if (typeof Ctor === 'function' && name !== 'Uint8Array' && name.endsWith('Array')) {
      return new (Ctor as new (b: ArrayBuffer) => unknown)(bytes.buffer);
    }
    return types.isUint8Array(value) && (value as { constructor?: { name?: string } }).constructor?.name === 'Buffer'
      ? Buffer.from(bytes.buffer)
      : bytes;
  }
  if (types.isAnyArrayBuffer(value)) return new Uint8Array(value as ArrayBuffer).slice().buffer;
  if (types.isNativeError(value) || value instanceof Error) return errorToData(value);
  if (types.isPromise(value)) return '[Promise]';
  if (types.isWeakMap(value) || types.isWeakSet(value)) return `[${tag(value)}]`;
  return copyKeys(value, {}, seen, toHost);
}

/** Every realm's `Object.prototype` met so far (checked once each, then known by identity). */
const plainPrototypes = new WeakSet<object>([Object.prototype]);

/** An object whose prototype is some realm's `Object.prototype`, or `null`. */
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  if (proto === null || plainPrototypes.has(proto)) return true;
  if (Object.getPrototypeOf(proto) === null && tag(value) === 'Object' && constructorName(proto) === 'Object') {
    plainPrototypes.add(proto);
    return true;
  }
  return false;
}

function constructorName(proto: object): string | undefined {
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  return typeof ctor === 'function' ? ctor.name : undefined;
}

/** Copies own enumerable string keys of `from` into `to`, each value through `convert`. */
function copyKeys<T extends Record<string, unknown>>(
  from: object,
  to: T,
  seen: Memo,
  convert: (value: unknown, seen: Memo) => unknown,
): T {
  seen.set(from, to);
  for (const key of Object.keys(from)) {
    let item: unknown;
    try {
      item = (from as Record<string, unknown>)[key];
    } catch (error) {
      item = `[getter threw: ${describeThrown(error)}]`;
    }
    const converted = convert(item, seen);
    // a key named __proto__ stays data instead of changing the copy's prototype
    if (key === '__proto__')
      Object.defineProperty(to, key, { value: converted, enumerable: true, writable: true, configurable: true });
    else (to as Record<string, unknown>)[key] = converted;
  }
  return to;
}

/** What a thrown value (an error of any realm, or anything else thrown) becomes in the report. */
export function errorToData(error: unknown): ErrorData {
  if (error !== null && typeof error === 'object') {
    const e = error as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
    const read = (get: () => unknown) => {
      try {
        return get();
      } catch {
        return undefined;
      }
    };
    const name = read(() => e.name);
    const message = read(() => e.message);
    const stack = read(() => e.stack);
    const code = read(() => e.code);
    return {
      name: typeof name === 'string' ? name : 'Error',
      message: typeof message === 'string' ? message : describeThrown(error),
      ...(typeof stack === 'string' ? { stack } : {}),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: 'thrown value', message: describeThrown(error) };
}

function describeThrown(value: unknown): string {
  try {
    return typeof value === 'string' ? value : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * A copy of a case for one realm: arrays and plain objects are rebuilt from the realm's own intrinsics (so
 * `Array.isArray`, `instanceof Object` and `JSON.stringify` behave as in native code); other objects (Date,
 * Map, typed arrays, …) are host copies, isolated all the same.
 */
export function toRealm(value: unknown, realm: Realm | undefined, seen?: Memo): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (!seen) {
    const flat = flatCopy(value, realm?.context ? realm : undefined);
    return flat !== MISSING ? flat : realmMemo.run(value, (v, m) => toRealm(v, realm, m));
  }
  const known = seen.get(value);
  if (known !== MISSING) return known;
  const context = realm?.context !== undefined;
  if (Array.isArray(value)) {
    const out: unknown[] = context ? new realm!.intrinsics.Array() : [];
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out.push(toRealm(value[i], realm, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> =
      proto === null ? Object.create(null) : context ? new realm!.intrinsics.Object() : {};
    return copyKeys(value, out, seen, (item, s) => toRealm(item, realm, s));
  }
  try {
    const copy = structuredClone(value);
    seen.set(value, copy);
    return copy;
  } catch {
    return value; // class instances with methods, functions inside: passed as they are
  }
}

/**
 * JSON for a report: values JSON cannot hold are written as tagged objects (`{"$type":"Map","entries":[…]}`,
 * `{"$type":"undefined"}`, `{"$type":"number","value":"NaN"}`, `{"$type":"bigint","value":"12"}`, …) so that the
 * report's readers (HTML, markdown, `--json`) can show them.
 */
export function toJsonSafe(value: unknown, seen = new Set<object>()): unknown {
  if (value === undefined) return { $type: 'undefined' };
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? value : numberTag(value);
  if (typeof value === 'bigint') return { $type: 'bigint', value: value.toString() };
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? String(value) : value;
  if (seen.has(value)) return { $type: 'cycle' };
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => toJsonSafe(item, seen));
    if (value instanceof Date)
      return { $type: 'Date', value: Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString() };
    if (value instanceof RegExp) return { $type: 'RegExp', value: String(value) };
    if (value instanceof Map)
      return { $type: 'Map', entries: [...value].map(([k, v]) => [toJsonSafe(k, seen), toJsonSafe(v, seen)]) };
    if (value instanceof Set) return { $type: 'Set', values: [...value].map((v) => toJsonSafe(v, seen)) };
    if (ArrayBuffer.isView(value))
      return {
        $type: tag(value),
        bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
      };
    if (value instanceof ArrayBuffer) return { $type: 'ArrayBuffer', bytes: Buffer.from(value).toString('base64') };
    if (value instanceof Error) return { $type: 'Error', ...errorToData(value) };
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, {
        value: toJsonSafe((value as Record<string, unknown>)[key], seen),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

const numberTag = (value: number) => ({ $type: 'number', value: Object.is(value, -0) ? '-0' : String(value) });

/** A short one-line rendering of a value for tables and diffs (`0.41`, `"pos"`, `{label: "pos", …}`). */
export function preview(value: unknown, max = 80): string {
  let text: string;
  try {
    text = render(value, 0);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function render(value: unknown, depth: number): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return Object.is(value, -0) ? '-0' : String(value);
  if (depth > 2) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) {
    const items = value.slice(0, 8).map((v) => render(v, depth + 1));
    return `[${items.join(', ')}${value.length > 8 ? `, … ${value.length - 8} more` : ''}]`;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (value instanceof Map)
    return `Map(${value.size}) {${[...value]
      .slice(0, 5)
      .map(([k, v]) => `${render(k, depth + 1)} => ${render(v, depth + 1)}`)
      .join(', ')}}`;
  if (value instanceof Set)
    return `Set(${value.size}) {${[...value]
      .slice(0, 5)
      .map((v) => render(v, depth + 1))
      .join(', ')}}`;
  if (ArrayBuffer.isView(value)) return `${tag(value)}(${value.byteLength} bytes)`;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  const keys = Object.keys(value);
  const body = keys
    .slice(0, 6)
    .map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${render((value as any)[k], depth + 1)}`);
  return `{${body.join(', ')}${keys.length > 6 ? ', …' : ''}}`;
}
