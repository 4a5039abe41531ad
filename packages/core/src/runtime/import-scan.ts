/**
 * A fast answer to "can this CommonJS source call `import()`?", so the exact (acorn) rewrite of dynamic
 * imports runs only where one may be. Large bundles mention `import(` in strings, comments and regular
 * expressions (typescript.js: 9 MB, none in code); parsing them with acorn costs several times V8's own
 * compile. The scan reads the source as a JavaScript lexer does (strings, templates with `${}` nesting,
 * comments, regular expressions told from division by the token before them) and answers `false` only when
 * no `import` keyword followed by `(` stands in code. Whenever it is unsure (a `/` after `}`, an unterminated
 * literal) it answers `true`, and the exact parse decides.
 */

// `import`, then any whitespace and comments (block or line), then `(`.
const MAYBE = /\bimport(?:\s|\/\*(?:[^*]|\*(?!\/))*\*\/|\/\/[^\n\r\u2028\u2029]*)*\(/;

/** Keywords after which a `/` starts a regular expression. */
const BEFORE_REGEX = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);
/** Keywords whose parenthesised header may be followed by a statement starting with a regular expression. */
const HEADER = new Set(['if', 'while', 'for', 'with']);

enum Prev {
  /** Start, punctuator, operator, keyword before an expression: a `/` starts a regular expression. */
  Operator,
  /** Identifier, number, literal, `)` or `]`: a `/` divides. */
  Value,
  /** `}`: a block's end or an expression's, unknown here. */
  Brace,
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 128;
}

