/**
 * The versions of a comparison: naming them, and opening each one. Every kind of source goes through
 * {@link openVersion}: a zip path, a directory (snapshotted in memory first), zip bytes, an opened codebase,
 * or `scheme:rest` through the opener registered for its scheme (`registerSourceOpener`: how `wandb:` sources plug in).
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveSource, sourceScheme } from '../codebase/sources.js';
import { type CodebaseOptions, ZipCodebase } from '../codebase/zip-codebase.js';
import { CodesaveError, isCodesaveError } from '../errors.js';
import { checkpoint } from '../snapshot/checkpoint.js';

/** One version: a zip path, a directory, `scheme:…` (see `registerSourceOpener`), zip bytes, or a codebase. */
export type VersionSource = string | Uint8Array | ZipCodebase;

/** `{ name: source }`, or `[source, …]` (named after their files: `runs/a.zip` → `a`). 2..N versions. */
export type VersionsInput = Readonly<Record<string, VersionSource>> | readonly VersionSource[];

/** A version with its name. */
export interface NamedVersion {
  name: string;
  source: VersionSource;
}

/** Where a worker thread can open the same version again. */
export type PortableVersion =
  | { kind: 'zip'; path: string }
  | { kind: 'bytes'; bytes: Uint8Array; root: string; dependencies?: string };

/** An opened version. */
export interface OpenedVersion {
  name: string;
  codebase: ZipCodebase;
  /** What the report shows as its source. */
  label: string;
  /** `true` when compare() opened it (and so disposes it). */
  owned: boolean;
  /** For worker threads; `undefined` for a codebase passed in opened that no file names. */
  portable?: PortableVersion;
}

/** Names the versions; 2..N, distinct names. */
export function nameVersions(input: VersionsInput): NamedVersion[] {
  let named: NamedVersion[];
  if (Array.isArray(input)) {
    const taken = new Set<string>();
    named = (input as VersionSource[]).map((source, index) => {
      const base = defaultName(source, index);
      let name = base;
      for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
      taken.add(name);
      return { name, source };
    });
  } else if (input !== null && typeof input === 'object') {
    named = Object.keys(input).map((name) => ({ name, source: (input as Record<string, VersionSource>)[name] }));
  } else {
    throw new CodesaveError('ERR_BAD_OPTION', 'versions: give { name: source, … } or [source, …].');
  }
  if (named.length < 2)
    throw new CodesaveError('ERR_BAD_OPTION', `versions: compare needs at least 2 versions, got ${named.length}.`);
  for (const v of named) {
    if (v.name === '') throw new CodesaveError('ERR_BAD_OPTION', 'versions: a version name cannot be empty.');
    if (!(typeof v.source === 'string' || v.source instanceof Uint8Array || v.source instanceof ZipCodebase))
      throw new CodesaveError(
        'ERR_BAD_OPTION',
        `versions.${v.name}: give a zip path, a directory, zip bytes or an opened codebase.`,
      );
  }
  return named;
}

function defaultName(source: VersionSource, index: number): string {
  if (typeof source === 'string') {
    const scheme = sourceScheme(source);
    const tail = scheme ? source.slice(scheme.length + 1).replace(/[\\/]+$/, '') : source.replace(/[\\/]+$/, '');
    const base = path.basename(tail).replace(/\.zip$/i, '');
    if (base) return base;
  }
  if (source instanceof ZipCodebase) return path.basename(source.root).replace(/\.zip$/i, '') || `v${index + 1}`;
  return `v${index + 1}`;
}

/**
 * Opens one version. Failures become `ERR_VERSION_OPEN` naming the version, with the original error as `cause`
 * (its code in `details.causeCode`).
 */
export async function openVersion(version: NamedVersion, options: CodebaseOptions = {}): Promise<OpenedVersion> {
  try {
    return await open(version.name, version.source, options);
  } catch (error) {
    const code = isCodesaveError(error) ? error.code : (error as { code?: unknown })?.code;
    throw new CodesaveError(
      'ERR_VERSION_OPEN',
      `Version "${version.name}" (${describeSource(version.source)}) could not be opened: ${(error as Error)?.message ?? String(error)}`,
      { cause: error, details: { version: version.name, ...(typeof code === 'string' ? { causeCode: code } : {}) } },
    );
  }
}

function describeSource(source: VersionSource): string {
  if (typeof source === 'string') return source;
  if (source instanceof ZipCodebase) return source.root;
  return `${source.byteLength} bytes of zip`;
}

async function open(name: string, source: VersionSource, options: CodebaseOptions): Promise<OpenedVersion> {
  if (source instanceof ZipCodebase) {
    void source.runtime; // throws ERR_DISPOSED for a disposed codebase
    const onDisk = await stat(source.root).then(
      (s) => s.isFile(),
      () => false,
    );
    return {
      name,
      codebase: source,
      label: source.root,
      owned: false,
      portable: onDisk ? { kind: 'zip', path: source.root } : undefined,
    };
  }
  if (source instanceof Uint8Array) {
    const codebase = await ZipCodebase.open(source, options);
    return {
      name,
      codebase,
      label: codebase.root,
      owned: true,
      portable: { kind: 'bytes', bytes: source, root: codebase.root },
    };
  }
  if (sourceScheme(source)) {
    const opened = await open(name, await resolveSource(source), options);
    return { ...opened, label: source };
  }
  const info = await stat(source).catch(() => undefined);
  if (info?.isDirectory()) {
    const { bytes, root } = await snapshotInMemory(source);
    const codebase = await ZipCodebase.open(bytes, { dependencies: root, ...options, root });
    return {
      name,
      codebase,
      label: source,
      owned: true,
      portable: { kind: 'bytes', bytes, root, dependencies: root },
    };
  }
  const codebase = await ZipCodebase.open(source, options);
  return { name, codebase, label: source, owned: true, portable: { kind: 'zip', path: path.resolve(source) } };
}

/** A directory saved as a snapshot whose bytes stay in memory (the temporary zip is removed at once). */
export async function snapshotInMemory(dir: string): Promise<{ bytes: Uint8Array; root: string }> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'codesave-compare-'));
  try {
    const saved = await checkpoint(dir, { output: path.join(scratch, 'snapshot.zip') });
    return { bytes: await readFile(saved.path), root: path.resolve(dir) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Opens a portable version inside a worker thread. */
export async function openPortable(portable: PortableVersion, options: CodebaseOptions): Promise<ZipCodebase> {
  if (portable.kind === 'zip') return ZipCodebase.open(portable.path, options);
  return ZipCodebase.open(portable.bytes, {
    ...(portable.dependencies ? { dependencies: portable.dependencies } : {}),
    ...options,
    root: portable.root,
  });
}
