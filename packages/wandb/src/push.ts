/** `checkpointToWandb()`: snapshot a directory and put the zip into a W&B run's files (and, optionally, a code artifact). */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  type CheckpointOptions,
  type CheckpointResult,
  CodesaveError,
  checkpoint,
  MANIFEST_NAME,
  openArchive,
  trackTemp,
} from '@codesave/core';
import { createRunFiles, markUploaded, type ResolvedRun, upsertRun } from './api.js';
import { type ArtifactFileSource, codeArtifactName, type LoggedArtifact, logCodeArtifact } from './artifact.js';
import { WandbClient, type WandbClientOptions } from './client.js';
import { parseRunRef, type RunRef } from './run.js';
import { parseUploadHeaders, uploadFile } from './transfer.js';

export interface CheckpointToWandbOptions extends Omit<CheckpointOptions, 'output' | 'onProgress'>, WandbClientOptions {
  /** The run (default: `WANDB_ENTITY`/`WANDB_PROJECT`/`WANDB_RUN_ID`). Created when it does not exist. */
  run?: RunRef;
  /** Name of the zip among the run's files (default `codebase.zip`). */
  codebaseZipname?: string;
  /** Where to keep the zip locally (default: a temp file, removed after the upload). */
  output?: string;
  /** Also log the snapshot's files as a `code` artifact, as `run.log_code()` does. */
  asArtifact?: boolean;
  /**
   * The program path inside the artifact's name (`source-<project>-<program>`), as `log_code` uses the
   * script's path relative to the root. Default: the running script when inside `dir`, else `codesave`.
   */
  program?: string;
  /** Checkpoint progress (the client's `onProgress` reports transfers). */
  onCheckpointProgress?: CheckpointOptions['onProgress'];
}

export interface CheckpointToWandbResult {
  run: { entity: string; project: string; id: string; url: string; created: boolean };
  /** The file's name in the run. */
  filename: string;
  /** The snapshot; `checkpoint.path` no longer exists unless `output` was given. */
  checkpoint: CheckpointResult;
  /** How the upload was registered with the run. */
  /**
   * How the upload was registered with the run: its `file_stream` (live run), `MarkRunFilesUploaded`,
   * `upload` (a server without that mutation registers the file on upload), or `already-stored`.
   */
  markedBy: 'file_stream' | 'mutation' | 'upload' | 'already-stored';
  artifact?: LoggedArtifact;
}

/** The app page of a run (`https://wandb.ai/e/p/runs/id` for the public cloud). */
export function runUrl(baseUrl: string, run: { entity: string; project: string; id: string }): string {
  const url = new URL(baseUrl);
  const app = url.host === 'api.wandb.ai' ? 'https://wandb.ai' : url.origin;
  return `${app}/${encodeURIComponent(run.entity)}/${encodeURIComponent(run.project)}/runs/${encodeURIComponent(run.id)}`;
}

/** Validates a run file name: relative, `/`-separated, staying in the run's files root. */
function checkFileName(name: string): string {
  if (
    !name ||
    name.startsWith('/') ||
    name.includes('\\') ||
    name.split('/').some((p) => p === '..' || p === '' || p === '.')
  ) {
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `"${name}" is not a valid run file name: use a relative path like codebase.zip`,
    );
  }
  return name;
}

/**
 * Saves `dir` with `checkpoint()` and uploads the zip into the run's files under `codebaseZipname`, as
 * `wandb.save(path, policy="now")` does: signed upload URL, streamed PUT, then marked uploaded.
 *
 * @throws CodesaveError `ERR_WANDB_AUTH`, `ERR_WANDB_REQUEST`, `ERR_WANDB_TRANSFER`, `ERR_WANDB_NOT_FOUND`,
 *   `ERR_BAD_OPTION`, and the errors of `checkpoint()`.
 */
