/** Typed W&B operations over a {@link WandbClient}: runs, run files, code artifacts. */
import { CodesaveError, isCodesaveError } from '@codesave/core';
import type { WandbClient } from './client.js';
import * as ops from './operations.js';
import { isRetryableStatus, parseRetryAfter, TransientError, withRetry } from './retry.js';
import { formatRunPath, type RunPath } from './run.js';

/** A run whose entity is known. */
export interface ResolvedRun {
  entity: string;
  project: string;
  id: string;
  live: boolean;
}

/** The key's default entity (`viewer.entity`); `viewer: null` means the key was not accepted. */
export async function defaultEntity(client: WandbClient): Promise<string> {
  const data = await client.graphql<{ viewer: { entity?: string | null } | null }>({
    operationName: 'Viewer',
    query: ops.VIEWER,
  });
  if (!data.viewer) throw client.rejectedKeyError('viewer is null');
  if (!data.viewer.entity) {
    throw new CodesaveError(
      'ERR_WANDB_REQUEST',
      'W&B did not say which entity this key belongs to: pass entity/project/run_id',
    );
  }
  return data.viewer.entity;
}

/** Fills in a missing entity from the key's default entity. */
export async function resolveEntity(client: WandbClient, run: RunPath): Promise<ResolvedRun> {
  return { entity: run.entity ?? (await defaultEntity(client)), project: run.project, id: run.id, live: run.live };
}

export interface UpsertedRun extends ResolvedRun {
  /** The server's storage id of the run. */
  storageId: string;
  inserted: boolean;
  /** The run's config as a JSON string, as the server holds it. */
  config?: string | null;
}

/** Finds or creates the run (`UpsertBucket`). With no entity, the server picks the key's default one. */
export async function upsertRun(
  client: WandbClient,
  run: RunPath,
  extra: { storageId?: string; config?: string } = {},
): Promise<UpsertedRun> {
  const data = await client.graphql<{
    upsertBucket: {
      bucket: { id: string; name: string; config?: string | null; project: { name: string; entity: { name: string } } };
      inserted: boolean;
    } | null;
  }>({
    operationName: 'UpsertBucket',
    query: ops.UPSERT_BUCKET,
    variables: { id: extra.storageId, name: run.id, project: run.project, entity: run.entity, config: extra.config },
    retryStatuses: [409],
  });
  const bucket = data.upsertBucket?.bucket;
  if (!bucket) throw new CodesaveError('ERR_WANDB_REQUEST', `W&B did not create or return run ${formatRunPath(run)}`);
  return {
    entity: bucket.project.entity.name,
    project: bucket.project.name,
    id: bucket.name,
    live: run.live,
    storageId: bucket.id,
    inserted: Boolean(data.upsertBucket?.inserted),
    config: bucket.config,
  };
}

export interface RunFileUpload {
  name: string;
  uploadUrl: string | null;
  headers: string[];
}

/** Signed upload URLs for files of a run (`CreateRunFiles`). */
export async function createRunFiles(client: WandbClient, run: ResolvedRun, names: string[]): Promise<RunFileUpload[]> {
  const data = await client.graphql<{
    createRunFiles: {
      runID: string | null;
      uploadHeaders: string[] | null;
      files: { name: string; uploadUrl: string | null }[];
    } | null;
  }>({
    operationName: 'CreateRunFiles',
    query: ops.CREATE_RUN_FILES,
    variables: { entity: run.entity, project: run.project, run: run.id, files: names },
  });
  const result = data.createRunFiles;
  if (!result?.runID) {
    throw new CodesaveError(
      'ERR_WANDB_NOT_FOUND',
      `W&B run ${formatRunPath(run)} does not exist or this key cannot write to it`,
    );
  }
  return result.files.map((f) => ({ name: f.name, uploadUrl: f.uploadUrl, headers: result.uploadHeaders ?? [] }));
}

/**
 * The features the server enabled (`ServerFeaturesQuery`), asked once per client. As the W&B SDK does, a
 * server that cannot answer (older self-hosted ones have no `ServerInfo.features`) has none: one warning,
 * and the work goes on. A rejected key still fails.
 */
export async function serverFeatures(client: WandbClient): Promise<ReadonlySet<string>> {
  client.featureCache ??= (async () => {
    try {
      const data = await client.graphql<{
        serverInfo: { features: ({ name: string; isEnabled: boolean } | null)[] | null } | null;
      }>({ operationName: 'ServerFeaturesQuery', query: ops.SERVER_FEATURES });
      return new Set((data.serverInfo?.features ?? []).filter((f) => f?.isEnabled).map((f) => f!.name));
    } catch (error) {
      if (!isCodesaveError(error) || error.code !== 'ERR_WANDB_REQUEST') throw error;
      client.warn(
        `${client.baseUrl} did not list its features (${error.message}); all of them are treated as disabled`,
      );
      return new Set<string>();
    }
  })();
  return client.featureCache;
}

/** True when the server supports `MarkRunFilesUploaded`. */
export async function serverSupportsMarkUploaded(client: WandbClient): Promise<boolean> {
  return (await serverFeatures(client)).has('MARK_RUN_FILES_UPLOADED');
}

/**
 * Registers uploaded files with the run, as the SDK's `Run.upload_file` does. A live run is told through its
 * `file_stream`. Any other run gets `MarkRunFilesUploaded` when the server has it; on a server without it
 * nothing more is sent (`upload`): those servers register a file on upload, and a `file_stream` post would
 * resurrect a finished run.
 */
