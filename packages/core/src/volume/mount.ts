/**
 * entries → one memfs volume per codebase, with every entry at its absolute virtual path
 * `root + '/' + name`. File contents are inflated lazily, on first access, exactly once.
 */
import * as nodePath from 'node:path';
import { Volume } from 'memfs';
import type { Archive } from '../archive/archive.js';
import { CodesaveError } from '../errors.js';
import { type CodebaseFs, createFsView, type FsViewOptions } from './view.js';

export interface MountOptions extends FsViewOptions {
  /** Inflate each file on first access (default) or all of them now. */
  lazy?: boolean;
}

export interface CodebaseVolume {
  /** Absolute virtual root, e.g. `/abs/runs/a/codebase.zip` (no trailing slash). */
  readonly root: string;
  /** The memfs volume holding the codebase's files (at absolute paths under `root`). */
  readonly vol: Volume;
  /** `node:fs` as the codebase sees it (with `.promises`): the volume under `root`, the disk elsewhere. */
  readonly fs: CodebaseFs;
  /** Frees the volume's memory. Afterwards, calls on paths under `root` fail with `ERR_DISPOSED`. Idempotent. */
  dispose(): void;
  /** The same as `dispose()`, for `using`. */
  [Symbol.dispose](): void;
}

const S_IFLNK = 0o120000;

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
  // memfs asks the process for uid/gid on every path walk (a syscall each time); answer from a cache
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const vol = Volume.fromJSON({}, '/', {
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

  const lazy = options.lazy !== false;
  const names = [...archive.entries.keys()].sort();
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
      if (entry.mode !== undefined && entry.mode !== 0o755) vol.chmodSync(abs, entry.mode);
      dirTimes.push([abs, entry.mtime]);
    } else if (entry.type === 'symlink') {
      vol.symlinkSync(entry.linkTarget!, abs);
      const node = nodeOf(abs);
      node.mode = S_IFLNK | 0o777;
      node.mtime = entry.mtime;
      node.atime = entry.mtime;
    } else {
      vol.writeFileSync(abs, '', { mode: entry.mode ?? 0o644 });
      const node = nodeOf(abs);
      let data: Buffer | undefined;
      Object.defineProperty(node, 'buf', {
        configurable: true,
        enumerable: true,
        get: () => (data ??= archive.read(name)),
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
  // after the children exist, so creating them does not move the directories' times
  for (const [abs, mtime] of dirTimes) vol.utimesSync(abs, mtime, mtime);

  let disposed = false;
  const fs = createFsView(vol, absRoot, () => disposed, options);
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    vol.reset();
  };
  return { root: absRoot, vol, fs, dispose, [Symbol.dispose]: dispose };
}
