// The fast load path: verification keeps the bytes it hashed, the loader reads the archive's index until the
// memfs volume is needed, and from then on the volume (with whatever user code wrote) is what modules see.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openArchive, verifyArchive } from '../src/archive/index.ts';
import { clearSharedContents } from '../src/archive/shared-contents.ts';
import { ZipCodebase } from '../src/index.ts';
import { parseManifest } from '../src/snapshot/index.ts';
import { zipBytes } from './archive-zipbytes.ts';
import { zipOf } from './codebase-helpers.ts';

test('verify keeps the bytes it checked: read returns them (no second inflate), within keepLimit', async () => {
  const zip = await zipOf({ 'a.js': 'module.exports = 1;', 'b.js': `module.exports = '${'x'.repeat(100)}';` });
  const archive = await openArchive(zip, { keepLimit: 50 });
  try {
    const manifest = parseManifest(JSON.parse(archive.read('codesave.json').toString('utf8')));
    verifyArchive(archive, manifest);
    // a.js (19 bytes) fits the 50-byte budget and is kept: the same buffer each time; b.js does not
    assert.equal(archive.read('a.js'), archive.read('a.js'));
    assert.notEqual(archive.read('b.js'), archive.read('b.js'));
    assert.deepEqual(archive.read('b.js'), archive.read('b.js'));
    // keep refuses bytes that are not the entry's size, and unknown names
    assert.equal(archive.keep('b.js', Buffer.from('short')), false);
    assert.equal(archive.keep('nope.js', Buffer.from('x')), false);
  } finally {
    archive.close();
  }
});

test("verify: 'all' refuses a changed file at open, even one no module would read; by default it is refused when read", async () => {
  const files = { 'index.js': 'globalThis.__codesaveRan = true; module.exports = 1;', 'unused.js': 'exports.x = 1;' };
  const saved = await openArchive(await zipOf(files));
  const manifest = saved.read('codesave.json');
  saved.close();
  // the same files and manifest, but unused.js changed after saving (its size kept)
  const tampered = zipBytes([
    { name: 'codesave.json', data: manifest },
    { name: 'index.js', data: files['index.js'] },
    { name: 'unused.js', data: 'exports.x = 2;' },
  ]);
  await assert.rejects(
    ZipCodebase.open(tampered, { verify: 'all' }),
    (e: any) => e.code === 'ERR_ZIP_HASH_MISMATCH' && e.details.path === 'unused.js',
  );
  assert.equal((globalThis as any).__codesaveRan, undefined);
  // by default: index.js runs; unused.js is refused when (and only if) something reads it
  const lazy = await ZipCodebase.open(tampered);
  try {
    assert.equal(lazy.require('./index'), 1);
    assert.equal((lazy.runtime.realm.global as any).__codesaveRan, true);
    assert.throws(
      () => lazy.require('./unused'),
      (e: any) => e.code === 'ERR_ZIP_HASH_MISMATCH' && e.details.path === 'unused.js',
    );
  } finally {
    await lazy.dispose();
  }
  // verify: false opens it; the changed bytes are what is served
  const codebase = await ZipCodebase.open(tampered, { verify: false });
  try {
    assert.equal(codebase.require('./unused').x, 2);
  } finally {
    await codebase.dispose();
  }
});

test('the loader sees what user code writes under the root (the volume takes over from the index)', async () => {
  const zip = await zipOf({
    'index.js': [
      "const fs = require('fs');",
      "const path = require('path');",
      "exports.before = require('./data.json').n;",
      "fs.writeFileSync(path.join(__dirname, 'made.js'), 'module.exports = 42;');",
      "fs.writeFileSync(path.join(__dirname, 'data2.json'), JSON.stringify({ n: 7 }));",
      "exports.made = require('./made');",
      "exports.data2 = require('./data2.json').n;",
      "exports.read = fs.readFileSync(path.join(__dirname, 'data.json'), 'utf8');",
    ].join('\n'),
    'data.json': '{"n":1}',
  });
  const codebase = await ZipCodebase.open(zip);
  try {
    const m = codebase.require('./index');
    assert.equal(m.before, 1);
    assert.equal(m.made, 42);
    assert.equal(m.data2, 7);
    assert.equal(m.read, '{"n":1}');
    // and from outside, through the façade's fs view
    codebase.fs.writeFileSync(path.join(codebase.root, 'late.js'), 'module.exports = "late";');
    assert.equal(codebase.require('./late'), 'late');
  } finally {
    await codebase.dispose();
  }
});

