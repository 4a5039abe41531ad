import assert from 'node:assert/strict';
import { test } from 'node:test';
import vm from 'node:vm';
import { rewriteDynamicImport } from '../src/runtime/transform/cjs-import.js';
import { transformEsm } from '../src/runtime/transform/esm.js';
import { DEFAULT_NAMES } from '../src/runtime/transform/names.js';

const { bindings: BINDINGS, dynamicImport: DYNAMIC_IMPORT, module: MODULE } = DEFAULT_NAMES;

test('records requests in source order, deduplicated by specifier and attributes', () => {
  const r = transformEsm(
    `import a from './a.js';
export * from './b.js';
import { x } from './a.js';
import j from './d.json' with { type: 'json' };
export { y as z } from './c.js';
export * as ns from './b.js';`,
    'm.js',
  );
  assert.deepStrictEqual(
    r.requests.map((q) => [q.specifier, q.attributes]),
    [
      ['./a.js', {}],
      ['./b.js', {}],
      ['./d.json', { type: 'json' }],
      ['./c.js', {}],
    ],
  );
  assert.deepStrictEqual(r.starExports, [1]);
  assert.deepStrictEqual(r.indirectExports, [
    { name: 'z', request: 3, imported: 'y' },
    { name: 'ns', request: 1, imported: '*' },
  ]);
  assert.deepStrictEqual(
    r.imports.map((i) => [i.local, i.request, i.imported]),
    [
      ['a', 0, 'default'],
      ['x', 0, 'x'],
      ['j', 2, 'default'],
    ],
  );
});

test('re-exported imports are indirect exports; local exports keep their local names', () => {
  const r = transformEsm(
    `import { a } from './a.js'; import * as all from './a.js';
export { a, all as everything };
export let x = 1, { p, q: [s] } = {};
export default function () {}
export class K {}`,
    'm.js',
  );
  assert.deepStrictEqual(r.indirectExports, [
    { name: 'a', request: 0, imported: 'a' },
    { name: 'everything', request: 0, imported: '*' },
  ]);
  assert.deepStrictEqual(
    r.localExports.map((e) => `${e.name}=${e.local}`),
    ['x=x', 'p=p', 's=s', 'default=__cs_default', 'K=K'],
  );
});

test('keeps every original line in place and blanks import/export keywords without moving columns (a `;` first)', () => {
  const source = "import { a } from './a.js';\nexport const b = 1;\n  export function c() { return 2; }\nthrow 1;\n";
  const { code } = transformEsm(source, 'm.js');
  const body = code.split('\n').slice(1);
  assert.equal(body.length, source.split('\n').length + 1);
  // The `;` keeps the statement before a removed keyword ended, as the declaration did (ASI).
  assert.equal(body[0], `;${' '.repeat(26)}`);
  assert.equal(body[1], ';      const b = 1;');
  assert.equal(body[2], '  ;      function c() { return 2; }');
  assert.equal(body[3], 'throw 1;');
});

test('rewrites references to imports, not shadowed names, properties or labels', () => {
  const { code } = transformEsm(
    `import { f, v } from './x.js';
f(); f\`t\`; const o = { v, f: v, [v]: 1 }; o.v; o.f;
function g(v) { return v; }
for (const f of []) f;
{ let v = 2; v; }
try {} catch (f) { f; }
class C { v = v; f() { return f; } }
label: for (;;) break label;
console.log(import.meta.url, import('./y.js'));`,
    'm.js',
  );
  const body = code.split('\n').slice(1).join('\n');
  // A rewritten callee starting a statement gets a `;`: `a\nf()` must not become `a\n(0, …)()`, one call.
  assert.match(body, new RegExp(`;\\(0, ${BINDINGS}\\.f\\)\\(\\); ;\\(0, ${BINDINGS}\\.f\\)\`t\``));
  assert.match(
    transformEsm("import { f } from './x.js';\nif (1) f();", 'm.js').code,
    /\nif \(1\) \(0, __cs_b\.f\)\(\);/,
  );
  assert.match(
    body,
    new RegExp(`\\{ v: ${BINDINGS}\\.v, f: ${BINDINGS}\\.v, \\[${BINDINGS}\\.v\\]: 1 \\}; o\\.v; o\\.f;`),
  );
  assert.match(body, /function g\(v\) \{ return v; \}/);
  assert.match(body, /for \(const f of \[\]\) f;/);
  assert.match(body, /\{ let v = 2; v; \}/);
  assert.match(body, /catch \(f\) \{ f; \}/);
  assert.match(body, new RegExp(`class C \\{ v = ${BINDINGS}\\.v; f\\(\\) \\{ return ${BINDINGS}\\.f; \\} \\}`));
  assert.match(body, /label: for \(;;\) break label;/);
  assert.match(body, new RegExp(`${MODULE}\\.meta\\.url, ${DYNAMIC_IMPORT}\\('./y.js'\\)`));
});

