/**
 * The transform stage: source -> what the loaders run. ES modules (and ESM-kind TypeScript) become the
 * generator form of `esm.ts`; CommonJS-kind TypeScript/JSX becomes plain CommonJS. Results are cached by
 * content hash in memory (process-wide, so a second version of a codebase reuses the first's work) and on
 * disk under `cacheDir`; compiled scripts reuse V8's code cache for the same transformed text.
 */
import * as crypto from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { remapping } from '../../deps.js';
import { hostNodeVersion, nodeFeatures } from '../features.js';
import {
  defaultCacheDir,
  entryIntact,
  openUserCache,
  SEAL_BYTES,
  sealEntry,
  type UserCache,
  warnOnce,
} from '../user-cache.js';
import { type EsmTransform, transformEsm } from './esm.js';
import {
  encodeForm,
  formName,
  mapName,
  type PrecompiledForms,
  type PrecompiledInput,
  type PrecompiledKind,
  precompiledKey,
  transpileOptionsKey,
} from './precompiled.js';
import { type TsCompilerOptions, transformJsonModule, transformTypeScript, typeScriptKind } from './typescript.js';

export type { EsmTransform, ModuleRequest } from './esm.js';
export { transformEsm } from './esm.js';
export * as names from './names.js';
export {
  PRECOMPILED_DIR,
  PrecompiledForms,
  type PrecompiledInput,
  type PrecompiledKind,
  type PrecompiledReader,
} from './precompiled.js';
export { type TsCompilerOptions, transformTypeScript, typeScriptKind } from './typescript.js';

/** Bumped whenever the output of a transform changes, so stale disk caches are ignored. */
export const TRANSFORM_VERSION = '14';
/** TypeScript output depends on the running Node too (esbuild lowers what it lacks, as tsx does). */
export const TS_TARGET = `node${hostNodeVersion}`;

export interface TransformCacheOptions {
  /** Directory for cached transforms and V8 code caches; `false` disables the disk cache. */
  cacheDir?: string | false;
  /**
   * Which pack file of `cacheDir` this transformer reads and writes: one per codebase (its virtual root), so a
   * load reads one file instead of two per module. Entries inside are keyed by content hash.
   */
  pack?: string;
  /**
   * The precompiled forms of the snapshot being loaded (`checkpoint`'s `.codesave/precompiled/`): on a miss of the
   * memory and disk caches, a form for the same key is used instead of transforming. Hits are not copied into the
   * disk cache (the zip holds them); V8 code caches are made for them as for any script.
   */
  precompiled?: PrecompiledForms;
}

export { defaultCacheDir } from '../user-cache.js';

/** Measured: on Node 20 a script compiled with `cachedData` reports the producer's file name in stack traces. */
const CODE_CACHE_KEEPS_NAME = nodeFeatures.codeCacheKeepsFileName;

const memoryEsm = new Map<string, EsmTransform>();
const memoryCjs = new Map<string, string>();
const memoryCodeCache = new Map<string, Buffer>();
/**
 * What identifies a transformed text: the key of the transform that made it (the text is a function of that
 * key), so no pass of sha256 over it. The same string comes back from the transform cache for a second
 * version, and V8 hashes a string once: a lookup here is cheap.
 */
const codeKeys = new Map<string, string>();

/** Entries kept per memory cache: the oldest go first (a process opening many different codebases stays bounded). */
const MEMORY_ENTRIES = 20_000;

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  cache.delete(key);
  cache.set(key, value);
  if (cache.size > MEMORY_ENTRIES) cache.delete(cache.keys().next().value as string);
}

/** One-shot `crypto.hash` where the running Node has it (≥ 20.12): no Hash object per key. */
type OneShot = (algorithm: string, data: string, encoding: 'hex') => string;
let oneShot: OneShot | null | undefined;
/** Looked up on first use: node:crypto loads then. */
const oneShotHash = (): OneShot | null => (oneShot ??= (crypto as { hash?: OneShot }).hash ?? null);

const hash = (...parts: string[]): string => {
  const one = oneShotHash();
  if (one) return one('sha256', `${parts.join('\0')}\0`, 'hex').slice(0, 40);
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 40);
};

/** `jsx: react-jsxdev` writes each element's file name into the output: such a transform belongs to one path. */
const namedInOutput = (ts: TsCompilerOptions) => ts.jsx === 'react-jsxdev';

