/**
 * TypeScript -> JavaScript, as `tsx` (esbuild) would run it. Sucrase strips types keeping every line in place
 * (fast, and stack traces stay right); esbuild handles what sucrase gets wrong or drops: non-declare
 * namespaces (sucrase silently removes them), decorators, and ESM syntax in a CommonJS-kind file.
 */

import type { transformSync } from 'esbuild';
import type { transform as sucrase } from 'sucrase';
import { esbuild, sucrase as loadSucrase, traceMapping } from '../../deps.js';
import { hostNodeVersion } from '../features.js';

/** The parts of a codebase's `tsconfig.json` that change how a file is transpiled. */
export interface TsCompilerOptions {
  strict?: boolean;
  alwaysStrict?: boolean;
  experimentalDecorators?: boolean;
  emitDecoratorMetadata?: boolean;
  useDefineForClassFields?: boolean;
  verbatimModuleSyntax?: boolean;
  preserveValueImports?: boolean;
  importsNotUsedAsValues?: string;
  jsx?: string;
  jsxFactory?: string;
  jsxFragmentFactory?: string;
  jsxImportSource?: string;
  baseUrl?: string;
  paths?: Record<string, string[]>;
  target?: string;
}

export interface TsOutput {
  code: string;
  /** False when esbuild rewrote the file (lines may move; a source map is attached). */
  linesPreserved: boolean;
  map?: string;
}

