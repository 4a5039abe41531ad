// Verification that scales with what runs (issue 14): by default the manifest and the zip's listing are checked
// at open and each entry's sha256 the first time anything reads it — module loaders, JSON, the fs view (sync,
// callbacks, promises, streams, descriptors), files written for child processes and addons, another archive's
// shared contents — before its bytes are used. `verify: 'all'` checks everything at open; `verify: false` nothing.
//
// Every tampered zip here keeps valid CRC-32s and sizes (it is rebuilt with the changed bytes), so only the sha256
// can catch the change; each tampered module has a side effect that shows whether it ran.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { archiveMismatches, openArchive, readArchiveManifest, verifyArchive } from '../src/archive/index.ts';
import { clearSharedContents } from '../src/archive/shared-contents.ts';
import { Codebase, checkpoint, ZipCodebase } from '../src/index.ts';
import { type Entry, zipBytes } from './archive-zipbytes.ts';
import { tmpDir, zipOf } from './codebase-helpers.ts';
import { writeTree } from './snapshot-helpers.ts';

/** `text` padded with spaces to `length` bytes: the same size as the file it replaces (sizes are checked at open). */
function sameSize(text: string, length: number): string {
  assert.ok(Buffer.byteLength(text) <= length, `'${text}' must fit in ${length} bytes`);
  return text + ' '.repeat(length - Buffer.byteLength(text));
}

/**
 * The snapshot of `files` rebuilt with `changes` (path → new text, padded to the old size; `null` removes the
 * entry) and `extra` entries added: the manifest is the original one, every CRC-32 is valid.
 */
async function tamper(
  files: Record<string, string>,
  changes: Record<string, string | null>,
  extra: Entry[] = [],
): Promise<Buffer> {
  const archive = await openArchive(await zipOf(files));
  try {
    const entries: Entry[] = [];
    for (const entry of archive.entries.values()) {
      if (entry.type === 'directory') continue;
      const change = changes[entry.name];
      if (change === null) continue;
      const data = change === undefined ? archive.read(entry.name) : sameSize(change, entry.size);
      entries.push({ name: entry.name, data, type: entry.type === 'symlink' ? 'symlink' : 'file' });
    }
    return zipBytes([...entries, ...extra]);
  } finally {
    archive.close();
  }
}

const global = (codebase: ZipCodebase) => codebase.runtime.realm.global as Record<string, unknown>;

/** An ERR_ZIP_HASH_MISMATCH naming `file`, in the message style of verification at open. */
const mismatchOf =
  (file: string, problem = /has a different sha256/) =>
  (error: unknown) => {
    const e = error as { code?: string; details?: { path?: string }; message?: string };
    assert.equal(e.code, 'ERR_ZIP_HASH_MISMATCH', String(e.message));
    assert.equal(e.details?.path, file);
    assert.ok(e.message!.includes(`'${file}' `), e.message);
    assert.match(e.message!, problem);
    assert.match(e.message!, /so the zip is not the snapshot its codesave\.json describes/);
    return true;
  };

test("a changed file nothing reads: open and run succeed by default; verify: 'all' refuses it at open", async () => {
  const files = { 'index.js': 'module.exports = "GOOD";\n', 'unused.js': 'module.exports = "GOOD";\n' };
  const zip = await tamper(files, { 'unused.js': 'globalThis.ran = "EVIL";' });
  await using codebase = await ZipCodebase.open(zip);
  assert.equal(codebase.require('./index'), 'GOOD');
  await assert.rejects(ZipCodebase.open(zip, { verify: 'all' }), mismatchOf('unused.js'));
  // once something reads it, it is refused
  assert.throws(() => codebase.require('./unused'), mismatchOf('unused.js'));
  assert.equal(global(codebase).ran, undefined);
});

test('a changed module is refused when required, before it runs; the files before it ran, later ones did not', async () => {
  const files = {
    'index.js': "globalThis.order = ['index']; require('./a'); require('./evil'); require('./b');\n",
    'a.js': "globalThis.order.push('a');\n",
    'evil.js': "globalThis.order.push('evil-good');\n",
    'b.js': "globalThis.order.push('b');\n",
  };
  const zip = await tamper(files, { 'evil.js': "globalThis.order.push('EVIL');" });
  await using codebase = await ZipCodebase.open(zip);
  assert.throws(() => codebase.require('./index'), mismatchOf('evil.js'));
  assert.deepEqual([...(global(codebase).order as string[])], ['index', 'a']);
  // every later touch is refused too (nothing is cached from a failed check)
  assert.throws(() => codebase.require('./evil'), mismatchOf('evil.js'));
});

