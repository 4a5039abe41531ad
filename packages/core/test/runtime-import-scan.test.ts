// The pre-scan that spares large CommonJS bundles an acorn parse must never miss a real `import()`.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are JavaScript sources under test
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { mayCallImport } from '../src/runtime/import-scan.ts';
import { mayBuildImporter, rewriteDynamicImport } from '../src/runtime/transform/cjs-import.ts';
import { DEFAULT_NAMES } from '../src/runtime/transform/names.ts';

const DYNAMIC_IMPORT = DEFAULT_NAMES.dynamicImport;

const calls = [
  "module.exports = () => import('./x.js');",
  "const a = 1 / 2; import('x');",
  "if (a) /re'/.test(b); import('x');",
  "const t = `a${'`'}b${ { a: import('x') } }`;",
  'x = y++ / 2; z = import("x");',
  "/* import( */ const r = /[/'\"]/g; import ('x')",
  'import\n(`x`)',
  "a = b\n/re/g.test(c) ? import('x') : 0",
  "return typeof /x'/ === 'object' && import('y');",
  "const s = 'it\\'s'; import('x')",
  "x = 1e+5 / 2; import('x')",
  "a.return / 2; import('x')",
  "for (;;) { break } import('x')",
];
const none = [
  "const s = 'import(x)';",
  'const s = "import (x)";',
  '// import("x")\nmodule.exports = 1;',
  '/* import("x") */',
  'const r = /import\\(/;',
  'const t = `import(${1})`;',
  "const t = `${'import('}`;",
  'x = a / b / c; // import(',
  "s = 'a' /* import( */ + 'b'",
  'const o = { import: 1 }; o.import;',
];

test('mayCallImport: true wherever acorn finds an import() call, false for mentions in literals and comments', () => {
  for (const source of calls) {
    assert.notEqual(rewriteDynamicImport(source, DYNAMIC_IMPORT), undefined, `acorn finds the call in: ${source}`);
    assert.equal(mayCallImport(source), true, source);
  }
  for (const source of none) {
    assert.equal(rewriteDynamicImport(source, DYNAMIC_IMPORT), undefined, `acorn finds no call in: ${source}`);
    assert.equal(mayCallImport(source), false, source);
  }
});

test('mayCallImport: unsure cases defer to the exact parse', () => {
  for (const source of ["f(function(){}/1/g, 'import(')", "s = 'unterminated import(", 'a = `${import(']) {
    assert.equal(mayCallImport(source), true, source);
  }
});

test('mayCallImport never misses a call acorn finds in the installed packages', () => {
  const root = path.resolve(import.meta.dirname, '../../../node_modules/.pnpm');
  let checked = 0;
  const walk = (dir: string, depth: number) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory() && depth < 8) walk(p, depth + 1);
      else if (entry.isFile() && /\.c?js$/.test(entry.name)) {
        const source = fs.readFileSync(p, 'utf8');
        if (!/\bimport\s*\(/.test(source) || source.length > 2_000_000) continue;
        checked++;
        // The runtime parses a module that may call import() or may build a function calling it (piscina's
        // `new Function('specifier', 'return import(specifier)')`): together they must never miss.
        if (rewriteDynamicImport(source, DYNAMIC_IMPORT) !== undefined)
          assert.equal(mayCallImport(source) || mayBuildImporter(source), true, p);
      }
    }
  };
  walk(root, 0);
  assert.ok(checked > 5, `${checked} files mention import(`);
});
