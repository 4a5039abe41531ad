/**
 * Materialized files: when something outside the JS realm needs a real file (`process.dlopen` of an addon, a
 * child process, a worker thread), the snapshot's files are written to a directory on disk, as Yarn "unplugs"
 * packages with native code and pex extracts its native libraries, and used from there.
 *
 * - Content-addressed: `<cacheDir>/files/<sha256 of the snapshot's listing>/`, the listing being every entry's
 *   path, kind and content hash. Codebases and processes opening the same bytes share one directory.
 * - Same relative layout as the zip, so `$ORIGIN`-relative libraries (sharp's libvips), `bin/` scripts and worker
 *   files are where their code expects them.
 * - Written only from verified bytes: every file's bytes come from the archive, which checks them against the
 *   manifest's sha256 when read (`verify: true` or `'all'`), and are checked again here before they are written
 *   (against the manifest, or the sha256 of the CRC-checked inflated bytes when the zip has no manifest or was
 *   opened with `verify: false`); what is already on disk is re-hashed before it is used: a file whose hash
 *   differs from the manifest's is replaced. A changed entry of the zip is refused (`ERR_ZIP_HASH_MISMATCH`).
 * - Atomic, concurrent writers safe: each file is written to a unique temporary name and renamed into place.
 * - Granularity (docs/decisions.md): an addon brings its package and the packages that package depends on
 *   (their libraries live there); a child process or worker brings the whole snapshot, since the file it runs
 *   may load any file of the project.
 *
 * With `cacheDir: false` the files go to a private temporary directory, removed on dispose.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { digestOf } from '../archive/digest.js';
import type { Archive, ArchiveEntry } from '../archive/index.js';
import { CodesaveError } from '../errors.js';
import type { RealFiles } from '../runtime/real-files.js';

export interface MaterializerOptions {
  archive: Archive;
  /** The codebase's virtual root. */
  root: string;
  /** sha256 by zip path, when opening verified the files against the manifest. */
  hashes?: () => ReadonlyMap<string, string>;
  /** The codebase's cache directory (files go to `<cacheDir>/files/…`), or `false` for a private temporary one. */
  cacheDir: string | false;
}

/** Entries that are not the snapshot's own files. */
const MARKER_DIR = '.codesave-files';

export class Materializer implements RealFiles {
  readonly root: string;
  #archive: Archive;
  #hashes: (() => ReadonlyMap<string, string>) | undefined;
  #computed = new Map<string, string>();
  #cacheDir: string | false;
  #base: string | undefined;
  #private = false;
  /** Zip paths already on disk and checked by this codebase. */
  #done = new Set<string>();
  #all = false;
  /** Counters for benchmarks and tests. */
  readonly stats = { written: 0, reused: 0, bytesWritten: 0, bytesHashed: 0 };

  constructor(options: MaterializerOptions) {
    this.#archive = options.archive;
    this.root = options.root;
    this.#hashes = options.hashes;
    this.#cacheDir = options.cacheDir;
  }

