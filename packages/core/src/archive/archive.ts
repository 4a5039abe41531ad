/**
 * zip bytes → validated entries. Our own central-directory reader (see docs/decisions.md, "archive/:
 * own zip reader"): it validates every entry before anything is mounted, refuses hostile zips with a
 * distinct `CodesaveError` code each, and inflates one entry at a time, synchronously, on demand.
 */
import * as buffer from 'node:buffer';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { CodesaveError, type CodesaveErrorCode } from '../errors.js';
import { crc32 } from './crc32.js';
import { digestOf } from './digest.js';
import { checkEntryName, resolveLinkInside } from './names.js';
import { shareContents, sharedContents } from './shared-contents.js';
import { type ByteSource, fdSource, memorySource } from './source.js';

/** Limits and modes for {@link openArchive}. Sizes are uncompressed bytes. */
export interface ArchiveOptions {
  /** Most entries accepted (files, directories and links). Default 100,000. */
  maxEntries?: number;
  /** Largest uncompressed entry. Default 512 MiB. */
  maxEntrySize?: number;
  /** Largest uncompressed total. Default 1 GiB. */
  maxTotalSize?: number;
  /**
   * Inflate and CRC-check every file while opening, and keep the contents: `read` then returns the kept
   * buffer (the same one each time — treat it as read-only) instead of inflating again.
   */
  eager?: boolean;
  /**
   * A zip file up to this size is read into memory at open; a larger one is read through a file descriptor, only
   * the parts that are used. Default 8 MiB: entries are checked when first read, so reading a whole large zip at
   * open would cost what most runs never use (docs/decisions.md, "Read mode").
   */
  inMemoryLimit?: number;
  /** How messages name a zip given as bytes. Default `'<zip bytes>'`. */
  label?: string;
  /** Most bytes {@link Archive.keep} holds (files a verification has already inflated). Default 64 MiB. */
  keepLimit?: number;
  /**
   * Share inflated file contents with other archives of this process that set it too: an entry whose compressed
   * bytes, method, CRC-32 and size equal those of one already inflated (and CRC-checked) returns that output
   * instead of inflating again — a second version of a snapshot costs only its changed files. `read` may then
   * return the same buffer to several callers: treat it as read-only. Default `false`.
   */
  share?: boolean;
}

export const DEFAULT_MAX_ENTRIES = 100_000;
export const DEFAULT_MAX_ENTRY_SIZE = 512 * 1024 * 1024;
export const DEFAULT_MAX_TOTAL_SIZE = 1024 * 1024 * 1024;
const DEFAULT_IN_MEMORY_LIMIT = 8 * 1024 * 1024;
export const DEFAULT_KEEP_LIMIT = 64 * 1024 * 1024;
/** A single file larger than this is never kept by {@link Archive.keep} (it would crowd out many small ones). */
const KEEP_FILE_LIMIT = 4 * 1024 * 1024;
const MAX_LINK_TARGET = 4096;
/** Entries compressed to more than this are always inflated afresh (see shared-contents.ts). */
const SHARE_RAW_LIMIT = 1024 * 1024;

export type ArchiveEntryType = 'file' | 'directory' | 'symlink';

/** One validated entry. `name` is normalised: `a/b.js`, no trailing slash, no `.` segments. */
export interface ArchiveEntry {
  readonly name: string;
  readonly type: ArchiveEntryType;
  /** Uncompressed size in bytes (for a symlink, the length of its target). */
  readonly size: number;
  /** For a symlink: its target as stored (relative, checked to stay inside the root). */
  readonly linkTarget?: string;
  /** Permission bits from the zip (e.g. 0o755), when the writer recorded Unix modes. */
  readonly mode?: number;
  /** Modification time recorded in the zip. */
  readonly mtime: Date;
  readonly compressedSize: number;
  readonly method: 0 | 8;
  readonly crc32: number;
}

export interface Archive {
  /** The zip's path when opened from a file. */
  readonly source?: string;
  readonly entries: ReadonlyMap<string, ArchiveEntry>;
  /** Total uncompressed size of all files, as declared (and enforced when reading). */
  readonly totalSize: number;
  /**
   * The content of a file (or the target bytes of a symlink): inflated now, size-capped and CRC-checked,
   * a new buffer each call — except with `eager` or after {@link keep} (the kept one) and with `share` (maybe
   * another archive's): treat those as read-only.
   */
  read(name: string): Buffer;
  /**
   * Keeps `bytes` — exactly what `read(name)` just returned — so later `read(name)` calls return it instead of
   * inflating again (the same buffer each time: treat it as read-only). For a caller that has already inflated a
   * file (verification hashes every file): the volume then serves the very bytes that were checked, inflated once.
   * Kept while the total stays under `keepLimit` and the file under 4 MiB; returns whether it was kept.
   */
  keep(name: string, bytes: Buffer): boolean;
  /**
   * From now on, `read` checks the bytes of each file (or symlink) for which `digests(name)` gives a sha256
   * against it before it returns them, and throws `mismatch(name)` instead when they differ: no caller can get
   * bytes that differ from the manifest. The first match is kept (as {@link keep}), so a file is inflated and
   * hashed once. Set by verification (a lookup, not a copy: thousands of entries); a second call replaces it.
   */
  expectDigests(digests: (name: string) => string | undefined, mismatch: (name: string) => Error): void;
  /**
   * The sha256 `name`'s bytes were checked against, once a `read` has checked them (see {@link expectDigests});
   * `undefined` before, or when nothing is expected of `name`. What callers may key caches by without hashing.
   */
  checkedDigest(name: string): string | undefined;
  /** Releases the file descriptor (if any) and the kept contents. Later `read` calls fail. */
  close(): void;
}

