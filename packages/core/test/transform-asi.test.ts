/**
 * Automatic semicolon insertion around the ESM rewrite: every removed or rewritten `import`/`export` must leave
 * code that splits into the same statements as the original. A small generated corpus (import/export forms ×
 * statement separators × file starts and ends) runs natively (one `node` process) and through the loader; the
 * namespaces (keys, `typeof`, primitive values, function names) or the thrown error's name must match.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'acorn';
import { transformEsm } from '../src/runtime/transform/esm.js';
import { testHost } from './esm-host.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-asi-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

/** Deterministic PRNG (mulberry32), so a failing case is reproducible by its index. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DEP = `export default function d(x) { return 'd' + (x ?? ''); }
export const v = 'v';
export function f(x) { return 'f' + (x ?? ''); }
export const tag = (s) => 't' + s[0];
export const arr = [1, 2];
`;
const DEP2 = 'export const fromStar = 1;\nexport function starFn() {}\n';

const IMPORTS = ["import d from './dep.js'", "import { f, tag, v } from './dep.js'", "import * as ns from './dep.js'"];
const STATEMENTS = [
  "export { v as reV } from './dep.js'",
  "export * from './dep2.js'",
  "export * as star from './dep2.js'",
  'export const c1 = 1',
  'export let l1 = f()',
  'export var v1 = ns.v',
  'export function fn1() { return 1 }',
  'export class K1 {}',
  'export async function af() {}',
  'export { loc as exportedLoc, v as vAgain }',
  'const loc = 2',
  'f()',
  'f(1).length',
  'tag`x`',
  'd',
  'v',
  '(globalThis.__asiSide = 1)',
  '[1, 2].forEach(() => {})',
  '`template`',
  "'use strict'",
  'globalThis.__asiMeta = typeof import.meta.url',
  "void import('./dep.js')",
  "import('./dep.js').catch(() => {})",
  'let later = d(v)',
];
const DEFAULTS = [
  'export default d',
  'export default f(1)',
  'export default v',
  'export default ns',
  "export default function () { return 'anon' }",
  'export default async function () {}',
  'export default function* () {}',
  'export default class extends Object {}',
  'export default class Named {}',
  'export default (1 + 2)',
  'export default async () => 1',
  'export default () => 1',
  'export default tag`y`',
  "export { d as default } from './dep.js'",
  'export { loc as default }',
  'export { f as default }',
  'export default /* c */ (d)',
  "export default function /* ( */ () { return 'c' }",
  'export default async /* ( */ function /* ( */ * /* ( */ () {}',
  'export default (function () {})',
  'export default (class {})',
  'export default\nd',
  'export default d /*\n*/',
  'export default (d) /* ) */ ;',
  'export default `t`',
  'export default [v]',
];
const SEPARATORS = [';\n', '\n', ';', ' // comment\n', ' /* comment */\n', '\n/* comment */ ', '\n\n', ';/* c */'];
const STARTS = ['', '#!/usr/bin/env node\n', "'use strict'\n", "'use strict';", '/* header */', '// header\n'];
const ENDS = ['', '\n', ' // trailing comment', ' /* trailing */', ';', '\n// last line comment'];

function generate(n: number): string {
  const rnd = random(n + 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const pool = [...STATEMENTS].sort(() => rnd() - 0.5).slice(0, 3 + Math.floor(rnd() * 5));
  const body = [...IMPORTS, ...pool];
  if (rnd() < 0.8) body.push(pick(DEFAULTS));
  if (body.some((s) => s.includes('loc as')) && !body.includes('const loc = 2')) body.push('const loc = 2');
  body.sort(() => rnd() - 0.5);
  let text = pick(STARTS);
  // A shebang must be first; `'use strict'` as a start stays a directive only before other statements.
  body.forEach((st, i) => {
    text += st + (i < body.length - 1 ? pick(SEPARATORS) : pick(ENDS));
  });
  return text;
}

/** What a namespace (or the error) looks like, comparable across realms. */
const DESCRIBE = `(value) => {
  if (value && value.error) return value;
  const out = {};
  for (const key of Object.keys(value).sort()) {
    const x = value[key];
    out[key] = typeof x === 'function' ? 'function ' + x.name : typeof x === 'object' || x === undefined ? typeof x : x;
  }
  return out;
}`;

const COUNT = Number(process.env.CODESAVE_ASI_CASES ?? 300);

test(`ASI: ${COUNT} generated modules evaluate as natively`, async () => {
  const cases: string[] = [];
  fs.writeFileSync(path.join(base, 'package.json'), '{"type":"module"}');
  fs.writeFileSync(path.join(base, 'dep.js'), DEP);
  fs.writeFileSync(path.join(base, 'dep2.js'), DEP2);
  for (let i = 0; i < COUNT; i++) {
    const source = generate(i);
    // Two modules for each case that only differ in being parsed natively: skip what Node rejects too.
    cases.push(source);
    fs.writeFileSync(path.join(base, `case${i}.js`), source);
  }
  fs.writeFileSync(
    path.join(base, 'native.mjs'),
    `const describe = ${DESCRIBE};
const out = [];
for (let i = 0; i < ${COUNT}; i++) {
  try { out.push(describe(await import('./case' + i + '.js'))); }
  catch (e) { out.push({ error: e.name }); }
}
await new Promise((r) => setTimeout(r, 10));
process.stdout.write(JSON.stringify(out));`,
  );
  const native = JSON.parse(execFileSync(process.execPath, [path.join(base, 'native.mjs')], { encoding: 'utf8' }));
  const host = testHost(base);
  const describe = new Function(`return ${DESCRIBE}`)() as (v: unknown) => unknown;
  for (let i = 0; i < COUNT; i++) {
    let ours: unknown;
    try {
      ours = describe(await host.import(`case${i}.js`));
    } catch (e) {
      ours = { error: (e as Error).name };
    }
    const source = cases[i]!;
    if (!(native[i] as { error?: string }).error) {
      // The transformed text must be a script acorn accepts (what the realm compiles).
      const code = transformEsm(source, `case${i}.js`).code;
      // Lines stay in place: the wrapper adds one line before and one after.
      assert.equal(code.split('\n').length, source.split('\n').length + 2, `case ${i}:\n${source}`);
      assert.doesNotThrow(() => parse(code, { ecmaVersion: 'latest', sourceType: 'script' }), `case ${i}:\n${source}`);
    }
    assert.deepStrictEqual(ours, native[i], `case ${i}:\n${source}\n---\n${transformEsm(source, 'x.js').code}`);
  }
});
