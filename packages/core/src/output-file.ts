/**
 * The one rule every writer of codesave follows for the file it is asked to write (`checkpoint`, `codesave save`,
 * `pull`, the W&B downloads): nothing is written through a symbolic link, nothing that is not ours is replaced,
 * and an interrupted write leaves nothing behind.
 *
 * - Nothing at the output, an empty regular file, or a regular file that is a zip: replaced atomically — the
 *   new bytes go to a temp file in the same directory, are `fsync`ed, renamed over the output, and the directory
 *   is `fsync`ed.
 * - A symbolic link (never followed), or a regular file that is not a zip: refused with a `CodesaveError`
 *   unless `force` (then the link itself, or the file, is replaced; what a link pointed at is untouched).
 * - A directory, device, FIFO or socket: always refused — `force` replaces data, not file system objects.
 *
 * Temp files carry the writing process's pid in their name (`.<name>.<pid>-<hex>.codesave-tmp`): the next
 * writer into the same directory removes those whose process is gone (a `kill -9`, a power cut), and
 * {@link removeTempFiles} removes this process's own (the CLI calls it on SIGINT/SIGTERM).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  rmdirSync,
  rmSync,
  unlinkSync,
} from 'node:fs';
import { mkdir, realpath, rename, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CodesaveError } from './errors.js';

/** Suffix of every temp file codesave writes next to an output (a snapshot's walk never stores them). */
export const TEMP_SUFFIX = '.codesave-tmp';
const STALE = /^\..*\.(\d+)-[0-9a-f]+\.codesave-tmp$/;

/** Options of {@link prepareOutput}. */
export interface OutputOptions {
  /** Replace a symbolic link or a regular file that is not a zip (never a directory or a device). Default `false`. */
  force?: boolean;
  /** The option or flag that named the output, for messages (default `output`). */
  option?: string;
}

/** An output checked against the rule, with its temp file's name; {@link commit} puts the temp file in place. */
export interface PreparedOutput {
  /** The output's absolute path (as given, resolved). */
  readonly path: string;
  /** Where it lands: the output's name in the real path of its directory. */
  readonly target: string;
  /** The temp file to write (in the output's directory; not created yet). */
  readonly temp: string;
  /** `fsync`s the temp file, checks the output again, renames the temp file over it and `fsync`s the directory. */
  commit(): Promise<void>;
  /** Removes the temp file (after a failure). Never throws. */
  discard(): void;
}

/** Temp paths this process is writing (files or directories): removed by {@link removeTempFiles}. */
const live = new Set<string>();

/**
 * Registers a temp path (a file or a directory) of this process so {@link removeTempFiles} removes it;
 * returns the function that unregisters it (call it once the path is renamed away or removed).
 */
export function trackTemp(path: string): () => void {
  live.add(path);
  return () => {
    live.delete(path);
  };
}

/** Removes every temp path this process registered and has not finished with (synchronous: for signal handlers). */
export function removeTempFiles(): void {
  for (const path of live) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {}
  }
  live.clear();
}

/**
 * Checks `output` against the rule (see the module comment), removes stale temp files of dead processes from its
 * directory and names this write's temp file.
 *
 * @throws CodesaveError `ERR_OUTPUT_DIR_MISSING` (no such directory), `ERR_BAD_OPTION` (the output exists and may
 *   not be replaced).
 */
