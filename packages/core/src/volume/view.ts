/**
 * The codebase's view of the file system: a `node:fs`-shaped object that sends every path under the
 * codebase root (string, Buffer or `file:` URL; relative ones resolved against `process.cwd()`) to the
 * in-memory volume, and everything else to the real `node:fs`. File descriptors and `FileHandle`s go
 * back to whoever opened them.
 */
import realFs from 'node:fs';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import * as util from 'node:util';
import type { Volume } from 'memfs';
import { CodesaveError } from '../errors.js';
import { isSystemError, systemError } from './errors.js';

/**
 * Give a routing wrapper the `name` and `length` of the function it stands for (code checks arity, as
 * promisifiers and fs-extra's universalify do, and `_toUnixTimestamp` is named `toUnixTimestamp`).
 */
function likeOriginal<F>(wrapper: F, original: unknown, key: string): F {
  const fn = typeof original === 'function' ? original : undefined;
  Object.defineProperty(wrapper, 'name', { value: fn ? fn.name : key, configurable: true });
  if (fn) Object.defineProperty(wrapper, 'length', { value: fn.length, configurable: true });
  return wrapper;
}

/** The shape of `node:fs` (and `.promises`, usable as the `fs/promises` module). */
export type CodebaseFs = typeof realFs;

export interface FsViewOptions {
  /**
   * Called with every system error (virtual or real path) before it reaches the caller; return the
   * error to throw instead, e.g. one re-created in the codebase's realm so `instanceof Error` holds there.
   */
  wrapError?: (err: NodeJS.ErrnoException) => unknown;
  /**
   * Reads answered without the volume: the bytes of the file at an absolute virtual path, or `undefined` to
   * ask the volume (which then answers everything, errors included). Only plain `readFileSync` reads use it.
   */
  fastRead?: (abs: string) => Buffer | undefined;
  /** `existsSync` answered without the volume: `true`/`false`, or `undefined` to ask the volume. */
  fastExists?: (abs: string) => boolean | undefined;
}

type Fn = (...args: any[]) => any;
type Dict = Record<string | symbol, any>;
interface Ctx {
  p?: unknown;
  abs?: string;
  d?: unknown;
  dabs?: string;
}

/** One-path functions: the first argument is a path (for `pathOrFd`, also an fd or a FileHandle). */
const PATH1 = [
  'access',
  'chown',
  'chmod',
  'lchown',
  'lchmod',
  'lstat',
  'lutimes',
  'mkdir',
  'mkdtemp',
  'open',
  'opendir',
  'readdir',
  'readlink',
  'realpath',
  'rm',
  'rmdir',
  'stat',
  'statfs',
  'unlink',
  'utimes',
];
const PATH_OR_FD = ['appendFile', 'readFile', 'writeFile', 'truncate'];
const FD = [
  'close',
  'fchown',
  'fchmod',
  'fdatasync',
  'fstat',
  'fsync',
  'ftruncate',
  'futimes',
  'read',
  'readv',
  'write',
  'writev',
];
const TWO_PATHS = ['rename', 'copyFile', 'link', 'cp'];

const LINUX = process.platform === 'linux';
const C = realFs.constants as typeof realFs.constants & Record<string, number>;
const UV: Array<[number, number]> = [
  [realFs.constants.S_IFREG, C.UV_DIRENT_FILE],
  [realFs.constants.S_IFDIR, C.UV_DIRENT_DIR],
  [realFs.constants.S_IFLNK, C.UV_DIRENT_LINK],
  [realFs.constants.S_IFIFO, C.UV_DIRENT_FIFO],
  [realFs.constants.S_IFSOCK, C.UV_DIRENT_SOCKET],
  [realFs.constants.S_IFCHR, C.UV_DIRENT_CHAR],
  [realFs.constants.S_IFBLK, C.UV_DIRENT_BLOCK],
];

/**
 * Builds the view. `isDisposed` is checked on every virtual call. `vol` may be a function returning the
 * volume, called when a call first needs it (so a volume nobody touches is never built).
 */