interface Located extends ArchiveEntry {
  /** Where the raw name bytes are in the central directory. */
  readonly nameAt: number;
  readonly nameLen: number;
  readonly flags: number;
  readonly localOffset: number;
  /** Filled in when the local header has been checked. */
  dataStart: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;

/**
 * Opens a zip (a path, or its bytes) and validates every entry: names, duplicates, symlinks, encryption,
 * methods, size caps, local headers against the central directory, overlapping data. Contents are
 * inflated later, by `read` (or now, with `eager`).
 */
export async function openArchive(source: string | Uint8Array, options: ArchiveOptions = {}): Promise<Archive> {
  if (typeof source === 'string') {
    if (source.includes('\0'))
      throw new CodesaveError(
        'ERR_ZIP_NOT_FOUND',
        `no zip at ${JSON.stringify(source)}: a path cannot hold a NUL byte.`,
      );
    let fd: number;
    let size: number;
    try {
      // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever (it is refused below)
      const flags = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);
      fd = await new Promise<number>((res, rej) => fs.open(source, flags, (e, f) => (e ? rej(e) : res(f))));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CodesaveError(
        'ERR_ZIP_NOT_FOUND',
        code === 'ENOENT'
          ? `no zip at '${source}': check the path (relative paths are resolved against ${process.cwd()}).`
          : `cannot open the zip '${source}' (${code ?? String(err)}): check the path and its permissions.`,
        { cause: err, details: { path: source } },
      );
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) {
        throw new CodesaveError('ERR_ZIP_NOT_FOUND', `'${source}' is not a file: give the path of a .zip file.`, {
          details: { path: source },
        });
      }
      size = st.size;
      const limit = Math.min(
        limitOption('inMemoryLimit', options.inMemoryLimit, DEFAULT_IN_MEMORY_LIMIT),
        buffer.constants.MAX_LENGTH,
      );
      let bytes: ByteSource;
      if (size <= limit) {
        const buf = Buffer.allocUnsafe(size);
        let done = 0;
        while (done < size) {
          const n = await new Promise<number>((res, rej) =>
            fs.read(fd, buf, done, size - done, done, (e, n) => (e ? rej(e) : res(n))),
          );
          if (n === 0) break;
          done += n;
        }
        fs.closeSync(fd);
        bytes = memorySource(buf.subarray(0, done), source);
      } else {
        bytes = fdSource(fd, size, source);
      }
      return build(bytes, source, source, options);
    } catch (err) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
      throw err;
    }
  }
  if (!(source instanceof Uint8Array)) {
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      'openArchive: give a path (string) or the zip bytes (Uint8Array/Buffer).',
    );
  }
  const label = options.label ?? '<zip bytes>';
  return build(memorySource(source, label), label, undefined, options);
}

function fail(
  code: CodesaveErrorCode,
  label: string,
  what: string,
  todo: string,
  details: Record<string, unknown> = {},
) {
  return new CodesaveError(code, `${label}: ${what}. ${todo}`, { details });
}

const REBUILD = 'Re-create the zip (codesave checkpoint, or zip -r) from a trusted copy.';

function build(src: ByteSource, label: string, path: string | undefined, options: ArchiveOptions): Archive {
  try {
    return buildUnsafe(src, label, path, options);
  } catch (err) {
    src.close();
    throw err;
  }
}

interface Reading {
  src: ByteSource;
  label: string;
  corrupt: (what: string, details?: Record<string, unknown>) => CodesaveError;
}

