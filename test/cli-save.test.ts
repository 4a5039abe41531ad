// End to end: the `codesave save` and `codesave ls` commands (and the `codesave <dir>` shorthand), run as a
// user runs them, in a child process; plus the progress bar they share with the other commands.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createProgress, formatBytes, shouldShowProgress } from '../packages/cli/src/progress.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'packages/cli/src/bin.ts');
const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'codesave-cli-'));
  temps.push(dir);
  return dir;
}

function tree(root: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

function codesave(...args: string[]) {
  const r = spawnSync(process.execPath, ['--conditions=codesave-source', '--import', 'tsx', bin, ...args], {
    encoding: 'utf8',
    cwd: repo,
    env: { ...process.env, CI: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(args: string[]) {
  const r = codesave(...args, '--json', ...(args[0] === 'ls' ? [] : ['--manifest']));
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function project() {
  return tree(temp(), {
    'package.json': '{"name":"p"}',
    'src/a.js': 'module.exports = 1;',
    'src/a.test.js': 'test',
    'README.md': '# hi',
    'data/big.bin': 'x'.repeat(5000),
    '.gitignore': 'dist/\n',
    'dist/out.js': 'built',
  });
}

const paths = (result: { manifest: { files: { path: string }[] } }) => result.manifest.files.map((f) => f.path);

describe('codesave save', () => {
  test('save <dir> -o <zip>, and the shorthand codesave <dir> -o <zip>, write the same snapshot', () => {
    const root = project();
    const out = temp();
    const a = codesave('save', root, '-o', join(out, 'a.zip'));
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /^Saved 6 files \(.+\) to .*a\.zip \(.+\)\n {2}sha256 [0-9a-f]{64}\n$/);
    assert.equal(a.stderr, '', 'no progress bar when not on a terminal');
    const b = codesave(root, '--output', join(out, 'b.zip'));
    assert.equal(b.code, 0, b.stderr);
    const ja = json(['ls', join(out, 'a.zip')]);
    const jb = json(['ls', join(out, 'b.zip')]);
    assert.equal(ja.manifest.contentHash, jb.manifest.contentHash);
    assert.deepEqual(
      ja.entries.map((e: { path: string }) => e.path),
      ['.gitignore', 'README.md', 'data/big.bin', 'package.json', 'src/a.js', 'src/a.test.js'],
    );
  });

  test('--json prints the result; --only-code, --ignore (repeatable), --ignore-larger-than', () => {
    const root = project();
    const out = join(temp(), 's.zip');
    const r = json([
      'save',
      root,
      '-o',
      out,
      '--ignore',
      '*.test.js',
      '--ignore',
      '/README.md',
      '--ignore-larger-than',
      '1K',
    ]);
    assert.deepEqual(paths(r), ['.gitignore', 'package.json', 'src/a.js']);
    assert.deepEqual(r.skipped, {
      count: 1,
      bytes: 5000,
      files: [{ path: 'data/big.bin', size: 5000, reason: 'too-large' }],
    });
    assert.equal(r.path, out);
    assert.match(r.sha256, /^[0-9a-f]{64}$/);
    const code = json(['save', root, '-o', out, '--only-code']);
    assert.deepEqual(paths(code), ['package.json', 'src/a.js', 'src/a.test.js']);
    assert.equal(code.skipped.count, 3);
  });

  test('human output lists skipped files with their reason', () => {
    const root = project();
    const r = codesave('save', root, '-o', join(temp(), 's.zip'), '--ignore-larger-than', '100');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /skipped 1 file \(4\.9 KB\):\n {4}data\/big\.bin \(4\.9 KB, too-large\)/);
  });

  test('--extra-libraries (repeatable or comma-separated), --extra-files, several roots', () => {
    const root = project();
    const libs = tree(temp(), { 'one/x.js': '1', 'two/y.js': '2', 'three/z.js': '3', 'notes.txt': 'n' });
    const out = join(temp(), 's.zip');
    const r = json([
      'save',
      root,
      '-o',
      out,
      '--only-code',
      '--extra-libraries',
      `${join(libs, 'one')},${join(libs, 'two')}`,
      '--extra-libraries',
      join(libs, 'three'),
      '--extra-files',
      join(libs, 'notes.txt'),
    ]);
    assert.deepEqual(r.manifest.roots.slice(1), ['one', 'two', 'three']);
    assert.ok(['one/x.js', 'two/y.js', 'three/z.js', 'notes.txt'].every((p) => paths(r).includes(p)));
    const roots = json(['save', root, join(libs, 'one'), '-o', out]);
    assert.deepEqual(roots.manifest.roots.slice(1), ['one']);
  });

  test('--include-deps copies the production dependencies', () => {
    const root = tree(temp(), {
      'package.json': '{"name":"p","dependencies":{"dep":"1"},"devDependencies":{"dev":"1"}}',
      'node_modules/dep/package.json': '{"name":"dep","version":"1.0.0"}',
      'node_modules/dev/package.json': '{"name":"dev","version":"1.0.0"}',
    });
    const out = join(temp(), 's.zip');
    assert.deepEqual(paths(json(['save', root, '-o', out])), ['package.json']);
    assert.deepEqual(paths(json(['save', root, '-o', out, '--include-deps'])), [
      'node_modules/dep/package.json',
      'package.json',
    ]);
  });

  test('exit code 1 with the error code for bad input, and with usage for bad arguments', () => {
    const root = project();
    const missing = codesave('save', join(root, 'nope'), '-o', join(temp(), 's.zip'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /does not exist; check the path \[ERR_DIR_NOT_FOUND\]/);
    const notDir = codesave('save', root, '-o', join(root, 'package.json/s.zip'));
    assert.equal(notDir.code, 1);
    assert.match(notDir.stderr, /is a file, not a directory.*\[ERR_OUTPUT_DIR_MISSING\]/);
    const size = codesave('save', root, '-o', join(temp(), 's.zip'), '--ignore-larger-than', '1Q');
    assert.equal(size.code, 1);
    assert.match(size.stderr, /bad size "1Q".*\[ERR_BAD_SIZE\]/);
    const flag = codesave('save', root, '--bogus');
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /Unknown option '--bogus'[\s\S]*Usage: codesave save/);
    const none = codesave('save');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /which directory\?/);
    const help = codesave('save', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--include-deps/);
  });
});

describe('codesave ls', () => {
  test('manifest summary and a file tree with sizes', () => {
    const root = project();
    const out = join(temp(), 's.zip');
    assert.equal(codesave('save', root, '-o', out).code, 0);
    const r = codesave('ls', out, '--verify');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /s\.zip: 6 files, [\d.]+ KB \([\d.]+ KB zipped\)/);
    assert.match(r.stdout, /saved: +\S+ by codesave \d+\.\d+\.\d+/);
    assert.match(r.stdout, /content: +sha256 [0-9a-f]{64} \(every file verified\)/);
    assert.match(r.stdout, /├── data\/ {2}\(1 file, 4\.9 KB\)\n│ {3}└── big\.bin {2}4\.9 KB/);
    assert.match(r.stdout, /└── src\/ {2}\(2 files, 23 B\)\n {4}├── a\.js {2}19 B\n {4}└── a\.test\.js {2}4 B/);
    const shallow = codesave('ls', out, '--depth', '1');
    assert.ok(!shallow.stdout.includes('a.js'));
    assert.match(shallow.stdout, /└── src\/ {2}\(2 files, 23 B\)\n?$/);
  });

  test('--json gives the manifest and the entries; a zip from another tool is listed too', () => {
    const root = project();
    const out = join(temp(), 's.zip');
    assert.equal(codesave('save', root, '-o', out).code, 0);
    const j = json(['ls', out]);
    assert.equal(j.snapshot, true);
    assert.equal(j.manifest.files.length, 6);
    assert.deepEqual(j.entries[0], { path: '.gitignore', size: 6, type: 'file' });
    const foreign = join(temp(), 'f.zip');
    spawnSync('zip', ['-qr', foreign, '.'], { cwd: root });
    const f = json(['ls', foreign]);
    assert.equal(f.snapshot, false);
    assert.equal(f.manifest.tool.name, 'unknown');
    assert.match(codesave('ls', foreign).stdout, /not a codesave snapshot/);
  });

  test('--verify catches a snapshot whose files no longer match its manifest (exit 1)', () => {
    const root = project();
    const out = join(temp(), 's.zip');
    assert.equal(codesave('save', root, '-o', out).code, 0);
    const dir = temp();
    spawnSync('unzip', ['-q', out, '-d', dir]);
    writeFileSync(join(dir, 'src/a.js'), 'module.exports = 2;');
    const edited = join(temp(), 'edited.zip');
    spawnSync('zip', ['-qr', edited, '.'], { cwd: dir });
    assert.equal(codesave('ls', edited).code, 0, 'without --verify it lists');
    const r = codesave('ls', edited, '--verify');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /src\/a\.js.*\[ERR_ZIP_HASH_MISMATCH\]/);
  });

  test('a missing or damaged zip exits 1 with a CodesaveError code', () => {
    const missing = codesave('ls', join(temp(), 'nope.zip'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /\[ERR_ZIP_NOT_FOUND\]/);
    const junk = join(temp(), 'junk.zip');
    writeFileSync(junk, 'not a zip at all');
    const damaged = codesave('ls', junk);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stderr, /\[ERR_ZIP_CORRUPT\]/);
    assert.ok(existsSync(junk));
  });
});

describe('progress bar', () => {
  const fake = () => {
    const writes: string[] = [];
    return { writes, stream: { isTTY: true, columns: 60, write: (s: string) => writes.push(s) } };
  };

  test('draws on a terminal, throttled, always the final state; erases itself on finish', () => {
    const { writes, stream } = fake();
    let clock = 0;
    const p = createProgress({ stream, enabled: true, interval: 100, now: () => clock });
    p.update(0, 10, 'start');
    clock = 50;
    p.update(5, 10, 'too soon');
    clock = 150;
    p.update(6, 10, 'src/a.js');
    clock = 160;
    p.update(10, 10, 'last');
    p.finish();
    assert.equal(writes.length, 4);
    const ERASE = '\x1b[K';
    assert.ok(writes[1].endsWith(ERASE));
    assert.match(writes[1].slice(0, -ERASE.length), /^\r\[#{18}-{12}\] {2}60% 6\/10 src\/a\.js$/);
    assert.match(writes[2], /100% 10\/10 last/);
    assert.equal(writes[3], '\r\x1b[K');
    assert.ok(writes.every((w) => w.replaceAll(ERASE, '').length <= 61));
  });

  test('silent when not a TTY or under CI; nothing to erase', () => {
    const { writes, stream } = fake();
    assert.equal(shouldShowProgress({ ...stream, isTTY: false }, {}), false);
    assert.equal(shouldShowProgress(stream, { CI: 'true' }), false);
    const p = createProgress({ stream, enabled: false });
    p.update(1, 2);
    p.finish();
    assert.deepEqual(writes, []);
  });

  test('formatBytes', () => {
    assert.equal(formatBytes(999), '999 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(25 * 1024 * 1024), '25 MB');
  });
});

describe('errors on the command line', () => {
  test('--json: every failure is one JSON object { error: { code, message } } on stdout, exit 1', () => {
    const root = project();
    const cases: [string[], string][] = [
      [['ls', join(temp(), 'missing.zip')], 'ERR_ZIP_NOT_FOUND'],
      [['ls'], 'ERR_BAD_OPTION'],
      [['save', root, '--bogus'], 'ERR_BAD_OPTION'],
      [['save', root, '-o', join(root, 'package.json/x.zip')], 'ERR_OUTPUT_DIR_MISSING'],
      [['save', root, '-o', join(temp(), 'x.zip'), '--ignore-larger-than', '1Q'], 'ERR_BAD_SIZE'],
      [[root, '-o', join(root, 'src/a.js')], 'ERR_BAD_OPTION'],
    ];
    for (const [args, code] of cases) {
      const r = codesave(...args, '--json');
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      const out = JSON.parse(r.stdout);
      assert.equal(out.error.code, code, args.join(' '));
      assert.equal(typeof out.error.message, 'string');
      assert.match(r.stderr, new RegExp(code === 'ERR_BAD_OPTION' ? 'codesave' : `\\[${code}\\]`));
    }
    // without --json, stdout stays empty on failure
    assert.equal(codesave('ls', join(temp(), 'missing.zip')).stdout, '');
  });

  test('an unknown word where a command goes is a missing directory, with a hint about commands', () => {
    const r = codesave('lss', 'x.zip');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no command "lss"; commands: save, ls, run, push, pull/);
  });

  test('file names with escape sequences are printed escaped, never sent raw to the terminal', () => {
    const root = tree(temp(), { 'a.js': 'x', 'red\u001b[31m.js': 'y' });
    const r = codesave('save', root, '-o', join(temp(), 'e.zip'));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes('\u001b'), r.stdout);
    assert.match(r.stdout, /red\\x1b\[31m\.js \(1 B, unsafe-name\)/);
  });
});

test('codesave ls | head: the reader closing the pipe early ends the command quietly (exit 0, no EPIPE trace)', async () => {
  const { spawn } = await import('node:child_process');
  const files: Record<string, string> = {};
  for (let i = 0; i < 3000; i++) files[`d${i % 30}/f${i}.js`] = `${i}`;
  const root = tree(temp(), files);
  const zip = join(temp(), 'many.zip');
  assert.equal(codesave('save', root, '-o', zip).code, 0);
  for (const extra of [[], ['--json']]) {
    const child = spawn(
      process.execPath,
      ['--conditions=codesave-source', '--import', 'tsx', bin, 'ls', zip, ...extra],
      {
        cwd: repo,
        env: { ...process.env, CI: '' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE/);
  }
});

test('codesave ls shows what a hostile manifest says with its control characters escaped', async () => {
  const root = project();
  const out = join(temp(), 's.zip');
  assert.equal(codesave('save', root, '-o', out).code, 0);
  const dir = temp();
  spawnSync('unzip', ['-q', out, '-d', dir]);
  const manifestPath = join(dir, 'codesave.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  manifest.roots = ['\u001b]0;pwned\u0007evil'];
  manifest.tool.name = 'codesave\u001b[2J';
  writeFileSync(manifestPath, JSON.stringify(manifest));
  const edited = join(temp(), 'edited.zip');
  spawnSync('zip', ['-qr', edited, '.'], { cwd: dir });
  const r = codesave('ls', edited);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes('\u001b'), r.stdout);
  assert.match(r.stdout, /\\x1b\]0;pwned\\x07evil/);
});
