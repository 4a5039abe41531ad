// The manifest: schema, parse errors, minimal manifests, environment facts, git facts and the patch, progress.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  type CheckpointProgress,
  checkpoint,
  GIT_PATCH_NAME,
  isCodesaveError,
  MANIFEST_NAME,
  ManifestSchema,
  minimalManifest,
  parseManifest,
} from '@codesave/core';
import { MANIFEST_SHAPE } from '../src/snapshot/manifest.js';
import { writeZip } from '../src/snapshot/zip.js';
import { extract, listTree, read, storedFiles, tempDir, writeTree, zipNames } from './snapshot-helpers.js';

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function git(cwd: string, ...args: string[]) {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

describe('manifest contents', () => {
  test('every file with size and sha256, content hash, roots, node, package manager, dependency versions', async () => {
    const root = writeTree(tempDir(), {
      'package.json': JSON.stringify({
        name: 'demo',
        packageManager: 'pnpm@12.4.2',
        dependencies: { dep: '^1' },
        devDependencies: { devdep: '^2' },
      }),
      'pnpm-lock.yaml': 'lockfileVersion: 9\n',
      'index.js': 'hello',
      'node_modules/dep/package.json': '{"name":"dep","version":"1.2.3"}',
      'node_modules/devdep/package.json': '{"name":"devdep","version":"2.0.1"}',
    });
    const zip = join(tempDir(), 's.zip');
    const result = await checkpoint(root, { output: zip });
    const m = result.manifest;
    assert.deepEqual(parseManifest(JSON.parse(read(join(extract(zip), MANIFEST_NAME)))), m);
    assert.equal(m.formatVersion, 1);
    assert.equal(m.tool.name, 'codesave');
    assert.match(m.tool.version, /^\d+\.\d+\.\d+/);
    assert.equal(m.files.length, 3);
    const index = m.files.find((f) => f.path === 'index.js')!;
    assert.deepEqual(index, { path: 'index.js', size: 5, sha256: sha('hello') });
    const lines = m.files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
    assert.equal(m.contentHash, sha(lines));
    assert.deepEqual(m.node, { version: process.version, platform: process.platform, arch: process.arch });
    assert.deepEqual(m.packageManager, { name: 'pnpm', lockfile: 'pnpm-lock.yaml' });
    assert.deepEqual(m.dependencies, { dep: '1.2.3', devdep: '2.0.1' });
    assert.deepEqual(m.importNames, ['demo']);
    assert.equal(m.git, undefined);
    assert.equal(result.files, 3);
    assert.equal(result.bytes, readFileSync(zip).length);
    assert.equal(result.sha256, sha(readFileSync(zip)));
  });

  test('package manager from the lockfile when packageManager is absent; unknown without either', async () => {
    const npm = writeTree(tempDir(), { 'package.json': '{}', 'package-lock.json': '{}' });
    const yarn = writeTree(tempDir(), { 'package.json': '{}', 'yarn.lock': '' });
    const none = writeTree(tempDir(), { 'a.js': '' });
    const out = tempDir();
    assert.deepEqual((await checkpoint(npm, { output: join(out, 'a.zip') })).manifest.packageManager, {
      name: 'npm',
      lockfile: 'package-lock.json',
    });
    assert.deepEqual((await checkpoint(yarn, { output: join(out, 'b.zip') })).manifest.packageManager, {
      name: 'yarn',
      lockfile: 'yarn.lock',
    });
    assert.deepEqual((await checkpoint(none, { output: join(out, 'c.zip') })).manifest.packageManager, {
      name: 'unknown',
    });
  });

  test('parseManifest accepts text, bytes and objects; rejects wrong shapes and newer formats with ERR_MANIFEST_INVALID', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x' });
    const { manifest } = await checkpoint(root, { output: join(tempDir(), 's.zip') });
    const text = JSON.stringify(manifest);
    assert.deepEqual(parseManifest(text), manifest);
    assert.deepEqual(parseManifest(Buffer.from(text)), manifest);
    assert.deepEqual(parseManifest({ ...manifest, future: 1 }), { ...manifest, future: 1 });
    const bad = [
      '{not json',
      { ...manifest, files: [{ path: 'a.js', size: -1, sha256: 'x' }] },
      { ...manifest, formatVersion: 99 },
      { ...manifest, contentHash: undefined },
      null,
    ];
    for (const value of bad) {
      assert.throws(
        () => parseManifest(value),
        (e: unknown) => isCodesaveError(e) && e.code === 'ERR_MANIFEST_INVALID' && e.message.includes(MANIFEST_NAME),
      );
    }
    assert.throws(
      () => parseManifest({ ...manifest, files: [{ path: 'a.js', size: 1, sha256: 'nothex' }] }),
      /files\.0\.sha256/,
    );
  });

  test("the hand-written manifest check (the hot path) lists the schema's fields and accepts nothing zod rejects", async () => {
    // Zod object shapes, down to the fields each check lists by hand: the same keys at every level.
    const zodShape = (schema: unknown): Record<string, unknown> | undefined => {
      let s = schema as { shape?: Record<string, unknown>; unwrap?: () => unknown; element?: unknown };
      for (let i = 0; i < 4 && !s.shape; i++) s = (s.unwrap?.() ?? s.element ?? s) as typeof s;
      return s.shape;
    };
    const sameKeys = (hand: { fields?: Record<string, unknown> }, schema: unknown, at: string) => {
      const shape = zodShape(schema);
      assert.ok(shape, `${at}: a zod object`);
      assert.deepEqual(Object.keys(hand.fields!).sort(), Object.keys(shape).sort(), `fields of ${at}`);
    };
    sameKeys(MANIFEST_SHAPE, ManifestSchema, 'the manifest');
    // Wrong values at every field of a real manifest: wherever the hand check accepts, zod accepts too.
    const root = writeTree(tempDir(), { 'a.js': 'x', 'b/c.json': '{}' });
    const { manifest } = await checkpoint(root, { output: join(tempDir(), 's.zip') });
    const wrongs: unknown[] = [
      undefined,
      null,
      '',
      'x',
      -1,
      0,
      1.5,
      2 ** 60,
      Number.NaN,
      true,
      [],
      {},
      ['x'],
      { a: 1 },
    ];
    const paths: string[][] = [];
    const walk = (value: unknown, path: string[]) => {
      paths.push(path);
      if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    };
    walk(JSON.parse(JSON.stringify(manifest)), []);
    let checked = 0;
    for (const path of paths)
      for (const wrong of wrongs) {
        const copy = JSON.parse(JSON.stringify(manifest));
        if (path.length === 0) continue;
        let at = copy;
        for (const k of path.slice(0, -1)) at = at[k];
        at[path[path.length - 1]!] = wrong;
        if (MANIFEST_SHAPE(copy)) {
          assert.ok(
            ManifestSchema.safeParse(copy).success,
            `hand check accepts what zod rejects at ${path.join('.')}: ${String(wrong)}`,
          );
        }
        checked++;
      }
    assert.ok(checked > 200);
    assert.ok(MANIFEST_SHAPE(manifest), 'a manifest checkpoint wrote passes the hand check');
  });

  test('minimalManifest lists the paths of a foreign zip and validates', () => {
    const m = minimalManifest(['b/x.js', 'a.js', 'codesave.json', 'a.js', 'README.md']);
    assert.deepEqual(
      m.files.map((f) => f.path),
      ['README.md', 'a.js', 'b/x.js'],
    );
    assert.equal(m.tool.name, 'unknown');
    assert.deepEqual(m.importNames, ['a', 'b']);
    assert.deepEqual(ManifestSchema.parse(m), m);
  });
});

