/**
 * Code artifacts as `run.log_code()` makes them (type `code`, collection `source-<project>-<program>`),
 * and the way back: a run's code artifact downloaded file by file, each checked against its manifest MD5.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodesaveError } from '@codesave/core';
import type { ResolvedRun } from './api.js';
import type { WandbClient } from './client.js';
import * as ops from './operations.js';
import { downloadFile, md5File, parseUploadHeaders, uploadFile } from './transfer.js';

/** W&B's rule for artifact names: chars outside `[A-Za-z0-9_.-]` become `_`; over 128 chars, middle elided. */
export function safeArtifactName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return safe.length > 128 ? `${safe.slice(0, 63)}..${safe.slice(-63)}` : safe;
}

/** `source-<project>-<program>`, the collection `run.log_code()` logs into. */
export function codeArtifactName(project: string, program: string): string {
  return safeArtifactName(`source-${project}-${program}`);
}

/** `MANIFEST_MD5` digest: hex MD5 of the header line and `path:b64md5` lines sorted by path. */
export function manifestDigest(entries: { path: string; md5: string }[]): string {
  const hash = createHash('md5');
  hash.update('wandb-artifact-manifest-v1\n');
  for (const entry of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(`${entry.path}:${entry.md5}\n`);
  }
  return hash.digest('hex');
}

function clientId(): string {
  let id = '';
  while (id.length < 128) id += BigInt(`0x${randomBytes(16).toString('hex')}`).toString(36);
  return id.slice(0, 128);
}

export interface ArtifactFileSource {
  /** Path inside the artifact, `/`-separated. */
  path: string;
  /** Where the bytes are on disk. */
  file: string;
}

export interface LoggedArtifact {
  id: string;
  name: string;
  digest: string;
  /** True when the server already had identical content and committed nothing new. */
  deduplicated: boolean;
}

