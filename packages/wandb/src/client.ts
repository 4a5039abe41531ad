/**
 * The HTTP side of W&B: authenticated GraphQL requests to `{base}/graphql`, with per-attempt timeouts,
 * the clients' retry policy, and errors that say what to do — never containing the API key.
 */
import { CodesaveError } from '@codesave/core';
import { networkErrorText, permanentReason } from './network.js';
import { isRetryableStatus, parseRetryAfter, type RetryOptions, TransientError, withRetry } from './retry.js';
import {
  apiKeyProblem,
  authorizeUrl,
  missingKeyError,
  resolveSettings,
  type WandbConnectionOptions,
  type WandbSettings,
} from './settings.js';

/** Options shared by every function that talks to W&B. */
export interface WandbClientOptions extends WandbConnectionOptions {
  /** Per-attempt timeout for GraphQL requests, and idle timeout for transfers, in ms. */
  timeoutMs?: number;
  /** Retry policy; `{ timeScale: 0 }` makes retries immediate (tests). */
  retry?: RetryOptions;
  /** Debug log lines (requests, retries). Secrets are redacted before they get here. */
  log?: (line: string) => void;
  /** Progress of file transfers. */
  onProgress?: (event: TransferProgress) => void;
  /**
   * Bounds everything this client does (requests, transfers, waits between retries): when it aborts, the
   * current step stops and fails with `ERR_WANDB_TIMEOUT`. The CLI's `--timeout` is an `AbortSignal.timeout`.
   */
  signal?: AbortSignal;
  /** Something worth telling the user that does not stop the work (default: `process.emitWarning`). */
  onWarning?: (message: string) => void;
}

export interface TransferProgress {
  direction: 'upload' | 'download';
  /** The file's name on the W&B side (`codebase.zip`, an artifact path). */
  name: string;
  transferred: number;
  /** Total bytes when known. */
  total?: number;
}

export interface GraphqlRequest {
  /** The operation's name, as declared in `query`. */
  operationName: string;
  query: string;
  variables?: Record<string, unknown>;
  /** Statuses retried for this operation in addition to the default ones (`UpsertBucket` retries 409). */
  retryStatuses?: readonly number[];
}

const USER_AGENT = 'codesave-wandb/0.1 (+https://github.com/codesave)';

/** A connection to one W&B server with one key. Cheap to create; holds no sockets of its own. */
export class WandbClient {
  readonly settings: WandbSettings;
  readonly options: WandbClientOptions;
  private readonly secrets: string[] = [];

  constructor(options: WandbClientOptions = {}) {
    this.options = options;
    this.settings = resolveSettings(options);
    if (options.timeoutMs) this.settings.timeoutMs = options.timeoutMs;
    const key = this.settings.apiKey;
    if (key) this.secrets.push(key, Buffer.from(`api:${key}`).toString('base64'));
  }

  get baseUrl(): string {
    return this.settings.baseUrl;
  }

  /** Tells the user something once per client and message, without stopping. */
  warn(message: string): void {
    const text = this.redact(message);
    if (this.warned.has(text)) return;
    this.warned.add(text);
    if (this.options.onWarning) this.options.onWarning(text);
    else process.emitWarning(text, { type: 'CodesaveWarning', code: 'CODESAVE_WANDB' });
  }

  private readonly warned = new Set<string>();

  /** Features the server enabled (`ServerFeaturesQuery`), asked once per client. */
  featureCache?: Promise<ReadonlySet<string>>;

  /** A per-attempt signal: the attempt's own timeout, and the command's bound when there is one. */
  attemptSignal(timeoutMs = this.settings.timeoutMs): AbortSignal {
    const timeout = AbortSignal.timeout(timeoutMs);
    return this.options.signal ? AbortSignal.any([timeout, this.options.signal]) : timeout;
  }

  /** The error for work stopped because the command's bound (`signal`) ran out. */
  abortedError(what: string): CodesaveError {
    const reason = this.options.signal?.reason;
    const why =
      reason instanceof Error && reason.name !== 'TimeoutError' && reason.name !== 'AbortError'
        ? `: ${reason.message}`
        : '';
    return new CodesaveError(
      'ERR_WANDB_TIMEOUT',
      `gave up on ${what}: the command's time limit ran out${why} (raise --timeout, or check that ${this.baseUrl} answers)`,
      { details: { what, baseUrl: this.baseUrl } },
    );
  }

  /**
   * A failed connection as the retry loop needs it: a {@link TransientError} to try again, or an
   * `ERR_WANDB_UNREACHABLE` when trying again cannot help (no such host, refused port, TLS failure).
   */
  connectionError(error: unknown, what: string, url: string): Error {
    if (this.options.signal?.aborted) return this.abortedError(what);
    const permanent = permanentReason(error);
    if (permanent) {
      const host = safeHost(url);
      return new CodesaveError(
        'ERR_WANDB_UNREACHABLE',
        this.redact(
          `cannot reach ${host} for ${what}: ${permanent}. Check WANDB_BASE_URL / --base-url (now ${this.baseUrl}) and your network; not retried`,
        ),
        { cause: error, details: { host, what, reason: permanent } },
      );
    }
    return new TransientError(this.describeNetworkError(error));
  }

  /** Removes the key (and its Basic form) from any text that may reach a user. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (secret) out = out.split(secret).join('***');
    return out;
  }

  log(line: string): void {
    this.options.log?.(this.redact(line));
  }

  /** The `Authorization` header value; throws `ERR_WANDB_AUTH` when no usable key was found. */
  private authorization(): string {
    const key = this.settings.apiKey;
    if (!key) throw missingKeyError(this.baseUrl);
    const problem = apiKeyProblem(key);
    if (problem) {
      throw new CodesaveError(
        'ERR_WANDB_AUTH',
        `the W&B API key from ${this.settings.apiKeySource} is malformed (${problem}): check it, or get a new one at ${authorizeUrl(this.baseUrl)}`,
        { details: { baseUrl: this.baseUrl } },
      );
    }
    return `Basic ${Buffer.from(`api:${key}`).toString('base64')}`;
  }

