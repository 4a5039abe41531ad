import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { mountVolume, openArchive } from '@codesave/core';

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-volume-')));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

async function fixture() {
  const dir = path.join(tmp, `tree-${Math.random().toString(36).slice(2)}`);
  fs.mkdirSync(path.join(dir, 'src/lib'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src/index.js'), 'module.exports = 1;\n');
  fs.writeFileSync(path.join(dir, 'src/lib/data.json'), '{"x":1}');
  fs.symlinkSync('lib/data.json', path.join(dir, 'src/link.json'));
  const zip = `${dir}.zip`;
  execFileSync('zip', ['-r', '-q', '-y', zip, '.'], { cwd: dir });
  const archive = await openArchive(zip);
  return { dir, zip, archive, volume: mountVolume(archive, zip) };
}

test('mountVolume places entries at root + name; the view reads them and the disk elsewhere', async () => {
  const { zip, volume } = await fixture();
  assert.equal(volume.root, zip);
  const vfs = volume.fs;
  assert.equal(vfs.readFileSync(`${zip}/src/index.js`, 'utf8'), 'module.exports = 1;\n');
  assert.equal(vfs.readFileSync(`${zip}/src/link.json`, 'utf8'), '{"x":1}');
  assert.equal(vfs.readlinkSync(`${zip}/src/link.json`), 'lib/data.json');
  assert.deepEqual(vfs.readdirSync(`${zip}/src`).sort(), ['index.js', 'lib', 'link.json']);
  assert.ok(vfs.statSync(`${zip}/src`).isDirectory());
  assert.ok(vfs.statSync(`${zip}/src/index.js`) instanceof fs.Stats);
  // outside the root: the real disk (the zip itself is a real file)
  assert.ok(vfs.statSync(zip).isDirectory());
  assert.ok(fs.statSync(zip).isFile());
  const real = path.join(tmp, 'real.txt');
  fs.writeFileSync(real, 'on disk');
  assert.equal(vfs.readFileSync(path.join(tmp, '..', path.basename(tmp), 'real.txt'), 'utf8'), 'on disk');
  assert.equal(await vfs.promises.readFile(`${zip}/src/lib/data.json`, 'utf8'), '{"x":1}');
  await new Promise<void>((resolve, reject) =>
    vfs.readFile(new URL(`file://${zip}/src/index.js`), 'utf8', (err, text) => {
      if (err) return reject(err);
      assert.equal(text, 'module.exports = 1;\n');
      resolve();
    }),
  );
});

test('writes under the root stay in memory', async () => {
  const { zip, volume } = await fixture();
  volume.fs.writeFileSync(`${zip}/new.txt`, 'in memory');
  assert.equal(volume.fs.readFileSync(`${zip}/new.txt`, 'utf8'), 'in memory');
  assert.ok(!fs.existsSync(`${zip}/new.txt`));
  assert.ok(fs.statSync(zip).isFile());
});

test('files are inflated lazily, once', async () => {
  const { zip, archive } = await fixture();
  let reads = 0;
  const counting = {
    ...archive,
    entries: archive.entries,
    read: (n: string) => {
      reads++;
      return archive.read(n);
    },
  };
  const volume = mountVolume(counting, zip);
  assert.equal(reads, 0);
  assert.equal(volume.fs.statSync(`${zip}/src/index.js`).size, 20);
  assert.equal(reads, 0);
  volume.fs.readFileSync(`${zip}/src/index.js`);
  volume.fs.readFileSync(`${zip}/src/index.js`);
  assert.equal(reads, 1);
  const eager = mountVolume(counting, zip, { lazy: false });
  assert.equal(reads, 3);
  eager.dispose();
});

test('writes to a file never change the buffer an eager archive keeps', async () => {
  const { zip } = await fixture();
  const archive = await openArchive(zip, { eager: true });
  const v1 = mountVolume(archive, zip, { lazy: false });
  const fd = v1.fs.openSync(`${zip}/src/index.js`, 'r+');
  v1.fs.writeSync(fd, 'XX', 0);
  v1.fs.closeSync(fd);
  v1.fs.truncateSync(`${zip}/src/lib/data.json`, 20);
  assert.equal(v1.fs.readFileSync(`${zip}/src/index.js`, 'utf8'), 'XXdule.exports = 1;\n');
  assert.equal(archive.read('src/index.js').toString(), 'module.exports = 1;\n');
  assert.equal(archive.read('src/lib/data.json').toString(), '{"x":1}');
  const v2 = mountVolume(archive, zip);
  assert.equal(v2.fs.readFileSync(`${zip}/src/index.js`, 'utf8'), 'module.exports = 1;\n');
});

test('after dispose, virtual paths fail with ERR_DISPOSED; real ones still work', async () => {
  const { zip, volume } = await fixture();
  volume.dispose();
  volume.dispose();
  assert.throws(() => volume.fs.readFileSync(`${zip}/src/index.js`), { code: 'ERR_DISPOSED' });
  await assert.rejects(volume.fs.promises.readFile(`${zip}/src/index.js`), { code: 'ERR_DISPOSED' });
  assert.ok(volume.fs.readFileSync(path.join(zip, '..', 'real2.txt'), { flag: 'a+' }).length === 0);
});

test('calls in flight when the volume is disposed fail with ERR_DISPOSED too, not with an ENOENT of memfs', async () => {
  const { zip, volume } = await fixture();
  const pending = volume.fs.promises.readFile(`${zip}/src/index.js`, 'utf8');
  const viaCallback = new Promise((resolve) => volume.fs.readFile(`${zip}/src/index.js`, (err) => resolve(err)));
  volume.dispose();
  await assert.rejects(pending, { code: 'ERR_DISPOSED' });
  assert.equal(((await viaCallback) as { code?: string } | null)?.code, 'ERR_DISPOSED');
});

test('thrown fs errors have stacks that start at the caller, not inside memfs', async () => {
  const { zip, volume } = await fixture();
  const err = (() => {
    try {
      volume.fs.readFileSync(`${zip}/missing.js`);
    } catch (e) {
      return e as Error;
    }
  })();
  assert.ok(err?.stack?.startsWith(`Error: ENOENT: no such file or directory, open '${zip}/missing.js'\n`), err?.stack);
  assert.ok(!err.stack.includes('jsonjoy'), err.stack);
  assert.ok(!err.stack.includes('/volume/view'), err.stack);
  assert.ok(err.stack.includes('volume-mount.test'), err.stack);
});

test('a volume is disposable with using / Symbol.dispose', async () => {
  const { zip, volume } = await fixture();
  volume[Symbol.dispose]();
  assert.throws(() => volume.fs.statSync(`${zip}/src`), { code: 'ERR_DISPOSED' });
});

test('modes without write permission (a 0555 or 0000 directory, a 0000 file) do not stop the mount', async () => {
  const { zipBytes } = await import('./archive-zipbytes.js');
  const dirMode = (m: number) => (((0o040000 | m) << 16) | 0x10) >>> 0;
  const fileMode = (m: number) => ((0o100000 | m) << 16) >>> 0;
  const archive = await openArchive(
    zipBytes([
      { name: 'ro/', type: 'dir', both: { external: dirMode(0o555) } },
      { name: 'ro/none/', type: 'dir', both: { external: dirMode(0) } },
      { name: 'ro/none/f.js', data: 'module.exports = 1;', both: { external: fileMode(0) } },
      { name: 'ro/g.js', data: 'g', both: { external: fileMode(0o444) } },
    ]),
  );
  const volume = mountVolume(archive, path.join(tmp, 'modes.zip'));
  assert.equal(volume.vol.statSync(path.join(tmp, 'modes.zip/ro')).mode & 0o777, 0o555);
  assert.equal(volume.vol.statSync(path.join(tmp, 'modes.zip/ro/g.js')).mode & 0o777, 0o444);
  assert.equal(volume.fs.readFileSync(path.join(tmp, 'modes.zip/ro/g.js'), 'utf8'), 'g');
  volume.dispose();
});
