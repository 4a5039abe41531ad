import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mayCallImport } from '../src/runtime/import-scan.js';
import { rewriteDynamicImport } from '../src/runtime/transform/cjs-import.js';
import { DEFAULT_NAMES } from '../src/runtime/transform/names.js';

const DYNAMIC_IMPORT = DEFAULT_NAMES.dynamicImport;

test('import() with comments or line breaks before its parenthesis is rewritten', () => {
  const cases: [string, string][] = [
    ['import /*c*/ ("x")', `${DYNAMIC_IMPORT} /*c*/ ("x")`],
    ['import\n("x")', `${DYNAMIC_IMPORT}\n("x")`],
    ['import // c\n("x")', `${DYNAMIC_IMPORT} // c\n("x")`],
    ['import /* a */ /* b */\n (/* c */ "x")', `${DYNAMIC_IMPORT} /* a */ /* b */\n (/* c */ "x")`],
  ];
  for (const [source, expected] of cases) {
    assert.equal(mayCallImport(source), true, source);
    assert.equal(rewriteDynamicImport(source, DYNAMIC_IMPORT), expected, source);
  }
});

test('import( in strings, templates, regular expressions and comments is left alone', () => {
  for (const source of [
    'const s = "import /* c */ (";',
    `const t = \`import /* c */ (\${1})\`;`,
    'const r = /import\\s*\\(/;',
    '// import /* c */ ("x")',
    '/* import ("x") */',
    'const important = (x) => x; important(1);',
  ])
    assert.equal(rewriteDynamicImport(source, DYNAMIC_IMPORT), undefined, source);
});
