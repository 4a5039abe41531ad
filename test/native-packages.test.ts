// Code that leaves JavaScript, with real registry packages: native addons with their libraries (sharp,
// onnxruntime-node), child processes (esbuild-wasm's service, fork/spawn/exec), worker threads (piscina,
// `new Worker(new URL(..., import.meta.url))`). Each is differential: the project natively from disk, then the
// same project from a zip made with includeDependencies.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { assertRealmEqual, checkpoint, isCodesaveError, ZipCodebase } from '../packages/core/src/index.ts';

const WORKSPACE = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-native-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

/**
 * A project folder with `files` and `deps` (name → the workspace package folder it links to), and its zip made
 * with includeDependencies (stored, not deflated: the binaries are large).
 */
async function projectAndZip(
  name: string,
  files: Record<string, string | Uint8Array>,
  deps: Record<string, string>,
  type?: 'module',
): Promise<{ dir: string; zip: string }> {
  const dir = path.join(temp, name);
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  const versions: Record<string, string> = {};
  for (const [dep, from] of Object.entries(deps)) {
    const real = fs.realpathSync(path.join(WORKSPACE, 'node_modules', from));
    versions[dep] = JSON.parse(fs.readFileSync(path.join(real, 'package.json'), 'utf8')).version;
    fs.mkdirSync(path.dirname(path.join(dir, 'node_modules', dep)), { recursive: true });
    fs.symlinkSync(real, path.join(dir, 'node_modules', dep));
  }
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', ...(type ? { type } : {}), dependencies: versions }),
  );
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  const zip = path.join(temp, `${name}.zip`);
  await checkpoint(dir, { output: zip, includeDependencies: true, compressionLevel: 0 });
  return { dir, zip };
}

const SHARP_INDEX = `
const sharp = require('sharp');
const { createHash } = require('crypto');
module.exports = async () => {
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 60 } } })
    .png()
    .toBuffer();
  const out = await sharp(png).resize(16, 12).png().toBuffer();
  const meta = await sharp(out).metadata();
  return { version: sharp.versions.sharp, width: meta.width, height: meta.height, sha256: createHash('sha256').update(out).digest('hex') };
};
`;

