// Precompiled snapshots: checkpoint stores each ES module's and TypeScript file's transformed form in the zip, and
// a loader with an empty transform cache uses them instead of transforming (proved by the transformer's counters,
// not by timing), with the same results as Node and as a load without them.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { openArchive } from '../src/archive/index.ts';
import { checkpoint, clearMemoryCaches, isCodesaveError, parseManifest, ZipCodebase } from '../src/index.ts';
import { PrecompiledForms, TRANSFORM_VERSION, type Transformer } from '../src/runtime/transform/index.ts';
import { zipBytes } from './archive-zipbytes.ts';
import { tempDir, writeTree, zipNames } from './snapshot-helpers.ts';

const repo = path.resolve(import.meta.dirname, '../../..');

/** ES modules (a package of its own, `"type": "module"`, a typeless `.js` only syntax detection makes ESM) and TS. */
const fixture = {
  'package.json': '{ "name": "app", "type": "module" }\n',
  'main.mjs': [
    "import { add, Shape } from './lib/math.js';",
    "import greet from './lib/greet.mjs';",
    "import { createRequire } from 'node:module';",
    'const require = createRequire(import.meta.url);',
    "const legacy = require('./lib/legacy.cjs');",
    'export const result = { sum: add(2, 3), area: new Shape(2).area(), hello: greet("zip"), legacy: legacy.twice(21) };',
    '',
  ].join('\n'),
  'lib/math.js':
    'export const add = (a, b) => a + b;\nexport class Shape { constructor(r) { this.r = r; } area() { return this.r * this.r; } }\n',
  'lib/greet.mjs': "export default function greet(name) { return 'hello ' + name; }\n",
  'lib/legacy.cjs': 'exports.twice = (n) => n * 2;\n',
};

const tsFixture = {
  'package.json': '{ "name": "tsapp", "type": "module" }\n',
  'tsconfig.json': '{ "compilerOptions": { "strict": true, "target": "es2022" } }\n',
  'main.ts': [
    "import { Counter } from './counter.ts';",
    "import { Color } from './color.ts';",
    'interface Options { start: number }',
    'const options: Options = { start: 40 };',
    'export const value: number = new Counter(options.start).next().next().count;',
    'export const color: string = Color[Color.Green];',
    'export function fail(): never {',
    '  type Unused = string;',
    "  throw new Error('boom');",
    '}',
    '',
  ].join('\n'),
  // a parameter property and a namespace: esbuild compiles these (its lines may move; the map puts them back)
  'counter.ts': [
    'export namespace Meta { export const name = "counter"; }',
    'export class Counter {',
    '  constructor(public count: number) {}',
    '  next(): this { this.count++; return this; }',
    '}',
    'export function broken(): void {',
    "  throw new TypeError('counter broke');",
    '}',
    '',
  ].join('\n'),
  'color.ts': 'export enum Color { Red, Green }\n',
  'legacy.cts': 'const n: number = 7;\nmodule.exports = { n };\n',
};

async function save(files: Record<string, string>, options: Parameters<typeof checkpoint>[1] = {}) {
  const dir = writeTree(tempDir('codesave-pre-'), files);
  const out = path.join(tempDir('codesave-pre-out-'), 'snap.zip');
  const result = await checkpoint(dir, { output: out, ...options });
  return { dir, zip: out, manifest: result.manifest };
}

/** Opens with an empty transform cache (no disk cache, memory caches cleared). */
async function openEmpty(zip: string | Uint8Array, options: Parameters<typeof ZipCodebase.open>[1] = {}) {
  clearMemoryCaches();
  const codebase = await ZipCodebase.open(zip, { cacheDir: false, ...options });
  const transformer = (codebase.runtime.hooks as unknown as { transformer: Transformer }).transformer;
  return { codebase, stats: transformer.stats };
}

