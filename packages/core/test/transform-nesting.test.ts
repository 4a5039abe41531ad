/**
 * The guard that keeps deeply nested files away from oxc-parser, which recurses on the native stack without a
 * limit (a SIGSEGV of the whole process, measured from ~2,000 nested functions). A miss here would crash the
 * test runner itself: each hostile source below also goes through the whole transform.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { transformEsm } from '../src/runtime/transform/esm.js';
import { mayNestDeeperThan } from '../src/runtime/transform/nesting.js';

const LIMIT = 400;

/** Nestings that crashed oxc (from the depths measured), each 20,000 deep. */
const hostile: Record<string, (n: number) => string> = {
  brackets: (n) => `x = ${'['.repeat(n)}${']'.repeat(n)}`,
  parentheses: (n) => `x = ${'('.repeat(n)}1${')'.repeat(n)}`,
  blocks: (n) => `${'{'.repeat(n)}${'}'.repeat(n)}`,
  objects: (n) => `x = ${'{a:'.repeat(n)}1${'}'.repeat(n)}`,
  templates: (n) => `x = ${'`${'.repeat(n)}1${'}`'.repeat(n)}`,
  functions: (n) => `x = ${'function(){ return '.repeat(n)}1${'}'.repeat(n)}`,
  arrows: (n) => `x = ${'a => '.repeat(n)}1`,
  'else if': (n) => `if (a) {} ${'else if (a) {} '.repeat(n)}`,
  'nested if': (n) => `${'if (a) '.repeat(n)};`,
  labels: (n) => `${Array.from({ length: n }, (_, i) => `l${i}: `).join('')};`,
  assignments: (n) => `a${' = a'.repeat(n)}`,
  conditionals: (n) => `x = ${'a ? b : '.repeat(n)}c`,
  'logical not': (n) => `x = ${'!'.repeat(n)}a`,
  negation: (n) => `x = ${'- '.repeat(n)}a`,
  typeof: (n) => `x = ${'typeof '.repeat(n)}a`,
  await: (n) => `x = ${'await '.repeat(n)}a`,
  new: (n) => `x = ${'new '.repeat(n)}A`,
  exponent: (n) => `x = a${' ** a'.repeat(n)}`,
  'class heritage': (n) => `x = ${'class extends '.repeat(n)}A {}${' {}'.repeat(n)}`,
  // Left-associative chains crashed only from ~30,000-100,000 deep.
  additions: (n) => `x = a${' + a'.repeat(n * 5)}`,
  'logical and': (n) => `x = a${' && a'.repeat(n * 5)}`,
  'member chain': (n) => `x = a${'.b'.repeat(n * 5)}`,
  'call chain': (n) => `x = a${'()'.repeat(n * 5)}`,
  'method chain': (n) => `x = a${'.b()'.repeat(n * 5)}`,
  // A `/` read as a regular expression would hide what it closes or skips; read as a division, hide a body.
  'closers in a division': (n) => `x = ${'('.repeat(300)}a) / 2 + /${')'.repeat(300)}/;\n`.repeat(n / 300),
  'closers in a regex after if': (n) =>
    `function f() {${`${'('.repeat(200)}if (a) /${')'.repeat(200)}/.test(b);\n`.repeat(n / 200)}}`,
  'regex after a block': (n) => `x = ${'{}/})))/ + ('.repeat(n)}1${')'.repeat(n)}`,
  'keyword as a property': (n) => `x = a.in / ${'('.repeat(n)}1${')'.repeat(n)} / 2`,
  'division after a comment': (n) => `x = a /* c */ / ${'('.repeat(n)}1${')'.repeat(n)} / 2`,
  'division after a string': (n) => `x = 'a' / ${'('.repeat(n)}1${')'.repeat(n)}`,
};

test('every nesting that crashed oxc is flagged, and the transform reports it as V8 does', () => {
  for (const [name, make] of Object.entries(hostile)) {
    const source = `${make(20_000)};\nexport {};\n`;
    assert.equal(mayNestDeeperThan(source, LIMIT), true, name);
    // acorn then parses it: a RangeError like V8's, or (for the chains it manages) a transform — never a crash.
    try {
      transformEsm(source, `/virtual/${name}.mjs`);
    } catch (error) {
      assert.ok(error instanceof RangeError || error instanceof SyntaxError, `${name}: ${String(error)}`);
      if (error instanceof RangeError) assert.equal(error.message, 'Maximum call stack size exceeded');
    }
  }
});

test('ordinary code is not flagged: every module of lodash-es and of this package', () => {
  const require = createRequire(import.meta.url);
  const lodash = dirname(require.resolve('lodash-es/package.json', { paths: [join(import.meta.dirname, '../../..')] }));
  const sources = readdirSync(lodash)
    .filter((f) => f.endsWith('.js'))
    .map((f) => join(lodash, f));
  const own = join(import.meta.dirname, '../src');
  for (const entry of readdirSync(own, { recursive: true, withFileTypes: true }))
    if (entry.isFile() && entry.name.endsWith('.ts')) sources.push(join(entry.parentPath, entry.name));
  assert.ok(sources.length > 600);
  const flagged = sources.filter((file) => mayNestDeeperThan(readFileSync(file, 'utf8'), LIMIT));
  assert.deepEqual(flagged, []);
});

test('what reads like nesting but is not: strings, comments, regular expressions, template text', () => {
  const deepText = '('.repeat(5_000);
  const cases = [
    `x = '${deepText}';`,
    `x = "${deepText}";`,
    `// ${deepText}\nx = 1;`,
    `/* ${deepText} */ x = 1;`,
    `x = /${deepText.replace(/\(/g, '\\(')}/;`,
    `if (a) /[(]{2}${'('.repeat(0)}/.test(b);`,
    `x = \`${deepText} \${a} ${deepText}\`;`,
    // A flat sequence and a long switch are wide, not deep.
    `x = (${'a ? b : c, '.repeat(5_000)}1);`,
    `switch (x) {${'\n  case 1:\n    return 2'.repeat(5_000)}\n}`,
    `x = [${'1, '.repeat(50_000)}];`,
  ];
  for (const source of cases) assert.equal(mayNestDeeperThan(source, LIMIT), false, source.slice(0, 60));
  // Depth at the limit passes, one more level does not.
  assert.equal(mayNestDeeperThan(`x = ${'['.repeat(LIMIT - 1)}${']'.repeat(LIMIT - 1)}`, LIMIT), false);
  assert.equal(mayNestDeeperThan(`x = ${'['.repeat(LIMIT + 1)}${']'.repeat(LIMIT + 1)}`, LIMIT), true);
});
