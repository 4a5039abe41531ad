// Which files a snapshot holds: gitignore semantics, the ignore option, filters, links, roots, the output.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { checkpoint, isCodesaveError, parseSize } from '@codesave/core';
import { extract, listTree, read, storedFiles, tempDir, writeTree, zipNames } from './snapshot-helpers.js';

async function save(dir: string | string[], options: Parameters<typeof checkpoint>[1] = {}) {
  const out = join(tempDir('codesave-out-'), 'snap.zip');
  const result = await checkpoint(dir, { output: out, ...options });
  return { result, files: storedFiles(out), out };
}

describe('gitignore semantics', () => {
  test('root patterns, nested .gitignore, negation, directory-only and anchored patterns', async () => {
    const root = writeTree(tempDir(), {
      '.gitignore': ['*.log', '!important.log', 'build/', '/top.txt', 'tmp', 'docs/**/*.draft'].join('\n'),
      'a.log': 'x',
      'important.log': 'keep',
      'top.txt': 'anchored: ignored only at the root',
      'src/top.txt': 'kept: /top.txt is anchored',
      'build/out.js': 'dir pattern',
      'src/build': 'a FILE named build is kept: build/ only matches directories',
      'tmp/x': 'dir matched by a bare name',
      'src/tmp': 'file matched by a bare name',
      'docs/a/b/c.draft': 'globstar',
      'docs/a/b/c.md': 'kept',
      'pkg/.gitignore': ['*.gen.js', '!keep.log', '/local.txt'].join('\n'),
      'pkg/x.gen.js': 'nested rule',
      'pkg/x.js': 'kept',
      'pkg/keep.log': 're-included by the deeper negation',
      'pkg/drop.log': 'still ignored by the root rule',
      'pkg/local.txt': 'anchored to pkg/',
      'pkg/sub/local.txt': 'kept: anchored to pkg/ only',
      'pkg/sub/y.gen.js': 'nested rule applies below',
      'other/x.gen.js': 'kept: the nested rule is only for pkg/',
    });
    const { files } = await save(root);
    assert.deepEqual(files, [
      '.gitignore',
      'docs/a/b/c.md',
      'important.log',
      'other/x.gen.js',
      'pkg/.gitignore',
      'pkg/keep.log',
      'pkg/sub/local.txt',
      'pkg/x.js',
      'src/build',
      'src/top.txt',
    ]);
  });

  test('a file inside an ignored directory cannot be re-included (as in git)', async () => {
    const root = writeTree(tempDir(), {
      '.gitignore': 'out/\n!out/keep.js\n',
      'out/keep.js': 'x',
      'a.js': 'y',
    });
    assert.deepEqual((await save(root)).files, ['.gitignore', 'a.js']);
  });

  test('a deeper .gitignore negation overrides a shallower ignore of the directory contents', async () => {
    const root = writeTree(tempDir(), {
      '.gitignore': 'data/*\n',
      'data/.gitignore': '!small.csv\n',
      'data/big.csv': 'x',
      'data/small.csv': 'y',
    });
    // data/.gitignore itself is matched by data/* in the root file, and data/ is still entered (data/* does not
    // exclude the directory), so its negation applies.
    assert.deepEqual((await save(root)).files, ['.gitignore', 'data/small.csv']);
  });

  test('.git is never stored, a .git file (worktree) neither; node_modules not without includeDependencies', async () => {
    const root = writeTree(tempDir(), {
      '.git/HEAD': 'ref: refs/heads/main',
      'sub/.git': 'gitdir: ../.git/worktrees/sub',
      'sub/a.js': 'a',
      'node_modules/dep/index.js': 'x',
      'sub/node_modules/dep/index.js': 'x',
      '.gitignore': '!node_modules\n!.git\n',
    });
    assert.deepEqual((await save(root)).files, ['.gitignore', 'sub/a.js']);
  });

  test('the ignore option adds patterns that win over .gitignore, negations included', async () => {
    const root = writeTree(tempDir(), {
      '.gitignore': 'dist/\n',
      'dist/a.js': 'x',
      'a.test.ts': 'x',
      'src/b.test.ts': 'x',
      'src/b.ts': 'x',
      'README.md': 'x',
      'docs/README.md': 'x',
    });
    const { files, result } = await save(root, { ignore: ['*.test.ts', '/README.md', '!dist/'] });
    assert.deepEqual(files, ['.gitignore', 'dist/a.js', 'docs/README.md', 'src/b.ts']);
    assert.deepEqual(result.manifest.options?.ignore, ['*.test.ts', '/README.md', '!dist/']);
  });
});

