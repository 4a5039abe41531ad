/**
 * `@codesave/core`: save a project as a zip snapshot, and load snapshots back side by side.
 * @packageDocumentation
 */

export {
  type Archive,
  type ArchiveEntry,
  type ArchiveEntryType,
  type ArchiveOptions,
  checkEntryName,
  openArchive,
  type VerifiableManifest,
  verifyArchive,
} from './archive/index.js';
export { assertRealmEqual, type RealmDifference, realmDifference, realmEqual } from './compare/realm-equal.js';
export { CodesaveError, type CodesaveErrorCode, isCodesaveError } from './errors.js';
export * from './snapshot/index.js';
export {
  type CodebaseFs,
  type CodebaseVolume,
  createFsView,
  type FsViewOptions,
  type MountOptions,
  mountVolume,
} from './volume/index.js';
