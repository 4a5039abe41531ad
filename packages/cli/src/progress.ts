/**
 * A one-line progress bar for long CLI commands, drawn on stderr. It stays silent when stderr or stdout is
 * not a terminal (piped, redirected) or when `CI` is set, so logs and `--json` output stay clean.
 */

/** The part of a stream the bar needs (a `tty.WriteStream` in real use; a fake in tests). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

export interface ProgressOptions {
  /** Where to draw (default `process.stderr`). */
  stream?: ProgressStream;
  /** Force on or off; by default on only when stdout and the stream are TTYs and `CI` is unset. */
  enabled?: boolean;
  /** Shortest time between two redraws in ms (default 80). */
  interval?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface Progress {
  /** Whether anything is drawn at all. */
  readonly enabled: boolean;
  /** Records progress; redraws at most every `interval` ms (and always when done === total). */
  update(done: number, total: number, label?: string, unit?: 'count' | 'bytes'): void;
  /** Erases the bar (call before printing the result). */
  finish(): void;
}

/** True when a progress bar should be drawn on `stream`: both it and stdout are TTYs and `CI` is not set. */
export function shouldShowProgress(stream: ProgressStream = process.stderr, env = process.env): boolean {
  return Boolean(stream.isTTY && process.stdout.isTTY && !env.CI);
}

/** Human size: 999 B, 1.2 KB, 3.4 MB, 5.6 GB (powers of 1024). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const enabled = options.enabled ?? shouldShowProgress(stream);
  const interval = options.interval ?? 80;
  const now = options.now ?? Date.now;
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    enabled,
    update(done, total, label = '', unit = 'count') {
      if (!enabled) return;
      const t = now();
      if (t - last < interval && done < total) return;
      last = t;
      const width = Math.max(20, (stream.columns || 80) - 1);
      const ratio = total > 0 ? Math.min(1, done / total) : 0;
      const counts = unit === 'bytes' ? `${formatBytes(done)}/${formatBytes(total)}` : `${done}/${total}`;
      const head = `${String(Math.floor(ratio * 100)).padStart(3)}% ${counts} `;
      const barWidth = Math.max(10, Math.min(30, width - head.length - 12));
      const filled = Math.round(ratio * barWidth);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] `;
      let line = bar + head + label;
      if (line.length > width) line = `${line.slice(0, width - 1)}…`;
      stream.write(`\r${line}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
