/**
 * `checkpoint()`: a project directory (plus extra libraries and files) → a deterministic zip snapshot with a
 * validated manifest, written atomically.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { checkEntryName } from '../entry-names.js';
import { CodesaveError } from '../errors.js';
import { prepareOutput } from '../output-file.js';
import { gitFacts } from './git.js';
import {
  codesaveVersion,
  contentHashOf,
  FORMAT_VERSION,
  GIT_PATCH_NAME,
  MANIFEST_NAME,
  type Manifest,
  ManifestSchema,
} from './manifest.js';
import { PRECOMPILED_DIR, precompile } from './precompile.js';
import {
  dependencyClosure,
  detectPackageManager,
  installedVersions,
  readPackageJson,
  tsconfigBases,
} from './project.js';
import { parseSize } from './size.js';
import { type SkippedFile, type WalkEntry, walkRoot } from './walk.js';
import { type WrittenItem, writeZip, type ZipItem } from './zip.js';

/** Options of {@link checkpoint}; all optional. */
export interface CheckpointOptions {
  /**
   * Where to write the zip (default `codebase.zip` in the current directory). Written to a temp file, `fsync`ed and
   * renamed into place. An existing output is replaced only when it is a zip (or empty); a symbolic link there is
   * never followed.
   */
  output?: string;
  /** Replace an output that is a symbolic link (the link itself) or a regular file that is not a zip. Default `false`. */
  force?: boolean;
  /** Directories or files stored at the zip root under their own name (the Python tool's `extra_libraries`). */
  extraLibraries?: string[];
  /** Single files stored at the zip root under their own name, whatever the filters say. */
  extraFiles?: string[];
  /** More gitignore-syntax patterns, relative to each root; they take precedence over `.gitignore` files. */
  ignore?: string[];
  /** Keep only JS/TS sources, JSON (`package.json`, `tsconfig*.json`, …) and lockfiles (the Python `py_only`). */
  onlyCode?: boolean;
  /** Skip files larger than this: bytes, or `'100K'`, `'1M'` (K = 1024). Dependencies included. */
  ignoreLargerThan?: string | number;
  /**
   * Copy the production dependency closure (`dependencies`, `optionalDependencies`, installed peers, transitively;
   * never `devDependencies`) into `node_modules/` in the zip, from an npm (flat) or pnpm (`.pnpm`) install, links
   * dereferenced, so the snapshot loads on a machine without `node_modules`. Packages the project's tsconfig.json
   * extends (`@tsconfig/node20`, often a devDependency) come too: TypeScript runs with their options.
   */
  includeDependencies?: boolean;
  /**
   * Seconds since 1970 for the manifest's `createdAt` and the entries' timestamps (default: the
   * `SOURCE_DATE_EPOCH` environment variable). Without either, `createdAt` is now and entries carry 1980-01-01.
   */
  sourceDateEpoch?: number;
  /**
   * zlib level, 0 (store) to 9. Default 6: the size `zip -r` gives. Level 4 is about a third faster for a
   * zip a few percent larger (docs/benchmarks.md). Files that do not shrink are stored.
   */
  compressionLevel?: number;
  /**
   * Store the transformed form of each ES module and TypeScript/JSX file, with its source map, under
   * `.codesave/precompiled/` (listed and hashed in the manifest like every file), so a machine with an empty
   * transform cache loads as fast as a warm one (default `true`; docs/benchmarks.md has the numbers). Only loaders
   * of the same transform version use them. Not written when the project has files of its own there (or a file
   * named `.codesave`): those are stored as they are.
   */
  precompile?: boolean;
  /** Called as the snapshot is made: once after the scan, then after each file is written. */
  onProgress?: (progress: CheckpointProgress) => void;
}

/** Progress of a {@link checkpoint}. */
export interface CheckpointProgress {
  phase: 'scan' | 'write' | 'done';
  /** Files written so far (in `'scan'`, files found). */
  files: number;
  totalFiles: number;
  /** Bytes of file content written so far. */
  bytes: number;
  totalBytes: number;
  /** The file just written. */
  path?: string;
}

