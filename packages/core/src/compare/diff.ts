/**
 * A structured deep diff of two outputs, path by path (`$.scores[3]: 0.41 → 0.47`), with a tolerance for
 * numbers. Plain objects and arrays are walked here so that every difference is listed; any other object
 * (Map, Set, Date, typed array, error, class instance) is compared by {@link realmDifference}, which reports
 * the first difference inside it.
 */
import { CodesaveError } from '../errors.js';
import { realmDifference, realmEqual } from './realm-equal.js';

/**
 * How far apart two numbers may be and still count as equal. They are equal when
 * `|a − b| ≤ max(absolute, relative × max(|a|, |b|))` (Python's `math.isclose` rule). A single number given as
 * `tolerance` sets both. `NaN` equals `NaN`; infinities equal only themselves.
 */
export interface Tolerance {
  absolute: number;
  relative: number;
}

/** One difference between two outputs. `before` is the first version's value, `after` the other's. */
export interface Change {
  /** Where: `$` is the output itself, `$.scores[3]`, `$.labels["a b"]`. */
  path: string;
  kind: 'changed' | 'added' | 'removed';
  before?: unknown;
  after?: unknown;
  /** For a difference found inside a Map, Set, Date, …: what differs. */
  reason?: string;
}

/** The differences between two outputs; at most `limit` of them (then `truncated`). */
export interface Diff {
  changes: Change[];
  truncated: boolean;
}

export const NO_TOLERANCE: Tolerance = Object.freeze({ absolute: 0, relative: 0 });

/** Checks and normalises the `tolerance` option. */
export function toTolerance(value: number | Partial<Tolerance> | undefined): Tolerance {
  if (value === undefined) return NO_TOLERANCE;
  const check = (n: unknown, what: string) => {
    if (typeof n !== 'number' || !(n >= 0) || !Number.isFinite(n))
      throw new CodesaveError('ERR_BAD_OPTION', `tolerance${what} must be a finite number ≥ 0, got ${String(n)}.`);
    return n;
  };
  if (typeof value === 'number') return { absolute: check(value, ''), relative: value };
  if (value === null || typeof value !== 'object')
    throw new CodesaveError('ERR_BAD_OPTION', 'tolerance: give a number or { absolute, relative }.');
  return {
    absolute: check(value.absolute ?? 0, '.absolute'),
    relative: check(value.relative ?? 0, '.relative'),
  };
}

/** Whether two numbers are equal within `tolerance`. */
export function numbersClose(a: number, b: number, tolerance: Tolerance): boolean {
  if (Object.is(a, b) || a === b) return true;
  if (Number.isNaN(a) || Number.isNaN(b) || !Number.isFinite(a) || !Number.isFinite(b)) return false;
  const bound = Math.max(tolerance.absolute, tolerance.relative * Math.max(Math.abs(a), Math.abs(b)));
  return Math.abs(a - b) <= bound;
}

const exact = (t: Tolerance) => t.absolute === 0 && t.relative === 0;

/**
 * Equality of two host-realm data values as `toHost` makes them (arrays and plain objects of this realm): a
 * quick walk over those, {@link realmEqual} for anything else and below a depth (cycles).
 */
export function dataEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const proto = Object.getPrototypeOf(a);
  if (depth > 64 || proto !== Object.getPrototypeOf(b)) return realmEqual(a, b);
  if (proto === Array.prototype) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      if (!(i in x) || !(i in y)) return realmEqual(a, b);
      if (!dataEqual(x[i], y[i], depth + 1)) return false;
    }
    return Object.keys(x).length === x.length && Object.keys(y).length === y.length ? true : realmEqual(a, b);
  }
  if (proto === Object.prototype) {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    const keys = Object.keys(x);
    if (keys.length !== Object.keys(y).length) return false;
    for (const key of keys) {
      if (!Object.hasOwn(y, key) || !dataEqual(x[key], y[key], depth + 1)) return false;
    }
    return Object.getOwnPropertySymbols(x).length === 0 && Object.getOwnPropertySymbols(y).length === 0
      ? true
      : realmEqual(a, b);
  }
  return realmEqual(a, b);
}

/** Whether two outputs are equal (deeply, across realms, numbers within `tolerance`). */
export function outputsEqual(a: unknown, b: unknown, tolerance: Tolerance = NO_TOLERANCE): boolean {
  if (exact(tolerance)) return dataEqual(a, b);
  return diffOutputs(a, b, tolerance, 1).changes.length === 0;
}

/** Every difference between `before` and `after`, up to `limit`. */
export function diffOutputs(before: unknown, after: unknown, tolerance: Tolerance = NO_TOLERANCE, limit = 50): Diff {
  const changes: Change[] = [];
  const state = { changes, limit, truncated: false, tolerance, seen: new Map<object, object>() };
  walk(before, after, '$', state);
  return { changes, truncated: state.truncated };
}

interface State {
  changes: Change[];
  limit: number;
  truncated: boolean;
  tolerance: Tolerance;
  seen: Map<object, object>;
}

function push(state: State, change: Change): boolean {
  if (state.changes.length >= state.limit) {
    state.truncated = true;
    return false;
  }
  state.changes.push(change);
  return true;
}

const isPlain = (value: object) => {
  const proto = Object.getPrototypeOf(value);
  if (proto === null) return true;
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  // an Object.prototype of any realm
  return Object.getPrototypeOf(proto) === null && typeof ctor === 'function' && ctor.name === 'Object';
};

/** `.name` or `["odd key"]` after a path. */
export function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function walk(a: unknown, b: unknown, path: string, state: State): void {
  if (state.truncated) return;
  if (Object.is(a, b)) return;
  if (typeof a === 'number' && typeof b === 'number') {
    if (!numbersClose(a, b, state.tolerance)) push(state, { path, kind: 'changed', before: a, after: b });
    return;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    push(state, { path, kind: 'changed', before: a, after: b });
    return;
  }
  if (state.seen.get(a) === b) return;
  state.seen.set(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n && !state.truncated; i++) {
      const sub = `${path}[${i}]`;
      if (i >= a.length) push(state, { path: sub, kind: 'added', after: b[i] });
      else if (i >= b.length) push(state, { path: sub, kind: 'removed', before: a[i] });
      else walk(a[i], b[i], sub, state);
    }
    return;
  }
  if (!Array.isArray(a) && !Array.isArray(b) && isPlain(a) && isPlain(b)) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    for (const key of Object.keys(ra)) {
      if (state.truncated) return;
      if (!Object.hasOwn(rb, key)) push(state, { path: path + keyPath(key), kind: 'removed', before: ra[key] });
      else walk(ra[key], rb[key], path + keyPath(key), state);
    }
    for (const key of Object.keys(rb)) {
      if (!Object.hasOwn(ra, key)) push(state, { path: path + keyPath(key), kind: 'added', after: rb[key] });
    }
    return;
  }
  const difference = realmDifference(a, b);
  if (difference) {
    push(state, {
      path: path + difference.path.slice(1),
      kind: 'changed',
      before: a,
      after: b,
      reason: difference.reason,
    });
  }
}