describe('filters', () => {
  test('onlyCode keeps JS/TS, JSON, package.json, lockfiles and tsconfig; reports the rest', async () => {
    const root = writeTree(tempDir(), {
      'a.js': 'x',
      'b.mjs': 'x',
      'c.cjs': 'x',
      'd.ts': 'x',
      'e.tsx': 'x',
      'f.mts': 'x',
      'g.cts': 'x',
      'h.jsx': 'x',
      'data.json': '{}',
      'package.json': '{}',
      'package-lock.json': '{}',
      'pnpm-lock.yaml': 'x',
      'yarn.lock': 'x',
      'tsconfig.base.json': '{}',
      'README.md': 'hello',
      'img.png': 'binary!',
      'src/notes.txt': '123',
    });
    const { files, result } = await save(root, { onlyCode: true });
    assert.deepEqual(files, [
      'a.js',
      'b.mjs',
      'c.cjs',
      'd.ts',
      'data.json',
      'e.tsx',
      'f.mts',
      'g.cts',
      'h.jsx',
      'package-lock.json',
      'package.json',
      'pnpm-lock.yaml',
      'tsconfig.base.json',
      'yarn.lock',
    ]);
    assert.equal(result.skipped.count, 3);
    assert.equal(result.skipped.bytes, 5 + 7 + 3);
    assert.deepEqual(
      result.skipped.files.map((s) => [s.path, s.reason]),
      [
        ['README.md', 'only-code'],
        ['img.png', 'only-code'],
        ['src/notes.txt', 'only-code'],
      ],
    );
    assert.deepEqual(result.manifest.skipped, { count: 3, bytes: 15 });
    assert.equal(result.manifest.options?.onlyCode, true);
  });

  test('ignoreLargerThan takes bytes or K/M strings and reports what it skipped', async () => {
    const root = writeTree(tempDir(), {
      'small.js': 'x'.repeat(1024),
      'big.js': 'x'.repeat(1025),
      'huge.bin': Buffer.alloc(2 * 1024 * 1024 + 1),
    });
    const k = await save(root, { ignoreLargerThan: '1K' });
    assert.deepEqual(k.files, ['small.js']);
    assert.deepEqual(
      k.result.skipped.files.map((s) => [s.path, s.size, s.reason]),
      [
        ['big.js', 1025, 'too-large'],
        ['huge.bin', 2 * 1024 * 1024 + 1, 'too-large'],
      ],
    );
    assert.equal(k.result.skipped.bytes, 1025 + 2 * 1024 * 1024 + 1);
    assert.equal(k.result.manifest.options?.ignoreLargerThan, 1024);
    assert.deepEqual((await save(root, { ignoreLargerThan: 1025 })).files, ['big.js', 'small.js']);
    assert.deepEqual((await save(root, { ignoreLargerThan: '3M' })).files, ['big.js', 'huge.bin', 'small.js']);
  });

  test('parseSize: bytes, K, M, G, decimals, KB/KiB; ERR_BAD_SIZE otherwise', () => {
    assert.equal(parseSize(1500), 1500);
    assert.equal(parseSize('1500'), 1500);
    assert.equal(parseSize('100K'), 102400);
    assert.equal(parseSize('100k'), 102400);
    assert.equal(parseSize('100KB'), 102400);
    assert.equal(parseSize('100KiB'), 102400);
    assert.equal(parseSize('1M'), 1048576);
    assert.equal(parseSize('1.5M'), 1572864);
    assert.equal(parseSize('2G'), 2 * 1024 ** 3);
    for (const bad of ['1Q', '', 'M', '-1', '1 2', 'abc']) {
      assert.throws(
        () => parseSize(bad),
        (e: unknown) => isCodesaveError(e) && e.code === 'ERR_BAD_SIZE' && e.message.includes('100K'),
        bad,
      );
    }
    assert.throws(() => parseSize(-1), { code: 'ERR_BAD_SIZE' });
    assert.throws(() => parseSize(Number.NaN), { code: 'ERR_BAD_SIZE' });
  });

  test('checkpoint rejects a bad ignoreLargerThan before writing anything', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x' });
    const out = join(tempDir(), 'x.zip');
    await assert.rejects(checkpoint(root, { output: out, ignoreLargerThan: '1Q' }), { code: 'ERR_BAD_SIZE' });
  });
});

