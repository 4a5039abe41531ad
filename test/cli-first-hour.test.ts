// What a new user trips on at the command line, end to end through the CLI's entry (bin.ts via tsx).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { asFlags } from '../packages/cli/src/main.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(repo, 'packages/cli/src/bin.ts');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-first-hour-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

function codesave(...args: string[]) {
  const r = spawnSync(process.execPath, ['--conditions=codesave-source', '--import', 'tsx', bin, ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', CI: 'true' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(base, 'p-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const model = {
  'src/model.js':
    "exports.score = (x, o) => ({ x, o, type: typeof x });\nexports.boom = () => { throw new RangeError('bad input'); };\nexports.value = 1;\n",
};

test('codesave --help: every command with what it does, the <dir> -o shorthand, exit codes', () => {
  const r = codesave('--help');
  assert.equal(r.code, 0);
  for (const [name, what] of [
    ['save', /Saves <dir> as a zip snapshot/],
    ['ls', /Shows what a snapshot holds/],
    ['run', /Runs a file of the snapshot, or calls an exported function/],
    ['push', /Saves <dir> as a zip snapshot and uploads it into a W&B run/],
    ['pull', /Downloads a W&B run's code/],
  ] as const) {
    assert.match(r.stdout, new RegExp(`^  ${name}\\s+${what.source}`, 'm'));
  }
  assert.match(r.stdout, /codesave <dir> -o <zip> \[options\]\s+shorthand for "codesave save"/);
  assert.match(r.stdout, /Exit codes: 0 success, 1 bad arguments or input/);
  assert.match(codesave('ls', '--help').stdout, /Exit codes: 0 listed/);
  assert.match(codesave('run', '--help').stdout, /Exit codes: a file: its own exit code/);
});

test('save -o into directories that do not exist makes them; save --json is a summary, --manifest adds the files', () => {
  const dir = project(model);
  const out = path.join(base, 'runs', 'a', 'codebase.zip');
  const r = codesave('save', dir, '-o', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(summary).sort(), [
    'bytes',
    'contentHash',
    'files',
    'path',
    'roots',
    'sha256',
    'skipped',
  ]);
  assert.equal(summary.path, out);
  assert.equal(summary.files, 1);
  assert.ok(fs.statSync(out).isFile());
  const full = JSON.parse(codesave('save', dir, '-o', out, '--json', '--manifest').stdout);
  assert.deepEqual(
    full.manifest.files.map((f: { path: string }) => f.path),
    ['src/model.js'],
  );
  assert.equal(codesave('save', dir, '-o', out, '--manifest').code, 1);
  // the shorthand too
  const short = codesave(dir, '-o', path.join(base, 'runs', 'b', 'c', 'x.zip'));
  assert.equal(short.code, 0, short.stderr);
  assert.ok(fs.existsSync(path.join(base, 'runs', 'b', 'c', 'x.zip')));
});

test('CLI errors name the flags, not the library options', () => {
  const dir = project(model);
  const r = codesave('save', dir, '-o', path.join(base, 'e.zip'), '--extra-files', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /is not a file; pass it in --extra-libraries \[ERR_BAD_OPTION\]/);
  assert.doesNotMatch(r.stderr, /extraLibraries|extraFiles/);
  // the library's messages as the CLI shows them
  assert.equal(
    asFlags('changed after saving: save it again, or open it with verify: false if you accept that.'),
    'changed after saving: save it again, or open it with --no-verify if you accept that.',
  );
  assert.equal(asFlags('checkpoint option extraFiles must be an array'), '--extra-files must be an array');
  assert.equal(asFlags('save without includeDependencies'), 'save without --include-deps');
});

test('run module:fn — a missing module is one line naming the modules; --json; --json-args; exit codes', () => {
  const zip = path.join(base, 'ms.zip');
  assert.equal(codesave('save', project({ ...model, 'src/other.mjs': 'export const x = 1;\n' }), '-o', zip).code, 0);
  const missing = codesave('run', zip, 'ms:default');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  assert.match(missing.stderr, /no module ms in .*; its modules: src\/model, src\/other \[ERR_EXPORT_NOT_FOUND\]/);
  assert.doesNotMatch(missing.stderr, /\[codesave\]|at /);

  const plain = codesave('run', zip, 'src/model:score', '2.5', 'true');
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(JSON.parse(plain.stdout), { x: '2.5', o: 'true', type: 'string' });

  const typed = codesave('run', '--json', '--json-args', zip, 'src/model:score', '2.5', '{"a":[1,true]}');
  assert.equal(typed.code, 0, typed.stderr);
  assert.deepEqual(JSON.parse(typed.stdout), { result: { x: 2.5, o: { a: [1, true] }, type: 'number' } });
  const text = codesave('run', '--json-args', zip, 'src/model:score', 'not json');
  assert.equal(JSON.parse(text.stdout).x, 'not json');

  const threw = codesave('run', '--json', zip, 'src/model:boom');
  assert.equal(threw.code, 1);
  assert.deepEqual(JSON.parse(threw.stdout), {
    error: { code: 'ERR_THROWN', name: 'RangeError', message: 'bad input' },
  });
  const noFn = codesave('run', '--json', zip, 'src/model:nope');
  assert.equal(noFn.code, 1);
  assert.equal(JSON.parse(noFn.stdout).error.code, 'ERR_EXPORT_NOT_FOUND');
  assert.match(JSON.parse(noFn.stdout).error.message, /its functions: boom, score/);
  assert.equal(codesave('run', '--json', zip, 'src/model.js').code, 1);
});

test("run: a missing dependency prints the user's frames, none inside codesave", () => {
  const zip = path.join(base, 'frames.zip');
  const dir = project({
    'src/lib.js': "function load() {\n  return require('codesave-test-missing-dep');\n}\nexports.run = () => load();\n",
    'main.js': "const lib = require('./src/lib');\nlib.run();\n",
  });
  assert.equal(codesave('save', dir, '-o', zip).code, 0);
  const r = codesave('run', zip, 'main.js');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cannot find module 'codesave-test-missing-dep'/);
  const frames = r.stderr.split('\n').filter((l) => /^\s+at /.test(l));
  assert.match(frames[0] ?? '', /at load \(.*frames\.zip\/src\/lib\.js:2:/);
  assert.ok(
    frames.some((l) => /frames\.zip\/main\.js:2:/.test(l)),
    r.stderr,
  );
  assert.ok(!frames.some((l) => /packages\/(core|cli)\//.test(l)), r.stderr);
});
