/**
 * Deterministic zip writing. Entries go out in the order given (the caller sorts them), all with one DOS
 * timestamp computed from UTC fields (so no time zone can change it), fixed permission bits (0644, 0755 for
 * executables, 0777 for links), the UTF-8 name flag, no directory entries and no extra fields except zip64
 * ones — so the bytes depend only on the paths and contents (and the zlib that deflates them).
 *
 * Files up to `streamAbove` bytes are read a bounded window ahead of the writer and deflated on libuv's thread
 * pool in parallel; each is hashed (sha256 and CRC-32) from the bytes read. Larger files stream through one
 * deflate stream with a data descriptor. An entry whose deflated form is not smaller is stored instead.
 * Zip64 records are written when a size, an offset or the entry count needs them (see docs/decisions.md for
 * why this is not yazl: quadratic in the number of entries, and it keeps every deflated entry until the end).
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, createReadStream, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { CodesaveError } from '../errors.js';

/** One zip entry: a file on disk, a symbolic link, or bytes made here (the manifest, the git patch). */
export interface ZipItem {
  zipPath: string;
  absPath?: string;
  buffer?: Buffer;
  size: number;
  executable: boolean;
  link?: string;
}

/** What the writer learned about an item while writing it. */
export interface WrittenItem {
  item: ZipItem;
  size: number;
  sha256: string;
}

export interface ZipWriteOptions {
  /** The instant stored as every entry's modification time (its UTC fields; DOS range 1980–2107, clamped). */
  mtime: Date;
  /** zlib level, 0–9 (default 6, which gives the size `zip -r` gives). */
  compressionLevel?: number;
  /** Files up to this size are read whole and deflated in parallel; larger ones stream (default 16 MiB). */
  streamAbove?: number;
  /** Most bytes read ahead of the writer at once (default 64 MiB). */
  windowBytes?: number;
  /** Write zip64 records for every entry and the end of the directory, needed or not (for tests). */
  forceZip64?: boolean;
  /** Called after each item's bytes are hashed, in order. */
  onItem?: (written: WrittenItem, index: number) => void;
}

const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
const UTF8_FLAG = 0x0800;
const DESCRIPTOR_FLAG = 0x0008;
const MADE_BY_UNIX = (3 << 8) | 63;

