// Bad input: each case is a CodesaveError with a stable code and a message that says what to do; nothing
// half-written is left behind and an earlier output survives a failed save.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type CodesaveErrorCode, checkpoint, isCodesaveError } from '@codesave/core';
import { tempDir, writeTree } from './snapshot-helpers.js';

const corePackage = fileURLToPath(new URL('..', import.meta.url));

async function rejectsWith(promise: Promise<unknown>, code: CodesaveErrorCode, advice: RegExp) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(isCodesaveError(e), `expected a CodesaveError, got ${e}`);
    assert.equal(e.code, code);
    assert.match(e.message, advice);
    return true;
  });
}

describe('bad input', () => {
  test('a missing directory: ERR_DIR_NOT_FOUND', async () => {
    const missing = join(tempDir(), 'nope');
    await rejectsWith(
      checkpoint(missing, { output: join(tempDir(), 'x.zip') }),
      'ERR_DIR_NOT_FOUND',
      /nope does not exist; check the path/,
    );
  });

  test('a file instead of a directory: ERR_NOT_A_DIRECTORY', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x' });
    await rejectsWith(
      checkpoint(join(root, 'a.js'), { output: join(tempDir(), 'x.zip') }),
      'ERR_NOT_A_DIRECTORY',
      /is a file, not a directory; pass the directory/,
    );
  });

  test('an output in a missing directory: the directories are made; a failure removes them again', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x' });
    const base = tempDir();
    const out = join(base, 'runs/a/codebase.zip');
    const result = await checkpoint(root, { output: out });
    assert.equal(result.path, out);
    assert.ok(statSync(out).isFile());
    // the write fails (here: the progress callback throws): nothing is left of the directories made for it
    const failing = checkpoint(root, {
      output: join(base, 'runs/b/c/x.zip'),
      onProgress: (p) => {
        if (p.phase === 'write') throw new Error('stop');
      },
    });
    await assert.rejects(failing, /stop/);
    assert.deepEqual(readdirSync(join(base, 'runs')), ['a']);
  });

  test('an output that is a directory: ERR_BAD_OPTION', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x' });
    await rejectsWith(checkpoint(root, { output: tempDir() }), 'ERR_BAD_OPTION', /is a directory; pass a file name/);
  });

  test('a broken symbolic link: ERR_BROKEN_SYMLINK', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x', 'lib/old.js': { link: '../gone/old.js' } });
    await rejectsWith(
      checkpoint(root, { output: join(tempDir(), 'x.zip') }),
      'ERR_BROKEN_SYMLINK',
      /lib\/old\.js is a symbolic link to "\.\.\/gone\/old\.js", which does not exist/,
    );
  });

  test('missing extra libraries and files, an extra "file" that is a directory, no directory at all', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x' });
    const out = join(tempDir(), 'x.zip');
    await rejectsWith(
      checkpoint(root, { output: out, extraLibraries: [join(root, 'nolib')] }),
      'ERR_DIR_NOT_FOUND',
      /extra library .*nolib does not exist/,
    );
    await rejectsWith(checkpoint([root, join(root, 'nolib')], { output: out }), 'ERR_DIR_NOT_FOUND', /nolib/);
    await rejectsWith(
      checkpoint(root, { output: out, extraFiles: [join(root, 'no.txt')] }),
      'ERR_DIR_NOT_FOUND',
      /extra file/,
    );
    await rejectsWith(
      checkpoint(root, { output: out, extraFiles: [root] }),
      'ERR_BAD_OPTION',
      /pass it in extraLibraries/,
    );
    await rejectsWith(checkpoint([], { output: out }), 'ERR_BAD_OPTION', /pass its path/);
    assert.ok(!existsSync(out));
  });
});

