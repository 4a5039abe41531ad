/**
 * Retry policy of the W&B clients (wandb-core): up to 20 retries, 2 s × 2^attempt plus 0–25 % jitter,
 * capped at 60 s, `Retry-After` overriding the computed wait. Time is injectable so tests run fast; an
 * `AbortSignal` bounds the whole command (`--timeout`).
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
  /** Ends the waiting (and the requests) when aborted: a command's overall time limit. */
  signal?: AbortSignal;
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
  /** The HTTP status, when the failure was one. */
  status?: number;
  /** The most retries the policy makes; `attempt` of `maxRetries` is how far along it is. */
  maxRetries: number;
}

/** The one line a CLI prints per retry: `retrying in 4 s after HTTP 503 (attempt 3 of 20)`. */
export function formatRetry(event: RetryEvent): string {
  const seconds = event.delayMs < 1000 ? Math.round(event.delayMs / 100) / 10 : Math.round(event.delayMs / 1000);
  const reason = event.status ? `HTTP ${event.status}` : event.reason;
  return `retrying in ${seconds} s after ${reason} (attempt ${event.attempt} of ${event.maxRetries})`;
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

/**
 * True when a GraphQL or `file_stream` answer with this status is worth retrying: 408, 429 and 5xx but 501.
 * Every other 4xx is permanent (a wrong request does not get better by sending it again), plus the
 * statuses an operation retries on its own (`UpsertBucket` retries 409).
 */
export function isRetryableStatus(status: number, extraRetryable: readonly number[] = []): boolean {
  if (extraRetryable.includes(status)) return true;
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

/** Storage transfers (signed PUT/GET URLs), as W&B's clients retry them: 429 and 5xx but 501 only. */
export function isRetryableStorageStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

interface ResolvedPolicy extends Required<Omit<RetryOptions, 'onRetry' | 'signal'>> {
  onRetry?: (event: RetryEvent) => void;
  signal?: AbortSignal;
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
    signal: options.signal,
  };
}

/** Waits `ms`, or less when `signal` is aborted first. */
async function abortableSleep(policy: ResolvedPolicy, ms: number): Promise<void> {
  const { signal } = policy;
  if (!signal) return policy.sleep(ms);
  if (signal.aborted) return;
  let onAbort: (() => void) | undefined;
  await Promise.race([
    policy.sleep(ms),
    new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    }),
  ]);
  if (onAbort) signal.removeEventListener('abort', onAbort);
}

/** The wait before retry number `attempt` (0-based), before scaling. */
export function backoffDelay(attempt: number, policy: ResolvedPolicy, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
  const base = policy.baseDelayMs * 2 ** attempt;
  return Math.min(base + base * policy.jitter * policy.random(), policy.maxDelayMs);
}

/**
 * Runs `attempt` until it succeeds, throws something other than a {@link TransientError}, or the retries
 * run out; then the last transient error is handed to `giveUp` to turn into the caller's error. When
 * `options.signal` is aborted, no further attempt is made and `onAbort` says why.
 */
export async function withRetry<T>(
  what: string,
  options: RetryOptions | undefined,
  attempt: (n: number) => Promise<T>,
  giveUp: (last: TransientError, attempts: number) => Error,
  onAbort?: () => Error,
): Promise<T> {
  const policy = resolvePolicy(options);
  const aborted = () => onAbort?.() ?? new Error(`${what}: aborted`);
  for (let n = 0; ; n++) {
    if (policy.signal?.aborted) throw aborted();
    try {
      return await attempt(n + 1);
    } catch (error) {
      if (policy.signal?.aborted) throw aborted();
      if (!(error instanceof TransientError)) throw error;
      if (n >= policy.maxRetries) throw giveUp(error, n + 1);
      const delayMs = backoffDelay(n, policy, error.retryAfterMs) * policy.timeScale;
      policy.onRetry?.({
        what,
        attempt: n + 1,
        delayMs,
        reason: error.message,
        status: error.status,
        maxRetries: policy.maxRetries,
      });
      await abortableSleep(policy, delayMs);
    }
  }
}