export async function checkpointToWandb(
  dir: string | string[],
  options: CheckpointToWandbOptions = {},
): Promise<CheckpointToWandbResult> {
  const env = options.env ?? process.env;
  const target = parseRunRef(options.run, env);
  const filename = checkFileName(options.codebaseZipname ?? 'codebase.zip');
  const client = new WandbClient({
    ...options,
    baseUrl: options.baseUrl ?? target.baseUrl,
    apiKey: options.apiKey ?? target.apiKey,
  });
  // Find or create the run first: a bad key or run fails before a long snapshot.
  const upserted = await upsertRun(client, target);
  const run: ResolvedRun = { entity: upserted.entity, project: upserted.project, id: upserted.id, live: target.live };

  const temp = options.output ? undefined : await mkdtemp(join(tmpdir(), 'codesave-push-'));
  const untrack = temp ? trackTemp(temp) : () => {}; // removed on SIGINT/SIGTERM by the CLI
  try {
    const {
      run: _run,
      codebaseZipname: _name,
      asArtifact: _asArtifact,
      program: _program,
      onCheckpointProgress,
      baseUrl: _b,
      apiKey: _k,
      env: _e,
      cwd: _c,
      home: _h,
      timeoutMs: _t,
      retry: _r,
      log: _l,
      onProgress: _p,
      signal: _s,
      onWarning: _w,
      ...checkpointOptions
    } = options;
    const output = options.output ? resolve(options.output) : join(temp!, filename.split('/').pop()!);
    const snapshot = await checkpoint(dir, { ...checkpointOptions, output, onProgress: onCheckpointProgress });

    const [upload] = await createRunFiles(client, run, [filename]);
    let markedBy: CheckpointToWandbResult['markedBy'] = 'already-stored';
    if (upload?.uploadUrl) {
      await uploadFile(client, {
        url: upload.uploadUrl,
        headers: parseUploadHeaders(upload.headers),
        path: snapshot.path,
        name: filename,
      });
      markedBy = await markUploaded(client, run, [filename]);
    }

    let artifact: LoggedArtifact | undefined;
    if (options.asArtifact) {
      const name = codeArtifactName(run.project, options.program ?? defaultProgram(Array.isArray(dir) ? dir[0] : dir));
      artifact = await logSnapshotAsArtifact(client, run, snapshot.path, name);
      await recordCodePath(client, run, upserted.storageId, upserted.config, name);
    }
    return {
      run: { ...run, url: runUrl(client.baseUrl, run), created: upserted.inserted },
      filename,
      checkpoint: snapshot,
      markedBy,
      artifact,
    };
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
    untrack();
  }
}

/** The running script relative to `dir` when it is inside it (what `log_code` names), else `codesave`. */
function defaultProgram(dir: string): string {
  const script = process.argv[1];
  if (script) {
    const rel = relative(resolve(dir), resolve(script));
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  }
  return 'codesave';
}

/** Extracts the snapshot's files (not its manifest, not links) to a temp dir and logs them as an artifact. */
async function logSnapshotAsArtifact(
  client: WandbClient,
  run: ResolvedRun,
  zipPath: string,
  name: string,
): Promise<LoggedArtifact> {
  const temp = await mkdtemp(join(tmpdir(), 'codesave-artifact-'));
  const archive = await openArchive(zipPath, {
    maxTotalSize: Number.MAX_SAFE_INTEGER,
    maxEntrySize: Number.MAX_SAFE_INTEGER,
  });
  try {
    const files: ArtifactFileSource[] = [];
    for (const entry of archive.entries.values()) {
      if (entry.type !== 'file' || entry.name === MANIFEST_NAME) continue;
      const file = join(temp, ...entry.name.split('/'));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, archive.read(entry.name));
      files.push({ path: entry.name, file });
    }
    return await logCodeArtifact(client, run, files, name);
  } finally {
    archive.close();
    await rm(temp, { recursive: true, force: true });
  }
}

/** Sets the run's `config._wandb.code_path` to the artifact's name, as `log_code` does, keeping the rest. */
async function recordCodePath(
  client: WandbClient,
  run: ResolvedRun,
  storageId: string,
  config: string | null | undefined,
  name: string,
): Promise<void> {
  let parsed: Record<string, any> = {};
  try {
    const value = config ? JSON.parse(config) : {};
    if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value;
  } catch {
    return; // a config we cannot read is left alone rather than overwritten
  }
  const wandb = parsed._wandb && typeof parsed._wandb === 'object' ? parsed._wandb : {};
  const value = wandb.value && typeof wandb.value === 'object' ? wandb.value : {};
  if (value.code_path === name) return;
  parsed._wandb = { ...wandb, value: { ...value, code_path: name } };
  await upsertRun(client, { ...run, live: run.live }, { storageId, config: JSON.stringify(parsed) });
}
