/**
 * ES module source -> one script whose value is a generator function (see `names.ts`). Line numbers of the
 * original are kept (the wrapper sits on a line of its own, compiled with `lineOffset: -1`); removed
 * `import`/`export` keywords become spaces (after a `;`, so the statement before ends where it ended: ASI), so
 * columns move only where an imported name is rewritten.
 */

import { createRequire } from 'node:module';
import vm from 'node:vm';
import type { Node } from 'acorn';
import { CodesaveError } from '../../errors.js';
import { nodeFeatures } from '../features.js';
import { parseAcorn } from './acorn.js';
import { Edits } from './edits.js';
import { M, type ProtocolNames, protocolNames } from './names.js';
import { mayNestDeeperThan } from './nesting.js';

/** One `import`/`export … from` request, deduplicated by specifier and attributes, in source order. */
export interface ModuleRequest {
  specifier: string;
  attributes: Record<string, string>;
}

/** What the loader needs to link a transformed module. */
export interface EsmTransform {
  /** The script: evaluates to `(function* (__cs_m, __cs_b, __cs_i) {…})`. Compile with `lineOffset: -1`. */
  code: string;
  /** The module has top-level await (an `async function*`). */
  async: boolean;
  requests: ModuleRequest[];
  /** `import { imported as local } from requests[request]`; `imported` is `'*'` for a namespace import. */
  imports: { local: string; request: number; imported: string }[];
  /**
   * Exports of the module's own bindings (`local` is the name inside the module). `constant`: a `const`, or a
   * `let`/function/class binding never assigned after its declaration — its first value read is its value for
   * good, so importers may keep it.
   */
  localExports: { name: string; local: string; constant?: true }[];
  /** `export { imported as name } from`, `export * as name from` (`imported: '*'`), re-exported imports. */
  indirectExports: { name: string; request: number; imported: string }[];
  /** `export * from requests[i]`. */
  starExports: number[];
  /**
   * Where the first import attributes clause spelled `assert { … }` is (1-based line and column): V8 in Node 20
   * still reads it, Node 22 and later reject it with a SyntaxError.
   */
  assertAt?: { line: number; column: number };
  /** Only when asked for (`{ sourceMap: true }`): generated -> original positions, as a v3 source map. */
  map?: string;
  /** The names injected into this module's code (its eval code is rewritten with the same). */
  names: ProtocolNames;
}

type AnyNode = Node & Record<string, any>;

const moduleName = (node: AnyNode): string => (node.type === 'Literal' ? String(node.value) : node.name);

/**
 * oxc-parser's native binding: `program` is the AST as JSON (`{ node, fixes }`), taken on read. Its package entry
 * also reads `module` and `comments` into JS objects on every parse, which this transform never needs (about
 * 40 % of the parse's CPU on lodash-es); `fixes` only set the `value` of RegExp and BigInt literals.
 */
type OxcParse = (
  filename: string,
  source: string,
  options: Record<string, unknown>,
) => { readonly program: string; readonly errors: unknown[] };
let oxcParse: OxcParse | null | undefined;
/**
 * Syntax-tree depth up to which oxc gets a file: a fifth of the least depth measured to crash it on an 8 MB
 * stack (the main thread's; a worker's is 4 MB).
 */
const NATIVE_PARSE_DEPTH = 400;
/**
 * Sources this short cannot nest deep enough to hurt (a level takes a character at least; 3,000 nested
 * brackets passed even on a worker's 4 MB stack), so they skip the scan: most modules of a package.
 */
const ALWAYS_SHALLOW = 2_000;

/**
 * oxc-parser (native, ~3x faster than acorn on a cold process: 644 lodash-es files in ~60 ms of CPU vs ~175 ms),
 * whose ESTree output is acorn's for JavaScript (same node types, fields and UTF-16 offsets). Any error it reports,
 * syntax or early error, sends the file to acorn, so what is reported (and whether) stays acorn's/V8's. Undefined
 * when oxc is unavailable (no binary for the platform, a Node without `require(esm)`): then acorn does it all.
 */
function parseFast(source: string, filename: string): AnyNode | undefined {
  if (oxcParse === undefined) {
    try {
      oxcParse = (createRequire(import.meta.url)('oxc-parser/src-js/bindings') as { parseSync: OxcParse }).parseSync;
    } catch {
      oxcParse = null;
    }
  }
  // oxc recurses without a limit and would take the process down on a hostile nesting; acorn throws instead.
  if (!oxcParse || (source.length > ALWAYS_SHALLOW && mayNestDeeperThan(source, NATIVE_PARSE_DEPTH))) return undefined;
  try {
    const result = oxcParse(filename, source, {
      lang: 'js',
      astType: 'js',
      sourceType: 'module',
      preserveParens: false,
      showSemanticErrors: true,
    });
    return result.errors.length === 0 ? (JSON.parse(result.program) as { node: AnyNode }).node : undefined;
  } catch {
    return undefined;
  }
}

