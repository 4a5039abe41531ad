/**
 * The transform stage: source -> what the loaders run. ES modules (and ESM-kind TypeScript) become the
 * generator form of `esm.ts`; CommonJS-kind TypeScript/JSX becomes plain CommonJS. Results are cached by
 * content hash in memory (process-wide, so a second version of a codebase reuses the first's work) and on
 * disk under `cacheDir`; compiled scripts reuse V8's code cache for the same transformed text.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import remapping from '@jridgewell/remapping';
import { nodeFeatures } from '../features.js';
import { type EsmTransform, transformEsm } from './esm.js';
import { type TsCompilerOptions, transformTypeScript, typeScriptKind } from './typescript.js';

export type { EsmTransform, ModuleRequest } from './esm.js';
export { transformEsm } from './esm.js';
export * as names from './names.js';
export { type TsCompilerOptions, transformTypeScript, typeScriptKind } from './typescript.js';

/** Bumped whenever the output of a transform changes, so stale disk caches are ignored. */
const TRANSFORM_VERSION = '3';

export interface TransformCacheOptions {
  /** Directory for cached transforms and V8 code caches; `false` disables the disk cache. */
  cacheDir?: string | false;
}

/** The default cache directory: under the OS temp dir, shared by every process of the user. */
export function defaultCacheDir(): string {
  return join(tmpdir(), 'codesave-cache');
}

/** Measured: on Node 20 a script compiled with `cachedData` reports the producer's file name in stack traces. */
const CODE_CACHE_KEEPS_NAME = nodeFeatures.major < 22;

const memoryEsm = new Map<string, EsmTransform>();
const memoryCjs = new Map<string, string>();
const memoryCodeCache = new Map<string, Buffer>();

/** Entries kept per memory cache: the oldest go first (a process opening many different codebases stays bounded). */
const MEMORY_ENTRIES = 20_000;

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  cache.delete(key);
  cache.set(key, value);
  if (cache.size > MEMORY_ENTRIES) cache.delete(cache.keys().next().value as string);
}

const hash = (...parts: string[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 40);
};

export class Transformer {
  readonly cacheDir: string | undefined;
  /** Counters for tests and benchmarks. */
  readonly stats = { transformed: 0, memoryHits: 0, diskHits: 0, codeCacheHits: 0, codeCacheMisses: 0 };

  constructor(options: TransformCacheOptions = {}) {
    this.cacheDir = options.cacheDir === false ? undefined : (options.cacheDir ?? defaultCacheDir());
  }

  /** An ES module (`.mjs`, `.js` under `"type": "module"`, `.mts`, ESM-kind `.ts/.tsx`) in generator form. */
  esm(path: string, source: string, ts: TsCompilerOptions = {}): EsmTransform {
    const isTs = typeScriptKind(path).ts || path.endsWith('.jsx');
    const key = hash(
      'esm',
      TRANSFORM_VERSION,
      isTs ? `ts:${path.endsWith('x') ? 'x' : ''}` : 'js',
      isTs ? JSON.stringify(ts) : '',
      source,
    );
    const cached = memoryEsm.get(key);
    if (cached) {
      this.stats.memoryHits++;
      return cached;
    }
    const fromDisk = this.#readDisk(`${key}.json`);
    if (fromDisk) {
      this.stats.diskHits++;
      const value = JSON.parse(fromDisk.toString('utf8')) as EsmTransform;
      remember(memoryEsm, key, value);
      return value;
    }
    this.stats.transformed++;
    const js = isTs ? transformTypeScript(source, path, 'module', ts).code : source;
    const value = transformEsm(js, path);
    remember(memoryEsm, key, value);
    this.#writeDisk(`${key}.json`, JSON.stringify(value));
    return value;
  }

  /**
   * The source map of {@link esm}'s output for this source (recomputed on demand: only a stack trace needs it),
   * composed with the TypeScript step's. Generated positions are those of the whole script, wrapper line included.
   */
  esmSourceMap(path: string, source: string, ts: TsCompilerOptions = {}): string {
    if (!typeScriptKind(path).ts && !path.endsWith('.jsx')) return transformEsm(source, path, { sourceMap: true }).map!;
    const js = transformTypeScript(source, path, 'module', ts, { sourceMap: true });
    const esm = transformEsm(js.code, path, { sourceMap: true });
    return String(remapping([esm.map!, js.map!], () => null));
  }

