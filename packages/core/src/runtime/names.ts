/**
 * The names the runtime hands to user code, in one place: the CommonJS wrapper's parameters, and the one
 * transient global the realm uses to run an evaluation under a timeout. (Names injected into transformed
 * ESM live in `transform/names.ts`.)
 */

/** Parameters of the CommonJS wrapper, in Node's order: `(exports, require, module, __filename, __dirname)`. */
export const CJS_WRAPPER_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname'] as const;

/**
 * Set on the realm's global (non-enumerable) only while an evaluation bounded by `timeoutMs` runs: the
 * `vm.Script` that carries the timeout calls it. Removed right after.
 */
export const TIMED_ENTRY = '__codesave_timed_entry__';