/** Transforms an ES module. Throws the realm-independent `SyntaxError` acorn reports, with the file name. */
export function transformEsm(
  source: string,
  filename: string,
  options: { sourceMap?: boolean; names?: ProtocolNames } = {},
): EsmTransform {
  const names = options.names ?? protocolNames(source);
  const { module: MODULE, bindings: BINDINGS, dynamicImport: DYNAMIC_IMPORT, defaultLocal: DEFAULT_LOCAL } = names;
  let ast = parseFast(source, filename);
  if (!ast) {
    try {
      ast = parseAcorn(source, {
        ecmaVersion: 'latest',
        sourceType: 'module',
        allowHashBang: true,
        locations: false,
      }) as AnyNode;
    } catch (error) {
      // Too deep for acorn (its own guard, or the stack): V8 stops there with this RangeError.
      if (error instanceof RangeError || /^Not enough stack space/.test(String((error as Error).message)))
        throw new RangeError('Maximum call stack size exceeded');
      throw moduleSyntaxError(
        source,
        filename,
        error as SyntaxError & { loc?: { line: number; column: number } },
        DEFAULT_LOCAL,
      );
    }
  }
  const s = new Edits(source);
  // A removed top-level `import`/`export` starts with `;` (an empty statement, same length): it ends the
  // statement before it as the declaration did, so `a\nimport x from 'y'\n(b)` does not become `a(b)`.
  const blankStatement = (start: number, end: number): void => {
    if (end > start) s.overwrite(start, end, `;${source.slice(start + 1, end).replace(/[^\n]/g, ' ')}`);
  };

  const requests: ModuleRequest[] = [];
  const requestIndex = new Map<string, number>();
  let assertAt: EsmTransform['assertAt'];
  const request = (node: AnyNode): number => {
    const keyword = skipTrivia(source, node.source.end);
    if (assertAt === undefined && keyword < node.end && source.startsWith('assert', keyword)) {
      const lineStart = source.lastIndexOf('\n', keyword - 1) + 1;
      assertAt = { line: source.slice(0, keyword).split('\n').length, column: keyword - lineStart + 1 };
    }
    const attributes: Record<string, string> = {};
    for (const a of (node.attributes ?? []) as AnyNode[]) attributes[moduleName(a.key)] = String(a.value.value);
    const specifier = String(node.source.value);
    const key = JSON.stringify([specifier, Object.entries(attributes).sort()]);
    let i = requestIndex.get(key);
    if (i === undefined) {
      i = requests.push({ specifier, attributes }) - 1;
      requestIndex.set(key, i);
    }
    return i;
  };

  const imports: EsmTransform['imports'] = [];
  const importOf = new Map<string, { request: number; imported: string }>();
  const localExports: EsmTransform['localExports'] = [];
  const indirectExports: EsmTransform['indirectExports'] = [];
  const starExports: number[] = [];
  const namedLocal: { name: string; local: string }[] = [];
  let nameDefault = false;
  let closeAt: [number, string] | undefined;

  for (const node of ast.body as AnyNode[]) {
    switch (node.type) {
      case 'ImportDeclaration': {
        const r = request(node);
        for (const spec of node.specifiers as AnyNode[]) {
          const imported =
            spec.type === 'ImportDefaultSpecifier'
              ? 'default'
              : spec.type === 'ImportNamespaceSpecifier'
                ? '*'
                : moduleName(spec.imported);
          imports.push({ local: spec.local.name, request: r, imported });
          importOf.set(spec.local.name, { request: r, imported });
        }
        blankStatement(node.start, node.end);
        break;
      }
      case 'ExportAllDeclaration': {
        const r = request(node);
        if (node.exported) indirectExports.push({ name: moduleName(node.exported), request: r, imported: '*' });
        else starExports.push(r);
        blankStatement(node.start, node.end);
        break;
      }
      case 'ExportNamedDeclaration': {
        if (node.source) {
          const r = request(node);
          for (const spec of node.specifiers as AnyNode[])
            indirectExports.push({ name: moduleName(spec.exported), request: r, imported: moduleName(spec.local) });
          blankStatement(node.start, node.end);
        } else if (node.declaration) {
          const decl = node.declaration as AnyNode;
          blankStatement(node.start, decl.start);
          if (decl.type === 'VariableDeclaration') {
            for (const d of decl.declarations as AnyNode[])
              for (const name of patternNames(d.id)) localExports.push({ name, local: name });
          } else {
            localExports.push({ name: decl.id.name, local: decl.id.name });
          }
        } else {
          for (const spec of node.specifiers as AnyNode[])
            namedLocal.push({ name: moduleName(spec.exported), local: moduleName(spec.local) });
          blankStatement(node.start, node.end);
        }
        break;
      }
      case 'ExportDefaultDeclaration': {
        const decl = node.declaration as AnyNode;
        if ((decl.type === 'FunctionDeclaration' || decl.type === 'ClassDeclaration') && decl.id) {
          blankStatement(node.start, decl.start);
          localExports.push({ name: 'default', local: decl.id.name });
        } else if (decl.type === 'FunctionDeclaration') {
          // Hoisted like any function declaration; named `default` during instantiation.
          blankStatement(node.start, decl.start);
          s.appendLeft(functionNameSlot(source, decl), ` ${DEFAULT_LOCAL}`);
          localExports.push({ name: 'default', local: DEFAULT_LOCAL });
          nameDefault = true;
        } else {
          const anonymous =
            decl.type === 'ClassDeclaration' ||
            ((decl.type === 'FunctionExpression' || decl.type === 'ClassExpression') && !decl.id) ||
            decl.type === 'ArrowFunctionExpression';
          // `{ default: <anonymous fn/class> }.default` gives it the name `default`, as the spec's NamedEvaluation does.
          // Only the keywords are replaced: parentheses and comments around the expression stay where they are.
          s.overwrite(
            node.start,
            skipTrivia(source, node.start + 6) + 7,
            anonymous ? `const ${DEFAULT_LOCAL} = { default: (` : `const ${DEFAULT_LOCAL} = (`,
          );
          // Closed before the declaration's own `;`; without one, after the expression (and its parentheses),
          // with the `;` ASI would insert, so a next line starting with `(`, `[` or a template does not continue it.
          const semicolon = source[node.end - 1] === ';';
          const close = (anonymous ? ') }.default' : ')') + (semicolon ? '' : ';');
          // After the references are rewritten: overwriting an identifier that ends the expression (`export
          // default foo` without a semicolon, foo imported) would drop text appended at its end before.
          closeAt = [semicolon ? node.end - 1 : node.end, close];
          localExports.push({ name: 'default', local: DEFAULT_LOCAL });
        }
        break;
      }
    }
  }
  for (const { name, local } of namedLocal) {
    const imp = importOf.get(local);
    if (imp) indirectExports.push({ name, request: imp.request, imported: imp.imported });
    else localExports.push({ name, local });
  }

  // A namespace never changes identity and is created when the module is linked: a plain local `const`, so
  // V8's messages name it as written (`ns.f is not a function`) and a direct eval sees it.
  const namespaceLocals = [...importOf].filter(([, imp]) => imp.imported === '*').map(([local]) => local);
  for (const local of namespaceLocals) importOf.delete(local);
  const watched = new Set([...importOf.keys(), ...localExports.map((e) => e.local), 'import', 'await', 'eval']);
  const { topLevelAwait: isAsync, assigned } = rewriteReferences(ast, s, importOf, names, mentions(source, watched));
  if (closeAt) s.appendLeft(closeAt[0], closeAt[1]);
  if (/\barguments\b/.test(source)) unbindArguments(ast, s, names);
  const kinds = declarationKinds(ast);
  for (const e of localExports) {
    const kind = e.local === DEFAULT_LOCAL ? 'const' : kinds.get(e.local);
    // A direct eval can assign any binding: then only `const` is certain.
    if (kind === 'const' || (kind && kind !== 'var' && !assigned.has(e.local) && !assigned.has('eval')))
      e.constant = true;
  }

  const getters = localExports.map(({ name, local }) => `${JSON.stringify(name)}: () => ${local}`).join(', ');
  const prologue =
    `'use strict';(${isAsync ? 'async ' : ''}function* (${MODULE}, ${BINDINGS}, ${DYNAMIC_IMPORT}) {` +
    `${MODULE}.${M.exports}({ ${getters} });` +
    (nameDefault ? `${MODULE}.${M.nameDefault}(${DEFAULT_LOCAL});` : '') +
    namespaceLocals.map((local) => `const ${local} = ${BINDINGS}.${local};`).join('') +
    'yield;\n';
  if (source.startsWith('#!')) s.overwrite(0, 2, '//');
  s.prepend(prologue);
  s.append('\n})');
  const mapped = options.sourceMap ? s.withMap(filename) : undefined;
  return {
    code: mapped ? mapped.code : s.toString(),
    async: isAsync,
    requests,
    imports,
    localExports,
    indirectExports,
    starExports,
    ...(assertAt ? { assertAt } : {}),
    ...(mapped ? { map: mapped.map } : {}),
    names,
  };
}