/** Finds the central directory through the end record (and the zip64 one), checking it fits. */
function findDirectory({ src, label, corrupt }: Reading, maxEntries: number) {
  if (src.size < 22) throw corrupt(`not a zip (only ${src.size} bytes)`);
  const tailLen = Math.min(src.size, 22 + 0xffff + 20);
  const tailStart = src.size - tailLen;
  const tail = src.read(tailStart, tailLen);
  let eocd = -1;
  let loose = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== SIG_EOCD) continue;
    const end = i + 22 + tail.readUInt16LE(i + 20);
    if (end === tailLen) {
      eocd = i;
      break;
    }
    if (end < tailLen && loose < 0) loose = i;
  }
  if (eocd < 0) eocd = loose;
  if (eocd < 0) throw corrupt('no end-of-central-directory record (not a zip, or truncated)');
  const eocdAbs = tailStart + eocd;
  let disk = tail.readUInt16LE(eocd + 4);
  let cdDisk = tail.readUInt16LE(eocd + 6);
  let count = tail.readUInt16LE(eocd + 10);
  let countHere = tail.readUInt16LE(eocd + 8);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  let cdLimit = eocdAbs;
  if (eocdAbs >= 20 && src.read(eocdAbs - 20, 4).readUInt32LE(0) === SIG_ZIP64_LOCATOR) {
    const loc = src.read(eocdAbs - 20, 20);
    let z64Offset = u64(loc, 8, corrupt);
    if (z64Offset + 56 > eocdAbs - 20) throw corrupt('the zip64 end-of-central-directory locator points past its end');
    let z = src.read(z64Offset, 56);
    // Bytes prepended to a zip64 archive shift its zip64 end record too: look for it right before the
    // locator, where every writer puts it (unzip does the same); the central directory is found below.
    const adjacent = eocdAbs - 20 - 56;
    if (z.readUInt32LE(0) !== SIG_ZIP64_EOCD && adjacent > z64Offset) {
      const there = src.read(adjacent, 56);
      if (there.readUInt32LE(0) === SIG_ZIP64_EOCD && there.readBigUInt64LE(4) === 44n) {
        z = there;
        z64Offset = adjacent;
      }
    }
    if (z.readUInt32LE(0) !== SIG_ZIP64_EOCD) throw corrupt('the zip64 end-of-central-directory record is missing');
    disk = z.readUInt32LE(16);
    cdDisk = z.readUInt32LE(20);
    countHere = u64(z, 24, corrupt);
    count = u64(z, 32, corrupt);
    cdSize = u64(z, 40, corrupt);
    cdOffset = u64(z, 48, corrupt);
    cdLimit = z64Offset;
  }
  if (disk !== 0 || cdDisk !== 0 || countHere !== count) {
    throw fail(
      'ERR_ZIP_CORRUPT',
      label,
      'split or spanned zips are not supported',
      'Join the parts into one zip first.',
    );
  }
  if (count > maxEntries) {
    throw fail(
      'ERR_ZIP_TOO_LARGE',
      label,
      `the zip has ${count} entries, more than the limit of ${maxEntries}`,
      'Raise the limit with the maxEntries option if you trust this zip.',
      { entries: count, limit: maxEntries },
    );
  }
  if (cdOffset + cdSize > cdLimit || cdSize < count * 46) {
    throw corrupt('the central directory does not fit where the end record says it is');
  }
  // Bytes prepended to a zip (a shebang line, a self-extractor) shift every offset by the same amount;
  // the central directory then ends before the end record. Read it where it really is, as unzip does.
  const shift = cdLimit - (cdOffset + cdSize);
  let prefix = 0;
  if (shift > 0 && count > 0 && src.read(cdOffset, 4).readUInt32LE(0) !== SIG_CENTRAL) {
    if (src.read(cdOffset + shift, 4).readUInt32LE(0) !== SIG_CENTRAL) {
      throw corrupt('the central directory is not where the end record says it is');
    }
    prefix = shift;
    cdOffset += shift;
  }

  return { count, cdOffset, cdSize, prefix };
}