const NEEDS_ESBUILD = /(?:^|[\s;}])(?:namespace|module)\s+[A-Za-z_$][\w$.]*\s*\{|(?:^|[\s(,;{}])@[A-Za-z_$]/;
const ESM_SYNTAX = /(?:^|[\s;}])(?:import\s*[\w{*'"]|export\s)/;
/**
 * sucrase, with a file too deep for it reported as V8 (and tsx) report it, not under sucrase's own prefix.
 * `undefined` when sucrase cannot parse the file: esbuild then either transpiles it (syntax sucrase lacks) or
 * fails with the error tsx reports.
 */
function sucraseSync(...args: Parameters<typeof sucrase>): ReturnType<typeof sucrase> | undefined {
  try {
    return loadSucrase().transform(...args);
  } catch (error) {
    if (error instanceof RangeError && /Maximum call stack/.test(error.message))
      throw new RangeError('Maximum call stack size exceeded');
    return undefined;
  }
}

/**
 * Syntax the running Node may not have that tsx (esbuild, target the running Node) lowers and sucrase leaves
 * as is: `accessor` fields and `using` / `await using` declarations.
 */
const NEEDS_LOWERING =
  /(?:^|[\s;{}])accessor\s+[#\w$[]|(?:^|[\s;{}(])(?:await\s+)?using\s+[A-Za-z_$][\w$]*\s*(?:=|of\s)/;
const CLASS = /(?:^|[^\w$.])class[\s{]/;
/**
 * A parameter property (`constructor(private a)`). With class fields defined (TypeScript's default), esbuild
 * declares it as a field before the others, so it comes first in the instance's keys and shadows an inherited
 * accessor; sucrase only assigns it in the constructor, after every field.
 */
const CONSTRUCTOR = /\bconstructor\s*\(/g;
const MODIFIER = /(?:^|[\s,(])(?:public|private|protected|readonly|override)\s+[A-Za-z_$]/;

function hasParameterProperty(source: string): boolean {
  for (const match of source.matchAll(CONSTRUCTOR)) {
    const start = match.index + match[0].length;
    let end = start;
    // The parameter list, to its closing parenthesis (defaults may hold parentheses and braces).
    for (let depth = 1; end < source.length && depth > 0; end++) {
      if (source[end] === '(') depth++;
      else if (source[end] === ')') depth--;
    }
    if (MODIFIER.test(source.slice(start, end))) return true;
  }
  return false;
}
/**
 * `import a = b.c` / `export import a = ...` / `export = a`: sucrase drops an import only such an alias uses, and
 * emits `export ;` for `export import`; esbuild keeps and exports them as tsx does.
 */
/**
 * Sucrase keeps `export { A }` of an `import type { A }` (a link error: nothing named A) and keeps
 * `import { A }` used only by `export type { A }` (its module then loads, and must export A); esbuild, as tsx,
 * drops both.
 */
const TYPE_IMPORT = /(?:^|[\s;}])import\s+type\s*[{*\w]/;
const LOCAL_EXPORT_LIST = /(?:^|[\s;}])export\s*\{[^}]*\}(?!\s*from\b)/;
const TYPE_EXPORT_LIST = /(?:^|[\s;}])export\s+type\s*\{[^}]*\}(?!\s*from\b)/;
/** A namespaced JSX element name (`<svg:rect>`): sucrase emits broken code for it (it throws for `xlink:href`). */
const JSX_NAMESPACED_TAG = /<\/?[A-Za-z_$][\w$-]*:[A-Za-z_$]/;
/**
 * A `key` after a spread (`<a {...p} key="k" />`): the automatic runtime falls back to `createElement`, and sucrase
 * imports `react` before `react/jsx-runtime`, esbuild after (module evaluation order).
 */
const KEY_AFTER_SPREAD = /\{\s*\.\.\.[^}]*\}[^<>]*\skey\s*=/;
/**
 * `import.meta` in a CommonJS-kind `.ts`/`.tsx` file: tsx has esbuild replace it with the file's
 * `{ dirname, filename, url }` (not in `.cts` files, where esbuild leaves an empty object).
 */
const IMPORT_META = /\bimport\s*\.\s*meta\b/;
const IMPORT_EQUALS = /(?:^|[\s;}])(?:import\s+(?:type\s+)?[A-Za-z_$][\w$]*\s*=(?![=>])|export\s*=(?![=>]))/;

const ENUM = /(?:^|[^\w$.])enum\s+([A-Za-z_$][\w$]*)\s*\{/g;
/** One token of an enum body: space, comment, name, string or number literal, or one punctuator. */
const ENUM_TOKEN =
  /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|([A-Za-z_$][\w$]*)|'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|(\d[\w.]*)|([=,}+-])/y;

/**
 * Whether sucrase compiles every enum of a file as esbuild does. Sucrase declares a `const` per member (an
 * error for a member named like its enum), cannot see the members of an earlier declaration of a merged enum,
 * and gives a string-valued initializer other than a plain literal (`` `x` ``, `A + 'b'`, `E.A`) a reverse
 * mapping that esbuild, folding it to a string, leaves out. So only enums declared once, whose members are
 * uninitialised or set to a number or string literal, stay with sucrase.
 */
function sucraseEnumsSafe(source: string): boolean {
  if (!source.includes('enum')) return true;
  const names = new Set<string>();
  for (const match of source.matchAll(ENUM)) {
    const name = match[1]!;
    if (names.has(name) || !simpleEnumBody(source, match.index + match[0].length, name)) return false;
    names.add(name);
  }
  return true;
}

/** Reads an enum body from just after its `{`: true when it is `name [= [-|+]literal], ...}` throughout. */
function simpleEnumBody(source: string, from: number, enumName: string): boolean {
  // The states: 0 expects a member name (or `}`), 1 `=`/`,`/`}`, 2 a sign or literal, 3 `,`/`}`.
  let state = 0;
  ENUM_TOKEN.lastIndex = from;
  for (let token = ENUM_TOKEN.exec(source); token; token = ENUM_TOKEN.exec(source)) {
    const [, ident, single, double, number, punct] = token;
    if (ident === undefined && single === undefined && double === undefined && !number && !punct) continue;
    const literal = single ?? double;
    if (state === 0 && (ident ?? literal) !== undefined) {
      if ((ident ?? literal) === enumName) return false;
      state = 1;
    } else if (punct === '}' && state !== 2) return true;
    else if (punct === ',' && (state === 1 || state === 3)) state = 0;
    else if (punct === '=' && state === 1) state = 2;
    else if ((punct === '-' || punct === '+') && state === 2 && literal === undefined) state = 4;
    else if ((state === 2 && (literal !== undefined || number)) || (state === 4 && number)) state = 3;
    else return false;
  }
  return false;
}
/** tsx asks esbuild to produce code for the Node it runs on. */
const TARGET = `node${hostNodeVersion}`;

/**
 * `preserveValueImports` and `importsNotUsedAsValues: preserve | error` keep imports (or their side effects) that
 * sucrase has no option for: esbuild, given the options, keeps them as tsx does.
 */
function keepsImports(options: TsCompilerOptions): boolean {
  const notUsed = options.importsNotUsedAsValues?.toLowerCase();
  return options.preserveValueImports === true || notUsed === 'preserve' || notUsed === 'error';
}

/**
 * TypeScript's default for `useDefineForClassFields`: true from target ES2022 (and ESNext) on, false below, true
 * with no target. False means fields are assigned in the constructor (after parameter properties), which only
 * esbuild does.
 */
export function definesClassFields(options: TsCompilerOptions): boolean {
  if (options.useDefineForClassFields !== undefined) return options.useDefineForClassFields;
  const target = options.target?.toLowerCase();
  if (target === undefined || target === 'esnext') return true;
  if (target === 'es3' || target === 'es5' || target === 'es6') return false;
  const year = /^es(\d{4})$/.exec(target);
  return year ? Number(year[1]) >= 2022 : true;
}

/**
 * `alwaysStrict` (implied by `strict`): esbuild then starts CommonJS output with `"use strict"`, so under tsx a
 * CommonJS-kind file of a strict project runs in strict mode. Sucrase has no such option: those go to esbuild.
 */
function alwaysStrict(options: TsCompilerOptions): boolean {
  return options.alwaysStrict ?? options.strict === true;
}

/**
 * JSX sucrase compiles unlike esbuild: namespaced names, `react-jsxdev` (sucrase passes `this` and no column,
 * and gives the `createElement` fallback `__self`/`__source` props), a key after a spread in the automatic runtime.
 */
function needsEsbuildJsx(source: string, options: TsCompilerOptions): boolean {
  if (JSX_NAMESPACED_TAG.test(source) || options.jsx === 'react-jsxdev') return true;
  return options.jsx === 'react-jsx' && KEY_AFTER_SPREAD.test(source);
}

/**
 * Transpiles one TypeScript file. `kind` is the module kind Node/tsx give the file: `module` keeps ESM
 * syntax (the ESM transform runs next), `commonjs` yields a CommonJS body.
 */
export function transformTypeScript(
  text: string,
  filename: string,
  kind: 'module' | 'commonjs',
  options: TsCompilerOptions = {},
  output: { sourceMap?: boolean } = {},
): TsOutput {
  // tsx reads files through a TextDecoder, which drops a byte order mark (one before `#!` would not parse).
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const jsx = /\.[jt]sx$/.test(filename);
  const needsEsbuild =
    NEEDS_ESBUILD.test(source) ||
    NEEDS_LOWERING.test(source) ||
    (kind === 'commonjs' && (ESM_SYNTAX.test(source) || alwaysStrict(options) || IMPORT_META.test(source))) ||
    (definesClassFields(options) ? hasParameterProperty(source) : CLASS.test(source)) ||
    IMPORT_EQUALS.test(source) ||
    (TYPE_IMPORT.test(source) && LOCAL_EXPORT_LIST.test(source)) ||
    TYPE_EXPORT_LIST.test(source) ||
    (jsx && needsEsbuildJsx(source, options)) ||
    keepsImports(options) ||
    !sucraseEnumsSafe(source);
  if (!needsEsbuild) {
    const out = withSucrase(source, filename, options, jsx, output);
    if (out) return out;
  }
  return withEsbuild(source, filename, kind, options, jsx);
}

function withSucrase(
  source: string,
  filename: string,
  options: TsCompilerOptions,
  jsx: boolean,
  output: { sourceMap?: boolean },
): TsOutput | undefined {
  const automatic = options.jsx === 'react-jsx' || options.jsx === 'react-jsxdev';
  const out = sucraseSync(source, {
    transforms: jsx ? ['typescript', 'jsx'] : ['typescript'],
    disableESTransforms: true,
    filePath: filename,
    // esbuild's transform API (tsx) ignores tsconfig `jsx: preserve`: JSX becomes `React.createElement` calls.
    jsxRuntime: automatic ? 'automatic' : 'classic',
    production: options.jsx !== 'react-jsxdev',
    ...(options.jsxImportSource ? { jsxImportSource: options.jsxImportSource } : {}),
    ...(options.jsxFactory ? { jsxPragma: options.jsxFactory } : {}),
    ...(options.jsxFragmentFactory ? { jsxFragmentPragma: options.jsxFragmentFactory } : {}),
    keepUnusedImports: options.verbatimModuleSyntax === true,
    ...(output.sourceMap ? { sourceMapOptions: { compiledFilename: filename } } : {}),
  });
  if (!out) return undefined;
  const map = output.sourceMap && out.sourceMap ? lineByLineMap(source, out.code, out.sourceMap, filename) : undefined;
  return { code: out.code, linesPreserved: true, ...(map ? { map } : {}) };
}

/**
 * sucrase's own map loses columns after some tokens (after a template literal's `${…}`, the rest of the line maps
 * to one point). Its lines stay in place, and on most of them it only deletes (types, `as …`, `!`): such a line is
 * mapped character by character by walking its output through its source; any other line (an enum, JSX) keeps
 * sucrase's segments. The map's mappings are decoded arrays, which trace-mapping and remapping read as well.
 */
function lineByLineMap(source: string, code: string, sucraseMap: object, filename: string): string {
  const sourceLines = source.split('\n');
  const own = traceMapping().decodedMappings(
    new (traceMapping().TraceMap)({ ...sucraseMap, sources: [filename] } as never),
  );
  const mappings = code.split('\n').map((out, line) => {
    const src = sourceLines[line];
    const segments: [number, number, number, number][] = [];
    if (src !== undefined) {
      let i = 0;
      let j = 0;
      for (; j < out.length; j++, i++) {
        while (i < src.length && src[i] !== out[j]) i++;
        if (i >= src.length) break;
        segments.push([j, 0, line, i]);
      }
      if (j === out.length) return segments;
    }
    return (own[line] ?? []).map((s) => [...s]);
  });
  return JSON.stringify({ version: 3, sources: [filename], names: [], mappings });
}

function withEsbuild(
  source: string,
  filename: string,
  kind: 'module' | 'commonjs',
  options: TsCompilerOptions,
  jsx: boolean,
): TsOutput {
  const sourcefile = tsxSourcefile(filename);
  let out: ReturnType<typeof transformSync>;
  try {
    out = esbuild().transformSync(source, {
      loader: jsx ? 'tsx' : 'ts',
      format: kind === 'module' ? 'esm' : 'cjs',
      platform: 'node',
      target: TARGET,
      sourcefile,
      sourcemap: 'external',
      // As tsx: a function or class esbuild renames (a nested one shadowing a top-level name) keeps its `name`.
      keepNames: true,
      tsconfigRaw: { compilerOptions: compilerOptionsForEsbuild(options) },
      ...(kind === 'commonjs' && !filename.endsWith('.cts') && IMPORT_META.test(source)
        ? { define: { 'import.meta': IMPORT_META_NAME } }
        : {}),
    });
  } catch (error) {
    throw asTransformError(error);
  }
  const map = sourcefile === filename ? out.map : out.map.replace(JSON.stringify(sourcefile), JSON.stringify(filename));
  if (out.code.includes(IMPORT_META_NAME)) return { ...declareImportMeta(out.code, map), linesPreserved: false };
  return { code: out.code, linesPreserved: false, map };
}

/**
 * The `import.meta` tsx defines for a CommonJS-kind file, built from the module's own `__filename` at run time:
 * the output must not name the file (a transform is cached by content, whatever the path). Declared on a line
 * of its own after any `#!` / `"use strict"` line; the source map gets an empty line there.
 */
const IMPORT_META_NAME = '__cs_tsx_import_meta';
function declareImportMeta(code: string, map: string): { code: string; map: string } {
  const declaration = `var ${IMPORT_META_NAME} = { dirname: __dirname, filename: __filename, url: require("node:url").pathToFileURL(__filename).href };\n`;
  let at = 0;
  let line = 0;
  while (code.startsWith('#!', at) || code.startsWith('"use strict";\n', at)) {
    at = code.indexOf('\n', at) + 1;
    line++;
  }
  const parsed = JSON.parse(map) as { mappings: string };
  const lines = parsed.mappings.split(';');
  lines.splice(line, 0, '');
  parsed.mappings = lines.join(';');
  return { code: code.slice(0, at) + declaration + code.slice(at), map: JSON.stringify(parsed) };
}

/** The file name tsx gives esbuild (so its error messages name it): `.mts`/`.cts` as `.ts`, none as `.js`. */
function tsxSourcefile(filename: string): string {
  const base = filename.slice(filename.lastIndexOf('/') + 1).split('?')[0]!;
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return `${filename}.js`;
  const ext = base.slice(dot);
  return ext === '.mts' || ext === '.cts' ? `${filename.slice(0, -3)}ts` : filename;
}

/**
 * An esbuild failure as tsx rethrows it: named `TransformError` (an own property), without `errors`/`warnings`;
 * top-level await in a file compiled to CommonJS carries `ERR_REQUIRE_ASYNC_MODULE`, as tsx sets it.
 */
function asTransformError(error: unknown): unknown {
  if (!(error instanceof Error) || !('errors' in error)) return error;
  const e = error as Error & { errors?: unknown; warnings?: unknown; code?: string };
  e.name = 'TransformError';
  if (e.message.includes('Top-level await is currently not supported with the "cjs" output format'))
    e.code = 'ERR_REQUIRE_ASYNC_MODULE';
  delete e.errors;
  delete e.warnings;
  return e;
}

function compilerOptionsForEsbuild(o: TsCompilerOptions): Record<string, unknown> {
  const keys = [
    'strict',
    'alwaysStrict',
    'experimentalDecorators',
    'emitDecoratorMetadata',
    'useDefineForClassFields',
    'verbatimModuleSyntax',
    'preserveValueImports',
    'importsNotUsedAsValues',
    'jsx',
    'jsxFactory',
    'jsxFragmentFactory',
    'jsxImportSource',
    'target',
  ] as const;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** A JSON file as the ES module tsx makes of it (esbuild's JSON loader): `default` plus one export per key. */
export function transformJsonModule(source: string, filename: string): string {
  return esbuild().transformSync(source, { loader: 'json', format: 'esm', sourcefile: filename }).code;
}

/** Whether a path is TypeScript, and the module kind its extension forces (`undefined`: by package `type`). */
export function typeScriptKind(path: string): { ts: boolean; forced?: 'module' | 'commonjs' } {
  if (path.endsWith('.mts')) return { ts: true, forced: 'module' };
  if (path.endsWith('.cts')) return { ts: true, forced: 'commonjs' };
  if (path.endsWith('.ts') || path.endsWith('.tsx')) return { ts: true };
  return { ts: false };
}
