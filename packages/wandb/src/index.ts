/**
 * `@codesave/wandb`: push codesave snapshots into Weights & Biases runs and pull them back.
 * @packageDocumentation
 */
export {
  type ArtifactSummary,
  defaultEntity,
  listOutputArtifacts,
  listRunFiles,
  type ResolvedRun,
  type RunFile,
  upsertRun,
} from './api.js';
export {
  type ArtifactFileSource,
  codeArtifactName,
  downloadArtifactFiles,
  type LoggedArtifact,
  logCodeArtifact,
  manifestDigest,
  safeArtifactName,
} from './artifact.js';
export { type GraphqlRequest, type TransferProgress, WandbClient, type WandbClientOptions } from './client.js';
export { WandbCodebase, type WandbCodebaseOptions } from './codebase.js';
export {
  CODEBASE_FILENAMES,
  type DownloadFromWandbOptions,
  downloadFromWandb,
  type ZipFromWandbArtifactOptions,
  type ZipFromWandbOptions,
  zipFromWandb,
  zipFromWandbArtifact,
} from './pull.js';
export { type CheckpointToWandbOptions, type CheckpointToWandbResult, checkpointToWandb, runUrl } from './push.js';
export { formatRetry, parseRetryAfter, type RetryEvent, type RetryOptions } from './retry.js';
export { formatRunPath, parseRunRef, type RunPath, type RunRef, type SdkRunLike } from './run.js';
export { DEFAULT_BASE_URL, resolveSettings, type WandbConnectionOptions, type WandbSettings } from './settings.js';
export { fetchWandbSource, registerWandbSource, type WandbSourceOptions } from './source.js';

import { registerWandbSource } from './source.js';

export { type DownloadResult, downloadFile, md5File, uploadFile } from './transfer.js';

// Loading this package makes `wandb:entity/project/run` a source ZipCodebase.open (and the CLI) accepts.
registerWandbSource();
