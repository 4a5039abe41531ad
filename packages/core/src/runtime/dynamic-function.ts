/**
 * `new Function('s', 'return import(s)')` — how TypeScript-compiled CommonJS keeps a real dynamic import. V8
 * resolves such an `import()` through the script that built the function, and vm-compiled code has no
 * `import()` without `--experimental-vm-modules`. The CommonJS rewrite (`transform/cjs-import.ts`) points such a
 * call, when its arguments are string literals, at the builder made here: the realm's own `Function` builds the
 * function first (its checks and errors), then it is compiled once more with its `import(` rewritten and bound to
 * the module's import. The realm's `Function` itself stays native: wrapping it would put codesave's frames into
 * every built function's stack and change `Function.toString()`.
 */
import type { Realm } from './realm.js';
import { rewriteDynamicImport } from './transform/cjs-import.js';
import { protocolNames } from './transform/names.js';

const sourceOf = (fn: Function): string => Function.prototype.toString.call(fn);

/** A stand-in for `Function` (called or constructed) whose functions' `import()` is `dynamicImport`. */
export function importerBuilder(realm: Realm, dynamicImport: Function): (...args: unknown[]) => Function {
  const native = realm.intrinsics.Function;
  return function build(...args: unknown[]): Function {
    const fn = native(...(args as string[]));
    // The source as V8 assembled it: `function anonymous(<params>\n) {\n<body>\n}`.
    const source = `(${sourceOf(fn)})`;
    let rewritten: string | undefined;
    let importName: string | undefined;
    try {
      importName = protocolNames(source).dynamicImport;
      rewritten = rewriteDynamicImport(source, importName);
    } catch {} // nested deeper than the walk goes, or no name is free: the function stays V8's
    if (rewritten === undefined || importName === undefined) return fn;
    // `return (…)` keeps the native layout below line 1: the body starts on line 3, as V8 numbers it.
    return realm.compileFunction(`return ${rewritten}`, [importName], '<anonymous>')(dynamicImport) as Function;
  };
}
