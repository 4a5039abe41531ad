/** Random access to a zip's bytes: a buffer in memory, or a file read through one descriptor. */
import * as fs from 'node:fs';
import { CodesaveError } from '../errors.js';

export interface ByteSource {
  readonly size: number;
  /** True when the bytes live in a file that may change while the archive is open (read through a descriptor). */
  readonly mutable: boolean;
  /** Whether the file changed since it was opened (size, modification or change time, inode); false for memory. */
  changed(): boolean;
  /** All the bytes, when they are in memory (to read in place); `undefined` for a file read through a descriptor. */
  readonly whole?: Buffer;
  /** Exactly `length` bytes at `offset` (a view for memory sources); throws `ERR_ZIP_CORRUPT` if short. */
  read(offset: number, length: number): Buffer;
  close(): void;
}

export function memorySource(bytes: Uint8Array, label: string): ByteSource {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    size: buf.length,
    whole: buf,
    mutable: false,
    changed: () => false,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > buf.length) throw truncated(label, offset, length, buf.length);
      return buf.subarray(offset, offset + length);
    },
    close() {},
  };
}

export function fdSource(fd: number, size: number, label: string): ByteSource {
  let open = true;
  const at = fs.fstatSync(fd);
  return {
    size,
    mutable: true,
    changed() {
      if (!open) return false;
      try {
        const now = fs.fstatSync(fd);
        return now.size !== at.size || now.mtimeMs !== at.mtimeMs || now.ctimeMs !== at.ctimeMs || now.ino !== at.ino;
      } catch {
        return true;
      }
    },
    read(offset, length) {
      if (!open) throw new CodesaveError('ERR_ZIP_CORRUPT', `${label}: the archive was closed; open it again.`);
      if (offset < 0 || length < 0 || offset + length > size) throw truncated(label, offset, length, size);
      const out = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const n = fs.readSync(fd, out, done, length - done, offset + done);
        if (n === 0) throw truncated(label, offset, length, offset + done);
        done += n;
      }
      return out;
    },
    close() {
      if (!open) return;
      open = false;
      fs.closeSync(fd);
    },
  };
}

function truncated(label: string, offset: number, length: number, size: number): CodesaveError {
  return new CodesaveError(
    'ERR_ZIP_CORRUPT',
    `${label}: the zip is truncated or corrupt (needed bytes ${offset}..${offset + length}, it has ${size}). ` +
      'Download or copy it again.',
    { details: { offset, length, size } },
  );
}
