/**
 * Getting a run's code back, from any of the three kinds of run there are: one codesave pushed into
 * (`codebase.zip`), one Python codesave saved into (`codebase.zip`, or `files/codebase.zip` since wandb
 * 0.16.5 publishes an absolute `wandb.save()` path under `files/`), and one with only the `code` artifact
 * `run.log_code()` logged.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import {
  type CheckpointOptions,
  CodesaveError,
  checkpoint,
  isCodesaveError,
  prepareOutput,
  trackTemp,
} from '@codesave/core';
import {
  type ArtifactSummary,
  listOutputArtifacts,
  listRunFiles,
  type ResolvedRun,
  type RunFile,
  resolveEntity,
} from './api.js';
import { downloadArtifactFiles, isSafeRelativePath } from './artifact.js';
import { WandbClient, type WandbClientOptions } from './client.js';
import { resolvePolicy } from './retry.js';
import { formatRunPath, parseRunRef, type RunRef } from './run.js';
import { downloadFile } from './transfer.js';

/** The names a run's snapshot has among its files, in the order they are looked for. */
export const CODEBASE_FILENAMES = ['codebase.zip', 'files/codebase.zip'] as const;

export interface DownloadFromWandbOptions extends WandbClientOptions {
  /**
   * The run file to fetch, and nothing else. Default: the run's code, whichever kind of run it is
   * (`codebase.zip`, `files/codebase.zip`, else its code artifact checkpointed into a zip).
   */
  filename?: string;
  /**
   * Where to write it (default: `<tmpdir>/codesave-wandb/<entity>/<project>/<id>/<filename>`). Replaced atomically,
   * and only when it is a zip (or empty); a symbolic link there is never followed (see `prepareOutput`).
   */
  output?: string;
  /** Replace an output that is a symbolic link (the link itself) or a regular file that is not a zip. */
  force?: boolean;
  /**
   * How many times to look again for a file the server lists as not uploaded yet (the real service may list
   * a new file late). Default 5, 2 s apart (scaled by `retry.timeScale`).
   */
  pendingRetries?: number;
}

/**
 * The default download place. Entity, project and run id (the entity may come from the server) each become
 * one path segment, whatever they contain, and the file name must be a plain relative path: a name like
 * `..` must not move the download out of `<tmpdir>/codesave-wandb`.
 */
export function defaultOutput(run: ResolvedRun, filename: string): string {
  const segment = (part: string) =>
    part === '' || part === '.' || part === '..'
      ? encodeURIComponent(part).replaceAll('.', '%2E') || '%20'
      : encodeURIComponent(part);
  if (!isSafeRelativePath(filename)) {
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `the file name ${JSON.stringify(filename)} is not a plain relative path; pass output to say where to write it`,
      { details: { filename } },
    );
  }
  return join(
    tmpdir(),
    'codesave-wandb',
    segment(run.entity),
    segment(run.project),
    segment(run.id),
    ...filename.split('/'),
  );
}

function connect(runRef: RunRef | undefined, options: WandbClientOptions) {
  const target = parseRunRef(runRef, options.env ?? process.env);
  const client = new WandbClient({
    ...options,
    baseUrl: options.baseUrl ?? target.baseUrl,
    apiKey: options.apiKey ?? target.apiKey,
  });
  return { target, client };
}

/**
 * Downloads a run's code as a zip, verified against the size and MD5 the server lists, and returns the path
 * it was written to. With `filename`, that one run file; otherwise whichever the run has (see
 * {@link zipFromWandb}).
 *
 * @throws CodesaveError `ERR_WANDB_NOT_FOUND` (no such run, or no such file in it), `ERR_WANDB_NO_CODE`,
 *   `ERR_WANDB_AUTH`, `ERR_WANDB_REQUEST`, `ERR_WANDB_TRANSFER`.
 */
export async function downloadFromWandb(
  runRef: RunRef | undefined,
  options: DownloadFromWandbOptions = {},
): Promise<string> {
  if (options.filename === undefined) return zipFromWandb(runRef, options);
  const { target, client } = connect(runRef, options);
  const run = await resolveEntity(client, target);
  return downloadRunFile(client, run, [options.filename], options);
}

