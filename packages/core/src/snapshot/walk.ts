/**
 * Directory → file list. Honours `.gitignore` files at every level (with negations, directory-only and
 * anchored patterns, deeper files overriding shallower ones, as git does) plus the caller's patterns, which
 * take precedence over every `.gitignore`. Never enters `.git` or `node_modules`. Symbolic links are never
 * followed: a link whose target is inside the same root is stored as a link; one leading outside is skipped
 * and reported; a broken one is an error.
 */
import type { Dirent, Stats } from 'node:fs';
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Ignore } from 'ignore';
import { ignore } from '../deps.js';
import { checkEntryName } from '../entry-names.js';
import { CodesaveError } from '../errors.js';
import { TEMP_SUFFIX } from '../output-file.js';
import { isOwnSnapshot } from './own-snapshot.js';
import { readRegularTextSync } from './read-regular.js';

/** A file (or symbolic link) that goes into the snapshot. */
export interface WalkEntry {
  /** Path inside the zip, `/`-separated. */
  zipPath: string;
  /** Where its bytes are on disk. */
  absPath: string;
  size: number;
  executable: boolean;
  /** Set for a symbolic link: its target, relative to the link's directory, `/`-separated. */
  link?: string;
}

/** Why a file was left out of a snapshot although no ignore rule excluded it. */
export type SkipReason =
  | 'only-code'
  | 'too-large'
  | 'symlink-outside'
  | 'symlink-target-excluded'
  | 'special-file'
  | 'reserved-name'
  /** A codesave snapshot (a zip whose manifest codesave wrote), such as an earlier checkpoint's output. */
  | 'snapshot'
  /** A name a zip path cannot hold (see `checkEntryName`: not UTF-8, a backslash or control character, a
   * leading drive letter, longer than a file system allows): the load side would refuse the whole zip. */
  | 'unsafe-name';

/** A file a filter left out, reported in the result so nothing is lost silently. */
export interface SkippedFile {
  /** The path it would have had in the zip. */
  path: string;
  size: number;
  reason: SkipReason;
}

export interface WalkOptions {
  /** Zip path prefix for this root: `''` for the main root, `'name/'` for an extra library. */
  prefix: string;
  /** Read `.gitignore` files (off for installed dependencies). */
  gitignore: boolean;
  /** Extra gitignore-syntax patterns, matched relative to the root; they win over `.gitignore` files. */
  patterns: readonly string[];
  onlyCode: boolean;
  maxSize?: number;
  /** Absolute real paths never to include (the output zip and its temporary file). */
  exclude: ReadonlySet<string>;
}

const NEVER = new Set(['.git', 'node_modules']);

/** Files looked at as possible snapshots: zips by name (opening every file of a tree would cost a read each). */
const SNAPSHOT_NAME = /\.zip$/i;
const CODE_FILE = /\.(?:[cm]?[jt]sx?|json|jsonc|json5)$/i;
const CODE_NAMES = new Set(['package.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb', '.npmrc']);

/** `onlyCode`'s test: JS/TS sources, JSON (so `package.json`, `tsconfig*.json` and npm's lockfile), lockfiles. */
export function isCodeFile(name: string): boolean {
  return CODE_FILE.test(name) || CODE_NAMES.has(name);
}

interface Level {
  /** Directory of the `.gitignore`, relative to the root, with a trailing `/` (or `''`). */
  base: string;
  rules: Ignore;
}

