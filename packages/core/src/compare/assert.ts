/** A report as a test assertion: fails with a readable message when a version is worse than the baseline. */

import { CodesaveError } from '../errors.js';
import { loadHostBuiltin } from '../runtime/features.js';
import { preview } from './data.js';
import type { CompareReport } from './schema.js';

export interface NoRegressionOptions {
  /** A scorer whose mean must not drop by more than `by` against the baseline. */
  scorer?: string;
  /** Allowed drop of the scorer's mean (absolute, default 0). */
  by?: number;
  /** The version others are held against (default: the first). */
  baseline?: string;
  /** Fail when a version has more errors than the baseline (default true). */
  errors?: boolean;
  /** Fail when a version's agreement with expected values drops by more than `by` (default true when present). */
  expected?: boolean;
  /** Accept a report of an aborted run (default false: a partial report fails). */
  allowPartial?: boolean;
}

/**
 * Throws an `AssertionError` (so test runners show it as a failed assertion) naming every regression:
 * `v2: accuracy 0.750 < baseline v1 0.900 (allowed drop 0.01)`, followed by the cases that got worse.
 */
export function assertNoRegressions(report: CompareReport, options: NoRegressionOptions = {}): void {
  const by = options.by ?? 0;
  if (!(by >= 0)) throw new CodesaveError('ERR_BAD_OPTION', `by must be a number ≥ 0, got ${String(options.by)}.`);
  const baseIndex = options.baseline === undefined ? 0 : report.versions.findIndex((v) => v.name === options.baseline);
  if (baseIndex < 0)
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `baseline "${options.baseline}" is not a version of the report (${report.versions.map((v) => v.name).join(', ')}).`,
    );
  const base = report.versions[baseIndex];
  if (options.scorer !== undefined && !(options.scorer in base.scores))
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `scorer "${options.scorer}" is not in the report (scorers: ${Object.keys(base.scores).join(', ') || 'none'}).`,
    );
  const problems: string[] = [];
  if (!report.complete && !options.allowPartial)
    problems.push(`the run was aborted after ${report.summary.cases} cases (pass allowPartial to accept it)`);
  const fmt = (n: number | null) => (n === null ? 'n/a' : n.toFixed(3));
  report.versions.forEach((version, i) => {
    if (i === baseIndex) return;
    if (options.scorer !== undefined) {
      const before = base.scores[options.scorer];
      const after = version.scores[options.scorer];
      if (before !== null && (after === null || after < before - by)) {
        problems.push(
          `${version.name}: ${options.scorer} ${fmt(after)} < baseline ${base.name} ${fmt(before)} (allowed drop ${by})`,
        );
        problems.push(...worseCases(report, baseIndex, i, options.scorer));
      }
    }
    if ((options.errors ?? true) && version.errors > base.errors)
      problems.push(
        `${version.name}: ${version.errors} errors, baseline ${base.name} ${base.errors}${firstError(report, i)}`,
      );
    if ((options.expected ?? true) && base.expected?.rate != null && version.expected) {
      const after = version.expected.rate;
      if (after === null || after < base.expected.rate - by)
        problems.push(
          `${version.name}: matches expected ${fmt(after)} < baseline ${base.name} ${fmt(base.expected.rate)} (allowed drop ${by})`,
        );
    }
  });
  if (problems.length) {
    const { AssertionError } = loadHostBuiltin('assert') as typeof import('node:assert');
    throw new AssertionError({
      message: `Regressions against ${base.name}:\n  ${problems.join('\n  ')}`,
      actual: report.versions.map((v) => ({ name: v.name, scores: v.scores, errors: v.errors })),
      expected: { baseline: base.name, scorer: options.scorer, by },
      operator: 'assertNoRegressions',
    });
  }
}

function worseCases(report: CompareReport, base: number, other: number, scorer: string): string[] {
  const worse = report.cases.filter((c) => {
    const a = c.results[base].scores?.[scorer];
    const b = c.results[other].scores?.[scorer];
    return typeof a === 'number' && (typeof b !== 'number' || b < a);
  });
  return worse
    .slice(0, 5)
    .map((c) => {
      const a = c.results[base];
      const b = c.results[other];
      const show = (r: typeof a) => (r.ok ? preview(r.output, 40) : `${r.error?.name}: ${r.error?.message}`);
      return `    case #${c.index} ${preview(c.input, 50)}: ${show(a)} → ${show(b)}`;
    })
    .concat(worse.length > 5 ? [`    … ${worse.length - 5} more cases`] : []);
}

function firstError(report: CompareReport, version: number): string {
  const c = report.cases.find((k) => !k.results[version].ok);
  const e = c?.results[version].error;
  return c && e ? ` (first: case #${c.index}: ${e.name}: ${e.message})` : '';
}
