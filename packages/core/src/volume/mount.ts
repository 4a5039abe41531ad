/**
 * entries → one memfs volume per codebase, with every entry at its absolute virtual path
 * `root + '/' + name`. File contents are inflated lazily, on first access, exactly once.
 */
import * as nodePath from 'node:path';
import type { Volume } from 'memfs';
import type { Archive } from '../archive/archive.js';
import { memfs } from '../deps.js';
import { CodesaveError } from '../errors.js';
import { type CodebaseFs, createFsView, type FsViewOptions } from './view.js';

export interface MountOptions extends FsViewOptions {
  /** Inflate each file on first access (default) or all of them now. */
  lazy?: boolean;
}

export interface CodebaseVolume {
  /** Absolute virtual root, e.g. `/abs/runs/a/codebase.zip` (no trailing slash). */
  readonly root: string;
  /** The memfs volume holding the codebase's files (at absolute paths under `root`); built on first use. */
  readonly vol: Volume;
  /** `node:fs` as the codebase sees it (with `.promises`): the volume under `root`, the disk elsewhere. */
  readonly fs: CodebaseFs;
  /**
   * The archive's own index of what the volume holds, while it is still exactly that: until the memfs volume
   * is first needed (any call of the view other than a read it can answer from here), after which it is
   * `undefined` and the volume is the one truth. Also `undefined` for zips with symlinks. For the loader.
   */
  readonly index: VolumeIndex | undefined;
  /** Frees the volume's memory. Afterwards, calls on paths under `root` fail with `ERR_DISPOSED`. Idempotent. */
  dispose(): void;
  /** The same as `dispose()`, for `using`. */
  [Symbol.dispose](): void;
}

/** Read-only answers from the archive's entries, for absolute normalised paths under the root. */
export interface VolumeIndex {
  /** 0 file, 1 directory, -2 missing (as `internalModuleStat`). */
  stat(abs: string): number;
  /** A file's bytes (shared: never change them), or `undefined` if `abs` is not a file. */
  read(abs: string): Buffer | undefined;
}

const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;

interface MemNode {
  buf: Buffer;
  size: number;
  capacity: number;
  mode: number;
  mtime: Date;
  atime: Date;
}

/**
 * Mounts `archive` at `root` (made absolute). The archive must stay open while the volume is used
 * lazily; the caller closes it after `dispose()`.
 */
export function mountVolume(archive: Archive, root: string, options: MountOptions = {}): CodebaseVolume {
  if (typeof root !== 'string' || root === '') {
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      'mountVolume: root must be a non-empty path, e.g. /abs/runs/a/codebase.zip',
    );
  }
  const absRoot = nodePath.resolve(root);
  const rootSlash = `${absRoot}/`;
  const lazy = options.lazy !== false;
  // sorted only for building the memfs volume; the index does not need an order (10,000 names cost ~3 ms)
  const names = [...archive.entries.keys()];
  let disposed = false;

  // Contents inflated once, shared by the index and (once built) the memfs nodes.
  const inflated = new Map<string, Buffer>();
  const contents = (name: string): Buffer => {
    let data = inflated.get(name);
    if (data === undefined) {
      data = archive.read(name);
      inflated.set(name, data);
    }
    return data;
  };

  // The index: every file and directory (declared or implied by a path) by absolute path.
  // Only where a Map lookup answers exactly as memfs would: no symlinks to follow, no permission that memfs
  // would refuse the owner (a file without owner read, a directory without owner read+search).
  const plain = names.every((name) => {
    const entry = archive.entries.get(name)!;
    if (entry.type === 'symlink') return false;
    if (entry.mode === undefined) return true;
    return entry.type === 'directory' ? (entry.mode & 0o500) === 0o500 : (entry.mode & 0o400) === 0o400;
  });
  let index: VolumeIndex | undefined;
  if (plain) {
    // Files are looked up in the archive's own entries (no second map of 10,000 absolute paths at open);
    // directories implied by paths are collected on the first question about one.
    const entries = archive.entries;
    let dirs: Set<string> | undefined;
    const impliedDirs = (): Set<string> => {
      if (dirs) return dirs;
      dirs = new Set<string>();
      for (const [name, entry] of entries) {
        if (entry.type === 'directory') dirs.add(name);
        for (let at = name.lastIndexOf('/'); at > 0; at = name.lastIndexOf('/', at - 1)) {
          const dir = name.slice(0, at);
          if (dirs.has(dir)) break;
          dirs.add(dir);
        }
      }
      return dirs;
    };
    const nameOf = (abs: string) => (abs.startsWith(rootSlash) ? abs.slice(rootSlash.length) : undefined);
    index = {
      stat: (abs) => {
        if (abs === absRoot) return 1;
        const name = nameOf(abs);
        if (name === undefined || name === '') return -2;
        const entry = entries.get(name);
        if (entry) return entry.type === 'directory' ? 1 : 0;
        return impliedDirs().has(name) ? 1 : -2;
      },
      read: (abs) => {
        const name = nameOf(abs);
        return name !== undefined && entries.get(name)?.type === 'file' ? contents(name) : undefined;
      },
    };
  }

  let built: Volume | undefined;
  /** Builds the memfs volume (once): from then on it, not the index, is the truth (it may be written). */
  const volume = (): Volume => {
    if (built) return built;
    index = undefined;
    built = build(archive, absRoot, names.sort(), contents, lazy);
    return built;
  };
  if (!index || !lazy) volume();

  const fs = createFsView(volume, absRoot, () => disposed, {
    ...options,
    fastRead: (abs) => (index && !disposed ? index.read(abs) : undefined),
    fastExists: (abs) => (index && !disposed ? index.stat(abs) !== -2 : undefined),
  });
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    index = undefined;
    inflated.clear();
    built?.reset();
  };
  return {
    root: absRoot,
    get vol() {
      return volume();
    },
    fs,
    get index() {
      return disposed ? undefined : index;
    },
    dispose,
    [Symbol.dispose]: dispose,
  };
}

