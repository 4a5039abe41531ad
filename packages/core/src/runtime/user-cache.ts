/**
 * The per-user cache directory and the key that authenticates what is read back from it. Anything codesave keeps
 * on disk between processes (transformed modules, V8 code caches, materialized files) lives under one directory
 * that only its user can write, and every entry read back is checked with an HMAC-SHA256 under a per-user key
 * kept in that directory — so a snapshot opened with `verify: true` runs only its own bytes, whatever happened to
 * the cache (another user who pre-created a shared directory, a pack edited by hand, a disk that flipped a bit).
 *
 * - Where: `$XDG_CACHE_HOME/codesave`, else `~/.cache/codesave`, else (no home) `<os tmpdir>/codesave-<uid>`.
 * - Created 0700. A directory that is not owned by this user, or that its group or others may write, is refused
 *   (one warning, then no disk cache: only slower), as ssh and gpg refuse such directories.
 * - The key: 32 random bytes in `<dir>/key`, mode 0600, made on first use.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** A cache directory that passed the checks, with the key its entries are sealed under. */
export interface UserCache {
  readonly dir: string;
  readonly key: Buffer;
}

const KEY_NAME = 'key';
const KEY_BYTES = 32;
/** Length of {@link sealEntry}'s output. */
export const SEAL_BYTES = 32;

/** The default cache directory of this user (see the module comment); not created here. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'codesave');
  let home = '';
  try {
    home = env.HOME || homedir();
  } catch {}
  if (home && isAbsolute(home) && isDirectory(home)) return join(home, '.cache', 'codesave');
  return join(tmpdir(), `codesave-${process.getuid?.() ?? 'user'}`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Each directory is checked once per process: the answer (a cache, or `undefined` when refused). */
const opened = new Map<string, UserCache | undefined>();
const warned = new Set<string>();

/** Reports a cache problem once per `key` as a process warning (`code`: `CODESAVE_CACHE_UNSAFE`, …). */
export function warnOnce(key: string, code: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(message, { code });
}

/**
 * The cache at `dir`, created (0700) if missing; `undefined` — after one warning — when the directory is unsafe
 * (owned by another user, writable by its group or others, not a directory) or cannot be made.
 */
export function openUserCache(dir: string): UserCache | undefined {
  const abs = resolve(dir);
  if (opened.has(abs)) return opened.get(abs);
  let cache: UserCache | undefined;
  try {
    cache = open(abs);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    warnOnce(
      `dir:${abs}`,
      'CODESAVE_CACHE_UNAVAILABLE',
      `codesave: cannot use the cache directory ${abs} (${why}); running without a disk cache (only slower). Set CODESAVE_CACHE_DIR or the cacheDir option to a directory of yours.`,
    );
  }
  opened.set(abs, cache);
  return cache;
}

function open(dir: string): UserCache | undefined {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const problem = unsafe(dir);
  if (problem) {
    warnOnce(
      `dir:${dir}`,
      'CODESAVE_CACHE_UNSAFE',
      `codesave: refusing the cache directory ${dir}: ${problem}. Another user could place code there that a codebase would run. Running without a disk cache (only slower); remove the directory, or set CODESAVE_CACHE_DIR (or cacheDir) to a directory only you can write (chmod 700).`,
    );
    return undefined;
  }
  return { dir, key: readOrMakeKey(dir) };
}

/** Why `dir` may not be used as this user's cache, or `undefined` when it may. */
function unsafe(dir: string): string | undefined {
  const uid = process.getuid?.();
  const link = lstatSync(dir);
  const st = statSync(dir);
  if (!st.isDirectory()) return 'it is not a directory';
  if (uid === undefined) return undefined; // no owners to check (Windows): its ACLs are the user profile's
  if (link.isSymbolicLink() && link.uid !== uid && link.uid !== 0)
    return `it is a symbolic link owned by uid ${link.uid}`;
  if (st.uid !== uid) return `it is owned by uid ${st.uid}, not by this user (uid ${uid})`;
  if (st.mode & 0o022) return `its group or others may write it (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

/** The key in `<dir>/key`; made when missing or unusable (a new key only makes the old entries fail their check). */
function readOrMakeKey(dir: string): Buffer {
  const file = join(dir, KEY_NAME);
  const existing = readKey(file);
  if (existing) return existing;
  const key = randomBytes(KEY_BYTES);
  const temp = join(dir, `.${KEY_NAME}.${process.pid}-${randomBytes(4).toString('hex')}.codesave-tmp`);
  writeFileSync(temp, key, { mode: 0o600, flag: 'wx' });
  try {
    try {
      linkSync(temp, file); // never replaces: two processes making a key at once agree on the first one
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const theirs = readKey(file);
      if (theirs) return theirs;
      renameSync(temp, file); // a key file that is not usable (wrong mode or size): replaced
      return key;
    }
  } finally {
    try {
      unlinkSync(temp);
    } catch {}
  }
  return key;
}

function readKey(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    if (!st.isFile() || st.size !== KEY_BYTES) return undefined;
    if (uid !== undefined && (st.uid !== uid || st.mode & 0o077)) return undefined;
    const key = Buffer.alloc(KEY_BYTES);
    return readSync(fd, key, 0, KEY_BYTES, 0) === KEY_BYTES ? key : undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * The seal of a cache entry: HMAC-SHA256 under the user's key over its name and bytes. Entry names carry the
 * hash of the (verified) source they were made from, so a seal binds the bytes to that source.
 */
export function sealEntry(cache: UserCache, name: string, bytes: Uint8Array): Buffer {
  return createHmac('sha256', cache.key).update(name).update('\0').update(bytes).digest();
}

/** Whether `seal` is {@link sealEntry}'s for this name and these bytes (compared in constant time). */
export function entryIntact(cache: UserCache, name: string, bytes: Uint8Array, seal: Uint8Array): boolean {
  if (seal.length !== SEAL_BYTES) return false;
  return timingSafeEqual(sealEntry(cache, name, bytes), seal);
}
