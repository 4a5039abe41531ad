// includeDependencies: the production closure from npm's flat layout and pnpm's symlinked .pnpm layout,
// dereferenced into a flat node_modules in the zip that loads with no node_modules on the machine.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { checkpoint } from '@codesave/core';
import { extract, storedFiles, tempDir, writeTree } from './snapshot-helpers.js';

/** A package's files: package.json and an index.js that reports its version and its dependencies' reports. */
function pkg(name: string, version: string, deps: string[] = [], extra: Record<string, string> = {}) {
  return {
    'package.json': JSON.stringify({ name, version, dependencies: Object.fromEntries(deps.map((d) => [d, '*'])) }),
    'index.js': `module.exports = ${JSON.stringify(`${name}@${version}`)} + ${
      deps.length ? `'(' + [${deps.map((d) => `require(${JSON.stringify(d)})`).join(', ')}].join(',') + ')'` : "''"
    };`,
    ...extra,
  };
}

function under(prefix: string, files: Record<string, string>) {
  return Object.fromEntries(Object.entries(files).map(([path, content]) => [`${prefix}/${path}`, content]));
}

const PROJECT = {
  'package.json': JSON.stringify({
    name: 'proj',
    dependencies: { a: '^1', c: '^1', '@scope/s': '^1' },
    optionalDependencies: { 'not-installed': '^1' },
    devDependencies: { dev: '^1' },
  }),
  'main.js': "console.log([require('a'), require('c'), require('@scope/s')].join(' '));",
};

// What main.js prints when every package resolves to the right version.
const EXPECTED = 'a@1.0.0(b@1.0.0(e@1.0.0)) c@1.0.0(b@2.0.0) @scope/s@1.0.0';

function run(dir: string): string {
  return execFileSync(process.execPath, ['main.js'], { cwd: dir, encoding: 'utf8' }).trim();
}

const EXPECTED_FILES = [
  'main.js',
  'node_modules/@scope/s/index.js',
  'node_modules/@scope/s/package.json',
  'node_modules/a/README.md',
  'node_modules/a/index.js',
  'node_modules/a/package.json',
  'node_modules/b/index.js',
  'node_modules/b/package.json',
  'node_modules/c/index.js',
  'node_modules/c/node_modules/b/index.js',
  'node_modules/c/node_modules/b/package.json',
  'node_modules/c/package.json',
  'node_modules/e/index.js',
  'node_modules/e/package.json',
  'package.json',
];