/** The DOS date and time fields for `instant`'s UTC wall time, clamped to the range DOS can hold. */
export function dosDateTime(instant: Date): { date: number; time: number } {
  const t = Math.min(Math.max(instant.getTime(), Date.UTC(1980, 0, 1)), Date.UTC(2107, 11, 31, 23, 59, 58));
  const d = new Date(t);
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

// CRC-32: zlib's own when this Node has it (20.15+, 22.2+), else a table.
let table: Int32Array | undefined;
function crc32(data: Uint8Array, previous = 0): number {
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (native) return native(data, previous);
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let crc = ~previous;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/**
 * Raw deflate with a fresh zlib context per file, so each entry's bytes are exactly zlib's one-shot deflate of
 * that file. (Reusing a stream with `reset()` is faster but not deterministic: bytes left in the window from
 * the previous file change some match choices — measured, see docs/decisions.md.) Small files deflate right
 * here, where a thread-pool round trip would cost more than the work; larger ones on the thread pool, in
 * parallel with reading and hashing.
 */
function deflate(data: Buffer, level: number): Buffer | Promise<Buffer> {
  const options = { level, memLevel: 9 };
  if (data.length <= 64 * 1024) return zlib.deflateRawSync(data, options);
  return new Promise((ok, ko) => zlib.deflateRaw(data, options, (error, out) => (error ? ko(error) : ok(out))));
}

interface Central {
  name: Buffer;
  flags: number;
  method: number;
  crc: number;
  csize: number;
  usize: number;
  offset: number;
  mode: number;
  zip64: boolean;
}

/** Buffered, hashed, sequential writes to a file handle. */
class Output {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  constructor(private readonly handle: FileHandle) {}
  async write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= 1 << 20) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.pendingBytes) return;
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let done = 0;
    while (done < data.length) done += (await this.handle.write(data, done, data.length - done)).bytesWritten;
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

interface Prepared {
  data: Buffer;
  /** Deflated bytes, or undefined to store `data`. */
  deflated?: Buffer;
  crc: number;
  sha256: string;
}

/**
 * Writes `items` (already sorted), then the entry returned by `last` (which may use every item's hash) to
 * `outPath`, which must not exist. Resolves to the per-item facts, the zip's size and its sha256.
 */
export async function writeZip(
  outPath: string,
  items: readonly ZipItem[],
  last: (written: WrittenItem[]) => ZipItem,
  options: ZipWriteOptions,
): Promise<{ written: WrittenItem[]; bytes: number; sha256: string }> {
  const level = options.compressionLevel ?? 6;
  const streamAbove = options.streamAbove ?? 16 * 1024 * 1024;
  const windowBytes = options.windowBytes ?? 64 * 1024 * 1024;
  const forceZip64 = options.forceZip64 ?? false;
  const { date, time } = dosDateTime(options.mtime);
  let handle: FileHandle;
  try {
    handle = await open(outPath, 'wx');
  } catch (cause) {
    throw unwritable(outPath, cause);
  }
  const out = new Output(handle);
  const central: Central[] = [];
  const written: WrittenItem[] = new Array(items.length);

  const modeOf = (item: ZipItem) => (item.link !== undefined ? 0o120777 : item.executable ? 0o100755 : 0o100644);
  const streams = (item: ZipItem) => item.absPath !== undefined && item.link === undefined && item.size > streamAbove;

  const prepare = async (item: ZipItem): Promise<Prepared> => {
    let data: Buffer;
    if (item.link !== undefined) data = Buffer.from(item.link);
    else if (item.buffer) data = item.buffer;
    else {
      try {
        // Small files: one synchronous read beats four thread-pool round trips (open, fstat, read, close).
        data =
          item.size <= 256 * 1024
            ? readScannedSync(item.absPath!, item.size)
            : await readScanned(item.absPath!, item.size);
      } catch (cause) {
        throw unreadable(item.absPath!, cause);
      }
    }
    const crc = crc32(data);
    const sha256 = createHash('sha256').update(data).digest('hex');
    let deflated: Buffer | undefined;
    if (level > 0 && item.link === undefined && data.length > 0) {
      const d = await deflate(data, level);
      if (d.length < data.length) deflated = d;
    }
    return { data, deflated, crc, sha256 };
  };

  const writeLocal = async (
    name: Buffer,
    flags: number,
    method: number,
    crc: number,
    csize: number,
    usize: number,
    zip64: boolean,
  ) => {
    const header = Buffer.alloc(30 + name.length + (zip64 ? 20 : 0));
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(zip64 ? 45 : 20, 4);
    header.writeUInt16LE(flags, 6);
    header.writeUInt16LE(method, 8);
    header.writeUInt16LE(time, 10);
    header.writeUInt16LE(date, 12);
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(zip64 ? MAX32 : csize, 18);
    header.writeUInt32LE(zip64 ? MAX32 : usize, 22);
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(zip64 ? 20 : 0, 28);
    name.copy(header, 30);
    if (zip64) {
      const x = 30 + name.length;
      header.writeUInt16LE(0x0001, x);
      header.writeUInt16LE(16, x + 2);
      header.writeBigUInt64LE(BigInt(usize), x + 4);
      header.writeBigUInt64LE(BigInt(csize), x + 12);
    }
    await out.write(header);
  };

  const writeBuffered = async (item: ZipItem, p: Prepared) => {
    const name = Buffer.from(item.zipPath);
    const offset = out.bytes;
    const method = p.deflated ? 8 : 0;
    const body = p.deflated ?? p.data;
    await writeLocal(name, UTF8_FLAG, method, p.crc, body.length, p.data.length, forceZip64);
    await out.write(body);
    central.push({
      name,
      flags: UTF8_FLAG,
      method,
      crc: p.crc,
      csize: body.length,
      usize: p.data.length,
      offset,
      mode: modeOf(item),
      zip64: forceZip64,
    });
  };

  // A large file: one read stream through hashes and a deflate stream, sizes in a data descriptor after it.
  const writeStreamed = async (item: ZipItem): Promise<WrittenItem> => {
    const name = Buffer.from(item.zipPath);
    const offset = out.bytes;
    const zip64 = forceZip64 || item.size >= MAX32 - 64 * 1024 * 1024;
    const method = level > 0 ? 8 : 0;
    const flags = UTF8_FLAG | DESCRIPTOR_FLAG;
    await writeLocal(name, flags, method, 0, 0, 0, zip64);
    const sha = createHash('sha256');
    let crc = 0;
    let usize = 0;
    let csize = 0;
    let fd: number | undefined;
    try {
      fd = openRegular(item.absPath!);
      const before = fstatSync(fd);
      // at most the size the walk saw: a file that keeps growing cannot keep the save from ending
      const source = createReadStream('', {
        fd,
        start: 0,
        end: Math.max(item.size - 1, 0),
        autoClose: false,
        highWaterMark: 1 << 20,
      });
      if (method === 8) {
        const deflater = zlib.createDeflateRaw({ level, memLevel: 9 });
        const feeding = (async () => {
          try {
            for await (const chunk of source as AsyncIterable<Buffer>) {
              sha.update(chunk);
              crc = crc32(chunk, crc);
              usize += chunk.length;
              if (!deflater.write(chunk)) await new Promise((ok) => deflater.once('drain', ok));
            }
            deflater.end();
          } catch (error) {
            deflater.destroy(error as Error);
            throw error;
          }
        })();
        for await (const chunk of deflater as AsyncIterable<Buffer>) {
          csize += chunk.length;
          await out.write(chunk);
        }
        await feeding;
      } else {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          sha.update(chunk);
          crc = crc32(chunk, crc);
          usize += chunk.length;
          csize += chunk.length;
          await out.write(chunk);
        }
      }
      checkUnchanged(item.absPath!, before, fstatSync(fd));
    } catch (cause) {
      throw unreadable(item.absPath!, cause);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    const descriptor = Buffer.alloc(zip64 ? 24 : 16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc, 4);
    if (zip64) {
      descriptor.writeBigUInt64LE(BigInt(csize), 8);
      descriptor.writeBigUInt64LE(BigInt(usize), 16);
    } else {
      descriptor.writeUInt32LE(csize, 8);
      descriptor.writeUInt32LE(usize, 12);
    }
    await out.write(descriptor);
    central.push({ name, flags, method, crc, csize, usize, offset, mode: modeOf(item), zip64 });
    return { item, size: usize, sha256: sha.digest('hex') };
  };

  try {
    // Read-ahead: prepare items in order, at most `concurrency` items and `windowBytes` bytes ahead of the writer.
    const concurrency = 64;
    const prepared: (Promise<Prepared> | undefined)[] = new Array(items.length);
    let next = 0;
    let aheadBytes = 0;
    const fill = (writerAt: number) => {
      while (next < items.length && next < writerAt + concurrency) {
        const item = items[next];
        if (!streams(item)) {
          if (aheadBytes > 0 && aheadBytes + item.size > windowBytes) break;
          aheadBytes += item.size;
          const promise = prepare(item);
          promise.catch(() => {});
          prepared[next] = promise;
        }
        next++;
      }
    };
    for (let i = 0; i < items.length; i++) {
      fill(i);
      const item = items[i];
      if (streams(item)) {
        written[i] = await writeStreamed(item);
      } else {
        if (!prepared[i]) fill(i); // the window was full when this one's turn came
        const p = await prepared[i]!;
        prepared[i] = undefined;
        aheadBytes -= item.size;
        await writeBuffered(item, p);
        written[i] = { item, size: p.data.length, sha256: p.sha256 };
      }
      options.onItem?.(written[i], i);
    }
    const tail = last(written);
    await writeBuffered(tail, await prepare(tail));
    await writeCentralDirectory();
    await out.flush();
    // durable before the caller renames it into place
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    throw error instanceof CodesaveError || typeof (error as NodeJS.ErrnoException).code !== 'string'
      ? error
      : unwritable(outPath, error);
  }
  await handle.close();
  return { written, bytes: out.bytes, sha256: out.digest() };

  async function writeCentralDirectory() {
    const start = out.bytes;
    for (const e of central) {
      const needs = {
        usize: forceZip64 || e.usize >= MAX32,
        csize: forceZip64 || e.csize >= MAX32,
        offset: forceZip64 || e.offset >= MAX32,
      };
      const extraLength = (needs.usize ? 8 : 0) + (needs.csize ? 8 : 0) + (needs.offset ? 8 : 0);
      const zip64 = extraLength > 0 || e.zip64;
      const record = Buffer.alloc(46 + e.name.length + (extraLength ? 4 + extraLength : 0));
      record.writeUInt32LE(0x02014b50, 0);
      record.writeUInt16LE(MADE_BY_UNIX, 4);
      record.writeUInt16LE(zip64 ? 45 : 20, 6);
      record.writeUInt16LE(e.flags, 8);
      record.writeUInt16LE(e.method, 10);
      record.writeUInt16LE(time, 12);
      record.writeUInt16LE(date, 14);
      record.writeUInt32LE(e.crc, 16);
      record.writeUInt32LE(needs.csize ? MAX32 : e.csize, 20);
      record.writeUInt32LE(needs.usize ? MAX32 : e.usize, 24);
      record.writeUInt16LE(e.name.length, 28);
      record.writeUInt16LE(extraLength ? 4 + extraLength : 0, 30);
      // comment length, disk number, internal attributes: 0
      record.writeUInt32LE((e.mode << 16) >>> 0, 38);
      record.writeUInt32LE(needs.offset ? MAX32 : e.offset, 42);
      e.name.copy(record, 46);
      if (extraLength) {
        let x = 46 + e.name.length;
        record.writeUInt16LE(0x0001, x);
        record.writeUInt16LE(extraLength, x + 2);
        x += 4;
        if (needs.usize) x = record.writeBigUInt64LE(BigInt(e.usize), x);
        if (needs.csize) x = record.writeBigUInt64LE(BigInt(e.csize), x);
        if (needs.offset) record.writeBigUInt64LE(BigInt(e.offset), x);
      }
      await out.write(record);
    }
    const size = out.bytes - start;
    const count = central.length;
    const zip64End = forceZip64 || count >= MAX16 || size >= MAX32 || start >= MAX32;
    if (zip64End) {
      const at = out.bytes;
      const record = Buffer.alloc(56 + 20);
      record.writeUInt32LE(0x06064b50, 0);
      record.writeBigUInt64LE(44n, 4);
      record.writeUInt16LE(MADE_BY_UNIX, 12);
      record.writeUInt16LE(45, 14);
      // this disk, disk with the directory: 0
      record.writeBigUInt64LE(BigInt(count), 24);
      record.writeBigUInt64LE(BigInt(count), 32);
      record.writeBigUInt64LE(BigInt(size), 40);
      record.writeBigUInt64LE(BigInt(start), 48);
      record.writeUInt32LE(0x07064b50, 56);
      // disk with the zip64 end record: 0
      record.writeBigUInt64LE(BigInt(at), 64);
      record.writeUInt32LE(1, 72);
      await out.write(record);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(zip64End ? MAX16 : count, 8);
    end.writeUInt16LE(zip64End ? MAX16 : count, 10);
    end.writeUInt32LE(zip64End ? MAX32 : size, 12);
    end.writeUInt32LE(zip64End ? MAX32 : start, 16);
    await out.write(end);
  }
}

// A file is read by what the walk saw: a regular file. O_NOFOLLOW and the fstat refuse what it may have become
// since (a symlink leading anywhere, a FIFO that would block the read forever); O_NONBLOCK makes opening a
// FIFO return at once so it can be refused.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

function openRegular(path: string): number {
  const fd = openSync(path, READ_FLAGS);
  try {
    if (!fstatSync(fd).isFile()) throw changed(path);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/**
 * A regular file as it is when opened, up to `size` bytes — the size the walk measured (so a file that keeps
 * growing cannot keep the save from ending) — read synchronously. A file that changes while it is read (its size
 * or modification time moves between the `fstat`s before and after) is refused: the zip would hold bytes that were
 * never the file's content at any one moment.
 */
function readScannedSync(path: string, size: number): Buffer {
  const fd = openRegular(path);
  try {
    const before = fstatSync(fd);
    const data = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, data, done, size - done, done);
      if (n === 0) break; // shorter than the walk saw (before this read): stored as it is now
      done += n;
    }
    checkUnchanged(path, before, fstatSync(fd));
    return done === size ? data : data.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/** {@link readScannedSync} on the thread pool (larger files). */
async function readScanned(path: string, size: number): Promise<Buffer> {
  const file = await open(path, READ_FLAGS);
  try {
    const before = await file.stat();
    if (!before.isFile()) throw changed(path);
    const data = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await file.read(data, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    checkUnchanged(path, before, await file.stat());
    return done === size ? data : data.subarray(0, done);
  } finally {
    await file.close();
  }
}

function checkUnchanged(path: string, before: Stats, after: Stats): void {
  if (before.size !== after.size || before.mtimeMs !== after.mtimeMs) throw changedWhileSaved(path);
}

function changedWhileSaved(path: string): CodesaveError {
  return new CodesaveError(
    'ERR_UNREADABLE_FILE',
    `${path} changed while saved (it was written to while codesave read it); save again once it has stopped changing, or exclude it with .gitignore or the ignore option`,
    { details: { path, reason: 'changed' } },
  );
}

function changed(path: string): CodesaveError {
  return new CodesaveError(
    'ERR_UNREADABLE_FILE',
    `${path} changed while it was being saved (it is no longer a regular file); save again, or exclude it with .gitignore or the ignore option`,
    { details: { path } },
  );
}

function unreadable(path: string, cause: unknown): CodesaveError {
  if (cause instanceof CodesaveError) return cause;
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return changed(path); // O_NOFOLLOW: it became a symlink after the walk
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new CodesaveError(
      'ERR_UNREADABLE_FILE',
      `${path} disappeared while it was being saved (${code}); save again once the directory has stopped changing`,
      { cause, details: { path, errno: code } },
    );
  }
  return new CodesaveError(
    'ERR_UNREADABLE_FILE',
    `cannot read ${path} (${code ?? (cause as Error).message}); fix its permissions, or exclude it with .gitignore or the ignore option`,
    { cause, details: { path, errno: code } },
  );
}

function unwritable(path: string, cause: unknown): CodesaveError {
  const code = (cause as NodeJS.ErrnoException).code;
  return new CodesaveError(
    'ERR_OUTPUT_UNWRITABLE',
    `cannot write the snapshot next to ${path} (${code ?? (cause as Error).message}); check that the directory is writable and has space, or choose another output`,
    { cause, details: { path, errno: code } },
  );
}