  /** The source map of {@link cjs}'s output (TypeScript/JSX -> CommonJS). */
  cjsSourceMap(path: string, source: string, ts: TsCompilerOptions = {}): string | undefined {
    return transformTypeScript(source, path, 'commonjs', ts, { sourceMap: true }).map;
  }

  /** A TypeScript/JSX file `require` loads as CommonJS: plain CommonJS JavaScript. */
  cjs(path: string, source: string, ts: TsCompilerOptions = {}): string {
    const key = hash('cjs', TRANSFORM_VERSION, path.endsWith('x') ? 'x' : '', JSON.stringify(ts), source);
    const cached = memoryCjs.get(key);
    if (cached !== undefined) {
      this.stats.memoryHits++;
      return cached;
    }
    const fromDisk = this.#readDisk(`${key}.cjs`);
    if (fromDisk) {
      this.stats.diskHits++;
      const value = fromDisk.toString('utf8');
      remember(memoryCjs, key, value);
      return value;
    }
    this.stats.transformed++;
    const value = transformTypeScript(source, path, 'commonjs', ts).code;
    remember(memoryCjs, key, value);
    this.#writeDisk(`${key}.cjs`, value);
    return value;
  }

  /**
   * Compiles a script for `context` (the host context when undefined), reusing V8's code cache for the same
   * text across codebases and processes.
   */
  script(code: string, filename: string, lineOffset: number): vm.Script {
    // Node 20's V8 keeps the producer's script name in deserialized code: stack traces of a second version
    // would show the first one's paths. There the cache is reused only for the same file name.
    const key = hash('v8', process.version, code, CODE_CACHE_KEEPS_NAME ? filename : '');
    let cachedData = memoryCodeCache.get(key);
    if (!cachedData) {
      const disk = this.#readDisk(`${key}.v8`);
      if (disk) cachedData = disk;
    }
    const script = new vm.Script(code, {
      filename,
      lineOffset,
      ...(cachedData ? { cachedData } : {}),
    });
    if (cachedData && !script.cachedDataRejected) {
      this.stats.codeCacheHits++;
      remember(memoryCodeCache, key, cachedData);
    } else {
      this.stats.codeCacheMisses++;
      // Produced after the first run, when the lazily compiled functions are in it.
      queueMicrotask(() => {
        try {
          const data = script.createCachedData();
          remember(memoryCodeCache, key, data);
          this.#writeDisk(`${key}.v8`, data);
        } catch {}
      });
    }
    return script;
  }

  #readDisk(name: string): Buffer | undefined {
    if (!this.cacheDir) return undefined;
    try {
      return readFileSync(join(this.cacheDir, name.slice(0, 2), name));
    } catch {
      return undefined;
    }
  }

  /**
   * Queues a cache file. Writes wait until loading has been quiet for a moment (or the process is about to
   * exit): a burst of file writes during a load would slow the load that produced them.
   */
  #writeDisk(name: string, data: string | Buffer): void {
    if (!this.cacheDir) return;
    pendingWrites.push([this.cacheDir, name, data]);
    flushTimer?.refresh();
    if (flushTimer) return;
    flushTimer = setTimeout(flushWrites, WRITE_DELAY_MS);
    flushTimer.unref();
    if (!exitHook) {
      exitHook = true;
      process.once('beforeExit', flushWrites);
    }
  }
}

const WRITE_DELAY_MS = 300;
const pendingWrites: [dir: string, name: string, data: string | Buffer][] = [];
const readyDirs = new Set<string>();
let flushTimer: NodeJS.Timeout | undefined;
let exitHook = false;

/** Writes the queued cache files (each atomically: temp file + rename). */
function flushWrites(): void {
  flushTimer = undefined;
  for (const [cacheDir, name, data] of pendingWrites.splice(0)) {
    try {
      const dir = join(cacheDir, name.slice(0, 2));
      if (!readyDirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        readyDirs.add(dir);
      }
      const tmp = join(dir, `${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
      writeFileSync(tmp, data);
      renameSync(tmp, join(dir, name));
    } catch {
      // A cache that cannot be written is only slower.
    }
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
}