export class Transformer {
  readonly cacheDir: string | undefined;
  /** Counters for tests and benchmarks. */
  readonly stats = {
    transformed: 0,
    memoryHits: 0,
    diskHits: 0,
    /** Transforms taken from the snapshot's precompiled forms, and source maps read from them. */
    precompiledHits: 0,
    precompiledMaps: 0,
    codeCacheHits: 0,
    codeCacheMisses: 0,
  };

  readonly #pack: Pack | undefined;
  readonly #precompiled: PrecompiledForms | undefined;

  constructor(options: TransformCacheOptions = {}) {
    // a directory others could write is refused (one warning): no disk cache then, only slower
    const dir = options.cacheDir === false ? undefined : (options.cacheDir ?? defaultCacheDir());
    const cache = dir ? openUserCache(dir) : undefined;
    this.cacheDir = cache?.dir;
    this.#pack = cache ? Pack.of(cache, options.pack ?? '') : undefined;
    this.#precompiled = options.precompiled;
  }

  /**
   * An ES module (`.mjs`, `.js` under `"type": "module"`, `.mts`, ESM-kind `.ts/.tsx`) in generator form.
   * `contentHash`: the source's sha256 when already known (verified from the manifest), so it is not hashed again.
   */
  esm(path: string, source: string, ts: TsCompilerOptions = {}, contentHash?: string): EsmTransform {
    const isTs = typeScriptKind(path).ts || path.endsWith('.jsx');
    const isJson = path.endsWith('.json');
    const key = hash(
      'esm',
      TRANSFORM_VERSION,
      isTs ? `ts:${path.endsWith('x') ? 'x' : ''}` : isJson ? 'json' : 'js',
      isTs ? `${TS_TARGET}:${JSON.stringify(ts)}` : '',
      contentHash === undefined ? source : `sha256:${contentHash}`,
      namedInOutput(ts) ? path : '',
    );
    const cached = memoryEsm.get(key);
    if (cached) {
      this.stats.memoryHits++;
      this.#pack?.add(`${key}.json`, () => Buffer.from(JSON.stringify(cached)));
      remember(codeKeys, cached.code, key);
      return cached;
    }
    const fromDisk = this.#pack?.get(`${key}.json`);
    if (fromDisk) {
      let value: EsmTransform | undefined;
      try {
        value = JSON.parse(fromDisk.toString('utf8')) as EsmTransform;
      } catch {}
      if (value) {
        this.stats.diskHits++;
        remember(memoryEsm, key, value);
        remember(codeKeys, value.code, key);
        this.#pack!.keep(`${key}.json`, fromDisk);
        return value;
      }
    }
    const input = isJson ? undefined : esmInput(path, isTs);
    const precompiled =
      input && this.#precompiled && !namedInOutput(ts)
        ? this.#precompiled.esm(input, isTs ? ts : undefined, contentHash ?? sha256(source), source)
        : undefined;
    if (precompiled) {
      this.stats.precompiledHits++;
      remember(memoryEsm, key, precompiled);
      remember(codeKeys, precompiled.code, key);
      return precompiled;
    }
    this.stats.transformed++;
    const value = isJson
      ? transformEsm(transformJsonModule(source, path), path)
      : compileEsm(path, source, isTs, ts).value;
    remember(memoryEsm, key, value);
    remember(codeKeys, value.code, key);
    this.#pack?.add(`${key}.json`, () => Buffer.from(JSON.stringify(value)));
    return value;
  }

  /**
   * The source map of {@link esm}'s output for this source (recomputed on demand: only a stack trace needs it),
   * composed with the TypeScript step's. Generated positions are those of the whole script, wrapper line included.
   */
  esmSourceMap(path: string, source: string, ts: TsCompilerOptions = {}): string {
    if (path.endsWith('.json')) return transformEsm(transformJsonModule(source, path), path, { sourceMap: true }).map!;
    const isTs = typeScriptKind(path).ts || path.endsWith('.jsx');
    if (this.#precompiled && isTs && !namedInOutput(ts)) {
      const stored = this.#precompiled.map('esm', esmInput(path, isTs), isTs ? ts : undefined, sha256(source), source);
      if (stored !== undefined) {
        this.stats.precompiledMaps++;
        return stored;
      }
    }
    return esmSourceMapOf(path, source, isTs, ts);
  }

