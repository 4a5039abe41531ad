/**
 * Deterministic zip writing with yazl: entries in the order given (the caller sorts them), one fixed timestamp,
 * fixed permission bits (0644, 0755 for executables, 0777 for links), no directory entries, no extra fields
 * that carry time — so the bytes depend only on the paths and contents (and the zlib that deflates them).
 * Files are read a bounded window ahead of the writer and hashed as they are read; large files stream.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { ZipFile } from 'yazl';
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
  /** The instant stored as every entry's modification time. */
  mtime: Date;
  /** zlib level, 0–9 (default 6, as `zip`). */
  compressionLevel?: number;
  /** Files up to this size are read whole (and deflated on the thread pool); larger ones stream. */
  streamAbove?: number;
  /** Most bytes read ahead of the writer at once. */
  windowBytes?: number;
  /** Called after each item's bytes are hashed, in order. */
  onItem?: (written: WrittenItem, index: number) => void;
}

const FILE_DATA_DONE = 3; // yazl's Entry.FILE_DATA_DONE (yazl 3.x): the entry's bytes are in the output stream.

/**
 * A date whose local-time fields equal `instant`'s UTC fields: yazl encodes the DOS timestamp from local time,
 * so this makes the stored fields the same in every time zone.
 */
export function dosStableDate(instant: Date): Date {
  const t = Math.max(instant.getTime(), Date.UTC(1980, 0, 1));
  const u = new Date(t);
  return new Date(
    u.getUTCFullYear(),
    u.getUTCMonth(),
    u.getUTCDate(),
    u.getUTCHours(),
    u.getUTCMinutes(),
    u.getUTCSeconds(),
  );
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Writes `items` (already sorted), then the entry returned by `last` (which may use every item's hash) to
 * `outPath`. Resolves to the per-item facts, the zip's size and its sha256.
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
  const mtime = dosStableDate(options.mtime);
  const zip = new ZipFile();
  const entries = (zip as unknown as { entries?: { state?: number }[] }).entries;

  let failed: unknown;
  let rejectFailure: (error: unknown) => void = () => {};
  const failure = new Promise<never>((_ok, ko) => {
    rejectFailure = ko;
  });
  failure.catch(() => {});
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (error: unknown) => {
    if (failed) return;
    failed =
      error instanceof Error && !(error instanceof CodesaveError) && /unexpected number of bytes/.test(error.message)
        ? unreadable(outPath, error)
        : error;
    rejectFailure(failed);
    notify();
  };

  const outHash = createHash('sha256');
  let outBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      outHash.update(chunk);
      outBytes += chunk.length;
      done(null, chunk);
      notify();
    },
  });
  const file = createWriteStream(outPath, { flags: 'wx' });
  const finished = new Promise<void>((ok, ko) => {
    file.on('close', ok);
    file.on('error', ko);
  });
  finished.catch(fail);
  zip.on('error', fail);
  counter.on('error', fail);
  zip.outputStream.pipe(counter).pipe(file);
  try {
    return await write();
  } catch (error) {
    fail(error);
    counter.unpipe(file);
    file.destroy();
    await finished.catch(() => {});
    throw failed;
  }

  async function write() {
    const written: WrittenItem[] = new Array(items.length);
    const streamed: Promise<void>[] = [];
    // Bytes handed to yazl and not yet in its output: [entry index, size] in order.
    const inFlight: [number, number][] = [];
    let inFlightBytes = 0;
    const waitForRoom = async (need: number) => {
      for (;;) {
        if (failed) throw failed;
        if (entries) {
          while (inFlight.length && (entries[inFlight[0][0]]?.state ?? FILE_DATA_DONE) >= FILE_DATA_DONE) {
            inFlightBytes -= inFlight.shift()![1];
          }
        }
        const backlog = (zip.outputStream as unknown as { readableLength?: number }).readableLength ?? 0;
        if ((inFlightBytes + need <= windowBytes || inFlight.length === 0) && backlog <= windowBytes) return;
        await new Promise<void>((ok) => {
          wake = ok;
          setImmediate(notify);
        });
      }
    };

    const fileOptions = (item: ZipItem) => ({
      mtime,
      mode: item.link ? 0o120777 : item.executable ? 0o100755 : 0o100644,
      compressionLevel: item.link ? 0 : level,
      forceDosTimestamp: true,
    });

    // Reads run ahead of the writer, at most `concurrency` files and `windowBytes` bytes.
    const concurrency = 64;
    const reads: (Promise<Buffer> | undefined)[] = new Array(items.length);
    let nextRead = 0;
    let readAheadBytes = 0;
    const startReads = () => {
      while (nextRead < items.length && nextRead < doneUpTo + concurrency && readAheadBytes < windowBytes) {
        const item = items[nextRead];
        if (item.absPath && !item.link && item.size <= streamAbove) {
          readAheadBytes += item.size;
          const read = readFile(item.absPath).catch((cause) => {
            throw unreadable(item.absPath!, cause);
          });
          read.catch(() => {});
          reads[nextRead] = read;
        }
        nextRead++;
      }
    };
    let doneUpTo = 0;

    for (let i = 0; i < items.length; i++) {
      doneUpTo = i;
      startReads();
      const item = items[i];
      if (item.link !== undefined || item.buffer || (item.absPath && item.size <= streamAbove)) {
        let data: Buffer;
        if (item.link !== undefined) data = Buffer.from(item.link);
        else if (item.buffer) data = item.buffer;
        else {
          data = await reads[i]!;
          reads[i] = undefined;
          readAheadBytes -= item.size;
        }
        await waitForRoom(data.length);
        zip.addBuffer(data, item.zipPath, fileOptions(item));
        inFlight.push([i, data.length]);
        inFlightBytes += data.length;
        written[i] = { item, size: data.length, sha256: sha256(data) };
        options.onItem?.(written[i], i);
      } else {
        // A large file: hashed while yazl streams it, so it is never whole in memory.
        await waitForRoom(0);
        const hash = createHash('sha256');
        let size = 0;
        const index = i;
        streamed.push(
          new Promise<void>((ok) => {
            zip.addReadStreamLazy(item.zipPath, { ...fileOptions(item), size: item.size }, (cb) => {
              const source = createReadStream(item.absPath!);
              const tap = new Transform({
                transform(chunk: Buffer, _enc, done) {
                  hash.update(chunk);
                  size += chunk.length;
                  done(null, chunk);
                },
                flush(done) {
                  written[index] = { item, size, sha256: hash.digest('hex') };
                  options.onItem?.(written[index], index);
                  done();
                  ok();
                },
              });
              source.on('error', (cause) => fail(unreadable(item.absPath!, cause)));
              cb(null, source.pipe(tap));
            });
          }),
        );
        inFlight.push([i, 0]);
      }
    }
    await Promise.race([Promise.all(streamed), failure]);
    const tail = last(written);
    zip.addBuffer(tail.buffer!, tail.zipPath, fileOptions(tail));
    zip.end();
    await Promise.race([finished, failure]);
    return { written, bytes: outBytes, sha256: outHash.digest('hex') };
  }
}

function unreadable(path: string, cause: unknown): CodesaveError {
  const message = (cause as Error).message ?? String(cause);
  const code = (cause as NodeJS.ErrnoException).code;
  return new CodesaveError(
    'ERR_UNREADABLE_FILE',
    code
      ? `cannot read ${path} (${code}); fix its permissions, or exclude it with .gitignore or the ignore option`
      : `${path} changed while it was being saved (${message}); save again`,
    { cause, details: { path, errno: code } },
  );
}
