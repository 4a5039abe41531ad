/**
 * CRC-32 (the zip polynomial). Uses `zlib.crc32` where the running Node has it (≥ 20.15 / 22.2),
 * otherwise a table implementation.
 */
import * as zlib from 'node:zlib';

type Crc32 = (data: Uint8Array) => number;

let table: Uint32Array | undefined;

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** The CRC-32 lookup table (tests use it to forge entries that keep their CRC). */
export function crcTable(): Uint32Array {
  table ??= makeTable();
  return table;
}

/** The table implementation; exported so tests can compare it with `zlib.crc32`. */
export function crc32Table(data: Uint8Array): number {
  const table = crcTable();
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The implementation, chosen on first use: the dist loads node:zlib only then (docs/decisions.md, "Start-up"). */
let chosen: Crc32 | undefined;
function choose(): Crc32 {
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  return typeof native === 'function' ? (data) => native(data) >>> 0 : crc32Table;
}

/** CRC-32 of `data` as an unsigned 32-bit number. */
export const crc32: Crc32 = (data) => (chosen ??= choose())(data);