test('verify: false runs the changed bytes', async () => {
  const zip = await tamper({ 'evil.js': 'globalThis.ran = "GOOD";\n' }, { 'evil.js': 'globalThis.ran = "EVIL";' });
  await using codebase = await ZipCodebase.open(zip, { verify: false });
  codebase.require('./evil');
  assert.equal(global(codebase).ran, 'EVIL');
});

test('ES modules: a changed import is refused before it evaluates, even with its transform cached under the same sha256', async () => {
  const files = {
    'entry.mjs': "import './dep.mjs';\nglobalThis.entryRan = true;\nexport const ok = 1;\n",
    'dep.mjs': 'globalThis.depRan = "GOOD";\nexport {};\n',
    'late.mjs': `export const late = "GOOD";\n${' '.repeat(40)}\n`,
    'dyn.mjs': 'export const load = () => import("./late.mjs");\n',
  };
  const good = await zipOf(files);
  // the good snapshot first: its transforms are cached in memory (and on disk) keyed by the manifest's sha256
  {
    await using codebase = await ZipCodebase.open(good);
    assert.equal((await codebase.import('./entry.mjs')).ok, 1);
    assert.equal((await (await codebase.import('./dyn.mjs')).load()).late, 'GOOD');
  }
  const zip = await tamper(files, {
    'dep.mjs': 'globalThis.depRan = "EVIL"; export {};',
    'late.mjs': 'globalThis.lateRan = "EVIL"; export const late = 2;',
  });
  await using codebase = await ZipCodebase.open(zip);
  await assert.rejects(codebase.import('./entry.mjs'), mismatchOf('dep.mjs'));
  assert.equal(global(codebase).depRan, undefined);
  assert.equal(global(codebase).entryRan, undefined);
  // a dynamic import() from code that runs
  const dyn = await codebase.import('./dyn.mjs');
  await assert.rejects(dyn.load(), mismatchOf('late.mjs'));
  assert.equal(global(codebase).lateRan, undefined);
});

test('data: a changed JSON file (require and import) or wasm file is refused when loaded', async () => {
  // the smallest valid wasm module: magic and version
  const wasm = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]).toString('latin1');
  const files = {
    'data.json': '{"who":"GOOD"}\n',
    'other.json': '{"who":"GOOD"}\n',
    'load.js':
      "const fs = require('fs');\nexports.wasm = () => WebAssembly.compile(fs.readFileSync(require.resolve('./m.wasm')));\n",
    'm.wasm': wasm,
  };
  const zip = await tamper(files, { 'data.json': '{"who":"EVIL"}', 'other.json': '{"who":"EVIL"}', 'm.wasm': '\0asm' });
  await using codebase = await ZipCodebase.open(zip);
  assert.throws(() => codebase.require('./data.json'), mismatchOf('data.json'));
  await assert.rejects(codebase.import('./other.json'), mismatchOf('other.json'));
  assert.throws(() => codebase.require('./load').wasm(), mismatchOf('m.wasm'));
});

