/**
 * A tiny zip writer for tests: raw local headers, central directory and end record, with every field
 * overridable, so tests can build the hostile zips they need.
 */
import * as zlib from 'node:zlib';

export function crc(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    c ^= data[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

export interface Fields {
  name: string | Buffer;
  flags?: number;
  method?: number;
  crc?: number;
  csize?: number;
  usize?: number;
  extra?: Buffer;
  madeBy?: number;
  external?: number;
  offset?: number;
  time?: number;
  date?: number;
}

const nameBytes = (n: string | Buffer) => (typeof n === 'string' ? Buffer.from(n, 'utf8') : n);

export function localHeader(f: Fields): Buffer {
  const name = nameBytes(f.name);
  const extra = f.extra ?? Buffer.alloc(0);
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(f.flags ?? 0x800, 6);
  h.writeUInt16LE(f.method ?? 0, 8);
  h.writeUInt16LE(f.time ?? 0, 10);
  h.writeUInt16LE(f.date ?? 0x21, 12);
  h.writeUInt32LE(f.crc ?? 0, 14);
  h.writeUInt32LE(f.csize ?? 0, 18);
  h.writeUInt32LE(f.usize ?? 0, 22);
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(extra.length, 28);
  return Buffer.concat([h, name, extra]);
}

export function centralHeader(f: Fields): Buffer {
  const name = nameBytes(f.name);
  const extra = f.extra ?? Buffer.alloc(0);
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(f.madeBy ?? 0x031e, 4);
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(f.flags ?? 0x800, 8);
  h.writeUInt16LE(f.method ?? 0, 10);
  h.writeUInt16LE(f.time ?? 0, 12);
  h.writeUInt16LE(f.date ?? 0x21, 14);
  h.writeUInt32LE(f.crc ?? 0, 16);
  h.writeUInt32LE(f.csize ?? 0, 20);
  h.writeUInt32LE(f.usize ?? 0, 24);
  h.writeUInt16LE(name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt32LE(f.external ?? 0, 38);
  h.writeUInt32LE(f.offset ?? 0, 42);
  return Buffer.concat([h, name, extra]);
}

export function endRecord(count: number, cdSize: number, cdOffset: number, comment = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(22);
  h.writeUInt32LE(0x06054b50, 0);
  h.writeUInt16LE(count, 8);
  h.writeUInt16LE(count, 10);
  h.writeUInt32LE(cdSize, 12);
  h.writeUInt32LE(cdOffset, 16);
  h.writeUInt16LE(comment.length, 20);
  return Buffer.concat([h, comment]);
}

export interface Entry {
  name: string | Buffer;
  data?: string | Buffer;
  /** 8 = deflate (default for non-empty data), 0 = stored; any other number is written as is. */
  method?: number;
  type?: 'file' | 'dir' | 'symlink';
  /** Overrides for both headers, then for one of them only. */
  both?: Partial<Fields>;
  local?: Partial<Fields>;
  central?: Partial<Fields>;
  /** Replaces the compressed bytes. */
  raw?: Buffer;
}

export const UNIX_FILE = (0o100644 << 16) >>> 0;
export const UNIX_DIR = ((0o040755 << 16) | 0x10) >>> 0;
export const UNIX_LINK = (0o120777 << 16) >>> 0;

/** A well-formed zip of `entries`, unless overrides say otherwise. */
export function zipBytes(entries: Entry[], options: { count?: number; comment?: Buffer } = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const method = e.method ?? (data.length ? 8 : 0);
    const compressed = e.raw ?? (method === 8 ? zlib.deflateRawSync(data) : data);
    const type = e.type ?? (typeof e.name === 'string' && e.name.endsWith('/') ? 'dir' : 'file');
    const base: Fields = {
      name: e.name,
      method,
      crc: crc(data),
      csize: compressed.length,
      usize: data.length,
      external: type === 'dir' ? UNIX_DIR : type === 'symlink' ? UNIX_LINK : UNIX_FILE,
      offset,
      ...e.both,
    };
    const lh = localHeader({ ...base, ...e.local });
    parts.push(lh, compressed);
    central.push(centralHeader({ ...base, ...e.central }));
    offset += lh.length + compressed.length;
  }
  const cd = Buffer.concat(central);
  return Buffer.concat([...parts, cd, endRecord(options.count ?? entries.length, cd.length, offset, options.comment)]);
}
