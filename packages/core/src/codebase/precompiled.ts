/**
 * A snapshot's precompiled forms (`.codesave/precompiled/`, see runtime/transform/precompiled.ts) wired to its
 * archive: the forms its transformer may use, and the archive its code sees — without them. They are codesave's
 * own bookkeeping, as a `.pyc` cache is Python's: the loaded code's `fs` never lists or reads them (natively
 * they do not exist), and a user's own files elsewhere under `.codesave/` stay visible.
 */
import type { Archive, ArchiveEntry } from '../archive/archive.js';
import { CodesaveError } from '../errors.js';
import { PRECOMPILED_DIR, PrecompiledForms, TRANSFORM_VERSION, TS_TARGET } from '../runtime/transform/index.js';
import { isStandInManifest, MANIFEST_NAME, type Manifest } from '../snapshot/manifest.js';

/** What {@link precompiledForms} gives the codebase. */
export interface SnapshotForms {
  /** The forms for the transformer; `undefined` when the snapshot has none, or they are turned off or stale. */
  forms: PrecompiledForms | undefined;
  /** The archive the volume mounts: without the forms' entries when the manifest says it holds forms. */
  visible: Archive;
}

/**
 * The forms of a snapshot whose manifest lists them (`manifest.precompiled`), when `use` and their transform
 * version is this loader's (another version's are ignored: its key would never match anyway). Only forms the
 * manifest lists are read, through `archive.read`, which checks each against its sha256 when the snapshot is
 * verified (`ERR_ZIP_HASH_MISMATCH` before anything of it runs), as for any other file.
 */
export function precompiledForms(archive: Archive, manifest: Manifest, use: boolean): SnapshotForms {
  const info = manifest.precompiled;
  if (!info || isStandInManifest(manifest) || !archive.entries.has(MANIFEST_NAME))
    return { forms: undefined, visible: archive };
  const visible = withoutForms(archive);
  if (!use || info.transformVersion !== TRANSFORM_VERSION) return { forms: undefined, visible };
  let listed: Set<string> | undefined;
  const isListed = (name: string) => {
    listed ??= new Set(manifest.files.map((f) => f.path).filter((path) => path.startsWith(`${PRECOMPILED_DIR}/`)));
    return listed.has(name);
  };
  const fileEntry = (name: string): ArchiveEntry | undefined => {
    const entry = archive.entries.get(name);
    return entry?.type === 'file' ? entry : undefined;
  };
  const read = (name: string): Uint8Array | undefined => {
    // Only what the manifest lists is used (verification refuses anything else at open; without it, the same rule).
    if (!fileEntry(name) || !isListed(name)) return undefined;
    return archive.read(name);
  };
  const forms = new PrecompiledForms(
    read,
    { version: TRANSFORM_VERSION, target: TS_TARGET },
    (name) => fileEntry(name)?.size,
  );
  return { forms, visible };
}

/** `archive` without the entries under `.codesave/precompiled/` (reads of the rest go to it). */
function withoutForms(archive: Archive): Archive {
  const prefix = `${PRECOMPILED_DIR}/`;
  const entries = new Map<string, ArchiveEntry>();
  for (const [name, entry] of archive.entries)
    if (!name.startsWith(prefix) && name !== PRECOMPILED_DIR) entries.set(name, entry);
  if (entries.size === archive.entries.size) return archive;
  return {
    source: archive.source,
    entries,
    totalSize: archive.totalSize,
    read: (name) => {
      if (!entries.has(name)) throw new CodesaveError('ERR_ZIP_ENTRY_NOT_FOUND', `no entry '${name}' in the zip`);
      return archive.read(name);
    },
    keep: (name, bytes) => archive.keep(name, bytes),
    expectDigests: (digests, mismatch) => archive.expectDigests(digests, mismatch),
    checkedDigest: (name) => archive.checkedDigest(name),
    close: () => archive.close(),
  };
}