  /** The source map of {@link cjs}'s output (TypeScript/JSX -> CommonJS). */
  cjsSourceMap(path: string, source: string, ts: TsCompilerOptions = {}): string | undefined {
    if (this.#precompiled && !namedInOutput(ts)) {
      const stored = this.#precompiled.map('cjs', cjsInput(path), ts, sha256(source), source);
      if (stored !== undefined) {
        this.stats.precompiledMaps++;
        return stored;
      }
    }
    return transformTypeScript(source, path, 'commonjs', ts, { sourceMap: true }).map;
  }

  /** A TypeScript/JSX file `require` loads as CommonJS: plain CommonJS JavaScript. */
  cjs(path: string, source: string, ts: TsCompilerOptions = {}): string {
    const key = hash(
      'cjs',
      TRANSFORM_VERSION,
      TS_TARGET,
      path.endsWith('x') ? 'x' : '',
      JSON.stringify(ts),
      source,
      namedInOutput(ts) ? path : '',
    );
    const cached = memoryCjs.get(key);
    if (cached !== undefined) {
      this.stats.memoryHits++;
      this.#pack?.add(`${key}.cjs`, () => Buffer.from(cached));
      return cached;
    }
    const fromDisk = this.#pack?.get(`${key}.cjs`);
    if (fromDisk) {
      this.stats.diskHits++;
      const value = fromDisk.toString('utf8');
      remember(memoryCjs, key, value);
      this.#pack!.keep(`${key}.cjs`, fromDisk);
      return value;
    }
    const precompiled =
      this.#precompiled && !namedInOutput(ts)
        ? this.#precompiled.cjs(cjsInput(path), ts, sha256(source), source)
        : undefined;
    if (precompiled !== undefined) {
      this.stats.precompiledHits++;
      remember(memoryCjs, key, precompiled);
      return precompiled;
    }
    this.stats.transformed++;
    const value = transformTypeScript(source, path, 'commonjs', ts).code;
    remember(memoryCjs, key, value);
    this.#pack?.add(`${key}.cjs`, () => Buffer.from(value));
    return value;
  }

  /**
   * Compiles a script for `context` (the host context when undefined), reusing V8's code cache for the same
   * text across codebases and processes.
   */
  script(code: string, filename: string, lineOffset: number): vm.Script {
    // Node 20's V8 keeps the producer's script name in deserialized code: stack traces of a second version
    // would show the first one's paths. There the cache is reused only for the same file name.
    let codeKey = codeKeys.get(code);
    if (codeKey === undefined) {
      codeKey = hash(code);
      remember(codeKeys, code, codeKey);
    }
    const key = hash('v8', `v${hostNodeVersion}`, codeKey, CODE_CACHE_KEEPS_NAME ? filename : '');
    const name = `${key}.v8`;
    let cachedData = memoryCodeCache.get(key);
    if (!cachedData) {
      // A script compiled earlier in this process whose code cache is not produced yet (see below).
      const pending = pendingCodeCaches.get(key);
      if (pending) cachedData = produceCodeCache(key, pending);
    }
    let fromPack = false;
    if (!cachedData) {
      cachedData = this.#pack?.get(name);
      fromPack = cachedData !== undefined;
    }
    const script = new vm.Script(code, {
      filename,
      lineOffset,
      ...(cachedData ? { cachedData } : {}),
    });
    if (cachedData && !script.cachedDataRejected) {
      this.stats.codeCacheHits++;
      remember(memoryCodeCache, key, cachedData);
      if (fromPack) this.#pack!.keep(name, cachedData);
      else {
        const data = cachedData;
        this.#pack?.add(name, () => data);
      }
    } else {
      this.stats.codeCacheMisses++;
      // Produced once loading is quiet (or when another codebase compiles the same text first): by then the
      // functions that ran are compiled and in it, and producing it is not on the load's path.
      pendingCodeCaches.set(key, script);
      if (pendingCodeCaches.size > PENDING_CODE_CACHES) {
        const [oldest, oldestScript] = pendingCodeCaches.entries().next().value!;
        produceCodeCache(oldest, oldestScript);
      }
      this.#pack?.add(name, () => {
        const data = memoryCodeCache.get(key) ?? produceCodeCache(key, pendingCodeCaches.get(key));
        return data ?? Buffer.alloc(0);
      });
    }
    schedule();
    return script;
  }
}

