/**
 * Inflated contents shared across archives in one process: opening a second version of a snapshot, most of
 * whose files equal the first's, should not inflate them again. An entry is reused only when its compressed
 * bytes, method, CRC-32 and size are all identical to those of an entry already inflated and CRC-checked —
 * inflating is a pure function of those bytes, so the output (and its CRC check) would be the same. Bounded
 * (least recently used first out); the buffers are shared, so they are read-only for everyone.
 * Sharing never stands in for verification: each archive checks the buffer it returns against its own manifest
 * (`Archive.read`), so bytes inflated for an unverified archive reach a verified one only if their sha256 matches.
 */

interface Shared {
  raw: Buffer;
  method: number;
  out: Buffer;
}

const LIMIT = 32 * 1024 * 1024;
/** Entries larger than this (inflated) are not shared: the point is many small source files. */
const ENTRY_LIMIT = 1024 * 1024;

const byKey = new Map<string, Shared>();
let held = 0;

const keyOf = (crc: number, size: number) => `${crc}:${size}`;

/** The inflated contents of an entry with exactly these compressed bytes, if one was inflated before. */
export function sharedContents(raw: Buffer, method: number, crc: number, size: number): Buffer | undefined {
  const key = keyOf(crc, size);
  const hit = byKey.get(key);
  if (!hit || hit.method !== method || !hit.raw.equals(raw)) return undefined;
  byKey.delete(key); // most recently used last
  byKey.set(key, hit);
  return hit.out;
}

/** Remembers `out` (inflated from `raw`, CRC-checked) for later archives; `raw` is copied, not kept as a view. */
export function shareContents(raw: Buffer, method: number, crc: number, out: Buffer): void {
  if (out.length > ENTRY_LIMIT) return;
  const key = keyOf(crc, out.length);
  if (byKey.has(key)) return;
  const cost = raw.length + out.length;
  while (held + cost > LIMIT && byKey.size > 0) {
    const [oldest, entry] = byKey.entries().next().value as [string, Shared];
    byKey.delete(oldest);
    held -= entry.raw.length + entry.out.length;
  }
  byKey.set(key, { raw: Buffer.from(raw), method, out });
  held += cost;
}

/** Forgets every shared content (tests, and callers that want the memory back). */
export function clearSharedContents(): void {
  byKey.clear();
  held = 0;
}