/** Parses and checks every central-directory entry: name, flags, method, type, sizes, duplicates. */
function readDirectory(
  { label, corrupt }: Reading,
  cd: Buffer,
  count: number,
  prefix: number,
  maxEntrySize: number,
  maxTotalSize: number,
) {
  const entries = new Map<string, Located>();
  // the directory as latin1 text, once: an ASCII name is then a slice of it, not a decode of its own
  const text = cd.toString('latin1');
  let total = 0;
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL)
      throw corrupt(`central directory entry ${i} is damaged`);
    const madeBy = cd.readUInt16LE(p + 4);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const time = cd.readUInt16LE(p + 12);
    const date = cd.readUInt16LE(p + 14);
    const crc = cd.readUInt32LE(p + 16);
    let csize = cd.readUInt32LE(p + 20);
    let usize = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let diskStart = cd.readUInt16LE(p + 34);
    const external = cd.readUInt32LE(p + 38);
    let localOffset = cd.readUInt32LE(p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cd.length) throw corrupt(`central directory entry ${i} runs past the directory`);
    const nameAt = p + 46;
    p = end;

    let unicodeName: string | undefined;
    let mtimeUnix: number | undefined;
    for (const [id, data] of extraLen === 0
      ? NO_FIELDS
      : extraFields(cd.subarray(nameAt + nameLen, nameAt + nameLen + extraLen), () =>
          corrupt(`entry ${i} has a malformed extra field`),
        )) {
      if (id === 0x0001) {
        let q = 0;
        const next = () => {
          if (q + 8 > data.length) throw corrupt(`entry ${i} has a short zip64 extra field`);
          const v = u64(data, q, corrupt);
          q += 8;
          return v;
        };
        if (usize === 0xffffffff) usize = next();
        if (csize === 0xffffffff) csize = next();
        if (localOffset === 0xffffffff) localOffset = next();
        if (diskStart === 0xffff) {
          if (q + 4 > data.length) throw corrupt(`entry ${i} has a short zip64 extra field`);
          diskStart = data.readUInt32LE(q);
        }
      } else if (
        id === 0x7075 &&
        data.length >= 5 &&
        data[0] === 1 &&
        data.readUInt32LE(1) === crc32(cd.subarray(nameAt, nameAt + nameLen))
      ) {
        unicodeName = decodeUtf8(data.subarray(5));
      } else if (id === 0x5455 && data.length >= 5 && data[0] & 1) {
        mtimeUnix = data.readUInt32LE(1);
      }
    }
    // UTF-8 whether or not the writer set flag 11 (Info-ZIP often does not); legacy CP437 names are refused
    const decoded = unicodeName ?? decodeName(cd, text, nameAt, nameLen);
    const shown = decoded ?? cd.toString('latin1', nameAt, nameAt + nameLen);
    if (decoded === undefined) {
      throw fail(
        'ERR_ZIP_UNSAFE_PATH',
        label,
        `entry '${shown}' has a name that is not valid UTF-8`,
        'Re-create the zip with UTF-8 names (any current zip tool does).',
        { entry: shown },
      );
    }
    const check = checkEntryName(decoded);
    if (!check.ok) {
      throw fail(
        'ERR_ZIP_UNSAFE_PATH',
        label,
        `entry ${JSON.stringify(decoded)} is unsafe: ${check.reason}`,
        'Refusing to open the zip; rebuild it with plain relative names (a/b.js).',
        { entry: decoded },
      );
    }
    const name = check.name;
    if (diskStart !== 0) throw corrupt(`entry '${name}' claims to live on another disk`, { entry: name });
    if (flags & 0x1 || flags & 0x40 || flags & 0x2000 || method === 99) {
      throw fail(
        'ERR_ZIP_ENCRYPTED',
        label,
        `entry '${name}' is encrypted`,
        'codesave cannot open encrypted zips: re-create it without a password.',
        { entry: name },
      );
    }
    if (method !== 0 && method !== 8) {
      throw fail(
        'ERR_ZIP_UNSUPPORTED_METHOD',
        label,
        `entry '${name}' uses compression method ${method}; only stored (0) and deflate (8) are supported`,
        'Re-create the zip with deflate (the default of zip, yazl and codesave).',
        { entry: name, method },
      );
    }
    const host = madeBy >> 8;
    const unixMode = host === 3 || host === 19 ? external >>> 16 : 0;
    const fmt = unixMode & 0o170000;
    let type: ArchiveEntryType;
    if (fmt === 0o120000) type = 'symlink';
    else if (fmt === 0o040000 || check.trailingSlash || (unixMode === 0 && external & 0x10)) type = 'directory';
    else if (fmt === 0o100000 || fmt === 0) type = 'file';
    else {
      throw fail(
        'ERR_ZIP_UNSAFE_PATH',
        label,
        `entry '${name}' is a special file (mode ${fmt.toString(8)}), not a file, directory or symlink`,
        REBUILD,
        { entry: name },
      );
    }
    if (type === 'symlink' && check.trailingSlash) throw corrupt(`entry '${name}' is both a symlink and a directory`);
    if (type === 'directory' && usize !== 0) throw corrupt(`directory entry '${name}' has content`, { entry: name });
    if (method === 0 && csize !== usize) {
      throw corrupt(`stored entry '${name}' has different compressed and uncompressed sizes`, { entry: name });
    }
    if (usize > maxEntrySize) {
      throw fail(
        'ERR_ZIP_TOO_LARGE',
        label,
        `entry '${name}' declares ${usize} bytes uncompressed, more than the per-entry limit of ${maxEntrySize}`,
        'Raise maxEntrySize if you trust this zip.',
        { entry: name, size: usize, limit: maxEntrySize },
      );
    }
    total += usize;
    if (total > maxTotalSize) {
      throw fail(
        'ERR_ZIP_TOO_LARGE',
        label,
        `the entries declare more than ${maxTotalSize} bytes uncompressed in total (reached at '${name}')`,
        'Raise maxTotalSize if you trust this zip.',
        { entry: name, limit: maxTotalSize },
      );
    }
    if (type === 'symlink' && usize > MAX_LINK_TARGET) {
      throw corrupt(`symlink entry '${name}' has a ${usize}-byte target`, { entry: name });
    }
    const prior = entries.get(name);
    if (prior) {
      const both = prior.type === 'directory' && type === 'directory' ? 'twice as a directory' : 'twice';
      throw fail(
        'ERR_ZIP_DUPLICATE_ENTRY',
        label,
        `'${name}' appears ${prior.type !== type ? `as both a ${prior.type} and a ${type}` : both}`,
        'A zip with duplicate names extracts differently with different tools; rebuild it so each path appears once.',
        { entry: name },
      );
    }
    const mode = unixMode & 0o7777 ? unixMode & 0o7777 : undefined;
    entries.set(name, {
      name,
      type,
      size: usize,
      compressedSize: csize,
      method: method as 0 | 8,
      crc32: crc,
      mode,
      mtime: new Date(mtimeUnix !== undefined ? mtimeUnix * 1000 : dosTime(date, time)),
      nameAt,
      nameLen,
      flags,
      localOffset: localOffset + prefix,
      dataStart: -1,
    });
  }
  if (p !== cd.length) throw corrupt('the central directory has trailing bytes the end record does not account for');

  return { entries, total };
}