describe('native addons with their libraries', () => {
  test('sharp resizes a PNG from a snapshot exactly as natively; the copy on disk is reused and re-checked', async () => {
    const { dir, zip } = await projectAndZip('sharp-project', { 'index.js': SHARP_INDEX }, { sharp: 'sharp' });
    const native = await createRequire(path.join(dir, 'index.js'))('./index.js')();
    assert.deepEqual({ width: native.width, height: native.height }, { width: 16, height: 12 });
    const cacheDir = path.join(temp, 'cache-sharp');

    const first = await ZipCodebase.open(zip, { cacheDir });
    assertRealmEqual(await first.require('./index.js')(), native);
    const files = first.materializedFiles;
    assert.ok(files.directory.startsWith(path.join(cacheDir, 'files') + path.sep));
    assert.ok(files.stats.written > 0);
    // Only the addon's package and the packages it depends on: the project's own files stay in the zip.
    assert.ok(fs.existsSync(path.join(files.directory, 'node_modules/@img/sharp-libvips-linux-x64/package.json')));
    assert.ok(!fs.existsSync(path.join(files.directory, 'index.js')));
    await first.dispose();
    assert.ok(fs.existsSync(files.directory), 'a shared copy stays for the next codebase');

    // A second codebase of the same bytes (another root) reuses the copy after hashing it.
    const copy = path.join(temp, 'sharp-copy.zip');
    fs.copyFileSync(zip, copy);
    const second = await ZipCodebase.open(copy, { cacheDir });
    assertRealmEqual(await second.require('./index.js')(), native);
    assert.equal(second.materializedFiles.directory, files.directory);
    assert.equal(second.materializedFiles.stats.written, 0);
    assert.ok(second.materializedFiles.stats.reused > 0);
    await second.dispose();
  });

  test('a file changed on disk in the copy is not used: it is written again from the verified bytes', async () => {
    const { zip } = await projectAndZip('sharp-tamper', { 'index.js': SHARP_INDEX }, { sharp: 'sharp' });
    const cacheDir = path.join(temp, 'cache-tamper');
    const first = await ZipCodebase.open(zip, { cacheDir });
    const expected = await first.require('./index.js')();
    const dir = first.materializedFiles.directory;
    await first.dispose();
    const lib = fs
      .readdirSync(path.join(dir, 'node_modules/@img/sharp-libvips-linux-x64/lib'))
      .find((f) => f.startsWith('libvips-cpp'))!;
    const libPath = path.join(dir, 'node_modules/@img/sharp-libvips-linux-x64/lib', lib);
    const size = fs.statSync(libPath).size;
    fs.writeFileSync(libPath, Buffer.alloc(size, 0x41));
    const second = await ZipCodebase.open(zip, { cacheDir, root: path.join(temp, 'tamper-root.zip') });
    assertRealmEqual(await second.require('./index.js')(), expected);
    assert.equal(second.materializedFiles.stats.written, 1);
    await second.dispose();
  });

  test('cacheDir: false writes to a private directory removed on dispose', async () => {
    const { zip } = await projectAndZip('sharp-private', { 'index.js': SHARP_INDEX }, { sharp: 'sharp' });
    const cb = await ZipCodebase.open(zip, { cacheDir: false });
    assert.equal((await cb.require('./index.js')()).width, 16);
    const dir = cb.materializedFiles.directory;
    assert.ok(fs.existsSync(dir));
    await cb.dispose();
    assert.ok(!fs.existsSync(dir));
  });

  test('sharp 0.33 and 0.34 side by side in one process, natively and from two snapshots', async () => {
    const v33 = await projectAndZip('sharp-033', { 'index.js': SHARP_INDEX }, { sharp: 'sharp-033' });
    const v34 = await projectAndZip('sharp-034', { 'index.js': SHARP_INDEX }, { sharp: 'sharp' });
    const native = [
      await createRequire(path.join(v33.dir, 'index.js'))('./index.js')(),
      await createRequire(path.join(v34.dir, 'index.js'))('./index.js')(),
    ];
    assert.deepEqual(
      native.map((r) => r.version),
      ['0.33.5', '0.34.5'],
    );
    const cacheDir = path.join(temp, 'cache-side');
    const a = await ZipCodebase.open(v33.zip, { cacheDir });
    const b = await ZipCodebase.open(v34.zip, { cacheDir });
    assertRealmEqual([await a.require('./index.js')(), await b.require('./index.js')()], native);
    await a.dispose();
    await b.dispose();
  });

  test('onnxruntime-node runs a model from a snapshot as natively', async () => {
    const index = `
const ort = require('onnxruntime-node');
const fs = require('fs');
const path = require('path');
module.exports = async () => {
  // The model's bytes: a path under the virtual root means nothing to onnxruntime's own C++ file reading.
  const session = await ort.InferenceSession.create(fs.readFileSync(path.join(__dirname, 'add.onnx')));
  const a = new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [3]);
  const b = new ort.Tensor('float32', Float32Array.from([10, 20, 30.5]), [3]);
  const { y } = await session.run({ a, b });
  return { dims: [...y.dims], data: [...y.data] };
};
`;
    const { dir, zip } = await projectAndZip(
      'onnx-project',
      { 'index.js': index, 'add.onnx': addModel() },
      { 'onnxruntime-node': 'onnxruntime-node' },
    );
    const native = await createRequire(path.join(dir, 'index.js'))('./index.js')();
    assert.deepEqual(native, { dims: [3], data: [11, 22, 33.5] });
    const cb = await ZipCodebase.open(zip, { cacheDir: path.join(temp, 'cache-onnx') });
    assertRealmEqual(await cb.require('./index.js')(), native);
    await cb.dispose();
  });

  test('an addon that fails to load from the copy fails as Node fails, with the real and virtual path known', async () => {
    const { zip } = await projectAndZip('bad-addon', { 'index.js': "require('./x.node')", 'x.node': 'not an ELF' }, {});
    const cb = await ZipCodebase.open(zip, { cacheDir: path.join(temp, 'cache-bad') });
    assert.throws(
      () => cb.require('./index.js'),
      (e: any) => e.code === 'ERR_DLOPEN_FAILED' && !isCodesaveError(e),
    );
    await cb.dispose();
  });
});