/** Logs `files` as a `code` artifact of `run`, in the order `log_code` does (create, files, manifest, commit). */
export async function logCodeArtifact(
  client: WandbClient,
  run: ResolvedRun,
  files: ArtifactFileSource[],
  name: string,
): Promise<LoggedArtifact> {
  const entries: (ArtifactFileSource & { md5: string; size: number })[] = [];
  for (const f of files) entries.push({ ...f, md5: await md5File(f.file), size: (await stat(f.file)).size });
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const digest = manifestDigest(entries);

  const created = await client.graphql<{ createArtifact: { artifact: { id: string; state: string } } }>({
    operationName: 'CreateArtifact',
    query: ops.CREATE_ARTIFACT,
    variables: {
      input: {
        entityName: run.entity,
        projectName: run.project,
        artifactTypeName: 'code',
        artifactCollectionNames: [name],
        runName: run.id,
        digest,
        digestAlgorithm: 'MANIFEST_MD5',
        aliases: [{ artifactCollectionName: name, alias: 'latest' }],
        enableDigestDeduplication: true,
        clientID: clientId(),
        sequenceClientID: clientId(),
      },
    },
  });
  const artifact = created.createArtifact.artifact;
  if (artifact.state === 'COMMITTED') return { id: artifact.id, name, digest, deduplicated: true };

  const manifestVars = {
    artifactID: artifact.id,
    baseArtifactID: null,
    name: 'wandb_manifest.json',
    entityName: run.entity,
    projectName: run.project,
    runName: run.id,
    manifestType: 'FULL',
  };
  const draft = await client.graphql<{ createArtifactManifest: { artifactManifest: { id: string } } }>({
    operationName: 'CreateArtifactManifest',
    query: ops.CREATE_ARTIFACT_MANIFEST,
    variables: { ...manifestVars, digest: '', includeUpload: false },
  });
  const manifestId = draft.createArtifactManifest.artifactManifest.id;

  const births = new Map<string, string>();
  for (let start = 0; start < entries.length; start += 1000) {
    const batch = entries.slice(start, start + 1000);
    const data = await client.graphql<{
      createArtifactFiles: {
        files: {
          edges: {
            node: {
              storagePath: string;
              uploadUrl: string | null;
              uploadHeaders: string[] | null;
              artifact: { id: string };
            };
          }[];
        };
      };
    }>({
      operationName: 'CreateArtifactFiles',
      query: ops.CREATE_ARTIFACT_FILES,
      variables: {
        storageLayout: 'V2',
        artifactFiles: batch.map((e) => ({
          artifactID: artifact.id,
          name: e.path,
          md5: e.md5,
          artifactManifestID: manifestId,
        })),
      },
    });
    const edges = data.createArtifactFiles.files.edges;
    if (edges.length !== batch.length) {
      throw new CodesaveError(
        'ERR_WANDB_REQUEST',
        `W&B answered CreateArtifactFiles with ${edges.length} files for ${batch.length}`,
      );
    }
    for (let i = 0; i < batch.length; i++) {
      const { node } = edges[i];
      births.set(batch[i].path, node.artifact.id);
      if (node.uploadUrl) {
        await uploadFile(client, {
          url: node.uploadUrl,
          headers: parseUploadHeaders(node.uploadHeaders),
          path: batch[i].file,
          name: `${name}/${batch[i].path}`,
        });
      }
    }
  }

  const manifest = {
    version: 1,
    storagePolicy: 'wandb-storage-policy-v1',
    storagePolicyConfig: { storageLayout: 'V2' },
    contents: Object.fromEntries(
      entries.map((e) => [e.path, { digest: e.md5, birthArtifactID: births.get(e.path), size: e.size }]),
    ),
  };
  const temp = await mkdtemp(join(tmpdir(), 'codesave-manifest-'));
  try {
    const manifestPath = join(temp, 'wandb_manifest.json');
    await writeFile(manifestPath, JSON.stringify(manifest));
    const final = await client.graphql<{
      createArtifactManifest: {
        artifactManifest: { id: string; file: { uploadUrl?: string | null; uploadHeaders?: string[] | null } };
      };
    }>({
      operationName: 'CreateArtifactManifest',
      query: ops.CREATE_ARTIFACT_MANIFEST,
      variables: { ...manifestVars, digest: await md5File(manifestPath), includeUpload: true },
    });
    const file = final.createArtifactManifest.artifactManifest.file;
    if (!file.uploadUrl)
      throw new CodesaveError('ERR_WANDB_REQUEST', 'W&B gave no upload URL for the artifact manifest');
    await uploadFile(client, {
      url: file.uploadUrl,
      headers: parseUploadHeaders(file.uploadHeaders),
      path: manifestPath,
      name: `${name}/wandb_manifest.json`,
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  await client.graphql({
    operationName: 'CommitArtifact',
    query: ops.COMMIT_ARTIFACT,
    variables: { artifactID: artifact.id },
  });
  return { id: artifact.id, name, digest, deduplicated: false };
}

/** Parallel downloads of artifact files. */
const ARTIFACT_DOWNLOADS = 6;

interface ManifestEntry {
  digest: string;
  size?: number;
  ref?: string;
}

/** True for a relative, `/`-separated path that stays inside its directory. */
export function isSafeRelativePath(path: string): boolean {
  if (!path || path.startsWith('/') || path.includes('\\') || path.includes('\0') || /^[A-Za-z]:/.test(path))
    return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** Downloads every file of artifact `id` into `dir` (which must exist), verified by the manifest's MD5s. */
export async function downloadArtifactFiles(client: WandbClient, id: string, dir: string): Promise<string[]> {
  const fetched = await client.graphql<{
    artifact: { currentManifest: { file: { directUrl: string | null } } | null } | null;
  }>({
    operationName: 'FetchArtifactManifest',
    query: ops.FETCH_ARTIFACT_MANIFEST,
    variables: { id },
  });
  const manifestUrl = fetched.artifact?.currentManifest?.file.directUrl;
  if (!manifestUrl) throw new CodesaveError('ERR_WANDB_NOT_FOUND', `artifact ${id} has no manifest`);
  const temp = await mkdtemp(join(tmpdir(), 'codesave-manifest-'));
  let contents: Record<string, ManifestEntry>;
  try {
    const got = await downloadFile(client, {
      url: manifestUrl,
      name: 'wandb_manifest.json',
      output: join(temp, 'manifest.json'),
    });
    const parsed = JSON.parse(await readFile(got.path, 'utf8')) as { contents?: Record<string, ManifestEntry> };
    if (!parsed.contents || typeof parsed.contents !== 'object') throw new Error('no contents');
    contents = parsed.contents;
  } catch (error) {
    if (error instanceof CodesaveError) throw error;
    throw new CodesaveError('ERR_WANDB_TRANSFER', `the manifest of artifact ${id} is not readable JSON`, {
      cause: error,
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }

  const urls = new Map<string, string>();
  let cursor: string | null = null;
  for (;;) {
    const data: {
      artifact: {
        files: {
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          edges: { node: { name: string; directUrl: string | null } }[];
        };
      } | null;
    } = await client.graphql({
      operationName: 'ArtifactFileURLs',
      query: ops.ARTIFACT_FILE_URLS,
      variables: { id, cursor, perPage: 1000 },
    });
    if (!data.artifact) throw new CodesaveError('ERR_WANDB_NOT_FOUND', `artifact ${id} not found`);
    for (const { node } of data.artifact.files.edges) if (node.directUrl) urls.set(node.name, node.directUrl);
    if (!data.artifact.files.pageInfo.hasNextPage || !data.artifact.files.pageInfo.endCursor) break;
    cursor = data.artifact.files.pageInfo.endCursor;
  }

  const paths = Object.keys(contents).sort();
  // Check everything before writing anything.
  const jobs = paths.map((path) => {
    const entry = contents[path];
    if (!isSafeRelativePath(path)) {
      throw new CodesaveError('ERR_ZIP_UNSAFE_PATH', `artifact ${id} lists an unsafe path "${path}"`, {
        details: { path },
      });
    }
    if (entry.ref) {
      throw new CodesaveError(
        'ERR_WANDB_TRANSFER',
        `artifact file "${path}" is a reference to ${entry.ref}, not stored in W&B`,
      );
    }
    const url = urls.get(path);
    if (!url) throw new CodesaveError('ERR_WANDB_TRANSFER', `W&B gave no download URL for artifact file "${path}"`);
    return { url, name: path, output: join(dir, ...path.split('/')), md5: entry.digest, size: entry.size };
  });
  // A few downloads at a time: code artifacts are many small files.
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await downloadFile(client, jobs[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(ARTIFACT_DOWNLOADS, jobs.length) }, worker));
  return paths;
}
