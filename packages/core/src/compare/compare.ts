/**
 * `compare()`: every case to every version, isolated; outputs, errors, times, agreement and diffs in one report.
 */
import type { CodebaseOptions } from '../codebase/zip-codebase.js';
import { CodesaveError } from '../errors.js';
import { type CallSpec, Invoker, resolveCall } from './call.js';
import { judgeCase, type RawResult, runCase, type Scorer } from './case.js';
import { type CasesSource, loadCases } from './cases.js';
import { type Tolerance, toTolerance } from './diff.js';
import { runInWorkers } from './pool.js';
import { type CaseReport, type CompareReport, REPORT_VERSION, type VersionMetrics } from './schema.js';
import { versionMetrics } from './stats.js';
import { nameVersions, type OpenedVersion, openVersion, type VersionsInput } from './versions.js';

/** Progress of a comparison, after each finished case. */
export interface CompareProgress {
  done: number;
  /** Known for arrays and files; `undefined` for iterables. */
  total: number | undefined;
  differ: number;
  errors: number;
}

/** Options of {@link compare}. */
export interface CompareOptions<C = any> {
  /** `{ v1: 'runs/a/codebase.zip', v2: … }` or `[paths]`; zip paths, directories, zip bytes, opened codebases. */
  versions: VersionsInput;
  /** `'module:export'` (e.g. `'src/model:score'`) or `(codebase) => fn`; the function is called once per case. */
  call: CallSpec;
  /** A `.json`/`.jsonl`/`.csv` path, an array, or an (async) iterable of cases. */
  cases: CasesSource<C>;
  /** Maps a case to the call's arguments (default: the case is the single argument). */
  args?: (testCase: C) => unknown[];
  /** The field of a case holding the gold output, or a function returning it. */
  expected?: string | ((testCase: C) => unknown);
  /** Host-side scorers: `(output, case) => number` (booleans count as 0/1); their means go in the report. */
  scorers?: Readonly<Record<string, Scorer<C>>>;
  /** Numbers are equal within it: a number sets absolute and relative tolerance (see {@link Tolerance}). */
  tolerance?: number | Partial<Tolerance>;
  /** Seeds `Math.random` of every codebase the same way, per case. Default: not seeded. */
  seed?: number;
  /** Bound on one call, synchronous or not (ms). Default: none. */
  timeoutMs?: number;
  /** Calls per case and version (the first output is kept, the median time; differing repeats are `flaky`). */
  repeat?: number;
  /** Cases in flight at once (for async calls), per thread. Default 1. */
  concurrency?: number;
  /** Spread cases over this many worker threads, each opening its own codebases (needs a string `call`). */
  workers?: number;
  /** Aborting returns the report of the cases finished so far, with `complete: false`. */
  signal?: AbortSignal;
  onProgress?: (progress: CompareProgress) => void;
  /** Options for opening each version (e.g. `dependencies`, `verify`). */
  open?: CodebaseOptions;
  /** Most changes listed per diff (default 50). */
  maxChanges?: number;
}

/**
 * Compares versions of a codebase on the same cases. One failing case never stops the run; aborting returns
 * the partial report.
 *
 * @example
 * const report = await compare({
 *   versions: { v1: 'runs/a/codebase.zip', v2: 'runs/b/codebase.zip' },
 *   call: 'src/model:score', cases: 'cases.jsonl', expected: 'label', seed: 42,
 * });
 * console.log(formatSummary(report));
 * @throws CodesaveError `ERR_BAD_OPTION`, `ERR_CASES_*`, `ERR_VERSION_OPEN`, `ERR_EXPORT_NOT_FOUND`, `ERR_NOT_CALLABLE`.
 */
