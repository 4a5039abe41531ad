/**
 * Differential tests of the fs view: the same operations on a real directory and on the view of a zip
 * of it must give the same results and the same errors (code, errno, syscall, message).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import realFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as vm from 'node:vm';
import { type CodebaseFs, mountVolume, openArchive } from '@codesave/core';

const tmp = realFs.realpathSync(realFs.mkdtempSync(path.join(os.tmpdir(), 'codesave-vfs-')));
process.on('exit', () => realFs.rmSync(tmp, { recursive: true, force: true }));

const source = path.join(tmp, 'project');
realFs.mkdirSync(path.join(source, 'src/lib/deep'), { recursive: true });
realFs.mkdirSync(path.join(source, 'empty'));
realFs.writeFileSync(path.join(source, 'src/index.js'), 'module.exports = require("./lib/a");\n');
realFs.writeFileSync(path.join(source, 'src/lib/a.js'), 'module.exports = 42;\n');
realFs.writeFileSync(path.join(source, 'src/lib/deep/data.json'), '{"deep":true}');
realFs.writeFileSync(path.join(source, 'bin.sh'), '#!/bin/sh\n', { mode: 0o755 });
realFs.writeFileSync(path.join(source, 'big.txt'), 'line\n'.repeat(20_000));
realFs.writeFileSync(path.join(source, 'empty.txt'), '');
realFs.symlinkSync('lib/a.js', path.join(source, 'src/alias.js'));
realFs.symlinkSync('src/lib', path.join(source, 'libdir'));
realFs.symlinkSync('nowhere.js', path.join(source, 'dangling.js'));
const zipPath = path.join(tmp, 'project.zip');
execFileSync('zip', ['-r', '-q', '-y', zipPath, '.'], { cwd: source });

let copies = 0;
/** A fresh real copy and a fresh mounted view, with the base path each one uses. */
async function sides(): Promise<Array<{ name: string; fs: CodebaseFs; base: string }>> {
  const copy = path.join(tmp, `copy-${copies++}`);
  realFs.cpSync(source, copy, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  const volume = mountVolume(await openArchive(zipPath), zipPath);
  return [
    { name: 'real', fs: realFs as CodebaseFs, base: copy },
    { name: 'zip', fs: volume.fs, base: zipPath },
  ];
}

const STAT_KEYS = ['size', 'mode', 'uid', 'gid'] as const;
function norm(value: unknown, base: string): unknown {
  if (typeof value === 'string') return value.replaceAll(base, '<root>');
  if (Buffer.isBuffer(value)) return `buffer:${value.toString('base64')}`;
  if (value instanceof realFs.Stats) {
    const out: Record<string, unknown> = { instanceofStats: true };
    for (const k of STAT_KEYS) out[k] = value[k];
    out.kind = value.isFile() ? 'file' : value.isDirectory() ? 'dir' : value.isSymbolicLink() ? 'link' : 'other';
    return out;
  }
  if (value instanceof realFs.Dirent) {
    return {
      instanceofDirent: true,
      name: norm(value.name, base),
      parentPath: norm(value.parentPath, base),
      file: value.isFile(),
      dir: value.isDirectory(),
      link: value.isSymbolicLink(),
    };
  }
  if (Array.isArray(value)) return value.map((v) => norm(v, base));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, norm(v, base)]));
  }
  return value;
}
async function outcome(op: Op, fs: CodebaseFs, base: string) {
  try {
    return { ok: norm(await op(fs, base), base) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { dest?: string };
    return {
      err: {
        code: err.code,
        errno: err.errno,
        syscall: err.syscall,
        message: norm(err.message, base),
        path: norm(err.path, base),
        dest: norm(err.dest, base),
        isError: err instanceof Error,
      },
    };
  }
}
type Op = (fs: CodebaseFs, base: string) => unknown;

async function same(ops: Record<string, Op>) {
  for (const [label, op] of Object.entries(ops)) {
    const [real, zip] = await sides();
    const a = await outcome(op, real.fs, real.base);
    const b = await outcome(op, zip.fs, zip.base);
    assert.deepEqual(b, a, `${label}: zip view differs from the real directory`);
  }
}

const sortNames = (list: unknown[]) =>
  [...list].sort((x: any, y: any) => String(x.name ?? x).localeCompare(String(y.name ?? y)));

test('reads: contents, stats, directory listings, links', async () => {
  await same({
    readFile: (fs, b) => fs.readFileSync(`${b}/src/index.js`),
    readFileUtf8: (fs, b) => fs.readFileSync(`${b}/big.txt`, 'utf8').length,
    readEmpty: (fs, b) => fs.readFileSync(`${b}/empty.txt`, 'utf8'),
    readThroughLink: (fs, b) => fs.readFileSync(`${b}/src/alias.js`, 'utf8'),
    readThroughDirLink: (fs, b) => fs.readFileSync(`${b}/libdir/deep/data.json`, 'utf8'),
    readdir: (fs, b) => fs.readdirSync(`${b}/src`).sort(),
    readdirRoot: (fs, b) => fs.readdirSync(b).sort(),
    readdirTypes: (fs, b) => sortNames(fs.readdirSync(`${b}/src`, { withFileTypes: true })),
    readdirEmpty: (fs, b) => fs.readdirSync(`${b}/empty`),
    readdirRecursive: (fs, b) => (fs.readdirSync(`${b}/src`, { recursive: true }) as string[]).sort(),
    stat: (fs, b) => fs.statSync(`${b}/src/index.js`),
    statExec: (fs, b) => fs.statSync(`${b}/bin.sh`),
    statDir: (fs, b) => fs.statSync(`${b}/src/lib`).isDirectory(),
    statLink: (fs, b) => fs.statSync(`${b}/src/alias.js`),
    lstatLink: (fs, b) => fs.lstatSync(`${b}/src/alias.js`).isSymbolicLink(),
    mtimeSeconds: (fs, b) => Math.floor(fs.statSync(`${b}/src/index.js`).mtimeMs / 1000),
    readlink: (fs, b) => fs.readlinkSync(`${b}/src/alias.js`),
    realpath: (fs, b) => fs.realpathSync(`${b}/libdir/deep`),
    realpathNative: (fs, b) => fs.realpathSync.native(`${b}/src/alias.js`),
    exists: (fs, b) => [fs.existsSync(`${b}/src`), fs.existsSync(`${b}/nope`), fs.existsSync(`${b}/dangling.js`)],
    access: (fs, b) => fs.accessSync(`${b}/src/index.js`, fs.constants.R_OK),
    url: (fs, b) => fs.readFileSync(pathToFileURL(`${b}/src/lib/a.js`), 'utf8'),
    bufferPath: (fs, b) => fs.readFileSync(Buffer.from(`${b}/src/lib/a.js`), 'utf8'),
    otherRealmBytesPath: (fs, b) =>
      fs.readFileSync(
        vm.runInNewContext('new Uint8Array(bytes)', { bytes: [...Buffer.from(`${b}/src/lib/a.js`)] }),
        'utf8',
      ),
    relative: (fs, b) => {
      const cwd = process.cwd();
      process.chdir(path.dirname(b));
      try {
        return fs.readFileSync(`${path.basename(b)}/src/lib/a.js`, 'utf8');
      } finally {
        process.chdir(cwd);
      }
    },
  });
});

test('errors look like Node: code, errno, syscall, path and message', async () => {
  await same({
    missing: (fs, b) => fs.readFileSync(`${b}/nope.js`),
    missingStat: (fs, b) => fs.statSync(`${b}/nope/deeper`),
    missingLstat: (fs, b) => fs.lstatSync(`${b}/nope`),
    dangling: (fs, b) => fs.readFileSync(`${b}/dangling.js`),
    readDir: (fs, b) => fs.readFileSync(`${b}/src`),
    readdirFile: (fs, b) => fs.readdirSync(`${b}/src/index.js`),
    readdirMissing: (fs, b) => fs.readdirSync(`${b}/nope`),
    mkdirExisting: (fs, b) => fs.mkdirSync(`${b}/src`),
    rmdirNotEmpty: (fs, b) => fs.rmdirSync(`${b}/src`),
    unlinkMissing: (fs, b) => fs.unlinkSync(`${b}/nope`),
    openMissing: (fs, b) => fs.openSync(`${b}/nope`, 'r'),
    accessMissing: (fs, b) => fs.accessSync(`${b}/nope`),
    readlinkFile: (fs, b) => fs.readlinkSync(`${b}/src/index.js`),
    realpathMissing: (fs, b) => fs.realpathSync(`${b}/nope`),
    relativeMissing: (fs, b) => {
      const cwd = process.cwd();
      process.chdir(path.dirname(b));
      try {
        return fs.readFileSync(`${path.basename(b)}/nope.js`);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        const name = path.basename(b);
        return [
          err.code,
          err.errno,
          err.syscall,
          err.path?.replace(name, '<base>'),
          err.message.replace(name, '<base>'),
        ];
      } finally {
        process.chdir(cwd);
      }
    },
    promiseMissing: (fs, b) => fs.promises.readFile(`${b}/nope.js`),
    promiseStatMissing: (fs, b) => fs.promises.stat(`${b}/nope.js`),
    callbackMissing: (fs, b) =>
      new Promise((resolve, reject) => fs.readFile(`${b}/nope.js`, (err, data) => (err ? reject(err) : resolve(data)))),
  });
});

test('writes land in the volume and behave as on disk', async () => {
  await same({
    writeRead: (fs, b) => {
      fs.writeFileSync(`${b}/new.txt`, 'hello');
      fs.appendFileSync(`${b}/new.txt`, ' world');
      return [fs.readFileSync(`${b}/new.txt`, 'utf8'), fs.statSync(`${b}/new.txt`).size];
    },
    overwriteZipFile: (fs, b) => {
      fs.writeFileSync(`${b}/src/lib/a.js`, 'changed');
      return fs.readFileSync(`${b}/src/alias.js`, 'utf8');
    },
    mkdirRecursive: (fs, b) => [fs.mkdirSync(`${b}/x/y/z`, { recursive: true }), fs.readdirSync(`${b}/x`)],
    rename: (fs, b) => {
      fs.renameSync(`${b}/src/lib/a.js`, `${b}/moved.js`);
      return [fs.existsSync(`${b}/src/lib/a.js`), fs.readFileSync(`${b}/moved.js`, 'utf8')];
    },
    copyFile: (fs, b) => {
      fs.copyFileSync(`${b}/src/index.js`, `${b}/copy.js`);
      return fs.readFileSync(`${b}/copy.js`, 'utf8');
    },
    copyFileExcl: (fs, b) => fs.copyFileSync(`${b}/src/index.js`, `${b}/big.txt`, fs.constants.COPYFILE_EXCL),
    unlink: (fs, b) => {
      fs.unlinkSync(`${b}/big.txt`);
      return fs.existsSync(`${b}/big.txt`);
    },
    rmRecursive: (fs, b) => {
      fs.rmSync(`${b}/src`, { recursive: true });
      return fs.readdirSync(b).sort();
    },
    symlink: (fs, b) => {
      fs.symlinkSync('src/index.js', `${b}/l.js`);
      return [fs.readlinkSync(`${b}/l.js`), fs.readFileSync(`${b}/l.js`, 'utf8')];
    },
    truncate: (fs, b) => {
      fs.truncateSync(`${b}/src/index.js`, 6);
      return fs.readFileSync(`${b}/src/index.js`, 'utf8');
    },
    writeExclusiveExisting: (fs, b) => fs.writeFileSync(`${b}/empty.txt`, 'x', { flag: 'wx' }),
  });
});

test('more error cases and metadata writes match the disk', async () => {
  await same({
    rmMissing: (fs, b) => fs.rmSync(`${b}/nope`),
    rmForceMissing: (fs, b) => fs.rmSync(`${b}/nope`, { force: true }),
    rmDirNoRecursive: (fs, b) => fs.rmSync(`${b}/src`),
    renameMissing: (fs, b) => fs.renameSync(`${b}/nope`, `${b}/other`),
    copyMissing: (fs, b) => fs.copyFileSync(`${b}/nope`, `${b}/other`),
    writeIntoMissingDir: (fs, b) => fs.writeFileSync(`${b}/nope/x.txt`, 'x'),
    openExclusive: (fs, b) => fs.openSync(`${b}/empty.txt`, 'wx'),
    fileAsDir: (fs, b) => fs.statSync(`${b}/src/index.js/x`),
    readFileAsDir: (fs, b) => fs.readFileSync(`${b}/src/index.js/`),
    unlinkDir: (fs, b) => fs.unlinkSync(`${b}/empty`),
    rmdirFile: (fs, b) => fs.rmdirSync(`${b}/empty.txt`),
    symlinkExisting: (fs, b) => fs.symlinkSync('x', `${b}/empty.txt`),
    mkdirNoParent: (fs, b) => fs.mkdirSync(`${b}/a/b`),
    chmod: (fs, b) => {
      fs.chmodSync(`${b}/src/index.js`, 0o600);
      return fs.statSync(`${b}/src/index.js`).mode;
    },
    utimes: (fs, b) => {
      fs.utimesSync(`${b}/src/index.js`, 1_000_000, 2_000_000);
      const st = fs.statSync(`${b}/src/index.js`);
      return [st.atimeMs, st.mtimeMs];
    },
    mkdtemp: (fs, b) => {
      const dir = fs.mkdtempSync(`${b}/tmp-`);
      return [dir.startsWith(`${b}/tmp-`), fs.statSync(dir).isDirectory()];
    },
    cpInside: (fs, b) => {
      fs.cpSync(`${b}/src`, `${b}/src2`, { recursive: true, verbatimSymlinks: true });
      return [
        (fs.readdirSync(`${b}/src2`, { recursive: true }) as string[]).sort(),
        fs.readlinkSync(`${b}/src2/alias.js`),
      ];
    },
    readdirRecursiveTypes: (fs, b) =>
      (fs.readdirSync(`${b}/src`, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
        .map(
          (d) =>
            `${path.relative(b, d.parentPath)}/${d.name}:${d.isDirectory() ? 'd' : d.isSymbolicLink() ? 'l' : 'f'}`,
        )
        .sort(),
    readdirBuffer: (fs, b) => (fs.readdirSync(`${b}/src`, { encoding: 'buffer' }) as Buffer[]).map(String).sort(),
    statBigint: (fs, b) => typeof fs.statSync(`${b}/src/index.js`, { bigint: true }).size,
    statNoThrow: (fs, b) => fs.statSync(`${b}/nope`, { throwIfNoEntry: false }),
  });
});

test('file descriptors, FileHandles, streams and opendir', async () => {
  await same({
    fd: (fs, b) => {
      const fd = fs.openSync(`${b}/src/lib/a.js`, 'r');
      const buf = Buffer.alloc(6);
      const n = fs.readSync(fd, buf, 0, 6, 0);
      const size = fs.fstatSync(fd).size;
      fs.closeSync(fd);
      return [n, buf.toString(), size];
    },
    fdWrite: (fs, b) => {
      const fd = fs.openSync(`${b}/out.txt`, 'w');
      fs.writeSync(fd, 'abc');
      fs.closeSync(fd);
      return fs.readFileSync(`${b}/out.txt`, 'utf8');
    },
    fdCallback: (fs, b) =>
      new Promise((resolve, reject) =>
        fs.open(`${b}/src/lib/a.js`, 'r', (err, fd) => {
          if (err) return reject(err);
          fs.fstat(fd, (err2, st) => {
            if (err2) return reject(err2);
            fs.close(fd, () => resolve(st.size));
          });
        }),
      ),
    readFileByFd: (fs, b) => {
      const fd = fs.openSync(`${b}/src/lib/a.js`, 'r');
      try {
        return fs.readFileSync(fd, 'utf8');
      } finally {
        fs.closeSync(fd);
      }
    },
    fileHandle: async (fs, b) => {
      const h = await fs.promises.open(`${b}/src/lib/a.js`, 'r');
      try {
        const st = await h.stat();
        const { bytesRead } = await h.read(Buffer.alloc(3), 0, 3, 0);
        return [st, bytesRead, await h.readFile('utf8')];
      } finally {
        await h.close();
      }
    },
    readStream: async (fs, b) => (await text(fs.createReadStream(`${b}/big.txt`, { encoding: 'utf8' }))).length,
    readStreamRange: async (fs, b) => text(fs.createReadStream(`${b}/src/index.js`, { start: 2, end: 8 })),
    writeStream: async (fs, b) => {
      const ws = fs.createWriteStream(`${b}/ws.txt`);
      await new Promise<void>((resolve, reject) => ws.end('streamed', () => resolve()).on('error', reject));
      return fs.readFileSync(`${b}/ws.txt`, 'utf8');
    },
    readStreamMissing: (fs, b) =>
      new Promise((resolve, reject) => fs.createReadStream(`${b}/nope`).on('error', reject).on('data', resolve)),
    opendir: async (fs, b) => {
      const names: unknown[] = [];
      for await (const d of await fs.promises.opendir(`${b}/src`)) names.push(d);
      return sortNames(names);
    },
    opendirSync: (fs, b) => {
      const dir = fs.opendirSync(`${b}/src/lib`);
      const names: unknown[] = [];
      for (let d = dir.readSync(); d !== null; d = dir.readSync()) names.push(d);
      dir.closeSync();
      return sortNames(names);
    },
    promisesAll: async (fs, b) => [
      sortNames(await fs.promises.readdir(`${b}/src`, { withFileTypes: true })),
      await fs.promises.lstat(`${b}/src/alias.js`),
      await fs.promises.readlink(`${b}/src/alias.js`),
      await fs.promises.realpath(`${b}/src/alias.js`),
      await fs.promises.access(`${b}/src`),
      await fs.promises.writeFile(`${b}/p.txt`, 'p'),
      await fs.promises.readFile(`${b}/p.txt`, 'utf8'),
    ],
    callbackForms: (fs, b) =>
      new Promise((resolve, reject) =>
        fs.stat(`${b}/src/index.js`, (err, st) =>
          err ? reject(err) : fs.readdir(`${b}/src`, (e2, list) => (e2 ? reject(e2) : resolve([st, list.sort()]))),
        ),
      ),
    exists: (fs, b) => new Promise((resolve) => fs.exists(`${b}/src`, resolve)),
    readCallbackOptions: (fs, b) =>
      new Promise((resolve, reject) => {
        const fd = fs.openSync(`${b}/src/lib/a.js`, 'r');
        fs.read(fd, { buffer: Buffer.alloc(6), position: 0 }, (err, n, buf) => {
          fs.closeSync(fd);
          return err ? reject(err) : resolve([n, buf.toString()]);
        });
      }),
    readvWritev: (fs, b) => {
      const fd = fs.openSync(`${b}/v.txt`, 'w+');
      fs.writevSync(fd, [Buffer.from('ab'), Buffer.from('cd')]);
      const parts = [Buffer.alloc(1), Buffer.alloc(3)];
      const n = fs.readvSync(fd, parts, 0);
      fs.closeSync(fd);
      return [n, parts.map(String)];
    },
    streamFromFd: async (fs, b) => {
      const fd = fs.openSync(`${b}/src/lib/a.js`, 'r');
      return text(fs.createReadStream('', { fd, encoding: 'utf8' }));
    },
    streamFromHandle: async (fs, b) => {
      const h = await fs.promises.open(`${b}/src/lib/a.js`, 'r');
      return text(fs.createReadStream('', { fd: h as any, encoding: 'utf8' }));
    },
    promisesReadFileHandle: async (fs, b) => {
      const h = await fs.promises.open(`${b}/src/lib/a.js`, 'r');
      try {
        return await fs.promises.readFile(h, 'utf8');
      } finally {
        await h.close();
      }
    },
    ftruncateFsync: (fs, b) => {
      const fd = fs.openSync(`${b}/src/lib/a.js`, 'r+');
      fs.ftruncateSync(fd, 4);
      fs.fsyncSync(fd);
      fs.fdatasyncSync(fd);
      fs.closeSync(fd);
      return fs.readFileSync(`${b}/src/lib/a.js`, 'utf8');
    },
    promisified: async (fs, b) => {
      const fd = fs.openSync(`${b}/src/lib/a.js`, 'r');
      const { bytesRead, buffer } = await promisify(fs.read)(fd, Buffer.alloc(4), 0, 4, 0);
      await promisify(fs.close)(fd);
      return [
        bytesRead,
        buffer.toString(),
        await promisify(fs.exists)(`${b}/src`),
        (await promisify(fs.stat)(`${b}/src`)).isDirectory(),
      ];
    },
    closeNoCallback: async (fs, b) => {
      const fd = fs.openSync(`${b}/src/lib/a.js`, 'r');
      fs.close(fd);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 'closed';
    },
    closedFd: (fs, b) => {
      const fd = fs.openSync(`${b}/src/lib/a.js`, 'r');
      fs.closeSync(fd);
      try {
        fs.fstatSync(fd);
        return 'no error';
      } catch (e) {
        return (e as NodeJS.ErrnoException).code;
      }
    },
  });
});

test('across the boundary: copy works both ways, rename and link fail with EXDEV, watch is refused', async () => {
  const volume = mountVolume(await openArchive(zipPath), zipPath);
  const vfs = volume.fs;
  const out = path.join(tmp, 'across');
  realFs.mkdirSync(out);
  vfs.copyFileSync(`${zipPath}/src/index.js`, `${out}/index.js`);
  assert.equal(realFs.readFileSync(`${out}/index.js`, 'utf8'), 'module.exports = require("./lib/a");\n');
  realFs.writeFileSync(`${out}/in.txt`, 'from disk');
  vfs.copyFileSync(`${out}/in.txt`, `${zipPath}/in.txt`);
  assert.equal(vfs.readFileSync(`${zipPath}/in.txt`, 'utf8'), 'from disk');
  await vfs.promises.copyFile(`${zipPath}/src/lib/a.js`, `${out}/a.js`);
  assert.equal(realFs.readFileSync(`${out}/a.js`, 'utf8'), 'module.exports = 42;\n');
  vfs.cpSync(`${zipPath}/src`, `${out}/src`, { recursive: true });
  assert.equal(realFs.readFileSync(`${out}/src/lib/deep/data.json`, 'utf8'), '{"deep":true}');
  assert.equal(realFs.readlinkSync(`${out}/src/alias.js`), 'lib/a.js');
  assert.throws(() => vfs.renameSync(`${zipPath}/src/index.js`, `${out}/x.js`), {
    code: 'EXDEV',
    errno: os.constants.errno.EXDEV * -1,
    syscall: 'rename',
    message: `EXDEV: cross-device link not permitted, rename '${zipPath}/src/index.js' -> '${out}/x.js'`,
  });
  assert.throws(() => vfs.linkSync(`${out}/in.txt`, `${zipPath}/hard`), { code: 'EXDEV', syscall: 'link' });
  await assert.rejects(vfs.promises.rename(`${out}/in.txt`, `${zipPath}/x`), { code: 'EXDEV' });
  await new Promise<void>((resolve) =>
    vfs.rename(`${out}/in.txt`, `${zipPath}/x`, (err) => {
      assert.equal(err?.code, 'EXDEV');
      resolve();
    }),
  );
  assert.throws(() => vfs.watch(`${zipPath}/src`), { code: 'ENOSYS', syscall: 'watch' });
  const watcher = vfs.watch(out);
  watcher.close();
  assert.ok(!realFs.existsSync(`${zipPath}/in.txt`));
});

test('fds are routed by who opened them; the wrapError hook sees every system error', async () => {
  const seen: string[] = [];
  class RealmError extends Error {}
  const volume = mountVolume(await openArchive(zipPath), zipPath, {
    wrapError: (err) => {
      seen.push(`${err.code}:${err.syscall}`);
      return Object.assign(new RealmError(err.message), err);
    },
  });
  const vfs = volume.fs;
  const realFile = path.join(tmp, 'fd-real.txt');
  realFs.writeFileSync(realFile, 'real');
  const vfd = vfs.openSync(`${zipPath}/src/lib/a.js`, 'r');
  const rfd = vfs.openSync(realFile, 'r');
  assert.equal(vfs.readFileSync(vfd, 'utf8'), 'module.exports = 42;\n');
  assert.equal(vfs.readFileSync(rfd, 'utf8'), 'real');
  vfs.closeSync(vfd);
  vfs.closeSync(rfd);
  assert.throws(
    () => vfs.readFileSync(`${zipPath}/nope`),
    (err: unknown) => err instanceof RealmError,
  );
  assert.throws(
    () => vfs.readFileSync(`${tmp}/nope`),
    (err: unknown) => err instanceof RealmError,
  );
  await assert.rejects(vfs.promises.stat(`${zipPath}/nope`), (err: unknown) => err instanceof RealmError);
  assert.deepEqual(seen, ['ENOENT:open', 'ENOENT:open', 'ENOENT:stat']);
});

test('fs.promises works as the fs/promises module and has constants', async () => {
  const volume = mountVolume(await openArchive(zipPath), zipPath);
  const p = volume.fs.promises;
  assert.equal(p.constants, realFs.constants);
  for (const name of Object.keys(realFs.promises))
    assert.equal(typeof (p as any)[name], typeof (realFs.promises as any)[name], name);
  for (const name of Object.keys(realFs))
    assert.equal(typeof (volume.fs as any)[name], typeof (realFs as any)[name], name);
  assert.equal(volume.fs.Stats, realFs.Stats);
  assert.equal(volume.fs.constants, realFs.constants);
  const blob = await volume.fs.openAsBlob(`${zipPath}/src/lib/a.js`);
  assert.equal(await blob.text(), 'module.exports = 42;\n');
});

test('every function of the view has the name and length of the fs function it stands for', async () => {
  const view = mountVolume(await openArchive(zipPath), zipPath).fs as unknown as Record<string, any>;
  const real = realFs as unknown as Record<string, any>;
  const shape = (fns: Record<string, any>, names: string[]) =>
    names.filter((key) => typeof fns[key] === 'function').map((key) => `${key}:${fns[key].name}/${fns[key].length}`);
  assert.deepEqual(shape(view, Object.keys(real)), shape(real, Object.keys(real)));
  const promises = Object.keys(realFs.promises);
  assert.deepEqual(shape(view.promises, promises), shape(real.promises, promises));
  assert.equal(view._toUnixTimestamp.name, 'toUnixTimestamp');
});
