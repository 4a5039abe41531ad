// Byte-identical zips for the same tree and SOURCE_DATE_EPOCH, whatever the time zone, walk order or mtimes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkpoint } from '@codesave/core';
import { extract, listTree, tempDir, writeTree } from './snapshot-helpers.js';

const corePackage = fileURLToPath(new URL('..', import.meta.url));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const TREE = {
  'package.json': '{"name":"det","version":"1.0.0"}',
  'src/index.ts': 'export const x: number = 1;\n',
  'src/b/c.js': 'module.exports = 2;\n',
  'src/a.json': '{"a":1}',
  'z/last.txt': 'zzz',
  'A/upper.txt': 'upper case sorts before lower',
  'bin/run': '#!/bin/sh\n',
  'big.txt': 'lorem ipsum '.repeat(50_000),
  'link.js': { link: 'src/b/c.js' },
};

test('same bytes in different time zones (separate processes, TZ set)', () => {
  const root = writeTree(tempDir(), TREE);
  chmodSync(join(root, 'bin/run'), 0o755);
  const out = tempDir();
  const hashes = new Set<string>();
  const results: { sha256: string; createdAt: string }[] = [];
  for (const tz of ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Chatham', 'Europe/Berlin']) {
    const zip = join(out, `${tz.replace('/', '_')}.zip`);
    const code = `import { checkpoint } from '@codesave/core';
      const r = await checkpoint(${JSON.stringify(root)}, { output: ${JSON.stringify(zip)} });
      console.log(JSON.stringify({ sha256: r.sha256, createdAt: r.manifest.createdAt }));`;
    const stdout = execFileSync(
      process.execPath,
      ['--conditions=codesave-source', '--import', 'tsx', '--input-type=module', '-e', code],
      { cwd: corePackage, env: { ...process.env, TZ: tz, SOURCE_DATE_EPOCH: '1700000000' }, encoding: 'utf8' },
    );
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    assert.equal(result.sha256, sha256(zip), 'the reported sha256 is the file’s');
    hashes.add(sha256(zip));
    results.push(result);
  }
  assert.equal(hashes.size, 1, `one zip for every time zone, got ${[...hashes].join(', ')}`);
  assert.ok(results.every((r) => r.createdAt === '2023-11-14T22:13:20.000Z'));
  // The stored DOS time is SOURCE_DATE_EPOCH's UTC wall time in every zone.
  const listing = execFileSync('zipinfo', ['-T', join(out, 'UTC.zip')], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
  });
  assert.match(listing, /20231114\.221320 src\/index\.ts/);
});

test('same bytes whatever the creation order and mtimes of the files', async () => {
  const entries = Object.entries(TREE);
  const first = writeTree(tempDir(), Object.fromEntries(entries));
  const second = writeTree(tempDir(), Object.fromEntries([...entries].reverse()));
  for (const root of [first, second]) chmodSync(join(root, 'bin/run'), 0o755);
  utimesSync(join(second, 'src/index.ts'), new Date('2001-02-03'), new Date('2001-02-03'));
  utimesSync(join(first, 'big.txt'), new Date('2030-01-01'), new Date('2030-01-01'));
  const out = tempDir();
  const a = await checkpoint(first, { output: join(out, 'a.zip'), sourceDateEpoch: 1_000_000_000 });
  const b = await checkpoint(second, { output: join(out, 'b.zip'), sourceDateEpoch: 1_000_000_000 });
  // The root directory's name is recorded; give both the same name by comparing everything else first.
  assert.equal(a.manifest.contentHash, b.manifest.contentHash);
  assert.deepEqual(a.manifest.files, b.manifest.files);
  // Same directory name → same bytes: copy the second tree's contents under the first name is equivalent to
  // saving the first one twice, so check that too, and that a differing name is the only difference.
  const again = await checkpoint(first, { output: join(out, 'c.zip'), sourceDateEpoch: 1_000_000_000 });
  assert.equal(again.sha256, a.sha256);
  const manifestA = { ...a.manifest, roots: [] };
  const manifestB = { ...b.manifest, roots: [] };
  assert.deepEqual(manifestA, manifestB);
});