/** A value of the codebase's realm as plain host data. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

/** The same app run by Node from the directory. */
function native(dir: string, entry: string): unknown {
  const code = `import(${JSON.stringify(path.join(dir, entry))}).then((m) => console.log(JSON.stringify(m.result)))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', code], { encoding: 'utf8' }));
}

test('differential: ES modules load from their precompiled forms with an empty cache, as Node runs them', async () => {
  const { dir, zip, manifest } = await save(fixture);
  assert.equal(manifest.precompiled?.transformVersion, TRANSFORM_VERSION);
  assert.equal(manifest.precompiled?.forms, 3); // main.mjs, lib/math.js, lib/greet.mjs (not the .cjs)
  const forms = manifest.files.filter((f) => f.path.startsWith('.codesave/precompiled/'));
  assert.equal(forms.length, 3);
  assert.ok(
    forms.every((f) => new RegExp(`^\\.codesave/precompiled/v${TRANSFORM_VERSION}/[0-9a-f]{40}\\.esm$`).test(f.path)),
  );
  assert.deepEqual(
    zipNames(zip).filter((n) => n.startsWith('.codesave/')),
    forms.map((f) => f.path),
  );

  const expected = native(dir, 'main.mjs');
  const { codebase, stats } = await openEmpty(zip);
  try {
    const ns = await codebase.import('./main.mjs');
    assert.deepEqual(plain(ns.result), expected);
    assert.equal(stats.transformed, 0, 'nothing transformed: every module came from its form');
    assert.equal(stats.precompiledHits, 3);
    // the forms are codesave's: the code's fs does not see them
    assert.equal(codebase.fs.existsSync(path.join(codebase.root, '.codesave')), false);
    assert.ok(!codebase.fs.readdirSync(codebase.root).includes('.codesave'));
  } finally {
    await codebase.dispose();
  }
  // precompiled: false transforms every module, with the same result
  const off = await openEmpty(zip, { precompiled: false });
  try {
    assert.deepEqual(plain((await off.codebase.import('./main.mjs')).result), expected);
    assert.equal(off.stats.precompiledHits, 0);
    assert.equal(off.stats.transformed, 3);
    assert.equal(off.codebase.fs.existsSync(path.join(off.codebase.root, '.codesave')), false);
  } finally {
    await off.codebase.dispose();
  }
});

test('a typeless .js that only parses as an ES module gets a form; CommonJS .js files do not', async () => {
  const { manifest, zip } = await save({
    'esm.js': 'export const x = 1;\n',
    'cjs.js': 'module.exports = { y: 2 };\n',
  });
  assert.equal(manifest.precompiled?.forms, 1);
  const { codebase, stats } = await openEmpty(zip);
  try {
    assert.equal((await codebase.import('./esm.js')).x, 1);
    assert.equal(codebase.require('./cjs.js').y, 2);
    // Node 20.19+/22.7+ detect the syntax (and use the form); older ones load it as CommonJS
    assert.equal(stats.transformed, 0);
  } finally {
    await codebase.dispose();
  }
});

test('TypeScript (sucrase and esbuild paths, ESM and .cts) from forms: same values, stack traces at the original lines', async () => {
  const { zip, manifest } = await save(tsFixture);
  assert.equal(manifest.precompiled?.forms, 4);
  const off = await openEmpty(zip, { precompiled: false });
  const offValues = await off.codebase.import('./main.ts');
  const expected = { value: offValues.value, color: offValues.color, legacy: off.codebase.require('./legacy.cts').n };
  await off.codebase.dispose();
  assert.deepEqual(expected, { value: 42, color: 'Green', legacy: 7 });

  const { codebase, stats } = await openEmpty(zip);
  try {
    const ns = await codebase.import('./main.ts');
    assert.deepEqual({ value: ns.value, color: ns.color, legacy: codebase.require('./legacy.cts').n }, expected);
    assert.equal(stats.transformed, 0);
    assert.equal(stats.precompiledHits, 4);
    let stack = '';
    try {
      ns.fail();
    } catch (error) {
      stack = String((error as Error).stack);
    }
    // `throw` is on line 9 of main.ts, column 3
    assert.match(stack, /main\.ts:9:9\)?$/m);
    // counter.ts went through esbuild (its namespace): its lines moved, and its stored map puts them back
    const { broken } = await codebase.import('./counter.ts');
    let esbuilt = '';
    try {
      broken();
    } catch (error) {
      esbuilt = String((error as Error).stack);
    }
    assert.match(esbuilt, /counter\.ts:7:9\)?$/m);
    assert.equal(stats.transformed, 0);
    assert.ok(stats.precompiledMaps >= 2, 'the stored maps placed the frames');
  } finally {
    await codebase.dispose();
  }
});

test('a form of another transform version is ignored: the loader transforms', async () => {
  const { zip } = await save(fixture);
  const archive = await openArchive(zip);
  const entries = [...archive.entries.values()].filter((e) => e.type === 'file');
  const manifest = parseManifest(archive.read('codesave.json'));
  const rewritten = zipBytes(
    entries.map((e) => ({
      name: e.name,
      data:
        e.name === 'codesave.json'
          ? JSON.stringify({ ...manifest, precompiled: { ...manifest.precompiled, transformVersion: '13' } })
          : archive.read(e.name),
    })),
  );
  archive.close();
  const { codebase, stats } = await openEmpty(rewritten);
  try {
    assert.equal((await codebase.import('./main.mjs')).result.sum, 5);
    assert.equal(stats.precompiledHits, 0);
    assert.equal(stats.transformed, 3);
    // still hidden: they are the snapshot's forms, whatever their version
    assert.equal(codebase.fs.existsSync(path.join(codebase.root, '.codesave')), false);
  } finally {
    await codebase.dispose();
  }
  // the lookup itself: a loader of another version finds nothing under this one's keys
  const other = new PrecompiledForms(
    () => {
      throw new Error('never read');
    },
    { version: '999', target: 'node0' },
    () => undefined,
  );
  assert.equal(other.esm('js', undefined, '0'.repeat(64), 'export {}'), undefined);
});

/** The snapshot's entries with `change` applied to its first form (manifest untouched). */
async function withForm(
  zip: string,
  change: (bytes: Buffer) => Buffer | undefined,
  extra: { name: string; data: Buffer }[] = [],
) {
  const archive = await openArchive(zip);
  let changed = '';
  const entries = [];
  for (const e of archive.entries.values()) {
    if (e.type !== 'file') continue;
    let data: Buffer | undefined = archive.read(e.name);
    if (!changed && e.name.startsWith('.codesave/precompiled/') && e.name.endsWith('.esm')) {
      changed = e.name;
      data = change(data);
    }
    if (data) entries.push({ name: e.name, data });
  }
  archive.close();
  return { bytes: zipBytes([...entries, ...extra]), changed };
}

test('a tampered form is refused (ERR_ZIP_HASH_MISMATCH) before any code runs: when read, or at open with verify: all', async () => {
  const files = {
    ...fixture,
    'lib/greet.mjs': "globalThis.__precompiledRan = true;\nexport default (n) => 'hello ' + n;\n",
  };
  const { zip } = await save(files);
  // one byte of the code changed, the size kept
  const { bytes, changed } = await withForm(zip, (b) => {
    const copy = Buffer.from(b);
    copy[copy.length - 2] ^= 1;
    return copy;
  });
  const refused = (e: unknown) =>
    isCodesaveError(e) && e.code === 'ERR_ZIP_HASH_MISMATCH' && (e.details as { path: string }).path === changed;
  await assert.rejects(ZipCodebase.open(bytes, { verify: 'all' }), refused);
  // by default each file is checked when first read: opening passes, the import that reads the form is refused
  clearMemoryCaches();
  const codebase = await ZipCodebase.open(bytes, { cacheDir: false });
  try {
    await assert.rejects(codebase.import('main.mjs'), refused);
  } finally {
    await codebase.dispose();
  }
  assert.equal((globalThis as { __precompiledRan?: boolean }).__precompiledRan, undefined);
});

test('hostile forms with verify: false (truncated, foreign, oversize, unlisted) are ignored, never run', async () => {
  const { zip, dir } = await save(fixture);
  const expected = native(dir, 'main.mjs');
  const cases: [string, (b: Buffer) => Buffer][] = [
    ['truncated', (b) => b.subarray(0, 10)],
    ['no header', (b) => Buffer.from(b.toString('utf8').replace('\n', ' '))],
    [
      'another source',
      (b) => Buffer.from(b.toString('utf8').replace(/"sha256":"[0-9a-f]{64}"/, `"sha256":"${'1'.repeat(64)}"`)),
    ],
    ['wrong names', (b) => Buffer.from(b.toString('utf8').replace(/"module":"__cs_m"/, '"module":"evil"'))],
    ['oversize', (b) => Buffer.concat([b, Buffer.alloc(2_000_000, 0x20)])],
    [
      'made by esbuild for another Node',
      (b) => Buffer.from(b.toString('utf8').replace('"target":null', '"target":"node0.0.1"')),
    ],
  ];
  for (const [what, change] of cases) {
    const { bytes } = await withForm(zip, change);
    const { codebase, stats } = await openEmpty(bytes, { verify: false });
    try {
      assert.deepEqual(plain((await codebase.import('./main.mjs')).result), expected, what);
      assert.equal(stats.transformed, 1, what);
      assert.equal(stats.precompiledHits, 2, what);
    } finally {
      await codebase.dispose();
    }
  }
  // a form for a file not in the zip, and an unlisted entry: unused with verify: false, refused at open otherwise
  const stray = {
    name: `.codesave/precompiled/v${TRANSFORM_VERSION}/${'a'.repeat(40)}.esm`,
    data: Buffer.from('{}\nthrow 1'),
  };
  const { bytes } = await withForm(zip, (b) => b, [stray]);
  await assert.rejects(ZipCodebase.open(bytes), (e) => isCodesaveError(e) && e.code === 'ERR_ZIP_HASH_MISMATCH');
  const { codebase, stats } = await openEmpty(bytes, { verify: false });
  try {
    assert.deepEqual(plain((await codebase.import('./main.mjs')).result), expected);
    assert.equal(stats.precompiledHits, 3);
  } finally {
    await codebase.dispose();
  }
});

test('precompile: false and --no-precompile write no forms; such zips (and older ones) load as before', async () => {
  const { zip, manifest } = await save(fixture, { precompile: false });
  assert.equal(manifest.precompiled, undefined);
  assert.deepEqual(
    zipNames(zip).filter((n) => n.startsWith('.codesave')),
    [],
  );
  const { codebase, stats } = await openEmpty(zip);
  try {
    assert.equal((await codebase.import('./main.mjs')).result.sum, 5);
    assert.equal(stats.transformed, 3);
  } finally {
    await codebase.dispose();
  }
  const dir = writeTree(tempDir('codesave-pre-cli-'), fixture);
  const out = path.join(tempDir('codesave-pre-cli-out-'), 'cli.zip');
  const bin = path.join(repo, 'packages/cli/src/bin.ts');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--conditions=codesave-source', '--import', 'tsx', bin, ...args], {
      cwd: repo,
      encoding: 'utf8',
    });
  const r = run('save', dir, '-o', out, '--no-precompile', '--json', '--manifest');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).manifest.precompiled, undefined);
  assert.deepEqual(
    zipNames(out).filter((n) => n.startsWith('.codesave')),
    [],
  );
  const withForms = run('save', dir, '-o', out, '--json', '--manifest');
  assert.equal(withForms.status, 0, withForms.stderr);
  assert.equal(JSON.parse(withForms.stdout).manifest.precompiled.forms, 3);
  const ls = run('ls', out);
  assert.equal(ls.status, 0, ls.stderr);
  assert.match(ls.stdout, /precompiled: +3 forms .* of transform v\d+/);
  assert.doesNotMatch(ls.stdout, /[0-9a-f]{40}\.esm/);
});

test("a project's own .codesave/precompiled files are kept, visible, and no forms are written over them", async () => {
  const { zip, manifest } = await save({ ...fixture, '.codesave/precompiled/notes.txt': 'mine\n' });
  assert.equal(manifest.precompiled, undefined);
  assert.ok(zipNames(zip).includes('.codesave/precompiled/notes.txt'));
  const { codebase } = await openEmpty(zip);
  try {
    assert.equal(
      codebase.fs.readFileSync(path.join(codebase.root, '.codesave/precompiled/notes.txt'), 'utf8'),
      'mine\n',
    );
  } finally {
    await codebase.dispose();
  }
  // other files of a project's .codesave/ folder do not stop forms, and stay visible beside them
  const second = await save({ ...fixture, '.codesave/config.json': '{}\n' });
  assert.equal(second.manifest.precompiled?.forms, 3);
  const opened = await openEmpty(second.zip);
  try {
    assert.deepEqual(opened.codebase.fs.readdirSync(path.join(opened.codebase.root, '.codesave')), ['config.json']);
  } finally {
    await opened.codebase.dispose();
  }
});
