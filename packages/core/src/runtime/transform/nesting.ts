/**
 * Whether a source may nest deeper than a native parser can take. oxc-parser recurses on the native stack
 * without a limit: measured on Node 20 with an 8 MB stack, ~2,000 nested functions, ~7,000 nested brackets or
 * `else if`s, ~10,000 chained `=` or `?:` crash the whole process (SIGSEGV) — a hostile file in a zip must
 * not. V8 and acorn stop with a RangeError instead, so a file that may be that deep is parsed by acorn.
 *
 * The estimate over-approximates the nesting of the syntax tree in one pass: the depth of open brackets (`(`,
 * `[`, `{`, `${`), plus, at each open bracket, the operator characters, nesting keywords, calls and indexing
 * seen since its last `,` or `;` — every way to nest without brackets (chained assignments, conditionals,
 * arrows, unary operators, `if`/`else` chains, labels, call chains) takes at least one per level; member
 * chains, which the scan skips over with names, count a level per 32 characters skipped. Strings, comments, regular expressions and template
 * text do not count. Whether a `/` divides or starts a regular expression is decided from what precedes it as
 * a parser would; where that is open (after `}`, `++`/`--` or a contextual keyword) it is read both ways: the
 * candidate body counts as code, but what it closes closes nothing, and where the two readings would part (a
 * quote, template, slash or template end in that body) the answer is yes.
 */

