/**
 * Checks a zip against its manifest's sha256s before any of its code runs: everything at open (`'all'`), or the
 * manifest and the zip's listing at open and each entry's bytes the first time anything reads them (`'read'`).
 */
import { createHash } from 'node:crypto';
import { CodesaveError, isCodesaveError } from '../errors.js';
import {
  contentHashOf,
  GIT_PATCH_NAME,
  isStandInManifest,
  MANIFEST_NAME,
  type Manifest,
  parseManifest,
} from '../snapshot/manifest.js';
import type { Archive } from './archive.js';
import { digestOf } from './digest.js';

/** The part of a manifest that verification reads. */
export type VerifiableManifest = Pick<Manifest, 'files'> & { tool?: { name?: string }; contentHash?: string };

/** One way a zip differs from its manifest. `path` is the entry (`codesave.json` for the manifest itself). */
export interface ArchiveMismatch {
  path: string;
  /** What differs, e.g. `has a different sha256`. */
  problem: string;
  /** `ERR_ZIP_HASH_MISMATCH`, or the code of the error reading the entry gave (`ERR_ZIP_CRC_MISMATCH`, …). */
  code: string;
}

/**
 * When {@link verifyArchive} checks file contents:
 * - `'all'`: every file is inflated and its sha256 checked now;
 * - `'read'`: nothing is inflated now (symlink targets aside); the archive checks each file's sha256 the first
 *   time anything reads it, before its bytes are returned (`ERR_ZIP_HASH_MISMATCH` then, from that read).
 *
 * Both check now the manifest's own `contentHash` against its file list, the zip's entry set against the list
 * (unlisted and missing files, types, sizes, symlink targets), and both leave the archive checking every later
 * read.
 */
export type VerifyContents = 'all' | 'read';

/**
 * Compares the files listed in `manifest.files` with the zip (size and type from the central directory,
 * symlink targets, and — now with `contents: 'all'` (the default), at first read with `'read'` — sha256),
 * refuses files the manifest does not list, and checks the manifest's own `contentHash` against its file list.
 * Throws `ERR_ZIP_HASH_MISMATCH` naming the first path that differs. From then on every `archive.read` of a
 * listed file checks its bytes against the manifest (`archive.expectDigests`); each file's checked bytes are
 * kept, so reading them later costs no second inflate (within the archive's `keepLimit`). A stand-in manifest
 * (made by `minimalManifest` for a zip without one) has nothing to verify and passes.
 */
export function verifyArchive(archive: Archive, manifest: VerifiableManifest, contents: VerifyContents = 'all'): void {
  const expected = compare(
    archive,
    manifest,
    (mismatch) => {
      throw new CodesaveError('ERR_ZIP_HASH_MISMATCH', message(archive, mismatch), {
        details: { path: mismatch.path },
      });
    },
    contents === 'all',
  );
  if (expected.size === 0) return;
  archive.expectDigests(
    (path) => expected.get(path),
    (path) =>
      new CodesaveError(
        'ERR_ZIP_HASH_MISMATCH',
        message(archive, { path, problem: 'has a different sha256', code: 'ERR_ZIP_HASH_MISMATCH' }),
        { details: { path } },
      ),
  );
}

/**
 * Every way the zip differs from `manifest` (what {@link verifyArchive} checks, without stopping at the first):
 * an empty list when it is the snapshot its manifest describes.
 */
export function archiveMismatches(archive: Archive, manifest: VerifiableManifest): ArchiveMismatch[] {
  const found: ArchiveMismatch[] = [];
  compare(archive, manifest, (mismatch) => found.push(mismatch), true);
  return found;
}

function message(archive: Archive, { path, problem }: ArchiveMismatch): string {
  return (
    `${archive.source ?? '<zip bytes>'}: '${path}' ${problem}, so the zip is not the snapshot its ${MANIFEST_NAME} describes. ` +
    'It was changed after saving, or damaged: save it again, or open it with verify: false if you accept that.'
  );
}

/**
 * Reports each way the zip differs from `manifest`; with `contents`, file contents too (inflated and hashed now).
 * Returns the sha256 the manifest gives each entry it lists, for the archive to check reads against.
 */