/**
 * The SyntaxError Node would report: V8's message (compiling the source as strict script code gives the same
 * text for everything but module-only syntax), else acorn's; `file:line:column` in `details`-like fields.
 */
function moduleSyntaxError(
  source: string,
  filename: string,
  acornError: SyntaxError & { loc?: { line: number; column: number }; pos?: number },
  defaultLocal: string,
): SyntaxError {
  const message = v8ModuleMessage(source, defaultLocal) ?? acornMessageAsV8(source, acornError);
  const error = new SyntaxError(message) as SyntaxError & { loc?: unknown; path?: string };
  if (acornError.loc) error.loc = { line: acornError.loc.line, column: acornError.loc.column + 1 };
  error.path = filename;
  return error;
}

/**
 * V8's own message for a module that does not parse: module-only syntax is rewritten to script syntax (the
 * position comes from acorn, so lengths need not match) and V8 compiles the rest as a strict script, then, when
 * that passes or stops at an `await`, as an async function body. Undefined when V8 finds nothing (an error only
 * the module goal has) or stops at syntax the rewrite touched. Spans are bounded (a clause longer than 4 KB
 * stays): unbounded, a hostile file of `import` words took time quadratic in its size here.
 */
function v8ModuleMessage(source: string, defaultLocal: string): string | undefined {
  const blank = (m: string) => m.replace(/[^\n]/g, ' ');
  const scriptish = source
    .replace(/^#!.*/, '')
    .replace(/\bimport\.meta\b/g, 'Object.meta')
    .replace(
      /\bimport\s*(?:[\w$*{][^;'"]{0,4096}?\bfrom\s*)?(['"])[^'"\n]{0,4096}\1(?:\s*(with|assert)\s*\{[^}]{0,4096}\})?/g,
      // Node 22+ reads `assert` after the specifier as a name where none may stand, as after `0`.
      (m: string, _quote: string, keyword?: string) =>
        keyword === 'assert' && nodeFeatures.importAssertSyntaxRemoved
          ? `0 ${m.slice(m.search(/assert\s*\{[^}]*\}$/))}`
          : blank(m),
    )
    // A default export stays a declaration (an anonymous one gets a name) or becomes an assignment: left bare,
    // `export default { a: 1, b: 2 }` would read as a block.
    .replace(
      /\bexport\s+default\s+(async\s+function\b\s*\*?|function\b\s*\*?|class\b)(\s*)(?=[({]|extends\b)/g,
      `$1 ${defaultLocal}$2`,
    )
    .replace(/\bexport\s+default\s+(?=async\s+function\b|function\b|class\b)/g, '')
    .replace(/\bexport\s+default\b/g, `${defaultLocal} =`)
    .replace(/\bexport\s*\*[^;'"]{0,4096}?\bfrom\s*(['"])[^'"\n]{0,4096}\1/g, blank)
    .replace(/\bexport\s*\{[^}]{0,4096}\}(?:\s*from\s*(['"])[^'"\n]{0,4096}\1)?/g, blank)
    .replace(/\bexport\b/g, '      ');
  const compile = (code: string): string | undefined => {
    try {
      new vm.Script(code);
    } catch (v8) {
      if ((v8 as Error).name === 'SyntaxError') return String((v8 as Error).message);
    }
    return undefined;
  };
  const moduleOnly = /\b(?:import|export|await|outside a module)\b/;
  let message = compile(`'use strict';${scriptish}`);
  // A script reads `await` as a name: where it found nothing, or stopped at an `await`, an async body decides.
  if (!message || /\bawait\b/.test(message)) message = compile(`'use strict';(async function () {${scriptish}\n})`);
  return message && !moduleOnly.test(message) ? message : undefined;
}

/** acorn's message for an error of the module goal, in V8's words where they differ. */
function acornMessageAsV8(source: string, error: SyntaxError & { pos?: number }): string {
  const message = error.message.replace(/ \(\d+:\d+\)$/, '');
  let m: RegExpExecArray | null;
  if (message === "Duplicate export 'default'") return "Identifier '.default' has already been declared";
  if ((m = /^Duplicate export '(.*)'$/.exec(message))) return `Duplicate export of '${m[1]}'`;
  if ((m = /^Export '(.*)' is not defined$/.exec(message))) return `Export '${m[1]}' is not defined in module`;
  if (/'await'/.test(message)) return 'Unexpected reserved word';
  if (message === "'import' and 'export' may only appear at the top level" && error.pos !== undefined) {
    // V8 reads a nested `export` as a token it did not expect, and a nested `import` up to the token after it.
    if (source.startsWith('export', error.pos)) return "Unexpected token 'export'";
    const next = /^\s*(?:([\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*)|(['"])|(\S))/u.exec(
      source.slice(error.pos + 6, error.pos + 200),
    );
    if (next?.[1]) return `Unexpected identifier '${next[1]}'`;
    if (next?.[2]) return 'Unexpected string';
    if (next?.[3]) return `Unexpected token '${next[3]}'`;
  }
  return message;
}

/**
 * Where the name of an anonymous `export default [async] function [*] (…)` goes: after `function` and `*`,
 * skipping comments (a `(` inside one is not the parameter list).
 */
function functionNameSlot(source: string, decl: AnyNode): number {
  let i = decl.start as number;
  if (decl.async) i = skipTrivia(source, i + 5);
  i = skipTrivia(source, i + 8); // `function` (keywords contain no escapes)
  return source[i] === '*' ? i + 1 : i;
}

/** The index after whitespace and comments from `i`. */
function skipTrivia(source: string, i: number): number {
  for (;;) {
    while (i < source.length && /\s/.test(source[i]!)) i++;
    if (source.startsWith('//', i)) {
      while (i < source.length && !/[\n\r\u2028\u2029]/.test(source[i]!)) i++;
    } else if (source.startsWith('/*', i)) i = source.indexOf('*/', i + 2) + 2;
    else return i;
  }
}

/** Names bound by a declaration pattern. */
function patternNames(node: AnyNode, out: string[] = []): string[] {
  switch (node.type) {
    case 'Identifier':
      out.push(node.name);
      break;
    case 'ObjectPattern':
      for (const p of node.properties as AnyNode[]) patternNames(p.type === 'RestElement' ? p.argument : p.value, out);
      break;
    case 'ArrayPattern':
      for (const e of node.elements as (AnyNode | null)[]) if (e) patternNames(e, out);
      break;
    case 'RestElement':
      patternNames(node.argument, out);
      break;
    case 'AssignmentPattern':
      patternNames(node.left, out);
      break;
  }
  return out;
}

interface Scope {
  names: Set<string>;
  parent: Scope | undefined;
}

const shadowed = (scope: Scope | undefined, name: string): boolean => {
  for (let s = scope; s; s = s.parent) if (s.names.has(name)) return true;
  return false;
};

/** `var` and function-declaration names of a function body (not entering nested functions). */
function collectVars(node: AnyNode | null | undefined, out: Set<string>, top: boolean): void {
  if (!node || typeof node.type !== 'string') return;
  switch (node.type) {
    case 'VariableDeclaration':
      if (node.kind === 'var') for (const d of node.declarations) for (const n of patternNames(d.id)) out.add(n);
      return;
    case 'FunctionDeclaration':
      if (top) out.add(node.id.name);
      return;
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'ClassDeclaration':
    case 'ClassExpression':
      return;
  }
  for (const key of ['body', 'consequent', 'alternate', 'block', 'handler', 'finalizer', 'cases', 'init', 'left']) {
    const child = node[key];
    if (Array.isArray(child)) for (const c of child) collectVars(c, out, false);
    else if (child && typeof child === 'object') collectVars(child, out, false);
  }
}

/** Lexical names declared directly in a block's statement list. */
function blockNames(body: AnyNode[], out: Set<string>): void {
  for (const st of body) {
    if (st.type === 'VariableDeclaration' && st.kind !== 'var')
      for (const d of st.declarations) for (const n of patternNames(d.id)) out.add(n);
    else if ((st.type === 'ClassDeclaration' || st.type === 'FunctionDeclaration') && st.id) out.add(st.id.name);
  }
}

/**
 * Where a subtree can matter to {@link rewriteReferences}: a test of whether `[start, end)` holds one of
 * `names` as a word (strings and comments included: over-matching only costs a visit). A source with `\\u`
 * in it (an identifier may be written with escapes) is walked whole.
 */
function mentions(source: string, names: Set<string>): ((start: number, end: number) => boolean) | undefined {
  // Escapes may spell a name; thousands of names over a large source would cost more than the walk saves.
  if (source.includes('\\u') || names.size * source.length > 50_000_000) return undefined;
  const word = /[\w$]/;
  const at: number[] = [];
  for (const name of names) {
    for (let i = source.indexOf(name); i >= 0; i = source.indexOf(name, i + 1)) {
      if ((i === 0 || !word.test(source[i - 1]!)) && !word.test(source[i + name.length] ?? '')) at.push(i);
    }
  }
  at.sort((a, b) => a - b);
  return (start, end) => {
    let lo = 0;
    let hi = at.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    return lo < at.length && at[lo]! < end;
  };
}

/**
 * Rewrites every reference to an imported binding into a read of the bindings parameter, `import.meta` and
 * `import()` into the module handle. Returns whether the module uses top-level await, and the module-level
 * names assigned after their declaration. `relevant` (when given) says which subtrees can hold any of that:
 * the others are skipped (most of a module's code, usually).
 */
function rewriteReferences(
  ast: AnyNode,
  s: Edits,
  importOf: Map<string, { request: number; imported: string }>,
  names: ProtocolNames,
  relevant?: (start: number, end: number) => boolean,
): { topLevelAwait: boolean; assigned: Set<string> } {
  let topLevelAwait = false;
  /** Module-level names assigned anywhere (not shadowed at the assignment). */
  const assigned = new Set<string>();
  const markAssigned = (target: AnyNode, scope: Scope | undefined): void => {
    for (const name of patternNames(target)) if (!shadowed(scope, name)) assigned.add(name);
  };
  const isImport = (name: string, scope: Scope | undefined): boolean => importOf.has(name) && !shadowed(scope, name);
  const ref = (name: string): string => `${names.bindings}.${name}`;
  /**
   * Starts of expression statements in statement lists. A callee rewritten to `(0, …)` there gets a `;` first:
   * `a\nf()` is two statements, `a\n(0, __cs_b.f)()` would be one call. (Elsewhere a statement follows `)`, `:`,
   * `else` or `do`, which a `(` cannot continue.)
   */
  const statementStarts = new Set<number>();

  const visitPattern = (node: AnyNode | null, scope: Scope | undefined, fnDepth: number): void => {
    // A declaration pattern: identifiers are bindings; defaults and computed keys are expressions.
    if (!node) return;
    switch (node.type) {
      case 'ObjectPattern':
        for (const p of node.properties) {
          if (p.type === 'RestElement') visitPattern(p.argument, scope, fnDepth);
          else {
            if (p.computed) visit(p.key, scope, fnDepth, p, 'key');
            visitPattern(p.value, scope, fnDepth);
          }
        }
        break;
      case 'ArrayPattern':
        for (const e of node.elements) visitPattern(e, scope, fnDepth);
        break;
      case 'RestElement':
        visitPattern(node.argument, scope, fnDepth);
        break;
      case 'AssignmentPattern':
        visitPattern(node.left, scope, fnDepth);
        visit(node.right, scope, fnDepth, node, 'right');
        break;
      case 'Identifier':
        break;
      default:
        // MemberExpression targets in assignment patterns (for-in/of heads).
        visit(node, scope, fnDepth, undefined, undefined);
    }
  };

  const visitFunction = (node: AnyNode, scope: Scope | undefined, fnDepth: number): void => {
    const names = new Set<string>();
    if (node.type === 'FunctionExpression' && node.id) names.add(node.id.name);
    for (const p of node.params) for (const n of patternNames(p)) names.add(n);
    if (node.body.type === 'BlockStatement') {
      collectVars(node.body, names, true);
      for (const st of node.body.body) collectVars(st, names, true);
      blockNames(node.body.body, names);
    }
    const inner: Scope = { names, parent: scope };
    for (const p of node.params) visitPattern(p, inner, fnDepth + 1);
    if (node.body.type === 'BlockStatement')
      for (const st of node.body.body) visit(st, inner, fnDepth + 1, node.body, 'body');
    else visit(node.body, inner, fnDepth + 1, node, 'body');
  };

  const visit = (
    node: AnyNode | null | undefined,
    scope: Scope | undefined,
    fnDepth: number,
    parent: AnyNode | undefined,
    key: string | undefined,
  ): void => {
    if (!node || typeof node.type !== 'string' || (relevant && !relevant(node.start, node.end))) return;
    switch (node.type) {
      case 'Identifier': {
        if (!isImport(node.name, scope)) return;
        if (parent?.type === 'Property' && parent.shorthand && key === 'value') {
          s.overwrite(node.start, node.end, `${node.name}: ${ref(node.name)}`);
        } else if (
          (parent?.type === 'CallExpression' && key === 'callee') ||
          (parent?.type === 'TaggedTemplateExpression' && key === 'tag')
        ) {
          s.overwrite(node.start, node.end, `${statementStarts.has(node.start) ? ';' : ''}(0, ${ref(node.name)})`);
        } else s.overwrite(node.start, node.end, ref(node.name));
        return;
      }
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
        return;
      case 'ExpressionStatement':
        if (
          (key === 'body' &&
            (parent?.type === 'Program' || parent?.type === 'BlockStatement' || parent?.type === 'StaticBlock')) ||
          (key === 'consequent' && parent?.type === 'SwitchCase')
        )
          statementStarts.add(node.start);
        break;
      case 'ExportNamedDeclaration':
        if (node.declaration) visit(node.declaration, scope, fnDepth, node, 'declaration');
        return;
      case 'MetaProperty':
        if (node.meta.name === 'import') s.overwrite(node.start, node.end, `${names.module}.${M.meta}`);
        return;
      case 'ImportExpression':
        s.overwrite(node.start, node.start + 6, names.dynamicImport);
        visit(node.source, scope, fnDepth, node, 'source');
        if (node.options) visit(node.options, scope, fnDepth, node, 'options');
        return;
      case 'AwaitExpression':
        if (fnDepth === 0) topLevelAwait = true;
        break;
      case 'MemberExpression':
        visit(node.object, scope, fnDepth, node, 'object');
        if (node.computed) visit(node.property, scope, fnDepth, node, 'property');
        return;
      case 'Property':
      case 'MethodDefinition':
      case 'PropertyDefinition':
        if (node.computed) visit(node.key, scope, fnDepth, node, 'key');
        if (node.value) {
          if (node.type === 'PropertyDefinition') {
            // Field initialisers behave like methods: `await` there is not top-level.
            visit(node.value, scope, fnDepth + 1, node, 'value');
          } else visit(node.value, scope, fnDepth, node, 'value');
        }
        return;
      case 'StaticBlock': {
        const names = new Set<string>();
        collectVars({ type: 'BlockStatement', body: node.body } as unknown as AnyNode, names, true);
        blockNames(node.body, names);
        const inner: Scope = { names, parent: scope };
        for (const st of node.body) visit(st, inner, fnDepth + 1, node, 'body');
        return;
      }
      case 'LabeledStatement':
        visit(node.body, scope, fnDepth, node, 'body');
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
        return;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        visitFunction(node, scope, fnDepth);
        return;
      case 'ClassDeclaration':
      case 'ClassExpression': {
        const inner: Scope = { names: new Set(node.id ? [node.id.name] : []), parent: scope };
        if (node.superClass) visit(node.superClass, inner, fnDepth, node, 'superClass');
        for (const m of node.body.body) visit(m, inner, fnDepth, node.body, 'body');
        return;
      }
      case 'VariableDeclaration':
        for (const d of node.declarations) {
          visitPattern(d.id, scope, fnDepth);
          visit(d.init, scope, fnDepth, d, 'init');
        }
        return;
      case 'BlockStatement':
      case 'StaticBlockBody': {
        const names = new Set<string>();
        blockNames(node.body, names);
        const inner: Scope = names.size ? { names, parent: scope } : (scope as Scope);
        for (const st of node.body) visit(st, inner, fnDepth, node, 'body');
        return;
      }
      case 'SwitchStatement': {
        visit(node.discriminant, scope, fnDepth, node, 'discriminant');
        const names = new Set<string>();
        for (const c of node.cases) blockNames(c.consequent, names);
        const inner: Scope = { names, parent: scope };
        for (const c of node.cases) {
          visit(c.test, inner, fnDepth, c, 'test');
          for (const st of c.consequent) visit(st, inner, fnDepth, c, 'consequent');
        }
        return;
      }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        const head = node.type === 'ForStatement' ? node.init : node.left;
        const names = new Set<string>();
        if (head?.type === 'VariableDeclaration' && head.kind !== 'var')
          for (const d of head.declarations) for (const n of patternNames(d.id)) names.add(n);
        const inner: Scope = { names, parent: scope };
        if (node.type === 'ForOfStatement' && node.await && fnDepth === 0) topLevelAwait = true;
        if (head?.type === 'VariableDeclaration') visit(head, inner, fnDepth, node, 'init');
        else if (head) {
          markAssigned(head, inner);
          visitPattern(head, inner, fnDepth);
        }
        for (const k of ['test', 'update', 'right', 'body']) visit(node[k], inner, fnDepth, node, k);
        return;
      }
      case 'CatchClause': {
        const names = new Set<string>(node.param ? patternNames(node.param) : []);
        const inner: Scope = { names, parent: scope };
        if (node.param) visitPattern(node.param, inner, fnDepth);
        visit(node.body, inner, fnDepth, node, 'body');
        return;
      }
      case 'UpdateExpression':
        markAssigned(node.argument, scope);
        break;
      case 'CallExpression':
        if (node.callee.type === 'Identifier' && node.callee.name === 'eval') {
          assigned.add('eval');
          // A direct eval runs its code in this scope: the module handle rewrites that code's imports too.
          const code = node.arguments[0];
          if (code && code.type !== 'SpreadElement' && !shadowed(scope, 'eval')) {
            s.appendLeft(code.start, `${names.module}.${M.evalSource}(`);
            s.appendLeft(code.end, ')');
          }
        }
        break;
      case 'AssignmentExpression':
        markAssigned(node.left, scope);
        if (node.left.type === 'Identifier' || node.left.type === 'MemberExpression')
          visit(node.left, scope, fnDepth, node, 'left');
        else visitPattern(node.left, scope, fnDepth);
        visit(node.right, scope, fnDepth, node, 'right');
        return;
    }
    for (const k of CHILD_KEYS[node.type] ?? Object.keys(node)) {
      if (k === 'type' || k === 'start' || k === 'end' || k === 'loc' || k === 'range') continue;
      const child = node[k];
      if (Array.isArray(child)) for (const c of child) visit(c, scope, fnDepth, node, k);
      else if (child && typeof child === 'object' && typeof child.type === 'string')
        visit(child, scope, fnDepth, node, k);
    }
  };

  for (const st of ast.body as AnyNode[]) visit(st, undefined, 0, ast, 'body');
  return { topLevelAwait, assigned };
}

/**
 * The code a transformed module gives a direct `eval`: it runs in the module's scope, where named imports are
 * read through the bindings object and `import()` is the module's, so its code is rewritten as the module's was
 * (names the eval code declares itself stay its own). Code that does not parse is left for V8 to reject.
 */
export function rewriteEvalSource(code: string, namedImports: readonly string[], names: ProtocolNames): string {
  if (!code.includes('import') && !namedImports.some((name) => code.includes(name))) return code;
  let ast: AnyNode;
  try {
    ast = parseAcorn(code, { ecmaVersion: 'latest', sourceType: 'script' }) as AnyNode;
  } catch {
    return code;
  }
  const own = new Set<string>();
  for (const st of ast.body as AnyNode[]) collectVars(st, own, true);
  blockNames(ast.body as AnyNode[], own);
  const importOf = new Map(
    namedImports.filter((name) => !own.has(name)).map((name) => [name, { request: 0, imported: name }]),
  );
  try {
    const s = new Edits(code);
    rewriteReferences(ast, s, importOf, names, mentions(code, new Set([...importOf.keys(), 'import', 'eval'])));
    return s.toString();
  } catch {
    return code; // nested deeper than the walk goes: V8 decides, as it would natively
  }
}

/**
 * `arguments` outside every non-arrow function: a module does not bind it (reading it throws a ReferenceError,
 * `typeof` gives 'undefined'), but the function the module becomes would. Function bodies are not entered, so
 * the walk costs little; a binding named `arguments` cannot exist in strict code.
 */
function unbindArguments(
  node: AnyNode | null | undefined,
  s: Edits,
  names: ProtocolNames,
  parent?: AnyNode,
  key?: string,
): void {
  if (!node || typeof node.type !== 'string') return;
  switch (node.type) {
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ImportDeclaration':
    case 'ExportAllDeclaration':
    case 'MetaProperty':
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
      if (node.type === 'LabeledStatement') unbindArguments(node.body, s, names, node, 'body');
      return;
    case 'UnaryExpression':
      if (node.operator === 'typeof' && node.argument.type === 'Identifier' && node.argument.name === 'arguments') {
        s.overwrite(node.start, node.end, "'undefined'");
        return;
      }
      break;
    case 'Identifier': {
      if (node.name !== 'arguments') return;
      const notReference =
        (key === 'property' && parent?.type === 'MemberExpression' && !parent.computed) ||
        (key === 'key' && !parent?.computed) ||
        key === 'exported' ||
        key === 'imported' ||
        key === 'local';
      if (notReference) return;
      const read = `${names.module}.${M.unbound}('arguments')`;
      s.overwrite(node.start, node.end, parent?.type === 'Property' && parent.shorthand ? `arguments: ${read}` : read);
      return;
    }
  }
  for (const k of CHILD_KEYS[node.type] ?? Object.keys(node)) {
    if (k === 'type' || k === 'start' || k === 'end' || k === 'loc' || k === 'range') continue;
    const child = node[k];
    if (Array.isArray(child)) for (const c of child) unbindArguments(c, s, names, node, k);
    else if (child && typeof child === 'object') unbindArguments(child, s, names, node, k);
  }
}

/**
 * The keys of ESTree nodes that hold child nodes, for the types {@link rewriteReferences} walks generically
 * (`Object.keys` on every node was a fifth of the walk). A type not listed is walked by its own keys.
 */
const CHILD_KEYS: Record<string, readonly string[]> = {
  ExpressionStatement: ['expression'],
  ReturnStatement: ['argument'],
  ThrowStatement: ['argument'],
  IfStatement: ['test', 'consequent', 'alternate'],
  WhileStatement: ['test', 'body'],
  DoWhileStatement: ['body', 'test'],
  WithStatement: ['object', 'body'],
  TryStatement: ['block', 'handler', 'finalizer'],
  EmptyStatement: [],
  DebuggerStatement: [],
  ExportDefaultDeclaration: ['declaration'],
  VariableDeclarator: ['id', 'init'],
  ClassBody: ['body'],
  ThisExpression: [],
  Super: [],
  Literal: [],
  PrivateIdentifier: [],
  TemplateElement: [],
  ArrayExpression: ['elements'],
  ObjectExpression: ['properties'],
  UnaryExpression: ['argument'],
  BinaryExpression: ['left', 'right'],
  LogicalExpression: ['left', 'right'],
  ConditionalExpression: ['test', 'consequent', 'alternate'],
  CallExpression: ['callee', 'arguments'],
  NewExpression: ['callee', 'arguments'],
  SequenceExpression: ['expressions'],
  YieldExpression: ['argument'],
  AwaitExpression: ['argument'],
  TemplateLiteral: ['quasis', 'expressions'],
  TaggedTemplateExpression: ['tag', 'quasi'],
  SpreadElement: ['argument'],
  ChainExpression: ['expression'],
  UpdateExpression: ['argument'],
};

/** How each module-level name is declared. */
function declarationKinds(ast: AnyNode): Map<string, 'var' | 'let' | 'const' | 'function' | 'class'> {
  const kinds = new Map<string, 'var' | 'let' | 'const' | 'function' | 'class'>();
  for (let st of ast.body as AnyNode[]) {
    if ((st.type === 'ExportNamedDeclaration' || st.type === 'ExportDefaultDeclaration') && st.declaration)
      st = st.declaration;
    if (st.type === 'VariableDeclaration')
      for (const d of st.declarations) for (const n of patternNames(d.id)) kinds.set(n, st.kind);
    else if (st.type === 'FunctionDeclaration' && st.id) kinds.set(st.id.name, 'function');
    else if (st.type === 'ClassDeclaration' && st.id) kinds.set(st.id.name, 'class');
  }
  return kinds;
}

/** Wraps a transform failure as a {@link CodesaveError} (syntax errors from user code stay `SyntaxError`s). */
export function transformFailed(filename: string, cause: unknown): CodesaveError {
  return new CodesaveError('ERR_TRANSFORM_FAILED', `Could not transform ${filename}: ${String(cause)}`, {
    cause,
    details: { path: filename },
  });
}
