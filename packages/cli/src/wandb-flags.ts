/** Flags every command that talks to W&B shares: the server, an overall time limit, retries, retry lines. */
import { formatRetry, type WandbClientOptions } from '@codesave/wandb';
import { UsageError } from './command.js';

export const wandbFlags = {
  'base-url': { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
} as const;

export const wandbFlagsHelp = `      --base-url <url>           W&B server (default: WANDB_BASE_URL, settings, https://api.wandb.ai)
      --timeout <duration>       give up after this long in all (e.g. 90, 90s, 5m; default: no limit)
      --retries <n>              retries per request after a temporary failure (default 20, as W&B's clients)`;

/** `90`, `90s`, `1500ms`, `5m` → milliseconds. */
export function parseDuration(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new UsageError(`${flag} needs a duration like 90, 90s or 5m (got "${value}")`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(match[1]) * unit;
  if (!(ms > 0) || ms > 2_147_483_647) throw new UsageError(`${flag} must be more than 0 and at most 24 days`);
  return ms;
}

/**
 * Client options from the flags: the base URL, the command's bound (`--timeout` as an AbortSignal),
 * `--retries`, one stderr line per retry, and warnings on stderr.
 */
export function wandbOptionsFrom(
  command: string,
  values: { 'base-url'?: string; timeout?: string; retries?: string },
): Pick<WandbClientOptions, 'baseUrl' | 'signal' | 'retry' | 'onWarning'> {
  let maxRetries: number | undefined;
  if (values.retries !== undefined) {
    maxRetries = Number(values.retries);
    if (!/^\d+$/.test(values.retries.trim()) || maxRetries > 1000) {
      throw new UsageError(`--retries needs a whole number from 0 to 1000 (got "${values.retries}")`);
    }
  }
  const timeoutMs = values.timeout === undefined ? undefined : parseDuration('--timeout', values.timeout);
  // A test hook: scale every wait between retries (0 = retry at once), never the --timeout itself.
  const scale = Number(process.env.CODESAVE_WANDB_RETRY_SCALE);
  return {
    baseUrl: values['base-url'],
    signal: timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
    retry: {
      maxRetries,
      timeScale: Number.isFinite(scale) && scale >= 0 ? scale : undefined,
      onRetry: (event) => process.stderr.write(`codesave ${command}: ${formatRetry(event)}\n`),
    },
    onWarning: (message) => process.stderr.write(`codesave ${command}: warning: ${message}\n`),
  };
}