// Permissions do not stop root, so the unreadable cases run checkpoint in a child process as `nobody`.
const asRoot = process.getuid?.() === 0;
// The Node binary may live where that user cannot run it (npx's cache under /root): then run a copy.
let runnable: string | undefined;
function nodeFor(uid: number): string {
  if (!asRoot) return process.execPath;
  if (runnable) return runnable;
  try {
    execFileSync(process.execPath, ['-e', '0'], { uid, gid: uid, cwd: '/' });
    runnable = process.execPath;
  } catch {
    const dir = tempDir('codesave-node-');
    chmodSync(dir, 0o755);
    runnable = join(dir, 'node');
    copyFileSync(process.execPath, runnable);
    chmodSync(runnable, 0o755);
  }
  return runnable;
}

function checkpointAs(uid: number, root: string, output: string): { code?: string; message?: string; ok?: boolean } {
  const code = `import { checkpoint } from '@codesave/core';
    try { await checkpoint(${JSON.stringify(root)}, { output: ${JSON.stringify(output)} }); console.log(JSON.stringify({ ok: true })); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
  const stdout = execFileSync(
    nodeFor(uid),
    ['--conditions=codesave-source', '--import', 'tsx', '--input-type=module', '-e', code],
    { cwd: corePackage, encoding: 'utf8', ...(asRoot ? { uid, gid: uid } : {}), env: { ...process.env, HOME: root } },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe('unreadable input', () => {
  const user = asRoot ? 65534 : (process.getuid?.() ?? 0);

  test('an unreadable file: ERR_UNREADABLE_FILE, no temp file left, the earlier output intact', async () => {
    const base = tempDir();
    chmodSync(base, 0o777);
    const root = writeTree(join(base, 'proj'), { 'a.js': 'x', 'secret.js': 'y', 'z.js': 'z' });
    const outDir = join(base, 'out');
    writeTree(outDir, { 'snap.zip': 'PK\x03\x04 the earlier snapshot' });
    for (const dir of [root, outDir]) chmodSync(dir, 0o777);
    chmodSync(join(outDir, 'snap.zip'), 0o666);
    chmodSync(join(root, 'secret.js'), 0o000);
    const result = checkpointAs(user, root, join(outDir, 'snap.zip'));
    assert.equal(result.code, 'ERR_UNREADABLE_FILE');
    assert.match(result.message!, /secret\.js \(EACCES\); fix its permissions, or exclude it/);
    assert.deepEqual(readdirSync(outDir), ['snap.zip']);
    assert.equal(readFileSync(join(outDir, 'snap.zip'), 'utf8'), 'PK\x03\x04 the earlier snapshot');
  });

  test('an unreadable directory: ERR_UNREADABLE_FILE; ignoring it makes the save work', async () => {
    const base = tempDir();
    chmodSync(base, 0o777);
    const root = writeTree(join(base, 'proj'), { 'a.js': 'x', 'private/b.js': 'y' });
    chmodSync(root, 0o777);
    chmodSync(join(root, 'private'), 0o000);
    const result = checkpointAs(user, root, join(base, 'x.zip'));
    assert.equal(result.code, 'ERR_UNREADABLE_FILE');
    assert.match(result.message!, /private \(EACCES\)/);
    writeFileSync(join(root, '.gitignore'), 'private/\n');
    chmodSync(join(root, '.gitignore'), 0o644);
    assert.deepEqual(checkpointAs(user, root, join(base, 'x.zip')), { ok: true });
  });
});

describe('unwritable output', () => {
  test('an output whose "directory" is a file: ERR_OUTPUT_DIR_MISSING', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x', 'file.txt': 'x' });
    await rejectsWith(
      checkpoint(root, { output: join(root, 'file.txt', 'x.zip') }),
      'ERR_OUTPUT_DIR_MISSING',
      /file\.txt is a file, not a directory/,
    );
  });

  test('a read-only output directory: ERR_OUTPUT_UNWRITABLE', async () => {
    const base = tempDir();
    chmodSync(base, 0o777);
    const root = writeTree(join(base, 'proj'), { 'a.js': 'x' });
    const outDir = join(base, 'ro');
    writeTree(outDir, { keep: '' });
    chmodSync(root, 0o755);
    chmodSync(outDir, 0o555);
    const user = asRoot ? 65534 : (process.getuid?.() ?? 0);
    const result = checkpointAs(user, root, join(outDir, 's.zip'));
    assert.equal(result.code, 'ERR_OUTPUT_UNWRITABLE');
    assert.match(result.message!, /EACCES.*check that the directory is writable/);
  });
});

describe('hostile trees and options', () => {
  test('names a zip cannot hold (backslash, newline, drive letter, not UTF-8) are skipped and reported, so the zip opens', async () => {
    const { ZipCodebase } = await import('@codesave/core');
    const root = writeTree(tempDir(), { 'ok.js': 'ok', 'a\\b.js': '1', 'new\nline.js': '2', 'C:x.js': '3' });
    writeFileSync(Buffer.concat([Buffer.from(`${root}/bad`), Buffer.from([0xff]), Buffer.from('.js')]), '4');
    execFileSync('mkdir', ['-p', join(root, 'dir\\x')]);
    writeFileSync(join(root, 'dir\\x', 'inner.js'), '5');
    const out = join(tempDir(), 'names.zip');
    const result = await checkpoint(root, { output: out });
    assert.deepEqual(
      result.manifest.files.map((f) => f.path),
      ['ok.js'],
    );
    const skipped = result.skipped.files.filter((s) => s.reason === 'unsafe-name').map((s) => s.path);
    assert.deepEqual(skipped.sort(), ['C:x.js', 'a\\b.js', 'bad\uFFFD.js', 'dir\\x/', 'new\nline.js']);
    assert.equal(result.skipped.files.find((s) => s.path === 'C:x.js')?.size, 1);
    const codebase = await ZipCodebase.open(out);
    await codebase.dispose();
  });

  test('a FIFO given as an extra library is refused (reading it would block forever); one in the tree is skipped', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x' });
    const fifo = join(tempDir(), 'pipe');
    execFileSync('mkfifo', [fifo, join(root, 'in-tree.fifo')]);
    await rejectsWith(
      checkpoint(root, { output: join(tempDir(), 'x.zip'), extraLibraries: [fifo] }),
      'ERR_BAD_OPTION',
      /not a directory or a regular file/,
    );
    await rejectsWith(
      checkpoint(root, { output: join(tempDir(), 'x.zip'), extraFiles: [fifo] }),
      'ERR_BAD_OPTION',
      /is not a file/,
    );
    const result = await checkpoint(root, { output: join(tempDir(), 'x.zip') });
    assert.deepEqual(result.skipped.files, [{ path: 'in-tree.fifo', size: 0, reason: 'special-file' }]);
  });

  test('a file that becomes a FIFO, a symlink, or disappears between the walk and the write: ERR_UNREADABLE_FILE, no hang', async () => {
    const outside = writeTree(tempDir(), { 'secret.txt': 'not yours' });
    for (const swap of ['fifo', 'symlink', 'gone'] as const) {
      const root = writeTree(tempDir(), { 'a.js': 'x', 'b.js': 'y' });
      const out = join(tempDir(), 'x.zip');
      const done = checkpoint(root, {
        output: out,
        onProgress: (p) => {
          if (p.phase !== 'scan') return;
          const b = join(root, 'b.js');
          execFileSync('rm', [b]);
          if (swap === 'fifo') execFileSync('mkfifo', [b]);
          if (swap === 'symlink') execFileSync('ln', ['-s', join(outside, 'secret.txt'), b]);
        },
      });
      await rejectsWith(
        done,
        'ERR_UNREADABLE_FILE',
        swap === 'gone' ? /disappeared while it was being saved/ : /changed while it was being saved/,
      );
      assert.equal(existsSync(out), false);
    }
  });

  test('output onto a device, a FIFO or a file that is not a zip is refused; an earlier zip is replaced', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x', 'src/index.js': 'precious' });
    const dir = tempDir();
    execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3']);
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    for (const name of ['null', 'fifo']) {
      await rejectsWith(checkpoint(root, { output: join(dir, name) }), 'ERR_BAD_OPTION', /not a regular file/);
    }
    await rejectsWith(
      checkpoint(root, { output: join(root, 'src/index.js') }),
      'ERR_BAD_OPTION',
      /is not a zip; codesave replaces only zip files/,
    );
    assert.equal(readFileSync(join(root, 'src/index.js'), 'utf8'), 'precious');
    const out = join(dir, 'again.zip');
    await checkpoint(root, { output: out });
    await checkpoint(root, { output: out }); // an earlier output is a zip: replaced
    writeFileSync(join(dir, 'empty.zip'), '');
    await checkpoint(root, { output: join(dir, 'empty.zip') }); // an empty file holds nothing to lose
    // a long output name: the temporary file's name stays short enough to create
    await checkpoint(root, { output: join(dir, `${'n'.repeat(250)}.zip`) });
  });

  test('the same directory twice, or an extra library or file named like a project entry: ERR_BAD_OPTION', async () => {
    const root = writeTree(tempDir(), { 'lib/a.js': 'x', 'tool.js': 'y' });
    const other = writeTree(tempDir(), { 'lib/b.js': 'z', 'tool.js/c.js': 'w', node_modules: 'f' });
    const out = join(tempDir(), 'x.zip');
    await rejectsWith(checkpoint([root, root], { output: out }), 'ERR_BAD_OPTION', /is given twice/);
    await rejectsWith(checkpoint(root, { output: out, extraLibraries: [`${root}/.`] }), 'ERR_BAD_OPTION', /twice/);
    await rejectsWith(
      checkpoint(root, { output: out, extraLibraries: [join(other, 'lib')] }),
      'ERR_BAD_OPTION',
      /stored at the zip root as "lib", which is already taken/,
    );
    await rejectsWith(
      checkpoint(root, { output: out, extraLibraries: [join(other, 'tool.js')] }),
      'ERR_BAD_OPTION',
      /"tool.js", which is already taken/,
    );
    await rejectsWith(
      checkpoint(root, { output: out, extraFiles: [join(root, 'lib/a.js')], extraLibraries: [join(other, 'lib')] }),
      'ERR_BAD_OPTION',
      /already taken/,
    );
  });

  test('ignoreLargerThan: whitespace and lower-case units accepted; negative, exponent, NaN, Infinity, overflow refused', async () => {
    const { parseSize } = await import('@codesave/core');
    assert.equal(parseSize(' 10K'), 10240);
    assert.equal(parseSize('10k'), 10240);
    assert.equal(parseSize('1.5M'), 1572864);
    assert.equal(parseSize('10  K'), 10240);
    // a long run of spaces once made the pattern backtrack quadratically (200,000 of them: minutes)
    assert.throws(
      () => parseSize(`1${' '.repeat(200_000)}x`),
      (e: unknown) => isCodesaveError(e) && e.code === 'ERR_BAD_SIZE',
    );
    for (const bad of [
      '-1',
      '1e3',
      'NaN',
      'Infinity',
      `1${'0'.repeat(400)}`,
      '9999999999T',
      Number.NaN,
      Number.POSITIVE_INFINITY,
      -1,
    ]) {
      assert.throws(
        () => parseSize(bad),
        (e: unknown) => isCodesaveError(e) && e.code === 'ERR_BAD_SIZE',
        String(bad),
      );
    }
    const root = writeTree(tempDir(), { 'a.js': 'x' });
    await rejectsWith(
      checkpoint(root, { output: join(tempDir(), 'x.zip'), ignoreLargerThan: `1${'0'.repeat(400)}` }),
      'ERR_BAD_SIZE',
      /use a byte count/,
    );
  });
  test('a tree deeper than PATH_MAX is saved up to where a path can go, the rest reported (not an unreadable-file error)', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x' });
    const cwd = process.cwd();
    process.chdir(root); // one level at a time, relative: an absolute path that long is ENAMETOOLONG
    try {
      for (let i = 0; i < 2100; i++) {
        mkdirSync('d');
        process.chdir('d');
      }
    } finally {
      process.chdir(cwd);
    }
    const result = await checkpoint(root, { output: join(tempDir(), 'deep.zip') });
    assert.deepEqual(
      result.manifest.files.map((f) => f.path),
      ['a.js'],
    );
    assert.equal(result.skipped.files.length, 1);
    assert.equal(result.skipped.files[0].reason, 'unsafe-name');
    assert.match(result.skipped.files[0].path, /^(d\/)+$/);
    // remove it level by level (a recursive rmSync overflows the stack this deep)
    process.chdir(root);
    try {
      for (let i = 0; i < 2100; i++) process.chdir('d');
      for (let i = 0; i < 2100; i++) {
        process.chdir('..');
        rmdirSync('d');
      }
    } finally {
      process.chdir(cwd);
    }
  });

  test('a symlink loop is ERR_BROKEN_SYMLINK saying it is a loop', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x', a: { link: 'b' }, b: { link: 'a' } });
    await rejectsWith(
      checkpoint(root, { output: join(tempDir(), 'x.zip') }),
      'ERR_BROKEN_SYMLINK',
      /loop of symbolic links/,
    );
  });
});

test('options of the wrong type or range are ERR_BAD_OPTION (a string where a list goes is not split into characters)', async () => {
  const root = writeTree(tempDir(), { 'a.js': 'x' });
  const output = join(tempDir(), 'x.zip');
  const cases: [string, Record<string, unknown>][] = [
    ['extraLibraries', { extraLibraries: '../lib' }],
    ['extraFiles', { extraFiles: 'notes.md' }],
    ['ignore', { ignore: '*.log' }],
    ['ignore', { ignore: [1, null] }],
    ['output', { output: 5 }],
    ['onlyCode', { onlyCode: 'no' }],
    ['compressionLevel', { compressionLevel: 11 }],
    ['compressionLevel', { compressionLevel: Number.NaN }],
    ['compressionLevel', { compressionLevel: '6' }],
    ['onProgress', { onProgress: 'log' }],
    ['SOURCE_DATE_EPOCH', { sourceDateEpoch: 1e20 }],
  ];
  for (const [name, options] of cases) {
    await rejectsWith(checkpoint(root, { output, ...options } as never), 'ERR_BAD_OPTION', new RegExp(name));
  }
});

test('a .gitignore or package.json that is a FIFO or a link to /dev/zero is not read (no hang), and not a rule source', async () => {
  const fifoIgnore = writeTree(tempDir(), { 'x.js': 'x', 'sub/y.js': 'y' });
  execFileSync('mkfifo', [join(fifoIgnore, '.gitignore'), join(fifoIgnore, 'package.json')]);
  const a = await checkpoint(fifoIgnore, { output: join(tempDir(), 'a.zip') });
  assert.deepEqual(
    a.manifest.files.map((f) => f.path),
    ['sub/y.js', 'x.js'],
  );
  assert.deepEqual(
    a.skipped.files.map((s) => `${s.path} ${s.reason}`),
    ['.gitignore special-file', 'package.json special-file'],
  );
  const zero = writeTree(tempDir(), { 'x.js': 'x', 'sub/.gitignore': { link: '/dev/zero' }, 'sub/y.js': 'y' });
  const b = await checkpoint(zero, { output: join(tempDir(), 'b.zip') });
  assert.deepEqual(
    b.manifest.files.map((f) => f.path),
    ['sub/y.js', 'x.js'],
  );
  // a symlinked .gitignore inside the tree is stored as a link but, as git does, not read for rules
  const linked = writeTree(tempDir(), { 'rules.txt': 'x.js\n', '.gitignore': { link: 'rules.txt' }, 'x.js': 'x' });
  const c = await checkpoint(linked, { output: join(tempDir(), 'c.zip') });
  assert.deepEqual(
    c.manifest.files.map((f) => f.path),
    ['.gitignore', 'rules.txt', 'x.js'],
  );
});

test('an extra file given as a symlink is stored with the content it points to, under the link name', async () => {
  const outside = writeTree(tempDir(), { 'notes.md': 'notes', 'link.md': { link: 'notes.md' } });
  const root = writeTree(tempDir(), { 'a.js': 'x' });
  const result = await checkpoint(root, { output: join(tempDir(), 'x.zip'), extraFiles: [join(outside, 'link.md')] });
  assert.deepEqual(
    result.manifest.files.map((f) => [f.path, f.size]),
    [
      ['a.js', 1],
      ['link.md', 5],
    ],
  );
});

test('a NUL byte in a path is refused as such (not "check its permissions")', async () => {
  const { openArchive } = await import('@codesave/core');
  const root = writeTree(tempDir(), { 'a.js': 'x' });
  await rejectsWith(checkpoint(`${root}\0x`), 'ERR_DIR_NOT_FOUND', /NUL byte/);
  await rejectsWith(checkpoint(root, { output: join(tempDir(), 'a\0.zip') }), 'ERR_BAD_OPTION', /NUL bytes/);
  await rejectsWith(checkpoint(root, { extraLibraries: ['/tmp\0'] }), 'ERR_BAD_OPTION', /extraLibraries.*NUL bytes/);
  await rejectsWith(openArchive('/tmp/a\0.zip'), 'ERR_ZIP_NOT_FOUND', /NUL byte/);
});

test('a file that grows or shrinks between the walk and the write: the zip holds what was read (up to the scanned size), and verifies', async () => {
  const { ZipCodebase } = await import('@codesave/core');
  const root = writeTree(tempDir(), { 'grow.js': 'x', 'shrink.js': 'y'.repeat(100_000), 'same.js': 'z' });
  const out = join(tempDir(), 'x.zip');
  const result = await checkpoint(root, {
    output: out,
    onProgress: (p) => {
      if (p.phase !== 'scan') return;
      writeFileSync(join(root, 'grow.js'), 'g'.repeat(300_000));
      writeFileSync(join(root, 'shrink.js'), '');
    },
  });
  const sizes = Object.fromEntries(result.manifest.files.map((f) => [f.path, f.size]));
  // grow.js: its first byte, the size the walk saw (a file that keeps growing cannot keep a save from ending)
  assert.deepEqual(sizes, { 'grow.js': 1, 'same.js': 1, 'shrink.js': 0 });
  const codebase = await ZipCodebase.open(out); // verify: on
  assert.equal(codebase.fs.readFileSync(join(codebase.root, 'grow.js'), 'utf8'), 'g');
  await codebase.dispose();
});

test('a folder named codesave.json, or a .codesave file in a dirty git tree, is reserved: skipped, and the zip opens', async () => {
  const { ZipCodebase } = await import('@codesave/core');
  const root = writeTree(tempDir(), { 'a.js': 'x', 'codesave.json/inner.js': 'y', '.codesave': 'mine' });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: root });
  git('init', '-q');
  git('add', 'a.js');
  git('commit', '-q', '-m', 'c');
  writeFileSync(join(root, 'a.js'), 'changed');
  const out = join(tempDir(), 'x.zip');
  const result = await checkpoint(root, { output: out });
  assert.equal(result.manifest.git?.dirty, true);
  assert.deepEqual(
    result.skipped.files.map((s) => `${s.path} ${s.reason}`),
    ['.codesave reserved-name', 'codesave.json/inner.js reserved-name'],
  );
  const codebase = await ZipCodebase.open(out);
  await codebase.dispose();
});