describe('git facts', () => {
  test('a clean work tree: commit and branch, not dirty, no patch', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'one\n', '.gitignore': 'secret\n', secret: 'x' });
    git(root, 'init', '-q', '-b', 'trunk');
    git(root, 'add', '.');
    git(root, 'commit', '-q', '-m', 'first');
    const zip = join(tempDir(), 's.zip');
    const { manifest } = await checkpoint(root, { output: zip });
    assert.deepEqual(manifest.git, { commit: git(root, 'rev-parse', 'HEAD'), branch: 'trunk', dirty: false });
    assert.deepEqual(storedFiles(zip), ['.gitignore', 'a.js']);
  });

  test('a dirty work tree: the diff of tracked files is stored as .codesave/git.patch and applies in reverse', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'one\n', 'sub/b.js': 'two\n', 'gone.js': 'bye\n' });
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '.');
    git(root, 'commit', '-q', '-m', 'first');
    writeFileSync(join(root, 'a.js'), 'one changed\n');
    execFileSync('rm', [join(root, 'gone.js')]);
    writeFileSync(join(root, 'untracked.js'), 'new\n');
    const zip = join(tempDir(), 's.zip');
    const { manifest } = await checkpoint(root, { output: zip });
    assert.equal(manifest.git?.dirty, true);
    assert.equal(manifest.git?.patch, GIT_PATCH_NAME);
    const dir = extract(zip);
    assert.deepEqual(listTree(dir), ['.codesave/git.patch', 'a.js', 'codesave.json', 'sub/b.js', 'untracked.js']);
    const patch = read(join(dir, GIT_PATCH_NAME));
    assert.match(patch, /^diff --git a\/a\.js b\/a\.js/m);
    assert.match(patch, /^-one$/m);
    assert.match(patch, /^\+one changed$/m);
    assert.match(patch, /deleted file mode/);
    assert.ok(!patch.includes('untracked.js'), 'untracked files are in the snapshot, not in the diff');
    const entry = manifest.files.find((f) => f.path === GIT_PATCH_NAME)!;
    assert.equal(entry.sha256, sha(readFileSync(join(dir, GIT_PATCH_NAME))));
    // Applying the patch in reverse to the snapshot gives back the commit.
    git(dir, 'init', '-q');
    git(dir, 'apply', '-R', GIT_PATCH_NAME);
    assert.equal(read(join(dir, 'a.js')), 'one\n');
    assert.equal(read(join(dir, 'gone.js')), 'bye\n');
  });

  test('a subdirectory of a repository: diff paths relative to it; detached HEAD has branch null', async () => {
    const repo = writeTree(tempDir(), { 'top.js': 'x\n', 'app/a.js': '1\n', 'other/o.js': 'o\n' });
    git(repo, 'init', '-q');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'c');
    git(repo, 'checkout', '-q', '--detach');
    writeFileSync(join(repo, 'app/a.js'), '2\n');
    writeFileSync(join(repo, 'other/o.js'), 'changed outside the saved directory\n');
    const zip = join(tempDir(), 's.zip');
    const { manifest } = await checkpoint(join(repo, 'app'), { output: zip });
    assert.equal(manifest.git?.branch, null);
    assert.equal(manifest.git?.dirty, true);
    const patch = read(join(extract(zip), GIT_PATCH_NAME));
    assert.match(patch, /^diff --git a\/a\.js b\/a\.js/m);
    assert.ok(!patch.includes('o.js'));
    // Clean below app/ even though the repository is dirty elsewhere.
    writeFileSync(join(repo, 'app/a.js'), '1\n');
    const clean = await checkpoint(join(repo, 'app'), { output: join(tempDir(), 't.zip') });
    assert.equal(clean.manifest.git?.dirty, false);
  });

  test('a saved repository cannot make codesave run its commands (core.fsmonitor, textconv, clean filters)', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'a\n' });
    git(root, 'init', '-q');
    git(root, 'add', '.');
    git(root, 'commit', '-q', '-m', 'c');
    const marks = tempDir();
    const touch = (name: string) => `touch ${join(marks, name)}`;
    git(root, 'config', 'core.fsmonitor', `${touch('fsmonitor')}; false`);
    git(root, 'config', 'diff.evil.textconv', `sh -c '${touch('textconv')}; cat "$0"'`);
    git(root, 'config', 'filter.evil.clean', `sh -c '${touch('clean')}; cat'`);
    git(root, 'config', 'filter.evil.process', touch('process'));
    writeFileSync(join(root, '.gitattributes'), '*.js diff=evil filter=evil\n');
    writeFileSync(join(root, 'a.js'), 'a\nb\n');
    const zip = join(tempDir(), 's.zip');
    const { manifest } = await checkpoint(root, { output: zip });
    assert.equal(manifest.git?.dirty, true);
    assert.match(read(join(extract(zip), GIT_PATCH_NAME)), /^\+b$/m);
    assert.deepEqual(readdirSync(marks), [], 'no command of the repository ran');
  });

  test('a repository with no commit yet has no git facts', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x' });
    git(root, 'init', '-q');
    const { manifest } = await checkpoint(root, { output: join(tempDir(), 's.zip') });
    assert.equal(manifest.git, undefined);
  });
});

