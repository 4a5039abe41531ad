/**
 * Streamed file transfers. Uploads are `PUT`s of a file read from disk with an exact `Content-Length`
 * (signed storage URLs refuse chunked bodies); downloads stream into a temp file next to the output,
 * hashing as they go, and are renamed into place only once size and MD5 match what the server said.
 * Neither direction ever holds a whole file in memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { dirname, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CodesaveError, prepareOutput } from '@codesave/core';
import type { WandbClient } from './client.js';
import { isRetryableStorageStatus, parseRetryAfter, TransientError, withRetry } from './retry.js';

/** Base64 MD5 of a file, streamed (W&B's file digest). */
export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

/** `["Key:Value", …]` → `{ Key: 'Value' }`, split on the first `:`, trimmed. */
export function parseUploadHeaders(list: readonly string[] | null | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of list ?? []) {
    const colon = entry.indexOf(':');
    if (colon <= 0) continue;
    headers[entry.slice(0, colon).trim()] = entry.slice(colon + 1).trim();
  }
  return headers;
}

export interface UploadRequest {
  url: string;
  /** Exactly the headers the server listed for this upload. */
  headers: Record<string, string>;
  path: string;
  /** Name shown in progress and errors. */
  name: string;
}

/** PUTs a file to a signed URL: streamed, `Content-Length` set, no `Authorization`; retried per the policy. */
export async function uploadFile(client: WandbClient, request: UploadRequest): Promise<void> {
  const { size } = await stat(request.path);
  const target = new URL(request.url);
  const transport = target.protocol === 'https:' ? https : http;
  const what = `upload ${request.name}`;
  await withRetry(
    what,
    client.retryOptions(),
    (attempt) =>
      new Promise<void>((done, fail) => {
        client.log(`${what} (attempt ${attempt}, ${size} bytes)`);
        const req = transport.request(target, {
          method: 'PUT',
          headers: { ...request.headers, 'Content-Length': String(size) },
          signal: client.options.signal,
        });
        let settled = false;
        const finish = (error?: Error) => {
          if (settled) return;
          settled = true;
          if (error) {
            req.destroy();
            fail(error);
          } else done();
        };
        req.setTimeout(client.settings.timeoutMs, () =>
          finish(new TransientError(`no progress within ${client.settings.timeoutMs} ms`)),
        );
        req.on('error', (error) => finish(client.connectionError(error, what, request.url)));
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on('data', (chunk: Buffer) => {
            if (kept < 2048) chunks.push(chunk);
            kept += chunk.length;
          });
          res.on('error', (error) => finish(new TransientError(client.describeNetworkError(error))));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return finish();
            const text = Buffer.concat(chunks).toString('utf8').slice(0, 300).trim();
            const message = `HTTP ${status}${text ? `: ${text}` : ''}`;
            if (isRetryableStorageStatus(status)) {
              const retryAfter = parseRetryAfter(res.headers['retry-after'] as string | undefined);
              return finish(new TransientError(message, retryAfter, status));
            }
            finish(
              new CodesaveError('ERR_WANDB_TRANSFER', client.redact(`uploading ${request.name} failed: ${message}`), {
                details: { status, name: request.name },
              }),
            );
          });
        });
        if (size === 0) {
          req.end();
          return;
        }
        let sent = 0;
        const source = createReadStream(request.path, { start: 0, end: size - 1 });
        source.on('data', (chunk) => {
          sent += chunk.length;
          client.options.onProgress?.({ direction: 'upload', name: request.name, transferred: sent, total: size });
        });
        source.on('error', (error) =>
          finish(
            new CodesaveError('ERR_WANDB_TRANSFER', `reading ${request.path} for upload failed: ${error.message}`, {
              cause: error,
            }),
          ),
        );
        source.pipe(req);
      }),
    (last, attempts) =>
      new CodesaveError(
        'ERR_WANDB_TRANSFER',
        client.redact(`uploading ${request.name} failed after ${attempts} attempts: ${last.message}`),
        { details: { name: request.name, status: last.status } },
      ),
    () => client.abortedError(what),
  );
}

export interface DownloadRequest {
  url: string;
  /** Name shown in progress and errors. */
  name: string;
  output: string;
  /** Expected base64 MD5; the file is rejected when it differs. */
  md5?: string | null;
  /** Expected size in bytes. */
  size?: number | null;
  /**
   * Send the API key: only for the run-file URL under the base URL (`/files/…`). Never for signed URLs,
   * and never to where a redirect leads, even on the same host (self-hosted servers sign URLs there too).
   */
  auth?: boolean;
  /** Times a complete but corrupted download is tried again (default 2). */
  corruptRetries?: number;
  /** Replace an output that is a symbolic link (the link itself) or a regular file that is not a zip. */
  force?: boolean;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  md5: string;
}

const MAX_REDIRECTS = 10;

/**
 * GETs `url` into `output` through a temp file in the same directory. Redirects are followed by hand so
 * the key goes only to the first URL, and only when asked and under the base URL. Retries connection errors, 429/5xx and corrupt copies.
 */
