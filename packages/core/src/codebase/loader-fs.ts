/**
 * The file access the module loader itself uses: the same files the codebase's `fs` view shows, reached
 * directly (the memfs volume for paths under the root, `node:fs` elsewhere) without the view's general
 * routing, which costs ~3x per call and matters for thousands of modules. User code never gets this object.
 */
import realFs from 'node:fs';
import path from 'node:path';
import type { Volume } from 'memfs';
import type { FsView } from '../runtime/fs-view.js';

export function createLoaderFs(root: string, vol: Volume, hasSymlinks: boolean): FsView {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const inside = (p: string) => p === root || p.startsWith(prefix);
  const memfs = vol as unknown as typeof realFs;
  return {
    readFileSync: ((p: string, options?: unknown) =>
      inside(p) ? memfs.readFileSync(p, options as never) : realFs.readFileSync(p, options as never)) as never,
    statSync: ((p: string, options?: unknown) =>
      inside(p) ? memfs.statSync(p, options as never) : realFs.statSync(p, options as never)) as never,
    realpathSync: ((p: string) =>
      inside(p) ? (hasSymlinks ? memfs.realpathSync(p) : path.resolve(p)) : realFs.realpathSync(p)) as never,
  };
}
