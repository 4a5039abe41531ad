/**
 * One case, two steps. `runCase` calls every version (in a worker thread or the main one) and returns raw
 * results; `judgeCase` (always on the main thread, where scorers live) groups agreeing versions, diffs outputs
 * against the first version, scores and checks the expected value.
 */
import type { CallResult, Invoker } from './call.js';
import type { ErrorData } from './data.js';
import { diffOutputs, outputsEqual, type Tolerance } from './diff.js';
import type { CaseReport, VersionResult } from './schema.js';
import { median } from './stats.js';

/** A raw result of one version on one case. */
export type RawResult = CallResult & { flaky?: true };

/**
 * Calls each version in turn (`repeat` times each: the first output is kept, the median time). Synchronous
 * answers give a synchronous result; the first promise makes the rest asynchronous.
 */
export function runCase(
  invokers: readonly Invoker[],
  args: readonly unknown[],
  key: number,
  repeat: number,
  tolerance: Tolerance,
  signal?: AbortSignal,
): RawResult[] | Promise<RawResult[]> {
  const results: RawResult[] = [];
  for (let i = 0; i < invokers.length; i++) {
    const first = invokers[i].call(args, key, signal);
    if (first instanceof Promise || repeat > 1)
      return finishAsync(invokers, args, key, repeat, tolerance, signal, results, i, first);
    results.push(first);
  }
  return results;
}

async function finishAsync(
  invokers: readonly Invoker[],
  args: readonly unknown[],
  key: number,
  repeat: number,
  tolerance: Tolerance,
  signal: AbortSignal | undefined,
  results: RawResult[],
  from: number,
  pending: CallResult | Promise<CallResult>,
): Promise<RawResult[]> {
  for (let i = from; i < invokers.length; i++) {
    const first = await (i === from ? pending : invokers[i].call(args, key, signal));
    if (repeat === 1) {
      results.push(first);
      continue;
    }
    const durations = [first.durationMs];
    let flaky = false;
    for (let r = 1; r < repeat; r++) {
      const again = await invokers[i].call(args, key, signal);
      durations.push(again.durationMs);
      if (!flaky) flaky = !sameResult(first, again, tolerance);
    }
    results.push({ ...first, durationMs: median(durations), ...(flaky ? { flaky: true as const } : {}) });
  }
  return results;
}

function sameResult(a: CallResult, b: CallResult, tolerance: Tolerance): boolean {
  if (a.ok && b.ok) return outputsEqual(a.output, b.output, tolerance);
  if (!a.ok && !b.ok) return sameError(a.error, b.error);
  return false;
}

const sameError = (a: ErrorData, b: ErrorData) => a.name === b.name && a.message === b.message;

/** A host-side scorer: a number per output (`NaN`, non-numbers and throws are recorded as `null`). */
export type Scorer<C = any> = (output: any, testCase: C, context: { version: string }) => unknown;

export interface JudgeOptions<C> {
  names: readonly string[];
  tolerance: Tolerance;
  scorers: Readonly<Record<string, Scorer<C>>>;
  /** The case's expected value, `undefined` when none. */
  expected?: (testCase: C) => unknown;
  maxChanges: number;
  /** `Object.keys(scorers)`, computed once. */
  scorerNames?: readonly string[];
}

/** Turns raw results into the case's report entry. */
export function judgeCase<C>(index: number, input: C, raw: readonly RawResult[], options: JudgeOptions<C>): CaseReport {
  const { names, tolerance } = options;
  const n = raw.length;
  // group versions by agreement: each joins the first group whose representative it equals
  const groups: number[] = new Array(n);
  const reps: number[] = [];
  let failed = false;
  let split = false;
  for (let i = 0; i < n; i++) {
    if (!raw[i].ok) failed = true;
    let group = -1;
    for (let g = 0; g < reps.length; g++) {
      if (sameResult(raw[reps[g]], raw[i], tolerance)) {
        group = g;
        break;
      }
    }
    if (group < 0) {
      group = reps.length;
      reps.push(i);
    }
    if (group !== 0) split = true;
    groups[i] = group;
  }
  const expected = options.expected?.(input);
  const hasExpected = options.expected !== undefined && expected !== undefined;
  const scorerNames = options.scorerNames ?? Object.keys(options.scorers);
  const results: VersionResult[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = raw[i];
    // the raw result becomes the report's entry in place (one object less per call)
    const result = r as VersionResult;
    result.version = names[i];
    if (scorerNames.length && r.ok) result.scores = score(options, scorerNames, r.output, input, names[i]);
    if (hasExpected) result.matchesExpected = r.ok && outputsEqual(r.output, expected, tolerance);
    results[i] = result;
  }
  const diffs: CaseReport['diffs'] = [];
  const base = raw[0];
  for (let i = 1; split && i < n; i++) {
    const other = raw[i];
    if (groups[i] === groups[0] || !base.ok || !other.ok) continue;
    const diff = diffOutputs(base.output, other.output, tolerance, options.maxChanges);
    diffs.push({ from: names[0], to: names[i], changes: diff.changes, truncated: diff.truncated });
  }
  const entry: CaseReport = {
    index,
    input,
    status: failed ? 'error' : split ? 'differ' : 'agree',
    groups,
    results,
    diffs,
  };
  if (hasExpected) entry.expected = expected;
  return entry;
}

function score<C>(
  options: JudgeOptions<C>,
  scorerNames: readonly string[],
  output: unknown,
  input: C,
  version: string,
): Record<string, number | null> {
  const scores: Record<string, number | null> = {};
  for (const name of scorerNames) {
    let value: unknown;
    try {
      value = options.scorers[name](output, input, { version });
    } catch {
      value = null;
    }
    scores[name] =
      typeof value === 'boolean' ? Number(value) : typeof value === 'number' && Number.isFinite(value) ? value : null;
  }
  return scores;
}
