/**
 * The named exports of a CommonJS module as the running Node's lexer finds them. Node up to 24.x used
 * cjs-module-lexer; later releases (24.21 measured) use merve, its C++ port, which does not drop a name that
 * some `Object.defineProperty` gives a getter outside the safe forms (cjs-module-lexer's "unsafe getters"): a
 * TypeScript `export { default as x } from './x'` (`exports.x = void 0` + a getter over `__importDefault`) is a
 * named export there.
 */
import { cjsLexer } from '../../deps.js';
import { nodeFeatures } from '../features.js';

export interface CjsLexResult {
  exports: string[];
  reexports: string[];
}

const KEEPS_UNSAFE_GETTERS = nodeFeatures.cjsLexerKeepsUnsafeGetters;

/** `Object.defineProperty(exports | module.exports, '<name>'`: where a getter may name an export. */
const DEFINE = /(Object\s*\.\s*defineProperty\s*\(\s*(?:module\s*\.\s*)?exports\s*,\s*)(['"])([^'"\\\r\n]*)\2/g;
/** Stand-in names: not an identifier anything else could export. */
const MARK = '\u0000cs';

let ready = false;

export function lexCommonJs(source: string, name?: string): CjsLexResult {
  if (!ready) {
    cjsLexer().initSync();
    ready = true;
  }
  const parsed = cjsLexer().parse(source, name);
  if (!KEEPS_UNSAFE_GETTERS || !source.includes('defineProperty')) return parsed;
  return keepUnsafeGetters(source, parsed, name);
}

/**
 * cjs-module-lexer's result as merve gives it: every `defineProperty` of a name the lexer left out is lexed again
 * under a name of its own, so an unsafe getter hides only that stand-in, and a safe one reports it (mapped back).
 */
function keepUnsafeGetters(source: string, parsed: CjsLexResult, name: string | undefined): CjsLexResult {
  const found = new Set(parsed.exports);
  const standIns: string[] = [];
  const renamed = source.replace(DEFINE, (match, head: string, quote: string, exported: string) => {
    if (found.has(exported)) return match;
    standIns.push(exported);
    return `${head}${quote}${MARK}${standIns.length - 1}${quote}`;
  });
  if (standIns.length === 0) return parsed;
  let again: CjsLexResult;
  try {
    again = cjsLexer().parse(renamed, name);
  } catch {
    return parsed;
  }
  for (const exported of again.exports)
    found.add(exported.startsWith(MARK) ? standIns[Number(exported.slice(MARK.length))]! : exported);
  return { exports: [...found], reexports: parsed.reexports };
}

/** What collecting a CommonJS module's export names reads (the ES module host provides it). */
export interface CjsExportSources {
  /** The source of a file. */
  readFile(path: string): string;
  /** The JavaScript a CommonJS file runs as (TypeScript transpiled). */
  cjsSource?(path: string): string;
  resolve(specifier: string, parentPath: string | undefined): string;
  /** A re-export resolved as `require` resolves it; `undefined` when Node would not lex its target. */
  resolveReexport?(specifier: string, parentPath: string): string | undefined;
}

/**
 * The one collector of the export names Node's CJS loader gives a CommonJS module imported from ESM (lexer +
 * re-exports, followed through the files they resolve to).
 */
export function cjsExportNames(host: CjsExportSources, path: string, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  if (seen.has(path)) return names;
  seen.add(path);
  let parsed: { exports: string[]; reexports: string[] };
  try {
    parsed = lexCommonJs(host.cjsSource ? host.cjsSource(path) : host.readFile(path));
  } catch {
    return names;
  }
  for (const n of parsed.exports) names.add(n);
  // Node's cjsPreparseModuleExports: each re-export is resolved with the CommonJS rules (`require` conditions,
  // extensionless files, directories), one that does not resolve is skipped, and a `.js`/`.cjs` file (or one
  // with an extension `require` has no loader for) is lexed in turn, whatever its package `type`.
  for (const spec of parsed.reexports) {
    let target: string | undefined;
    try {
      target = host.resolveReexport ? host.resolveReexport(spec, path) : host.resolve(spec, path);
    } catch {
      continue;
    }
    if (target === undefined || target.startsWith('node:')) continue;
    for (const n of cjsExportNames(host, target, seen)) names.add(n);
  }
  return names;
}
