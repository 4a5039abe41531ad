import assert from 'node:assert/strict';
import * as buffer from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { minimalManifest, openArchive, verifyArchive } from '@codesave/core';
import yazl from 'yazl';
import { crc32, crc32Table } from '../src/archive/crc32.js';
import { centralHeader, crc, endRecord, localHeader, UNIX_FILE, zipBytes } from './archive-zipbytes.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-archive-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

async function rejects(p: Promise<unknown> | (() => unknown), code: string, mentions?: string) {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught, `expected ${code}, nothing was thrown`);
  const err = caught as { code?: string; message: string; name: string };
  assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
  assert.equal(err.name, 'CodesaveError');
  if (mentions) assert.ok(err.message.includes(mentions), `message should mention ${mentions}: ${err.message}`);
  return caught as Error & { code: string; details: Record<string, unknown> };
}

function makeTree(): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'tree-'));
  fs.mkdirSync(path.join(dir, 'src/lib'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'empty'));
  fs.writeFileSync(path.join(dir, 'src/index.js'), 'module.exports = require("./lib/a");\n');
  fs.writeFileSync(path.join(dir, 'src/lib/a.js'), 'module.exports = 42;\n'.repeat(200));
  fs.writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'data.bin'), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) & 255)));
  fs.writeFileSync(path.join(dir, 'empty.txt'), '');
  fs.writeFileSync(path.join(dir, 'ünïcode ✓.txt'), 'utf8 name\n');
  fs.symlinkSync('lib/a.js', path.join(dir, 'src/alias.js'));
  return dir;
}

test('a zip from the system zip command (-r, -y) opens with the right types, modes and contents', async () => {
  const dir = makeTree();
  const zip = path.join(tmp, 'system.zip');
  execFileSync('zip', ['-r', '-q', '-y', zip, '.'], { cwd: dir });
  const archive = await openArchive(zip);
  assert.equal(archive.source, zip);
  const e = (n: string) => archive.entries.get(n);
  assert.equal(e('src')?.type, 'directory');
  assert.equal(e('empty')?.type, 'directory');
  assert.equal(e('src/lib/a.js')?.type, 'file');
  assert.equal(e('src/alias.js')?.type, 'symlink');
  assert.equal(e('src/alias.js')?.linkTarget, 'lib/a.js');
  assert.equal(e('run.sh')?.mode, 0o755);
  assert.equal(e('src/index.js')?.mode, 0o644);
  for (const name of ['src/index.js', 'src/lib/a.js', 'run.sh', 'data.bin', 'empty.txt', 'ünïcode ✓.txt']) {
    assert.deepEqual(archive.read(name), fs.readFileSync(path.join(dir, name)), name);
    assert.equal(e(name)?.size, fs.statSync(path.join(dir, name)).size);
  }
  assert.equal(archive.read('src/alias.js').toString(), 'lib/a.js');
  // bytes work the same as a path
  const fromBytes = await openArchive(fs.readFileSync(zip));
  assert.equal(fromBytes.source, undefined);
  assert.deepEqual([...fromBytes.entries.keys()].sort(), [...archive.entries.keys()].sort());
  archive.close();
  await rejects(() => archive.read('src/index.js'), 'ERR_DISPOSED');
});

function yazlZip(files: Record<string, string | Buffer>, options: { forceZip64Format?: boolean; compress?: boolean }) {
  return new Promise<Buffer>((resolve, reject) => {
    const z = new yazl.ZipFile();
    for (const [name, data] of Object.entries(files)) {
      z.addBuffer(Buffer.from(data), name, { forceZip64Format: options.forceZip64Format, compress: options.compress });
    }
    z.end({ forceZip64Format: options.forceZip64Format });
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
  });
}

test('yazl zips open, including zip64 (forced) and stored entries', async () => {
  const files = { 'a.js': 'exports.a = 1;\n'.repeat(50), 'dir/b.json': '{"b":2}', 'empty.txt': '' };
  for (const options of [
    {},
    { forceZip64Format: true },
    { compress: false },
    { forceZip64Format: true, compress: false },
  ]) {
    const archive = await openArchive(await yazlZip(files, options));
    for (const [name, data] of Object.entries(files)) assert.equal(archive.read(name).toString(), data, name);
    assert.equal(archive.entries.size, 3);
  }
});