/**
 * Downloads the first of `names` the run has. A name the server lists as not uploaded yet is looked at
 * again (`pendingRetries`); a run with none of them is `ERR_WANDB_NOT_FOUND` with `details.filename`.
 */
async function downloadRunFile(
  client: WandbClient,
  run: ResolvedRun,
  names: readonly string[],
  options: DownloadFromWandbOptions,
): Promise<string> {
  const policy = resolvePolicy(options.retry);
  const pendingRetries = options.pendingRetries ?? 5;
  // A name that cannot be a default place is refused before anything is asked.
  const named = options.output ?? (options.filename === undefined ? undefined : defaultOutput(run, options.filename));
  for (let attempt = 0; ; attempt++) {
    const files = await listRunFiles(client, run, [...names]);
    if (!files) {
      throw new CodesaveError(
        'ERR_WANDB_NOT_FOUND',
        `W&B run ${formatRunPath(run)} not found (or this key cannot read it)`,
        {
          details: { run: formatRunPath(run) },
        },
      );
    }
    const isUploaded = (f: RunFile) => f.sizeBytes !== null && f.updatedAt !== null;
    const listed = names.map((name) => files.find((f) => f.name === name)).filter((f): f is RunFile => !!f);
    const file = listed.find(isUploaded) ?? listed[0];
    const filename = file?.name ?? names[0];
    if (file && isUploaded(file)) {
      const output = resolve(named ?? defaultOutput(run, basename(filename)));
      // As the Python client: the run-file URL with the key (the server redirects to storage), else the signed one.
      const auth = Boolean(file.url && client.isBaseUrl(file.url));
      const url = auth ? file.url : (file.directUrl ?? file.url);
      if (!url) throw new CodesaveError('ERR_WANDB_REQUEST', `W&B gave no download URL for ${filename}`);
      const got = await downloadFile(client, {
        url,
        auth,
        name: filename,
        output,
        md5: file.md5,
        size: file.sizeBytes,
        force: options.force,
      });
      return got.path;
    }
    if (!file || attempt >= pendingRetries) {
      throw new CodesaveError(
        'ERR_WANDB_NOT_FOUND',
        `W&B run ${formatRunPath(run)} has no ${file ? 'uploaded ' : ''}file ${names.join(' or ')}${file ? ' yet' : ''}`,
        { details: { run: formatRunPath(run), filename, pending: Boolean(file) } },
      );
    }
    await policy.sleep(2000 * policy.timeScale);
  }
}

export interface ZipFromWandbArtifactOptions extends WandbClientOptions {
  /** Where to write the zip (default: `<tmpdir>/codesave-wandb/<entity>/<project>/<id>/code-artifact.zip`). */
  output?: string;
  /** Replace an output that is a symbolic link (the link itself) or a regular file that is not a zip. */
  force?: boolean;
  /** Options for the `checkpoint()` of the downloaded files. */
  checkpoint?: Omit<CheckpointOptions, 'output'>;
}

/** The run's `source-…` code artifacts; when several versions of one collection, only the newest counts. */
function codeArtifacts(artifacts: ArtifactSummary[]): ArtifactSummary[] {
  const byCollection = new Map<string, ArtifactSummary>();
  for (const a of artifacts) {
    if (a.type !== 'code' || !a.collection.startsWith('source-') || a.state === 'DELETED') continue;
    const seen = byCollection.get(a.collection);
    if (!seen || (a.versionIndex ?? -1) > (seen.versionIndex ?? -1)) byCollection.set(a.collection, a);
  }
  return [...byCollection.values()];
}

/**
 * For runs that used `run.log_code()` instead of codesave: finds the run's `source-…` code artifact,
 * downloads its files (each verified against the artifact manifest's MD5) and checkpoints them into a zip.
 *
 * @throws CodesaveError `ERR_WANDB_NO_CODE` (no code artifact), `ERR_WANDB_AMBIGUOUS` (several), `ERR_WANDB_NOT_FOUND`, …
 */
export async function zipFromWandbArtifact(
  runRef: RunRef | undefined,
  options: ZipFromWandbArtifactOptions = {},
): Promise<string> {
  const { target, client } = connect(runRef, options);
  const run = await resolveEntity(client, target);
  return zipFromArtifact(client, run, options);
}