function compare(
  archive: Archive,
  manifest: VerifiableManifest,
  report: (mismatch: ArchiveMismatch) => void,
  contents: boolean,
): Map<string, string> {
  const expected = new Map<string, string>();
  if (isStandInManifest(manifest)) return expected;
  const label = archive.source ?? '<zip bytes>';
  const mismatch = (path: string, problem: string, code = 'ERR_ZIP_HASH_MISMATCH') => report({ path, problem, code });
  // The manifest's own hash over its file list: a file rewritten together with its sha256 leaves it stale.
  if (manifest.contentHash !== undefined) {
    const actual = contentHashOf(manifest.files, (text) => createHash('sha256').update(text).digest('hex'));
    if (actual !== manifest.contentHash)
      mismatch(
        MANIFEST_NAME,
        `has a contentHash (${manifest.contentHash}) that is not the hash of its file list (${actual})`,
      );
  }
  const listed = expected;
  /** Listed paths found in the zip as files or symlinks. */
  let found = 0;
  for (const file of manifest.files) {
    // each path once: a manifest listing one large file thousands of times would make verification
    // inflate it thousands of times
    if (listed.has(file.path)) {
      throw new CodesaveError(
        'ERR_MANIFEST_INVALID',
        `${label}: ${MANIFEST_NAME} lists '${file.path}' more than once; save the snapshot again, or open it with verify: false`,
        { details: { path: file.path } },
      );
    }
    expected.set(file.path, file.sha256);
    const entry = archive.entries.get(file.path);
    if (!entry || entry.type === 'directory') {
      mismatch(file.path, 'is listed in the manifest but missing');
      continue;
    }
    if (file.path !== MANIFEST_NAME && file.path !== GIT_PATCH_NAME) found++;
    const link = (file as { link?: string }).link;
    if (link !== undefined) {
      if (entry.type !== 'symlink') {
        mismatch(file.path, 'is a symlink in the manifest but not in the zip');
        continue;
      }
      if (entry.linkTarget !== link) {
        mismatch(file.path, `links to '${entry.linkTarget}', not '${link}'`);
        continue;
      }
    } else if (entry.type === 'symlink') {
      mismatch(file.path, 'is a symlink in the zip but a file in the manifest');
      continue;
    }
    if (entry.size !== file.size) {
      mismatch(file.path, `has ${entry.size} bytes, not ${file.size}`);
      continue;
    }
    // A symlink's target is already read (the archive checks it when opening): its hash is checked now in
    // every mode, so a link never points elsewhere than the manifest says, read or not.
    if (!contents && entry.type === 'file') continue;
    let bytes: Buffer;
    try {
      bytes = archive.read(file.path);
    } catch (error) {
      if (!isCodesaveError(error)) throw error;
      mismatch(file.path, `cannot be read (${error.message})`, error.code);
      continue;
    }
    if (digestOf(bytes) !== file.sha256) {
      mismatch(file.path, 'has a different sha256');
      continue;
    }
    // The volume then serves these very bytes (the ones just checked) without inflating them again.
    if (entry.type === 'file') archive.keep(file.path, bytes);
  }
  // Each listed path found is one file or symlink of the zip: when the zip has no others (besides the manifest
  // and the git patch), none is unlisted — counted without a lookup per entry.
  let others = 0;
  for (const entry of archive.entries.values()) if (entry.type !== 'directory') others++;
  for (const name of [MANIFEST_NAME, GIT_PATCH_NAME]) if (archive.entries.get(name)?.type === 'file') others--;
  if (others === found) return expected;
  for (const entry of archive.entries.values()) {
    if (entry.type === 'directory' || listed.has(entry.name)) continue;
    if (entry.name === MANIFEST_NAME || entry.name === GIT_PATCH_NAME) continue;
    mismatch(entry.name, 'is in the zip but not listed in the manifest');
  }
  return expected;
}

/**
 * The zip's `codesave.json`, parsed and validated; `undefined` when the zip has none (a zip made by another
 * tool). A `codesave.json` that is a directory or a symlink, is not JSON or fails the schema is
 * `ERR_MANIFEST_INVALID`: a snapshot whose manifest is damaged is not silently opened as an unverified zip.
 */
export function readArchiveManifest(archive: Archive): Manifest | undefined {
  const entry = archive.entries.get(MANIFEST_NAME);
  if (!entry) return undefined;
  const label = archive.source ?? '<zip bytes>';
  const todo = `save the snapshot again, or remove ${MANIFEST_NAME} from the zip to open it as a plain, unverified zip`;
  if (entry.type !== 'file') {
    throw new CodesaveError(
      'ERR_MANIFEST_INVALID',
      `${label}: ${MANIFEST_NAME} is a ${entry.type}, not a file; ${todo}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(archive.read(MANIFEST_NAME).toString('utf8'));
  } catch (error) {
    if ((error as { name?: string }).name === 'CodesaveError') throw error;
    throw new CodesaveError(
      'ERR_MANIFEST_INVALID',
      `${label}: ${MANIFEST_NAME} is not valid JSON (${(error as Error).message}); ${todo}`,
      { cause: error },
    );
  }
  return parseManifest(value);
}
