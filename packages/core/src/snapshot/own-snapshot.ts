/**
 * Recognises a codesave snapshot by its manifest: a zip whose central directory lists a root `codesave.json` that
 * parses as a manifest written by codesave. An earlier `checkpoint` output left inside a tree is skipped by the
 * next save (reason `snapshot`) instead of being stored in it, and in the next one, and so on.
 *
 * A small reader of its own (the archive stage comes after this one): the end record, the central directory, one
 * local header, one inflate — bounded reads, never the whole zip; anything unexpected means "not a snapshot".
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { MANIFEST_NAME, parseManifest } from './manifest.js';

/** Largest central directory and manifest read (a snapshot of 100,000 files has a directory of a few MB). */
const MAX_DIRECTORY = 64 * 1024 * 1024;
const MAX_MANIFEST = 64 * 1024 * 1024;

/** Whether the file at `path` is a snapshot codesave wrote (judged by its manifest). Never throws. */
export function isOwnSnapshot(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size < 22) return false;
    const manifest = readManifestBytes(fd, st.size);
    if (!manifest) return false;
    return parseManifest(manifest).tool.name === 'codesave';
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, offset + done);
    if (n === 0) throw new Error('short read');
    done += n;
  }
  return buf;
}

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('out of range');
  return Number(v);
}

/** The inflated bytes of the root `codesave.json`, or `undefined`. */
function readManifestBytes(fd: number, size: number): Buffer | undefined {
  const tailLength = Math.min(size, 22 + 0xffff);
  const tailStart = size - tailLength;
  const tail = readAt(fd, tailStart, tailLength);
  let eocd = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const eocdAbs = tailStart + eocd;
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  let cdEnd = eocdAbs;
  if (eocdAbs >= 20 && readAt(fd, eocdAbs - 20, 4).readUInt32LE(0) === 0x07064b50) {
    const z64Offset = u64(readAt(fd, eocdAbs - 20, 20), 8);
    const z = readAt(fd, z64Offset, 56);
    if (z.readUInt32LE(0) !== 0x06064b50) return undefined;
    cdSize = u64(z, 40);
    cdOffset = u64(z, 48);
    cdEnd = z64Offset;
  }
  if (cdSize > MAX_DIRECTORY || cdOffset + cdSize > cdEnd) return undefined;
  const shift = cdEnd - (cdOffset + cdSize); // bytes prepended to the zip
  const cd = readAt(fd, cdOffset + shift, cdSize);
  const wanted = Buffer.from(MANIFEST_NAME);
  for (let p = 0; p + 46 <= cd.length; ) {
    if (cd.readUInt32LE(p) !== 0x02014b50) return undefined;
    const method = cd.readUInt16LE(p + 10);
    let csize = cd.readUInt32LE(p + 20);
    let usize = cd.readUInt32LE(p + 24);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    let offset = cd.readUInt32LE(p + 42);
    const name = cd.subarray(p + 46, p + 46 + nameLength);
    if (name.equals(wanted)) {
      const extra = cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength);
      for (let q = 0; q + 4 <= extra.length; ) {
        const id = extra.readUInt16LE(q);
        const length = extra.readUInt16LE(q + 2);
        if (id === 0x0001) {
          let r = q + 4;
          if (usize === 0xffffffff) {
            usize = u64(extra, r);
            r += 8;
          }
          if (csize === 0xffffffff) {
            csize = u64(extra, r);
            r += 8;
          }
          if (offset === 0xffffffff) offset = u64(extra, r);
        }
        q += 4 + length;
      }
      if (usize > MAX_MANIFEST || csize > MAX_MANIFEST || (method !== 0 && method !== 8)) return undefined;
      const header = readAt(fd, offset + shift, 30);
      if (header.readUInt32LE(0) !== 0x04034b50) return undefined;
      const start = offset + shift + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
      const raw = readAt(fd, start, csize);
      return method === 0 ? raw : inflateRawSync(raw, { maxOutputLength: Math.max(usize, 1) });
    }
    p += 46 + nameLength + extraLength + commentLength;
  }
  return undefined;
}
