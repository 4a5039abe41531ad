/** The save side: directory → file list → manifest → deterministic zip. */
export { type CheckpointOptions, type CheckpointProgress, type CheckpointResult, checkpoint } from './checkpoint.js';
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