/** A path inside a file or a symlink would be written through it: refuse. */
function checkParents(entries: ReadonlyMap<string, Located>, label: string) {
  // implicit directories already walked up from: each is checked once, so deep names cost linear time
  const seen = new Set<string>();
  for (const entry of entries.values()) {
    let slash = entry.name.lastIndexOf('/');
    while (slash > 0) {
      const parent = entry.name.slice(0, slash);
      if (seen.has(parent)) break;
      const owner = entries.get(parent);
      if (owner && owner.type !== 'directory') {
        throw fail(
          owner.type === 'symlink' ? 'ERR_ZIP_UNSAFE_SYMLINK' : 'ERR_ZIP_DUPLICATE_ENTRY',
          label,
          `'${entry.name}' is inside '${parent}', which is a ${owner.type} in the same zip`,
          owner.type === 'symlink'
            ? 'Writing through a symlink could escape the root; rebuild the zip without that link.'
            : 'Rebuild the zip so a path is either a file or a directory.',
          { entry: entry.name, parent },
        );
      }
      if (owner) break; // an explicit directory: its own parents are checked on its turn
      seen.add(parent);
      slash = parent.lastIndexOf('/');
    }
  }
}

/** Each local header must agree with its directory entry, and no two entries may share bytes. */
function checkLocalHeaders(
  { src, label, corrupt }: Reading,
  entries: ReadonlyMap<string, Located>,
  cd: Buffer,
  cdOffset: number,
) {
  const ordered = [...entries.values()].sort((a, b) => a.localOffset - b.localOffset);
  // a zip in memory is read in place: no view per header (thousands of entries)
  const whole = src.whole;
  const mismatch = (e: Located, what: string) =>
    fail(
      'ERR_ZIP_CORRUPT',
      label,
      `entry '${e.name}': the local header's ${what} differs from the central directory`,
      'The zip is damaged or crafted to extract differently with different tools; rebuild it from a trusted copy.',
      { entry: e.name },
    );
  let prevEnd = 0;
  let prevName = '';
  for (const e of ordered) {
    if (e.localOffset < prevEnd) {
      throw fail(
        'ERR_ZIP_CORRUPT',
        label,
        `entry '${e.name}' overlaps the data of '${prevName}' (a trick used by zip bombs)`,
        'Refusing to open it. Rebuild the zip from a trusted copy.',
        { entry: e.name },
      );
    }
    if (e.localOffset + 30 > cdOffset)
      throw corrupt(`the local header of '${e.name}' is outside the data area`, { entry: e.name });
    const h = whole ?? src.read(e.localOffset, 30);
    const at = whole ? e.localOffset : 0;
    if (h.readUInt32LE(at) !== SIG_LOCAL)
      throw corrupt(`the local header of '${e.name}' is missing`, { entry: e.name });
    const lFlags = h.readUInt16LE(at + 6);
    const lMethod = h.readUInt16LE(at + 8);
    const lCrc = h.readUInt32LE(at + 14);
    let lCsize = h.readUInt32LE(at + 18);
    let lUsize = h.readUInt32LE(at + 22);
    const lNameLen = h.readUInt16LE(at + 26);
    const lExtraLen = h.readUInt16LE(at + 28);
    if (e.localOffset + 30 + lNameLen + lExtraLen > cdOffset)
      throw corrupt(`the local header of '${e.name}' is cut`, { entry: e.name });
    const rest = whole ?? src.read(e.localOffset + 30, lNameLen + lExtraLen);
    const r = whole ? e.localOffset + 30 : 0;
    if (lNameLen !== e.nameLen || cd.compare(rest, r, r + lNameLen, e.nameAt, e.nameAt + e.nameLen) !== 0)
      throw mismatch(e, 'name');
    if (lMethod !== e.method) throw mismatch(e, 'compression method');
    if ((lFlags & 0x1) !== (e.flags & 0x1)) throw mismatch(e, 'encryption flag');
    if (lCsize === 0xffffffff || lUsize === 0xffffffff) {
      for (const [id, data] of extraFields(rest.subarray(r + lNameLen, r + lNameLen + lExtraLen), () =>
        corrupt(`entry '${e.name}' has a bad extra`),
      )) {
        if (id !== 0x0001) continue;
        let q = 0;
        if (lUsize === 0xffffffff && q + 8 <= data.length) {
          lUsize = u64(data, q, corrupt);
          q += 8;
        }
        if (lCsize === 0xffffffff && q + 8 <= data.length) lCsize = u64(data, q, corrupt);
      }
    }
    const descriptor = (lFlags & 0x8) !== 0;
    // With a data descriptor (flag 3) the writer may not know a value when it writes the local header and
    // leaves it 0; Info-ZIP streaming (`zip - dir`) knows the size but not the CRC. Compare what is there.
    if (lCrc !== e.crc32 && !(descriptor && lCrc === 0)) throw mismatch(e, 'CRC-32');
    if (lCsize !== e.compressedSize && !(descriptor && lCsize === 0)) throw mismatch(e, 'compressed size');
    if (lUsize !== e.size && !(descriptor && lUsize === 0)) throw mismatch(e, 'uncompressed size');
    e.dataStart = e.localOffset + 30 + lNameLen + lExtraLen;
    prevEnd = e.dataStart + e.compressedSize;
    prevName = e.name;
    if (prevEnd > cdOffset) throw corrupt(`the data of '${e.name}' runs into the central directory`, { entry: e.name });
  }
}