  /** True when `url` is under the base URL, i.e. may receive the key. Signed URLs never are. */
  isBaseUrl(url: string): boolean {
    const base = new URL(`${this.baseUrl}/`);
    const target = new URL(url);
    return target.origin === base.origin && target.pathname.startsWith(base.pathname);
  }

  /** Headers for a request to the base URL: auth, extra headers, user agent. */
  baseHeaders(): Record<string, string> {
    return { ...this.settings.extraHeaders, 'User-Agent': USER_AGENT, Authorization: this.authorization() };
  }

  /** The `ERR_WANDB_AUTH` for a key the server refused. */
  rejectedKeyError(status: number | string): CodesaveError {
    return new CodesaveError(
      'ERR_WANDB_AUTH',
      `${this.baseUrl} rejected the W&B API key from ${this.settings.apiKeySource} (${status}): check WANDB_API_KEY or your ~/.netrc entry for "machine ${new URL(this.baseUrl).host}", or get a key at ${authorizeUrl(this.baseUrl)}`,
      { details: { baseUrl: this.baseUrl, status } },
    );
  }

  /** Runs one GraphQL operation; returns `data`. Retries per the policy; errors are `CodesaveError`s. */
  async graphql<T = any>(request: GraphqlRequest): Promise<T> {
    const url = `${this.baseUrl}/graphql`;
    const headers = { ...this.baseHeaders(), 'Content-Type': 'application/json', Accept: 'application/json' };
    const body = JSON.stringify({
      query: request.query,
      variables: request.variables ?? {},
      operationName: request.operationName,
    });
    const what = `graphql ${request.operationName}`;
    return withRetry(
      what,
      this.retryOptions(),
      async (attempt) => {
        this.log(`${what} (attempt ${attempt})`);
        let response: Response;
        let text: string;
        try {
          response = await fetch(url, {
            method: 'POST',
            headers,
            body,
            signal: this.attemptSignal(),
          });
          text = await response.text();
        } catch (error) {
          throw this.connectionError(error, what, url);
        }
        if (response.status === 401) throw this.rejectedKeyError('HTTP 401');
        if (!response.ok) {
          const message = `HTTP ${response.status}${serverMessage(text) ? `: ${serverMessage(text)}` : ''}`;
          if (isRetryableStatus(response.status, request.retryStatuses)) {
            throw new TransientError(message, parseRetryAfter(response.headers.get('retry-after')), response.status);
          }
          if (response.status === 403) {
            throw new CodesaveError(
              'ERR_WANDB_AUTH',
              this.redact(
                `${this.baseUrl} refused ${request.operationName} (${message}): the API key from ${this.settings.apiKeySource} has no access to it`,
              ),
              { details: { status: response.status, operation: request.operationName } },
            );
          }
          const hint = response.status === 404 ? ` (is ${this.baseUrl} a W&B server? set WANDB_BASE_URL)` : '';
          throw new CodesaveError(
            'ERR_WANDB_REQUEST',
            this.redact(`W&B ${request.operationName} failed: ${message}${hint}`),
            { details: { status: response.status, operation: request.operationName } },
          );
        }
        let parsed: { data?: T; errors?: unknown[] };
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new TransientError(`answer to ${request.operationName} is not JSON`);
        }
        if (Array.isArray(parsed.errors) && parsed.errors.length > 0) {
          throw new CodesaveError(
            'ERR_WANDB_REQUEST',
            this.redact(`W&B ${request.operationName} failed: ${errorMessages(parsed.errors)}`),
            { details: { operation: request.operationName } },
          );
        }
        return parsed.data as T;
      },
      (last, attempts) =>
        new CodesaveError(
          'ERR_WANDB_REQUEST',
          this.redact(`W&B ${request.operationName} failed after ${attempts} attempts: ${last.message}`),
          { details: { operation: request.operationName, status: last.status } },
        ),
      () => this.abortedError(what),
    );
  }

  retryOptions(): RetryOptions {
    const { retry, log, signal } = this.options;
    return {
      ...retry,
      signal: retry?.signal ?? signal,
      onRetry: (event) => {
        log?.(this.redact(`${event.what}: ${event.reason}; retrying in ${Math.round(event.delayMs)} ms`));
        retry?.onRetry?.(event);
      },
    };
  }

  describeNetworkError(error: unknown): string {
    if (error instanceof Error) {
      if (error.name === 'TimeoutError' || error.name === 'AbortError') {
        return `no answer within ${this.settings.timeoutMs} ms`;
      }
      return this.redact(networkErrorText(error));
    }
    return 'connection failed';
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function errorMessages(errors: unknown[]): string {
  return errors
    .map((e) => (typeof e === 'string' ? e : ((e as { message?: string })?.message ?? JSON.stringify(e))))
    .join('; ');
}

/** The human part of a non-200 body: `{"errors":[...]}` or `{"error":"..."}`; truncated. */
export function serverMessage(text: string): string {
  let message = '';
  try {
    const parsed = JSON.parse(text) as { errors?: unknown[]; error?: unknown };
    if (Array.isArray(parsed.errors)) message = errorMessages(parsed.errors);
    else if (typeof parsed.error === 'string') message = parsed.error;
  } catch {
    message = text.trim();
  }
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}