/** The sha256 of a source's UTF-8 bytes (what the manifest lists for the file it was read from). */
const sha256 = (source: string): string => {
  const one = oneShotHash();
  return one ? one('sha256', source, 'hex') : crypto.createHash('sha256').update(source).digest('hex');
};

/** The input class of an ES module's transform: `.tsx`/`.jsx` compile JSX, other TypeScript does not. */
const esmInput = (path: string, isTs: boolean): PrecompiledInput => (isTs ? (path.endsWith('x') ? 'tsx' : 'ts') : 'js');
/** CommonJS-kind TypeScript: a `.cts` file gets no `import.meta` stand-in (see typescript.ts). */
const cjsInput = (path: string): PrecompiledInput =>
  path.endsWith('.cts') ? 'cts' : path.endsWith('x') ? 'tsx' : 'ts';

/** What {@link Transformer.esm} makes of a source on a miss; `esbuild`: whether esbuild (target-dependent) ran. */
function compileEsm(
  path: string,
  source: string,
  isTs: boolean,
  ts: TsCompilerOptions,
): { value: EsmTransform; esbuild: boolean } {
  if (!isTs) return { value: transformEsm(source, path), esbuild: false };
  const js = transformTypeScript(source, path, 'module', ts);
  return { value: transformEsm(js.code, path), esbuild: !js.linesPreserved };
}

/** The source map of {@link compileEsm}'s output. */
function esmSourceMapOf(path: string, source: string, isTs: boolean, ts: TsCompilerOptions): string {
  if (!isTs) return transformEsm(source, path, { sourceMap: true }).map!;
  const js = transformTypeScript(source, path, 'module', ts, { sourceMap: true });
  const esm = transformEsm(js.code, path, { sourceMap: true });
  return String(remapping()([esm.map!, js.map!], () => null));
}

/** One file `checkpoint` precompiles: its zip path, text, sha256, and how the loader will run it. */
export interface PrecompileInput {
  path: string;
  source: string;
  sha256: string;
  /** `esm`: an ES module or ESM-kind TypeScript/JSX; `cjs`: CommonJS-kind TypeScript/JSX. */
  kind: PrecompiledKind;
  /** The compiler options the loader will use for it (TypeScript/JSX only). */
  ts?: TsCompilerOptions;
}

/**
 * The entries of a file's precompiled form (its form and its source map), made by the very functions the loader
 * runs on a miss, named by {@link precompiledKey}. `undefined` when the file has no form: it does not transform
 * (the loader then reports the error itself, as its Node words it), or its output names its path
 * (`jsx: react-jsxdev`).
 */
export function precompileSource(file: PrecompileInput): { name: string; bytes: Buffer }[] | undefined {
  const { path, source, kind } = file;
  const isTs = typeScriptKind(path).ts || path.endsWith('.jsx');
  const ts = file.ts ?? {};
  if (namedInOutput(ts) || (kind === 'cjs' && !isTs)) return undefined;
  const input = kind === 'esm' ? esmInput(path, isTs) : cjsInput(path);
  const key = precompiledKey(
    TRANSFORM_VERSION,
    kind,
    input,
    transpileOptionsKey(input, isTs ? ts : undefined),
    file.sha256,
  );
  const header = { version: TRANSFORM_VERSION, sha256: file.sha256 };
  let form: Buffer;
  let map: string | undefined;
  try {
    if (kind === 'esm') {
      const { value, esbuild } = compileEsm(path, source, isTs, ts);
      const { code, ...rest } = value;
      form = encodeForm({ ...header, target: esbuild ? TS_TARGET : null, transform: rest }, code);
      // JavaScript: no stored map (see precompiled.ts); the loader recomputes one when a stack trace needs it.
      if (isTs) map = esmSourceMapOf(path, source, isTs, ts);
    } else {
      const out = transformTypeScript(source, path, 'commonjs', ts);
      form = encodeForm({ ...header, target: out.linesPreserved ? null : TS_TARGET }, out.code);
      map = transformTypeScript(source, path, 'commonjs', ts, { sourceMap: true }).map;
    }
  } catch {
    return undefined;
  }
  const entries = [{ name: formName(TRANSFORM_VERSION, kind, key), bytes: form }];
  if (map !== undefined) entries.push({ name: mapName(TRANSFORM_VERSION, key), bytes: Buffer.from(map) });
  return entries;
}

