// Bad input: each case is a CodesaveError with a stable code and a message that says what to do; nothing
// half-written is left behind and an earlier output survives a failed save.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

  test('an output in a missing directory: ERR_OUTPUT_DIR_MISSING, before anything is read', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x' });
    const out = join(tempDir(), 'no/such/dir/x.zip');
    await rejectsWith(
      checkpoint(root, { output: out }),
      'ERR_OUTPUT_DIR_MISSING',
      /does not exist; create it first \(mkdir -p/,
    );
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
    writeTree(outDir, { 'snap.zip': 'the earlier snapshot' });
    for (const dir of [root, outDir]) chmodSync(dir, 0o777);
    chmodSync(join(outDir, 'snap.zip'), 0o666);
    chmodSync(join(root, 'secret.js'), 0o000);
    const result = checkpointAs(user, root, join(outDir, 'snap.zip'));
    assert.equal(result.code, 'ERR_UNREADABLE_FILE');
    assert.match(result.message!, /secret\.js \(EACCES\); fix its permissions, or exclude it/);
    assert.deepEqual(readdirSync(outDir), ['snap.zip']);
    assert.equal(readFileSync(join(outDir, 'snap.zip'), 'utf8'), 'the earlier snapshot');
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
