// `codesave push` and `codesave pull`, run as a user runs them (child processes, their own HOME and env),
// against the stand-in in this process.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { removeDir, runNode, tempDir, writeTree } from './wandb/helpers.js';
import { type StandIn, startStandIn } from './wandb/stand-in.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'packages/cli/src/bin.ts');
let standIn: StandIn;
let work: string;

before(async () => {
  standIn = await startStandIn();
  work = await tempDir();
  await writeTree(join(work, 'project'), {
    'package.json': '{"name":"cli-model","main":"index.js"}',
    'index.js': 'exports.v = 3;\n',
    'big.bin': 'x'.repeat(300_000),
  });
});
after(async () => {
  await standIn.close();
  await removeDir(work);
});

/** Runs the CLI without blocking this process (the stand-in answers from here). */
function codesave(args: string[], env: Record<string, string> = {}, cwd = work) {
  return runNode(standIn, work, [bin, ...args], { env, cwd });
}

describe('codesave push / pull', () => {
  test('push a directory into a run, then pull it elsewhere', async () => {
    const pushed = await codesave([
      'push',
      'project',
      '--run',
      'stand-in-user/cli/r1',
      '--ignore',
      'big.bin',
      '--json',
    ]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const result = JSON.parse(pushed.stdout);
    assert.equal(result.run.id, 'r1');
    assert.equal(result.checkpoint.files, 2);
    const pulled = await codesave(['pull', 'stand-in-user/cli/r1', '-o', join(work, 'other', 'c.zip')]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /Pulled stand-in-user\/cli\/r1 to .*c\.zip/);
    assert.deepEqual(
      await readFile(join(work, 'other', 'c.zip')),
      standIn.run('stand-in-user', 'cli', 'r1')!.files.get('codebase.zip')!.content,
    );
  });

  test('human output names the run and its page; --as-artifact logs the code too', async () => {
    const pushed = await codesave([
      'push',
      'project',
      '--run',
      'stand-in-user/cli/r2',
      '--as-artifact',
      '--program',
      'index.js',
    ]);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout, /Pushed 3 files .* to stand-in-user\/cli\/r2 as codebase\.zip \(new run\)/);
    assert.match(pushed.stdout, /code artifact source-cli-index\.js/);
    const pulled = await codesave(['pull', 'stand-in-user/cli/r2', '--artifact', '-o', 'from-artifact.zip', '--json']);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(JSON.parse(pulled.stdout).source, 'artifact');
    assert.ok(existsSync(join(work, 'from-artifact.zip')));
  });

  test('no key: exit 1 with how to fix it; the key never printed on a rejected key', async () => {
    const none = await codesave(['pull', 'stand-in-user/cli/r1'], { WANDB_API_KEY: '' });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no W&B API key .* set WANDB_API_KEY, or run "wandb login".*\[ERR_WANDB_AUTH\]/);
    const key = `wrong${'K'.repeat(40)}`;
    const bad = await codesave(['push', 'project', '--run', 'stand-in-user/cli/r3'], { WANDB_API_KEY: key });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /rejected the W&B API key/);
    assert.ok(!(bad.stdout + bad.stderr).includes(key));
  });

  test('a missing run or file is exit 1 and leaves no output', async () => {
    const r = await codesave(['pull', 'stand-in-user/cli/missing', '-o', 'missing.zip']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ERR_WANDB_NOT_FOUND/);
    assert.equal(existsSync(join(work, 'missing.zip')), false);
  });

  test('usage errors are exit 1', async () => {
    assert.equal((await codesave(['push'])).code, 1);
    assert.equal((await codesave(['pull', 'a/b/c', '--filename', 'x', '--artifact'])).code, 1);
    const help = await codesave(['pull', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /code_from_wandb/);
  });
});