export async function markUploaded(
  client: WandbClient,
  run: ResolvedRun,
  names: string[],
): Promise<'file_stream' | 'mutation' | 'upload'> {
  if (run.live) {
    await postFileStream(client, run, { uploaded: names });
    return 'file_stream';
  }
  if (await serverSupportsMarkUploaded(client)) {
    const data = await client.graphql<{ markRunFilesUploaded: { success: boolean } | null }>({
      operationName: 'MarkRunFilesUploaded',
      query: ops.MARK_RUN_FILES_UPLOADED,
      variables: { entity: run.entity, project: run.project, run: run.id, files: names },
    });
    if (!data.markRunFilesUploaded?.success) {
      throw new CodesaveError(
        'ERR_WANDB_REQUEST',
        `W&B did not register ${names.join(', ')} with run ${formatRunPath(run)}`,
      );
    }
    return 'mutation';
  }
  return 'upload';
}

/** `POST {base}/files/{entity}/{project}/{run}/file_stream` with a JSON body; retried per the policy. */
export async function postFileStream(
  client: WandbClient,
  run: ResolvedRun,
  body: Record<string, unknown>,
): Promise<void> {
  const url = `${client.baseUrl}/files/${encodeURIComponent(run.entity)}/${encodeURIComponent(run.project)}/${encodeURIComponent(run.id)}/file_stream`;
  const headers = { ...client.baseHeaders(), 'Content-Type': 'application/json' };
  await withRetry(
    'file_stream',
    client.retryOptions(),
    async () => {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
          signal: client.attemptSignal(),
        });
        await response.text();
      } catch (error) {
        throw client.connectionError(error, 'file_stream', url);
      }
      if (response.ok) return;
      if (response.status === 401) throw client.rejectedKeyError('HTTP 401');
      if (isRetryableStatus(response.status)) {
        throw new TransientError(
          `HTTP ${response.status}`,
          parseRetryAfter(response.headers.get('retry-after')),
          response.status,
        );
      }
      throw new CodesaveError(
        response.status === 404 ? 'ERR_WANDB_NOT_FOUND' : 'ERR_WANDB_REQUEST',
        `W&B file_stream of run ${formatRunPath(run)} failed: HTTP ${response.status}`,
      );
    },
    (last, attempts) =>
      new CodesaveError('ERR_WANDB_REQUEST', `W&B file_stream failed after ${attempts} attempts: ${last.message}`),
    () => client.abortedError('file_stream'),
  );
}

export interface RunFile {
  id: string;
  name: string;
  url: string | null;
  directUrl: string | null;
  sizeBytes: number | null;
  md5: string | null;
  updatedAt: string | null;
}

/** Files of a run (`RunFiles`), all pages; `null` when the run does not exist. */
export async function listRunFiles(
  client: WandbClient,
  run: ResolvedRun,
  names?: string[],
  limit = Number.POSITIVE_INFINITY,
): Promise<RunFile[] | null> {
  const files: RunFile[] = [];
  let cursor: string | null = null;
  for (;;) {
    const data: {
      project: {
        run: {
          files: {
            edges: { node: RunFile | null; cursor: string }[];
            pageInfo: { endCursor: string | null; hasNextPage: boolean };
          };
        } | null;
      } | null;
    } = await client.graphql({
      operationName: 'RunFiles',
      query: ops.RUN_FILES,
      variables: {
        project: run.project,
        entity: run.entity,
        name: run.id,
        fileCursor: cursor,
        fileLimit: 50,
        fileNames: names ?? [],
      },
    });
    const found = data.project?.run;
    if (!found) return null;
    files.push(...found.files.edges.flatMap((e) => (e.node ? [e.node] : [])));
    if (files.length >= limit) return files.slice(0, limit);
    if (!found.files.pageInfo.hasNextPage || !found.files.pageInfo.endCursor) return files;
    cursor = found.files.pageInfo.endCursor;
  }
}

export interface ArtifactSummary {
  id: string;
  versionIndex: number | null;
  state: string;
  digest: string;
  size: number | null;
  fileCount: number | null;
  type: string;
  collection: string;
  aliases: string[];
}

/** Artifacts a run logged (`RunOutputArtifacts`), all pages; `null` when the run does not exist. */
export async function listOutputArtifacts(client: WandbClient, run: ResolvedRun): Promise<ArtifactSummary[] | null> {
  const out: ArtifactSummary[] = [];
  let cursor: string | null = null;
  for (;;) {
    const data: {
      project: {
        run: {
          artifacts: {
            pageInfo: { endCursor: string | null; hasNextPage: boolean };
            edges: {
              node: {
                id: string;
                versionIndex: number | null;
                state: string;
                digest: string;
                size: number | null;
                fileCount: number | null;
                artifactType: { name: string };
                artifactSequence: { name: string };
                aliases: { alias: string }[];
              };
            }[];
          };
        } | null;
      } | null;
    } = await client.graphql({
      operationName: 'RunOutputArtifacts',
      query: ops.RUN_OUTPUT_ARTIFACTS,
      variables: { entity: run.entity, project: run.project, run: run.id, cursor, perPage: 50 },
    });
    const found = data.project?.run;
    if (!found) return null;
    for (const { node } of found.artifacts.edges) {
      out.push({
        id: node.id,
        versionIndex: node.versionIndex,
        state: node.state,
        digest: node.digest,
        size: node.size,
        fileCount: node.fileCount,
        type: node.artifactType.name,
        collection: node.artifactSequence.name,
        aliases: node.aliases.map((a) => a.alias),
      });
    }
    if (!found.artifacts.pageInfo.hasNextPage || !found.artifacts.pageInfo.endCursor) return out;
    cursor = found.artifacts.pageInfo.endCursor;
  }
}
