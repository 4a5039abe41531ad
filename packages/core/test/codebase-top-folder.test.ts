// Zips made by other tools with the project in one folder (`zip -r proj.zip proj`, the Python tool's
// UniqueCodebase prefix layout): without a codesave.json at the root, that folder is the root.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { checkpoint, ZipCodebase } from '../src/index.ts';
import { project, tmpDir } from './codebase-helpers.ts';

const base = tmpDir();
after(() => fs.rmSync(base, { recursive: true, force: true }));

/** `cd parent && zip -r <name>.zip <args>` */
function zipR(parent: string, name: string, ...args: string[]): string {
  execFileSync('zip', ['-qr', `${name}.zip`, ...args], { cwd: parent });
  return path.join(parent, `${name}.zip`);
}

const files = {
  'src/model.js': "exports.score = (x) => x * require('./weight.json').w;\n",
  'src/weight.json': '{ "w": 3 }\n',
  'src/esm.mjs': "export { score } from './model.js';\n",
};

test('zip -r proj.zip proj: proj is the root, and the manifest says so', async () => {
  const parent = fs.mkdtempSync(path.join(base, 'a-'));
  project(files, path.join(parent, 'proj'));
  const zip = zipR(parent, 'proj', 'proj');
  await using cb = await ZipCodebase.open(zip);
  assert.equal(cb.manifest.topLevelFolder, 'proj');
  assert.equal((await cb._from('src', 'model')).score(2), 6);
  assert.equal((await cb.import('src/esm.mjs')).score(1), 3);
  assert.equal(cb.require('./src/model').score(1), 3);
  assert.ok(cb.manifest.files.some((f) => f.path === 'src/model.js'));
  assert.equal(cb.fs.readFileSync(path.join(cb.root, 'src/weight.json'), 'utf8'), '{ "w": 3 }\n');
});

test('not taken as the root: files beside the folder, two folders, or a codesave snapshot', async () => {
  const parent = fs.mkdtempSync(path.join(base, 'b-'));
  project({ ...files, 'README.md': 'x' }, path.join(parent, 'two'));
  project(files, path.join(parent, 'other'));
  const two = zipR(parent, 'two', 'two', 'other');
  await using a = await ZipCodebase.open(two);
  assert.equal(a.manifest.topLevelFolder, undefined);
  assert.equal((await a._from('two/src', 'model')).score(1), 3);

  const inner = path.join(parent, 'two');
  const beside = zipR(inner, 'beside', 'src', 'README.md');
  await using b = await ZipCodebase.open(beside);
  assert.equal(b.manifest.topLevelFolder, undefined);

  // a codesave snapshot of a project that is one folder keeps its own layout (its codesave.json is at the root)
  const onlyFolder = project({ 'lib/a.js': 'exports.a = 1;\n' }, path.join(parent, 'one'));
  const snap = path.join(parent, 'snap.zip');
  await checkpoint(onlyFolder, { output: snap });
  await using c = await ZipCodebase.open(snap);
  assert.equal(c.manifest.topLevelFolder, undefined);
  assert.equal(c.require('./lib/a').a, 1);
});

test('a codesave snapshot unzipped and zipped again in its folder: the folder is the root, its manifest is read and verified', async () => {
  const parent = fs.mkdtempSync(path.join(base, 'c-'));
  const dir = project(files, path.join(parent, 'p'));
  const snap = path.join(parent, 'snap.zip');
  await checkpoint(dir, { output: snap });
  const unpacked = path.join(parent, 'unpacked');
  fs.mkdirSync(unpacked);
  execFileSync('unzip', ['-q', snap, '-d', path.join(unpacked, 'run-1')]);
  const zip = zipR(unpacked, 'again', 'run-1');
  await using cb = await ZipCodebase.open(zip);
  assert.equal(cb.manifest.topLevelFolder, 'run-1');
  assert.equal(cb.manifest.tool.name, 'codesave');
  assert.equal((await cb._from('src', 'model')).score(1), 3);
});
