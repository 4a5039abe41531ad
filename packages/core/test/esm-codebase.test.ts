import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Codebase, checkpoint, flushTransformCache, ZipCodebase } from '../src/index.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-esm-codebase-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));
let n = 0;
async function zip(files: Record<string, string>): Promise<string> {
  const dir = path.join(base, `p${n++}`);
  for (const [name, text] of Object.entries({ 'package.json': '{"type":"module"}', ...files })) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  await checkpoint(dir, { output: `${dir}.zip` });
  return `${dir}.zip`;
}

test('timeoutMs bounds the synchronous evaluation of an ES module; the codebase stays usable', async () => {
  const file = await zip({ 'loop.js': 'for (;;) {}', 'ok.js': 'export const ok = 1;' });
  for (const Kind of [ZipCodebase, Codebase]) {
    const c = await Kind.open(file, { timeoutMs: 100 });
    try {
      await assert.rejects(c.import('./loop.js'), { code: 'ERR_TIMEOUT' });
      assert.equal((await c.import('./ok.js')).ok, 1);
    } finally {
      await c.dispose();
    }
  }
});

test('Codebase (host realm): ESM values are host objects', async () => {
  const file = await zip({ 'a.ts': 'export const list: number[] = [1, 2]; export const when = new Date(0);' });
  const c = await Codebase.open(file);
  try {
    const ns = await c.import('./a.ts');
    assert.deepStrictEqual(ns.list, [1, 2]);
    assert.ok(ns.when instanceof Date);
  } finally {
    await c.dispose();
  }
});

test('stack traces of TypeScript and rewritten ESM point at the original line and column', async () => {
  const file = await zip({
    'lib.ts': 'export const id = (x: number): number => x;\n',
    'main.ts': [
      "import { id } from './lib.js';",
      'type T = { a: number };',
      'export function fail(t: T = { a: 1 }): never { id(t.a); id(2); throw new Error("bad " + t.a); }',
      '',
    ].join('\n'),
  });
  const c = await ZipCodebase.open(file);
  try {
    const { fail } = await c.import('./main.ts');
    let stack = '';
    try {
      fail();
    } catch (e) {
      stack = String((e as Error).stack);
    }
    const column =
      'export function fail(t: T = { a: 1 }): never { id(t.a); id(2); throw new Error'.indexOf('new Error') + 1;
    assert.match(
      stack,
      new RegExp(`at fail \\(${c.root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/main\\.ts:3:${column}\\)`),
    );
  } finally {
    await c.dispose();
  }
});

test('import() inside CommonJS loads ES modules of the codebase', async () => {
  const file = await zip({
    'package.json': '{}',
    'load.js': "exports.load = (name) => import('./' + name + '.mjs').then((m) => m.default);",
    'esm.mjs': 'export default "from esm";',
  });
  const c = await ZipCodebase.open(file);
  try {
    assert.equal(await c.require('./load.js').load('esm'), 'from esm');
  } finally {
    await c.dispose();
  }
});

test('cacheDir option: the codebase keeps its transforms in one pack under that directory; false keeps none', async () => {
  const file = await zip({ 'm.js': `export const r = ${Math.random()};` });
  const cacheDir = path.join(base, 'own-cache');
  for (const Kind of [ZipCodebase, Codebase]) {
    const c = await Kind.open(file, { cacheDir });
    try {
      assert.equal(typeof (await c.import('./m.js')).r, 'number');
    } finally {
      await c.dispose();
    }
  }
  flushTransformCache();
  assert.equal(fs.readdirSync(path.join(cacheDir, 'packs')).length, 1);
  await assert.rejects(ZipCodebase.open(file, { cacheDir: 3 as unknown as string }), { code: 'ERR_BAD_OPTION' });
  const off = await ZipCodebase.open(file, { cacheDir: false });
  await off.dispose();
});

test('a module written into the codebase after opening is transformed from what was written, not what was verified', async () => {
  const file = await zip({ 'm.js': 'export const v = "saved";', 'other.js': 'export const v = "other";' });
  const first = await ZipCodebase.open(file);
  const second = await ZipCodebase.open(file);
  try {
    // The first load keys the transform by the manifest's sha256; the second codebase then changes the file.
    assert.equal((await first.import('./m.js')).v, 'saved');
    second.fs.writeFileSync(path.join(second.root, 'm.js'), 'export const v = "written";');
    assert.equal((await second.import('./m.js')).v, 'written');
    assert.equal((await second.import('./other.js')).v, 'other');
    // Opened without verification, the manifest's hashes are not trusted either.
    const unverified = await ZipCodebase.open(file, { verify: false });
    try {
      assert.equal((await unverified.import('./m.js')).v, 'saved');
    } finally {
      await unverified.dispose();
    }
  } finally {
    await first.dispose();
    await second.dispose();
  }
});
