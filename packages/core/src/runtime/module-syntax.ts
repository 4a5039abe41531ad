/**
 * Node's syntax detection (`containsModuleSyntax`), in one place: whether a file with no package `"type"`
 * (a `.js` or extensionless file) that does not compile as CommonJS is an ES module. `require` asks it when
 * the CommonJS compile fails, `import` before it loads such a file.
 */
import vm from 'node:vm';
import { CJS_WRAPPER_PARAMS } from './names.js';

/** SyntaxErrors of the CommonJS parse that only ES module syntax causes. */
const ESM_ONLY_ERRORS = [
  'Cannot use import statement outside a module',
  "Unexpected token 'export'",
  "Cannot use 'import.meta' outside a module",
];
/** SyntaxErrors of the CommonJS parse that a module would not have (then Node tries the module goal). */
const CJS_ONLY_ERRORS = [
  ...CJS_WRAPPER_PARAMS.map((name) => `Identifier '${name}' has already been declared`),
  'await is only valid in async functions and the top level bodies of modules',
];
/** Cheap test before compiling: without these words (or a declaration of a wrapper parameter) no module syntax. */
const MAY_BE_MODULE =
  /\b(?:import|export|await)\b|\b(?:let|const|class)\s*[\s{[,\w$]*\b(?:exports|require|module|__filename|__dirname)\b/;

/**
 * Node's `containsModuleSyntax`: the source fails to compile as CommonJS with an error only ES module syntax
 * causes, or with one a module would not have and it parses as a module (`parseModule` throws when not).
 */
export function containsModuleSyntax(source: string, parseModule: (source: string) => unknown): boolean {
  if (!MAY_BE_MODULE.test(source)) return false;
  try {
    vm.compileFunction(source, [...CJS_WRAPPER_PARAMS]);
    return false;
  } catch (error) {
    const message = String((error as Error)?.message);
    if (ESM_ONLY_ERRORS.some((m) => message.includes(m))) return true;
    if (!CJS_ONLY_ERRORS.some((m) => message.includes(m))) return false;
  }
  try {
    parseModule(source);
    return true;
  } catch {
    return false;
  }
}
