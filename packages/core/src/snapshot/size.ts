import { CodesaveError } from '../errors.js';

const UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * Parses a size limit: a byte count (`1500`), or a number with a binary unit (`'100K'`, `'1.5M'`, `'2G'`,
 * also `'100KB'`, `'100KiB'`; K = 1024 bytes, as `du -h` and the Python tool's sizes).
 *
 * @throws CodesaveError `ERR_BAD_SIZE` for anything else (`'1Q'`, `-1`, `''`).
 */
export function parseSize(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0 && Number.isSafeInteger(Math.floor(value))) return Math.floor(value);
  } else if (typeof value === 'string') {
    // trimmed first, and short: `\s*` on both sides of an optional unit backtracks quadratically
    const text = value.length <= 64 ? value.trim() : '';
    const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(text);
    const bytes = match ? Math.floor(Number(match[1]) * UNITS[match[2].toUpperCase()]) : Number.NaN;
    if (Number.isSafeInteger(bytes)) return bytes;
  }
  throw new CodesaveError(
    'ERR_BAD_SIZE',
    `bad size ${typeof value === 'string' ? JSON.stringify(value) : String(value)}: use a byte count (1500) or a number with K, M, G or T (100K, 1.5M)`,
    { details: { value } },
  );
}
