import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isCodesaveError, Realm, Runtime, ZipCodebase } from '../src/index.ts';
import { createEsmHooks } from '../src/runtime/esm/index.ts';
import { project, zipOf } from './codebase-helpers.ts';

/** The ES module side, wired as the composition root wires it (no disk cache). */
const hooks = (runtime: Runtime) => createEsmHooks(runtime, { cacheDir: false });

test('timeoutMs: an endless top-level loop becomes ERR_TIMEOUT, the process lives, the registry recovers', async () => {
  const zip = await zipOf({
    'loop.js': "require('./ok');\nwhile (true) {}\n",
    'ok.js': 'module.exports = 1;\n',
    'fine.js': "module.exports = require('./ok') + 1;\n",
  });
  await using v1 = await ZipCodebase.open(zip, { timeoutMs: 100 });
  const started = Date.now();
  assert.throws(
    () => v1.require('./loop'),
    (e) => isCodesaveError(e) && e.code === 'ERR_TIMEOUT',
  );
  assert.ok(Date.now() - started < 5000);
  const cache = v1.runtime.cache;
  assert.equal(cache[path.join(v1.root, 'loop.js')], undefined, 'the module that timed out left the cache');
  assert.equal(v1.require('./fine'), 2);
  assert.throws(
    () => v1.require('./loop'),
    (e) => isCodesaveError(e) && e.code === 'ERR_TIMEOUT',
  );
});

test('timeoutMs is validated', async () => {
  const zip = await zipOf({ 'a.js': '' });
  await assert.rejects(
    ZipCodebase.open(zip, { timeoutMs: -1 }),
    (e) => isCodesaveError(e) && e.code === 'ERR_BAD_OPTION',
  );
});

test('cross-realm cases (Jest catalogue) hold inside a ZipCodebase', async () => {
  const zip = await zipOf({
    'checks.js': `
const fs = require('fs');
let fsError;
try { fs.readFileSync(__dirname + '/missing.txt'); } catch (e) { fsError = e; }
let realError;
try { fs.readFileSync('/definitely/not/here'); } catch (e) { realError = e; }
module.exports = {
  bufferIsUint8Array: Buffer.from('x') instanceof Uint8Array,
  encodeIsUint8Array: new TextEncoder().encode('x') instanceof Uint8Array,
  readIsUint8Array: fs.readFileSync(__filename) instanceof Uint8Array,
  fsErrorIsError: fsError instanceof Error && fsError.code === 'ENOENT',
  realFsErrorIsError: realError instanceof Error && realError.code === 'ENOENT',
  jsonArray: JSON.parse('[1]') instanceof Array,
  requiredJsonArray: require('./list.json') instanceof Array && Array.isArray(require('./list.json')),
  moduleIsObject: module instanceof Object,
  exportsIsObject: exports instanceof Object,
  requireIsFunction: require instanceof Function,
  globalSeparate: typeof globalThis.__hostOnly,
};`,
    'list.json': '[1, 2]\n',
  });
  (globalThis as Record<string, unknown>).__hostOnly = true;
  try {
    await using v1 = await ZipCodebase.open(zip);
    assert.deepEqual(
      { ...v1.require('./checks') },
      {
        bufferIsUint8Array: true,
        encodeIsUint8Array: true,
        readIsUint8Array: true,
        fsErrorIsError: true,
        realFsErrorIsError: true,
        jsonArray: true,
        requiredJsonArray: true,
        moduleIsObject: true,
        exportsIsObject: true,
        requireIsFunction: true,
        globalSeparate: 'undefined',
      },
    );
  } finally {
    delete (globalThis as Record<string, unknown>).__hostOnly;
  }
});

