/**
 * A mutation fuzzer for the zip reader, shared by the fast fixed-seed test (`archive-fuzz.test.ts`) and the
 * time-bounded run (`bench/fuzz-archive.ts`). It starts from valid zips made by several writers (Info-ZIP
 * `zip -r`, streamed `zip -` with data descriptors, a comment, bytes prepended, yazl with zip64 forced,
 * codesave's own `checkpoint`), mutates them (bit flips, truncation, splices, and header fields rewritten to
 * boundary values: sizes, offsets, counts, name and extra lengths, zip64 fields, disk numbers, the comment
 * length, a directory offset pointing into itself), and checks the one rule: opening either succeeds and every
 * read is CRC-correct, or fails with a `CodesaveError` carrying a documented code.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import yazl from 'yazl';
import { crc32 } from '../src/archive/crc32.js';
import { openArchive } from '../src/archive/index.js';
import { ZipCodebase } from '../src/codebase/index.js';
import { isCodesaveError } from '../src/errors.js';
import { checkpoint } from '../src/snapshot/index.js';
import { centralHeader, crc, endRecord, localHeader, UNIX_FILE, UNIX_LINK, zipBytes } from './archive-zipbytes.js';

/** The codes a hostile zip may produce. Anything else (or a non-CodesaveError) is a bug. */
export const ARCHIVE_CODES = new Set([
  'ERR_ZIP_CORRUPT',
  'ERR_ZIP_UNSAFE_PATH',
  'ERR_ZIP_DUPLICATE_ENTRY',
  'ERR_ZIP_UNSAFE_SYMLINK',
  'ERR_ZIP_ENCRYPTED',
  'ERR_ZIP_UNSUPPORTED_METHOD',
  'ERR_ZIP_TOO_LARGE',
  'ERR_ZIP_CRC_MISMATCH',
  'ERR_ZIP_HASH_MISMATCH',
  'ERR_MANIFEST_INVALID',
]);

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function yazlZip(files: Record<string, string>, forceZip64Format: boolean, compress: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const z = new yazl.ZipFile();
    for (const [name, data] of Object.entries(files))
      z.addBuffer(Buffer.from(data), name, { forceZip64Format, compress });
    z.end({ forceZip64Format, comment: 'yazl' });
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
  });
}

/** Valid zips from several writers, by name. `work` is a scratch directory. */
export async function buildCorpus(work: string): Promise<Map<string, Buffer>> {
  const corpus = new Map<string, Buffer>();
  const tree = path.join(work, 'tree');
  fs.rmSync(tree, { recursive: true, force: true });
  fs.mkdirSync(path.join(tree, 'src/lib'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'package.json'), '{"name":"t","main":"src/index.js"}\n');
  fs.writeFileSync(path.join(tree, 'src/index.js'), 'module.exports = require("./lib/a");\n');
  fs.writeFileSync(path.join(tree, 'src/lib/a.js'), 'module.exports = 42;\n'.repeat(40));
  fs.writeFileSync(path.join(tree, 'data.bin'), Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 7) & 255)));
  fs.writeFileSync(path.join(tree, 'empty.txt'), '');
  fs.writeFileSync(path.join(tree, 'ünï ✓.txt'), 'utf8 name\n');
  fs.symlinkSync('lib/a.js', path.join(tree, 'src/alias.js'));
  // fixed times, so the same corpus comes out of every run (seeds stay meaningful)
  const fixed = new Date(Date.UTC(2024, 0, 1));
  for (const rel of [
    '.',
    'src',
    'src/lib',
    'package.json',
    'src/index.js',
    'src/lib/a.js',
    'data.bin',
    'empty.txt',
    'ünï ✓.txt',
  ])
    fs.utimesSync(path.join(tree, rel), fixed, fixed);
  fs.lutimesSync(path.join(tree, 'src/alias.js'), fixed, fixed);
  const zipOf = (name: string, args: string[], input?: string) => {
    const out = path.join(work, name);
    fs.rmSync(out, { force: true });
    const stdout = execFileSync('zip', args, {
      cwd: tree,
      maxBuffer: 1 << 26,
      ...(input === undefined ? { stdio: ['ignore', 'pipe', 'pipe'] } : { input }),
    });
    return args.includes('-') ? stdout : fs.readFileSync(out);
  };
  const zipR = zipOf('r.zip', ['-r', '-q', '-y', path.join(work, 'r.zip'), '.']);
  corpus.set('zip-r', zipR);
  corpus.set('zip-stream', zipOf('s.zip', ['-r', '-q', '-', '.']));
  corpus.set('zip-comment', zipOf('c.zip', ['-r', '-q', '-z', path.join(work, 'c.zip'), '.'], 'a comment\n'));
  corpus.set('prepended', Buffer.concat([Buffer.from('#!/usr/bin/env codesave run\n'), zipR]));
  const files = { 'a.js': 'exports.a = 1;\n'.repeat(30), 'dir/b.json': '{"b":2}', 'empty.txt': '' };
  corpus.set('yazl', await yazlZip(files, false, true));
  corpus.set('yazl-zip64', await yazlZip(files, true, true));
  corpus.set('yazl-zip64-stored', await yazlZip(files, true, false));
  corpus.set(
    'prepended-zip64',
    Buffer.concat([Buffer.from('#!/usr/bin/env codesave run\n'), corpus.get('yazl-zip64')!]),
  );
  const snap = path.join(work, 'snap.zip');
  await checkpoint(tree, { output: snap, sourceDateEpoch: 0 });
  corpus.set('checkpoint', fs.readFileSync(snap));
  corpus.set(
    'built',
    zipBytes([
      { name: 'd/', type: 'dir' },
      { name: 'd/x.txt', data: 'hello '.repeat(50) },
      { name: 'l', data: 'd/x.txt', type: 'symlink', method: 0 },
      { name: 's.txt', data: 'stored', method: 0 },
    ]),
  );
  return corpus;
}