/** What the scan stops at; everything else (other names, numbers, spaces, `.`) the regex engine skips. */
const TOKEN =
  /\/\/|\/\*|['"`]|[()[\]{},;/]|[=?:!~+\-*%&|^<>]+|(?<![\w$\u0080-\uffff])(?:if|else|while|for|do|with|typeof|void|delete|new|await|yield|return|throw|extends|case|instanceof|in|of|let|async|static|get|set|function)(?![\w$\u0080-\uffff])/g;
const NON_SPACE = /\S/g;
const SINGLE_QUOTED = /'(?:[^'\\\n\r]|\\[\s\S])*'?/y;
const DOUBLE_QUOTED = /"(?:[^"\\\n\r]|\\[\s\S])*"?/y;
/** Template text up to its closing `` ` `` or a `${`. */
const TEMPLATE_TEXT = /(?:[^`\\$]|\\[\s\S]|\$(?!\{))*/y;

/** Keywords that nest what follows them without brackets. */
const NESTING_WORDS = new Set([
  'if',
  'else',
  'while',
  'for',
  'do',
  'with',
  'typeof',
  'void',
  'delete',
  'new',
  'await',
  'yield',
  'return',
  'throw',
  'extends',
]);
/** Keywords after which `/` starts a regular expression in every mode. */
const BEFORE_REGEX = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
]);
/** `(` after these opens a statement head: a `/` after its `)` starts a regular expression. */
const HEAD_WORDS = new Set(['if', 'while', 'for', 'with']);

/**
 * Weights, in eighths of a level of the deepest-costing kind (brackets, `=`, `?:`, arrows, `if`/`else`,
 * unary operators: a crash from ~2,000-7,000): left-associative chains (binary operators, calls, indexing,
 * member access) crashed only from ~30,000-100,000 and count an eighth each.
 */
const LEVEL = 8;
const LEFT_CHAINED = new Set([
  '==',
  '===',
  '!=',
  '!==',
  '<',
  '>',
  '<=',
  '>=',
  '<<',
  '>>',
  '>>>',
  '&&',
  '||',
  '??',
  '&',
  '|',
  '^',
  '*',
  '%',
  '+',
  '-',
]);

/** The index of the `/` closing a regular expression body that starts at `i`, or -1 when none on this line. */
function regexEnd(source: string, i: number): number {
  let inClass = false;
  for (; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) return -1;
    if (c === 92) i++;
    else if (c === 91) inClass = true;
    else if (c === 93) inClass = false;
    else if (c === 47 && !inClass) return i;
  }
  return -1;
}

/** True when `source`'s syntax tree may be deeper than `limit` (see the module comment). */
export function mayNestDeeperThan(source: string, limit: number): boolean {
  // A tree has fewer levels than its source has characters.
  if (source.length <= limit) return false;
  const budget = limit * LEVEL;
  /** Per open bracket: nesting tokens since its last `,`/`;` (index 0: the top level). */
  const chains: number[] = [0];
  /** Per open bracket: `${` of a template, `(` of a statement head, or another bracket. */
  const kinds: ('interpolation' | 'head' | 'other')[] = ['other'];
  /** Open brackets plus the chains of the enclosing levels. */
  let depth = 0;
  /** Up to here, a candidate regular expression body: closers close nothing. */
  let ambiguousEnd = -1;
  /** The last significant token (a name or number the scan skipped reads as `'name'`) and where it ended. */
  let prev = ';';
  let prevEnd = 0;
  const token = new RegExp(TOKEN.source, 'g');
  let m: RegExpExecArray | null;

  const open = (kind: 'interpolation' | 'head' | 'other'): boolean => {
    depth += LEVEL + chains[chains.length - 1]!;
    chains.push(0);
    kinds.push(kind);
    return depth > budget;
  };
  /** Scans template text from `i`; leaves `token.lastIndex` after it. True when too deep. */
  const templateFrom = (i: number): boolean => {
    TEMPLATE_TEXT.lastIndex = i;
    TEMPLATE_TEXT.exec(source);
    const end = TEMPLATE_TEXT.lastIndex;
    prev = '`';
    if (source.charCodeAt(end) === 36) {
      token.lastIndex = prevEnd = end + 2;
      prev = '${';
      return open('interpolation');
    }
    token.lastIndex = prevEnd = end + 1;
    return false;
  };
  /** How a `/` reads after `prev`. */
  const slash = (): 'regex' | 'divide' | 'ambiguous' => {
    // A value ends there (a `)` closing a statement head reads as 'head)').
    if (prev === 'name' || prev === ')' || prev === ']' || prev === '"' || prev === '`' || prev === 'regex')
      return 'divide';
    if (prev === 'head)' || BEFORE_REGEX.has(prev)) return 'regex';
    if (prev === '}' || prev.endsWith('++') || prev.endsWith('--')) return 'ambiguous';
    // Other keywords (`yield`, `await`, `of`, `let`, ...) may be names.
    return /^[a-z]/.test(prev) ? 'ambiguous' : 'regex';
  };

  while ((m = token.exec(source)) !== null) {
    const at = m.index;
    const text = m[0];
    const c = text.charCodeAt(0);
    if (text === '//' || text === '/*') {
      if (at <= ambiguousEnd) return true;
      const end = text === '//' ? source.indexOf('\n', at) : source.indexOf('*/', at + 2);
      token.lastIndex = end < 0 ? source.length : text === '//' ? end : end + 2;
      // Comments are transparent to `prev` unless a skipped name came before them.
      NON_SPACE.lastIndex = prevEnd;
      if (NON_SPACE.exec(source)!.index < at) prev = 'name';
      prevEnd = token.lastIndex;
      continue;
    }
    NON_SPACE.lastIndex = prevEnd;
    /** The token before a skipped name, when there is one (`function` in `function f(`). */
    let beforeName: string | undefined;
    const gapStart = prevEnd;
    if (NON_SPACE.exec(source)!.index < at) {
      beforeName = prev;
      prev = 'name';
      // What the scan skipped may chain too (`a.b.c…`, 30,000 long crashed): a level per 32 characters.
      chains[chains.length - 1]! += (at - prevEnd) >> 2;
      if (depth + chains[chains.length - 1]! > budget) return true;
    }
    if (at <= ambiguousEnd) {
      // Inside a candidate regular expression body, read as code: where code and body would part, give up.
      if (c === 39 || c === 34 || c === 96) return true;
      if (c === 47 && (at < ambiguousEnd || slash() !== 'divide')) return true;
      if (c === 125 && kinds[kinds.length - 1] === 'interpolation') return true;
    }
    prevEnd = at + text.length;
    switch (c) {
      case 47: {
        const kind = at === ambiguousEnd ? 'divide' : slash();
        const end = kind === 'divide' ? -1 : regexEnd(source, at + 1);
        if (kind === 'regex' && end >= 0) {
          token.lastIndex = prevEnd = end + 1;
          prev = 'regex';
          continue;
        }
        if (kind === 'ambiguous' && end > ambiguousEnd) ambiguousEnd = end;
        break;
      }
      case 39:
      case 34: {
        const quoted = c === 39 ? SINGLE_QUOTED : DOUBLE_QUOTED;
        quoted.lastIndex = at;
        quoted.exec(source);
        token.lastIndex = prevEnd = quoted.lastIndex;
        prev = '"';
        continue;
      }
      case 96:
        if (templateFrom(at + 1)) return true;
        continue;
      case 40:
      case 91:
      case 123: {
        const head = c === 40 && HEAD_WORDS.has(prev);
        // A call or an index of a value chains (`f()()…`, `a.b().c()…`, `a[0][0]…`); the parameters of a
        // function or method declaration do not.
        if (
          (c !== 123 && (prev === ')' || prev === ']')) ||
          (prev === 'name' &&
            (c === 91 ||
              source.slice(gapStart, at).includes('.') ||
              !(beforeName === 'function' || beforeName === '{' || beforeName === '}' || beforeName === ';')))
        )
          chains[chains.length - 1]!++;
        prev = text;
        if (open(head ? 'head' : 'other')) return true;
        continue;
      }
      case 41:
      case 93:
      case 125: {
        prev = text;
        if (at <= ambiguousEnd || chains.length === 1) continue;
        const kind = kinds.pop()!;
        chains.pop();
        depth -= LEVEL + chains[chains.length - 1]!;
        if (kind === 'head' && c === 41) prev = 'head)';
        if (kind === 'interpolation' && c === 125 && templateFrom(at + 1)) return true;
        continue;
      }
      case 44:
      case 59:
        chains[chains.length - 1] = 0;
        prev = text;
        continue;
    }
    // A `case` starts a clause, as `;` starts a statement: what came before does not enclose it.
    if (text === 'case') chains[chains.length - 1] = 0;
    if (c >= 97 && c <= 122) {
      // A keyword after `.` or `#` is a property or private name.
      let j = at - 1;
      while (j > 0 && (source.charCodeAt(j) === 32 || source.charCodeAt(j) === 10 || source.charCodeAt(j) === 9)) j--;
      if (source.charCodeAt(j) === 46 || source.charCodeAt(j) === 35) {
        prev = 'name';
        continue;
      }
    }
    // `for await (` keeps the `for` that makes its `(` a statement head.
    if (!(text === 'await' && prev === 'for')) prev = text;
    if (c >= 97 && c <= 122 && !NESTING_WORDS.has(text)) continue;
    // An operator run or a nesting keyword: each operator character may be a level (`=!-x`).
    chains[chains.length - 1]! += c >= 97 && c <= 122 ? LEVEL : LEFT_CHAINED.has(text) ? 1 : LEVEL * text.length;
    if (depth + chains[chains.length - 1]! > budget) return true;
  }
  return false;
}
