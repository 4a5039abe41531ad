/**
 * The per-user cache directory, where `wandb:` sources are kept once downloaded: `$XDG_CACHE_HOME/codesave`,
 * else `~/.cache/codesave`, else `<tmpdir>/codesave-<uid>`; created 0700, and refused when another user
 * owns it or others may write to it (as ssh treats ~/.ssh).
 *
 * A minimal local copy of the rule core's `runtime/user-cache.ts` implements (issue 12); to be replaced by
 * that module when both are merged.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { CodesaveError } from '@codesave/core';

export function userCacheDir(env: Record<string, string | undefined> = process.env, home?: string): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'codesave');
  let dir = home;
  if (dir === undefined) {
    try {
      dir = homedir();
    } catch {
      dir = '';
    }
  }
  if (dir) return join(dir, '.cache', 'codesave');
  return join(tmpdir(), `codesave-${process.getuid?.() ?? 'user'}`);
}

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