test('top-level await makes an async generator; await inside functions does not', () => {
  assert.equal(transformEsm('async function f() { await 1; }', 'm.js').async, false);
  assert.equal(transformEsm('const g = async () => { for await (const x of []); };', 'm.js').async, false);
  assert.equal(transformEsm('await 1;', 'm.js').async, true);
  assert.equal(transformEsm('for await (const x of []) x;', 'm.js').async, true);
  assert.match(transformEsm('await 1;', 'm.js').code, /^'use strict';\(async function\* /);
});

test('instantiate = first next(): hoisted functions visible, let/class in TDZ; evaluate = second next()', () => {
  const { code } = transformEsm('export function f() { return 1; }\nexport let x = 2;\nexport class K {}', 'm.js');
  const fn = vm.runInThisContext(code);
  const getters: Record<string, () => unknown> = {};
  const gen = fn({ e: (g: typeof getters) => Object.assign(getters, g), n() {}, meta: {} }, {}, () => {});
  gen.next();
  assert.equal((getters.f!() as () => number)(), 1);
  assert.throws(() => getters.x!(), { name: 'ReferenceError', message: "Cannot access 'x' before initialization" });
  assert.throws(() => getters.K!(), ReferenceError);
  assert.deepStrictEqual(gen.next(), { value: undefined, done: true });
  assert.equal(getters.x!(), 2);
});

test('anonymous default exports are named "default"', () => {
  const run = (src: string) => {
    const { code } = transformEsm(src, 'm.js');
    const getters: Record<string, () => unknown> = {};
    const handle = {
      e: (g: typeof getters) => Object.assign(getters, g),
      n: (f: Function) => Object.defineProperty(f, 'name', { value: 'default' }),
      meta: {},
    };
    const gen = vm.runInThisContext(code)(handle, {}, () => {});
    gen.next();
    gen.next();
    return (getters.default!() as Function).name;
  };
  assert.equal(run('export default function () {}'), 'default');
  assert.equal(run('export default class {}'), 'default');
  assert.equal(run('export default () => 1'), 'default');
  assert.equal(run('export default function named() {}'), 'named');
  assert.equal(run('export default (class Named {})'), 'Named');
});

test("syntax errors carry V8's message (as Node reports them) and the file, line and column", () => {
  assert.throws(() => transformEsm('let x = ;', '/v/bad.mjs'), {
    name: 'SyntaxError',
    message: "Unexpected token ';'",
    loc: { line: 1, column: 9 },
    path: '/v/bad.mjs',
  });
  assert.throws(() => transformEsm('export { nope };', '/v/bad.mjs'), SyntaxError);
});

test('import() in CommonJS is rewritten to a same-length call, other code untouched', () => {
  assert.equal(rewriteDynamicImport('module.exports = 1;', DYNAMIC_IMPORT), undefined);
  assert.equal(rewriteDynamicImport('const s = "import(";', DYNAMIC_IMPORT), undefined);
  assert.equal(
    rewriteDynamicImport('exports.load = () => import("./x.mjs");', DYNAMIC_IMPORT),
    `exports.load = () => ${DYNAMIC_IMPORT}("./x.mjs");`,
  );
});

test('exports never reassigned are marked constant (importers may keep their first value)', () => {
  const r = transformEsm(
    `export const a = 1; export let b = 2; export let c = 3; c++; export var d = 4;
export function f() {} export function g() {} g = null; export class K {}
function inner() { let b = 0; b = 1; }`,
    'm.js',
  );
  assert.deepStrictEqual(
    r.localExports.filter((e) => e.constant).map((e) => e.name),
    ['a', 'b', 'f', 'K'],
  );
  const withEval = transformEsm('export let x = 1; export const y = 2; eval("x = 3");', 'm.js');
  assert.deepStrictEqual(
    withEval.localExports.filter((e) => e.constant).map((e) => e.name),
    ['y'],
  );
});

test('a default export ending in an imported name, without a semicolon, still compiles', () => {
  for (const source of [
    "import foo from './x.js'; export default foo",
    "import foo from './x.js'\nexport default foo\n",
    "import f from './x.js'; export default () => f",
    "import f from './x.js'; export default f ? 1 : f",
  ]) {
    const { code } = transformEsm(source, '/a.mjs');
    assert.doesNotThrow(() => new vm.Script(code), source);
    assert.match(code, new RegExp(`${BINDINGS}\\.f(?:oo)?\\)(?: \\}\\.default)?;`), source);
  }
});