/** Where the records are, so structured mutations can hit real fields. */
interface Layout {
  eocd: number;
  central: number[];
  locals: number[];
  zip64End: number;
  zip64Locator: number;
}

function layout(b: Buffer): Layout {
  const out: Layout = { eocd: -1, central: [], locals: [], zip64End: -1, zip64Locator: -1 };
  for (let i = 0; i + 4 <= b.length; i++) {
    const sig = b.readUInt32LE(i);
    if (sig === 0x06054b50) out.eocd = i;
    else if (sig === 0x02014b50) out.central.push(i);
    else if (sig === 0x04034b50) out.locals.push(i);
    else if (sig === 0x06064b50) out.zip64End = i;
    else if (sig === 0x07064b50) out.zip64Locator = i;
  }
  return out;
}

const FIELDS = {
  eocd: [
    [4, 2],
    [6, 2],
    [8, 2],
    [10, 2],
    [12, 4],
    [16, 4],
    [20, 2],
  ],
  central: [
    [4, 2],
    [8, 2],
    [10, 2],
    [16, 4],
    [20, 4],
    [24, 4],
    [28, 2],
    [30, 2],
    [32, 2],
    [34, 2],
    [38, 4],
    [42, 4],
  ],
  local: [
    [6, 2],
    [8, 2],
    [14, 4],
    [18, 4],
    [22, 4],
    [26, 2],
    [28, 2],
  ],
  zip64End: [
    [16, 4],
    [20, 4],
    [24, 8],
    [32, 8],
    [40, 8],
    [48, 8],
  ],
  zip64Locator: [
    [4, 4],
    [8, 8],
    [16, 4],
  ],
} as const;

function boundary(random: () => number, old: number, width: number, b: Buffer, l: Layout): bigint {
  const max = width === 8 ? 0xffffffffffffffffn : (1n << BigInt(width * 8)) - 1n;
  const cdStart = l.central[0] ?? 0;
  const picks: bigint[] = [
    0n,
    1n,
    max,
    max - 1n,
    BigInt(old) + 1n,
    BigInt(Math.max(0, old - 1)),
    BigInt(old) * 2n,
    BigInt(b.length),
    BigInt(cdStart),
    BigInt(cdStart + 10),
    BigInt(l.eocd),
    1n << BigInt(width * 8 - 1),
    BigInt(Math.floor(random() * 2 ** Math.min(width * 8, 32))),
  ];
  if (width >= 4) picks.push(0xffffffffn);
  if (width === 8) picks.push(1n << 63n, BigInt(Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER) + 1n);
  if (width === 2) picks.push(0xffffn);
  const v = picks[Math.floor(random() * picks.length)] & max;
  return v;
}

function writeField(b: Buffer, at: number, width: number, value: bigint) {
  if (at + width > b.length) return;
  if (width === 2) b.writeUInt16LE(Number(value & 0xffffn), at);
  else if (width === 4) b.writeUInt32LE(Number(value & 0xffffffffn), at);
  else b.writeBigUInt64LE(value, at);
}

function readField(b: Buffer, at: number, width: number): number {
  if (at + width > b.length) return 0;
  return width === 2 ? b.readUInt16LE(at) : width === 4 ? b.readUInt32LE(at) : Number(b.readBigUInt64LE(at));
}