  /** The directory the snapshot's files go to (made on first use). */
  get directory(): string {
    if (this.#base) return this.#base;
    if (this.#cacheDir === false) {
      this.#base = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-files-'));
      this.#private = true;
    } else {
      const listing = createHash('sha256');
      for (const name of [...this.#archive.entries.keys()].sort()) {
        const entry = this.#archive.entries.get(name)!;
        listing.update(`${name}\0${entry.type}\0${this.#contentId(entry)}\n`);
      }
      this.#base = path.join(this.#cacheDir, 'files', listing.digest('hex').slice(0, 32));
    }
    return this.#base;
  }

  /** `true` for a path under the virtual root. */
  inside(file: string): boolean {
    return file === this.root || file.startsWith(`${this.root}${path.sep}`);
  }

  /** The real path of `file` (under the root), with what it needs written first. */
  realPath(file: string, scope: 'package' | 'all'): string {
    const name = path.relative(this.root, file).split(path.sep).join('/');
    const base = this.directory;
    try {
      if (scope === 'all') this.#writeAll();
      else this.#write(this.#packageClosure(name));
    } catch (error) {
      if (error instanceof CodesaveError) throw error;
      throw new CodesaveError(
        'ERR_MATERIALIZE_FAILED',
        `Could not write the snapshot's files for ${file} to ${base}: ${(error as Error).message}. Native addons, child processes and workers need them on disk: make the cache directory writable or set cacheDir.`,
        { cause: error, details: { file, directory: base } },
      );
    }
    return name === '' ? base : path.join(base, ...name.split('/'));
  }

  /** Remove the private directory (`cacheDir: false`); a shared one stays for the next codebase. */
  dispose(): void {
    if (this.#private && this.#base) fs.rmSync(this.#base, { recursive: true, force: true });
    this.#base = undefined;
  }

  #writeAll(): void {
    if (this.#all) return;
    this.#write([...this.#archive.entries.keys()]);
    this.#all = true;
  }

  /** The package holding `name` and, transitively, the packages it depends on (as Node would find them). */
  #packageClosure(name: string): string[] {
    const entries = this.#archive.entries;
    const start = this.#packageDirOf(name);
    if (start === undefined) return [...entries.keys()];
    const dirs = new Set<string>();
    const links = new Set<string>();
    const visit = (dir: string) => {
      if (dirs.has(dir)) return;
      dirs.add(dir);
      const manifest = this.#readJson(dir === '' ? 'package.json' : `${dir}/package.json`);
      const names = new Set<string>();
      for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies'])
        for (const dep of Object.keys((manifest?.[field] as Record<string, unknown>) ?? {})) names.add(dep);
      for (const dep of names) {
        const found = this.#findPackage(dir, dep, links);
        if (found !== undefined) visit(found);
      }
    };
    visit(start);
    const picked: string[] = [...links];
    for (const entryName of entries.keys()) {
      for (const dir of dirs) {
        if (dir === '' || entryName === dir || entryName.startsWith(`${dir}/`)) {
          picked.push(entryName);
          break;
        }
      }
    }
    return picked;
  }

  /** The nearest folder at or above `name` with a package.json ('' for the root), or `undefined`. */
  #packageDirOf(name: string): string | undefined {
    let dir = path.posix.dirname(name);
    for (;;) {
      const candidate = dir === '.' ? 'package.json' : `${dir}/package.json`;
      if (this.#archive.entries.get(candidate)?.type === 'file') return dir === '.' ? '' : dir;
      if (dir === '.' || dir === '') return undefined;
      dir = path.posix.dirname(dir);
    }
  }

  /** `dep` as `require` finds it from `dir`: the first `node_modules/<dep>` walking up, links followed. */
  #findPackage(dir: string, dep: string, links: Set<string>): string | undefined {
    let at = dir;
    for (;;) {
      const candidate = at === '' ? `node_modules/${dep}` : `${at}/node_modules/${dep}`;
      const resolved = this.#follow(candidate, links);
      if (resolved !== undefined) return resolved;
      if (at === '') return undefined;
      const parent = path.posix.dirname(at);
      at = parent === '.' ? '' : parent;
    }
  }

  /** The real zip path of `name` (symbolic links inside the zip followed and recorded), if it is a folder. */
  #follow(name: string, links: Set<string>): string | undefined {
    let current = name;
    for (let hops = 0; hops < 32; hops++) {
      const entry = this.#archive.entries.get(current);
      if (entry?.type === 'symlink' && entry.linkTarget !== undefined) {
        links.add(current);
        current = path.posix.normalize(path.posix.join(path.posix.dirname(current), entry.linkTarget));
        continue;
      }
      if (entry?.type === 'directory' || this.#archive.entries.has(`${current}/package.json`)) return current;
      return undefined;
    }
    return undefined;
  }

  #readJson(name: string): Record<string, unknown> | undefined {
    if (this.#archive.entries.get(name)?.type !== 'file') return undefined;
    try {
      return JSON.parse(this.#archive.read(name).toString('utf8'));
    } catch {
      return undefined;
    }
  }

  /** The sha256 of a file as the manifest has it (verified on open), or of its CRC-checked bytes. */
  #contentId(entry: ArchiveEntry): string {
    if (entry.type === 'symlink') return entry.linkTarget ?? '';
    if (entry.type !== 'file') return '';
    const known = this.#hashes?.().get(entry.name) ?? this.#computed.get(entry.name);
    if (known) return known;
    const hash = digestOf(this.#archive.read(entry.name));
    this.#computed.set(entry.name, hash);
    return hash;
  }

  #write(names: readonly string[]): void {
    const base = this.directory;
    fs.mkdirSync(base, { recursive: true, mode: 0o700 });
    for (const name of [...names].sort()) {
      if (this.#done.has(name) || name === MARKER_DIR || name.startsWith(`${MARKER_DIR}/`)) continue;
      const entry = this.#archive.entries.get(name);
      if (!entry) continue;
      const dest = path.join(base, ...name.split('/'));
      if (entry.type === 'directory') fs.mkdirSync(dest, { recursive: true });
      else if (entry.type === 'symlink') this.#writeLink(dest, entry.linkTarget ?? '');
      else if (entry.type === 'file') this.#writeFile(entry, dest);
      this.#done.add(name);
    }
  }

  #writeLink(dest: string, target: string): void {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    try {
      if (fs.readlinkSync(dest) === target) return;
    } catch {}
    const tmp = tempName(dest);
    fs.symlinkSync(target, tmp);
    fs.renameSync(tmp, dest);
  }

  #writeFile(entry: ArchiveEntry, dest: string): void {
    const expected = this.#contentId(entry);
    // What is on disk is used only when its bytes hash to the verified content.
    try {
      const stat = fs.lstatSync(dest);
      if (stat.isFile() && stat.size === entry.size) {
        const onDisk = fs.readFileSync(dest);
        this.stats.bytesHashed += onDisk.length;
        if (sha256(onDisk) === expected) {
          this.stats.reused++;
          return;
        }
      }
    } catch {}
    // checked by the archive against the manifest as it is read; hashed again (remembered per buffer) for zips
    // opened without verification, whose bytes may have changed since the listing was hashed
    const bytes = this.#archive.read(entry.name);
    if (digestOf(bytes) !== expected)
      throw new CodesaveError(
        'ERR_ZIP_HASH_MISMATCH',
        `${entry.name} in the snapshot does not match its recorded sha256; it was not written to disk. The zip changed after it was opened: open it again.`,
        { details: { path: entry.name } },
      );
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const tmp = tempName(dest);
    const executable = entry.mode !== undefined && (entry.mode & 0o111) !== 0;
    fs.writeFileSync(tmp, bytes, { mode: executable ? 0o755 : 0o644, flag: 'wx' });
    fs.renameSync(tmp, dest);
    this.stats.written++;
    this.stats.bytesWritten += bytes.length;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A name beside `dest` no other writer uses (process id and random bytes). */
function tempName(dest: string): string {
  return `${dest}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}
