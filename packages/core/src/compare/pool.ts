/**
 * `workers: N`: cases spread over worker threads. Each worker opens its own codebases from the versions'
 * portable sources and runs whole cases (every version); the main thread judges them, so scorers stay
 * host-side. A worker that dies takes only its cases in flight with it (recorded as errors) and is replaced.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { CodebaseOptions } from '../codebase/zip-codebase.js';
import { CodesaveError, type CodesaveErrorCode } from '../errors.js';
import { loadHostBuiltin } from '../runtime/features.js';
import type { RawResult } from './case.js';
import type { Tolerance } from './diff.js';
import type { PortableVersion } from './versions.js';

export interface WorkerSetup {
  versions: PortableVersion[];
  call: string;
  seed?: number;
  timeoutMs?: number;
  repeat: number;
  tolerance: Tolerance;
  open?: CodebaseOptions;
}

export type ToWorker = { type: 'case'; index: number; args: unknown[] } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; error: { code?: string; message: string; name: string } }
  | { type: 'result'; index: number; raw: RawResult[] };

interface PoolOptions<C> extends WorkerSetup {
  workers: number;
  concurrency: number;
  cases: Iterable<C> | AsyncIterable<C>;
  argsFor: (c: C) => unknown[];
  record: (index: number, input: C, raw: RawResult[]) => void;
  signal?: AbortSignal;
}

/** The worker's entry file: next to this module (ESM build, sources), or under compare/ (CommonJS bundle). */
function workerFile(): URL {
  for (const candidate of ['./worker.js', './compare/worker.js', './worker.ts']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new CodesaveError(
    'ERR_WORKER_FAILED',
    'The compare worker script is missing from the codesave package; reinstall it.',
  );
}

/** Flags a module loader needs; the value of those given apart (`-C x`) follows them. */
const LOADER_FLAGS = /^(--conditions|-C|--import|--require|-r|--loader|--experimental-loader)(=|$)/;

/**
 * A worker inherits the process's flags by default (Node drops per-process ones itself), but refuses
 * `--input-type` (`node --input-type=module -e …` running compare()): then only loader flags are passed on.
 */
function workerExecArgv(argv: readonly string[]): string[] | undefined {
  if (!argv.some((arg) => arg.startsWith('--input-type'))) return undefined;
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const match = LOADER_FLAGS.exec(argv[i]);
    if (!match) continue;
    kept.push(argv[i]);
    if (match[2] === '' && i + 1 < argv.length) kept.push(argv[++i]);
  }
  return kept;
}

/**
 * Starts a worker. From sources (`.ts`, this repository's tests) the entry is loaded through tsx's API, since
 * a worker's own entry does not go through the `--import tsx` hooks on every Node version.
 */
function startWorker(file: URL, setup: WorkerSetup): Worker {
  const execArgv = workerExecArgv(process.execArgv);
  // worker_threads loaded only when a pool starts (with net, streams…: milliseconds at every import otherwise)
  const { Worker } = loadHostBuiltin('worker_threads') as typeof import('node:worker_threads');
  if (!file.pathname.endsWith('.ts')) return new Worker(file, { workerData: setup, execArgv });
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}); }).catch((e) => { throw e; });`;
  return new Worker(code, { eval: true, workerData: setup, execArgv });
}

/** Resolves `false` when aborted. Throws when workers cannot open the versions. */
export async function runInWorkers<C>(options: PoolOptions<C>): Promise<boolean> {
  const file = workerFile();
  const setup: WorkerSetup = {
    versions: options.versions,
    call: options.call,
    seed: options.seed,
    timeoutMs: options.timeoutMs,
    repeat: options.repeat,
    tolerance: options.tolerance,
    // functions (onWarning, hooks) cannot cross; the rest of the options can
    open: options.open
      ? (Object.fromEntries(Object.entries(options.open).filter(([, v]) => typeof v !== 'function')) as CodebaseOptions)
      : undefined,
  };
  const iterator =
    Symbol.asyncIterator in (options.cases as object)
      ? (options.cases as AsyncIterable<C>)[Symbol.asyncIterator]()
      : (options.cases as Iterable<C>)[Symbol.iterator]();
  let nextIndex = 0;
  let exhausted = false;
  let respawns = options.workers * 2;

  return new Promise<boolean>((resolve, reject) => {
    const live = new Set<{ worker: Worker; inFlight: Map<number, C>; ready: boolean }>();
    let settled = false;
    let pulling = false;
    const finish = (error: unknown, complete = true) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      for (const slot of live) void slot.worker.terminate();
      live.clear();
      void Promise.resolve(iterator.return?.()).catch(() => undefined);
      if (error) reject(error);
      else resolve(complete);
    };
    const onAbort = () => finish(undefined, false);
    if (options.signal?.aborted) return finish(undefined, false);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const pump = async () => {
      if (pulling || settled) return;
      pulling = true;
      try {
        for (const slot of live) {
          while (slot.ready && !exhausted && !settled && slot.inFlight.size < options.concurrency) {
            const next = await iterator.next();
            if (next.done) {
              exhausted = true;
              break;
            }
            const index = nextIndex++;
            const args = options.argsFor(next.value);
            slot.inFlight.set(index, next.value);
            slot.worker.postMessage({ type: 'case', index, args } satisfies ToWorker);
          }
        }
      } catch (error) {
        finish(error);
        return;
      } finally {
        pulling = false;
      }
      if (exhausted && [...live].every((s) => s.inFlight.size === 0)) finish(undefined, true);
    };

    const spawn = () => {
      const worker = startWorker(file, setup);
      const slot = { worker, inFlight: new Map<number, C>(), ready: false };
      live.add(slot);
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          slot.ready = true;
          void pump();
        } else if (message.type === 'failed') {
          const code = (message.error.code ?? 'ERR_WORKER_FAILED') as CodesaveErrorCode;
          finish(new CodesaveError(code, message.error.message));
        } else if (message.type === 'result') {
          const input = slot.inFlight.get(message.index) as C;
          slot.inFlight.delete(message.index);
          try {
            options.record(message.index, input, message.raw);
          } catch (error) {
            finish(error);
            return;
          }
          void pump();
        }
      });
      const died = (why: string) => {
        if (settled || !live.has(slot)) return;
        live.delete(slot);
        const error = { name: 'WorkerError', message: `The worker thread running this case stopped: ${why}` };
        for (const [index, input] of slot.inFlight) {
          options.record(
            index,
            input,
            setup.versions.map(() => ({ ok: false as const, error, durationMs: 0 })),
          );
        }
        if (respawns-- > 0 && !exhausted) spawn();
        else if (live.size === 0 && !exhausted)
          return finish(
            new CodesaveError(
              'ERR_WORKER_FAILED',
              `Worker threads kept stopping (${why}); run with workers: 0 to see the failure.`,
            ),
          );
        void pump();
      };
      worker.on('error', (error) => died(error.message));
      worker.on('exit', (code) => died(`exit code ${code}`));
    };
    for (let i = 0; i < options.workers; i++) spawn();
  });
}