describe('progress and streaming', () => {
  test('onProgress: one scan event, one write event per file in order, then done', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'aa', 'b/c.js': 'ccc', 'd.txt': 'd' });
    const events: CheckpointProgress[] = [];
    await checkpoint(root, { output: join(tempDir(), 's.zip'), onProgress: (p) => events.push({ ...p }) });
    assert.deepEqual(events, [
      { phase: 'scan', files: 3, totalFiles: 3, bytes: 0, totalBytes: 6 },
      { phase: 'write', files: 1, totalFiles: 3, bytes: 2, totalBytes: 6, path: 'a.js' },
      { phase: 'write', files: 2, totalFiles: 3, bytes: 5, totalBytes: 6, path: 'b/c.js' },
      { phase: 'write', files: 3, totalFiles: 3, bytes: 6, totalBytes: 6, path: 'd.txt' },
      { phase: 'done', files: 3, totalFiles: 3, bytes: 6, totalBytes: 6 },
    ]);
  });

  test('streamed (large) files and a tiny read-ahead window give the same, valid zip', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 40; i++) files[`f${String(i).padStart(2, '0')}.bin`] = Buffer.alloc(3000 + i * 500, i);
    const root = writeTree(tempDir(), files);
    const items = Object.entries(files).map(([name, data]) => ({
      zipPath: name,
      absPath: join(root, name),
      size: data.length,
      executable: false,
    }));
    const last = () => ({ zipPath: 'end.txt', buffer: Buffer.from('end'), size: 3, executable: false });
    const out = tempDir();
    const mtime = new Date(Date.UTC(2020, 0, 1));
    const whole = await writeZip(join(out, 'a.zip'), items, last, { mtime });
    const streamed = await writeZip(join(out, 'b.zip'), items, last, { mtime, streamAbove: 5000, windowBytes: 8000 });
    assert.deepEqual(
      streamed.written.map((w) => w.sha256),
      Object.values(files).map((d) => sha(d)),
    );
    assert.deepEqual(
      whole.written.map((w) => [w.size, w.sha256]),
      streamed.written.map((w) => [w.size, w.sha256]),
    );
    execFileSync('unzip', ['-tq', join(out, 'b.zip')]);
    assert.equal(zipNames(join(out, 'b.zip')).length, 41);
    const dir = extract(join(out, 'b.zip'));
    for (const [name, data] of Object.entries(files)) assert.ok(readFileSync(join(dir, name)).equals(data), name);
  });
});

