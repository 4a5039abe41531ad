// Issue 12's attacks and faults, each reproduced and shown refused or contained: a poisoned or foreign cache, a
// zip changed on disk while open, a rewritten manifest, outputs that are not ours, snapshots and growing files in
// the tree.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { crcTable } from '../src/archive/crc32.ts';
import {
  archiveMismatches,
  checkpoint,
  clearMemoryCaches,
  defaultCacheDir,
  flushTransformCache,
  openArchive,
  ZipCodebase,
} from '../src/index.ts';
import { Transformer } from '../src/runtime/transform/index.ts';
import { openUserCache } from '../src/runtime/user-cache.ts';
import { crc } from './archive-zipbytes.ts';
import { extract, tempDir, writeTree } from './snapshot-helpers.ts';

const isRoot = process.getuid?.() === 0;
const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));

/** Process warnings with a `code` emitted while `body` runs. */
async function warningsDuring(body: () => Promise<void>): Promise<{ code?: string; message: string }[]> {
  const seen: { code?: string; message: string }[] = [];
  const listen = (w: Error & { code?: string }) => seen.push({ code: w.code, message: w.message });
  process.on('warning', listen);
  try {
    await body();
    await new Promise((resolve) => setImmediate(resolve)); // emitWarning is delivered on the next tick
  } finally {
    process.off('warning', listen);
  }
  return seen;
}

async function snapshotOf(files: Record<string, string>, options: { compressionLevel?: number } = {}) {
  const root = writeTree(join(tempDir(), 'project'), files);
  const out = join(dirname(root), 'snap.zip');
  await checkpoint(root, { output: out, ...options });
  return out;
}

/** Rebuilds `zip` from its extracted tree after `edit` changed it (the `zip` tool, as a user would). */
function rezip(zip: string, edit: (dir: string) => void): string {
  const dir = extract(zip);
  edit(dir);
  const out = join(tempDir(), 'edited.zip');
  execFileSync('zip', ['-qrX', out, '.'], { cwd: dir });
  return out;
}

