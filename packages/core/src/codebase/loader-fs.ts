/**
 * The file access the module loader itself uses: the same files the codebase's `fs` view shows, reached
 * directly without the view's general routing, which costs ~3x per call and matters for thousands of modules.
 * Under the root it asks the archive's index while that is still the truth (a Map lookup instead of a memfs
 * path walk, and no memfs volume built at all for a codebase that never touches `fs` beyond plain reads), then
 * the memfs volume; `node:fs` elsewhere. User code never gets this object.
 */
import realFs from 'node:fs';
import path from 'node:path';
import type { LoaderFsView } from '../runtime/fs-view.js';
import { systemError } from '../volume/errors.js';
import type { CodebaseVolume } from '../volume/index.js';

/** What `statSync` answers from the index: the two questions resolution asks. */
const FILE_STAT = Object.freeze({ isFile: () => true, isDirectory: () => false, isSymbolicLink: () => false });
const DIR_STAT = Object.freeze({ isFile: () => false, isDirectory: () => true, isSymbolicLink: () => false });

/** A path the index can answer for as given: absolute, normalised, no trailing slash. */
const plain = (p: string) =>
  !p.includes('//') &&
  !p.includes('/./') &&
  !p.includes('/../') &&
  !p.endsWith('/') &&
  !p.endsWith('/.') &&
  !p.endsWith('/..');

/**
 * `verified(name)`: the sha256 a read of the file at zip path `name` was checked against (the archive's
 * `checkedDigest`), `undefined` until a read has checked it; the loader keys its transform cache by it instead of
 * hashing sources again. The loader reads a source (so the archive checks it) before it asks for its key.
 */
export function createLoaderFs(
  root: string,
  volume: CodebaseVolume,
  hasSymlinks: boolean,
  verified?: (name: string) => string | undefined,
): LoaderFsView {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const inside = (p: string) => p === root || p.startsWith(prefix);
  const memfs = () => volume.vol as unknown as typeof realFs;
  return {
    readFileSync: ((p: string, options?: unknown) => {
      if (!inside(p)) return realFs.readFileSync(p, options as never);
      const index = volume.index;
      if (index && plain(p)) {
        const bytes = index.read(p);
        if (bytes === undefined) {
          throw systemError(index.stat(p) === 1 ? 'EISDIR' : 'ENOENT', index.stat(p) === 1 ? 'read' : 'open', p);
        }
        if (options === 'utf8' || options === 'utf-8') return bytes.toString('utf8');
        if (options === undefined || options === null) return Buffer.from(bytes);
      }
      return memfs().readFileSync(p, options as never);
    }) as never,
    statSync: ((p: string, options?: { throwIfNoEntry?: boolean }) => {
      if (!inside(p)) return realFs.statSync(p, options as never);
      const index = volume.index;
      if (index && plain(p)) {
        const kind = index.stat(p);
        if (kind === 0) return FILE_STAT;
        if (kind === 1) return DIR_STAT;
        if (options?.throwIfNoEntry === false) return undefined;
        throw systemError('ENOENT', 'stat', p);
      }
      return memfs().statSync(p, options as never);
    }) as never,
    realpathSync: ((p: string) =>
      inside(p) ? (hasSymlinks ? memfs().realpathSync(p) : path.resolve(p)) : realFs.realpathSync(p)) as never,
    // Only while the index is the truth: once the volume is built, a file may have been written.
    contentHash: (p: string) =>
      verified && volume.index && p.startsWith(prefix) && plain(p) ? verified(p.slice(prefix.length)) : undefined,
  };
}