function buildUnsafe(src: ByteSource, label: string, path: string | undefined, options: ArchiveOptions): Archive {
  const maxEntries = limitOption('maxEntries', options.maxEntries, DEFAULT_MAX_ENTRIES);
  // one entry is read into one Buffer: never more than a Buffer can hold, whatever the option says
  const maxEntrySize = Math.min(
    limitOption('maxEntrySize', options.maxEntrySize, DEFAULT_MAX_ENTRY_SIZE),
    buffer.constants.MAX_LENGTH,
  );
  const maxTotalSize = limitOption('maxTotalSize', options.maxTotalSize, DEFAULT_MAX_TOTAL_SIZE);
  const corrupt = (what: string, details?: Record<string, unknown>) =>
    fail(
      'ERR_ZIP_CORRUPT',
      label,
      what,
      'The file is not a valid zip, or is damaged: download or copy it again.',
      details,
    );

  const reading: Reading = { src, label, corrupt };
  const { count, cdOffset, cdSize, prefix } = findDirectory(reading, maxEntries);
  const cd = src.read(cdOffset, cdSize);
  const { entries, total } = readDirectory(reading, cd, count, prefix, maxEntrySize, maxTotalSize);
  checkParents(entries, label);
  checkLocalHeaders(reading, entries, cd, cdOffset);

  // --- the reader ------------------------------------------------------------------------------------
  let closed = false;
  const inflate = (e: Located, given?: Buffer): Buffer => {
    if (e.compressedSize > buffer.constants.MAX_LENGTH) throw bigger(e);
    const raw = given ?? src.read(e.dataStart, e.compressedSize);
    let out: Buffer;
    if (e.method === 0) {
      out = Buffer.from(raw);
    } else {
      try {
        out = zlib.inflateRawSync(raw, {
          maxOutputLength: Math.max(e.size, 1),
          chunkSize: chunkSizeFor(e),
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw bigger(e, err);
        throw fail(
          'ERR_ZIP_CORRUPT',
          label,
          `entry '${e.name}' does not inflate (${(err as Error).message})`,
          'The zip is damaged: download or copy it again.',
          { entry: e.name },
        );
      }
    }
    if (out.length > e.size) throw bigger(e);
    if (out.length < e.size) {
      throw corrupt(`entry '${e.name}' inflates to ${out.length} bytes, not the declared ${e.size}`, { entry: e.name });
    }
    const actual = crc32(out);
    if (actual !== e.crc32) {
      throw fail(
        'ERR_ZIP_CRC_MISMATCH',
        label,
        `entry '${e.name}' fails its CRC-32 check (expected ${hex(e.crc32)}, got ${hex(actual)})`,
        'The zip is damaged: download or copy it again.',
        { entry: e.name, expected: e.crc32, actual },
      );
    }
    return out;
  };
  const bigger = (e: Located, cause?: unknown) =>
    new CodesaveError(
      'ERR_ZIP_TOO_LARGE',
      `${label}: entry '${e.name}' inflates to more than its declared ${e.size} bytes (a zip bomb, or damage). ` +
        'Refusing to read it; rebuild the zip from a trusted copy.',
      { cause, details: { entry: e.name, declared: e.size } },
    );

  /** A file's contents: the output of an identical entry of an earlier archive of this process, else inflated. */
  const readShared = (e: Located): Buffer => {
    if (e.compressedSize > SHARE_RAW_LIMIT) return inflate(e);
    const raw = src.read(e.dataStart, e.compressedSize);
    const shared = sharedContents(raw, e.method, e.crc32, e.size);
    if (shared) return shared;
    const out = inflate(e, raw);
    shareContents(raw, e.method, e.crc32, out);
    return out;
  };

  // symlink targets: read now, then checked (including chains through other links)
  const links = new Map<string, string>();
  for (const e of entries.values()) {
    if (e.type !== 'symlink') continue;
    const target = decodeUtf8(inflate(e));
    if (target === undefined) {
      throw fail('ERR_ZIP_UNSAFE_SYMLINK', label, `symlink entry '${e.name}' has a target that is not UTF-8`, REBUILD, {
        entry: e.name,
      });
    }
    (e as { linkTarget?: string }).linkTarget = target;
    links.set(e.name, target);
  }
  for (const name of links.keys()) resolveLinkInside(name, links, label);

  const cache = new Map<string, Buffer>();
  if (options.eager) for (const e of entries.values()) if (e.type === 'file') cache.set(e.name, inflate(e));
  const keepLimit = options.keepLimit ?? DEFAULT_KEEP_LIMIT;
  let kept = 0;
  /** Keeps `bytes` of `e` (verified or inflated once) within the limits; see `keep`. */
  const hold = (e: Located, bytes: Buffer): boolean => {
    if (e.type !== 'file' || cache.has(e.name)) return false;
    if (bytes.length !== e.size || bytes.length > KEEP_FILE_LIMIT || kept + bytes.length > keepLimit) return false;
    kept += bytes.length;
    cache.set(e.name, bytes);
    return true;
  };
  /** sha256 each entry's bytes must have (verification, on first read), and what builds the error when not. */
  let expected: (name: string) => string | undefined = () => undefined;
  let mismatch: ((name: string) => Error) | undefined;
  /** Entries whose bytes a read has checked against `expected` (every later read is checked too). */
  const checked = new Set<string>();
  /**
   * The one place entry bytes leave the archive: whatever asked (module loaders, the fs view, memfs, the
   * materializer, another archive sharing contents), bytes that differ from the expected sha256 are refused here.
   */
  const deliver = (e: Located, out: Buffer): Buffer => {
    const want = expected(e.name);
    if (want === undefined) return out;
    // digestOf remembers per buffer: a kept (or shared and already hashed) buffer costs a lookup, not a hash
    if (digestOf(out) !== want) {
      // the zip was rewritten on disk since it was opened: say so, as for any read that differs from the first
      if (src.mutable && src.changed()) throw zipChanged(e.name);
      throw mismatch!(e.name);
    }
    if (!checked.has(e.name)) {
      checked.add(e.name);
      hold(e, out);
    }
    return out;
  };
  /** sha256 of each entry's first read, for archives read through a descriptor (see `read`). */
  const firstDigests = new Map<string, string>();
  const zipChanged = (name: string, cause?: unknown) =>
    new CodesaveError(
      'ERR_ZIP_CHANGED',
      `${label}: the zip changed on disk while it was open: '${name}' no longer holds the bytes first read (and verified). ` +
        'Refusing to use it; open the zip again once nothing is writing to it.',
      { cause, details: { entry: name } },
    );

  const publicEntries = new Map<string, ArchiveEntry>();
  for (const e of entries.values()) {
    // the public fields, spelled out (object rest is slow for 10,000 entries)
    const pub: { -readonly [K in keyof ArchiveEntry]: ArchiveEntry[K] } = {
      name: e.name,
      type: e.type,
      size: e.size,
      compressedSize: e.compressedSize,
      method: e.method,
      crc32: e.crc32,
      mode: e.mode,
      mtime: e.mtime,
    };
    if (e.linkTarget !== undefined) pub.linkTarget = e.linkTarget;
    publicEntries.set(e.name, Object.freeze(pub));
  }

  return {
    source: path,
    entries: publicEntries,
    totalSize: total,
    read(name: string): Buffer {
      if (closed) {
        throw new CodesaveError('ERR_DISPOSED', `${label}: the archive is closed; open it again to read '${name}'.`);
      }
      const check = checkEntryName(name);
      const e = check.ok ? entries.get(check.name) : undefined;
      if (!e || e.type === 'directory') {
        throw new CodesaveError(
          'ERR_ZIP_ENTRY_NOT_FOUND',
          `${label}: no file '${name}' in the zip${e ? ' (it is a directory)' : ''}. List archive.entries to see what it holds.`,
          { details: { entry: name } },
        );
      }
      const kept = cache.get(e.name);
      if (kept) return deliver(e, kept);
      if (!src.mutable) return deliver(e, options.share ? readShared(e) : inflate(e));
      // Read through a descriptor: the file may have changed since it was opened (or verified). Every read of an
      // entry must give the bytes its first read gave — the ones verification hashed — CRC or not.
      let out: Buffer;
      try {
        out = options.share ? readShared(e) : inflate(e);
      } catch (error) {
        if (src.changed()) throw zipChanged(e.name, error);
        throw error;
      }
      const digest = digestOf(out);
      const first = firstDigests.get(e.name);
      if (first === undefined) firstDigests.set(e.name, digest);
      else if (first !== digest) throw zipChanged(e.name);
      return deliver(e, out);
    },
    keep(name: string, bytes: Buffer): boolean {
      if (closed) return false;
      const e = entries.get(name);
      if (!e) return false;
      if (src.mutable && firstDigests.get(name) !== digestOf(bytes)) return false;
      const want = expected(name);
      if (want !== undefined && digestOf(bytes) !== want) return false;
      return hold(e, bytes);
    },
    expectDigests(digests: (name: string) => string | undefined, onMismatch: (name: string) => Error): void {
      expected = digests;
      mismatch = onMismatch;
      checked.clear(); // new expectations are checked afresh
    },
    checkedDigest(name: string): string | undefined {
      return checked.has(name) ? expected(name) : undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      cache.clear();
      src.close();
    },
  };
}

/** Deflate expands at most ~1032:1: a declared size beyond that (and a little slack) is a lie, not a plan. */
const MAX_DEFLATE_RATIO = 1032;
const MAX_CHUNK = 64 * 1024 * 1024;

/**
 * zlib's output chunk for an entry: its whole declared size at once when deflate could produce it from the
 * compressed bytes (no concatenation of chunks: a 1.4 MB manifest inflates ~2x faster on Node 20), capped; 1 MiB
 * chunks when the declared size is implausible, so a lying header cannot make us allocate it up front.
 */
function chunkSizeFor(e: { size: number; compressedSize: number }): number {
  const plausible = e.size <= e.compressedSize * MAX_DEFLATE_RATIO + 1024;
  return Math.max(64, Math.min(e.size, plausible ? MAX_CHUNK : 1 << 20));
}

/** A size or count option: a number ≥ 0 (Infinity allowed), or the default when absent. */
function limitOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `openArchive: ${name} must be a number ≥ 0 (Infinity for no limit), got ${typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' ? value : typeof value}.`,
      { details: { option: name } },
    );
  }
  return value;
}