describe('roots, extra libraries and extra files', () => {
  test('extraLibraries (dirs and files) go to the zip root under their own name, with their own .gitignore', async () => {
    const base = tempDir();
    const main = writeTree(join(base, 'app'), { 'main.js': 'x', 'package.json': '{"name":"app"}' });
    const lib = writeTree(join(base, 'helpers'), { 'index.js': 'x', '.gitignore': '*.tmp\n', 'a.tmp': 'x' });
    const single = writeTree(join(base, 'solo'), { 'util.ts': 'x' });
    const { files, result } = await save(main, { extraLibraries: [lib, join(single, 'util.ts')] });
    assert.deepEqual(files, ['helpers/.gitignore', 'helpers/index.js', 'main.js', 'package.json', 'util.ts']);
    assert.deepEqual(result.manifest.roots, ['app', 'helpers', 'util.ts']);
    assert.deepEqual(result.manifest.importNames, ['app', 'helpers', 'util']);
  });

  test('several roots: the first is the project, the others are stored like extra libraries', async () => {
    const base = tempDir();
    const main = writeTree(join(base, 'proj'), { 'a.js': 'x' });
    const lib = writeTree(join(base, 'mylib'), { 'package.json': '{"name":"@me/mylib"}', 'b.js': 'y' });
    const { files, result } = await save([main, lib]);
    assert.deepEqual(files, ['a.js', 'mylib/b.js', 'mylib/package.json']);
    assert.deepEqual(result.manifest.roots, ['proj', 'mylib']);
    assert.deepEqual(result.manifest.importNames, ['@me/mylib']);
  });

  test('extraFiles are stored at the root under their name, whatever the filters say', async () => {
    const base = tempDir();
    const main = writeTree(join(base, 'proj'), { 'a.js': 'x', '.gitignore': '*.md\n' });
    const notes = writeTree(join(base, 'elsewhere'), { 'NOTES.md': 'hello' });
    const { files } = await save(main, { extraFiles: [join(notes, 'NOTES.md')], onlyCode: true });
    assert.deepEqual(
      files,
      ['.gitignore', 'NOTES.md', 'a.js'].filter((f) => f !== '.gitignore'),
    );
  });

  test('two things stored under one name are refused with ERR_BAD_OPTION', async () => {
    const base = tempDir();
    const main = writeTree(join(base, 'proj'), { 'lib/a.js': 'x' });
    const lib = writeTree(join(base, 'lib'), { 'b.js': 'y' });
    const other = writeTree(join(base, 'x/lib'), { 'c.js': 'z' });
    await assert.rejects(save(main, { extraLibraries: [lib, other] }), { code: 'ERR_BAD_OPTION' });
    const solo = writeTree(join(base, 'y'), { 'lib/a.js': 'x', 'a.js': '1' });
    await assert.rejects(save(main, { extraFiles: [join(solo, 'a.js'), join(base, 'proj/lib/a.js')] }), {
      code: 'ERR_BAD_OPTION',
    });
  });
});

describe('symbolic links', () => {
  test('links inside the tree are stored as links; outside ones and ones to excluded targets are skipped', async () => {
    const base = tempDir();
    writeTree(base, { 'outside.js': 'secret' });
    const root = writeTree(join(base, 'proj'), {
      'src/real.js': 'module.exports = 1',
      'src/alias.js': { link: 'real.js' },
      lib: { link: 'src' },
      'abs.js': { link: join(base, 'proj/src/real.js') },
      'escape.js': { link: '../outside.js' },
      'ignored.txt': 'x',
      'to-ignored.js': { link: 'ignored.txt' },
      self: { link: '.' },
      'loop/up': { link: '..' },
      '.gitignore': 'ignored.txt\n',
    });
    const { files, result, out } = await save(root);
    assert.deepEqual(files, ['.gitignore', 'abs.js', 'lib', 'loop/up', 'self', 'src/alias.js', 'src/real.js']);
    assert.deepEqual(
      result.skipped.files.map((s) => [s.path, s.reason]),
      [
        ['escape.js', 'symlink-outside'],
        ['to-ignored.js', 'symlink-target-excluded'],
      ],
    );
    const links = Object.fromEntries(result.manifest.files.filter((f) => f.link).map((f) => [f.path, f.link]));
    assert.deepEqual(links, {
      'abs.js': 'src/real.js',
      lib: 'src',
      'loop/up': '..',
      self: '.',
      'src/alias.js': 'real.js',
    });
    const tree = listTree(extract(out));
    assert.ok(tree.includes('lib -> src'));
    assert.ok(tree.includes('src/alias.js -> real.js'));
    assert.ok(tree.includes('abs.js -> src/real.js'));
  });

  test('a broken link is ERR_BROKEN_SYMLINK, unless ignored', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x', 'dangling.js': { link: 'missing.js' } });
    await assert.rejects(save(root), (e: unknown) => {
      assert.ok(isCodesaveError(e));
      assert.equal(e.code, 'ERR_BROKEN_SYMLINK');
      assert.match(e.message, /dangling\.js.*missing\.js.*remove the link/);
      return true;
    });
    assert.deepEqual((await save(root, { ignore: ['dangling.js'] })).files, ['a.js']);
  });

  test('a link cycle (a -> b -> a) is ERR_BROKEN_SYMLINK, never a hang', async () => {
    const root = writeTree(tempDir(), { a: { link: 'b' }, b: { link: 'a' } });
    await assert.rejects(save(root), { code: 'ERR_BROKEN_SYMLINK' });
  });
});

