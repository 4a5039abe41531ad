/** archive/: zip bytes → validated entries (central directory, safe names, limits, lazy inflate, CRC). */
export {
  type Archive,
  type ArchiveEntry,
  type ArchiveEntryType,
  type ArchiveOptions,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_ENTRY_SIZE,
  DEFAULT_MAX_TOTAL_SIZE,
  openArchive,
} from './archive.js';
export { checkEntryName } from './names.js';
export { singleTopLevelFolder, subtreeArchive } from './subtree.js';
export {
  type ArchiveMismatch,
  archiveMismatches,
  readArchiveManifest,
  type VerifiableManifest,
  type VerifyContents,
  verifyArchive,
} from './verify.js';