export async function prepareOutput(output: string, options: OutputOptions = {}): Promise<PreparedOutput> {
  const option = options.option ?? 'output';
  const path = resolve(output);
  // Missing directories above the output are made, as tools writing into run folders do; discard() removes
  // the ones made here again (rmdir leaves any that something else wrote into).
  const { dir, made } = await outputDirectory(path);
  if (/[\\/]$/.test(output)) throw isDirectory(path, option);
  const target = join(dir, basename(path));
  checkTarget(path, target, options.force === true, option);
  removeStaleTemps(dir);
  // the temp name stays within NAME_MAX (255 bytes) whatever the output's name
  const name = basename(path);
  const stem = Buffer.byteLength(name) > 150 ? createHash('sha256').update(name).digest('hex').slice(0, 16) : name;
  const temp = join(dir, `.${stem}.${process.pid}-${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  const untrack = trackTemp(temp);
  const discard = () => {
    untrack();
    try {
      unlinkSync(temp);
    } catch {}
    for (let d = dir; made && d.length >= made.length; d = dirname(d)) {
      try {
        rmdirSync(d);
      } catch {
        break;
      }
    }
  };
  return {
    path,
    target,
    temp,
    async commit() {
      try {
        syncPath(temp, false);
        // checked again: something may have appeared at the output while the temp file was written
        checkTarget(path, target, options.force === true, option);
        await rename(temp, target);
      } catch (error) {
        discard();
        if (error instanceof CodesaveError) throw error;
        const code = (error as NodeJS.ErrnoException).code;
        throw new CodesaveError(
          'ERR_OUTPUT_UNWRITABLE',
          `cannot write ${path} (${code ?? (error as Error).message}); check that the directory is writable and has space, or choose another output`,
          { cause: error, details: { path, errno: code } },
        );
      }
      untrack();
      // the rename itself is durable once the directory is
      syncPath(dir, true);
    },
    discard,
  };
}

/**
 * The real path of the output's directory, made (with its missing parents) when it does not exist yet under
 * the nearest existing ancestor, which must be a directory. `made` is the outermost directory made, if any.
 */
async function outputDirectory(path: string): Promise<{ dir: string; made?: string }> {
  const missing: string[] = [];
  let dir = dirname(path);
  for (;;) {
    const st = await stat(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw new CodesaveError(
        'ERR_OUTPUT_DIR_MISSING',
        `cannot write ${path}: ${dir} is not reachable (${error.code})`,
        {
          cause: error,
          details: { path },
        },
      );
    });
    if (st && !st.isDirectory()) {
      throw new CodesaveError(
        'ERR_OUTPUT_DIR_MISSING',
        `cannot write ${path}: ${dir} is a file, not a directory; choose an output inside a directory`,
        { details: { path } },
      );
    }
    if (st || dirname(dir) === dir) break;
    missing.push(basename(dir));
    dir = dirname(dir);
  }
  const existing = await realpath(dir);
  if (missing.length === 0) return { dir: existing };
  missing.reverse();
  const real = join(existing, ...missing);
  try {
    await mkdir(real, { recursive: true });
  } catch (cause) {
    throw new CodesaveError(
      'ERR_OUTPUT_UNWRITABLE',
      `cannot make ${dirname(path)} for ${path} (${(cause as NodeJS.ErrnoException).code}); check that its parent is writable`,
      { cause, details: { path } },
    );
  }
  return { dir: real, made: join(existing, missing[0]!) };
}

/** What is at `target` now may be replaced (see the module comment), or throws. */
function checkTarget(path: string, target: string, force: boolean, option: string): void {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(target, { throwIfNoEntry: false });
  } catch (cause) {
    throw new CodesaveError(
      'ERR_OUTPUT_UNWRITABLE',
      `cannot look at ${path} (${(cause as NodeJS.ErrnoException).code}); check its permissions`,
      {
        cause,
        details: { path },
      },
    );
  }
  if (!st) return;
  const unlessForce = `Choose another name, delete it first, or pass --force (force: true) to replace it`;
  if (st.isSymbolicLink()) {
    if (force) return;
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `${option} ${path} is a symbolic link; codesave never writes through a link (it could lead anywhere). ${unlessForce} (the link itself is replaced, not what it points at)`,
      { details: { path, kind: 'symlink' } },
    );
  }
  if (st.isDirectory()) throw isDirectory(path, option);
  if (!st.isFile()) {
    // rename() would replace a device or FIFO node (think -o /dev/null) with the zip
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `${option} ${path} exists and is not a regular file (a device, FIFO or socket); choose a file name for the zip`,
      { details: { path, kind: 'special' } },
    );
  }
  if (st.size === 0 || force || looksLikeZip(target)) return;
  // as zip(1) does: an existing file that is not a zip is someone's data (often a file of the project itself)
  throw new CodesaveError(
    'ERR_BAD_OPTION',
    `${option} ${path} exists and is not a zip; codesave replaces only zip files. ${unlessForce}`,
    { details: { path, kind: 'file' } },
  );
}

function isDirectory(path: string, option: string): CodesaveError {
  return new CodesaveError(
    'ERR_BAD_OPTION',
    `${option} ${path} is a directory; pass a file name like ${join(path, 'codebase.zip')}`,
    { details: { path, kind: 'directory' } },
  );
}

/** A zip's signature at the start (local header, or the end record of an empty zip), or an end record near the end. */
function looksLikeZip(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    if (head.readUInt32LE(0) === 0x04034b50 || head.readUInt32LE(0) === 0x06054b50) return true;
    const size = lstatSync(path).size;
    const length = Math.min(size, 22 + 0xffff);
    const tail = Buffer.alloc(length);
    readSync(fd, tail, 0, length, size - length);
    return tail.includes(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** `fsync` of a file or a directory; a file system that cannot sync a directory (EINVAL, EISDIR…) is left as it is. */
function syncPath(path: string, directory: boolean): void {
  let fd: number;
  try {
    fd = openSync(path, directory ? constants.O_RDONLY : constants.O_RDWR);
  } catch (error) {
    if (directory) return;
    throw error;
  }
  try {
    fsyncSync(fd);
  } catch (error) {
    if (!directory) throw error;
  } finally {
    closeSync(fd);
  }
}

/** Whether process `pid` exists (EPERM: it does, as another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes codesave temp files in `dir` left by processes that are gone (their pid is in the name): only regular
 * files owned by this user, never followed through links. Best effort: a file that cannot be removed stays.
 */
export function removeStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const match = STALE.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    const file = join(dir, name);
    try {
      const st = lstatSync(file);
      if (!st.isFile() || (uid !== undefined && st.uid !== uid)) continue;
      unlinkSync(file);
      removed.push(file);
    } catch {}
  }
  return removed;
}