async function zipFromArtifact(
  client: WandbClient,
  run: ResolvedRun,
  options: ZipFromWandbArtifactOptions,
): Promise<string> {
  const all = await listOutputArtifacts(client, run);
  if (!all)
    throw new CodesaveError(
      'ERR_WANDB_NOT_FOUND',
      `W&B run ${formatRunPath(run)} not found (or this key cannot read it)`,
    );
  const found = codeArtifacts(all);
  if (found.length === 0) throw await noCodeError(client, run, all);
  if (found.length > 1) {
    throw new CodesaveError(
      'ERR_WANDB_AMBIGUOUS',
      `W&B run ${formatRunPath(run)} logged several code artifacts (${found.map((a) => `${a.collection}:v${a.versionIndex}`).join(', ')}): download the one you want with the W&B client`,
      { details: { artifacts: found.map((a) => `${a.collection}:v${a.versionIndex}`) } },
    );
  }
  const artifact = found[0];
  const output = resolve(options.output ?? defaultOutput(run, 'code-artifact.zip'));
  await mkdir(dirname(output), { recursive: true });
  // refused before anything is downloaded when the output may not be replaced
  (await prepareOutput(output, { force: options.force })).discard();
  const temp = await mkdtemp(join(tmpdir(), 'codesave-artifact-'));
  const untrack = trackTemp(temp); // removed on SIGINT/SIGTERM by the CLI
  try {
    const root = join(temp, 'code');
    await mkdir(root, { recursive: true });
    await downloadArtifactFiles(client, artifact.id, root);
    const made = await checkpoint(root, { ...options.checkpoint, output, force: options.force });
    return made.path;
  } finally {
    await rm(temp, { recursive: true, force: true });
    untrack();
  }
}

/**
 * `ERR_WANDB_NO_CODE` for a run with neither a snapshot nor a code artifact, listing what it has instead
 * (a misspelt `--filename`, a snapshot saved under another name, an artifact of another type).
 */
async function noCodeError(
  client: WandbClient,
  run: ResolvedRun,
  artifacts: ArtifactSummary[],
): Promise<CodesaveError> {
  const files = ((await listRunFiles(client, run, [], 200).catch(() => null)) ?? []).map((f) => f.name);
  const shown = (items: string[]) =>
    items.length === 0
      ? 'none'
      : items.slice(0, 12).join(', ') + (items.length > 12 ? ` and ${items.length - 12} more` : '');
  const logged = artifacts.map((a) => `${a.collection}:v${a.versionIndex ?? '?'} (${a.type})`);
  return new CodesaveError(
    'ERR_WANDB_NO_CODE',
    `W&B run ${formatRunPath(run)} has no ${CODEBASE_FILENAMES.join(' or ')} and logged no code artifact (run.log_code()). Its files: ${shown(files)}. Its artifacts: ${shown(logged)}. Pass filename (--filename) to fetch one of its files`,
    { details: { run: formatRunPath(run), files, artifacts: logged } },
  );
}

export type ZipFromWandbOptions = DownloadFromWandbOptions & ZipFromWandbArtifactOptions;

/**
 * A run's code as a zip, whichever kind of run it is: its `codebase.zip` or `files/codebase.zip` (pushed by
 * codesave or saved by Python codesave), else its `run.log_code()` artifact checkpointed into a zip. An
 * explicit `filename` is that run file and nothing else. Returns the zip's path.
 */
export async function zipFromWandb(runRef: RunRef | undefined, options: ZipFromWandbOptions = {}): Promise<string> {
  const { target, client } = connect(runRef, options);
  const run = await resolveEntity(client, target);
  if (options.filename !== undefined) return downloadRunFile(client, run, [options.filename], options);
  try {
    return await downloadRunFile(client, run, CODEBASE_FILENAMES, options);
  } catch (error) {
    if (!isCodesaveError(error) || error.code !== 'ERR_WANDB_NOT_FOUND' || !error.details.filename) throw error;
    if (error.details.pending) throw error;
  }
  return zipFromArtifact(client, run, options);
}