test('entries are sorted by path, the manifest last; no directory entries; fixed permissions', async () => {
  const root = writeTree(tempDir(), TREE);
  chmodSync(join(root, 'bin/run'), 0o700);
  chmodSync(join(root, 'src/a.json'), 0o666);
  const zip = join(tempDir(), 's.zip');
  // (precompiled forms, entries of their own, are left out: precompiled.test.ts covers them)
  await checkpoint(root, { output: zip, sourceDateEpoch: 0, precompile: false });
  const info = execFileSync('zipinfo', [zip], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^[-l]/.test(l))
    .map((l) => {
      const parts = l.trim().split(/\s+/);
      return `${parts[0]} ${parts.at(-1)}`;
    });
  assert.deepEqual(info, [
    '-rw-r--r-- A/upper.txt',
    '-rw-r--r-- big.txt',
    '-rwxr-xr-x bin/run',
    'lrwxrwxrwx link.js',
    '-rw-r--r-- package.json',
    '-rw-r--r-- src/a.json',
    '-rw-r--r-- src/b/c.js',
    '-rw-r--r-- src/index.ts',
    '-rw-r--r-- z/last.txt',
    '-rw-r--r-- codesave.json',
  ]);
  // Before 1980 (here: 1970) clamps to the DOS epoch.
  assert.match(execFileSync('zipinfo', ['-T', zip], { encoding: 'utf8' }), /19800101\.000000 big\.txt/);
});

test('SOURCE_DATE_EPOCH sets createdAt and timestamps but never the content hash', async () => {
  const root = writeTree(tempDir(), TREE);
  const out = tempDir();
  const early = await checkpoint(root, { output: join(out, 'a.zip'), sourceDateEpoch: 1_600_000_000 });
  const late = await checkpoint(root, { output: join(out, 'b.zip'), sourceDateEpoch: 1_700_000_000 });
  assert.notEqual(early.sha256, late.sha256);
  assert.equal(early.manifest.contentHash, late.manifest.contentHash);
  assert.equal(early.manifest.createdAt, '2020-09-13T12:26:40.000Z');
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  process.env.SOURCE_DATE_EPOCH = '1600000000';
  try {
    const env = await checkpoint(root, { output: join(out, 'c.zip') });
    assert.equal(env.sha256, early.sha256);
    process.env.SOURCE_DATE_EPOCH = 'yesterday';
    await assert.rejects(checkpoint(root, { output: join(out, 'd.zip') }), { code: 'ERR_BAD_OPTION' });
  } finally {
    if (fromEnv === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = fromEnv;
  }
  // Without any epoch, createdAt is now (and so the bytes differ), the files' hash does not.
  const now = Date.now();
  const unset = await checkpoint(root, { output: join(out, 'e.zip') });
  assert.ok(Math.abs(Date.parse(unset.manifest.createdAt) - now) < 60_000);
  assert.equal(unset.manifest.contentHash, early.manifest.contentHash);
});

test('the extracted snapshot is the tree plus codesave.json, byte for byte', async () => {
  const root = writeTree(tempDir(), TREE);
  const zip = join(tempDir(), 's.zip');
  await checkpoint(root, { output: zip, precompile: false });
  const dir = extract(zip);
  assert.deepEqual(listTree(dir), [...listTree(root), 'codesave.json'].sort());
  for (const path of listTree(root).filter((p) => !p.includes(' -> '))) {
    assert.ok(readFileSync(join(dir, path)).equals(readFileSync(join(root, path))), path);
  }
});

test('many files saved concurrently: identical bytes, every entry zlib’s one-shot deflate of its file', async () => {
  const { deflateRawSync } = await import('node:zlib');
  const files: Record<string, string> = {};
  for (let i = 0; i < 400; i++) {
    // Similar contents, so a deflate stream reused between files would find matches in the previous file.
    files[`src/m${String(i).padStart(3, '0')}.js`] =
      `export function f${i}(x) {\n  return x * ${i} + ${'"abcdefgh".repeat(i % 7)'};\n}\n`.repeat(20 + (i % 50)) +
      'x'.repeat(70_000 * (i % 97 === 0 ? 1 : 0));
  }
  const root = writeTree(tempDir(), files);
  const out = tempDir();
  const [a, b] = await Promise.all([
    checkpoint(root, { output: join(out, 'a.zip'), sourceDateEpoch: 1 }),
    checkpoint(root, { output: join(out, 'b.zip'), sourceDateEpoch: 1 }),
  ]);
  assert.equal(a.sha256, b.sha256);
  const bytes = readFileSync(join(out, 'a.zip'));
  for (const [path, content] of Object.entries(files)) {
    assert.ok(bytes.includes(deflateRawSync(Buffer.from(content), { level: 6, memLevel: 9 })), path);
  }
});