export async function downloadFile(client: WandbClient, request: DownloadRequest): Promise<DownloadResult> {
  const output = resolve(request.output);
  await mkdir(dirname(output), { recursive: true });
  // the rule of every writer (prepareOutput): checked before anything is downloaded, and again before the rename
  (await prepareOutput(output, { force: request.force })).discard();
  const what = `download ${request.name}`;
  let corrupt = 0;
  const corruptRetries = request.corruptRetries ?? 2;
  return withRetry(
    what,
    client.retryOptions(),
    async (attempt) => {
      client.log(`${what} (attempt ${attempt})`);
      const prepared = await prepareOutput(output, { force: request.force });
      const temp = prepared.temp;
      try {
        const got = await fetchToFile(client, request, temp);
        const problems: string[] = [];
        if (typeof request.size === 'number' && got.bytes !== request.size) {
          problems.push(`${got.bytes} bytes instead of ${request.size}`);
        }
        if (request.md5 && got.md5 !== request.md5) problems.push(`MD5 ${got.md5} instead of ${request.md5}`);
        if (problems.length > 0) {
          const message = `${request.name} arrived corrupted (${problems.join(', ')})`;
          if (++corrupt > corruptRetries) {
            throw new CodesaveError('ERR_WANDB_TRANSFER', `${message}; gave up after ${corrupt} tries`, {
              details: { name: request.name, expectedMd5: request.md5, actualMd5: got.md5 },
            });
          }
          throw new TransientError(message);
        }
        await prepared.commit();
        return { path: output, bytes: got.bytes, md5: got.md5 };
      } finally {
        prepared.discard();
      }
    },
    (last, attempts) =>
      new CodesaveError(
        'ERR_WANDB_TRANSFER',
        client.redact(`downloading ${request.name} failed after ${attempts} attempts: ${last.message}`),
        { details: { name: request.name, status: last.status } },
      ),
    () => client.abortedError(what),
  );
}

async function fetchToFile(
  client: WandbClient,
  request: DownloadRequest,
  temp: string,
): Promise<{ bytes: number; md5: string }> {
  const idleMs = client.settings.timeoutMs;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data within ${idleMs} ms`)), idleMs);
  };
  touch();
  const bound = client.options.signal;
  const stop = () => controller.abort(bound?.reason);
  bound?.addEventListener('abort', stop, { once: true });
  if (bound?.aborted) stop();
  try {
    let url = request.url;
    let response: Response | undefined;
    for (let hop = 0; ; hop++) {
      const headers = request.auth && hop === 0 && client.isBaseUrl(url) ? client.baseHeaders() : {};
      try {
        response = await fetch(url, { headers, redirect: 'manual', signal: controller.signal });
      } catch (error) {
        if (bound?.aborted) throw client.abortedError(`download ${request.name}`);
        if (controller.signal.aborted) throw new TransientError(`no data within ${idleMs} ms`);
        throw client.connectionError(error, `download ${request.name}`, url);
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel().catch(() => {});
        if (hop >= MAX_REDIRECTS) {
          throw new CodesaveError('ERR_WANDB_TRANSFER', `downloading ${request.name}: too many redirects`);
        }
        url = new URL(location, url).href;
        continue;
      }
      break;
    }
    if (!response.ok || !response.body) {
      const text = (await response.text().catch(() => '')).slice(0, 300).trim();
      const message = `HTTP ${response.status}${text ? `: ${text}` : ''}`;
      if (response.status === 401 && request.auth && client.isBaseUrl(url)) throw client.rejectedKeyError('HTTP 401');
      if (isRetryableStorageStatus(response.status)) {
        throw new TransientError(message, parseRetryAfter(response.headers.get('retry-after')), response.status);
      }
      throw new CodesaveError(
        response.status === 404 ? 'ERR_WANDB_NOT_FOUND' : 'ERR_WANDB_TRANSFER',
        client.redact(`downloading ${request.name} failed: ${message}`),
        { details: { status: response.status, name: request.name } },
      );
    }
    const header = Number(response.headers.get('content-length'));
    const total = request.size ?? (Number.isFinite(header) && header > 0 ? header : undefined);
    const hash = createHash('md5');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        touch();
        hash.update(chunk);
        bytes += chunk.length;
        client.options.onProgress?.({ direction: 'download', name: request.name, transferred: bytes, total });
        callback(null, chunk);
      },
    });
    const sink = createWriteStream(temp, { flags: 'wx' });
    try {
      await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), meter, sink);
    } catch (error) {
      // the file may still be opening: wait until it is closed, so the caller's cleanup removes it for good
      if (!sink.closed) await new Promise<void>((done) => sink.once('close', () => done()));
      if (error instanceof CodesaveError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code && /^E(ACCES|NOSPC|ROFS|PERM|EXIST|DQUOT)$/.test(code)) {
        throw new CodesaveError('ERR_WANDB_TRANSFER', `cannot write ${temp}: ${code}`, { cause: error });
      }
      if (bound?.aborted) throw client.abortedError(`download ${request.name}`);
      throw new TransientError(
        controller.signal.aborted
          ? `no data within ${idleMs} ms`
          : `connection lost after ${bytes} bytes (${client.describeNetworkError(error)})`,
      );
    }
    return { bytes, md5: hash.digest('base64') };
  } finally {
    clearTimeout(timer);
    bound?.removeEventListener('abort', stop);
  }
}