const NO_FIELDS: readonly [number, Buffer][] = [];

function* extraFields(extra: Buffer, bad: () => Error): Generator<[number, Buffer]> {
  let q = 0;
  while (q + 4 <= extra.length) {
    const id = extra.readUInt16LE(q);
    const len = extra.readUInt16LE(q + 2);
    if (q + 4 + len > extra.length) throw bad();
    yield [id, extra.subarray(q + 4, q + 4 + len)];
    q += 4 + len;
  }
}

function u64(buf: Buffer, at: number, corrupt: (what: string) => Error): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('a zip64 size or offset is out of range');
  return Number(v);
}

/**
 * The name at `cd[start..start+length]` (`text`: `cd` as latin1): plain ASCII (almost every name) is a slice of
 * `text`, without the UTF-8 decoder's cost; anything else is decoded as UTF-8 (`undefined` if it is not).
 */
function decodeName(cd: Buffer, text: string, start: number, length: number): string | undefined {
  const end = start + length;
  for (let i = start; i < end; i++) if (cd[i]! >= 0x80) return decodeUtf8(cd.subarray(start, end));
  return text.slice(start, end);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Local-time conversions of DOS stamps already made: the entries of one zip mostly share a few. */
const dosTimes = new Map<number, number>();

/** A DOS date and time (local time, as zip writers record them) in ms since the epoch. */
function dosTime(date: number, time: number): number {
  const key = date * 0x10000 + time;
  let ms = dosTimes.get(key);
  if (ms === undefined) {
    const year = ((date >> 9) & 0x7f) + 1980;
    const month = ((date >> 5) & 0xf) - 1;
    const day = date & 0x1f || 1;
    ms = new Date(year, month, day, (time >> 11) & 0x1f, (time >> 5) & 0x3f, (time & 0x1f) * 2).getTime();
    if (dosTimes.size >= 4096) dosTimes.clear();
    dosTimes.set(key, ms);
  }
  return ms;
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