test('reads through the view before the volume exists: Buffers are copies, strings decoded, misses are ENOENT', async () => {
  const zip = await zipOf({ 'index.js': 'module.exports = 1;', 'data.txt': 'hello' });
  const codebase = await ZipCodebase.open(zip);
  try {
    const file = path.join(codebase.root, 'data.txt');
    const first = codebase.fs.readFileSync(file);
    first[0] = 0x4a;
    assert.equal(codebase.fs.readFileSync(file, 'utf8'), 'hello');
    assert.equal(codebase.fs.readFileSync(file).toString(), 'hello');
    assert.throws(() => codebase.fs.readFileSync(path.join(codebase.root, 'missing.txt')), { code: 'ENOENT' });
    assert.throws(() => codebase.fs.readFileSync(codebase.root), { code: 'EISDIR' });
    assert.equal(codebase.fs.existsSync(file), true);
    assert.equal(codebase.fs.existsSync(codebase.root), true);
    assert.equal(codebase.fs.existsSync(path.join(codebase.root, 'missing.txt')), false);
    assert.equal(codebase.fs.existsSync(`${file}/`), false); // as Node: a file is not a directory
    assert.equal(codebase.fs.existsSync(`${codebase.root}/sub/`), false);
    codebase.fs.writeFileSync(path.join(codebase.root, 'new.txt'), 'new');
    assert.equal(codebase.fs.existsSync(path.join(codebase.root, 'new.txt')), true);
    assert.equal(codebase.fs.readFileSync(path.join(codebase.root, 'new.txt'), 'utf8'), 'new');
    assert.equal(codebase.require('./index'), 1);
  } finally {
    await codebase.dispose();
  }
});

test('a module that requires a missing file fails as Node does, with and without the volume built', async () => {
  const zip = await zipOf({ 'index.js': "require('./nope');", 'dir/index.js': 'module.exports = "dir";' });
  for (const touch of [false, true]) {
    const codebase = await ZipCodebase.open(zip);
    try {
      if (touch) codebase.fs.statSync(codebase.root); // builds the volume
      assert.throws(() => codebase.require('./index'), { code: 'MODULE_NOT_FOUND' });
      assert.equal(codebase.require('./dir'), 'dir');
    } finally {
      await codebase.dispose();
    }
  }
});

test('a second archive with identical entries reuses their inflated contents; any difference inflates afresh', async () => {
  clearSharedContents();
  const v1 = await zipOf({ 'same.js': 'module.exports = "same";', 'changed.js': 'module.exports = 1;' });
  const v2 = await zipOf({ 'same.js': 'module.exports = "same";', 'changed.js': 'module.exports = 2;' });
  const [a, b] = [await openArchive(v1, { share: true }), await openArchive(v2, { share: true })];
  try {
    const first = a.read('same.js');
    assert.equal(b.read('same.js'), first); // the very buffer: not inflated again
    assert.notEqual(b.read('changed.js').toString(), a.read('changed.js').toString());
    // a damaged copy (same CRC and size in the directory, other bytes) is not mistaken for the shared one
    const bytes = fs.readFileSync(v2);
    const at = bytes.indexOf(Buffer.from('same.js')) + 'same.js'.length; // data follows the local header's name
    const damaged = Buffer.from(bytes);
    damaged[at] ^= 0xff;
    const c = await openArchive(damaged, { share: true });
    try {
      assert.throws(
        () => c.read('same.js'),
        (e: any) => /ERR_ZIP_(CORRUPT|CRC_MISMATCH)/.test(e.code),
      );
    } finally {
      c.close();
    }
  } finally {
    a.close();
    b.close();
    clearSharedContents();
  }
});

test('import resolution of relative specifiers: the path shortcut agrees with URL resolution, odd ones use URLs', async () => {
  const { Resolver } = await import('../src/runtime/resolve.ts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-resolve-'));
  for (const name of ['x.mjs', 'a b.mjs', 'a%20b.mjs', 'sub/y.mjs', 'ü.mjs']) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), '');
  }
  const resolver = new Resolver({ fs, ctors: { Error, TypeError } });
  const parent = path.join(dir, 'sub', 'main.mjs');
  const cases: Array<[string, string | RegExp]> = [
    ['../x.mjs', path.join(dir, 'x.mjs')],
    ['./y.mjs', path.join(dir, 'sub/y.mjs')],
    ['../a%20b.mjs', path.join(dir, 'a b.mjs')], // percent escapes are decoded, as URLs do
    ['../a%2520b.mjs', path.join(dir, 'a%20b.mjs')],
    ['../ü.mjs', path.join(dir, 'ü.mjs')],
    ['../sub/./../x.mjs', path.join(dir, 'x.mjs')],
    [`${dir}/x.mjs`, path.join(dir, 'x.mjs')],
    ['../sub/', /ERR_UNSUPPORTED_DIR_IMPORT/],
    ['../x.mjs?query', path.join(dir, 'x.mjs')], // a query is not part of the path
  ];
  for (const [specifier, expected] of cases) {
    if (typeof expected === 'string') assert.equal(resolver.resolve(specifier, parent, 'import'), expected, specifier);
    else
      assert.throws(
        () => resolver.resolve(specifier, parent, 'import'),
        (e: any) => expected.test(e.code),
        specifier,
      );
  }
  fs.rmSync(dir, { recursive: true, force: true });
});
