// `codesave compare` and `codesave diff` end to end, through the CLI's entry (bin.ts via tsx).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkpoint, parseReport } from '../packages/core/src/index.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(repo, 'packages/cli/src/bin.ts');
// the commands run in a scratch directory: tsx is named by its URL, not looked up from there
const tsx = import.meta.resolve('tsx');
const args = (...rest: string[]) => ['--conditions=codesave-source', '--import', tsx, bin, ...rest];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-cli-compare-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function codesave(...rest: string[]) {
  const result = spawnSync(process.execPath, args(...rest), {
    cwd: scratch,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', CI: '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function save(name: string, files: Record<string, string>) {
  const dir = path.join(scratch, `${name}-src`);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return (await checkpoint(dir, { output: path.join(scratch, `${name}.zip`) })).path;
}

const setup = (async () => {
  const pkg = (version: string) => JSON.stringify({ name: 'm', version, dependencies: {} });
  await save('a', {
    'package.json': pkg('1.0.0'),
    'src/model.js':
      "exports.score = (c) => { if (c.text === 'boom') throw new RangeError('boom!'); return { label: c.text.length > 4 ? 'long' : 'short', n: c.text.length }; };\nexports.slow = (c) => new Promise((r) => { if (c.i === 2) require('fs').writeFileSync(process.env.CODESAVE_TEST_MARK, 'x'); setTimeout(() => r(c.i), 100); });\n",
    'README.md': 'one\ntwo\nthree\n',
  });
  await save('b', {
    'package.json': pkg('1.1.0'),
    'src/model.js':
      "exports.score = (c) => ({ label: c.text.length > 3 ? 'long' : 'short', n: c.text.length });\nexports.slow = (c) => new Promise((r) => setTimeout(() => r(c.i), 100));\n",
    'README.md': 'one\n2\nthree\nfour\n',
    'src/extra.js': 'module.exports = 1;\n',
  });
  fs.writeFileSync(
    path.join(scratch, 'cases.jsonl'),
    ['abc', 'abcd', 'abcdef', 'boom']
      .map((text) => JSON.stringify({ text, label: text.length > 4 ? 'long' : 'short' }))
      .join('\n'),
  );
})();

test('compare prints the summary table, writes the HTML and markdown reports, exits 0', async () => {
  await setup;
  const r = codesave(
    'compare',
    'a.zip',
    'b.zip',
    '--call',
    'src/model:score',
    '--cases',
    'cases.jsonl',
    '--name',
    'a=baseline',
    '--seed',
    '1',
    '--report',
    'out.html',
    '--markdown',
    'out.md',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /4 cases × 2 versions \(src\/model:score\): 2 agree, 1 differ, 1 with errors/);
  assert.match(r.stdout, /^version +errors +median +p95 +total +agree baseline +agree b$/m);
  assert.match(r.stdout, /^baseline +1 /m);
  assert.match(r.stdout, /baseline → b {2}\$\.label: "short" → "long"/);
  assert.match(r.stdout, /baseline ✗ RangeError: boom!/);
  assert.match(r.stdout, /Wrote out\.html, out\.md/);
  const html = fs.readFileSync(path.join(scratch, 'out.html'), 'utf8');
  assert.match(html, /codesave compare: baseline vs b/);
  assert.match(
    fs.readFileSync(path.join(scratch, 'out.md'), 'utf8'),
    /^<!-- codesave compare report -->\n### codesave compare: `baseline` vs `b`/,
  );
  // a second run replaces its own reports
  assert.equal(
    codesave('compare', 'a.zip', 'b.zip', '--call', 'src/model:score', '--cases', 'cases.jsonl', '--report', 'out.html')
      .code,
    0,
  );
});

test('--json prints a valid report; --expected and --fail-on', async () => {
  await setup;
  const r = codesave(
    'compare',
    'a.zip',
    'b.zip',
    '--call',
    'src/model:score',
    '--cases',
    'cases.jsonl',
    '--json',
    '--fail-on',
    'differ',
  );
  assert.equal(r.code, 3);
  const report = parseReport(r.stdout);
  assert.equal(report.summary.cases, 4);
  assert.deepEqual(
    report.versions.map((v) => v.name),
    ['a', 'b'],
  );
  const clean = codesave(
    'compare',
    'a.zip',
    'a.zip',
    '--call',
    'src/model:score',
    '--cases',
    'cases.jsonl',
    '--fail-on',
    'differ',
  );
  assert.equal(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, /3 agree, 0 differ, 1 with errors/);
  assert.equal(
    codesave('compare', 'a.zip', 'a.zip', '--call', 'src/model:score', '--cases', 'cases.jsonl', '--fail-on', 'error')
      .code,
    3,
  );
  assert.equal(
    codesave(
      'compare',
      'b.zip',
      'b.zip',
      '--call',
      'src/model:score',
      '--cases',
      'cases.jsonl',
      '--fail-on',
      'differ,error',
    ).code,
    0,
  );
});

test('--harness gives cases, scorers and expected values', async () => {
  await setup;
  fs.writeFileSync(
    path.join(scratch, 'eval.ts'),
    `interface Case { text: string; label: string }
export const cases: Case[] = [{ text: 'ab', label: 'short' }, { text: 'abcd', label: 'short' }];
export const call = 'src/model:score';
export const scorers = { accuracy: (out: { label: string }, c: Case) => out.label === c.label };
`,
  );
  const r = codesave('compare', 'a.zip', 'b.zip', '--harness', 'eval.ts', '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = parseReport(r.stdout);
  assert.deepEqual(
    report.versions.map((v) => v.scores.accuracy),
    [1, 0.5],
  );
});

test('bad input: clear errors, exit 1, nothing clobbered', async () => {
  await setup;
  const base = ['compare', 'a.zip', 'b.zip', '--call', 'src/model:score'];
  fs.writeFileSync(path.join(scratch, 'bad.jsonl'), '{"text":"a"}\n{"text":\n');
  let r = codesave(...base, '--cases', 'bad.jsonl');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.jsonl:2: line 2 is not valid JSON.*\[ERR_CASES_INVALID\]/);
  r = codesave(...base, '--cases', 'cases.txt');
  assert.match(r.stderr, /unknown format.*\[ERR_CASES_FORMAT\]/);
  r = codesave('compare', 'a.zip', 'b.zip', '--call', 'src/model:nothing', '--cases', 'cases.jsonl');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no export 'nothing'.*\[ERR_EXPORT_NOT_FOUND\]/);
  r = codesave('compare', 'a.zip', 'missing.zip', '--call', 'src/model:score', '--cases', 'cases.jsonl', '--json');
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.stdout).error.code, 'ERR_VERSION_OPEN');
  fs.writeFileSync(path.join(scratch, 'notes.html'), '<p>my notes</p>');
  r = codesave(...base, '--cases', 'cases.jsonl', '--report', 'notes.html');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[ERR_OUTPUT_EXISTS\]/);
  assert.equal(fs.readFileSync(path.join(scratch, 'notes.html'), 'utf8'), '<p>my notes</p>');
  r = codesave(...base, '--cases', 'cases.jsonl', '--report', 'no/such/dir/r.html');
  assert.match(r.stderr, /\[ERR_OUTPUT_DIR_MISSING\]/);
  assert.equal(codesave('compare', 'a.zip').code, 1);
  assert.match(
    codesave(...base, '--cases', 'cases.jsonl', '--fail-on', 'slow').stderr,
    /--fail-on takes differ or error/,
  );
  assert.match(codesave(...base, '--cases', 'cases.jsonl', '--name', 'zzz=x').stderr, /no version named "zzz"/);
  assert.deepEqual(
    fs.readdirSync(scratch).filter((f) => f.endsWith('.tmp')),
    [],
  );
});