describe('read back by the archive stage', () => {
  test('openArchive + verifyArchive accept a snapshot with links, an executable and a git patch', async () => {
    const { openArchive, verifyArchive } = await import('@codesave/core');
    const root = writeTree(tempDir(), { 'a.js': 'one\n', 'lib/b.js': 'two\n', 'alias.js': { link: 'lib/b.js' } });
    git(root, 'init', '-q');
    git(root, 'add', '.');
    git(root, 'commit', '-q', '-m', 'c');
    writeFileSync(join(root, 'a.js'), 'changed\n');
    const zip = join(tempDir(), 's.zip');
    const { manifest } = await checkpoint(root, { output: zip });
    const archive = await openArchive(zip);
    try {
      const stored = parseManifest(archive.read(MANIFEST_NAME));
      assert.deepEqual(stored, manifest);
      assert.equal(archive.entries.get('alias.js')?.type, 'symlink');
      assert.equal(archive.entries.get('alias.js')?.linkTarget, 'lib/b.js');
      assert.equal(archive.read('lib/b.js').toString(), 'two\n');
      assert.ok(archive.entries.has(GIT_PATCH_NAME));
      verifyArchive(archive, stored);
      const tampered = {
        ...stored,
        files: stored.files.map((f) => (f.path === 'a.js' ? { ...f, sha256: sha('x') } : f)),
      };
      assert.throws(() => verifyArchive(archive, tampered), { code: 'ERR_ZIP_HASH_MISMATCH' });
    } finally {
      archive.close();
    }
  });
});