test('the test zip writer makes zips unzip accepts', async () => {
  const bytes = zipBytes([
    { name: 'd/', type: 'dir' },
    { name: 'd/x.txt', data: 'hello '.repeat(100) },
    { name: 's.txt', data: 'stored', method: 0 },
  ]);
  const file = path.join(tmp, 'built.zip');
  fs.writeFileSync(file, bytes);
  execFileSync('unzip', ['-t', '-q', file]);
  const archive = await openArchive(bytes);
  assert.equal(archive.read('d/x.txt').toString(), 'hello '.repeat(100));
  assert.equal(archive.read('s.txt').toString(), 'stored');
});

test('crc32: the table fallback agrees with zlib', () => {
  for (const data of [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(100_000, 7)]) {
    assert.equal(crc32Table(data), crc(data));
    assert.equal(crc32(data), crc(data));
  }
});

test('unsafe names are refused with ERR_ZIP_UNSAFE_PATH, naming the entry', async () => {
  const bad = [
    '../evil.js',
    'a/../../evil.js',
    'a/..',
    '/etc/passwd',
    'C:/x.js',
    'c:x.js',
    'a\\..\\b.js',
    'a\u0000b',
    'a\nb',
    'a//b',
    '/',
    '.',
  ];
  for (const name of bad) {
    const err = await rejects(
      openArchive(
        zipBytes([
          { name: 'ok.js', data: '1' },
          { name, data: 'x' },
        ]),
      ),
      'ERR_ZIP_UNSAFE_PATH',
    );
    assert.ok(err.message.includes('unsafe') || err.message.includes('UTF-8'), err.message);
  }
  await rejects(
    openArchive(zipBytes([{ name: Buffer.from([0x61, 0xff, 0xfe]), data: 'x' }])),
    'ERR_ZIP_UNSAFE_PATH',
    'UTF-8',
  );
  // a leading ./ and inner . segments are normalised away
  const archive = await openArchive(zipBytes([{ name: './a/./b.js', data: 'b' }]));
  assert.deepEqual([...archive.entries.keys()], ['a/b.js']);
  assert.equal(archive.read('a/b.js').toString(), 'b');
});

test('duplicates are refused: same name, file vs directory, file used as a parent, after normalisation', async () => {
  const cases: Array<Parameters<typeof zipBytes>[0]> = [
    [
      { name: 'a.js', data: '1' },
      { name: 'a.js', data: '2' },
    ],
    [
      { name: 'a', data: '1' },
      { name: 'a/', type: 'dir' },
    ],
    [
      { name: 'a/', type: 'dir' },
      { name: 'a', data: '1' },
    ],
    [
      { name: 'x/y.js', data: '1' },
      { name: 'x/./y.js', data: '2' },
    ],
    [
      { name: 'a', data: '1' },
      { name: 'a/b.js', data: '2' },
    ],
    [
      { name: 'a/b.js', data: '2' },
      { name: 'a', data: '1' },
    ],
    [
      { name: 'd/', type: 'dir' },
      { name: 'd/', type: 'dir' },
    ],
  ];
  for (const entries of cases) await rejects(openArchive(zipBytes(entries)), 'ERR_ZIP_DUPLICATE_ENTRY');
});

test('symlinks that lead outside the root are refused, also through chains and as parents', async () => {
  const link = (name: string, target: string) => ({ name, data: target, method: 0, type: 'symlink' as const });
  const cases: Array<Parameters<typeof zipBytes>[0]> = [
    [link('l', '../outside')],
    [link('a/b/l', '../../../x')],
    [link('l', '/etc/passwd')],
    [link('l', 'C:/Windows')],
    [link('l', 'a\\..\\..\\x')],
    // d/l1 -> '..' is the root (fine alone); l2 -> d/l1/.. then leaves it
    [{ name: 'd/', type: 'dir' }, link('d/l1', '..'), link('l2', 'd/l1/..')],
    // a loop
    [link('a', 'b'), link('b', 'a')],
    // writing through a symlink parent
    [link('l', 'sub'), { name: 'l/x.js', data: '1' }],
  ];
  for (const entries of cases) await rejects(openArchive(zipBytes(entries)), 'ERR_ZIP_UNSAFE_SYMLINK');
  const ok = await openArchive(
    zipBytes([{ name: 'b.txt', data: 'b' }, link('a/l', '../b.txt'), link('a/self', '.'), link('up', 'a/l')]),
  );
  assert.equal(ok.entries.get('a/l')?.linkTarget, '../b.txt');
});

