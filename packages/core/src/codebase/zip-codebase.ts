/**
 * The façade users touch: open a zip snapshot as an isolated codebase and load its modules.
 *
 * A thin layer over the stages: archive (validated entries) → volume (memfs at the virtual root, fs view)
 * → runtime (resolver, CommonJS registry, ESM seam) in a realm (its own vm.Context; the host's for
 * {@link Codebase}). Nothing here knows module semantics.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import {
  type Archive,
  type ArchiveOptions,
  openArchive,
  readArchiveManifest,
  singleTopLevelFolder,
  subtreeArchive,
  verifyArchive,
} from '../archive/index.js';
import { CodesaveError } from '../errors.js';
import { createBuiltinViews } from '../runtime/builtin-views.js';
import { childProcessView, PathRewriter, workerThreadsView } from '../runtime/child-process.js';
import { createEsmHooks, effectiveCacheDir } from '../runtime/esm/index.js';
import type { LoaderHooks } from '../runtime/hooks.js';
import { Realm } from '../runtime/realm.js';
import { type CjsModule, type CodesaveWarning, Runtime } from '../runtime/runtime.js';
import { isStandInManifest, MANIFEST_NAME, type Manifest, minimalManifest } from '../snapshot/index.js';
import { type CodebaseFs, type CodebaseVolume, mountVolume } from '../volume/index.js';
import { routeFaults } from './faults.js';
import { withUserFrames } from './frames.js';
import { fromModule } from './from.js';
import { createLoaderFs } from './loader-fs.js';
import { Materializer } from './materialize.js';
import { precompiledForms } from './precompiled.js';
import { resolveSource } from './sources.js';

/** {@link CodebaseOptions.verify}: `true` checks each file when first read, `'all'` everything at open, `false` nothing. */
export type VerifyMode = boolean | 'all';

/** Extensions `_from` and `import()` of the façade try for extensionless names, after `require`'s own. */
export const ENTRY_EXTENSIONS = ['.mjs', '.cjs', '.ts', '.mts', '.cts', '.tsx', '.jsx'] as const;

export interface CodebaseOptions
  extends Pick<ArchiveOptions, 'maxEntries' | 'maxEntrySize' | 'maxTotalSize' | 'eager' | 'inMemoryLimit'> {
  /**
   * How the zip is checked against its `codesave.json` (a zip without one has nothing to check):
   * - `true` (default): at open, the manifest's own `contentHash` and the zip's entry set (no unlisted or
   *   missing files; types, sizes and symlink targets as listed); then each file's sha256 the first time
   *   anything reads it — `require`, `import`, JSON, wasm, the `fs` view, files written for addons and child
   *   processes — before its bytes are used. A changed file is refused (`ERR_ZIP_HASH_MISMATCH`) at that read,
   *   before its code runs; a changed file nothing reads goes unnoticed.
   * - `'all'`: as `true`, but every file's sha256 is checked at open (inflating the whole zip).
   * - `false`: nothing is checked (the zip's own CRC-32s still are).
   */
  verify?: VerifyMode;
  /** Bound on synchronous evaluation of one outermost module load (ms); exceeding it → `ERR_TIMEOUT`. */
  timeoutMs?: number;
  /**
   * Where bare specifiers not found in the zip or above it are looked for: a `node_modules` folder, or a
   * project folder (its `node_modules` is used). Searched like `NODE_PATH`.
   */
  dependencies?: string | readonly string[];
  /** Called for each warning (also emitted as a `'warning'` event). */
  onWarning?: (warning: CodesaveWarning) => void;
  /**
   * The virtual root. Default: the zip's absolute path (`/abs/runs/a/codebase.zip`); for bytes,
   * `<os.tmpdir()>/codesave-<sha256 of the bytes, 16 hex>.zip`.
   */
  root?: string;
  /** Replace the ES module / TypeScript hooks (for the ESM loader and tests). */
  hooks?: (runtime: Runtime) => LoaderHooks;
  /**
   * Where transformed ES modules/TypeScript and V8 code caches are kept (one pack file per codebase); `false`
   * disables the disk cache. Default: `configureTransformCache`, `$CODESAVE_CACHE_DIR`,
   * `$XDG_CACHE_HOME/codesave`, `~/.cache/codesave`, `<os tmpdir>/codesave-<uid>`. A directory another user owns or
   * others may write is refused (a warning; no disk cache), and every entry read back is authenticated.
   */
  cacheDir?: string | false;
  /**
   * Use the snapshot's precompiled forms (`checkpoint`'s `.codesave/precompiled/`, made by the same transform
   * version) where the transform cache has nothing (default `true`); `false` transforms every file as if the zip
   * had none. Either way they are hidden from the codebase's `fs`.
   */
  precompiled?: boolean;
}