test('the fs view: sync, callback, promise, stream and descriptor reads of a changed file are refused', async () => {
  const names = ['sync', 'callback', 'promise', 'stream', 'fd', 'user'].map((n) => `${n}.txt`);
  const files: Record<string, string> = { 'ok.txt': 'GOOD\n' };
  for (const name of names) files[name] = 'GOOD\n';
  const zip = await tamper(files, Object.fromEntries(names.map((name) => [name, 'EVIL'])));
  await using codebase = await ZipCodebase.open(zip);
  const fsv = codebase.fs;
  const at = (name: string) => path.join(codebase.root, name);
  assert.throws(() => fsv.readFileSync(at('sync.txt')), mismatchOf('sync.txt'));
  await assert.rejects(
    new Promise((resolve, reject) =>
      fsv.readFile(at('callback.txt'), (error: unknown, data: unknown) => (error ? reject(error) : resolve(data))),
    ),
    mismatchOf('callback.txt'),
  );
  await assert.rejects(fsv.promises.readFile(at('promise.txt')), mismatchOf('promise.txt'));
  await assert.rejects(
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      fsv
        .createReadStream(at('stream.txt'))
        .on('data', (chunk: Buffer) => chunks.push(chunk))
        .on('error', reject)
        .on('end', () => resolve(Buffer.concat(chunks)));
    }),
    mismatchOf('stream.txt'),
  );
  assert.throws(() => {
    const fd = fsv.openSync(at('fd.txt'), 'r');
    try {
      const buf = Buffer.alloc(5);
      fsv.readSync(fd, buf, 0, 5, 0);
      return buf;
    } finally {
      fsv.closeSync(fd);
    }
  }, mismatchOf('fd.txt'));
  // the codebase's own `fs`, from inside
  fsv.writeFileSync(
    at('reader.js'),
    "module.exports = () => require('fs').readFileSync(__dirname + '/user.txt', 'utf8');",
  );
  assert.throws(() => codebase.require('./reader')(), mismatchOf('user.txt'));
  // an unchanged file still reads
  assert.equal(fsv.readFileSync(at('ok.txt'), 'utf8'), 'GOOD\n');
});

test('at open, by default: a manifest whose contentHash is stale, an unlisted entry, a missing file, a changed size, a retargeted symlink', async () => {
  const files = { 'a.js': 'module.exports = 1;\n', 'b.js': 'module.exports = 2;\n' };
  const zip = await zipOf(files);
  const archive = await openArchive(zip);
  const manifestText = archive.read('codesave.json').toString('utf8');
  archive.close();
  const entries = (manifest: string, rest: Entry[]) => zipBytes([{ name: 'codesave.json', data: manifest }, ...rest]);
  const a = { name: 'a.js', data: files['a.js'] };
  const b = { name: 'b.js', data: files['b.js'] };
  // a file rewritten together with its sha256: the manifest's own hash over its list no longer matches
  const manifest = JSON.parse(manifestText);
  const evil = 'module.exports = 9;\n';
  manifest.files.find((f: { path: string }) => f.path === 'a.js').sha256 = createHash('sha256')
    .update(evil)
    .digest('hex');
  await assert.rejects(
    ZipCodebase.open(entries(JSON.stringify(manifest), [{ name: 'a.js', data: evil }, b])),
    (e: any) =>
      e.code === 'ERR_ZIP_HASH_MISMATCH' && e.details.path === 'codesave.json' && /contentHash/.test(e.message),
  );
  const refused = (file: string, problem: RegExp) => (e: any) =>
    e.code === 'ERR_ZIP_HASH_MISMATCH' && e.details.path === file && problem.test(e.message);
  await assert.rejects(
    ZipCodebase.open(entries(manifestText, [a, b, { name: 'extra.js', data: 'globalThis.x = 1;' }])),
    refused('extra.js', /is in the zip but not listed in the manifest/),
  );
  await assert.rejects(
    ZipCodebase.open(entries(manifestText, [a])),
    refused('b.js', /listed in the manifest but missing/),
  );
  await assert.rejects(
    ZipCodebase.open(entries(manifestText, [a, { name: 'b.js', data: 'module.exports = 22;\n' }])),
    refused('b.js', /has 21 bytes, not 20/),
  );
  // a symlink pointing elsewhere than the manifest says is refused at open even if nothing follows it
  const root = writeTree(path.join(tmpDir(), 'linked'), {
    'a.js': files['a.js'],
    'b.js': files['b.js'],
    'l.js': { link: 'a.js' },
  });
  const linked = path.join(path.dirname(root), 'linked.zip');
  await checkpoint(root, { output: linked });
  const withLink = await openArchive(linked);
  const linkManifest = withLink.read('codesave.json').toString('utf8');
  assert.equal(withLink.entries.get('l.js')?.type, 'symlink');
  withLink.close();
  const link = (target: string): Entry => ({ name: 'l.js', data: target, type: 'symlink', method: 0 });
  await using good = await ZipCodebase.open(entries(linkManifest, [a, b, link('a.js')]));
  assert.equal(good.require('./l.js'), 1);
  await assert.rejects(
    ZipCodebase.open(entries(linkManifest, [a, b, link('b.js')])),
    refused('l.js', /links to 'b\.js', not 'a\.js'/),
  );
});