/** Scripts whose V8 code cache is produced when loading is quiet, by cache key (at most a few thousand). */
const pendingCodeCaches = new Map<string, vm.Script>();
const PENDING_CODE_CACHES = 5_000;

function produceCodeCache(key: string, script: vm.Script | undefined): Buffer | undefined {
  pendingCodeCaches.delete(key);
  if (!script) return undefined;
  try {
    const data = script.createCachedData();
    remember(memoryCodeCache, key, data);
    return data;
  } catch {
    return undefined;
  }
}

const PACK_MAGIC = 'codesave-pack-2\n';
/** Entries a pack keeps at most (a codebase's own files: far fewer). */
const PACK_ENTRIES = 50_000;

/**
 * One cache file per codebase: `<cacheDir>/packs/<hash of the pack name>.pack` — a magic line, a 4-byte index
 * length, the index (JSON `[name, offset, length][]`), the entries' bytes, and a seal: HMAC-SHA256 under the
 * user's key (user-cache.ts) over everything before it. Read whole on first use (one read instead of two files per
 * module) and authenticated as a whole — one HMAC per pack, measured ~5× cheaper than one per entry for lodash-es's
 * 1,300 entries; a pack whose seal fails is ignored (its entries recomputed from the verified source) and reported
 * once. Rewritten atomically (temp file + rename) when loading is quiet and something was added. Entries are keyed
 * by content hash (of the verified source), so a stale or foreign entry is never used for the wrong text. Two
 * processes writing the same pack: the last rename wins, and both files were whole.
 */
class Pack {
  static #open = new Map<string, Pack>();

  static of(cache: UserCache, name: string): Pack {
    const file = join(cache.dir, 'packs', `${hash('pack', TRANSFORM_VERSION, name).slice(0, 32)}.pack`);
    let pack = Pack.#open.get(file);
    if (!pack || pack.cache.key !== cache.key) {
      pack = new Pack(file, cache);
      Pack.#open.set(file, pack);
    }
    return pack;
  }

  /** Entries read from the file (undefined until first used). */
  #read: Map<string, Buffer> | undefined;
  /** Entries the next write holds: read ones still used or kept, and new ones (produced when written). */
  #entries = new Map<string, Buffer | (() => Buffer)>();
  #dirty = false;

  private constructor(
    readonly file: string,
    readonly cache: UserCache,
  ) {}

  get(name: string): Buffer | undefined {
    this.#use();
    return this.#read!.get(name);
  }

  /** An entry read from the file stays in it. */
  keep(name: string, data: Buffer): void {
    if (!this.#entries.has(name)) this.#entries.set(name, data);
  }

  /** Read on first use; held in memory only until the next quiet moment ({@link release}). */
  #use(): void {
    if (this.#read) return;
    this.#read = this.#load();
    activePacks.add(this);
    schedule();
  }

  /** Drops what this pack holds in memory (read again from the file when a codebase asks again). */
  release(): void {
    this.#read = undefined;
    this.#entries = new Map();
    this.#dirty = false;
  }

  /** An entry the file may lack: written (its bytes produced) at the next flush if it does. */
  add(name: string, data: () => Buffer): void {
    if (this.#entries.has(name)) return;
    this.#entries.set(name, data);
    this.#use();
    if (!this.#read!.has(name)) this.#dirty = true;
  }

  #load(): Map<string, Buffer> {
    const entries = new Map<string, Buffer>();
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.file);
    } catch {
      return entries;
    }
    try {
      const magic = Buffer.byteLength(PACK_MAGIC);
      if (bytes.toString('latin1', 0, magic) !== PACK_MAGIC) return entries;
      const end = bytes.length - SEAL_BYTES;
      if (end < magic + 4 || !entryIntact(this.cache, PACK_MAGIC, bytes.subarray(0, end), bytes.subarray(end))) {
        warnOnce(
          `pack:${this.file}`,
          'CODESAVE_CACHE_ENTRY_REJECTED',
          `codesave: the cache file ${this.file} failed its authentication (it changed since codesave wrote it): ignored, and its transforms recomputed from the verified source. Nothing from it ran.`,
        );
        this.#dirty = true; // rewritten with what this process computes
        return entries;
      }
      const indexLength = bytes.readUInt32LE(magic);
      const dataStart = magic + 4 + indexLength;
      const index = JSON.parse(bytes.toString('utf8', magic + 4, dataStart)) as [string, number, number][];
      for (const [name, offset, length] of index) {
        if (typeof name !== 'string' || !Number.isInteger(offset) || !Number.isInteger(length)) return new Map();
        if (offset < 0 || length < 0 || dataStart + offset + length > end) return new Map();
        entries.set(name, bytes.subarray(dataStart + offset, dataStart + offset + length));
      }
    } catch {
      return new Map();
    }
    return entries;
  }

