/** Numbers of a report: time percentiles, means, agreement between versions and with expected values. */
import type { CaseReport, VersionMetrics } from './schema.js';

/** The p-th percentile (0..100) by nearest rank of an ascending array; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** The median of numbers (mean of the middle two for an even count); 0 for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function timeStats(durations: readonly number[]): VersionMetrics['time'] {
  const sorted = [...durations].sort((a, b) => a - b);
  const total = sorted.reduce((sum, d) => sum + d, 0);
  return {
    medianMs:
      sorted.length === 0
        ? 0
        : sorted.length % 2
          ? sorted[sorted.length >> 1]
          : (sorted[(sorted.length >> 1) - 1] + sorted[sorted.length >> 1]) / 2,
    p95Ms: percentile(sorted, 95),
    meanMs: sorted.length ? total / sorted.length : 0,
    totalMs: total,
  };
}

/** Per-version metrics of finished cases. */
export function versionMetrics(
  names: readonly string[],
  sources: readonly { label: string; snapshot?: VersionMetrics['snapshot'] }[],
  cases: readonly CaseReport[],
  scorerNames: readonly string[],
  hasExpected: boolean,
): VersionMetrics[] {
  return names.map((name, i) => {
    const results = cases.map((c) => c.results[i]);
    const scores: Record<string, number | null> = {};
    for (const scorer of scorerNames) {
      const values = results.map((r) => r.scores?.[scorer]).filter((v): v is number => typeof v === 'number');
      scores[scorer] = values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
    }
    const agreement: Record<string, number | null> = {};
    names.forEach((other, j) => {
      if (j === i) return;
      const same = cases.filter((c) => c.groups[i] === c.groups[j]).length;
      agreement[other] = cases.length ? same / cases.length : null;
    });
    const withExpected = results.filter((r) => r.matchesExpected !== undefined);
    const matches = withExpected.filter((r) => r.matchesExpected).length;
    return {
      name,
      source: sources[i].label,
      ...(sources[i].snapshot ? { snapshot: sources[i].snapshot } : {}),
      cases: results.length,
      errors: results.filter((r) => !r.ok).length,
      timeouts: results.filter((r) => r.timedOut).length,
      flaky: results.filter((r) => r.flaky).length,
      scores,
      time: timeStats(results.map((r) => r.durationMs)),
      agreement,
      expected: hasExpected
        ? { cases: withExpected.length, matches, rate: withExpected.length ? matches / withExpected.length : null }
        : null,
    };
  });
}