/** Walks one root, appending to `files` and `skipped`. `root` must be an existing directory. */
export async function walkRoot(
  root: string,
  options: WalkOptions,
  files: WalkEntry[],
  skipped: SkippedFile[],
): Promise<void> {
  let rootReal: string;
  try {
    rootReal = realpathSync(root);
  } catch (cause) {
    throw unreadable(root, cause);
  }
  const user: Level | undefined = options.patterns.length
    ? { base: '', rules: ignore()({ allowRelativePaths: true }).add([...options.patterns]) }
    : undefined;

  // First decisive level wins: the caller's patterns, then the deepest .gitignore up to the root one.
  // The `ignore` package also matches a path through its parent directories; when a level's match on a path
  // is only its match on the parent directory (which a higher level re-included, or we would not be here),
  // git would not apply it to the path, so neither do we.
  const decide = (level: Level, path: string): boolean | undefined => {
    const sub = path.slice(level.base.length);
    const r = level.rules.test(sub);
    if (r.unignored) return false;
    if (!r.ignored) return undefined;
    const cut = sub.lastIndexOf('/', sub.length - 2);
    if (cut > 0 && r.rule && level.rules.test(sub.slice(0, cut + 1)).rule?.pattern === r.rule.pattern) return undefined;
    return true;
  };
  const isIgnored = (rel: string, isDir: boolean, levels: readonly Level[]): boolean => {
    const path = isDir ? `${rel}/` : rel;
    const mine = user && decide(user, path);
    if (mine !== undefined) return mine;
    for (let i = levels.length - 1; i >= 0; i--) {
      const verdict = decide(levels[i], path);
      if (verdict !== undefined) return verdict;
    }
    return false;
  };

  const links: WalkEntry[] = [];

  // Synchronous system calls, directory by directory (an explicit stack, no recursion): for many small files
  // this is several times faster than a promise per lstat. The event loop gets a turn every 64 directories.
  const stack: [string, string, readonly Level[]][] = [];
  const visit = (dir: string, rel: string, parentLevels: readonly Level[]): void => {
    let dirents: Dirent[];
    try {
      dirents = readdirSync(dir, { withFileTypes: true });
    } catch (cause) {
      // deeper than the system's PATH_MAX: no zip path could hold it either (see checkEntryName)
      if ((cause as NodeJS.ErrnoException).code === 'ENAMETOOLONG' && rel) {
        skipped.push({ path: `${options.prefix}${rel}/`, size: 0, reason: 'unsafe-name' });
        return;
      }
      throw unreadable(dir, cause);
    }
    // Names that are not valid UTF-8 come back with U+FFFD in place of the bad bytes, and cannot be opened
    // by that string: find them from the raw bytes (only in a directory where a U+FFFD appears at all).
    let lossy: Set<string> | undefined;
    if (dirents.some((d) => d.name.includes('\uFFFD'))) {
      lossy = new Set();
      for (const raw of readdirSync(dir, { encoding: 'buffer' })) {
        const text = raw.toString('utf8');
        if (!Buffer.from(text).equals(raw)) lossy.add(text);
      }
    }
    let levels = parentLevels;
    // Only a regular .gitignore is read: git does not follow a symlinked one, and a FIFO would block forever.
    if (options.gitignore && dirents.some((d) => d.name === '.gitignore' && d.isFile())) {
      let text: string | undefined;
      try {
        text = readRegularTextSync(join(dir, '.gitignore'), false);
      } catch (cause) {
        throw unreadable(join(dir, '.gitignore'), cause);
      }
      text ??= '';
      levels = [
        ...parentLevels,
        { base: rel ? `${rel}/` : '', rules: ignore()({ allowRelativePaths: true }).add(text) },
      ];
    }
    for (const dirent of dirents) {
      const name = dirent.name;
      if (NEVER.has(name) || name.endsWith(TEMP_SUFFIX)) continue;
      const abs = join(dir, name);
      if (options.exclude.has(abs)) continue;
      const childRel = rel ? `${rel}/${name}` : name;
      const isDir = dirent.isDirectory();
      if (isIgnored(childRel, isDir, levels)) continue;
      const zipPath = options.prefix + childRel;
      if (lossy?.has(name) || !checkEntryName(zipPath).ok) {
        let size = 0;
        if (!isDir && !lossy?.has(name)) size = lstatSync(abs, { throwIfNoEntry: false })?.size ?? 0;
        skipped.push({ path: isDir ? `${zipPath}/` : zipPath, size, reason: 'unsafe-name' });
        continue;
      }
      if (isDir) {
        stack.push([abs, childRel, levels]);
      } else if (dirent.isFile()) {
        addFile(abs, zipPath, name);
      } else if (dirent.isSymbolicLink()) {
        addLink(abs, zipPath);
      } else {
        skipped.push({ path: zipPath, size: 0, reason: 'special-file' });
      }
    }
  };

  const addFile = (abs: string, zipPath: string, name: string, known?: Stats): void => {
    let st = known;
    if (!st) {
      try {
        st = lstatSync(abs);
      } catch (cause) {
        throw unreadable(abs, cause);
      }
    }
    if (options.onlyCode && !isCodeFile(name)) {
      skipped.push({ path: zipPath, size: st.size, reason: 'only-code' });
    } else if (options.maxSize !== undefined && st.size > options.maxSize) {
      skipped.push({ path: zipPath, size: st.size, reason: 'too-large' });
    } else if (SNAPSHOT_NAME.test(name) && isOwnSnapshot(abs)) {
      // an earlier output left in the tree: never saved into the next snapshot (extraFiles can still add one)
      skipped.push({ path: zipPath, size: st.size, reason: 'snapshot' });
    } else {
      files.push({ zipPath, absPath: abs, size: st.size, executable: (st.mode & 0o111) !== 0 });
    }
  };

  const addLink = (abs: string, zipPath: string): void => {
    let text: string;
    let target: string;
    try {
      text = readlinkSync(abs);
      target = realpathSync(abs);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') {
        const what = code === 'ELOOP' ? 'which leads into a loop of symbolic links' : 'which does not exist';
        throw new CodesaveError(
          'ERR_BROKEN_SYMLINK',
          `${abs} is a symbolic link to ${JSON.stringify(text!)}, ${what} (${code}); remove the link, fix its target, or exclude it with .gitignore or the ignore option`,
          { cause, details: { path: abs, target: text! } },
        );
      }
      throw unreadable(abs, cause);
    }
    const inside = target === rootReal || target.startsWith(rootReal + sep);
    if (!inside) {
      skipped.push({ path: zipPath, size: 0, reason: 'symlink-outside' });
      return;
    }
    const link = relative(dirname(abs), target).split(sep).join('/') || '.';
    links.push({ zipPath, absPath: abs, size: Buffer.byteLength(link), executable: false, link });
  };

  let rootStat: Stats;
  try {
    rootStat = statSync(rootReal);
  } catch (cause) {
    throw unreadable(root, cause);
  }
  if (rootStat.isDirectory()) {
    stack.push([rootReal, '', []]);
    for (let n = 1; stack.length; n++) {
      visit(...stack.pop()!);
      if (n % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  } else if (!rootStat.isFile()) {
    // a FIFO would block the read forever; a device or socket has no content to save
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `${root} is not a directory or a regular file (a FIFO, socket or device); pass a directory or a file to save`,
      { details: { path: root } },
    );
  } else {
    // A single file given as an extra library: stored under its own name.
    const name = options.prefix.replace(/\/$/, '');
    addFile(rootReal, name, name, rootStat);
  }

  // Keep a link only when what it points at is in the snapshot (a file, or a directory with files in it).
  if (links.length) {
    const paths = new Set(files.map((f) => f.zipPath));
    for (const link of links) paths.add(link.zipPath);
    const dirs = new Set<string>();
    for (const p of paths) for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) dirs.add(p.slice(0, i));
    for (const link of links) {
      const parent = link.zipPath.includes('/') ? link.zipPath.slice(0, link.zipPath.lastIndexOf('/')) : '';
      const targetZip = resolve('/', parent, link.link!).slice(1);
      if (paths.has(targetZip) || dirs.has(targetZip) || (targetZip === '' && paths.size > 0)) files.push(link);
      else skipped.push({ path: link.zipPath, size: 0, reason: 'symlink-target-excluded' });
    }
  }
}

function unreadable(path: string, cause: unknown): CodesaveError {
  const code = (cause as NodeJS.ErrnoException).code ?? 'error';
  return new CodesaveError(
    'ERR_UNREADABLE_FILE',
    `cannot read ${path} (${code}); fix its permissions, or exclude it with .gitignore or the ignore option`,
    { cause, details: { path, errno: code } },
  );
}