  /** Writes the pack when something was added: what the file held (up to a bound) plus this process's entries. */
  write(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const all = new Map<string, Buffer>();
    for (const [name, data] of this.#entries) {
      const bytes = typeof data === 'function' ? data() : data;
      if (bytes.length === 0) continue;
      this.#entries.set(name, bytes);
      all.set(name, bytes);
    }
    // Entries of the file this process did not use are kept up to about as many again as it used (a zip
    // rewritten in place keeps roughly its previous version, not every version it ever had); they come from a
    // file whose seal was checked.
    const limit = Math.min(PACK_ENTRIES, 2 * all.size + 1_000);
    for (const [name, data] of this.#read ?? []) {
      if (all.size >= limit) break;
      if (!all.has(name)) all.set(name, data);
    }
    if (all.size === 0) return;
    const index: [string, number, number][] = [];
    let offset = 0;
    for (const [name, data] of all) {
      index.push([name, offset, data.length]);
      offset += data.length;
    }
    const indexBytes = Buffer.from(JSON.stringify(index));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(indexBytes.length);
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      const body = Buffer.concat([Buffer.from(PACK_MAGIC), length, indexBytes, ...all.values()]);
      writeFileSync(tmp, Buffer.concat([body, sealEntry(this.cache, PACK_MAGIC, body)]), { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch {
      // A cache that cannot be written is only slower.
    }
  }
}

/**
 * Packs with new entries are written, and pending code caches produced, once loading has been quiet for a
 * moment (or the process is about to exit): doing it during a load would slow the load that produced them.
 */
const WRITE_DELAY_MS = 300;
/** Packs read since the last flush: written if something was added, then released. */
const activePacks = new Set<Pack>();
let flushTimer: NodeJS.Timeout | undefined;
let exitHook = false;

/** When the last load activity was: the timer checks it when it fires (re-arming a timer per module cost more). */
let lastActivity = 0;

function schedule(): void {
  lastActivity = performance.now();
  if (flushTimer) return;
  flushTimer = setTimeout(flushWhenQuiet, WRITE_DELAY_MS);
  flushTimer.unref();
  if (!exitHook) {
    exitHook = true;
    process.on('beforeExit', flushWrites);
    // `process.exit()` (most harnesses end so) skips 'beforeExit'; 'exit' still runs synchronous work, and every
    // write here is synchronous. A failure there must not replace the exit the program asked for.
    process.on('exit', flushOnExit);
  }
}

function flushOnExit(): void {
  try {
    flushWrites();
  } catch {}
}

function flushWhenQuiet(): void {
  const quietFor = performance.now() - lastActivity;
  if (quietFor >= WRITE_DELAY_MS) flushWrites();
  else {
    flushTimer = setTimeout(flushWhenQuiet, WRITE_DELAY_MS - quietFor);
    flushTimer.unref();
  }
}

function flushWrites(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = undefined;
  for (const [key, script] of pendingCodeCaches) produceCodeCache(key, script);
  for (const pack of [...activePacks]) {
    activePacks.delete(pack);
    pack.write();
    pack.release();
  }
}

/** Writes pending cache files now (tests, benchmarks, before a process exits on its own terms). */
export function flushTransformCache(): void {
  flushWrites();
}

/** Drops the process-wide memory caches (tests and benchmarks). */
export function clearMemoryCaches(): void {
  memoryEsm.clear();
  memoryCjs.clear();
  memoryCodeCache.clear();
  codeKeys.clear();
  pendingCodeCaches.clear();
}
