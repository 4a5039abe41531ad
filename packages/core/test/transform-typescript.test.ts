import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { clearMemoryCaches, flushTransformCache, Transformer } from '../src/runtime/transform/index.js';
import { transformTypeScript, typeScriptKind } from '../src/runtime/transform/typescript.js';

test('module kind from the extension (.mts ESM, .cts CJS, .ts/.tsx by package type)', () => {
  assert.deepStrictEqual(typeScriptKind('/a/x.mts'), { ts: true, forced: 'module' });
  assert.deepStrictEqual(typeScriptKind('/a/x.cts'), { ts: true, forced: 'commonjs' });
  assert.deepStrictEqual(typeScriptKind('/a/x.tsx'), { ts: true });
  assert.deepStrictEqual(typeScriptKind('/a/x.js'), { ts: false });
});

test('sucrase for the common case: types stripped, enums compiled, lines kept', () => {
  const src = 'interface A { x: number }\nexport enum E { A, B }\nexport class P {\n  x = 1;\n}\nthrow new Error();\n';
  const out = transformTypeScript(src, '/a/x.ts', 'module');
  assert.equal(out.linesPreserved, true);
  assert.equal(out.code.split('\n').length, src.split('\n').length);
  assert.equal(out.code.split('\n')[5], 'throw new Error();');
  assert.match(out.code, /E\[E\["B"\] = B\] = "B"/);
  assert.doesNotMatch(out.code, /interface/);
});

test('parameter properties go to esbuild when fields are defined: declared as fields first, as tsx does', () => {
  const src = 'export class P {\n  y = 1;\n  constructor(public x: number) {}\n}\n';
  const out = transformTypeScript(src, '/a/x.ts', 'module');
  assert.equal(out.linesPreserved, false);
  assert.match(out.code, /^ {2}x;$[\s\S]*^ {2}y = 1;$/m);
});

test('the disk cache is one pack file per codebase; a damaged pack is ignored, a code cache is kept', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-tpack-'));
  try {
    clearMemoryCaches();
    const sources = [1, 2, 3].map((i) => `export const x${i} = ${Math.random()};`);
    const first = new Transformer({ cacheDir: dir, pack: '/zips/a.zip' });
    for (const [i, source] of sources.entries())
      first.script(first.esm(`/zips/a.zip/m${i}.mjs`, source).code, `/m${i}`, -1);
    flushTransformCache();
    const packs = fs.readdirSync(path.join(dir, 'packs'));
    assert.equal(packs.length, 1);
    assert.deepStrictEqual(fs.readdirSync(dir), ['key', 'packs']); // the per-user key that seals the entries
    clearMemoryCaches();
    const second = new Transformer({ cacheDir: dir, pack: '/zips/a.zip' });
    for (const [i, source] of sources.entries())
      second.script(second.esm(`/zips/a.zip/m${i}.mjs`, source).code, `/m${i}`, -1);
    assert.equal(second.stats.diskHits, 3);
    assert.equal(second.stats.codeCacheHits, 3);
    flushTransformCache();
    // Damaged: every entry is transformed again, nothing throws.
    const file = path.join(dir, 'packs', packs[0]!);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
    clearMemoryCaches();
    const third = new Transformer({ cacheDir: dir, pack: '/zips/a.zip' });
    third.esm('/zips/a.zip/m0.mjs', sources[0]!);
    assert.equal(third.stats.transformed, 1);
    fs.writeFileSync(file, 'not a pack');
    clearMemoryCaches();
    const fourth = new Transformer({ cacheDir: dir, pack: '/zips/a.zip' });
    fourth.esm('/zips/a.zip/m1.mjs', sources[1]!);
    assert.equal(fourth.stats.transformed, 1);
    flushTransformCache();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a pack keeps the entries a process did not use only up to about as many again as it used', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-tpack-'));
  try {
    clearMemoryCaches();
    const salt = Math.random();
    const sources = Array.from({ length: 1_100 }, (_, i) => `export const v = ${i} + ${salt};`);
    const first = new Transformer({ cacheDir: dir, pack: '/zips/b.zip' });
    for (const source of sources) first.esm('/zips/b.zip/m.mjs', source);
    flushTransformCache();
    clearMemoryCaches();
    const second = new Transformer({ cacheDir: dir, pack: '/zips/b.zip' });
    second.esm('/zips/b.zip/m.mjs', sources[0]!);
    second.esm('/zips/b.zip/m.mjs', `export const other = ${salt};`);
    flushTransformCache();
    clearMemoryCaches();
    const third = new Transformer({ cacheDir: dir, pack: '/zips/b.zip' });
    for (const source of sources) third.esm('/zips/b.zip/m.mjs', source);
    assert.ok(third.stats.diskHits >= 1_000 && third.stats.diskHits <= 1_004, String(third.stats.diskHits));
    flushTransformCache();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('esbuild where sucrase falls short: namespaces, decorators, ESM syntax in a CommonJS-kind file', () => {
  const ns = transformTypeScript('export namespace N { export const x = 1; }', '/a/x.ts', 'module');
  assert.equal(ns.linesPreserved, false);
  assert.match(ns.code, /N\.x = 1|x = 1/);
  const dec = transformTypeScript('function d(c: any) {}\n@d class A {}', '/a/x.ts', 'module', {
    experimentalDecorators: true,
  });
  assert.match(dec.code, /__decorate/);
  const cjs = transformTypeScript("import { a } from './a';\nexport const b: number = a;", '/a/x.cts', 'commonjs');
  assert.match(cjs.code, /require\("\.\/a"\)/);
});

test('transforms are cached in memory and on disk by content hash', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-tcache-'));
  try {
    clearMemoryCaches();
    const first = new Transformer({ cacheDir: dir });
    const source = `export const x: number = ${Math.random()};`;
    const a = first.esm('/v1/x.ts', source);
    assert.equal(first.stats.transformed, 1);
    assert.deepStrictEqual(first.esm('/v2/x.ts', source), a);
    assert.equal(first.stats.memoryHits, 1);
    flushTransformCache(); // disk writes wait for a quiet moment
    clearMemoryCaches();
    const second = new Transformer({ cacheDir: dir });
    assert.deepStrictEqual(second.esm('/v3/x.ts', source), a);
    assert.equal(second.stats.diskHits, 1);
    assert.equal(second.stats.transformed, 0);
    const off = new Transformer({ cacheDir: false });
    clearMemoryCaches();
    off.esm('/v4/x.ts', source);
    assert.equal(off.stats.transformed, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