test('encrypted entries and unknown methods are refused', async () => {
  await rejects(
    openArchive(zipBytes([{ name: 'secret.js', data: 'x', both: { flags: 0x801 } }])),
    'ERR_ZIP_ENCRYPTED',
    'secret.js',
  );
  await rejects(openArchive(zipBytes([{ name: 'aes.js', data: 'x', method: 99 }])), 'ERR_ZIP_ENCRYPTED', 'aes.js');
  const err = await rejects(
    openArchive(zipBytes([{ name: 'b.js', data: 'x', method: 12 }])),
    'ERR_ZIP_UNSUPPORTED_METHOD',
    'b.js',
  );
  assert.equal(err.details.method, 12);
});

test('caps on entries, per-entry and total size apply before anything is inflated', async () => {
  const many = zipBytes(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}.js`, data: `${i}` })));
  await rejects(openArchive(many, { maxEntries: 10 }), 'ERR_ZIP_TOO_LARGE', '20 entries');
  await openArchive(many, { maxEntries: 20 });
  const big = zipBytes([
    { name: 'big.bin', data: Buffer.alloc(10_000) },
    { name: 'b2.bin', data: Buffer.alloc(10_000) },
  ]);
  await rejects(openArchive(big, { maxEntrySize: 9_999 }), 'ERR_ZIP_TOO_LARGE', 'big.bin');
  await rejects(openArchive(big, { maxTotalSize: 15_000 }), 'ERR_ZIP_TOO_LARGE', 'b2.bin');
  await openArchive(big, { maxTotalSize: 20_000 });
});

test('a 2 GiB-declared bomb is refused at open, and a lying one while inflating, without allocating it', async () => {
  // declared: 2 GiB uncompressed, a few bytes stored
  const payload = zlib.deflateRawSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 KiB
  const declared = zipBytes([{ name: 'bomb.bin', raw: payload, method: 8, both: { usize: 0x80000000, crc: 0 } }]);
  const before = process.memoryUsage();
  await rejects(openArchive(declared), 'ERR_ZIP_TOO_LARGE', 'bomb.bin');
  // lying: declares 1 KiB, inflates to 64 MiB
  const lying = zipBytes([{ name: 'liar.bin', raw: payload, method: 8, both: { usize: 1024, crc: 0 } }]);
  const archive = await openArchive(lying);
  await rejects(() => archive.read('liar.bin'), 'ERR_ZIP_TOO_LARGE', 'liar.bin');
  // with the caps raised, the declared bomb opens but reading stops at its (capped) declared size
  const after = process.memoryUsage();
  assert.ok(
    after.arrayBuffers - before.arrayBuffers < 32 * 1024 * 1024,
    `arrayBuffers grew ${after.arrayBuffers - before.arrayBuffers}`,
  );
  assert.ok(after.rss - before.rss < 128 * 1024 * 1024, `rss grew ${after.rss - before.rss}`);
  // zip64 sizes beyond the safe integer range are corrupt, not a crash
  const z64 = Buffer.alloc(20);
  z64.writeUInt16LE(1, 0);
  z64.writeUInt16LE(16, 2);
  z64.writeBigUInt64LE(2n ** 62n, 4);
  z64.writeBigUInt64LE(10n, 12);
  await rejects(
    openArchive(zipBytes([{ name: 'huge', data: 'x', central: { usize: 0xffffffff, csize: 0xffffffff, extra: z64 } }])),
    'ERR_ZIP_CORRUPT',
  );
});

test('local headers must agree with the central directory', async () => {
  await rejects(
    openArchive(zipBytes([{ name: 'a.js', data: 'x', local: { name: 'b.js' } }])),
    'ERR_ZIP_CORRUPT',
    'name',
  );
  await rejects(
    openArchive(zipBytes([{ name: 'a.js', data: 'xx', local: { method: 0 } }])),
    'ERR_ZIP_CORRUPT',
    'method',
  );
  await rejects(openArchive(zipBytes([{ name: 'a.js', data: 'x', local: { usize: 5 } }])), 'ERR_ZIP_CORRUPT', 'size');
  await rejects(openArchive(zipBytes([{ name: 'a.js', data: 'x', local: { crc: 5 } }])), 'ERR_ZIP_CORRUPT', 'CRC');
  await rejects(openArchive(zipBytes([{ name: 'a.js', data: 'x', central: { offset: 3 } }])), 'ERR_ZIP_CORRUPT');
  // a data descriptor (flag 8) with zeroed local fields is fine
  const dd = await openArchive(
    zipBytes([
      {
        name: 'dd.js',
        data: 'x'.repeat(50),
        local: { flags: 0x808, crc: 0, csize: 0, usize: 0 },
        central: { flags: 0x808 },
      },
    ]),
  );
  assert.equal(dd.read('dd.js').toString(), 'x'.repeat(50));
});

test('overlapping entries (the non-recursive zip bomb construction) are refused', async () => {
  const inner = Buffer.from('inner data');
  const lhB = localHeader({ name: 'b', method: 0, crc: crc(inner), csize: inner.length, usize: inner.length });
  const aData = Buffer.concat([lhB, inner]); // a's stored data *contains* b's local header and data
  const lhA = localHeader({ name: 'a', method: 0, crc: crc(aData), csize: aData.length, usize: aData.length });
  const body = Buffer.concat([lhA, aData]);
  const cd = Buffer.concat([
    centralHeader({
      name: 'a',
      method: 0,
      crc: crc(aData),
      csize: aData.length,
      usize: aData.length,
      external: UNIX_FILE,
      offset: 0,
    }),
    centralHeader({
      name: 'b',
      method: 0,
      crc: crc(inner),
      csize: inner.length,
      usize: inner.length,
      external: UNIX_FILE,
      offset: lhA.length,
    }),
  ]);
  const bytes = Buffer.concat([body, cd, endRecord(2, cd.length, body.length)]);
  await rejects(openArchive(bytes), 'ERR_ZIP_CORRUPT', 'overlaps');
  // two central entries sharing one local header
  const lh = localHeader({ name: 'same', method: 0, crc: crc(inner), csize: inner.length, usize: inner.length });
  const cd2 = Buffer.concat([
    centralHeader({ name: 'same', method: 0, crc: crc(inner), csize: inner.length, usize: inner.length, offset: 0 }),
    centralHeader({
      name: 'same',
      method: 0,
      crc: crc(inner),
      csize: inner.length,
      usize: inner.length,
      offset: 0,
      external: 0,
    }),
  ]);
  const body2 = Buffer.concat([lh, inner]);
  await rejects(
    openArchive(Buffer.concat([body2, cd2, endRecord(2, cd2.length, body2.length)])),
    'ERR_ZIP_DUPLICATE_ENTRY',
  );
});

test('truncated, garbage, empty and missing files', async () => {
  const good = zipBytes([
    { name: 'a.js', data: 'hello'.repeat(100) },
    { name: 'b.js', data: 'world' },
  ]);
  await rejects(openArchive(Buffer.alloc(0)), 'ERR_ZIP_CORRUPT');
  await rejects(openArchive(Buffer.from('this is not a zip file at all, just text')), 'ERR_ZIP_CORRUPT');
  await rejects(openArchive(good.subarray(0, good.length - 10)), 'ERR_ZIP_CORRUPT');
  await rejects(openArchive(good.subarray(20)), 'ERR_ZIP_CORRUPT');
  await rejects(openArchive(zipBytes([{ name: 'a.js', data: 'x' }], { count: 2 })), 'ERR_ZIP_CORRUPT');
  for (let i = 0; i < 200; i++) {
    // random damage: either refused with a CodesaveError or opened; never a crash of another kind
    const copy = Buffer.from(good);
    copy[(i * 7919) % copy.length] ^= 1 << (i % 8);
    try {
      const a = await openArchive(copy);
      for (const e of a.entries.values()) if (e.type === 'file') a.read(e.name);
    } catch (err) {
      assert.equal((err as Error).name, 'CodesaveError', String(err));
    }
  }
  await rejects(openArchive(path.join(tmp, 'missing.zip')), 'ERR_ZIP_NOT_FOUND', 'missing.zip');
  await rejects(openArchive(tmp), 'ERR_ZIP_NOT_FOUND', 'not a file');
  const trunc = path.join(tmp, 'trunc.zip');
  fs.writeFileSync(trunc, good.subarray(0, 40));
  await rejects(openArchive(trunc), 'ERR_ZIP_CORRUPT', trunc);
});

test('CRC-32 and deflate damage are found when the entry is read (or at open with eager)', async () => {
  const bytes = zipBytes([
    { name: 'ok.js', data: 'fine' },
    { name: 'bad.js', data: 'payload', both: { crc: 1234 } },
  ]);
  const archive = await openArchive(bytes);
  assert.equal(archive.read('ok.js').toString(), 'fine');
  await rejects(() => archive.read('bad.js'), 'ERR_ZIP_CRC_MISMATCH', 'bad.js');
  await rejects(openArchive(bytes, { eager: true }), 'ERR_ZIP_CRC_MISMATCH', 'bad.js');
  const broken = zipBytes([{ name: 'z.js', data: 'abc', raw: Buffer.from([0xff, 0xff, 0xff]), method: 8 }]);
  await rejects(() => openArchive(broken).then((a) => a.read('z.js')), 'ERR_ZIP_CORRUPT', 'z.js');
  const short = zipBytes([{ name: 's.js', data: 'abc', both: { usize: 10 } }]);
  await rejects(() => openArchive(short).then((a) => a.read('s.js')), 'ERR_ZIP_CORRUPT', 's.js');
  await rejects(() => archive.read('nope.js'), 'ERR_ZIP_ENTRY_NOT_FOUND', 'nope.js');
});

test('eager mode inflates at open and keeps the contents; lazy mode inflates on each read', async () => {
  const bytes = zipBytes([{ name: 'a.js', data: 'A'.repeat(1000) }]);
  const eager = await openArchive(bytes, { eager: true });
  assert.equal(eager.read('a.js').toString(), 'A'.repeat(1000));
  assert.equal(eager.read('a.js'), eager.read('a.js'));
  const lazy = await openArchive(bytes);
  assert.notEqual(lazy.read('a.js'), lazy.read('a.js'));
  assert.deepEqual(lazy.read('a.js'), eager.read('a.js'));
});

test('the fd reader (zips above inMemoryLimit) reads the same', async () => {
  const dir = makeTree();
  const zip = path.join(tmp, 'fd.zip');
  execFileSync('zip', ['-r', '-q', '-y', zip, '.'], { cwd: dir });
  const archive = await openArchive(zip, { inMemoryLimit: 0 });
  assert.deepEqual(archive.read('data.bin'), fs.readFileSync(path.join(dir, 'data.bin')));
  archive.close();
  archive.close();
});

test('verifyArchive compares sha256 and size of every listed file, and refuses unlisted ones', async () => {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const files = { 'a.js': 'A', 'd/b.js': 'BB' };
  const bytes = zipBytes([
    { name: 'codesave.json', data: '{}' },
    { name: 'd/', type: 'dir' },
    ...Object.entries(files).map(([name, data]) => ({ name, data })),
    { name: 'l.js', data: 'a.js', method: 0, type: 'symlink' as const },
  ]);
  const archive = await openArchive(bytes);
  const listed = [
    ...Object.entries(files).map(([p, d]) => ({ path: p, size: d.length, sha256: sha(d) })),
    { path: 'l.js', size: 4, sha256: sha('a.js'), link: 'a.js' },
  ];
  verifyArchive(archive, { files: listed });
  await rejects(() => verifyArchive(archive, { files: [...listed.slice(1)] }), 'ERR_ZIP_HASH_MISMATCH', 'a.js');
  await rejects(
    () => verifyArchive(archive, { files: [{ ...listed[0], sha256: sha('other') }, ...listed.slice(1)] }),
    'ERR_ZIP_HASH_MISMATCH',
    'a.js',
  );
  await rejects(
    () => verifyArchive(archive, { files: [...listed, { path: 'gone.js', size: 1, sha256: sha('x') }] }),
    'ERR_ZIP_HASH_MISMATCH',
    'gone.js',
  );
  await rejects(
    () => verifyArchive(archive, { files: [{ ...listed[1], size: 3 }, listed[0], listed[2]] }),
    'ERR_ZIP_HASH_MISMATCH',
    'd/b.js',
  );
  await rejects(
    () => verifyArchive(archive, { files: [listed[0], listed[1], { ...listed[2], link: 'd/b.js' }] }),
    'ERR_ZIP_HASH_MISMATCH',
    'l.js',
  );
  // a stand-in manifest (made for a zip without codesave.json) verifies nothing; one merely claiming to be is verified
  verifyArchive(archive, minimalManifest(['a.js']));
  await rejects(
    () => verifyArchive(archive, { files: [], tool: { name: 'unknown' } }),
    'ERR_ZIP_HASH_MISMATCH',
    'not listed in the manifest',
  );
});

test('bytes prepended to a zip (a shebang line) are skipped, as unzip does', async () => {
  const zip = zipBytes([
    { name: 'main.js', data: 'console.log(1)' },
    { name: 'lib/x.js', data: 'x' },
  ]);
  const archive = await openArchive(Buffer.concat([Buffer.from('#!/usr/bin/env codesave run\n'), zip]));
  assert.equal(archive.read('main.js').toString(), 'console.log(1)');
  assert.equal(archive.read('lib/x.js').toString(), 'x');
});

test('a zip written on Windows (no Unix modes, DOS directory bit) opens', async () => {
  const archive = await openArchive(
    zipBytes([
      { name: 'dir/', type: 'dir', both: { madeBy: 0x0014, external: 0x10 } },
      { name: 'dir/a.js', data: 'a', both: { madeBy: 0x0014, external: 0x20 } },
    ]),
  );
  assert.equal(archive.entries.get('dir')?.type, 'directory');
  assert.equal(archive.entries.get('dir/a.js')?.type, 'file');
  assert.equal(archive.entries.get('dir/a.js')?.mode, undefined);
});

test('error messages say which entry and what to do', async () => {
  const err = await rejects(
    openArchive(zipBytes([{ name: '../../etc/cron.d/x', data: 'x' }]), { label: 'upload.zip' }),
    'ERR_ZIP_UNSAFE_PATH',
  );
  assert.match(
    err.message,
    /^upload\.zip: entry "\.\.\/\.\.\/etc\/cron\.d\/x" is unsafe: the name has a '\.\.' segment\. Refusing/,
  );
  assert.equal(err.details.entry, '../../etc/cron.d/x');
});

test('a FIFO, a device and a directory given as the zip are refused at once (opening a FIFO must not wait)', async () => {
  const fifo = path.join(tmp, 'a.fifo');
  execFileSync('mkfifo', [fifo]);
  await rejects(openArchive(fifo), 'ERR_ZIP_NOT_FOUND', 'not a file');
  await rejects(openArchive('/dev/zero'), 'ERR_ZIP_NOT_FOUND', 'not a file');
  await rejects(openArchive(tmp), 'ERR_ZIP_NOT_FOUND', 'not a file');
  // a 5 GiB sparse file: read through the fd, no end record found, nothing allocated for it
  const sparse = path.join(tmp, 'sparse.zip');
  execFileSync('truncate', ['-s', '5G', sparse]);
  await rejects(openArchive(sparse), 'ERR_ZIP_CORRUPT', 'end-of-central-directory');
  fs.rmSync(sparse);
  // a symlink to a zip opens the zip
  const real = path.join(tmp, 'real.zip');
  fs.writeFileSync(real, zipBytes([{ name: 'a.js', data: 'x' }]));
  fs.symlinkSync(real, path.join(tmp, 'link.zip'));
  assert.equal((await openArchive(path.join(tmp, 'link.zip'))).read('a.js').toString(), 'x');
});

test('names longer than a file system allows are refused; deep names open in linear time', async () => {
  await rejects(openArchive(zipBytes([{ name: `${'a/'.repeat(32766)}bc`, data: 'x' }])), 'ERR_ZIP_UNSAFE_PATH', '4095');
  await rejects(openArchive(zipBytes([{ name: `d/${'n'.repeat(256)}`, data: 'x' }])), 'ERR_ZIP_UNSAFE_PATH', '255');
  await rejects(openArchive(zipBytes([{ name: `${'é'.repeat(128)}`, data: 'x' }])), 'ERR_ZIP_UNSAFE_PATH', '255');
  const ok = await openArchive(zipBytes([{ name: 'n'.repeat(255), data: 'x' }]));
  assert.equal(ok.entries.size, 1);
  // 300 entries 2,000 directories deep (no directory entries): each implicit parent is checked once
  const deep = `${'a/'.repeat(2000)}`;
  const archive = await openArchive(
    zipBytes(Array.from({ length: 300 }, (_, i) => ({ name: `${deep}f${i}`, data: `${i}` }))),
  );
  assert.equal(archive.read(`${deep}f299`).toString(), '299');
});

test('symlink targets are resolved in time linear in their length (2,000 links with 4 KiB deep targets)', async () => {
  const target = `${'d/'.repeat(2000)}${'../'.repeat(31)}f`;
  const entries: Parameters<typeof zipBytes>[0] = [{ name: 'dir/f', data: 'x' }];
  for (let i = 0; i < 2000; i++) entries.push({ name: `dir/l${i}`, data: target, type: 'symlink' });
  const archive = await openArchive(zipBytes(entries));
  assert.equal(archive.entries.get('dir/l1999')?.linkTarget, target);
  // chains through other links are still followed, and loops still refused
  const chain: Parameters<typeof zipBytes>[0] = [
    { name: 'f', data: 'x' },
    { name: 'sub/', type: 'dir' },
  ];
  chain.push({ name: 'sub/up', data: '..', type: 'symlink', method: 0 });
  chain.push({ name: 'sub/x', data: 'up/sub/up/sub/up/f', type: 'symlink', method: 0 });
  chain.push({ name: 'sub/out', data: 'up/sub/up/..', type: 'symlink', method: 0 });
  await rejects(openArchive(zipBytes(chain)), 'ERR_ZIP_UNSAFE_SYMLINK', "'sub/out'");
  assert.ok(await openArchive(zipBytes(chain.slice(0, -1))));
  const loop: Parameters<typeof zipBytes>[0] = [
    { name: 'a', data: 'b', type: 'symlink', method: 0 },
    { name: 'b', data: 'a', type: 'symlink', method: 0 },
  ];
  await rejects(openArchive(zipBytes(loop)), 'ERR_ZIP_UNSAFE_SYMLINK', 'loop');
});

test('limit options must be numbers ≥ 0; a limit above what a Buffer holds is capped, not passed to zlib', async () => {
  const bytes = zipBytes([{ name: 'a.js', data: 'x' }]);
  for (const bad of [Number.NaN, -1, '10', null])
    await rejects(openArchive(bytes, { maxEntries: bad as number }), 'ERR_BAD_OPTION', 'maxEntries');
  await rejects(openArchive(bytes, { maxEntrySize: Number.NaN }), 'ERR_BAD_OPTION', 'maxEntrySize');
  assert.equal((await openArchive(bytes, { maxTotalSize: Number.POSITIVE_INFINITY })).read('a.js').toString(), 'x');
  // an entry declaring 5 GiB with every cap lifted: refused as too large where a Buffer cannot hold it (Node 20),
  // else found short when read (Node 24) — never a RangeError from zlib or Buffer
  const extra = Buffer.alloc(20);
  extra.writeUInt16LE(1, 0);
  extra.writeUInt16LE(16, 2);
  extra.writeBigUInt64LE(5n << 30n, 4);
  const raw = zlib.deflateRawSync(Buffer.from('x'));
  extra.writeBigUInt64LE(BigInt(raw.length), 12);
  const huge = zipBytes([
    { name: 'big', data: 'x', raw, method: 8, both: { usize: 0xffffffff, csize: 0xffffffff, extra } },
  ]);
  const inf = Number.POSITIVE_INFINITY;
  if (buffer.constants.MAX_LENGTH < 5 * 2 ** 30) {
    await rejects(openArchive(huge, { maxEntrySize: inf, maxTotalSize: inf }), 'ERR_ZIP_TOO_LARGE', 'big');
  } else {
    const lifted = await openArchive(huge, { maxEntrySize: inf, maxTotalSize: inf });
    await rejects(() => lifted.read('big'), 'ERR_ZIP_CORRUPT', 'inflates to 1 bytes');
  }
});

test('a streamed zip (zip -r - dir: data descriptors, local headers with the size but no CRC) opens', async () => {
  const dir = makeTree();
  fs.rmSync(path.join(dir, 'src/alias.js')); // zip cannot stream a stored symlink
  const bytes = execFileSync('zip', ['-r', '-q', '-', '.'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(bytes.readUInt16LE(6) & 0x8, 0x8, 'the first entry uses a data descriptor');
  const archive = await openArchive(bytes);
  for (const name of ['src/index.js', 'src/lib/a.js', 'data.bin', 'empty.txt', 'ünïcode ✓.txt'])
    assert.deepEqual(archive.read(name), fs.readFileSync(path.join(dir, name)), name);
  // a value the local header does give must still agree with the directory
  const lying = Buffer.from(bytes);
  lying.writeUInt32LE(lying.readUInt32LE(22) + 1, 22);
  await rejects(openArchive(lying), 'ERR_ZIP_CORRUPT', 'uncompressed size');
});

test('name decisions: NFC/NFD and case variants are distinct entries, trailing dots/spaces and %2e%2e are literal names; encoded surrogates are refused', async () => {
  const nfc = 'caf\u00e9.js';
  const nfd = 'cafe\u0301.js';
  const archive = await openArchive(
    zipBytes([
      { name: nfc, data: '1' },
      { name: nfd, data: '2' },
      { name: 'A.js', data: '3' },
      { name: 'a.js', data: '4' },
      { name: 'dots. ', data: '5' },
      { name: '%2e%2e/x.js', data: '6' },
      { name: 'rtl\u202ename.js', data: '7' },
    ]),
  );
  assert.equal(archive.read(nfc).toString(), '1');
  assert.equal(archive.read(nfd).toString(), '2');
  assert.equal(archive.read('A.js').toString(), '3');
  assert.equal(archive.read('a.js').toString(), '4');
  assert.equal(archive.read('dots. ').toString(), '5');
  assert.equal(archive.read('%2e%2e/x.js').toString(), '6');
  assert.equal(archive.entries.size, 7);
  // a UTF-16 surrogate encoded in UTF-8 (CESU-8 / WTF-8 bytes ED A0 80) is not UTF-8
  const surrogate = Buffer.concat([Buffer.from('s'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('.js')]);
  await rejects(
    openArchive(zipBytes([{ name: surrogate, data: 'x', both: { flags: 0x800 } }])),
    'ERR_ZIP_UNSAFE_PATH',
    'UTF-8',
  );
  // '.' segments collapse, so './a.js' and 'a.js' are the same entry
  await rejects(
    openArchive(
      zipBytes([
        { name: './a.js', data: 'x' },
        { name: 'a.js', data: 'y' },
      ]),
    ),
    'ERR_ZIP_DUPLICATE_ENTRY',
  );
});

test('verifyArchive: a manifest listing one path twice is ERR_MANIFEST_INVALID (it would inflate that file once per listing)', async () => {
  const data = 'x'.repeat(1000);
  const sha = createHash('sha256').update(data).digest('hex');
  const archive = await openArchive(zipBytes([{ name: 'a.js', data }]));
  const file = { path: 'a.js', size: 1000, sha256: sha };
  verifyArchive(archive, { files: [file] });
  await rejects(
    () => verifyArchive(archive, { files: Array.from({ length: 100_000 }, () => file) }),
    'ERR_MANIFEST_INVALID',
    'more than once',
  );
});

test('bytes prepended to a zip64 archive (its zip64 end record shifted too) are skipped, as unzip does', async () => {
  const files = { 'a.js': 'exports.a = 1;\n'.repeat(20), 'dir/b.json': '{"b":2}' };
  const zip64 = await yazlZip(files, { forceZip64Format: true });
  const archive = await openArchive(Buffer.concat([Buffer.from('#!/usr/bin/env codesave run\n'), zip64]));
  for (const [name, data] of Object.entries(files)) assert.equal(archive.read(name).toString(), data);
  // a zip64 locator pointing nowhere near a record is still refused
  const broken = Buffer.from(zip64);
  const at = broken.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]));
  broken.writeUInt32LE(0, at);
  await rejects(openArchive(broken), 'ERR_ZIP_CORRUPT', 'zip64 end-of-central-directory record is missing');
});