/** What {@link checkpoint} made. */
export interface CheckpointResult {
  /** Absolute path of the zip. */
  path: string;
  /** Number of files in the zip besides `codesave.json`. */
  files: number;
  /** Size of the zip in bytes. */
  bytes: number;
  /** Files that a filter left out: how many, their total size, and each one with its reason. */
  skipped: { count: number; bytes: number; files: SkippedFile[] };
  /** sha256 of the zip's bytes. */
  sha256: string;
  manifest: Manifest;
}

const DEFAULT_EPOCH = Date.UTC(1980, 0, 1);

/**
 * Saves `dir` as a zip snapshot with a `codesave.json` manifest at its root.
 *
 * - `dir` may be several roots: the first is the project (its contents go to the zip root), the others are
 *   stored under their own names, like `extraLibraries`.
 * - Files are chosen as git would: `.gitignore` files at every level, negations included, plus `options.ignore`;
 *   `.git/` never, `node_modules/` only through `includeDependencies`. The output zip and its temporary file
 *   are never included, even when written inside `dir`.
 * - Symbolic links are never followed. A link to a file or directory inside the same root is stored as a
 *   link (relative target); a link leading outside the root is skipped and listed in `skipped` (use
 *   `extraLibraries` to include what it points at); a broken link is an error.
 * - Deterministic: entries sorted by path, one fixed timestamp (`SOURCE_DATE_EPOCH` or 1980-01-01), fixed
 *   permissions (0644, or 0755 when executable), no directory entries — the same tree gives the same bytes
 *   whatever the time zone, walk order or mtimes (for the same Node version and environment, which the
 *   manifest records; `manifest.contentHash` depends on the files only).
 * - In a git work tree, records commit, branch and dirty state; when dirty, the diff of tracked files
 *   (`git diff HEAD --binary`, relative to `dir`) is stored as `.codesave/git.patch`.
 * - Unless `precompile: false`, the transformed form of each ES module and TypeScript/JSX file is stored under
 *   `.codesave/precompiled/` and summed up in `manifest.precompiled` (see runtime/transform/precompiled.ts).
 *
 * @throws CodesaveError `ERR_DIR_NOT_FOUND`, `ERR_NOT_A_DIRECTORY`, `ERR_UNREADABLE_FILE`, `ERR_BROKEN_SYMLINK`,
 *   `ERR_OUTPUT_DIR_MISSING` (a file where a directory of the output goes), `ERR_OUTPUT_UNWRITABLE`, `ERR_BAD_SIZE`, `ERR_BAD_OPTION`, `ERR_DEPENDENCY_NOT_FOUND`.
 */
