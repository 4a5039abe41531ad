/** Checks a zip against its manifest's sha256s before any of its code runs. */
import * as crypto from 'node:crypto';
import { CodesaveError } from '../errors.js';
import { GIT_PATCH_NAME, MANIFEST_NAME, type Manifest, parseManifest } from '../snapshot/manifest.js';
import type { Archive } from './archive.js';

/** One-shot `crypto.hash` where the running Node has it (≥ 20.12): ~2× faster than `createHash` for small files. */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string }).hash;
const sha256 = (data: Uint8Array): string =>
  typeof oneShot === 'function'
    ? oneShot('sha256', data, 'hex')
    : crypto.createHash('sha256').update(data).digest('hex');
/**
 * Digests of contents already hashed, by buffer: a second version's unchanged files are the very (read-only)
 * buffers the first one inflated and verified (`shared-contents.ts`), so they are not hashed again.
 */
const digests = new WeakMap<Uint8Array, string>();
const digestOf = (data: Uint8Array): string => {
  let digest = digests.get(data);
  if (digest === undefined) {
    digest = sha256(data);
    digests.set(data, digest);
  }
  return digest;
};

/** The part of a manifest that verification reads. */
export type VerifiableManifest = Pick<Manifest, 'files'> & { tool?: { name?: string } };

/**
 * Compares every file listed in `manifest.files` with the zip (sha256 and size; for a symlink, its
 * target text), and refuses files the manifest does not list. Throws `ERR_ZIP_HASH_MISMATCH` naming
 * the first path that differs. Each file's inflated bytes are handed to `archive.keep` once they match,
 * so reading them later costs no second inflate (within the archive's `keepLimit`). A stand-in manifest
 * (`minimalManifest`, `tool.name === 'unknown'`) has nothing to verify and passes.
 */
export function verifyArchive(archive: Archive, manifest: VerifiableManifest): void {
  if (manifest.tool?.name === 'unknown') return;
  const label = archive.source ?? '<zip bytes>';
  const mismatch = (path: string, what: string) =>
    new CodesaveError(
      'ERR_ZIP_HASH_MISMATCH',
      `${label}: '${path}' ${what}, so the zip is not the snapshot its ${MANIFEST_NAME} describes. ` +
        'It was changed after saving, or damaged: save it again, or open it with verify: false if you accept that.',
      { details: { path } },
    );
  const listed = new Set<string>();
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
    listed.add(file.path);
    const entry = archive.entries.get(file.path);
    if (!entry || entry.type === 'directory') throw mismatch(file.path, 'is listed in the manifest but missing');
    const link = (file as { link?: string }).link;
    if (link !== undefined) {
      if (entry.type !== 'symlink') throw mismatch(file.path, 'is a symlink in the manifest but not in the zip');
      if (entry.linkTarget !== link) throw mismatch(file.path, `links to '${entry.linkTarget}', not '${link}'`);
    } else if (entry.type === 'symlink') {
      throw mismatch(file.path, 'is a symlink in the zip but a file in the manifest');
    }
    if (entry.size !== file.size) throw mismatch(file.path, `has ${entry.size} bytes, not ${file.size}`);
    const bytes = archive.read(file.path);
    if (digestOf(bytes) !== file.sha256) throw mismatch(file.path, 'has a different sha256');
    // The volume then serves these very bytes (the ones just checked) without inflating them again.
    if (entry.type === 'file') archive.keep(file.path, bytes);
  }
  for (const entry of archive.entries.values()) {
    if (entry.type === 'directory' || listed.has(entry.name)) continue;
    if (entry.name === MANIFEST_NAME || entry.name === GIT_PATCH_NAME) continue;
    throw mismatch(entry.name, 'is in the zip but not listed in the manifest');
  }
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
