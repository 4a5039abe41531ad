/** The save side: directory → file list → manifest → deterministic zip. */
import type { CheckpointOptions, CheckpointResult } from './checkpoint.js';

export type { CheckpointOptions, CheckpointProgress, CheckpointResult } from './checkpoint.js';

/**
 * Saves `dir` (or several roots) as a deterministic zip snapshot with a `codesave.json` manifest (see
 * `snapshot/checkpoint.ts` for the whole contract). The save side (walk, zip writer, git) loads on the first
 * call: a chunk of its own in the dist, which loading a snapshot never reads.
 * @throws CodesaveError `ERR_DIR_NOT_FOUND`, `ERR_NOT_A_DIRECTORY`, `ERR_UNREADABLE_FILE`, `ERR_BROKEN_SYMLINK`,
 *   `ERR_OUTPUT_DIR_MISSING`, `ERR_OUTPUT_UNWRITABLE`, `ERR_BAD_SIZE`, `ERR_BAD_OPTION`, `ERR_DEPENDENCY_NOT_FOUND`.
 */
export async function checkpoint(dir: string | string[], options?: CheckpointOptions): Promise<CheckpointResult> {
  return (await import('./checkpoint.js')).checkpoint(dir, options);
}
export {
  GIT_PATCH_NAME,
  isStandInManifest,
  MANIFEST_NAME,
  type Manifest,
  type ManifestFile,
  ManifestSchema,
  minimalManifest,
  parseManifest,
} from './manifest.js';
export { parseSize } from './size.js';
export type { SkippedFile, SkipReason } from './walk.js';