export async function checkpoint(dir: string | string[], options: CheckpointOptions = {}): Promise<CheckpointResult> {
  const dirs = Array.isArray(dir) ? dir : [dir];
  if (dirs.length === 0 || dirs.some((d) => typeof d !== 'string' || d === '')) {
    throw new CodesaveError('ERR_BAD_OPTION', 'checkpoint needs a directory to save: pass its path');
  }
  if (dirs.some((d) => d.includes('\0'))) {
    throw new CodesaveError(
      'ERR_DIR_NOT_FOUND',
      'the directory to save has a NUL byte in its path, which no file name holds; check the path',
    );
  }
  checkOptions(options);
  const maxSize = options.ignoreLargerThan === undefined ? undefined : parseSize(options.ignoreLargerThan);
  const epochSeconds = sourceDateEpoch(options.sourceDateEpoch);
  const main = resolve(dirs[0]);
  await statDir(main, 'directory to save');

  const libraries = [...dirs.slice(1), ...(options.extraLibraries ?? [])].map((p) => resolve(p));
  const extraFiles = (options.extraFiles ?? []).map((p) => resolve(p));
  const libStats = await Promise.all(libraries.map((p) => statPath(p, 'extra library')));
  const fileStats = await Promise.all(extraFiles.map((p) => statPath(p, 'extra file')));
  // The same directory twice (two roots, a root also given as an extra library) would be stored twice.
  const given = [main, ...libraries];
  const reals = await Promise.all(given.map((p) => realpath(p).catch(() => p)));
  const firstOf = new Map<string, number>();
  reals.forEach((real, i) => {
    const first = firstOf.get(real);
    if (first !== undefined) {
      throw new CodesaveError(
        'ERR_BAD_OPTION',
        `${given[i]} is given twice (it is ${given[first]} again); pass each directory once`,
        { details: { path: given[i], other: given[first] } },
      );
    }
    firstOf.set(real, i);
  });
  fileStats.forEach((st, i) => {
    if (!st.isFile()) {
      throw new CodesaveError(
        'ERR_BAD_OPTION',
        `extra file ${extraFiles[i]} is not a file; pass it in extraLibraries`,
        {
          details: { path: extraFiles[i] },
        },
      );
    }
  });

  // Output: checked against the one rule of every writer (output-file.ts); written to a temp file next to it.
  const prepared = await prepareOutput(options.output ?? 'codebase.zip', { force: options.force });
  const { path: output, temp } = prepared;
  const exclude = new Set([prepared.target, temp]);

  // Scan.
  const patterns = options.ignore ?? [];
  const onlyCode = options.onlyCode ?? false;
  const walked: WalkEntry[] = [];
  const skipped: SkippedFile[] = [];
  const common = { patterns, onlyCode, maxSize, exclude };
  await walkRoot(main, { ...common, prefix: '', gitignore: true }, walked, skipped);
  const rootNames = [basename(main)];
  // top-level names of the project: an extra library or file of the same name would merge into it (or
  // make a path both a file and a directory, which no zip tool extracts)
  const projectTop = new Set(walked.map((entry) => entry.zipPath.split('/', 1)[0]));
  const taken = new Set<string>();
  for (const [i, lib] of libraries.entries()) {
    const name = basename(lib);
    if (taken.has(name)) throw duplicate(name, lib);
    if (projectTop.has(name)) throw collision(name, lib, main);
    taken.add(name);
    rootNames.push(name);
    await walkRoot(lib, { ...common, prefix: `${name}/`, gitignore: libStats[i].isDirectory() }, walked, skipped);
  }
  for (const [i, file] of extraFiles.entries()) {
    const st = fileStats[i];
    if (projectTop.has(basename(file)) || taken.has(basename(file))) throw collision(basename(file), file, main);
    if (!checkEntryName(basename(file)).ok) {
      skipped.push({ path: basename(file), size: st.size, reason: 'unsafe-name' });
      continue;
    }
    // read through its real path: files are opened without following links (see zip.ts), and an extra
    // file given as a link is stored with the content it points to, under the link's name
    const real = await realpath(file).catch(() => file);
    walked.push({ zipPath: basename(file), absPath: real, size: st.size, executable: (st.mode & 0o111) !== 0 });
  }
  const pkg = await readPackageJson(main);
  let dependencyCount = 0;
  if (options.includeDependencies) {
    const production = await dependencyClosure(main);
    const closure = [...production, ...(await tsconfigBases(main, production))];
    dependencyCount = closure.length;
    for (const placed of closure) {
      const depOptions = { ...common, onlyCode: false, prefix: `${placed.zipDir}/`, gitignore: false };
      await walkRoot(placed.realDir, depOptions, walked, skipped);
    }
  }
  const git = await gitFacts(main);

  // The manifest's and the patch's names are ours at the zip root.
  const items: ZipItem[] = [];
  const seen = new Map<string, string>();
  for (const entry of walked) {
    // ours, and whatever would make them a directory (a folder named codesave.json) or sit above the patch
    const under = (name: string) => entry.zipPath === name || entry.zipPath.startsWith(`${name}/`);
    const patchDir = GIT_PATCH_NAME.slice(0, GIT_PATCH_NAME.lastIndexOf('/'));
    if (under(MANIFEST_NAME) || (git?.dirty && (under(GIT_PATCH_NAME) || entry.zipPath === patchDir))) {
      skipped.push({ path: entry.zipPath, size: entry.size, reason: 'reserved-name' });
      continue;
    }
    const other = seen.get(entry.zipPath);
    if (other !== undefined) throw duplicate(entry.zipPath, entry.absPath, other);
    seen.set(entry.zipPath, entry.absPath);
    items.push(entry);
  }
  // a path that is a file and also the directory of another (an extra file named like a folder of the
  // dependencies, …): no tool extracts that, and the load side refuses it
  for (const item of items) {
    for (let at = item.zipPath.indexOf('/'); at > 0; at = item.zipPath.indexOf('/', at + 1)) {
      const parent = seen.get(item.zipPath.slice(0, at));
      if (parent !== undefined) throw duplicate(item.zipPath.slice(0, at), parent, item.absPath);
    }
  }
  if (git?.dirty) items.push({ zipPath: GIT_PATCH_NAME, buffer: git.patch, size: git.patch.length, executable: false });
  // Precompiled forms go where nothing of the project is: never over (or beside) a file of its own.
  const formsFit = !items.some(
    (item) =>
      item.zipPath === '.codesave' ||
      item.zipPath.startsWith(`${PRECOMPILED_DIR}/`) ||
      item.zipPath === PRECOMPILED_DIR,
  );
  const precompiled = (options.precompile ?? true) && formsFit ? await precompile(items) : undefined;
  if (precompiled) items.push(...precompiled.items);
  items.sort((a, b) => (a.zipPath < b.zipPath ? -1 : a.zipPath > b.zipPath ? 1 : 0));
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const totalFiles = items.length;
  const totalBytes = items.reduce((sum, item) => sum + item.size, 0);
  options.onProgress?.({ phase: 'scan', files: totalFiles, totalFiles, bytes: 0, totalBytes });

  const [packageManager, dependencies] = await Promise.all([
    detectPackageManager(main, pkg),
    installedVersions(main, pkg),
  ]);
  const skippedBytes = skipped.reduce((sum, s) => sum + s.size, 0);
  const importNames = new Set<string>();
  if (typeof pkg?.name === 'string') importNames.add(pkg.name);
  for (const [i, lib] of libraries.entries()) {
    const libPkg = libStats[i].isDirectory() ? await readPackageJson(lib) : undefined;
    importNames.add(typeof libPkg?.name === 'string' ? libPkg.name : basename(lib).replace(/\.[cm]?[jt]sx?$/, ''));
  }

  let manifest: Manifest | undefined;
  const makeManifest = (written: WrittenItem[]): ZipItem => {
    const files = written.map(({ item, size, sha256 }) => ({
      path: item.zipPath,
      size,
      sha256,
      ...(item.executable ? { executable: true as const } : {}),
      ...(item.link !== undefined ? { link: item.link } : {}),
    }));
    const value: Manifest = {
      formatVersion: FORMAT_VERSION,
      tool: { name: 'codesave', version: codesaveVersion() },
      createdAt: new Date(epochSeconds === undefined ? Date.now() : epochSeconds * 1000).toISOString(),
      roots: rootNames,
      files,
      contentHash: contentHashOf(files, (text) => createHash('sha256').update(text).digest('hex')),
      importNames: [...importNames].sort(),
      node: { version: process.version, platform: process.platform, arch: process.arch },
      packageManager,
      dependencies,
      ...(git
        ? {
            git: {
              commit: git.commit,
              branch: git.branch,
              dirty: git.dirty,
              ...(git.dirty ? { patch: GIT_PATCH_NAME } : {}),
            },
          }
        : {}),
      options: {
        onlyCode,
        ...(maxSize !== undefined ? { ignoreLargerThan: maxSize } : {}),
        includeDependencies: options.includeDependencies ?? false,
        ...(options.includeDependencies ? { dependencyPackages: dependencyCount } : {}),
        ...(patterns.length ? { ignore: [...patterns] } : {}),
      },
      skipped: { count: skipped.length, bytes: skippedBytes },
      ...(precompiled?.forms
        ? {
            precompiled: {
              transformVersion: precompiled.transformVersion,
              forms: precompiled.forms,
              bytes: precompiled.bytes,
            },
          }
        : {}),
    };
    manifest = ManifestSchema.parse(value);
    const buffer = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    return { zipPath: MANIFEST_NAME, buffer, size: buffer.length, executable: false };
  };

  let doneFiles = 0;
  let doneBytes = 0;
  let result: Awaited<ReturnType<typeof writeZip>>;
  try {
    result = await writeZip(temp, items, makeManifest, {
      mtime: new Date(epochSeconds === undefined ? DEFAULT_EPOCH : epochSeconds * 1000),
      compressionLevel: options.compressionLevel,
      onItem: ({ item, size }) => {
        doneFiles++;
        doneBytes += size;
        options.onProgress?.({
          phase: 'write',
          files: doneFiles,
          totalFiles,
          bytes: doneBytes,
          totalBytes,
          path: item.zipPath,
        });
      },
    });
    await prepared.commit();
  } catch (error) {
    prepared.discard();
    throw error;
  }
  options.onProgress?.({ phase: 'done', files: doneFiles, totalFiles, bytes: doneBytes, totalBytes });
  return {
    path: output,
    files: items.length,
    bytes: result.bytes,
    skipped: { count: skipped.length, bytes: skippedBytes, files: skipped },
    sha256: result.sha256,
    manifest: manifest!,
  };
}