test('Ctrl-C prints and writes the partial report, exit 130', async () => {
  await setup;
  const cases = path.join(scratch, 'slow.jsonl');
  fs.writeFileSync(cases, Array.from({ length: 100 }, (_, i) => JSON.stringify({ i })).join('\n'));
  const mark = path.join(scratch, 'mark');
  const child = spawn(
    process.execPath,
    args('compare', 'a.zip', 'b.zip', '--call', 'src/model:slow', '--cases', cases, '--markdown', 'partial.md'),
    {
      cwd: scratch,
      env: { ...process.env, NODE_OPTIONS: '', CODESAVE_TEST_MARK: mark },
    },
  );
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  while (!fs.existsSync(mark)) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGINT');
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 130);
  assert.match(stdout, /ABORTED, partial report/);
  assert.match(fs.readFileSync(path.join(scratch, 'partial.md'), 'utf8'), /aborted: partial report/);
});

test('diff lists files with lines, dependency changes, unified diffs under --patch, and JSON', async () => {
  await setup;
  const r = codesave('diff', 'a.zip', 'b.zip');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^a: a\.zip {2}saved .* node v\d+/m);
  assert.match(r.stdout, /Files: 3 changed, 1 added, 0 removed, 0 unchanged/);
  assert.match(r.stdout, /^ {2}M README\.md +\+2 −1$/m);
  assert.match(r.stdout, /^ {2}A src\/extra\.js +\+1$/m);
  const patch = codesave('diff', 'a.zip', 'b.zip', '--patch');
  assert.match(
    patch.stdout,
    /--- a\/README\.md\n\+\+\+ b\/README\.md\n@@ -1,3 \+1,4 @@\n one\n-two\n\+2\n three\n\+four/,
  );
  const json = JSON.parse(codesave('diff', 'a.zip', 'b-src', '--json').stdout);
  assert.equal(json.b.source, 'b-src');
  assert.deepEqual(json.files.find((f: { path: string }) => f.path === 'src/extra.js').status, 'added');
  const missing = codesave('diff', 'a.zip', 'nope.zip');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /\[ERR_ZIP_NOT_FOUND\]/);
});
