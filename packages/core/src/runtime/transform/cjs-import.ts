/**
 * `import()` inside CommonJS: a vm-compiled function cannot use Node's own dynamic import without
 * `--experimental-vm-modules`, so each `import(` becomes a call of the module's `dynamicImport` name (same length, so
 * columns in stack traces stay put). The CommonJS wrapper then takes one more parameter.
 *
 * The same holds for a function built from strings whose body calls `import()` — how TypeScript-compiled
 * CommonJS keeps a real dynamic import: `new Function('s', 'return import(s)')`. Where the arguments are
 * string literals, the callee `Function` becomes `__cs_i.f` (also eight characters): {@link FUNCTION_BUILDER}
 * on the module's import function, which builds the function with its `import(` rewritten in turn.
 */

import { acornWalk } from '../../deps.js';
import { parseAcorn } from './acorn.js';

// `import`, then any whitespace and comments (block or line), then `(`.
const MAYBE = /\bimport(?:\s|\/\*(?:[^*]|\*(?!\/))*\*\/|\/\/[^\n\r\u2028\u2029]*)*\(/;

/** The member of the module's import function that stands for `Function` where it builds an importer. */
export const FUNCTION_BUILDER = 'f';

/** `true` when `source` may build a function from strings that call `import()` (worth a parse). */
export function mayBuildImporter(source: string): boolean {
  return /\bFunction\s*\(/.test(source) && MAYBE.test(source);
}

/**
 * The source with every `import(…)` expression, and every `Function(…)` building one from literals, rewritten;
 * `undefined` when it has neither.
 */
export function rewriteDynamicImport(source: string, importName: string): string | undefined {
  if (!MAYBE.test(source)) return undefined;
  let ast: ReturnType<typeof parseAcorn>;
  try {
    ast = parseAcorn(source, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowReturnOutsideFunction: true,
      allowHashBang: true,
      allowAwaitOutsideFunction: false,
    });
  } catch {
    return undefined; // Node reports the syntax error when it compiles the original.
  }
  const edits: { at: number; length: number; text: string }[] = [];
  const builds = (node: { callee: AnyNode; arguments: AnyNode[] }) => {
    const args = node.arguments;
    if (node.callee.type !== 'Identifier' || node.callee.name !== 'Function' || args.length === 0) return;
    if (!args.every(isStringLiteral) || !MAYBE.test(String(literalText(args[args.length - 1]!)))) return;
    edits.push({ at: node.callee.start, length: 8, text: `${importName}.${FUNCTION_BUILDER}` });
  };
  acornWalk().simple(ast, {
    ImportExpression: (node) => void edits.push({ at: node.start, length: 6, text: importName }),
    NewExpression: (node) => builds(node as never),
    CallExpression: (node) => builds(node as never),
  });
  if (edits.length === 0) return undefined;
  let out = '';
  let last = 0;
  for (const { at, length, text } of edits.sort((a, b) => a.at - b.at)) {
    out += source.slice(last, at) + text;
    last = at + length;
  }
  return out + source.slice(last);
}

type AnyNode = { type: string; start: number; [key: string]: any };

const isStringLiteral = (node: AnyNode): boolean =>
  (node.type === 'Literal' && typeof node.value === 'string') ||
  (node.type === 'TemplateLiteral' && node.expressions.length === 0);

const literalText = (node: AnyNode): string => (node.type === 'Literal' ? node.value : node.quasis[0].value.cooked);