export function createFsView(
  volume: Volume | (() => Volume),
  root: string,
  isDisposed: () => boolean,
  options: FsViewOptions = {},
): CodebaseFs {
  const getVol = typeof volume === 'function' ? volume : () => volume;
  const vol = (): Volume => getVol();
  const v = (): Dict => getVol() as unknown as Dict;
  const vp = (): Dict => getVol().promises as unknown as Dict;
  const real = realFs as unknown as Dict;
  const rp = realFs.promises as unknown as Dict;
  const rootSlash = root.endsWith('/') ? root : `${root}/`;
  const vfds = new Set<number>();
  const vhandles = new WeakSet<object>();
  const wrap = options.wrapError;

  const toPathString = (p: unknown): string | undefined => {
    if (typeof p === 'string') return p;
    // any Uint8Array, also one made in a codebase's realm (Node accepts those as paths too)
    if (util.types.isUint8Array(p)) return Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('utf8');
    if (p && typeof p === 'object' && typeof (p as URL).href === 'string' && typeof (p as URL).protocol === 'string') {
      return (p as URL).protocol === 'file:' ? fileURLToPath((p as URL).href) : undefined;
    }
    return undefined;
  };
  /** The absolute virtual path when `p` is under the root, else null. */
  const virt = (p: unknown): string | null => {
    const s = toPathString(p);
    if (s === undefined || s === '' || s.includes('\0')) return null;
    const abs = nodePath.resolve(s);
    if (abs !== root && !abs.startsWith(rootSlash)) return null;
    // a trailing slash asks for a directory (ENOTDIR on a file); path.resolve would drop it
    return abs !== root && (s.endsWith('/') || s.endsWith('/.')) ? `${abs}/` : abs;
  };

  const disposed = () =>
    new CodesaveError('ERR_DISPOSED', `the codebase at ${root} was disposed; its files are no longer available.`);
  const wrapReal = (err: unknown) => (wrap && isSystemError(err) ? wrap(err) : err);
  /** Puts back the path the caller gave (Node reports relative paths as given), then applies `wrapError`. */
  const fix = (err: unknown, ctx: Ctx): unknown => {
    if (!isSystemError(err)) return err;
    let out: NodeJS.ErrnoException & { dest?: string } = err;
    // Node names the path it was given; memfs sometimes names the missing ancestor instead
    const ancestor =
      ctx.abs && typeof err.path === 'string' && err.syscall !== 'lstat' && ctx.abs.startsWith(`${err.path}/`);
    const given = typeof ctx.p === 'string' ? ctx.p : ctx.abs;
    const shownP = ancestor ? given : typeof ctx.p === 'string' && ctx.abs && err.path === ctx.abs ? ctx.p : err.path;
    const shownD = typeof ctx.d === 'string' && ctx.dabs && err.dest === ctx.dabs ? ctx.d : err.dest;
    // memfs answers as macOS does in one place where Linux differs: unlink of a directory
    const code = LINUX && err.code === 'EPERM' && err.syscall === 'unlink' ? 'EISDIR' : err.code!;
    if (shownP !== err.path || shownD !== err.dest || code !== err.code) {
      out = systemError(code, err.syscall!, shownP, shownD);
    }
    return wrap ? wrap(out) : out;
  };

  const toStats = (s: any) => {
    if (s && typeof s === 'object' && typeof s.size === 'number' && !(s instanceof realFs.Stats)) {
      Object.setPrototypeOf(s, realFs.Stats.prototype);
    }
    return s;
  };
  const toDirent = (d: any) => {
    if (!d || typeof d !== 'object' || d instanceof realFs.Dirent || typeof d.mode !== 'number') return d;
    const fmt = d.mode & realFs.constants.S_IFMT;
    const type = UV.find(([m]) => m === fmt)?.[1] ?? C.UV_DIRENT_UNKNOWN;
    const Dirent = realFs.Dirent as unknown as new (name: unknown, type: number, path: string) => realFs.Dirent;
    return new Dirent(d.name, type, d.parentPath ?? d.path);
  };
  const toDirents = (list: any) => (Array.isArray(list) ? list.map(toDirent) : list);
  const wrapDir = (dir: any) => {
    if (!dir || typeof dir !== 'object') return dir;
    const read = dir.read.bind(dir);
    const readSync = dir.readSync.bind(dir);
    const ctx = { p: dir.path };
    dir.readSync = () => {
      try {
        return toDirent(readSync());
      } catch (e) {
        throw fix(e, ctx);
      }
    };
    dir.read = (cb?: Fn) =>
      cb
        ? read((e: unknown, d: unknown) => (e ? cb(fix(e, ctx)) : cb(null, toDirent(d))))
        : read().then(toDirent, (e: unknown) => Promise.reject(fix(e, ctx)));
    dir[Symbol.asyncIterator] = async function* () {
      try {
        for (let d = await dir.read(); d !== null; d = await dir.read()) yield d;
      } finally {
        await dir.close().catch(() => {});
      }
    };
    return dir;
  };
  const trackFd = (fd: unknown) => {
    if (typeof fd === 'number') vfds.add(fd);
    return fd;
  };
  const trackHandle = (h: any) => {
    vhandles.add(h);
    if (typeof h.fd === 'number') vfds.add(h.fd);
    const close = h.close.bind(h);
    h.close = async () => {
      vfds.delete(h.fd);
      return close();
    };
    const stat = h.stat.bind(h);
    h.stat = async (...a: unknown[]) => toStats(await stat(...a));
    return h;
  };
  /** lstat of a link: Node reports the target's length as the size; memfs reports 0. */
  const linkStats = (s: any, abs?: string) => {
    toStats(s);
    if (abs && s && typeof s.isSymbolicLink === 'function' && s.isSymbolicLink() && !s.size) {
      try {
        s.size = Buffer.byteLength(String(vol().readlinkSync(abs)));
      } catch {
        // leave it
      }
    }
    return s;
  };
  const POST: Record<string, (r: any, abs?: string) => any> = {
    stat: toStats,
    lstat: linkStats,
    fstat: toStats,
    readdir: toDirents,
    open: trackFd,
    opendir: wrapDir,
  };
  const PROMISE_POST: Record<string, (r: any, abs?: string) => any> = { ...POST, open: trackHandle };
  const identity = (r: any) => r;

  const view: Dict = {};
  // Everything we do not route (constants, classes, functions Node adds later, such as glob) is the real one.
  for (const key of Object.keys(realFs)) {
    const value = real[key];
    view[key] = typeof value === 'function' && !/^[A-Z]/.test(key) ? value.bind(realFs) : value;
  }

  // --- building blocks ----------------------------------------------------------------------------------
  const runVirtSync = (call: () => any, ctx: Ctx, post: (r: any, abs?: string) => any = identity) => {
    if (isDisposed()) throw disposed();
    try {
      return post(call(), ctx.abs);
    } catch (e) {
      throw fix(e, ctx);
    }
  };
  const runRealSync = (call: () => any) => {
    try {
      return call();
    } catch (e) {
      throw wrapReal(e);
    }
  };
  /** Calls a callback-style function with a callback that fixes errors and post-processes the result. */
  const runVirtCb = (fn: Fn, args: any[], ctx: Ctx, post: (r: any, abs?: string) => any = identity) => {
    const cb = args[args.length - 1] as Fn;
    if (isDisposed()) return void process.nextTick(cb, disposed());
    // a call still in flight when the codebase is disposed fails as a later one would, not with memfs' ENOENT
    // memfs may call back from a promise job: the callback runs from a tick of its own, so that a throw in it is
    // an uncaught exception, as a throw in Node's fs callbacks is (not an unhandled rejection of memfs' promise).
    args[args.length - 1] = (err: unknown, ...res: any[]) =>
      err
        ? process.nextTick(cb, isDisposed() ? disposed() : fix(err, ctx))
        : process.nextTick(cb, null, ...(res.length ? [post(res[0], ctx.abs), ...res.slice(1)] : []));
    try {
      fn(...args);
    } catch (e) {
      if (!isSystemError(e)) throw e;
      process.nextTick(cb, fix(e, ctx));
    }
  };
  const runRealCb = (fn: Fn, args: any[]) => {
    const cb = args[args.length - 1];
    if (wrap && typeof cb === 'function')
      args[args.length - 1] = (err: unknown, ...res: any[]) => cb(wrapReal(err), ...res);
    return fn(...args);
  };
  const runVirtPromise = async (call: () => Promise<any>, ctx: Ctx, post: (r: any, abs?: string) => any = identity) => {
    if (isDisposed()) throw disposed();
    try {
      return post(await call(), ctx.abs);
    } catch (e) {
      throw isDisposed() ? disposed() : fix(e, ctx);
    }
  };
  const runRealPromise = async (call: () => Promise<any>) => {
    try {
      return await call();
    } catch (e) {
      throw wrapReal(e);
    }
  };
  const hasCb = (args: any[]) => typeof args[args.length - 1] === 'function';

  const promises: Dict = {};
  for (const key of Object.keys(realFs.promises)) {
    const value = rp[key];
    promises[key] = typeof value === 'function' ? value.bind(realFs.promises) : value;
  }

  // --- one path ----------------------------------------------------------------------------------------------
  const definePath = (name: string, fdAlso: boolean) => {
    const post = POST[name] ?? identity;
    const ppost = PROMISE_POST[name] ?? identity;
    const sync = `${name}Sync`;
    if (typeof real[sync] === 'function') {
      view[sync] = (p: unknown, ...rest: any[]) => {
        if (fdAlso && typeof p === 'number') {
          return vfds.has(p)
            ? runVirtSync(() => v()[sync](p, ...rest), {}, post)
            : runRealSync(() => real[sync](p, ...rest));
        }
        const abs = virt(p);
        if (abs === null) return runRealSync(() => real[sync](p, ...rest));
        return runVirtSync(() => v()[sync](abs, ...rest), { p, abs }, post);
      };
    }
    if (typeof real[name] === 'function') {
      view[name] = (p: unknown, ...rest: any[]) => {
        if (!hasCb(rest)) return real[name](p, ...rest); // Node's own argument error
        if (fdAlso && typeof p === 'number') {
          return vfds.has(p)
            ? runVirtCb(v()[name].bind(vol()), [p, ...rest], {}, post)
            : runRealCb(real[name], [p, ...rest]);
        }
        const abs = virt(p);
        if (abs === null) return runRealCb(real[name], [p, ...rest]);
        return runVirtCb(v()[name].bind(vol()), [abs, ...rest], { p, abs }, post);
      };
    }
    if (typeof rp[name] === 'function') {
      promises[name] = (p: unknown, ...rest: any[]) => {
        if (fdAlso && p && typeof p === 'object' && vhandles.has(p)) {
          return runVirtPromise(() => vp()[name](p, ...rest), {}, ppost);
        }
        const abs = fdAlso && typeof p === 'number' ? (vfds.has(p) ? '' : null) : virt(p);
        if (abs === null) return runRealPromise(() => rp[name](p, ...rest));
        return runVirtPromise(() => vp()[name](abs || p, ...rest), { p, abs }, ppost);
      };
    }
  };
  for (const name of PATH1) definePath(name, false);
  for (const name of PATH_OR_FD) definePath(name, true);
  // Plain reads of files the index knows are answered without building the volume (misses and every other
  // form go to it, so errors stay memfs's as fixed above); a Buffer is a copy, as memfs returns.
  const fastRead = options.fastRead;
  if (fastRead) {
    const slowReadFileSync = view.readFileSync;
    view.readFileSync = (p: unknown, opts?: unknown) => {
      const encoding = typeof opts === 'string' ? opts : opts == null ? null : undefined;
      if (typeof p === 'string' && encoding !== undefined && !isDisposed()) {
        const abs = virt(p);
        const bytes = abs === null || abs.endsWith('/') ? undefined : fastRead(abs);
        if (bytes !== undefined) {
          if (encoding === null) return Buffer.from(bytes);
          if (encoding === 'utf8' || encoding === 'utf-8') return bytes.toString('utf8');
        }
      }
      return slowReadFileSync(p, opts);
    };
  }
  // Node's JS realpath reports a missing path from lstat; only the .native (libuv) forms say realpath
  const asLstat = (err: unknown) => {
    if (!isSystemError(err) || err.syscall !== 'realpath') return err;
    const out = systemError(err.code!, 'lstat', err.path, err.dest);
    return out;
  };
  const nativeRealpathSync = view.realpathSync;
  const nativeRealpath = view.realpath;
  view.realpathSync = (p: unknown, ...rest: any[]) => {
    if (virt(p) === null) return realFs.realpathSync(p as string, ...rest);
    try {
      return nativeRealpathSync(p, ...rest);
    } catch (e) {
      throw wrap && isSystemError(e) ? e : asLstat(e);
    }
  };
  view.realpathSync.native = nativeRealpathSync;
  view.realpath = (p: unknown, ...rest: any[]) => {
    if (virt(p) === null || !hasCb(rest)) return (realFs.realpath as Fn)(p, ...rest);
    const cb = rest.pop() as Fn;
    return nativeRealpath(p, ...rest, (err: unknown, res: unknown) =>
      cb(err ? (wrap ? err : asLstat(err)) : null, res),
    );
  };
  view.realpath.native = nativeRealpath;

  // mkdir({ recursive }) returns the first directory it created, in the caller's form of the path
  const firstMissing = (abs: string): string | undefined => {
    if (vol().existsSync(abs)) return undefined;
    let cur = abs;
    for (let up = nodePath.dirname(cur); up !== cur && !vol().existsSync(up); up = nodePath.dirname(cur)) cur = up;
    return cur;
  };
  const created = (p: unknown, abs: string, first: string | undefined) => {
    if (first === undefined) return undefined;
    if (typeof p !== 'string') return first;
    const drop = abs.split('/').length - first.split('/').length;
    const parts = nodePath.normalize(p).replace(/\/+$/, '').split('/');
    return parts.slice(0, parts.length - drop).join('/');
  };
  const recursive = (opts: unknown) => !!opts && typeof opts === 'object' && (opts as Dict).recursive === true;
  for (const [holder, key] of [
    [view, 'mkdirSync'],
    [view, 'mkdir'],
    [promises, 'mkdir'],
  ] as const) {
    const inner = holder[key];
    holder[key] = (p: unknown, ...rest: any[]) => {
      const abs = virt(p);
      if (abs === null || !recursive(rest[0]) || isDisposed()) return inner(p, ...rest);
      const first = firstMissing(abs);
      if (key === 'mkdirSync') {
        inner(p, ...rest);
        return created(p, abs, first);
      }
      if (key === 'mkdir' && holder === view) {
        const cb = rest.pop() as Fn;
        return inner(p, ...rest, (err: unknown) => (err ? cb(err) : cb(null, created(p, abs, first))));
      }
      return inner(p, ...rest).then(() => created(p, abs, first));
    };
  }

  // --- file descriptors ----------------------------------------------------------------------------------------
  for (const name of FD) {
    const post = POST[name] ?? identity;
    const sync = `${name}Sync`;
    const after = name === 'close' ? (fd: number) => vfds.delete(fd) : () => {};
    if (typeof real[sync] === 'function') {
      view[sync] = (fd: any, ...rest: any[]) => {
        if (!vfds.has(fd)) return runRealSync(() => real[sync](fd, ...rest));
        const out = runVirtSync(() => v()[sync](fd, ...rest), {}, post);
        after(fd);
        return out;
      };
    }
    if (typeof real[name] === 'function') {
      view[name] = (fd: any, ...rest: any[]) => {
        if (name === 'close' && vfds.has(fd) && !hasCb(rest)) {
          rest.push((err: unknown) => {
            if (err) throw err;
          });
        }
        if (!vfds.has(fd) || !hasCb(rest)) return runRealCb(real[name], [fd, ...rest]);
        after(fd);
        return runVirtCb(v()[name].bind(vol()), [fd, ...rest], {}, post);
      };
    }
  }

  // --- two paths ---------------------------------------------------------------------------------------------------
  const exdev = (name: string, a: unknown, b: unknown) =>
    fix(systemError('EXDEV', name, toPathString(a), toPathString(b)), {});
  /** copyFile between the volume and the disk: read on one side, write on the other. */
  const copyAcross = (src: unknown, dest: unknown, mode = 0) => {
    const data = view.readFileSync(src);
    view.writeFileSync(dest, data, { flag: mode & realFs.constants.COPYFILE_EXCL ? 'wx' : 'w' });
  };
  /** cp between the volume and the disk, through this view (files, directories, symlinks). */
  const cpAcross = (src: unknown, dest: unknown, opts: Dict = {}) => {
    const st = view.lstatSync(src);
    if (typeof opts.filter === 'function' && !opts.filter(toPathString(src), toPathString(dest))) return;
    if (st.isDirectory()) {
      if (!opts.recursive) {
        throw systemError('EISDIR', 'cp', toPathString(src), undefined, 'use the recursive option to copy a directory');
      }
      view.mkdirSync(dest, { recursive: true });
      for (const name of view.readdirSync(src)) {
        cpAcross(nodePath.join(toPathString(src)!, name), nodePath.join(toPathString(dest)!, name), opts);
      }
    } else if (st.isSymbolicLink() && !opts.dereference) {
      view.symlinkSync(view.readlinkSync(src), dest);
    } else {
      if (view.existsSync(dest)) {
        if (opts.errorOnExist && opts.force === false) throw systemError('EEXIST', 'cp', toPathString(dest));
        if (opts.force === false) return;
      }
      copyAcross(src, dest);
    }
  };
  for (const name of TWO_PATHS) {
    const sync = `${name}Sync`;
    const across = (a: unknown, b: unknown, rest: any[]) => {
      if (name === 'copyFile') return copyAcross(a, b, typeof rest[0] === 'number' ? rest[0] : 0);
      if (name === 'cp') return cpAcross(a, b, rest[0] && typeof rest[0] === 'object' ? rest[0] : {});
      throw exdev(name, a, b);
    };
    if (typeof real[sync] === 'function') {
      view[sync] = (a: unknown, b: unknown, ...rest: any[]) => {
        const va = virt(a);
        const vb = virt(b);
        if (va === null && vb === null) return runRealSync(() => real[sync](a, b, ...rest));
        if (va !== null && vb !== null)
          return runVirtSync(() => v()[sync](va, vb, ...rest), { p: a, abs: va, d: b, dabs: vb });
        if (isDisposed()) throw disposed();
        return across(a, b, rest);
      };
    }
    if (typeof real[name] === 'function') {
      view[name] = (a: unknown, b: unknown, ...rest: any[]) => {
        if (!hasCb(rest)) return real[name](a, b, ...rest);
        const va = virt(a);
        const vb = virt(b);
        if (va === null && vb === null) return runRealCb(real[name], [a, b, ...rest]);
        if (va !== null && vb !== null) {
          return runVirtCb(v()[name].bind(vol()), [va, vb, ...rest], { p: a, abs: va, d: b, dabs: vb });
        }
        const cb = rest.pop() as Fn;
        setImmediate(() => {
          try {
            if (isDisposed()) throw disposed();
            across(a, b, rest);
            cb(null);
          } catch (e) {
            cb(e);
          }
        });
      };
    }
    if (typeof rp[name] === 'function') {
      promises[name] = async (a: unknown, b: unknown, ...rest: any[]) => {
        const va = virt(a);
        const vb = virt(b);
        if (va === null && vb === null) return runRealPromise(() => rp[name](a, b, ...rest));
        if (va !== null && vb !== null) {
          return runVirtPromise(() => vp()[name](va, vb, ...rest), { p: a, abs: va, d: b, dabs: vb });
        }
        if (isDisposed()) throw disposed();
        return across(a, b, rest);
      };
    }
  }

  // --- symlink(target, path): routed by the link's own path ----------------------------------------------------------
  view.symlinkSync = (target: unknown, p: unknown, ...rest: any[]) => {
    const abs = virt(p);
    if (abs === null) return runRealSync(() => realFs.symlinkSync(target as string, p as string, ...rest));
    return runVirtSync(() => v().symlinkSync(toPathString(target) ?? target, abs, ...rest), { p, abs });
  };
  view.symlink = (target: unknown, p: unknown, ...rest: any[]) => {
    const abs = virt(p);
    if (abs === null || !hasCb(rest)) return runRealCb(real.symlink, [target, p, ...rest]);
    return runVirtCb(v().symlink.bind(vol()), [toPathString(target) ?? target, abs, ...rest], { p, abs });
  };
  promises.symlink = (target: unknown, p: unknown, ...rest: any[]) => {
    const abs = virt(p);
    if (abs === null) return runRealPromise(() => rp.symlink(target, p, ...rest));
    return runVirtPromise(() => vp().symlink(toPathString(target) ?? target, abs, ...rest), { p, abs });
  };

  // --- exists -----------------------------------------------------------------------------------------------------------
  view.existsSync = (p: unknown) => {
    const abs = virt(p);
    if (abs === null) return realFs.existsSync(p as string);
    if (isDisposed()) return false;
    if (abs.endsWith('/')) {
      // a trailing slash asks for a directory: `file/` does not exist (memfs would say it does)
      try {
        return vol().statSync(abs.slice(0, -1)).isDirectory();
      } catch {
        return false;
      }
    }
    return options.fastExists?.(abs) ?? vol().existsSync(abs);
  };
  view.exists = (p: unknown, cb: (exists: boolean) => void) => {
    const abs = virt(p);
    if (abs === null) return (realFs.exists as Fn)(p, cb);
    const yes = view.existsSync(p);
    process.nextTick(cb, yes);
  };

  // --- streams ---------------------------------------------------------------------------------------------------------
  for (const name of ['createReadStream', 'createWriteStream']) {
    view[name] = (p: unknown, opts?: any) => {
      const fd = opts && typeof opts === 'object' ? opts.fd : undefined;
      const virtual =
        fd !== undefined
          ? typeof fd === 'number'
            ? vfds.has(fd)
            : vhandles.has(fd)
          : virt(p) !== null && !(typeof p === 'number' && !vfds.has(p));
      if (!virtual) return real[name](p, opts);
      if (isDisposed()) throw disposed();
      const abs = typeof p === 'number' ? p : (virt(p) ?? p);
      const stream = v()[name](abs, opts);
      if (typeof opts === 'object' && opts && typeof opts.fd === 'number') vfds.add(opts.fd);
      return stream;
    };
  }

  // --- openAsBlob (memfs has none) ------------------------------------------------------------------------------------------
  if (typeof real.openAsBlob === 'function') {
    view.openAsBlob = async (p: unknown, opts?: { type?: string }) => {
      const abs = virt(p);
      if (abs === null) return runRealPromise(() => real.openAsBlob(p, opts));
      const data = runVirtSync(() => vol().readFileSync(abs) as Buffer, { p, abs });
      return new Blob([data], { type: opts?.type ?? '' });
    };
  }

  // --- watching: real paths only -------------------------------------------------------------------------------------------
  const noWatch = (p: unknown) =>
    fix(
      systemError(
        'ENOSYS',
        'watch',
        toPathString(p),
        undefined,
        'files inside a codebase zip never change on disk; watching works only for paths outside its root',
      ),
      {},
    );
  view.watch = (p: unknown, ...rest: any[]) => {
    if (virt(p) !== null) throw noWatch(p);
    return runRealSync(() => real.watch(p, ...rest));
  };
  view.watchFile = (p: unknown, ...rest: any[]) => {
    if (virt(p) !== null) throw noWatch(p);
    return real.watchFile(p, ...rest);
  };
  view.unwatchFile = (p: unknown, ...rest: any[]) => {
    if (virt(p) !== null) return;
    return real.unwatchFile(p, ...rest);
  };
  promises.watch = (p: unknown, ...rest: any[]) => {
    if (virt(p) !== null) {
      const err = noWatch(p);
      return {
        [Symbol.asyncIterator]() {
          return this;
        },
        next: () => Promise.reject(err),
        return: () => Promise.resolve({ done: true, value: undefined }),
      };
    }
    return rp.watch(p, ...rest);
  };

  // A thrown fs error's stack starts at the caller, as Node's do, not inside memfs or this file.
  for (const key of Object.keys(view)) {
    const inner = view[key];
    if (typeof inner !== 'function' || /^[A-Z]/.test(key)) continue;
    const outer = function (this: unknown, ...args: unknown[]) {
      try {
        return inner.apply(this, args);
      } catch (e) {
        if (e && typeof e === 'object' && typeof (e as Dict).syscall === 'string') Error.captureStackTrace(e, outer);
        throw e;
      }
    };
    const original = real[key];
    likeOriginal(outer, original, key);
    if (typeof inner.native === 'function') outer.native = likeOriginal(inner.native, original?.native, 'native');
    // util.promisify's markers: read/write/readv/writev resolve to { bytesRead, buffer } and the like
    if (typeof original === 'function') {
      for (const sym of Object.getOwnPropertySymbols(original)) (outer as Dict)[sym] = original[sym];
    }
    view[key] = outer;
  }
  view.exists[util.promisify.custom] = (p: unknown) => new Promise((resolve) => view.exists(p, resolve));
  for (const key of Object.keys(promises)) {
    if (typeof promises[key] === 'function') likeOriginal(promises[key], rp[key], key);
  }

  promises.constants = realFs.constants;
  view.promises = promises;
  return view as unknown as CodebaseFs;
}
