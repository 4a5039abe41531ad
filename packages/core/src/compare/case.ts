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

/** Calls each version in turn (`repeat` times each: the first output is kept, the median time). */
export async function runCase(
  invokers: readonly Invoker[],
  args: readonly unknown[],
  key: number,
  repeat: number,
  tolerance: Tolerance,
  signal?: AbortSignal,
): Promise<RawResult[]> {
  const results: RawResult[] = [];
  for (const invoker of invokers) {
    const first = await invoker.call(args, key, signal);
    if (repeat === 1) {
      results.push(first);
      continue;
    }
    const durations = [first.durationMs];
    let flaky = false;
    for (let r = 1; r < repeat; r++) {
      const again = await invoker.call(args, key, signal);
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
}

/** Turns raw results into the case's report entry. */
export function judgeCase<C>(index: number, input: C, raw: readonly RawResult[], options: JudgeOptions<C>): CaseReport {
  const { names, tolerance } = options;
  // group versions by agreement: each joins the first group whose representative it equals
  const reps: RawResult[] = [];
  const groups = raw.map((result) => {
    const found = reps.findIndex((rep) => sameResult(rep, result, tolerance));
    if (found >= 0) return found;
    reps.push(result);
    return reps.length - 1;
  });
  const expected = options.expected?.(input);
  const hasExpected = options.expected !== undefined && expected !== undefined;
  const results: VersionResult[] = raw.map((r, i) => {
    const result: VersionResult = r.ok
      ? { version: names[i], ok: true, output: r.output, durationMs: r.durationMs }
      : { version: names[i], ok: false, error: r.error, durationMs: r.durationMs };
    if (!r.ok && r.timedOut) result.timedOut = true;
    if (r.flaky) result.flaky = true;
    const scorerNames = Object.keys(options.scorers);
    if (scorerNames.length && r.ok) {
      const scores: Record<string, number | null> = {};
      for (const name of scorerNames) {
        let value: unknown;
        try {
          value = options.scorers[name](r.output, input, { version: names[i] });
        } catch {
          value = null;
        }
        scores[name] =
          typeof value === 'boolean'
            ? Number(value)
            : typeof value === 'number' && Number.isFinite(value)
              ? value
              : null;
      }
      result.scores = scores;
    }
    if (hasExpected) result.matchesExpected = r.ok && outputsEqual(r.output, expected, tolerance);
    return result;
  });
  const diffs: CaseReport['diffs'] = [];
  const base = raw[0];
  for (let i = 1; i < raw.length; i++) {
    const other = raw[i];
    if (groups[i] === groups[0] || !base.ok || !other.ok) continue;
    const diff = diffOutputs(base.output, other.output, tolerance, options.maxChanges);
    diffs.push({ from: names[0], to: names[i], changes: diff.changes, truncated: diff.truncated });
  }
  const status = raw.some((r) => !r.ok) ? 'error' : groups.some((g) => g !== 0) ? 'differ' : 'agree';
  return {
    index,
    input,
    ...(hasExpected ? { expected } : {}),
    status,
    groups,
    results,
    diffs,
  };
}
