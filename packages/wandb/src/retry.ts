/**
 * Retry policy of the W&B clients (wandb-core): up to 20 retries, 2 s × 2^attempt plus 0–25 % jitter,
 * capped at 60 s, `Retry-After` overriding the computed wait. Time is injectable so tests run fast.
 */

export interface RetryOptions {
  /** Retries after the first attempt (default 20). */
  maxRetries?: number;
  /** First wait, in ms (default 2000). */
  baseDelayMs?: number;
  /** Longest wait, in ms, also for `Retry-After` (default 60 000). */
  maxDelayMs?: number;
  /** Extra random wait as a fraction of the computed one (default 0.25). */
  jitter?: number;
  /** Multiplies every wait: `0` in tests, `1` in production (default 1). */
  timeScale?: number;
  /** Waits `ms` milliseconds (default a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** Random source for the jitter (default `Math.random`). */
  random?: () => number;
  /** Called before each wait; for logs and progress displays. Never receives secrets. */
  onRetry?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  /** What was being done, e.g. `graphql UpsertBucket` or `download codebase.zip`. */
  what: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  /** How long we wait before the next one, in ms (already scaled). */
  delayMs: number;
  /** Why: an HTTP status or a connection error's message. */
  reason: string;
}

/** A failure the policy may retry; `retryAfterMs` comes from the server's `Retry-After`. */
export class TransientError extends Error {
  override name = 'TransientError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** HTTP statuses the clients never retry. */
const PERMANENT = new Set([400, 401, 403, 404, 409, 410, 413, 422, 501]);

/** True when a response with this status is worth retrying (429, 5xx but 501, other 4xx not listed). */
export function isRetryableStatus(status: number, extraRetryable: readonly number[] = []): boolean {
  if (extraRetryable.includes(status)) return true;
  return status >= 400 && !PERMANENT.has(status);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

interface ResolvedPolicy extends Required<Omit<RetryOptions, 'onRetry'>> {
  onRetry?: (event: RetryEvent) => void;
}

export function resolvePolicy(options: RetryOptions = {}): ResolvedPolicy {
  return {
    maxRetries: options.maxRetries ?? 20,
    baseDelayMs: options.baseDelayMs ?? 2000,
    maxDelayMs: options.maxDelayMs ?? 60_000,
    jitter: options.jitter ?? 0.25,
    timeScale: options.timeScale ?? 1,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
    onRetry: options.onRetry,
  };
}

/** The wait before retry number `attempt` (0-based), before scaling. */
export function backoffDelay(attempt: number, policy: ResolvedPolicy, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
  const base = policy.baseDelayMs * 2 ** attempt;
  return Math.min(base + base * policy.jitter * policy.random(), policy.maxDelayMs);
}

/**
 * Runs `attempt` until it succeeds, throws something other than a {@link TransientError}, or the retries
 * run out; then the last transient error is handed to `giveUp` to turn into the caller's error.
 */
export async function withRetry<T>(
  what: string,
  options: RetryOptions | undefined,
  attempt: (n: number) => Promise<T>,
  giveUp: (last: TransientError, attempts: number) => Error,
): Promise<T> {
  const policy = resolvePolicy(options);
  for (let n = 0; ; n++) {
    try {
      return await attempt(n + 1);
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      if (n >= policy.maxRetries) throw giveUp(error, n + 1);
      const delayMs = backoffDelay(n, policy, error.retryAfterMs) * policy.timeScale;
      policy.onRetry?.({ what, attempt: n + 1, delayMs, reason: error.message });
      await policy.sleep(delayMs);
    }
  }
}