/** One to three mutations of `input`, chosen by `seed`. */
export function mutate(input: Buffer, seed: number): Buffer {
  const random = rng(seed);
  const int = (n: number) => Math.floor(random() * n);
  let b = Buffer.from(input);
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    const l = layout(b);
    const kind = int(10);
    if (kind <= 3) {
      // a header field set to a boundary value
      const groups: [keyof typeof FIELDS, number][] = [];
      if (l.eocd >= 0) groups.push(['eocd', l.eocd]);
      for (const c of l.central) groups.push(['central', c]);
      for (const c of l.locals) groups.push(['local', c]);
      if (l.zip64End >= 0) groups.push(['zip64End', l.zip64End]);
      if (l.zip64Locator >= 0) groups.push(['zip64Locator', l.zip64Locator]);
      if (!groups.length) continue;
      const [group, at] = groups[int(groups.length)];
      const fields = FIELDS[group];
      const [off, width] = fields[int(fields.length)];
      writeField(b, at + off, width, boundary(random, readField(b, at + off, width), width, b, l));
    } else if (kind === 4) {
      // bit flips
      const n = 1 + int(4);
      for (let i = 0; i < n && b.length; i++) b[int(b.length)] ^= 1 << int(8);
    } else if (kind === 5) {
      // truncate (from the end, or cut the start)
      const at = int(b.length + 1);
      b = random() < 0.7 ? b.subarray(0, at) : b.subarray(at);
    } else if (kind === 6) {
      // splice: duplicate or remove a range
      const from = int(b.length + 1);
      const len = int(Math.min(200, b.length - from + 1));
      const to = int(b.length + 1);
      b =
        random() < 0.5
          ? Buffer.concat([b.subarray(0, to), b.subarray(from, from + len), b.subarray(to)])
          : Buffer.concat([b.subarray(0, from), b.subarray(from + len)]);
    } else if (kind === 7) {
      // a name byte replaced by something a path checker must see
      const c = l.central.length ? l.central[int(l.central.length)] : -1;
      if (c < 0 || c + 46 > b.length) continue;
      const nameLen = b.readUInt16LE(c + 28);
      if (!nameLen || c + 46 + nameLen > b.length) continue;
      const specials = [0x2f, 0x2e, 0x5c, 0x00, 0xff, 0x3a, 0x0a, 0x20, 0xc0, 0x80];
      const at = c + 46 + int(nameLen);
      b[at] = specials[int(specials.length)];
      // keep the local header's name in step half of the time, so the check reaches the name rules
      if (random() < 0.5) {
        const off = b.readUInt32LE(c + 42);
        const i = at - (c + 46);
        if (off + 30 + i < b.length && b.readUInt32LE(off) === 0x04034b50) b[off + 30 + i] = b[at];
      }
    } else if (kind === 8) {
      // random bytes inserted
      const at = int(b.length + 1);
      const junk = Buffer.from(Array.from({ length: 1 + int(64) }, () => int(256)));
      b = Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
    } else {
      // a central directory entry with the same fields written in both headers (sizes agree, data lies)
      const c = l.central.length ? l.central[int(l.central.length)] : -1;
      if (c < 0 || c + 46 > b.length) continue;
      const off = b.readUInt32LE(c + 42);
      if (off + 30 > b.length || b.readUInt32LE(off) !== 0x04034b50) continue;
      const pairs: [number, number, number][] = [
        [24, 22, 4],
        [20, 18, 4],
        [16, 14, 4],
        [10, 8, 2],
      ];
      const [cOff, lOff, width] = pairs[int(pairs.length)];
      const v = boundary(random, readField(b, c + cOff, width), width, b, l);
      writeField(b, c + cOff, width, v);
      writeField(b, off + lOff, width, v);
    }
  }
  return b;
}

