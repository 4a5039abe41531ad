// `codesave run` end to end, through the CLI's entry (bin.ts via tsx, as the package's test command runs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkpoint, openArchive } from '../packages/core/src/index.ts';
import { zipBytes } from '../packages/core/test/archive-zipbytes.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(repo, 'packages/cli/src/bin.ts');

function codesave(...args: string[]) {
  const result = spawnSync(process.execPath, ['--conditions=codesave-source', '--import', 'tsx', bin, ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const files: Record<string, string> = {
  'train.js': `console.log(JSON.stringify({ isMain: require.main === module, id: module.id, argv: process.argv.slice(1) }));
setTimeout(() => { console.log('later'); process.exitCode = Number(process.argv[2] || 0); }, 20);
`,
  'src/model.js': `exports.score = async (x, y) => ({ sum: Number(x) + Number(y) });
exports.greet = (name) => 'hello ' + name;
`,
  'fail.js': "throw new RangeError('top-level failure');\n",
  'exit.js': 'process.exit(7);\n',
  'loop.js': 'while (true) {}\n',
  'throw42.js': 'throw 42;\n',
  'thrownull.js': 'throw null;\n',
  'evil.js':
    "throw { get message() { throw new Error('getter'); }, [Symbol.for('nodejs.util.inspect.custom')]() { throw new Error('inspect'); } };\n",
  'late.js': "setTimeout(() => Promise.reject(new Error('late rejection')), 10);\nconsole.log('main done');\n",
  'esm.mjs':
    "await new Promise((r) => setTimeout(r, 10));\nconsole.log(process.argv.slice(2).join(','), import.meta.filename);\nprocess.exitCode = 5;\n",
};

const temps: string[] = [];
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

async function makeZip(): Promise<string> {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-run-'));
  temps.push(parent);
  const dir = path.join(parent, 'project');
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const zip = path.join(parent, 'project.zip');
  await checkpoint(dir, { output: zip });
  return zip;
}

test('codesave run <zip> <file>: main module, argv as Node sets it, async work awaited, exitCode passed through', async () => {
  const zip = await makeZip();
  const r = codesave('run', zip, 'train.js', '4', '--flag');
  assert.equal(r.code, 4, r.stderr);
  const [first, second] = r.stdout.trim().split('\n');
  assert.deepEqual(JSON.parse(first!), { isMain: true, id: '.', argv: [path.join(zip, 'train.js'), '4', '--flag'] });
  assert.equal(second, 'later');
  assert.equal(codesave('run', zip, 'exit.js').code, 7);
});

test('codesave run <zip> <file.mjs>: an ES module entry is imported (top-level await), exit code passed through', async () => {
  const zip = await makeZip();
  const r = codesave('run', zip, 'esm.mjs', 'a', 'b');
  assert.equal(r.code, 5, r.stderr);
  assert.equal(r.stdout, `a,b ${path.join(zip, 'esm.mjs')}\n`);
});

test('codesave run: a thrown error prints its stack with virtual paths and exits 1', async () => {
  const zip = await makeZip();
  const r = codesave('run', zip, 'fail.js');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /RangeError: top-level failure/);
  assert.ok(r.stderr.includes(`${path.join(zip, 'fail.js')}:1:7`), r.stderr);
});

test('codesave run <zip> module:fn args: calls the export and prints its awaited result', async () => {
  const zip = await makeZip();
  const r = codesave('run', zip, 'src/model:score', '2', '3');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { sum: 5 });
  assert.equal(codesave('run', zip, 'src/model.js:greet', 'zip').stdout, 'hello zip\n');
  const missing = codesave('run', zip, 'src/model:nothing');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no exported function nothing/);
});

test('codesave run: --timeout stops an endless loop (exit 1, ERR_TIMEOUT); usage errors exit 1', async () => {
  const zip = await makeZip();
  const r = codesave('run', '--timeout', '200', zip, 'loop.js');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ERR_TIMEOUT/);
  assert.equal(codesave('run', zip).code, 1);
  assert.match(codesave('run', '--help').stdout, /Usage: codesave run/);
});

test('codesave run: thrown non-Errors and values that cannot be printed exit 1 like node; a late rejection exits 1', async () => {
  const zip = await makeZip();
  for (const [file, out] of [
    ['throw42.js', /42/],
    ['thrownull.js', /null/],
    ['evil.js', /\[object Object\]|cannot be printed/],
  ] as const) {
    const r = codesave('run', zip, file);
    assert.equal(r.code, 1, `${file}: ${r.stderr}`);
    assert.match(r.stderr, out, file);
    assert.doesNotMatch(r.stderr, /internal error/, file);
  }
  const late = codesave('run', zip, 'late.js');
  assert.equal(late.code, 1);
  assert.equal(late.stdout, 'main done\n');
  assert.match(late.stderr, /Error: late rejection/);
});

test('codesave run: a changed file nothing reads runs by default; --verify-all refuses it before anything runs', async () => {
  const zip = await makeZip();
  // the snapshot rebuilt with loop.js changed (same size, valid CRC-32): only its sha256 differs
  const archive = await openArchive(zip);
  const entries = [...archive.entries.values()].map((entry) => {
    const data = archive.read(entry.name);
    return { name: entry.name, data: entry.name === 'loop.js' ? Buffer.from('x'.repeat(data.length)) : data };
  });
  archive.close();
  const tampered = path.join(path.dirname(zip), 'tampered.zip');
  fs.writeFileSync(tampered, zipBytes(entries));
  const lazy = codesave('run', tampered, 'src/model:greet', 'you');
  assert.equal(lazy.code, 0, lazy.stderr);
  assert.equal(lazy.stdout.trim(), 'hello you');
  const all = codesave('run', '--verify-all', tampered, 'src/model:greet', 'you');
  assert.equal(all.code, 1);
  assert.equal(all.stdout, '');
  assert.match(all.stderr, /'loop\.js' has a different sha256.*\[ERR_ZIP_HASH_MISMATCH\]/);
});