describe('includeDependencies', () => {
  test('npm flat layout: production closure with a nested conflicting version, no devDependencies', async () => {
    const root = writeTree(tempDir(), {
      ...PROJECT,
      ...under('node_modules/a', pkg('a', '1.0.0', ['b'], { 'README.md': 'docs' })),
      ...under('node_modules/b', pkg('b', '1.0.0', ['e'])),
      ...under('node_modules/e', pkg('e', '1.0.0')),
      ...under('node_modules/c', pkg('c', '1.0.0', ['b'])),
      ...under('node_modules/c/node_modules/b', pkg('b', '2.0.0')),
      ...under('node_modules/@scope/s', pkg('@scope/s', '1.0.0')),
      ...under('node_modules/dev', pkg('dev', '1.0.0', ['devonly'])),
      ...under('node_modules/devonly', pkg('devonly', '1.0.0')),
      'node_modules/.package-lock.json': '{}',
    });
    assert.equal(run(root), EXPECTED);
    const zip = join(tempDir(), 's.zip');
    const result = await checkpoint(root, { output: zip, includeDependencies: true, onlyCode: true });
    assert.deepEqual(storedFiles(zip), EXPECTED_FILES);
    assert.equal(result.manifest.options?.includeDependencies, true);
    assert.deepEqual(result.manifest.dependencies, { '@scope/s': '1.0.0', a: '1.0.0', c: '1.0.0', dev: '1.0.0' });
    // Loads where there is no node_modules at all.
    assert.equal(run(extract(zip)), EXPECTED);
  });

  test('pnpm layout: links into .pnpm dereferenced, transitive deps and a cycle, one copy of each package', async () => {
    const root = tempDir();
    const store = (name: string, version: string) =>
      `node_modules/.pnpm/${name.replace('/', '+')}@${version}/node_modules/${name}`;
    writeTree(root, {
      ...PROJECT,
      ...under(store('a', '1.0.0'), pkg('a', '1.0.0', ['b'], { 'README.md': 'docs' })),
      ...under(store('b', '1.0.0'), pkg('b', '1.0.0', ['e'])),
      ...under(store('b', '2.0.0'), pkg('b', '2.0.0')),
      ...under(store('c', '1.0.0'), pkg('c', '1.0.0', ['b'])),
      // e depends back on a: a cycle through the store.
      ...under(store('e', '1.0.0'), {
        ...pkg('e', '1.0.0'),
        'package.json': JSON.stringify({ name: 'e', version: '1.0.0', dependencies: { a: '*' } }),
      }),
      ...under(store('@scope/s', '1.0.0'), pkg('@scope/s', '1.0.0')),
      ...under(store('dev', '1.0.0'), pkg('dev', '1.0.0', ['devonly'])),
      ...under(store('devonly', '1.0.0'), pkg('devonly', '1.0.0')),
      'node_modules/.modules.yaml': 'layoutVersion: 5',
    });
    const link = (from: string, to: string) => {
      const abs = join(root, from);
      mkdirSync(dirname(abs), { recursive: true });
      symlinkSync(relative(dirname(abs), join(root, to)), abs);
    };
    // Top-level links for the direct dependencies (dev ones too, as pnpm installs them).
    for (const [name, version] of [
      ['a', '1.0.0'],
      ['c', '1.0.0'],
      ['@scope/s', '1.0.0'],
      ['dev', '1.0.0'],
    ]) {
      link(`node_modules/${name}`, store(name, version));
    }
    // Each package's dependencies are siblings inside its store directory.
    const sibling = (owner: string, name: string, version: string) =>
      link(`${dirname(store(owner.split('@')[0], owner.split('@')[1]))}/${name}`, store(name, version));
    sibling('a@1.0.0', 'b', '1.0.0');
    sibling('b@1.0.0', 'e', '1.0.0');
    sibling('c@1.0.0', 'b', '2.0.0');
    sibling('e@1.0.0', 'a', '1.0.0');
    sibling('dev@1.0.0', 'devonly', '1.0.0');
    assert.equal(run(root), EXPECTED);

    const zip = join(tempDir(), 's.zip');
    const result = await checkpoint(root, { output: zip, includeDependencies: true });
    assert.deepEqual(storedFiles(zip), EXPECTED_FILES);
    assert.ok(!result.manifest.files.some((f) => f.link), 'links are dereferenced');
    assert.deepEqual(result.manifest.dependencies, { '@scope/s': '1.0.0', a: '1.0.0', c: '1.0.0', dev: '1.0.0' });
    assert.equal(run(extract(zip)), EXPECTED);
  });

  test('filters apply to dependencies too: ignore patterns and ignoreLargerThan (reported)', async () => {
    const root = writeTree(tempDir(), {
      'package.json': JSON.stringify({ name: 'p', dependencies: { a: '1' } }),
      ...under('node_modules/a', pkg('a', '1.0.0', [], { 'README.md': 'docs', 'big.wasm': 'x'.repeat(2000) })),
    });
    const zip = join(tempDir(), 's.zip');
    const result = await checkpoint(root, {
      output: zip,
      includeDependencies: true,
      ignore: ['*.md'],
      ignoreLargerThan: 1000,
    });
    assert.deepEqual(storedFiles(zip), ['node_modules/a/index.js', 'node_modules/a/package.json', 'package.json']);
    assert.deepEqual(result.skipped.files, [{ path: 'node_modules/a/big.wasm', size: 2000, reason: 'too-large' }]);
  });

  test('tsconfig bases the project extends come along, devDependencies or not, through relative configs too', async () => {
    const root = writeTree(tempDir(), {
      'package.json': JSON.stringify({ name: 'p', devDependencies: { '@cfg/base': '1', other: '1' } }),
      'tsconfig.json': '// JSONC\n{ "extends": ["./configs/app.json", "@cfg/base/strict"], }',
      'configs/app.json': JSON.stringify({ extends: 'plain-base' }),
      ...under('node_modules/@cfg/base', {
        'package.json': '{"name":"@cfg/base","version":"2.0.0"}',
        'strict.json': '{}',
      }),
      ...under('node_modules/plain-base', {
        'package.json': '{"name":"plain-base","version":"1.0.0"}',
        'tsconfig.json': '{}',
      }),
      ...under('node_modules/other', pkg('other', '1.0.0')),
    });
    const zip = join(tempDir(), 's.zip');
    await checkpoint(root, { output: zip, includeDependencies: true });
    assert.deepEqual(storedFiles(zip), [
      'configs/app.json',
      'node_modules/@cfg/base/package.json',
      'node_modules/@cfg/base/strict.json',
      'node_modules/plain-base/package.json',
      'node_modules/plain-base/tsconfig.json',
      'package.json',
      'tsconfig.json',
    ]);
  });

  test('a dependency that is not installed: ERR_DEPENDENCY_NOT_FOUND saying to install', async () => {
    const root = writeTree(tempDir(), {
      'package.json': JSON.stringify({ name: 'p', dependencies: { a: '1' } }),
      ...under('node_modules/a', pkg('a', '1.0.0', ['missing'])),
    });
    await assert.rejects(checkpoint(root, { output: join(tempDir(), 's.zip'), includeDependencies: true }), {
      code: 'ERR_DEPENDENCY_NOT_FOUND',
      message: /a@1\.0\.0 depends on "missing", which is not installed; run your package manager's install/,
    });
    // Without includeDependencies the same project saves fine.
    await checkpoint(root, { output: join(tempDir(), 's.zip') });
  });
  test('a dependency name that is not a package name ("../../..") never leads the save out of node_modules', async () => {
    for (const name of ['../../..', '.', '@scope', 'a/b', '..\\x', '@s/../..']) {
      const root = writeTree(tempDir(), {
        'package.json': JSON.stringify({ name: 'p', dependencies: { a: '1' } }),
        ...under('node_modules/a', {
          'package.json': JSON.stringify({ name: 'a', version: '1.0.0', dependencies: { [name]: '1' } }),
          'index.js': '',
        }),
      });
      await assert.rejects(checkpoint(root, { output: join(tempDir(), 's.zip'), includeDependencies: true }), {
        code: 'ERR_DEPENDENCY_NOT_FOUND',
        message: /which is not a package name; fix its package.json/,
      });
    }
  });
});