/** Options of the wrong type (a string where a list goes, a level out of range) are refused, never half-used. */
function checkOptions(options: CheckpointOptions): void {
  const bad = (name: string, want: string, value: unknown) =>
    new CodesaveError(
      'ERR_BAD_OPTION',
      `checkpoint option ${name} must be ${want}, got ${typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? shown(value) : typeof value === 'number' ? value : typeof value}`,
      { details: { option: name } },
    );
  if (options === null || typeof options !== 'object') throw bad('options', 'an object', options);
  for (const name of ['extraLibraries', 'extraFiles', 'ignore'] as const) {
    const value = options[name];
    if (value === undefined) continue;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
      throw bad(name, 'an array of strings (paths or patterns), e.g. ["../lib"]', value);
    if (name !== 'ignore' && value.some((v) => v === '')) throw bad(name, 'an array of non-empty paths', value);
  }
  if (options.output !== undefined && (typeof options.output !== 'string' || options.output === ''))
    throw bad('output', 'the path of the zip to write', options.output);
  for (const name of ['output', 'extraLibraries', 'extraFiles'] as const) {
    const value = options[name];
    if ((Array.isArray(value) ? value : [value]).some((v) => typeof v === 'string' && v.includes('\0')))
      throw bad(name, 'paths without NUL bytes (no file name holds one)', value);
  }
  for (const name of ['onlyCode', 'includeDependencies', 'force', 'precompile'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean')
      throw bad(name, 'true or false', options[name]);
  }
  const level = options.compressionLevel;
  if (level !== undefined && !(Number.isInteger(level) && level >= 0 && level <= 9))
    throw bad('compressionLevel', 'a whole number from 0 (store) to 9', level);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    throw bad('onProgress', 'a function', options.onProgress);
  const epoch = options.sourceDateEpoch;
  if (epoch !== undefined && typeof epoch !== 'number')
    throw bad('sourceDateEpoch', 'a number of seconds since 1970', epoch);
}

function sourceDateEpoch(option: number | undefined): number | undefined {
  const raw = option ?? process.env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return undefined;
  const value = typeof raw === 'number' ? raw : /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  // up to the last second of year 9999: createdAt stays an ordinary ISO date
  if (!Number.isInteger(value) || value < 0 || value > 253402300799) {
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, got ${JSON.stringify(raw)}; unset it or fix it`,
      { details: { value: raw } },
    );
  }
  return value;
}

async function statPath(path: string, what: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CodesaveError('ERR_DIR_NOT_FOUND', `${what} ${path} does not exist; check the path`, {
        cause,
        details: { path },
      });
    }
    throw new CodesaveError('ERR_UNREADABLE_FILE', `cannot read ${what} ${path} (${code}); check its permissions`, {
      cause,
      details: { path, errno: code },
    });
  }
}

async function statDir(path: string, what: string): Promise<void> {
  const st = await statPath(path, what);
  if (!st.isDirectory()) {
    throw new CodesaveError(
      'ERR_NOT_A_DIRECTORY',
      `${what} ${path} is a file, not a directory; pass the directory that contains it (or add the file with extraFiles)`,
      { details: { path } },
    );
  }
}

function collision(name: string, path: string, main: string): CodesaveError {
  return new CodesaveError(
    'ERR_BAD_OPTION',
    `${path} would be stored at the zip root as "${name}", which is already taken (by ${main}/${name} or another extra library or file); rename one, or leave one out (the ignore option)`,
    { details: { zipPath: name, path } },
  );
}

function duplicate(zipPath: string, path: string, other?: string): CodesaveError {
  return new CodesaveError(
    'ERR_BAD_OPTION',
    `two files would be stored as "${zipPath}" (${path}${other ? ` and ${other}` : ''}); rename one or drop it from the options`,
    { details: { zipPath, path, other } },
  );
}

function shown(value: unknown[]): string {
  try {
    const text = JSON.stringify(value);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return 'an array';
  }
}