/** A legacy (not context-aware) addon: `NODE_MODULE`, which Node can initialise once per process. */
const LEGACY_ADDON = `#include <node.h>
static void Init(v8::Local<v8::Object> exports) {
  v8::Isolate* isolate = exports->GetIsolate();
  exports->Set(isolate->GetCurrentContext(), v8::String::NewFromUtf8(isolate, "name").ToLocalChecked(),
               v8::String::NewFromUtf8(isolate, "legacy").ToLocalChecked()).Check();
}
NODE_MODULE(legacy, Init)
`;

test('an addon Node loads once per process: the second codebase gets a CodesaveError saying why', async (t) => {
  const source = path.join(temp, 'legacy.cc');
  fs.writeFileSync(source, LEGACY_ADDON);
  const built = path.join(temp, 'legacy.node');
  const cc = spawnSync('g++', ['-shared', '-fPIC', '-O1', '-std=c++17', '-I/usr/include/node', source, '-o', built]);
  if (cc.status !== 0) return t.skip('no C++ compiler with Node headers');
  // Natively: a second load of the same file fails (the constructor that registers it runs once).
  const first = { exports: {} as Record<string, unknown> };
  try {
    process.dlopen(first as never, built);
  } catch {
    return t.skip("the installed Node headers are not this Node's ABI");
  }
  assert.equal(first.exports.name, 'legacy');
  assert.throws(() => process.dlopen({ exports: {} } as never, built), /did not self-register/);

  const { zip } = await projectAndZip(
    'legacy-addon',
    { 'index.js': "module.exports = require('./legacy.node').name;", 'legacy.node': fs.readFileSync(built) },
    {},
  );
  const cacheDir = path.join(temp, 'cache-legacy');
  const a = await ZipCodebase.open(zip, { cacheDir });
  const b = await ZipCodebase.open(zip, { cacheDir, root: path.join(temp, 'legacy-b.zip') });
  try {
    assert.equal(a.require('./index.js'), 'legacy');
    assert.throws(
      () => b.require('./index.js'),
      (e: any) => isCodesaveError(e) && e.code === 'ERR_ADDON_NOT_CONTEXT_AWARE' && /once per process/.test(e.message),
    );
  } finally {
    await a.dispose();
    await b.dispose();
  }
});

test('two processes materializing the same snapshot at once both load it', async () => {
  const { zip } = await projectAndZip('sharp-race', { 'index.js': SHARP_INDEX }, { sharp: 'sharp' });
  const cacheDir = path.join(temp, 'cache-race');
  const script = path.join(temp, 'race.mjs');
  fs.writeFileSync(
    script,
    `import { ZipCodebase } from ${JSON.stringify(pathToFileURL(path.join(WORKSPACE, 'packages/core/src/index.ts')).href)};
const cb = await ZipCodebase.open(${JSON.stringify(zip)}, { cacheDir: ${JSON.stringify(cacheDir)} });
console.log((await cb.require('./index.js')()).sha256);
await cb.dispose();
`,
  );
  const run = () =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--conditions=codesave-source', '--import', import.meta.resolve('tsx'), script],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}`))));
    });
  const [x, y] = await Promise.all([run(), run()]);
  assert.match(x, /^[0-9a-f]{64}$/);
  assert.equal(x, y);
  const leftovers = fs.readdirSync(cacheDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(leftovers, []);
});