describe('the output', () => {
  test('an output inside the saved directory is never stored, nor an earlier one, nor a temp file; stale ones are removed', async () => {
    // a temp file of a process that is gone is removed by the next save; one of a live process (pid 1) stays
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const stale = `.snap.zip.${dead}-abcd.codesave-tmp`;
    const root = writeTree(tempDir(), { 'a.js': 'x', [stale]: 'stale', '.snap.zip.1-abcd.codesave-tmp': 'live' });
    const out = join(root, 'snap.zip');
    await checkpoint(root, { output: out });
    const first = storedFiles(out);
    assert.deepEqual(first, ['a.js']);
    writeFileSync(join(root, 'b.js'), 'y');
    const again = await checkpoint(root, { output: out });
    assert.deepEqual(storedFiles(out), ['a.js', 'b.js']);
    assert.equal(again.files, 2);
    assert.deepEqual(listTree(root), ['.snap.zip.1-abcd.codesave-tmp', 'a.js', 'b.js', 'snap.zip']);
  });

  test('default output is codebase.zip in the current directory', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x' });
    const cwd = process.cwd();
    const here = tempDir();
    process.chdir(here);
    try {
      const result = await checkpoint(root);
      assert.equal(result.path, join(here, 'codebase.zip'));
      assert.deepEqual(storedFiles(result.path), ['a.js']);
    } finally {
      process.chdir(cwd);
    }
  });

  test('the project’s own codesave.json is left out and reported (the manifest owns that name)', async () => {
    const root = writeTree(tempDir(), { 'a.js': 'x', 'codesave.json': '{"mine":true}', 'sub/codesave.json': '{}' });
    const { files, result, out } = await save(root);
    assert.deepEqual(files, ['a.js', 'sub/codesave.json']);
    assert.deepEqual(result.skipped.files, [{ path: 'codesave.json', size: 13, reason: 'reserved-name' }]);
    assert.equal(JSON.parse(read(join(extract(out), 'codesave.json'))).formatVersion, 1);
  });

  test('executable bits survive as 0755, everything else is 0644', async () => {
    const root = writeTree(tempDir(), { 'run.sh': '#!/bin/sh\necho hi\n', 'a.js': 'x' });
    chmodSync(join(root, 'run.sh'), 0o750);
    chmodSync(join(root, 'a.js'), 0o600);
    const { result, out } = await save(root);
    assert.deepEqual(
      result.manifest.files.map((f) => [f.path, f.executable ?? false]),
      [
        ['a.js', false],
        ['run.sh', true],
      ],
    );
    assert.deepEqual(zipNames(out), ['a.js', 'run.sh', 'codesave.json']);
  });
});

describe('differential: the same files as git', () => {
  test('checkpoint stores exactly what `git ls-files --others --exclude-standard` lists', async () => {
    const root = writeTree(tempDir(), {
      '.gitignore': [
        '*.log',
        '!keep*.log',
        'build/',
        '/only-root.txt',
        '**/cache',
        'a/**/z.js',
        '*.tmp',
        '\\#hash',
      ].join('\n'),
      'x.log': '',
      'keep-me.log': '',
      'build/a.js': '',
      'src/build/b.js': '',
      'only-root.txt': '',
      'src/only-root.txt': '',
      'cache/c': '',
      'deep/er/cache/d': '',
      'a/z.js': '',
      'a/b/c/z.js': '',
      'a/b/c/y.js': '',
      '#hash': '',
      'f.tmp': '',
      'nested/.gitignore': ['!*.tmp', 'local/', '/anch.js', 'sp ace.js'].join('\n'),
      'nested/g.tmp': '',
      'nested/local/h.js': '',
      'nested/anch.js': '',
      'nested/deeper/anch.js': '',
      'nested/sp ace.js': '',
      'nested/deeper/.gitignore': '*\n!*.js\n!.gitignore\n',
      'nested/deeper/i.js': '',
      'nested/deeper/i.md': '',
      'ok/normal.js': '',
    });
    const { execFileSync } = await import('node:child_process');
    execFileSync('git', ['init', '-q'], { cwd: root });
    const git = execFileSync('git', ['ls-files', '--others', '--exclude-standard', '-z'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\0')
      .filter(Boolean)
      .sort();
    const { files } = await save(root);
    assert.deepEqual(files, git);
    assert.ok(files.includes('nested/g.tmp') && !files.includes('f.tmp'));
  });
});
