/**
 * `import()` inside CommonJS: a vm-compiled function cannot use Node's own dynamic import without
 * `--experimental-vm-modules`, so each `import(` becomes a call of {@link DYNAMIC_IMPORT} (same length, so
 * columns in stack traces stay put). The CommonJS wrapper then takes one more parameter.
 */
import { parse } from 'acorn';
import { simple } from 'acorn-walk';
import { DYNAMIC_IMPORT } from './names.js';

// `import`, then any whitespace and comments (block or line), then `(`.
const MAYBE = /\bimport(?:\s|\/\*(?:[^*]|\*(?!\/))*\*\/|\/\/[^\n\r\u2028\u2029]*)*\(/;

/** The source with every `import(…)` expression rewritten, or `undefined` when it has none. */
export function rewriteDynamicImport(source: string): string | undefined {
  if (!MAYBE.test(source)) return undefined;
  let ast: ReturnType<typeof parse>;
  try {
    ast = parse(source, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowReturnOutsideFunction: true,
      allowHashBang: true,
      allowAwaitOutsideFunction: false,
    });
  } catch {
    return undefined; // Node reports the syntax error when it compiles the original.
  }
  const starts: number[] = [];
  simple(ast, { ImportExpression: (node) => void starts.push(node.start) });
  if (starts.length === 0) return undefined;
  let out = '';
  let last = 0;
  for (const start of starts.sort((a, b) => a - b)) {
    out += source.slice(last, start) + DYNAMIC_IMPORT;
    last = start + 6;
  }
  return out + source.slice(last);
}