describe('child processes and workers', () => {
  const files = {
    'index.mjs': `
import { transform } from 'esbuild-wasm';
import { Piscina } from 'piscina';
import { Worker } from 'node:worker_threads';
import { fork, spawnSync, execSync, execFileSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, 'child.cjs');
export async function run() {
  const out = {};
  out.esbuild = (await transform('let x: number = 1', { loader: 'ts' })).code;
  const pool = new Piscina({ filename: new URL('./task.mjs', import.meta.url).href, maxThreads: 1 });
  out.piscina = await pool.run({ a: 2, b: 3 });
  await pool.destroy();
  out.worker = await new Promise((resolve, reject) => {
    const w = new Worker(new URL('./w.mjs', import.meta.url));
    w.once('message', resolve);
    w.once('error', reject);
  });
  out.workerPath = await new Promise((resolve, reject) => {
    const w = new Worker(path.join(here, 'w.mjs'));
    w.once('message', resolve);
    w.once('error', reject);
  });
  out.fork = await new Promise((resolve, reject) => {
    const c = fork(child, ['fork'], { cwd: here, execArgv: [] });
    c.once('message', (m) => { resolve(m); c.kill(); });
    c.once('error', reject);
  });
  out.spawnSync = spawnSync(process.execPath, [child, 'spawnSync'], { cwd: here, encoding: 'utf8' }).stdout.trim();
  out.execSync = execSync(JSON.stringify(process.execPath) + ' ' + child + ' execSync', { encoding: 'utf8' }).trim();
  out.execFileSync = execFileSync(process.execPath, [child, 'execFileSync'], { encoding: 'utf8', cwd: new URL('.', import.meta.url) }).trim();
  out.execFile = (await promisify(execFile)(process.execPath, [child, 'execFile'])).stdout.trim();
  // Only paths under the root are rewritten: an argument that merely contains one is passed as it is.
  out.untouched = spawnSync(process.execPath, ['-e', 'console.log(process.argv[1])', 'x' + here], { encoding: 'utf8' }).stdout.trim() === 'x' + here;
  return out;
}
`,
    'task.mjs': "import { add } from './lib.mjs';\nexport default ({ a, b }) => add(a, b);\n",
    'lib.mjs': 'export const add = (a, b) => a + b;\n',
    'w.mjs':
      "import { parentPort } from 'node:worker_threads';\nimport { add } from './lib.mjs';\nparentPort.postMessage(add(40, 2));\n",
    'child.cjs': `const path = require('path');
const msg = { arg: process.argv[2], cwdIsHere: process.cwd() === __dirname, lib: require('fs').existsSync(path.join(__dirname, 'lib.mjs')) };
if (process.send) process.send(msg); else console.log(JSON.stringify(msg));
`,
  };

  test('esbuild-wasm, piscina, Worker on import.meta.url, fork/spawn/exec: from a snapshot as natively', async () => {
    const { dir, zip } = await projectAndZip(
      'procs',
      files,
      { 'esbuild-wasm': 'esbuild-wasm', piscina: 'piscina' },
      'module',
    );
    const native = await (await import(pathToFileURL(path.join(dir, 'index.mjs')).href)).run();
    assert.equal(native.esbuild, 'let x = 1;\n');
    assert.equal(native.piscina, 5);
    assert.equal(native.untouched, true);
    const cb = await ZipCodebase.open(zip, { cacheDir: path.join(temp, 'cache-procs') });
    const fromZip = await (await cb.import('./index.mjs')).run();
    assertRealmEqual(fromZip, native);
    await cb.dispose();
  });
});

/** A minimal ONNX model (opset 13): y = Add(a, b) on float tensors of shape [3], as protobuf bytes. */
function addModel(): Uint8Array {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return out;
  };
  const field = (no: number, bytes: number[] | string): number[] => {
    const data = typeof bytes === 'string' ? [...Buffer.from(bytes)] : bytes;
    return [...varint((no << 3) | 2), ...varint(data.length), ...data];
  };
  const int = (no: number, n: number): number[] => [...varint(no << 3), ...varint(n)];
  // TypeProto { tensor_type { elem_type: FLOAT, shape { dim { dim_value: 3 } } } }
  const tensorType = field(1, [...int(1, 1), ...field(2, field(1, int(1, 3)))]);
  const valueInfo = (name: string) => [...field(1, name), ...field(2, tensorType)];
  const node = [...field(1, 'a'), ...field(1, 'b'), ...field(2, 'y'), ...field(4, 'Add')];
  const graph = [
    ...field(1, node),
    ...field(2, 'add'),
    ...field(11, valueInfo('a')),
    ...field(11, valueInfo('b')),
    ...field(12, valueInfo('y')),
  ];
  const opset = [...field(1, ''), ...int(2, 13)];
  return Uint8Array.from([...int(1, 7), ...field(7, graph), ...field(8, opset)]);
}
