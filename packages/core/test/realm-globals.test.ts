// Globals a codebase patches the way polyfills and instrumentation do change nothing in the host or in another
// codebase, and nothing stays after dispose; process.getBuiltinModule answers as the codebase's require. Buffer
// and typed-array prototypes are the documented exception (docs/realm.md): measured here as they are.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ZipCodebase } from '../src/index.ts';
import { tmpDir, zipOf } from './codebase-helpers.ts';

const PATCHER = `
const marks = [];
const log = console.log;
console.log = (...args) => marks.push(args.join(' '));
console.error = () => {};
setTimeout.patched = 'yes';
setInterval.__promisify__ = 'patched';
const hostSetTimeout = setTimeout;
globalThis.setTimeout = (fn, ms, ...a) => hostSetTimeout(fn, ms, ...a);
URL.prototype.patched = function () { return 'url'; };
URL.canParse = () => 'patched';
URLSearchParams.prototype.patched = 1;
TextEncoder.prototype.encode = () => 'patched';
TextDecoder.prototype.patched = 1;
console.log('captured');
module.exports = {
  marks,
  encode: new TextEncoder().encode('x'),
  url: new URL('http://a').patched(),
  fromBuiltin: typeof require('url').pathToFileURL('/x').patched,
  log,
};
`;

test('patches to console, timers, URL, URLSearchParams, TextEncoder/Decoder stay in the codebase', async () => {
  const zip = await zipOf({ 'patch.js': PATCHER, 'look.js': LOOK });
  const hostLog = console.log;
  const a = await ZipCodebase.open(zip);
  const b = await ZipCodebase.open(zip);
  const patched = a.require('./patch.js');
  assert.deepEqual([...patched.marks], ['captured']);
  assert.equal(patched.encode, 'patched');
  assert.equal(patched.url, 'url');
  // A URL made by a host builtin keeps the host's prototype: the patch does not reach it (docs/realm.md).
  assert.equal(patched.fromBuiltin, 'undefined');
  assert.equal(patched.log, hostLog, "the codebase's console writes through the host's");

  const clean = {
    log: console.log === hostLog,
    timeoutMark: (setTimeout as any).patched,
    promisify: typeof (setInterval as any).__promisify__,
    urlPatched: (URL.prototype as any).patched,
    canParse: typeof URL.canParse === 'function' ? URL.canParse('http://a') : true,
    paramsPatched: (URLSearchParams.prototype as any).patched,
    encoderIsNative:
      TextEncoder.prototype.encode.toString().includes('native') || new TextEncoder().encode('x') instanceof Uint8Array,
    decoderPatched: (TextDecoder.prototype as any).patched,
  };
  assert.deepEqual(clean, {
    log: true,
    timeoutMark: undefined,
    promisify: 'undefined',
    urlPatched: undefined,
    canParse: true,
    paramsPatched: undefined,
    encoderIsNative: true,
    decoderPatched: undefined,
  });
  // The other codebase of the same zip sees none of it.
  assert.deepEqual({ ...b.require('./look.js') }, UNPATCHED);
  await a.dispose();
  assert.deepEqual({ ...b.require('./look.js') }, UNPATCHED);
  await b.dispose();
});

const LOOK = `
module.exports = {
  timeoutMark: setTimeout.patched,
  urlPatched: typeof URL.prototype.patched,
  canParse: URL.canParse === undefined || URL.canParse('http://a'),
  encode: new TextEncoder().encode('x') instanceof Uint8Array,
  consoleOwn: Object.hasOwn(console, 'log') && console.log.name,
};
`;
const UNPATCHED = {
  timeoutMark: undefined,
  urlPatched: 'undefined',
  canParse: true,
  encode: true,
  consoleOwn: 'log',
};

test("Buffer and typed-array prototypes are the host's (the documented exception): a patch reaches the host", async () => {
  const zip = await zipOf({
    'buffer.js': `
      Buffer.prototype.codesaveMark = 'buffer';
      Uint8Array.prototype.codesaveMark2 = 'u8';
      module.exports = [Buffer.from('x') instanceof Uint8Array, new TextEncoder().encode('x') instanceof Uint8Array];
    `,
  });
  const cb = await ZipCodebase.open(zip);
  try {
    assert.deepEqual([...cb.require('./buffer.js')], [true, true]);
    assert.equal((Buffer.from('y') as any).codesaveMark, 'buffer');
    assert.equal((new Uint8Array(1) as any).codesaveMark2, 'u8');
  } finally {
    delete (Buffer.prototype as any).codesaveMark;
    delete (Uint8Array.prototype as any).codesaveMark2;
    await cb.dispose();
  }
});

test('process.getBuiltinModule inside a codebase gives its own fs and module; the host keeps its own', async (t) => {
  if (typeof (process as any).getBuiltinModule !== 'function')
    return t.skip('this Node has no process.getBuiltinModule');
  const zip = await zipOf({
    'index.js': `
      const fs = process.getBuiltinModule('fs');
      module.exports = {
        own: fs.readFileSync(__filename, 'utf8').includes('getBuiltinModule'),
        same: fs === require('fs') && process.getBuiltinModule('node:module') === require('module'),
        host: process.getBuiltinModule('node:path') === require('path'),
      };
      process.getBuiltinModule = () => 'patched';
      module.exports.patched = process.getBuiltinModule('fs');
    `,
  });
  const cb = await ZipCodebase.open(zip);
  assert.deepEqual({ ...cb.require('./index.js') }, { own: true, same: true, host: true, patched: 'patched' });
  assert.equal((process as any).getBuiltinModule('fs'), fs, "the host's answer is unchanged, and its function");
  await cb.dispose();
});

test('the transform cache is written when the host ends with process.exit()', async () => {
  const dir = tmpDir('codesave-exit-');
  try {
    const zip = await zipOf({ 'index.ts': 'export const n: number = 1;\n' });
    const cacheDir = path.join(dir, 'cache');
    const src = pathToFileURL(fileURLToPath(new URL('../src/index.ts', import.meta.url))).href;
    const script = path.join(dir, 'host.mjs');
    fs.writeFileSync(
      script,
      `import { ZipCodebase } from ${JSON.stringify(src)};
const cb = await ZipCodebase.open(${JSON.stringify(zip)}, { cacheDir: ${JSON.stringify(cacheDir)} });
console.log((await cb.import('./index.ts')).n);
process.exit(0);
`,
    );
    const run = spawnSync(
      process.execPath,
      ['--conditions=codesave-source', '--import', import.meta.resolve('tsx'), script],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, '1\n');
    const written = fs.readdirSync(cacheDir, { recursive: true, encoding: 'utf8' }).filter((f) => !f.endsWith('.tmp'));
    assert.ok(
      written.some((f) => fs.statSync(path.join(cacheDir, f)).isFile()),
      `a pack was written: ${written}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