type Kind = 'context' | 'host';

/** A zip snapshot loaded into its own realm, file system and module registry. */
export class ZipCodebase extends EventEmitter implements AsyncDisposable {
  /** Virtual absolute path of the codebase root, e.g. `/abs/runs/a/codebase.zip`. */
  readonly root: string;
  /** The parsed `codesave.json` (or a minimal one for a zip made by another tool). */
  readonly manifest: Manifest;
  /** Values recorded by {@link _from}, by their `as` name. */
  readonly bindings: Record<string, unknown> = Object.create(null);
  #archive: Archive | undefined;
  #volume: CodebaseVolume | undefined;
  #realm: Realm | undefined;
  #runtime: Runtime | undefined;
  #fs: CodebaseFs;
  #unrouteFaults: () => void;
  #materializer: Materializer;

  /**
   * Open `source` (a zip path, or its bytes). Checks the manifest and the zip's listing now, and each file's
   * sha256 when first read (`verify: 'all'`: every file now; `verify: false`: nothing).
   */
  static async open(source: string | Uint8Array, options: CodebaseOptions = {}): Promise<ZipCodebase> {
    return openAs(ZipCodebase, 'context', source, options);
  }

  /** @internal use {@link ZipCodebase.open} */
  constructor(kind: Kind, root: string, archive: Archive, manifest: Manifest, options: CodebaseOptions) {
    super();
    this.root = root;
    this.manifest = manifest;
    this.#archive = archive;
    const { forms, visible } = precompiledForms(archive, manifest, options.precompiled !== false);
    const realm = new Realm({ kind, timeoutMs: options.timeoutMs, name: `codesave ${root}` });
    this.#realm = realm;
    this.#volume = mountVolume(visible, root, {
      lazy: options.eager !== true,
      wrapError: (error) => realm.rebuildError(error),
    });
    this.#fs = this.#volume.fs;
    let hasSymlinks = false;
    for (const entry of visible.entries.values()) if (entry.type === 'symlink') hasSymlinks = true;
    this.#runtime = new Runtime({
      fs: this.#volume.fs,
      // the transform cache's key: the sha256 a read of the source checked (never the manifest's alone)
      loaderFs: createLoaderFs(root, this.#volume, hasSymlinks, (name) => archive.checkedDigest(name)),
      root,
      realm,
      dependencies: options.dependencies,
      expectedVersions: manifest.dependencies,
      onWarning: (warning) => {
        options.onWarning?.(warning);
        this.emit('warning', warning);
      },
      // The composition root: the CommonJS runtime gets the ES module loader through the hooks seam.
      hooks:
        options.hooks ??
        ((host) =>
          createEsmHooks(host, {
            ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
            ...(forms ? { precompiled: forms } : {}),
          })),
    });
    // Bare names of the extra libraries (and extra roots) saved beside the project resolve to them.
    const libraries = manifest.roots.slice(1).flatMap((name) => [name, name.replace(/\.[cm]?[jt]sx?$/, '')]);
    if (libraries.length) this.#runtime.resolver.libraries = { dir: root, names: new Set(libraries) };
    this.#unrouteFaults = routeFaults(this, realm);
    // Code that leaves JavaScript (addons, child processes, workers) gets the snapshot's files on disk.
    const materializer = new Materializer({
      archive: visible,
      root,
      hashes: manifestHashes(archive, manifest, options),
      cacheDir: effectiveCacheDir(options.cacheDir),
    });
    this.#materializer = materializer;
    const rewriter = new PathRewriter(materializer);
    this.#runtime.realFiles = materializer;
    this.#runtime.builtinViews = createBuiltinViews({
      realm,
      extra: {
        child_process: () => childProcessView(rewriter),
        worker_threads: () => workerThreadsView(rewriter),
      },
    });
  }

  /** Where the snapshot's files are written for code outside JavaScript (addons, child processes, workers). */
  get materializedFiles(): Materializer {
    return this.#materializer;
  }

  /** The file system as the codebase sees it (the volume under {@link root}, the disk elsewhere). */
  get fs(): CodebaseFs {
    return this.#fs;
  }

  /** The module runtime (resolver, registry, realm) — for tools built on codesave. */
  get runtime(): Runtime {
    return this.#live();
  }

  #live(): Runtime {
    if (!this.#runtime)
      throw new CodesaveError('ERR_DISPOSED', `The codebase ${this.root} was disposed; open the zip again to use it.`);
    return this.#runtime;
  }

  /** `require(request)` with CommonJS semantics, relative to the root (`./src/model`, `lodash`). */
  require(request: string): any {
    const runtime = this.#live();
    if (typeof request !== 'string' || request === '')
      throw new CodesaveError('ERR_BAD_OPTION', 'require(request): give a module path such as ./src/model');
    return withUserFrames(this.#realmError(), () =>
      runtime.load(runtime.resolver.resolveFilename(request, runtime.rootParent()), null, false),
    );
  }

  /** The codebase realm's `Error` (its stack limit is raised while a call runs: see frames.ts). */
  #realmError(): { stackTraceLimit?: number } | undefined {
    return this.#realm?.global.Error as { stackTraceLimit?: number } | undefined;
  }

  /** `import(request)` of any module of the codebase, resolved from the root (bare names are files here first). */
  async import(request: string): Promise<any> {
    this.#live();
    return withUserFrames(this.#realmError(), () => this.#import(request));
  }

  async #import(request: string): Promise<any> {
    const runtime = this.#live();
    const filename = this.#resolve(request, 'import');
    const format = runtime.formatOf(filename);
    if (format === 'builtin') {
      const value = runtime.builtin(filename) as Record<string, unknown>;
      return Object.freeze(Object.assign(Object.create(null), value, { default: value }));
    }
    if (format === 'json') {
      const ns = Object.create(null);
      Object.defineProperty(ns, 'default', { value: runtime.load(filename, null, false), enumerable: true });
      Object.defineProperty(ns, Symbol.toStringTag, { value: 'Module' });
      return Object.preventExtensions(ns);
    }
    return runtime.hooks.importFile(filename);
  }

  /**
   * Absolute path of `request` as `_from`/`import` find it (bare names: codebase files, then packages);
   * `mode` picks the package conditions: `require`'s (default) or `import`'s.
   */
  resolve(request: string, mode: 'require' | 'import' = 'require'): string {
    return this.#resolve(request, mode);
  }

  /** `mode`: how a bare name that is no file of the codebase resolves as a package (`import` conditions or `require`'s). */
  #resolve(request: string, mode: 'require' | 'import'): string {
    const runtime = this.#live();
    try {
      return runtime.resolveEntry(request, ENTRY_EXTENSIONS, mode);
    } catch (error) {
      const dotted = !request.includes('/') && request.includes('.') ? request.replaceAll('.', '/') : undefined;
      if (dotted) {
        try {
          return runtime.resolveEntry(dotted, ENTRY_EXTENSIONS, mode);
        } catch {}
      }
      throw error;
    }
  }

  /**
   * Python's `from module import name as as_`: the export `name` of `module`, or else its submodule
   * `module/name`; recorded in {@link bindings} under `as_` (default `name`).
   */
  async _from(module: string, name: string, as_?: string): Promise<any> {
    this.#live();
    const value = await withUserFrames(this.#realmError(), () => fromModule(this, module, name));
    this.bindings[as_ ?? name] = value;
    return value;
  }

  /** Python's `importlib.import_module(name)` (`src.model` or `src/model`): the module's namespace. */
  async _import(name: string): Promise<any> {
    return this.import(name);
  }

  /** Same as {@link _import}. */
  async importModule(name: string): Promise<any> {
    return this.import(name);
  }

  /**
   * Run a file of the codebase as the main module: `require.main === module`, `module.id === '.'`.
   * `process.argv` is the caller's to set (the `codesave run` command sets it as Node would).
   */
  runMain(file: string): CjsModule {
    const runtime = this.#live();
    const filename = runtime.resolveEntry(file.startsWith('/') || file.startsWith('.') ? file : `./${file}`);
    return withUserFrames(this.#realmError(), () => runtime.runMain(filename));
  }

  /** Release the volume, the realm and the registry. Every later call fails with `ERR_DISPOSED`. Idempotent. */
  async dispose(): Promise<void> {
    if (!this.#runtime) return;
    this.#unrouteFaults();
    this.#runtime.dispose();
    this.#realm?.dispose();
    this.#volume?.dispose();
    this.#materializer.dispose();
    this.#archive?.close();
    this.#runtime = undefined;
    this.#realm = undefined;
    this.#volume = undefined;
    this.#archive = undefined;
    for (const key of Object.keys(this.bindings)) delete this.bindings[key];
    this.removeAllListeners();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** The Python tool's name for the same thing. */
export const UniqueCodebase = ZipCodebase;
export type UniqueCodebase = ZipCodebase;

/** Shared by `ZipCodebase.open` and `Codebase.open`. */
export async function openAs<T extends ZipCodebase>(
  Class: new (kind: Kind, root: string, archive: Archive, manifest: Manifest, options: CodebaseOptions) => T,
  kind: Kind,
  source: string | Uint8Array,
  options: CodebaseOptions,
): Promise<T> {
  if (typeof source !== 'string' && !(source instanceof Uint8Array))
    throw new CodesaveError('ERR_BAD_OPTION', 'open(source): give the path of a .zip file or its bytes.');
  checkOptions(options);
  // `wandb:entity/project/run` and other registered schemes become a local zip first.
  source = await resolveSource(source);
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0))
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `timeoutMs must be a positive number of milliseconds, got ${options.timeoutMs}.`,
    );
  const root = path.resolve(
    options.root ??
      (typeof source === 'string'
        ? source
        : path.join(os.tmpdir(), `codesave-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.zip`)),
  );
  let archive = await openArchive(source, {
    maxEntries: options.maxEntries,
    maxEntrySize: options.maxEntrySize,
    maxTotalSize: options.maxTotalSize,
    eager: options.eager,
    share: true,
    inMemoryLimit: options.inMemoryLimit,
  });
  try {
    // A zip of one folder (no codesave.json at its root): that folder is the root, and the manifest says so.
    const folder = singleTopLevelFolder(archive);
    if (folder !== undefined) archive = subtreeArchive(archive, folder);
    const manifest = readManifest(archive);
    if (folder !== undefined) manifest.topLevelFolder = folder;
    if (options.verify !== false && archive.entries.has(MANIFEST_NAME))
      verifyArchive(archive, manifest, options.verify === 'all' ? 'all' : 'read');
    return new Class(kind, root, archive, manifest, options);
  } catch (error) {
    archive.close();
    throw error;
  }
}

function readManifest(archive: Archive): Manifest {
  const manifest = readArchiveManifest(archive);
  if (manifest) return manifest;
  return minimalManifest([...archive.entries.values()].filter((e) => e.type === 'file').map((e) => e.name));
}

/** Options of the wrong type are refused here, before they fail deep inside (a number as `dependencies`). */
function checkOptions(options: CodebaseOptions): void {
  const bad = (name: string, want: string) =>
    new CodesaveError('ERR_BAD_OPTION', `open: the ${name} option must be ${want}.`, { details: { option: name } });
  if (options === null || typeof options !== 'object') throw bad('options', 'an object');
  const deps = options.dependencies;
  if (
    deps !== undefined &&
    typeof deps !== 'string' &&
    !(Array.isArray(deps) && deps.every((d) => typeof d === 'string'))
  )
    throw bad('dependencies', 'a directory path or an array of them');
  if (options.root !== undefined && (typeof options.root !== 'string' || options.root === ''))
    throw bad('root', 'a non-empty path');
  for (const name of ['eager', 'precompiled'] as const)
    if (options[name] !== undefined && typeof options[name] !== 'boolean') throw bad(name, 'true or false');
  if (options.verify !== undefined && typeof options.verify !== 'boolean' && options.verify !== 'all')
    throw bad('verify', "true, 'all' or false");
  if (
    options.cacheDir !== undefined &&
    options.cacheDir !== false &&
    (typeof options.cacheDir !== 'string' || !options.cacheDir)
  )
    throw bad('cacheDir', 'a directory path or false');
  for (const name of ['onWarning', 'hooks'] as const)
    if (options[name] !== undefined && typeof options[name] !== 'function') throw bad(name, 'a function');
}

/**
 * The manifest's sha256 of each regular file by zip path, when the zip is verified (else `undefined`). It names
 * content the manifest describes, not what the zip holds: callers that use it without reading the file (the
 * materialized files' directory name, a file already on disk with that hash) use the described content, never
 * the zip's unread bytes; whatever they read of the zip is checked against it by the archive.
 */
function manifestHashes(
  archive: Archive,
  manifest: Manifest,
  options: CodebaseOptions,
): (() => ReadonlyMap<string, string>) | undefined {
  if (options.verify === false || !archive.entries.has(MANIFEST_NAME) || isStandInManifest(manifest)) return undefined;
  let hashes: Map<string, string> | undefined;
  return () => {
    hashes ??= new Map(manifest.files.filter((file) => file.link === undefined).map((f) => [f.path, f.sha256]));
    return hashes;
  };
}
