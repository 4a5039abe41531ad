/**
 * `@codesave/core`: save a project as a zip snapshot, and load snapshots back side by side.
 * @packageDocumentation
 */

export {
  type Archive,
  type ArchiveEntry,
  type ArchiveEntryType,
  type ArchiveMismatch,
  type ArchiveOptions,
  archiveMismatches,
  checkEntryName,
  openArchive,
  readArchiveManifest,
  type VerifiableManifest,
  type VerifyContents,
  verifyArchive,
} from './archive/index.js';
export {
  Codebase,
  type CodebaseOptions,
  ENTRY_EXTENSIONS,
  hideCodesaveFrames,
  registerSourceOpener,
  resolveSource,
  type SourceOpener,
  sourceScheme,
  UniqueCodebase,
  type VerifyMode,
  ZipCodebase,
} from './codebase/index.js';
export * from './compare/index.js';
export { CodesaveError, type CodesaveErrorCode, isCodesaveError } from './errors.js';
export {
  type OutputOptions,
  type PreparedOutput,
  prepareOutput,
  removeStaleTemps,
  removeTempFiles,
  TEMP_SUFFIX,
  trackTemp,
} from './output-file.js';
export { configureTransformCache } from './runtime/esm/index.js';
export { nodeFeatures } from './runtime/features.js';
export type { FsView } from './runtime/fs-view.js';
export type { CommonJsHost, LoaderHooks } from './runtime/hooks.js';
export { HOST_GLOBALS, Realm, type RealmOptions } from './runtime/realm.js';
export { type ResolveMode, Resolver } from './runtime/resolve.js';
export {
  type CjsModule,
  type CodesaveWarning,
  type ModuleFormat,
  Runtime,
  type RuntimeOptions,
} from './runtime/runtime.js';
export {
  clearMemoryCaches,
  defaultCacheDir,
  flushTransformCache,
  type TransformCacheOptions,
} from './runtime/transform/index.js';
export * from './snapshot/index.js';
export {
  type CodebaseFs,
  type CodebaseVolume,
  createFsView,
  type FsViewOptions,
  type MountOptions,
  mountVolume,
} from './volume/index.js';
