// Issue 12 from the command line: `codesave verify`, Ctrl-C/SIGTERM mid-save and mid-pull leave nothing behind,
// and `pull` follows the output rule of every writer (no clobbering, no writing through links).
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir, writeTree } from './wandb/helpers.js';
import { type StandIn, startStandIn } from './wandb/stand-in.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'packages/cli/src/bin.ts');
let standIn: StandIn;
let work: string;

before(async () => {
  standIn = await startStandIn();
  work = await tempDir('codesave-cli-trust-');
  await writeTree(join(work, 'project'), {
    'package.json': '{"name":"trust","main":"index.js"}',
    'index.js': 'exports.v = 1;\n',
    'lib/b.js': 'exports.b = 2;\n',
  });
});
after(async () => {
  await standIn.close();
  await removeDir(work);
});

const env = () => ({
  PATH: process.env.PATH ?? '',
  HOME: join(work, 'home'),
  CI: '1',
  WANDB_BASE_URL: standIn.url,
  WANDB_API_KEY: standIn.apiKey,
});
const args = (rest: string[]) => ['--conditions=codesave-source', '--import', import.meta.resolve('tsx'), bin, ...rest];

function codesave(rest: string[], cwd = work) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, args(rest), { cwd, encoding: 'utf8', env: env() }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Starts the CLI, waits until a temp file of it appears in `dir`, sends `signal`; resolves to its exit code. */
async function interrupt(
  rest: string[],
  dir: string,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; sawTemp: boolean }> {
  const child: ChildProcess = spawn(process.execPath, args(rest), { cwd: work, env: env(), stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let done = false;
  exited.then(() => {
    done = true;
  });
  let sawTemp = false;
  for (let i = 0; i < 3000 && !done; i++) {
    if (existsSync(dir) && readdirSync(dir).some((n) => n.endsWith('.codesave-tmp'))) {
      sawTemp = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill(signal);
  return { code: await exited, sawTemp };
}

describe('codesave verify', () => {
  test('exit 0 for an intact snapshot; exit 1 naming every mismatching entry; --json the same as data', async () => {
    const zip = join(work, 'v.zip');
    assert.equal((await codesave(['save', 'project', '-o', zip])).code, 0);
    const good = await codesave(['verify', zip]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /3 files match codesave\.json \(contentHash [0-9a-f]{64}\)/);

    const dir = join(work, 'v-extracted');
    mkdirSync(dir);
    execFileSync('unzip', ['-q', zip, '-d', dir]);
    // same sizes: only the sha256 tells
    writeFileSync(join(dir, 'index.js'), 'exports.v = 9;\n');
    writeFileSync(join(dir, 'lib/b.js'), 'exports.b = 9;\n');
    writeFileSync(join(dir, 'extra.js'), 'planted\n');
    const bad = join(work, 'v-bad.zip');
    execFileSync('zip', ['-qrX', bad, '.'], { cwd: dir });
    const r = await codesave(['verify', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /3 mismatching entries/);
    assert.match(r.stderr, /extra\.js: is in the zip but not listed/);
    assert.match(r.stderr, /index\.js: has a different sha256/);
    assert.match(r.stderr, /lib\/b\.js: has a different sha256/);
    const json = await codesave(['verify', bad, '--json']);
    assert.equal(json.code, 1);
    const data = JSON.parse(json.stdout);
    assert.equal(data.ok, false);
    assert.deepEqual(data.mismatches.map((m: { path: string }) => m.path).sort(), ['extra.js', 'index.js', 'lib/b.js']);
    assert.ok(data.mismatches.every((m: { code: string }) => m.code === 'ERR_ZIP_HASH_MISMATCH'));

    const plain = join(work, 'plain.zip');
    execFileSync('zip', ['-qrX', plain, 'index.js'], { cwd: join(work, 'project') });
    const notSnapshot = await codesave(['verify', plain]);
    assert.equal(notSnapshot.code, 1);
    assert.match(notSnapshot.stderr, /not a codesave snapshot/);
  });
});

describe('interrupted commands leave nothing behind', () => {
  test('SIGINT and SIGTERM mid-save remove the temp file and exit 130 / 143', async () => {
    const big = join(work, 'big-project');
    mkdirSync(big);
    writeFileSync(join(big, 'weights.bin'), randomBytes(96 * 1024 * 1024));
    writeFileSync(join(big, 'index.js'), 'exports.v = 1;\n');
    for (const [signal, expected] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const out = join(work, `signal-${signal}`);
      mkdirSync(out);
      const { code, sawTemp } = await interrupt(['save', big, '-o', join(out, 'c.zip')], out, signal);
      assert.ok(sawTemp, 'the save was interrupted while writing');
      assert.equal(code, expected);
      assert.deepEqual(readdirSync(out), [], `${signal}: nothing left`);
    }
  });

  test('SIGTERM mid-pull (a stalled download) removes the partial file and exits 143', async () => {
    assert.equal((await codesave(['push', 'project', '--run', 'stand-in-user/trust/r1'])).code, 0);
    const out = join(work, 'pull-interrupted');
    mkdirSync(out);
    standIn.fail({ on: 'download', stall: true });
    const { code, sawTemp } = await interrupt(
      ['pull', 'stand-in-user/trust/r1', '-o', join(out, 'c.zip')],
      out,
      'SIGTERM',
    );
    assert.ok(sawTemp, 'the download had started');
    assert.equal(code, 143);
    assert.deepEqual(readdirSync(out), []);
    // a partial file of a process that is gone (kill -9) is removed by the next pull into the directory
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(out, `.c.zip.${dead}-0123abcd.codesave-tmp`), 'partial');
    const pulled = await codesave(['pull', 'stand-in-user/trust/r1', '-o', join(out, 'c.zip')]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.deepEqual(readdirSync(out), ['c.zip']);
  });
});

describe('pull: the output rule', () => {
  test('a file that is not a zip, or a symbolic link, is never replaced without --force', async () => {
    assert.equal((await codesave(['push', 'project', '--run', 'stand-in-user/trust/r2', '--as-artifact'])).code, 0);
    const notes = join(work, 'notes.txt');
    writeFileSync(notes, 'my notes');
    const refused = await codesave(['pull', 'stand-in-user/trust/r2', '-o', notes]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is not a zip; codesave replaces only zip files.*\[ERR_BAD_OPTION\]/);
    assert.equal(readFileSync(notes, 'utf8'), 'my notes');
    const forced = await codesave(['pull', 'stand-in-user/trust/r2', '-o', notes, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(readFileSync(notes).readUInt32LE(0), 0x04034b50);

    const target = join(work, 'precious.txt');
    writeFileSync(target, 'precious');
    const link = join(work, 'linked.zip');
    symlinkSync(target, link);
    for (const how of [[], ['--artifact']]) {
      const r = await codesave(['pull', 'stand-in-user/trust/r2', '-o', link, ...how]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /symbolic link; codesave never writes through a link/);
    }
    assert.equal(readFileSync(target, 'utf8'), 'precious');
    assert.ok(lstatSync(link).isSymbolicLink());
  });
});