/** The memfs volume with every entry at `root + '/' + name`; file contents come from `contents` on first access. */
function build(
  archive: Archive,
  absRoot: string,
  names: readonly string[],
  contents: (name: string) => Buffer,
  lazy: boolean,
): Volume {
  // memfs asks the process for uid/gid on every path walk (a syscall each time); answer from a cache
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const vol = memfs().Volume.fromJSON({}, '/', {
    process: {
      getuid: () => uid,
      getgid: () => gid,
      cwd: () => '/',
      platform: process.platform,
      emitWarning: (message: string, type: string) => process.emitWarning(message, type),
      env: process.env,
    },
  });
  const core = (vol as unknown as { _core: { getLinkOrThrow(p: string): { getNode(): MemNode } } })._core;
  const nodeOf = (p: string) => core.getLinkOrThrow(p).getNode();
  vol.mkdirSync(absRoot, { recursive: true, mode: 0o755 });

  // Directory modes and times are applied once every child exists: a read-only directory would refuse its
  // children, and creating them would move its times.
  const dirModes: Array<[string, number]> = [];
  const dirTimes: Array<[string, Date]> = [];
  const made = new Set<string>([absRoot]);
  for (const name of names) {
    const entry = archive.entries.get(name)!;
    const abs = `${absRoot}/${name}`;
    const parent = nodePath.posix.dirname(abs);
    if (!made.has(parent)) {
      vol.mkdirSync(parent, { recursive: true, mode: 0o755 });
      for (let d = parent; d.length > absRoot.length && !made.has(d); d = nodePath.posix.dirname(d)) made.add(d);
    }
    if (entry.type === 'directory') {
      if (!made.has(abs)) vol.mkdirSync(abs, { mode: 0o755 });
      made.add(abs);
      if (entry.mode !== undefined && entry.mode !== 0o755) dirModes.push([abs, entry.mode]);
      dirTimes.push([abs, entry.mtime]);
    } else if (entry.type === 'symlink') {
      vol.symlinkSync(entry.linkTarget!, abs);
      const node = nodeOf(abs);
      node.mode = S_IFLNK | 0o777;
      node.mtime = entry.mtime;
      node.atime = entry.mtime;
    } else {
      vol.writeFileSync(abs, '', { mode: 0o644 });
      const node = nodeOf(abs);
      // set on the node: a file without owner write could not be created with its mode by writeFileSync
      if (entry.mode !== undefined) node.mode = S_IFREG | (entry.mode & 0o7777);
      let data: Buffer | undefined;
      Object.defineProperty(node, 'buf', {
        configurable: true,
        enumerable: true,
        get: () => (data ??= contents(name)),
        set: (value: Buffer) => {
          data = value;
        },
      });
      node.size = entry.size;
      // capacity 0: the first write copies, so a buffer the archive keeps (eager) is never changed in place
      node.capacity = 0;
      node.mtime = entry.mtime;
      node.atime = entry.mtime;
      if (!lazy) void node.buf;
    }
  }
  for (const [abs, mtime] of dirTimes) vol.utimesSync(abs, mtime, mtime);
  // deepest first: a directory without search permission would refuse the walk to its children
  for (const [abs, mode] of dirModes.reverse()) vol.chmodSync(abs, mode);
  return vol;
}
