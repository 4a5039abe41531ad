/**
 * `import()` inside functions a codebase builds from strings: `new Function('s', 'return import(s)')` is how
 * TypeScript-compiled CommonJS keeps a real dynamic import. V8 resolves such an `import()` through the script
 * that created the function, and vm-compiled code has no `import()` without `--experimental-vm-modules`. So a
 * context realm's four function constructors are wrapped: the native constructor builds the function first
 * (its checks, its errors, its prototype), and only when that function's source calls `import()` is it
 * compiled once more with the call rewritten, as in CommonJS modules, bound to the file that created it.
 * Direct `eval` is left alone: wrapping it would make every `eval(…)` indirect.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Realm } from './realm.js';
import { rewriteDynamicImport } from './transform/cjs-import.js';
import { DYNAMIC_IMPORT } from './transform/names.js';

/** `import(specifier, options)` as written in `parentFilename` (`undefined`: the codebase's root). */
export type ImportFrom = (specifier: unknown, options: unknown, parentFilename: string | undefined) => Promise<object>;

/** Wraps `Function`, `AsyncFunction`, `GeneratorFunction` and `AsyncGeneratorFunction` of a context realm. */
export function installDynamicFunctionImport(realm: Realm, root: string, importFrom: ImportFrom): void {
  const global = realm.global as unknown as Record<string, unknown>;
  const natives = [
    global.Function,
    ...(
      realm.runScript(
        '[async function () {}, function* () {}, async function* () {}]',
        'codesave:intrinsics',
      ) as Function[]
    ).map((fn) => Object.getPrototypeOf(fn).constructor),
  ] as FunctionConstructor[];
  for (const native of natives) {
    const build = (args: unknown[], newTarget: Function, caller: Function): Function => {
      const fn = Reflect.construct(native, args, newTarget) as Function;
      // The source as V8 assembled it (arguments are converted to strings once, by the native constructor).
      const source = Function.prototype.toString.call(fn);
      // Cheap test first: most generated functions (validators, templates) never mention `import`.
      if (!source.includes('import')) return fn;
      const rewritten = rewriteDynamicImport(`(${source})`);
      if (rewritten === undefined) return fn;
      const parent = creatorFile(caller, root);
      const bind = (specifier: unknown, options?: unknown) => importFrom(specifier, options, parent);
      // `return (…)` keeps the native layout below line 1: the body starts on line 3, as V8 numbers it.
      const replacement = realm.compileFunction(`return ${rewritten}`, [DYNAMIC_IMPORT], '<anonymous>')(bind);
      Object.setPrototypeOf(replacement, Object.getPrototypeOf(fn));
      return replacement as Function;
    };
    const wrapped: FunctionConstructor = new Proxy(native, {
      apply: function apply(_target, _this, args: unknown[]) {
        return build(args, native, apply);
      },
      construct: function construct(_target, args: unknown[], newTarget: Function) {
        return build(args, newTarget === wrapped ? native : newTarget, construct);
      },
    });
    const proto = native.prototype as unknown as Record<string, unknown>;
    Object.defineProperty(proto, 'constructor', {
      ...Object.getOwnPropertyDescriptor(proto, 'constructor'),
      value: wrapped,
    });
    if (native === global.Function)
      Object.defineProperty(global, 'Function', {
        ...Object.getOwnPropertyDescriptor(global, 'Function'),
        value: wrapped,
      });
  }
}

/** The first frame below `trap` with a file of the codebase (builtins such as `Reflect.construct` have none). */
function creatorFile(trap: Function, root: string): string | undefined {
  const { prepareStackTrace, stackTraceLimit } = Error;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.stackTraceLimit = 10;
    Error.captureStackTrace(holder, trap);
    for (const site of holder.stack ?? []) {
      let file = site.getFileName();
      if (!file) continue;
      if (file.startsWith('file:')) file = fileURLToPath(file);
      return file.startsWith(root + path.sep) ? file : undefined;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}
