// A codebase's faults stay its own: dispose() clears its timers (the host exits as without it), its exceptions
// and rejections go to its 'error' event when something listens, and with no listener the process behaves as
// Node does. Each case runs in a child process, natively (the same code as a plain file) and from a zip.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tmpDir } from './codebase-helpers.ts';

const SRC = pathToFileURL(fileURLToPath(new URL('../src/index.ts', import.meta.url))).href;
const TSX = import.meta.resolve('tsx');

interface Run {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `host` (an ES module body) in a child Node with a zip of `files` at `ZIP` and the same files on disk at
 * `DIR`. `ZipCodebase` is in scope. The child is killed after 20 s: a hang shows as `signal`.
 */
function runHost(files: Record<string, string>, host: string): Run {
  const dir = tmpDir('codesave-faults-');
  try {
    const project = path.join(dir, 'project');
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(project, name)), { recursive: true });
      fs.writeFileSync(path.join(project, name), text);
    }
    const script = path.join(dir, 'host.mjs');
    fs.writeFileSync(
      script,
      `import { ZipCodebase, checkpoint } from ${JSON.stringify(SRC)};
const DIR = ${JSON.stringify(project)};
const ZIP = ${JSON.stringify(path.join(dir, 'project.zip'))};
await checkpoint(DIR, { output: ZIP });
${host}
`,
    );
    const result = spawnSync(process.execPath, ['--conditions=codesave-source', '--import', TSX, script], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('dispose() clears the timers, intervals and immediates a codebase created: the host exits', () => {
  const files = {
    'index.js': `
      setInterval(() => {}, 50);
      require('timers').setInterval(() => {}, 50);
      setTimeout(() => { throw new Error('never runs') }, 60_000);
      (function again() { setImmediate(again) })();
      module.exports = 'started';
    `,
  };
  const run = runHost(
    files,
    `const cb = await ZipCodebase.open(ZIP);
console.log(cb.require('./index.js'), cb.runtime.realm.pendingTimers > 0);
setTimeout(() => cb.dispose().then(() => console.log('disposed')), 100);`,
  );
  assert.equal(run.signal, null, `the host hung: ${run.stderr}`);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, 'started true\ndisposed\n');
});

test("a codebase's timer throw, uncaught error and unhandled rejection are its 'error' events", () => {
  const files = {
    'index.js': `
      setTimeout(() => { throw new Error('from a timer') }, 5);
      require('fs').readFile(__filename, () => { throw new TypeError('from an fs callback') });
      Promise.reject(new RangeError('rejected'));
      (async () => { await null; throw 'a string' })();
      setImmediate(() => { throw 42 });
    `,
  };
  const run = runHost(
    files,
    `const cb = await ZipCodebase.open(ZIP);
const seen = [];
cb.on('error', (e) => seen.push(typeof e === 'object' ? e.constructor.name + ': ' + e.message : String(e)));
cb.require('./index.js');
setTimeout(async () => {
  console.log(JSON.stringify(seen.sort()));
  await cb.dispose();
}, 300);`,
  );
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), [
    '42',
    'Error: from a timer',
    'RangeError: rejected',
    'TypeError: from an fs callback',
    'a string',
  ]);
});

/** The same code natively (required from disk) and from the zip with no 'error' listener: same exit and message. */
function sameAsNode(code: string, expected: RegExp, extraHost = ''): void {
  const files = { 'index.js': code };
  const native = runHost(
    files,
    `${extraHost}\nawait import(${JSON.stringify('node:module')}).then((m) => m.createRequire(DIR + '/')('./index.js'));`,
  );
  const zipped = runHost(files, `${extraHost}\nconst cb = await ZipCodebase.open(ZIP);\ncb.require('./index.js');`);
  assert.equal(native.signal, null);
  assert.equal(zipped.signal, null);
  assert.equal(zipped.status, native.status, `native: ${native.stderr}\nzip: ${zipped.stderr}`);
  assert.equal(zipped.stdout, native.stdout);
  assert.match(native.stderr, expected);
  assert.match(zipped.stderr, expected);
}

test('with no listener, a throw in a codebase timer ends the process as in Node', () => {
  sameAsNode("setTimeout(() => { throw new Error('timer boom') }, 5);", /Error: timer boom/);
});

test('with no listener, an unhandled rejection ends the process as in Node', () => {
  sameAsNode("Promise.reject(new Error('nobody caught me'));", /nobody caught me/);
});

test('a host fault while a codebase listens still ends the process as in Node', () => {
  const files = { 'index.js': 'module.exports = 1;' };
  for (const fault of [
    "Promise.reject(new Error('host rejection'))",
    "setTimeout(() => { throw new Error('host throw') })",
  ]) {
    const listening = runHost(
      files,
      `const cb = await ZipCodebase.open(ZIP); cb.on('error', () => console.log('wrongly taken')); cb.require('./index.js');
${fault};
setTimeout(() => console.log('still alive'), 200);`,
    );
    const plain = runHost(files, `${fault};\nsetTimeout(() => console.log('still alive'), 200);`);
    assert.equal(listening.status, plain.status, listening.stderr);
    assert.equal(plain.status, 1);
    assert.equal(listening.stdout, '');
    assert.match(listening.stderr, /host (rejection|throw)/);
  }
});

test('a listener removed again: the process behaves as Node', () => {
  const run = runHost(
    { 'index.js': "setTimeout(() => Promise.reject(new Error('late')), 20);" },
    `const cb = await ZipCodebase.open(ZIP);
const listener = () => console.log('wrongly taken');
cb.on('error', listener);
cb.off('error', listener);
cb.require('./index.js');`,
  );
  assert.equal(run.status, 1);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /late/);
});
