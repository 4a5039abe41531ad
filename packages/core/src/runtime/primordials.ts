/**
 * Built-in functions the loader calls on objects user code can reach (`module.children`, `module.paths`,
 * wrapper functions), taken when this module loads, before any codebase runs: Node's loader uses its
 * primordials for the same reason, so a codebase that patches `Array.prototype.push` or
 * `Function.prototype.call` does not see (or break) the loader's own calls. They are generic, so they work on
 * a codebase realm's arrays and functions too.
 */
const { apply } = Reflect;
const { push, includes, indexOf, splice, slice } = Array.prototype;
const { getPrototypeOf, setPrototypeOf } = Object;

export const ReflectApply: typeof Reflect.apply = apply;
export const ObjectGetPrototypeOf: typeof Object.getPrototypeOf = getPrototypeOf;
export const ObjectSetPrototypeOf: typeof Object.setPrototypeOf = setPrototypeOf;

export function ArrayPrototypePush<T>(array: T[], ...items: T[]): number {
  return apply(push, array, items) as number;
}
export function ArrayPrototypeIncludes<T>(array: readonly T[], item: T): boolean {
  return apply(includes, array, [item]) as boolean;
}
export function ArrayPrototypeIndexOf<T>(array: readonly T[], item: T): number {
  return apply(indexOf, array, [item]) as number;
}
export function ArrayPrototypeSplice<T>(array: T[], start: number, count: number): T[] {
  return apply(splice, array, [start, count]) as T[];
}
export function ArrayPrototypeSlice<T>(array: readonly T[]): T[] {
  return apply(slice, array, []) as T[];
}
