/**
 * Checks of plain JSON data written by hand, for the hot path where loading zod (~170 ms) would cost more than
 * everything else: a check built here must accept nothing its zod schema rejects (it may reject more: the caller
 * then asks zod, which also words the error). Objects are loose: unknown keys pass, as with `z.looseObject`.
 */

/** Whether a value has the shape. */
export type Check = (value: unknown) => boolean;

export const string: Check = (v) => typeof v === 'string';
export const nonEmptyString: Check = (v) => typeof v === 'string' && v.length > 0;
export const boolean: Check = (v) => typeof v === 'boolean';
export const number: Check = (v) => typeof v === 'number' && Number.isFinite(v);
export const nonNegative: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
/** A safe integer ≥ `min` (zod's `.int()` takes safe integers only). */
export const integer =
  (min: number): Check =>
  (v) =>
    Number.isSafeInteger(v) && (v as number) >= min;
export const matching =
  (pattern: RegExp): Check =>
  (v) =>
    typeof v === 'string' && pattern.test(v);
export const literal =
  (expected: unknown): Check =>
  (v) =>
    v === expected;
export const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined || check(v);
export const nullable =
  (check: Check): Check =>
  (v) =>
    v === null || check(v);
export const array =
  (item: Check): Check =>
  (v) =>
    Array.isArray(v) && v.every(item);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A plain object whose own string values all pass `value` (`z.record(z.string(), …)`). */
export const record =
  (value: Check): Check =>
  (v) =>
    isPlainObject(v) && Object.values(v).every(value);

/** A plain object whose listed keys pass their checks; other keys are kept unchecked. */
export function object(fields: Record<string, Check>): Check & { readonly fields: Record<string, Check> } {
  const entries = Object.entries(fields);
  const check = (v: unknown) => isPlainObject(v) && entries.every(([key, field]) => field(v[key]));
  return Object.assign(check, { fields });
}