test('the runtime runs over the real fs too (a directory as root), in a context or in the host realm', () => {
  const dir = project({
    'main.js': "module.exports = { dep: require('dep'), self: require('me/x'), g: typeof structuredClone };\n",
    'x.js': "module.exports = 'x';\n",
    'package.json': '{ "name": "me", "exports": { "./x": "./x.js" } }\n',
    'node_modules/dep/index.js': "module.exports = 'dep';\n",
  });
  for (const kind of ['context', 'host'] as const) {
    const realm = new Realm({ kind });
    const runtime = new Runtime({ fs, root: dir, realm, hooks });
    const main = runtime.load(path.join(dir, 'main.js'), null, false);
    assert.deepEqual({ ...main }, { dep: 'dep', self: 'x', g: 'function' });
    runtime.dispose();
    realm.dispose();
  }
});

test('resolve(specifier, parent, mode): require vs import rules', () => {
  const dir = project({
    'a.js': '',
    'dir/index.js': '',
    'package.json':
      '{ "name": "r", "type": "commonjs", "imports": { "#c": { "import": "./a.js", "require": "./dir/index.js" } } }\n',
    'node_modules/cond/package.json':
      '{ "name": "cond", "exports": { ".": { "import": "./m.mjs", "require": "./c.js" } } }\n',
    'node_modules/cond/m.mjs': '',
    'node_modules/cond/c.js': '',
  });
  const realm = new Realm({ kind: 'host' });
  const rt = new Runtime({ fs, root: dir, realm, hooks });
  const parent = path.join(dir, 'a.js');
  const r = rt.resolver;
  assert.equal(r.resolve('./dir', parent, 'require'), path.join(dir, 'dir/index.js'));
  assert.throws(() => r.resolve('./dir', parent, 'import'), { code: 'ERR_UNSUPPORTED_DIR_IMPORT' });
  assert.throws(() => r.resolve('./a', parent, 'import'), { code: 'ERR_MODULE_NOT_FOUND' });
  assert.equal(r.resolve('cond', parent, 'require'), path.join(dir, 'node_modules/cond/c.js'));
  assert.equal(r.resolve('cond', parent, 'import'), path.join(dir, 'node_modules/cond/m.mjs'));
  assert.equal(r.resolve('#c', parent, 'import'), path.join(dir, 'a.js'));
  assert.equal(r.resolve('#c', parent, 'require'), path.join(dir, 'dir/index.js'));
  assert.equal(r.resolve('fs', parent, 'import'), 'node:fs');
  assert.throws(() => r.resolve('nope', parent, 'import'), /Cannot find package 'nope' imported from/);
  assert.equal(r.packageType(parent), 'commonjs');
});

test("the context's global looks like Node's: '[object global]', lazy globals settle as the host's do", async () => {
  const kind = (target: object, name: string) => {
    const d = Object.getOwnPropertyDescriptor(target, name);
    if (!d) return 'missing';
    return d.get
      ? `accessor${d.set ? '+set' : ''}${d.enumerable ? ' enumerable' : ''}`
      : `data${d.enumerable ? ' enumerable' : ''}`;
  };
  // Lazy globals the host has not read yet (their kind after a first read is the host's to tell).
  const lazy = [
    'PerformanceMark',
    'MessageChannel',
    'CompressionStream',
    'BroadcastChannel',
    'atob',
    'crypto',
    'process',
  ].filter((name) => Object.getOwnPropertyDescriptor(globalThis, name)?.get);
  const zip = await zipOf({
    'global.js': `
const kind = ${kind.toString()};
const names = ${JSON.stringify(lazy)};
const before = names.map((name) => kind(globalThis, name));
for (const name of names) void globalThis[name];
module.exports = { tag: Object.prototype.toString.call(globalThis), before, after: names.map((name) => kind(globalThis, name)) };`,
  });
  const before = lazy.map((name) => kind(globalThis, name));
  await using v1 = await ZipCodebase.open(zip);
  const inside = v1.require('./global'); // reads the host's too: they are the host's values
  for (const name of lazy) void (globalThis as Record<string, unknown>)[name];
  const after = lazy.map((name) => kind(globalThis, name));
  assert.equal(inside.tag, Object.prototype.toString.call(globalThis));
  assert.equal(inside.tag, '[object global]');
  assert.deepEqual([...inside.before], before);
  assert.deepEqual([...inside.after], after);
});
