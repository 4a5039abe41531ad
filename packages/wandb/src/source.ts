/**
 * `wandb:<entity>/<project>/<run>` as a source: wherever a zip path is accepted (`ZipCodebase.open`,
 * `codesave run`, `codesave compare`), the run's code is downloaded once into the per-user cache
 * (`<cache>/wandb/<host>/<entity>/<project>/<run>/code.zip`), verified, and opened from there.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defaultCacheDir, registerSourceOpener } from '@codesave/core';
import { defaultEntity } from './api.js';
import { WandbClient } from './client.js';
import { type ZipFromWandbOptions, zipFromWandb } from './pull.js';
import { parseRunRef } from './run.js';
import { ensurePrivateDir } from './user-cache.js';

export interface WandbSourceOptions extends Omit<ZipFromWandbOptions, 'output'> {
  /** The per-user cache directory (default `$XDG_CACHE_HOME/codesave`, else `~/.cache/codesave`). */
  cacheDir?: string;
  /** Download again even when a verified copy is cached. */
  refresh?: boolean;
}

/** What is kept next to a cached zip, to verify it before it is used again. */
interface CacheRecord {
  source: string;
  sha256: string;
  bytes: number;
}

const segment = (part: string) =>
  part === '' || part === '.' || part === '..'
    ? encodeURIComponent(part).replaceAll('.', '%2E') || '%20'
    : encodeURIComponent(part);

async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** True when `zip` is the copy `record` describes, byte for byte. */
async function cachedCopyIsIntact(zip: string): Promise<boolean> {
  try {
    const record = JSON.parse(await readFile(`${zip}.json`, 'utf8')) as CacheRecord;
    const got = await sha256File(zip);
    return got.sha256 === record.sha256 && got.bytes === record.bytes;
  } catch {
    return false;
  }
}

/**
 * The local path of a run's code as a zip, from the per-user cache: downloaded (and verified against the
 * size and MD5 W&B lists, or checkpointed from its code artifact) the first time, then checked against the
 * sha256 recorded then on every later use; a copy that changed is downloaded again.
 *
 * `ref` is what follows `wandb:` — `entity/project/run`, `project/run` (the key's default entity) or a
 * run's URL.
 */
export async function fetchWandbSource(ref: string, options: WandbSourceOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const target = parseRunRef(ref, env);
  const client = new WandbClient({
    ...options,
    baseUrl: options.baseUrl ?? target.baseUrl,
    apiKey: options.apiKey ?? target.apiKey,
  });
  const entity = target.entity ?? (await defaultEntity(client));
  const root = await ensurePrivateDir(
    options.cacheDir ?? defaultCacheDir(options.home === undefined ? env : { ...env, HOME: options.home }),
  );
  const zip = join(
    root,
    'wandb',
    segment(new URL(client.baseUrl).host),
    segment(entity),
    segment(target.project),
    segment(target.id),
    'code.zip',
  );
  if (!options.refresh && (await cachedCopyIsIntact(zip))) return zip;
  await ensurePrivateDir(dirname(zip));
  // Our own cache: a copy that failed its check (or has no record) goes before a new one is fetched.
  await unlink(`${zip}.json`).catch(() => {});
  await unlink(zip).catch(() => {});
  const { cacheDir: _c, refresh: _r, ...pull } = options;
  await zipFromWandb({ entity, project: target.project, id: target.id }, { ...pull, output: zip });
  const record: CacheRecord = { source: `wandb:${entity}/${target.project}/${target.id}`, ...(await sha256File(zip)) };
  const temp = `${zip}.json.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(record), { mode: 0o600 });
    await rename(temp, `${zip}.json`);
  } finally {
    await unlink(temp).catch(() => {});
  }
  return zip;
}

/**
 * Registers `wandb:` with core's source openers, so `ZipCodebase.open('wandb:e/p/r')` works. Done when this
 * package is loaded; `defaults` (connection, retries) apply to every `wandb:` source opened afterwards.
 */
export function registerWandbSource(defaults: WandbSourceOptions = {}): () => void {
  return registerSourceOpener('wandb', (rest) => fetchWandbSource(rest, defaults));
}