test('files written to disk for a child process or an addon come only from verified bytes', async () => {
  const marker = path.join(tmpDir(), 'ran');
  const files = {
    'index.js': [
      "const { execFileSync } = require('child_process');",
      "module.exports = () => execFileSync(process.execPath, [require('path').join(__dirname, 'child.js')]).toString();",
    ].join('\n'),
    'child.js': `require('fs').writeFileSync(${JSON.stringify(marker)}, 'GOOD'); console.log('GOOD');\n`,
    'lib/package.json': '{ "name": "lib" }\n',
    'lib/addon.node': 'GOOD-ADDON-BYTES\n',
  };
  const zip = await tamper(files, {
    'child.js': `require('fs').writeFileSync(${JSON.stringify(marker)}, 'EVIL');`,
    'lib/addon.node': 'EVIL-ADDON',
  });
  const cacheDir = tmpDir();
  await using codebase = await Codebase.open(zip, { cacheDir });
  assert.throws(() => codebase.require('./index')(), mismatchOf('child.js'));
  assert.equal(fs.existsSync(marker), false, 'the changed child never ran');
  // an addon's package is written before dlopen: refused, and nothing with the changed bytes is left on disk
  const addon = path.join(codebase.root, 'lib', 'addon.node');
  assert.throws(() => codebase.materializedFiles.realPath(addon, 'package'), mismatchOf('lib/addon.node'));
  const written = path.join(codebase.materializedFiles.directory, 'lib', 'addon.node');
  assert.equal(fs.existsSync(written), false);
  for (const entry of fs.readdirSync(codebase.materializedFiles.directory, { recursive: true }))
    assert.doesNotMatch(String(entry), /\.tmp$/, 'no temporary file is left');
});

test('contents shared across archives: bytes inflated for an unverified archive are still checked for a verified one', async () => {
  clearSharedContents();
  const zip = await tamper({ 'evil.js': 'globalThis.ran = "GOOD";\n' }, { 'evil.js': 'globalThis.ran = "EVIL";' });
  // verify: false reads (and shares) the changed bytes first
  await using open = await ZipCodebase.open(zip, { verify: false });
  open.require('./evil');
  assert.equal(global(open).ran, 'EVIL');
  // the same compressed bytes in a verified archive: the shared buffer is served, and refused
  await using checked = await ZipCodebase.open(zip);
  assert.throws(() => checked.require('./evil'), mismatchOf('evil.js'));
  assert.equal(global(checked).ran, undefined);
});

test('the archive checks each entry once, at its first read, and keeps the checked bytes; checkedDigest after that', async () => {
  const zip = await zipOf({ 'a.js': 'module.exports = 1;\n', 'b.js': 'module.exports = 2;\n' });
  const archive = await openArchive(zip);
  try {
    const manifest = readArchiveManifest(archive)!;
    verifyArchive(archive, manifest, 'read');
    const sha = manifest.files.find((f) => f.path === 'a.js')!.sha256;
    assert.equal(archive.checkedDigest('a.js'), undefined, 'not read yet');
    const first = archive.read('a.js');
    assert.equal(archive.checkedDigest('a.js'), sha);
    assert.equal(archive.read('a.js'), first, 'the checked buffer is kept: no second inflate');
    assert.equal(archive.checkedDigest('b.js'), undefined);
    // bytes that differ from the manifest are never kept
    assert.equal(archive.keep('b.js', Buffer.from('module.exports = 3;\n')), false);
  } finally {
    archive.close();
  }
});

test('an unlisted entry is found whatever the manifest lists (even codesave.json itself)', async () => {
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const manifestText = '{}';
  const zip = zipBytes([
    { name: 'codesave.json', data: manifestText },
    { name: 'a.js', data: 'a' },
    { name: 'extra.js', data: 'x' },
  ]);
  const archive = await openArchive(zip);
  try {
    const files = [
      { path: 'a.js', size: 1, sha256: sha('a') },
      { path: 'codesave.json', size: 2, sha256: sha(manifestText) },
    ];
    assert.deepEqual(
      archiveMismatches(archive, { files }).map((m) => m.path),
      ['extra.js'],
    );
    assert.throws(
      () => verifyArchive(archive, { files }, 'read'),
      mismatchOf('extra.js', /is in the zip but not listed/),
    );
  } finally {
    archive.close();
  }
});