export async function compare<C = any>(options: CompareOptions<C>): Promise<CompareReport> {
  const started = Date.now();
  const settings = checkOptions(options);
  const named = nameVersions(options.versions);
  const cases = await loadCases(options.cases);
  const total = Array.isArray(cases) ? cases.length : undefined;
  const expectedOf =
    options.expected === undefined
      ? undefined
      : typeof options.expected === 'function'
        ? options.expected
        : (c: C) =>
            c !== null && typeof c === 'object'
              ? (c as Record<string, unknown>)[options.expected as string]
              : undefined;
  const argsOf = options.args ?? ((c: C) => [c]);
  const names = named.map((v) => v.name);
  const judge = {
    names,
    tolerance: settings.tolerance,
    scorers: options.scorers ?? {},
    scorerNames: Object.keys(options.scorers ?? {}),
    expected: expectedOf,
    maxChanges: settings.maxChanges,
  };

  const opened: OpenedVersion[] = [];
  const invokers: Invoker[] = [];
  try {
    for (const version of named) opened.push(await openVersion(version, options.open));
    for (const version of opened) {
      const fn = await resolveCall(version.codebase, options.call, version.name);
      if (settings.workers === 0)
        invokers.push(new Invoker(version.codebase, fn, { seed: options.seed, timeoutMs: options.timeoutMs }));
    }
    const finished: CaseReport[] = [];
    let differ = 0;
    let errors = 0;
    const record = (index: number, input: C, raw: RawResult[]) => {
      const entry = judgeCase(index, input, raw, judge);
      finished.push(entry);
      if (entry.status === 'error') errors++;
      else if (entry.status === 'differ') differ++;
      options.onProgress?.({ done: finished.length, total, differ, errors });
    };
    const argsFor = (c: C) => {
      const args = argsOf(c);
      if (!Array.isArray(args))
        throw new CodesaveError('ERR_BAD_OPTION', 'args(case) must return an array of arguments.');
      return args;
    };
    let complete: boolean;
    if (settings.workers > 0) {
      if (typeof options.call !== 'string')
        throw new CodesaveError(
          'ERR_BAD_OPTION',
          "workers: give call as 'module:export' (a function cannot be sent to a worker thread).",
        );
      const unportable = opened.find((v) => !v.portable);
      if (unportable)
        throw new CodesaveError(
          'ERR_BAD_OPTION',
          `workers: version "${unportable.name}" is an opened codebase no file names; pass its zip path instead.`,
        );
      complete = await runInWorkers({
        versions: opened.map((v) => v.portable!),
        call: options.call,
        seed: options.seed,
        timeoutMs: options.timeoutMs,
        repeat: settings.repeat,
        tolerance: settings.tolerance,
        concurrency: settings.concurrency,
        workers: settings.workers,
        open: options.open,
        cases,
        argsFor,
        record,
        signal: options.signal,
      });
    } else {
      complete = await runHere(cases, invokers, settings, argsFor, record, options.signal);
    }
    finished.sort((a, b) => a.index - b.index);
    const sources = opened.map((v) => ({ label: v.label, snapshot: snapshotOf(v) }));
    const versions = versionMetrics(names, sources, finished, Object.keys(judge.scorers), expectedOf !== undefined);
    return {
      version: REPORT_VERSION,
      createdAt: new Date(started).toISOString(),
      call: typeof options.call === 'string' ? options.call : options.call.name || '(function)',
      options: {
        seed: options.seed ?? null,
        tolerance: settings.tolerance,
        repeat: settings.repeat,
        timeoutMs: options.timeoutMs ?? null,
        concurrency: settings.concurrency,
        workers: settings.workers,
        expected: typeof options.expected === 'string' ? options.expected : options.expected ? '(function)' : null,
      },
      complete,
      summary: {
        cases: finished.length,
        agree: finished.filter((c) => c.status === 'agree').length,
        differ,
        errors,
        durationMs: Date.now() - started,
      },
      versions,
      cases: finished,
    };
  } finally {
    for (const invoker of invokers) invoker.release();
    await Promise.all(opened.filter((v) => v.owned).map((v) => v.codebase.dispose()));
  }
}

function snapshotOf(version: OpenedVersion): VersionMetrics['snapshot'] {
  const m = version.codebase.manifest as {
    createdAt?: string;
    contentHash?: string;
    git?: { commit?: string; dirty?: boolean };
  };
  return {
    ...(m.createdAt ? { createdAt: m.createdAt } : {}),
    ...(m.contentHash ? { contentHash: m.contentHash } : {}),
    ...(m.git?.commit ? { gitCommit: m.git.commit } : {}),
    ...(typeof m.git?.dirty === 'boolean' ? { gitDirty: m.git.dirty } : {}),
  };
}

interface Settings {
  tolerance: Tolerance;
  repeat: number;
  concurrency: number;
  workers: number;
  maxChanges: number;
}

