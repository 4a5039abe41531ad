// Bare names of extra libraries saved beside the project (`extraLibraries: ['../shared']`) resolve to them,
// as the Python tool's zip root on sys.path makes `import shared` work.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { checkpoint, ZipCodebase } from '../src/index.ts';
import { project, tmpDir } from './codebase-helpers.ts';

test('require/import of an extra library by its name; node_modules first; other top-level folders are not names', async () => {
  const parent = tmpDir();
  const app = project(
    {
      'src/index.js':
        "exports.util = require('shared/util').name;\nexports.main = require('shared').main;\nexports.one = require('one').one;\n",
      'src/esm.mjs':
        "import { name } from 'shared/util.js';\nimport shared from 'shared';\nexport const both = [name, shared.main];\n",
      'src/pkg.js': "module.exports = require('vendored').from;\n",
      'src/nope.js': "require('src/index');\n",
      'node_modules/vendored/index.js': "exports.from = 'node_modules';\n",
      'node_modules/vendored/package.json': '{ "name": "vendored", "version": "1.0.0" }\n',
      'package.json': '{ "name": "app", "dependencies": { "vendored": "1.0.0" } }\n',
    },
    path.join(parent, 'app'),
  );
  project(
    { 'util.js': "exports.name = 'shared util';\n", 'index.js': "exports.main = 'shared main';\n" },
    path.join(parent, 'shared'),
  );
  project({ 'index.js': "exports.from = 'extra library';\n" }, path.join(parent, 'vendored'));
  fs.writeFileSync(path.join(parent, 'one.js'), 'exports.one = 1;\n');
  const zip = path.join(parent, 'out.zip');
  await checkpoint(app, {
    output: zip,
    extraLibraries: [path.join(parent, 'shared'), path.join(parent, 'one.js'), path.join(parent, 'vendored')],
    includeDependencies: true,
  });
  for (const root of ['shared/util.js', 'one.js', 'vendored/index.js']) {
    assert.ok(
      (await ZipCodebase.open(zip)).manifest.files.some((f) => f.path === root),
      root,
    );
  }
  await using cb = await ZipCodebase.open(zip);
  assert.deepEqual({ ...cb.require('./src/index.js') }, { util: 'shared util', main: 'shared main', one: 1 });
  assert.deepEqual([...(await cb.import('src/esm.mjs')).both], ['shared util', 'shared main']);
  // a package in node_modules is found first (Node's walk-up), as NODE_PATH comes after it
  assert.equal(cb.require('./src/pkg.js'), 'node_modules');
  // the project's own folders are not bare names
  assert.throws(
    () => cb.require('./src/nope.js'),
    (e: any) => e.code === 'MODULE_NOT_FOUND',
  );
});