describe('zip format', () => {
  test('forced zip64 records (every entry and the end of the directory) read back with unzip and the archive stage', async () => {
    const { openArchive } = await import('@codesave/core');
    const root = writeTree(tempDir(), {
      'a.txt': 'hello '.repeat(1000),
      'b.bin': Buffer.alloc(20_000, 7),
      'c.txt': '',
    });
    const items = ['a.txt', 'b.bin', 'c.txt'].map((name) => ({
      zipPath: name,
      absPath: join(root, name),
      size: readFileSync(join(root, name)).length,
      executable: false,
    }));
    const last = () => ({ zipPath: 'end.txt', buffer: Buffer.from('end'), size: 3, executable: false });
    const out = tempDir();
    const mtime = new Date(Date.UTC(2024, 1, 29, 12, 30, 44));
    for (const [name, streamAbove] of [
      ['buffered.zip', undefined],
      ['streamed.zip', 100],
    ] as const) {
      const zip = join(out, name);
      await writeZip(zip, items, last, { mtime, forceZip64: true, streamAbove });
      execFileSync('unzip', ['-tq', zip]);
      const verbose = execFileSync('zipinfo', ['-v', zip], { encoding: 'utf8' });
      assert.match(verbose, /minimum software version required to extract: +4\.5/, name);
      const bytes = readFileSync(zip);
      assert.ok(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), 'zip64 end of central directory record');
      assert.ok(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x07])), 'zip64 end of central directory locator');
      const dir = extract(zip);
      for (const item of items) assert.ok(readFileSync(join(dir, item.zipPath)).equals(readFileSync(item.absPath)));
      const archive = await openArchive(zip);
      try {
        assert.equal(archive.read('a.txt').toString(), 'hello '.repeat(1000));
        assert.equal(archive.entries.get('b.bin')?.size, 20_000);
      } finally {
        archive.close();
      }
      assert.match(execFileSync('zipinfo', ['-T', zip], { encoding: 'utf8' }), /20240229\.123044 a\.txt/);
    }
  });

  test('more than 65,535 entries switch to zip64 end records on their own', async () => {
    const { openArchive } = await import('@codesave/core');
    const count = 66_000;
    const items = Array.from({ length: count }, (_, i) => {
      const buffer = Buffer.from(String(i));
      return { zipPath: `d${Math.floor(i / 1000)}/f${i}.txt`, buffer, size: buffer.length, executable: false };
    });
    const last = () => ({ zipPath: 'end.txt', buffer: Buffer.from('end'), size: 3, executable: false });
    const zip = join(tempDir(), 'many.zip');
    await writeZip(zip, items, last, { mtime: new Date(0), compressionLevel: 0 });
    const bytes = readFileSync(zip);
    assert.ok(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), 'zip64 end of central directory record');
    // The classic end record says "see zip64" (0xffff entries).
    assert.equal(bytes.readUInt16LE(bytes.length - 22 + 10), 0xffff);
    execFileSync('unzip', ['-tq', zip]);
    const archive = await openArchive(zip);
    try {
      assert.equal(archive.entries.size, count + 1);
      assert.equal(archive.read('d65/f65999.txt').toString(), '65999');
    } finally {
      archive.close();
    }
  });

  test('incompressible and empty files are stored, the rest deflated as zlib one-shot deflate does', async () => {
    const { deflateRawSync, inflateRawSync } = await import('node:zlib');
    const random = (await import('node:crypto')).randomBytes(5000);
    const text = Buffer.from('the same words again and again '.repeat(500));
    const root = writeTree(tempDir(), { 'random.bin': random, 'text.txt': text, 'empty.txt': '' });
    const zip = join(tempDir(), 's.zip');
    await checkpoint(root, { output: zip });
    const methods = Object.fromEntries(
      execFileSync('zipinfo', [zip], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => /^-/.test(l))
        .map((l) => {
          const parts = l.trim().split(/\s+/);
          return [parts.at(-1), parts[5]];
        }),
    );
    assert.deepEqual(methods, {
      'empty.txt': 'stor',
      'random.bin': 'stor',
      'text.txt': 'defN',
      'codesave.json': 'defN',
    });
    // The deflated bytes in the zip are exactly zlib's one-shot raw deflate at level 6 (memLevel 9).
    const bytes = readFileSync(zip);
    const expected = deflateRawSync(text, { level: 6, memLevel: 9 });
    assert.ok(bytes.includes(expected));
    assert.ok(inflateRawSync(expected).equals(text));
  });
});