describe('the cache: a verified snapshot runs only its own bytes', () => {
  test('a poisoned pack never runs: the entry fails its seal, is dropped, recomputed and reported once', async () => {
    const zip = await snapshotOf({ 'm.mjs': "export const v = 'GOOD';\n", 'n.mjs': "export const w = 'GOOD';\n" });
    const cacheDir = join(tempDir(), 'cache');
    const first = await ZipCodebase.open(zip, { cacheDir });
    assert.equal((await first.import('./m.mjs')).v, 'GOOD');
    assert.equal((await first.import('./n.mjs')).w, 'GOOD');
    await first.dispose();
    flushTransformCache();
    const [pack] = readdirSync(join(cacheDir, 'packs'));
    const file = join(cacheDir, 'packs', pack);
    const bytes = readFileSync(file);
    assert.ok(bytes.includes('GOOD'), 'the pack holds the transformed text');
    // the attack of the issue: the same-length edit of the cached transform (and of V8's code cache)
    writeFileSync(file, Buffer.from(bytes.toString('latin1').replaceAll('GOOD', 'EVIL'), 'latin1'));
    clearMemoryCaches();
    const warnings = await warningsDuring(async () => {
      const again = await ZipCodebase.open(zip, { cacheDir, verify: true });
      assert.equal((await again.import('./m.mjs')).v, 'GOOD');
      assert.equal((await again.import('./n.mjs')).w, 'GOOD');
      await again.dispose();
    });
    const rejected = warnings.filter((w) => w.code === 'CODESAVE_CACHE_ENTRY_REJECTED');
    assert.equal(rejected.length, 1, JSON.stringify(warnings));
    assert.match(rejected[0].message, /failed its authentication.*recomputed/);
    flushTransformCache();
    assert.ok(!readFileSync(file).includes('EVIL'), 'the rewritten pack holds no poisoned entry');
    clearMemoryCaches();
    const third = await ZipCodebase.open(zip, { cacheDir });
    assert.equal((await third.import('./m.mjs')).v, 'GOOD');
    await third.dispose();
  });

  test('a cache directory others may write is refused with one warning and not used', async () => {
    const dir = join(tempDir(), 'shared-cache');
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    const warnings = await warningsDuring(async () => {
      assert.equal(new Transformer({ cacheDir: dir }).cacheDir, undefined);
      assert.equal(new Transformer({ cacheDir: dir }).cacheDir, undefined);
      const zip = await snapshotOf({ 'm.mjs': 'export const v = 1;\n' });
      const c = await ZipCodebase.open(zip, { cacheDir: dir });
      assert.equal((await c.import('./m.mjs')).v, 1);
      await c.dispose();
      flushTransformCache();
    });
    const unsafe = warnings.filter((w) => w.code === 'CODESAVE_CACHE_UNSAFE');
    assert.equal(unsafe.length, 1);
    assert.match(unsafe[0].message, /group or others may write it \(mode 777\)/);
    assert.deepEqual(readdirSync(dir), [], 'nothing was written there');
  });

  test('a new cache directory is 0700 with a 0600 key; the default follows XDG, then ~/.cache, then <tmpdir>/codesave-<uid>', () => {
    const dir = join(tempDir(), 'a', 'b', 'codesave');
    const cache = openUserCache(dir);
    assert.ok(cache);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'key')).mode & 0o777, 0o600);
    assert.equal(cache.key.length, 32);
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }), '/xdg/codesave');
    const home = tempDir();
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: 'relative', HOME: home }), join(home, '.cache', 'codesave'));
    assert.equal(
      defaultCacheDir({ HOME: '/nonexistent-home' }),
      join(tmpdir(), `codesave-${process.getuid?.() ?? 'user'}`),
    );
  });

  test('a cache directory owned by another user is refused (root only)', {
    skip: !isRoot && 'needs root',
  }, async () => {
    const dir = join(tempDir(), 'theirs');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    const warnings = await warningsDuring(async () => {
      assert.equal(new Transformer({ cacheDir: dir }).cacheDir, undefined);
    });
    assert.match(warnings.find((w) => w.code === 'CODESAVE_CACHE_UNSAFE')?.message ?? '', /owned by uid 65534/);
  });

  test('cross-user: uid 65534 pre-creates the shared default cache 0777 with a poisoned pack; root still runs its own code (root only)', {
    skip: !isRoot && 'needs root (runs in CI)',
  }, async () => {
    // a world-writable sticky directory standing in for /tmp, as on a shared GPU server; no home for anyone
    const shared = tempDir('codesave-shared-tmp-');
    chmodSync(shared, 0o1777);
    const zip = await snapshotOf({ 'm.mjs': "export const v = 'GOOD';\n" });
    // root's pack for this zip, made elsewhere, then poisoned: what the attacker plants
    const own = join(tempDir(), 'own-cache');
    const c = await ZipCodebase.open(zip, { cacheDir: own });
    assert.equal((await c.import('./m.mjs')).v, 'GOOD');
    await c.dispose();
    flushTransformCache();
    const [pack] = readdirSync(join(own, 'packs'));
    const poisoned = readFileSync(join(own, 'packs', pack))
      .toString('latin1')
      .replaceAll('GOOD', 'EVIL');
    const victimCache = join(shared, 'codesave-0');
    // the attacker: a shell of uid 65534 (the node binary may sit where that user cannot run it)
    const attacker = spawnSync(
      'sh',
      [
        '-c',
        'umask 0; mkdir -p "$1/packs" && chmod 777 "$1" "$1/packs" && cat > "$1/packs/$2" && id -u',
        'sh',
        victimCache,
        pack,
      ],
      { uid: 65534, gid: 65534, input: Buffer.from(poisoned, 'latin1'), encoding: 'utf8', cwd: '/' },
    );
    assert.equal(attacker.status, 0, attacker.stderr);
    assert.equal(attacker.stdout.trim(), '65534');
    assert.equal(statSync(victimCache).uid, 65534);
    const victim = spawnSync(
      process.execPath,
      [
        '--conditions=codesave-source',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { ZipCodebase } = await import(${JSON.stringify(pathToFileURL(src).href)});
         const c = await ZipCodebase.open(${JSON.stringify(zip)}, { verify: true });
         console.log((await c.import('./m.mjs')).v);
         await c.dispose();`,
      ],
      {
        encoding: 'utf8',
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { PATH: process.env.PATH ?? '', TMPDIR: shared, HOME: '/nonexistent' },
      },
    );
    assert.equal(victim.status, 0, victim.stderr);
    assert.equal(victim.stdout.trim(), 'GOOD');
    assert.match(
      victim.stderr,
      /CODESAVE_CACHE_UNSAFE.*refusing the cache directory .*codesave-0: it is owned by uid 65534/s,
    );
    assert.deepEqual(readdirSync(join(victimCache, 'packs')), [pack], 'root wrote nothing into their directory');
  });
});

// ---------------------------------------------------------------------------------------------- the archive

const TABLE = crcTable();
const BY_TOP = new Map([...TABLE].map((v, k) => [v >>> 24, k]));

/** Sets the 4 bytes of `data` at `at` so that its CRC-32 becomes `target` (the attacker's CRC-preserving edit). */
function forceCrc(data: Buffer, at: number, target: number): void {
  let before = 0xffffffff;
  for (let i = 0; i < at; i++) before = (TABLE[(before ^ data[i]) & 0xff] ^ (before >>> 8)) >>> 0;
  let after = (target ^ 0xffffffff) >>> 0;
  for (let i = data.length - 1; i >= at + 4; i--) {
    const k = BY_TOP.get(after >>> 24)!;
    after = ((((after ^ TABLE[k]) << 8) | ((k ^ data[i]) & 0xff)) >>> 0) as number;
  }
  const ks: number[] = [];
  let cur = after;
  for (let j = 3; j >= 0; j--) {
    ks[j] = BY_TOP.get(cur >>> 24)!;
    cur = ((cur ^ TABLE[ks[j]]) << 8) >>> 0;
  }
  let c = before;
  for (let j = 0; j < 4; j++) {
    data[at + j] = (c ^ ks[j]) & 0xff;
    c = (TABLE[ks[j]] ^ (c >>> 8)) >>> 0;
  }
}

describe('the archive: verified bytes for every size', () => {
  test('a CRC-preserving change of a >4 MiB entry of a zip read through a descriptor never runs: ERR_ZIP_CHANGED', async () => {
    const head = "module.exports = 'GOOD';\n/*";
    const tail = '*/\n//XXXX\n';
    const body = `${head}${'x'.repeat(4.5 * 1024 * 1024)}${tail}`;
    const zip = await snapshotOf({ 'big.js': body, 'small.js': 'module.exports = 1;\n' }, { compressionLevel: 0 });
    const original = Buffer.from(body);
    // the attacker's version: EVIL, same length, same CRC-32 (4 forced bytes in the trailing line comment)
    let evil: Buffer | undefined;
    for (let variant = 0; variant < 200 && !evil; variant++) {
      const candidate = Buffer.from(body.replace('GOOD', 'EVIL'));
      candidate[head.length + variant] = 0x79; // 'y': another filler, other forced bytes
      const at = candidate.length - 5;
      forceCrc(candidate, at, crc(original));
      const forced = candidate.subarray(at, at + 4);
      if (![0x0a, 0x0d, 0xe2].some((b) => forced.includes(b))) evil = candidate;
    }
    assert.ok(evil);
    assert.equal(crc(evil), crc(original), 'the forged file keeps the CRC-32');

    const codebase = await ZipCodebase.open(zip, { inMemoryLimit: 0 }); // read through a descriptor; verified
    try {
      const bytes = readFileSync(zip);
      const offset = bytes.indexOf(original.subarray(0, 64));
      assert.ok(offset > 0);
      const fd = openSync(zip, 'r+');
      writeSync(fd, evil, 0, evil.length, offset);
      closeSync(fd);
      assert.throws(() => codebase.require('./big.js'), { code: 'ERR_ZIP_CHANGED' });
      assert.equal(codebase.require('./small.js'), 1, 'an unchanged entry still reads');
    } finally {
      await codebase.dispose();
    }
    // what the change would have done unverified: the CRC passes, EVIL runs — and verification refuses it
    const archive = await openArchive(zip, { inMemoryLimit: 0 });
    assert.match(archive.read('big.js').toString('utf8', 0, 30), /EVIL/);
    archive.close();
    await assert.rejects(ZipCodebase.open(zip, { verify: 'all' }), { code: 'ERR_ZIP_HASH_MISMATCH' });
    // by default, at the first read of it (before it runs)
    const lazy = await ZipCodebase.open(zip);
    try {
      assert.throws(() => lazy.require('./big.js'), { code: 'ERR_ZIP_HASH_MISMATCH', details: { path: 'big.js' } });
      assert.equal(lazy.require('./small.js'), 1);
    } finally {
      await lazy.dispose();
    }
  });

  test('a file rewritten together with its sha256 in codesave.json: the stale contentHash refuses it', async () => {
    const zip = await snapshotOf({ 'a.js': 'module.exports = "GOOD";\n', 'b.js': 'module.exports = 2;\n' });
    const edited = rezip(zip, (dir) => {
      const evil = 'module.exports = "EVIL";\n';
      writeFileSync(join(dir, 'a.js'), evil);
      const manifest = JSON.parse(readFileSync(join(dir, 'codesave.json'), 'utf8'));
      const entry = manifest.files.find((f: { path: string }) => f.path === 'a.js');
      entry.sha256 = createHash('sha256').update(evil).digest('hex');
      writeFileSync(join(dir, 'codesave.json'), JSON.stringify(manifest));
    });
    await assert.rejects(ZipCodebase.open(edited), (error: Error & { code?: string; details?: { path?: string } }) => {
      assert.equal(error.code, 'ERR_ZIP_HASH_MISMATCH');
      assert.equal(error.details?.path, 'codesave.json');
      assert.match(error.message, /contentHash/);
      return true;
    });
    const archive = await openArchive(edited);
    const manifest = JSON.parse(archive.read('codesave.json').toString());
    assert.deepEqual(
      archiveMismatches(archive, manifest).map((m) => m.path),
      ['codesave.json'],
    );
    archive.close();
  });

  test('a codesave.json claiming to be a stand-in (tool "unknown") is verified all the same', async () => {
    const zip = await snapshotOf({ 'a.js': 'module.exports = "GOOD";\n' });
    const edited = rezip(zip, (dir) => {
      writeFileSync(join(dir, 'a.js'), 'module.exports = "EVIL";\n');
      const manifest = JSON.parse(readFileSync(join(dir, 'codesave.json'), 'utf8'));
      manifest.tool.name = 'unknown';
      writeFileSync(join(dir, 'codesave.json'), JSON.stringify(manifest));
    });
    await assert.rejects(ZipCodebase.open(edited, { verify: 'all' }), {
      code: 'ERR_ZIP_HASH_MISMATCH',
      details: { path: 'a.js' },
    });
    // by default, when a.js is first read
    const codebase = await ZipCodebase.open(edited);
    try {
      assert.throws(() => codebase.require('./a.js'), { code: 'ERR_ZIP_HASH_MISMATCH', details: { path: 'a.js' } });
    } finally {
      await codebase.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------- the save side

describe('outputs: one rule for every writer', () => {
  const project = () => writeTree(join(tempDir(), 'p'), { 'a.js': 'x' });

  test('a file that is not a zip is refused unless force; a zip is replaced; nothing is left behind', async () => {
    const dir = tempDir();
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'my notes');
    await assert.rejects(checkpoint(project(), { output: notes }), {
      code: 'ERR_BAD_OPTION',
      message: /is not a zip; codesave replaces only zip files.*--force/,
    });
    assert.equal(readFileSync(notes, 'utf8'), 'my notes');
    await checkpoint(project(), { output: notes, force: true });
    assert.equal(readFileSync(notes).readUInt32LE(0), 0x04034b50);
    await checkpoint(project(), { output: notes }); // now a zip: replaced without force
    assert.deepEqual(readdirSync(dir), ['notes.txt'], 'no temp file left');
  });

  test('a symbolic link at the output is never followed: refused, or with force the link itself is replaced', async () => {
    const dir = tempDir();
    const elsewhere = join(tempDir(), 'target.zip');
    await checkpoint(project(), { output: elsewhere });
    const before = readFileSync(elsewhere);
    const link = join(dir, 'out.zip');
    symlinkSync(elsewhere, link);
    await assert.rejects(checkpoint(project(), { output: link }), {
      code: 'ERR_BAD_OPTION',
      message: /is a symbolic link; codesave never writes through a link/,
    });
    assert.equal(readlinkSync(link), elsewhere);
    await checkpoint(writeTree(join(tempDir(), 'q'), { 'other.js': 'y' }), { output: link, force: true });
    assert.ok(lstatSync(link).isFile(), 'the link was replaced by the zip');
    assert.deepEqual(readFileSync(elsewhere), before, 'what it pointed at is untouched');
    const dirLink = join(dir, 'dir.zip');
    symlinkSync(tempDir(), dirLink);
    await assert.rejects(checkpoint(project(), { output: dirLink }), { code: 'ERR_BAD_OPTION' });
  });

  test('a device node is refused even with force (root only)', { skip: !isRoot && 'mknod needs root' }, async () => {
    const dir = tempDir();
    execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3']);
    await assert.rejects(checkpoint(project(), { output: join(dir, 'null'), force: true }), {
      code: 'ERR_BAD_OPTION',
      message: /not a regular file/,
    });
    assert.ok(lstatSync(join(dir, 'null')).isCharacterDevice());
  });

  test('kill -9 mid-save leaves a temp file; the next save into the directory removes it (only dead processes’, only ours)', async () => {
    const dir = tempDir();
    const root = writeTree(join(tempDir(), 'p'), { 'b.js': 'y', 'a.js': 'x' });
    const out = join(dir, 'out.zip');
    const child = spawn(
      process.execPath,
      [
        '--conditions=codesave-source',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { checkpoint } = await import(${JSON.stringify(pathToFileURL(src).href)});
         await checkpoint(${JSON.stringify(root)}, { output: ${JSON.stringify(out)}, onProgress: (p) => {
           if (p.phase === 'write') { console.log('writing'); const end = Date.now() + 60_000; while (Date.now() < end); }
         } });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // the temp file exists once the first file is written; the child then spins until it is killed
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const temps = () => readdirSync(dir).filter((n) => n.endsWith('.codesave-tmp'));
    for (let i = 0; i < 500 && temps().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(temps().length, 1, 'kill -9 left its temp file');
    assert.match(temps()[0], new RegExp(`^\\.out\\.zip\\.${child.pid}-[0-9a-f]+\\.codesave-tmp$`));
    // one of a live process (pid 1) stays; one owned by another user stays (root only)
    writeFileSync(join(dir, '.x.zip.1-abcd.codesave-tmp'), 'live');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const foreign = join(dir, `.y.zip.${dead}-abcd.codesave-tmp`);
    writeFileSync(foreign, 'theirs');
    if (isRoot) chownSync(foreign, 65534, 65534);
    await checkpoint(writeTree(join(tempDir(), 'q'), { 'b.js': 'y' }), { output: join(dir, 'other.zip') });
    const left = readdirSync(dir).sort();
    assert.ok(!left.some((n) => n.startsWith('.out.zip.')), `stale temp removed: ${left}`);
    assert.ok(left.includes('.x.zip.1-abcd.codesave-tmp'));
    assert.equal(left.includes(`.y.zip.${dead}-abcd.codesave-tmp`), isRoot);
  });
});

describe('saving files that change, and earlier snapshots in the tree', () => {
  test("an earlier checkpoint's output inside the tree is skipped as `snapshot`; a plain zip is stored", async () => {
    const root = writeTree(join(tempDir(), 'p'), { 'a.js': 'x', 'data/plain-input.txt': 'data' });
    mkdirSync(join(root, 'runs'));
    await checkpoint(root, { output: join(root, 'runs', 'first.zip') });
    execFileSync('zip', ['-qr', join(root, 'data', 'plain.zip'), 'plain-input.txt'], { cwd: join(root, 'data') });
    // another snapshot, under a name in capitals: recognised by its manifest
    await checkpoint(join(root, 'data'), { output: join(root, 'BACKUP.ZIP') });
    const result = await checkpoint(root, { output: join(tempDir(), 'second.zip') });
    assert.deepEqual(
      result.skipped.files.filter((s) => s.reason === 'snapshot').map((s) => s.path),
      ['BACKUP.ZIP', 'runs/first.zip'],
    );
    assert.deepEqual(
      result.manifest.files.map((f) => f.path),
      ['a.js', 'data/plain-input.txt', 'data/plain.zip'],
    );
  });

  test('a file growing during the save: the save ends — stored up to its scanned size, or ERR_UNREADABLE_FILE "changed while saved"', async () => {
    const root = writeTree(join(tempDir(), 'p'), { 'a.js': 'x' });
    const log = join(root, 'train.log');
    writeFileSync(log, Buffer.alloc(20 * 1024 * 1024, 'a')); // streamed (over 16 MiB)
    // a writer appending for as long as the save takes (bounded: at most 256 MiB)
    const writer = spawn(process.execPath, [
      '-e',
      `const fs = require('node:fs'); const fd = fs.openSync(${JSON.stringify(log)}, 'a'); const chunk = Buffer.alloc(65536, 'b');
       let left = 4096; console.log('go');
       const tick = () => { for (let i = 0; i < 4 && left > 0; i++, left--) fs.writeSync(fd, chunk); if (left > 0) setTimeout(tick, 1); };
       tick();`,
    ]);
    await new Promise<void>((resolve) => writer.stdout.once('data', () => resolve()));
    try {
      const scanned: number[] = [];
      const out = join(tempDir(), 'x.zip');
      const outcome = await checkpoint(root, {
        output: out,
        compressionLevel: 1,
        onProgress: (p) => {
          if (p.phase === 'scan') scanned.push(p.totalBytes);
        },
      }).then(
        (result) => result,
        (error) => error,
      );
      if (outcome instanceof Error) {
        assert.equal((outcome as Error & { code?: string }).code, 'ERR_UNREADABLE_FILE');
        assert.match(outcome.message, /train\.log changed while saved/);
        assert.equal(existsSync(out), false);
      } else {
        const stored = outcome.manifest.files.find((f) => f.path === 'train.log')!;
        assert.ok(stored.size <= scanned[0]);
      }
    } finally {
      writer.kill('SIGKILL');
    }
  });
});