/** `false` when `source` certainly has no `import(…)` expression in code; `true` when it may. */
export function mayCallImport(source: string): boolean {
  if (!MAYBE.test(source)) return false;
  const n = source.length;
  let i = 0;
  if (source.startsWith('#!')) i = lineEnd(source, 0);
  let prev = Prev.Operator;
  let prevWord = '';
  /** For each open `(`: did a control keyword (`if`, `while`, ...) stand before it? */
  const parens: boolean[] = [];
  /** For each open `{` in code: `true` when it is a template's `${`. */
  const braces: boolean[] = [];
  /** Template text from `from` to its end or its next `${`; false when the template never ends. */
  const templateText = (from: number): boolean => {
    const end = templateEnd(source, from);
    if (end === -1) return false;
    i = end.index;
    if (end.opensExpression) {
      braces.push(true);
      prev = Prev.Operator;
    } else prev = Prev.Value;
    prevWord = '';
    return true;
  };
  while (i < n) {
    const c = source.charCodeAt(i);
    // whitespace
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff) {
      i++;
      continue;
    }
    if (c === 47 /* / */) {
      const next = source.charCodeAt(i + 1);
      if (next === 47) {
        i = lineEnd(source, i);
        continue;
      }
      if (next === 42 /* * */) {
        const end = source.indexOf('*/', i + 2);
        if (end === -1) return true;
        i = end + 2;
        continue;
      }
      if (prev === Prev.Brace) return true;
      if (prev === Prev.Operator) {
        const end = regexEnd(source, i + 1);
        if (end === -1) return true;
        i = end;
        while (i < n && isWordChar(source.charCodeAt(i))) i++; // flags
        prev = Prev.Value;
        prevWord = '';
        continue;
      }
      i++; // division (or `/=`)
      prev = Prev.Operator;
      prevWord = '';
      continue;
    }
    if (c === 39 /* ' */ || c === 34 /* " */) {
      const end = stringEnd(source, i + 1, c);
      if (end === -1) return true;
      i = end;
      prev = Prev.Value;
      prevWord = '';
      continue;
    }
    if (c === 96 /* ` */) {
      if (!templateText(i + 1)) return true;
      continue;
    }
    if (c === 125 /* } */) {
      // back into the template after `${ … }`
      if (braces.pop()) {
        if (!templateText(i + 1)) return true;
        continue;
      }
      i++;
      prev = Prev.Brace;
      prevWord = '';
      continue;
    }
    if (c === 123 /* { */) {
      braces.push(false);
      i++;
      prev = Prev.Operator;
      prevWord = '';
      continue;
    }
    if (c === 40 /* ( */) {
      parens.push(HEADER.has(prevWord));
      i++;
      prev = Prev.Operator;
      prevWord = '';
      continue;
    }
    if (c === 41 /* ) */) {
      prev = parens.pop() ? Prev.Operator : Prev.Value;
      i++;
      prevWord = '';
      continue;
    }
    if (c === 93 /* ] */) {
      i++;
      prev = Prev.Value;
      prevWord = '';
      continue;
    }
    if (c === 60 /* < */ && source.startsWith('<!--', i)) {
      i = lineEnd(source, i); // an HTML-like comment (scripts, Annex B)
      continue;
    }
    if (c === 45 /* - */ && source.startsWith('-->', i) && startsLine(source, i)) {
      i = lineEnd(source, i);
      continue;
    }
    if ((c === 43 /* + */ || c === 45) /* - */ && source.charCodeAt(i + 1) === c) {
      // postfix after a value (`i++ / 2` divides: stays a value); prefix before an operand
      i += 2;
      if (prev !== Prev.Value) prev = Prev.Operator;
      prevWord = '';
      continue;
    }
    if (isWordChar(c) || c === 92 /* \ (escaped identifier) */) {
      const start = i;
      while (i < n && (isWordChar(source.charCodeAt(i)) || source.charCodeAt(i) === 92)) i++;
      const word = source.slice(start, i);
      if (word === 'import') {
        let j = i;
        for (;;) {
          while (j < n && /\s/.test(source[j]!)) j++;
          if (source.startsWith('//', j)) j = lineEnd(source, j);
          else if (source.startsWith('/*', j)) {
            const end = source.indexOf('*/', j + 2);
            if (end === -1) return true;
            j = end + 2;
          } else break;
        }
        if (source.charCodeAt(j) === 40) return true;
      }
      const first = word.charCodeAt(0);
      const isNumber = first >= 48 && first <= 57;
      if (isNumber) {
        // `1.5e+3`: the sign belongs to the number
        const last = word.charCodeAt(word.length - 1) | 32;
        if (last === 101 && !/^0[xX]/.test(word) && (source[i] === '+' || source[i] === '-')) i++;
      }
      // `x.return / 2`: a keyword after `.` is a property name
      const property = start > 0 && source.charCodeAt(start - 1) === 46;
      prev = !isNumber && !property && BEFORE_REGEX.has(word) ? Prev.Operator : Prev.Value;
      prevWord = isNumber || property ? '' : word;
      continue;
    }
    if (c === 46 /* . */ && isDigit(source.charCodeAt(i + 1))) {
      i++;
      while (i < n && (isWordChar(source.charCodeAt(i)) || source.charCodeAt(i) === 46)) i++;
      prev = Prev.Value;
      prevWord = '';
      continue;
    }
    // any other punctuator
    i++;
    prev = Prev.Operator;
    prevWord = '';
  }
  return braces.length > 0;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function lineEnd(source: string, from: number): number {
  for (let i = from; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) return i;
  }
  return source.length;
}

function startsLine(source: string, at: number): boolean {
  for (let i = at - 1; i >= 0; i--) {
    const c = source.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) return true;
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** Index after the closing quote, or -1. */
function stringEnd(source: string, from: number, quote: number): number {
  for (let i = from; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === quote) return i + 1;
    if (c === 92) i++;
    else if (c === 10 || c === 13) return -1;
  }
  return -1;
}

/** Index after the closing `/` of a regular expression body starting at `from`, or -1. */
function regexEnd(source: string, from: number): number {
  let inClass = false;
  for (let i = from; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 10 || c === 13) return -1;
    else if (inClass) {
      if (c === 93) inClass = false;
    } else if (c === 91) inClass = true;
    else if (c === 47) return i + 1;
  }
  return -1;
}

/** After a template's text from `from`: the index after its closing backquote, or after a `${`. */
function templateEnd(source: string, from: number): { index: number; opensExpression: boolean } | -1 {
  for (let i = from; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 96) return { index: i + 1, opensExpression: false };
    else if (c === 36 && source.charCodeAt(i + 1) === 123) return { index: i + 2, opensExpression: true };
  }
  return -1;
}