function checkOptions(options: CompareOptions): Settings {
  if (options === null || typeof options !== 'object')
    throw new CodesaveError('ERR_BAD_OPTION', 'compare(options): give { versions, call, cases }.');
  const whole = (name: string, value: unknown, min: number, fallback: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
      throw new CodesaveError('ERR_BAD_OPTION', `${name} must be a whole number ≥ ${min}, got ${String(value)}.`);
    return value;
  };
  if (
    options.timeoutMs !== undefined &&
    !(typeof options.timeoutMs === 'number' && options.timeoutMs > 0 && Number.isFinite(options.timeoutMs))
  )
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `timeoutMs must be a positive number of milliseconds, got ${String(options.timeoutMs)}.`,
    );
  if (options.seed !== undefined && !(typeof options.seed === 'number' && Number.isFinite(options.seed)))
    throw new CodesaveError('ERR_BAD_OPTION', `seed must be a finite number, got ${String(options.seed)}.`);
  if (options.call === undefined)
    throw new CodesaveError('ERR_BAD_OPTION', "call: give 'module:export' or (codebase) => function.");
  if (options.cases === undefined)
    throw new CodesaveError('ERR_BAD_OPTION', 'cases: give a file path, an array or an iterable.');
  for (const [name, scorer] of Object.entries(options.scorers ?? {}))
    if (typeof scorer !== 'function')
      throw new CodesaveError('ERR_BAD_OPTION', `scorers.${name} must be a function (output, case) => number.`);
  return {
    tolerance: toTolerance(options.tolerance),
    repeat: whole('repeat', options.repeat, 1, 1),
    concurrency: whole('concurrency', options.concurrency, 1, 1),
    workers: whole('workers', options.workers, 0, 0),
    maxChanges: whole('maxChanges', options.maxChanges, 1, 50),
  };
}

/** Runs the cases on this thread, `concurrency` at a time. Resolves `false` when aborted. */
async function runHere<C>(
  cases: Iterable<C> | AsyncIterable<C>,
  invokers: Invoker[],
  settings: Settings,
  argsFor: (c: C) => unknown[],
  record: (index: number, input: C, raw: RawResult[]) => void,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const iterator = iterate(cases);
  const array = Array.isArray(cases) ? (cases as C[]) : undefined;
  let index = 0;
  let aborted = signal?.aborted ?? false;
  const whenAborted = new Promise<void>((resolve) => {
    if (aborted) resolve();
    signal?.addEventListener(
      'abort',
      () => {
        aborted = true;
        resolve();
      },
      { once: true },
    );
  });
  let lastTurn = performance.now();
  const lane = async () => {
    while (!aborted) {
      let input: C;
      if (array) {
        if (index >= array.length) return;
        input = array[index];
      } else {
        const next = await iterator.next();
        if (next.done || aborted) return;
        input = next.value;
      }
      const i = index++;
      let raw = runCase(invokers, argsFor(input), i, settings.repeat, settings.tolerance, signal);
      if (raw instanceof Promise) raw = await raw;
      else if (performance.now() - lastTurn > 25) {
        // synchronous calls: give the event loop a turn now and then (an abort, Ctrl-C, progress output)
        await new Promise((resolve) => setImmediate(resolve));
        lastTurn = performance.now();
      }
      if (aborted) return; // a case cut short by the abort is left out
      record(i, input, raw);
    }
  };
  const lanes = Array.from({ length: settings.concurrency }, lane);
  try {
    await Promise.race([Promise.all(lanes), whenAborted]);
  } finally {
    await iterator.return?.();
  }
  return !aborted;
}

/** One iterator for sync and async iterables, safe to call from several lanes. */
function iterate<C>(cases: Iterable<C> | AsyncIterable<C>): {
  next(): Promise<IteratorResult<C>>;
  return?(): Promise<unknown>;
} {
  if (Array.isArray(cases)) {
    let i = 0;
    return {
      next: async () => (i < cases.length ? { done: false, value: cases[i++] } : { done: true, value: undefined }),
    };
  }
  const it =
    Symbol.asyncIterator in (cases as object)
      ? (cases as AsyncIterable<C>)[Symbol.asyncIterator]()
      : (cases as Iterable<C>)[Symbol.iterator]();
  let chain: Promise<unknown> = Promise.resolve();
  let done = false;
  return {
    next() {
      // async iterators are pulled one at a time even by several lanes
      const result = chain.then(async () => {
        if (done) return { done: true, value: undefined } as IteratorResult<C>;
        const r = await it.next();
        if (r.done) done = true;
        return r;
      });
      chain = result.catch(() => undefined);
      return result;
    },
    async return() {
      if (!done) {
        done = true;
        await it.return?.();
      }
    },
  };
}
