/**
 * Errors that reach users through a codebase's API keep the user's stack frames and lose codesave's own (the
 * resolver, the loader, the module wrapper), as Node keeps its loader's out of sight: a missing dependency
 * then shows the user's line first instead of ten frames inside codesave. While a call runs, the stack
 * limits are raised so that codesave's frames do not use up the frames the user would have seen.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Extra frames captured while codesave's own are on the stack. */
const HEADROOM = 60;

/** This package's directory (src/… and dist/… live under it), found by walking up to its package.json. */
function packageDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      if (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === '@codesave/core') return dir;
    } catch {}
    dir = path.dirname(dir);
  }
  return path.dirname(fileURLToPath(import.meta.url));
}

let own: string | undefined;
const FRAME = /^\s+at (?:async )?(?:.*?\()?(?:file:\/\/)?([^()\s]+?)(?::\d+){0,2}\)?$/;

/**
 * `error` with the stack frames of codesave's own files (and of `dirs`, for tools built on it such as the CLI)
 * taken out of its `stack`, and at most `limit` frames kept. Returns `error` itself; a value that is not an
 * error, or whose stack has none of those frames, is left as it is.
 */
export function hideCodesaveFrames<T>(error: T, options: { dirs?: readonly string[]; limit?: number } = {}): T {
  if (error === null || typeof error !== 'object') return error;
  let stack: unknown;
  try {
    stack = (error as { stack?: unknown }).stack;
  } catch {
    return error;
  }
  if (typeof stack !== 'string') return error;
  own ??= packageDir();
  const dirs = [own, ...(options.dirs ?? [])].map((d) => (d.endsWith(path.sep) ? d : d + path.sep));
  const ours = (line: string) => {
    const file = FRAME.exec(line)?.[1];
    if (file === undefined) return false;
    return file.startsWith('codesave:') || dirs.some((d) => file.startsWith(d));
  };
  const lines = stack.split('\n');
  if (!lines.some(ours)) return error;
  const limit = options.limit ?? (typeof Error.stackTraceLimit === 'number' ? Error.stackTraceLimit : 10);
  let frames = 0;
  const kept = lines.filter((line) => {
    if (!FRAME.test(line)) return true;
    if (ours(line)) return false;
    return frames++ < limit;
  });
  try {
    Object.defineProperty(error, 'stack', {
      value: kept.join('\n'),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  } catch {}
  return error;
}

let depth = 0;
let saved: number | undefined;

/**
 * Run `fn` (a call into a codebase) with room in the stack limits of the host and of `realmError` (the
 * codebase's `Error`), then hide codesave's frames from what it throws or rejects with, keeping the limit the
 * user set on the host's `Error`.
 */
export function withUserFrames<T>(realmError: { stackTraceLimit?: number } | undefined, fn: () => T): T {
  const limit = depth === 0 ? Error.stackTraceLimit : saved;
  const raise = typeof limit === 'number' && Number.isFinite(limit);
  const realmLimit = realmError && realmError !== Error ? realmError.stackTraceLimit : undefined;
  if (depth++ === 0) saved = limit;
  if (raise) {
    Error.stackTraceLimit = limit + HEADROOM;
    if (realmError && realmError !== Error && typeof realmLimit === 'number')
      realmError.stackTraceLimit = realmLimit + HEADROOM;
  }
  const restore = () => {
    if (--depth === 0 && raise) Error.stackTraceLimit = limit;
    if (raise && realmError && realmError !== Error && typeof realmLimit === 'number')
      realmError.stackTraceLimit = realmLimit;
  };
  const hide = (error: unknown) => hideCodesaveFrames(error, raise ? { limit } : {});
  let result: T;
  try {
    result = fn();
  } catch (error) {
    restore();
    throw hide(error);
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        restore();
        return value;
      },
      (error) => {
        restore();
        throw hide(error);
      },
    ) as T;
  }
  restore();
  return result;
}