/** Hand-made hostile zips the mutator is unlikely to reach: bombs, shared data, huge counts, deep names. */
export function specialCases(): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const data = Buffer.from('x'.repeat(1000));
  const deflated = zlib.deflateRawSync(data);
  // 65,535 central entries all pointing at one local header
  {
    const lh = localHeader({ name: 'a', method: 8, crc: crc(data), csize: deflated.length, usize: data.length });
    const central: Buffer[] = [];
    for (let i = 0; i < 0xffff; i++) {
      central.push(
        centralHeader({
          name: i ? `a${i}` : 'a',
          method: 8,
          crc: crc(data),
          csize: deflated.length,
          usize: data.length,
          external: UNIX_FILE,
          offset: 0,
        }),
      );
    }
    const cd = Buffer.concat(central);
    out.set(
      'same-data-65535',
      Buffer.concat([lh, deflated, cd, endRecord(0xffff, cd.length, lh.length + deflated.length)]),
    );
  }
  // an empty file, a lone end record, zip64 sizes of 2^63
  out.set('empty', Buffer.alloc(0));
  out.set('eocd-only', endRecord(0, 0, 0));
  {
    const extra = Buffer.alloc(4 + 16);
    extra.writeUInt16LE(1, 0);
    extra.writeUInt16LE(16, 2);
    extra.writeBigUInt64LE(1n << 63n, 4);
    extra.writeBigUInt64LE(1n << 63n, 12);
    out.set(
      'zip64-2^63',
      zipBytes([{ name: 'a', data: 'hi', method: 0, both: { csize: 0xffffffff, usize: 0xffffffff, extra } }]),
    );
  }
  // a name of 65,535 bytes, deep nesting, and a symlink target that is long and deep
  out.set('name-65535', zipBytes([{ name: `${'a/'.repeat(32766)}bc`, data: 'x' }]));
  out.set('name-long-segment', zipBytes([{ name: 'n'.repeat(65535), data: 'x' }]));
  {
    const entries = [{ name: 'dir/f', data: 'x' }] as Parameters<typeof zipBytes>[0];
    const target = `${'d/'.repeat(2000)}${'../'.repeat(2000)}f`.slice(0, 4096);
    for (let i = 0; i < 2000; i++) entries.push({ name: `dir/l${i}`, data: target, type: 'symlink', method: 8 });
    out.set('links-long-targets', zipBytes(entries));
  }
  {
    // a chain of links, each through the one before
    const entries: Parameters<typeof zipBytes>[0] = [{ name: 'f', data: 'x' }];
    for (let i = 0; i < 3000; i++)
      entries.push({ name: `l${i}`, data: i ? `l${i - 1}` : 'f', type: 'symlink', method: 0 });
    out.set('link-chain', zipBytes(entries));
  }
  // a declared-size bomb: 512 MiB declared per entry, tiny data
  out.set(
    'declared-bomb',
    zipBytes([
      { name: 'a', data: 'x', both: { usize: 512 * 1024 * 1024 } },
      { name: 'b', data: 'y', both: { usize: 500 * 1024 * 1024 } },
    ]),
  );
  void UNIX_LINK;
  return out;
}

export interface Outcome {
  ok: boolean;
  /** `opened` (and every read succeeded or was refused with a documented code), or the refusal's code. */
  result: string;
  /** Set when the rule is broken. */
  bug?: string;
}

function judge(error: unknown): Outcome {
  if (isCodesaveError(error) && ARCHIVE_CODES.has(error.code)) return { ok: true, result: error.code };
  const e = error as { name?: string; code?: string; message?: string; stack?: string };
  return {
    ok: false,
    result: 'bug',
    bug: `${e?.name}${e?.code ? ` [${e.code}]` : ''}: ${String(e?.message ?? error).slice(0, 300)}\n${e?.stack?.split('\n').slice(1, 6).join('\n') ?? ''}`,
  };
}

/** Opens `bytes` with `openArchive` (from memory, or through a file in fd mode) and reads every entry. */
export async function checkArchive(bytes: Buffer, mode: 'bytes' | 'fd' = 'bytes', file?: string): Promise<Outcome> {
  let archive: Awaited<ReturnType<typeof openArchive>>;
  try {
    if (mode === 'fd') {
      fs.writeFileSync(file!, bytes);
      archive = await openArchive(file!, { inMemoryLimit: 0 });
    } else archive = await openArchive(bytes);
  } catch (error) {
    return judge(error);
  }
  try {
    for (const e of archive.entries.values()) {
      if (e.type === 'directory') continue;
      let out: Buffer;
      try {
        out = archive.read(e.name);
      } catch (error) {
        const j = judge(error);
        if (!j.ok) return j;
        continue;
      }
      if (out.length !== e.size || crc32(out) !== e.crc32) {
        return { ok: false, result: 'bug', bug: `read('${e.name}') returned bytes that fail size/CRC` };
      }
    }
    return { ok: true, result: 'opened' };
  } finally {
    archive.close();
  }
}

/** Opens `bytes` as a codebase (verify on), the path users take. */
export async function checkCodebase(bytes: Buffer): Promise<Outcome> {
  try {
    const cb = await ZipCodebase.open(bytes);
    try {
      // the whole volume, through the codebase's fs view (this builds the memfs tree too)
      const walk = (dir: string) => {
        for (const d of cb.fs.readdirSync(dir, { withFileTypes: true })) {
          const abs = `${dir}/${d.name}`;
          if (d.isDirectory()) walk(abs);
          else if (d.isFile()) {
            try {
              cb.fs.readFileSync(abs);
            } catch (error) {
              // a file the zip gave no read permission: the volume says so, as a disk would
              if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
            }
          }
        }
      };
      try {
        walk(cb.root);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EACCES' && !isCodesaveError(error)) throw error;
        if (isCodesaveError(error) && !ARCHIVE_CODES.has(error.code)) throw error;
      }
    } finally {
      await cb.dispose();
    }
    return { ok: true, result: 'opened' };
  } catch (error) {
    return judge(error);
  }
}
