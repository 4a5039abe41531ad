/**
 * The per-user cache directory (core's `defaultCacheDir`), where `wandb:` sources are kept once downloaded:
 * created 0700, and refused with an error when another user owns it or others may write to it (as ssh treats
 * ~/.ssh). Core's transform cache runs on without a cache in that case; a download has nowhere else to be kept.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { CodesaveError } from '@codesave/core';

/** Creates `dir` (and its parents) 0700 and checks it is the user's own and private. */
export async function ensurePrivateDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stats = await lstat(dir);
  const uid = process.getuid?.();
  const problem = !stats.isDirectory()
    ? 'is not a directory'
    : uid !== undefined && stats.uid !== uid
      ? `belongs to uid ${stats.uid}, not to you (uid ${uid})`
      : process.platform !== 'win32' && (stats.mode & 0o022) !== 0
        ? `can be written by others (mode ${(stats.mode & 0o777).toString(8)})`
        : undefined;
  if (problem) {
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `the cache directory ${dir} ${problem}: downloads kept there could be replaced by someone else. Fix it (chmod 700, or remove it) or set XDG_CACHE_HOME`,
      { details: { path: dir } },
    );
  }
  return dir;
}
