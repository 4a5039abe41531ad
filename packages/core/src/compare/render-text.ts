/** The terminal summary of a report: per-version metrics, agreement, time, the first differing cases. */
import { preview } from './data.js';
import type { CaseReport, CompareReport } from './schema.js';

/** Milliseconds as people read them: 0.012 ms, 3.4 ms, 1.25 s. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 0.1) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(3)} ms`;
}

const ratio = (n: number | null | undefined) => (n === null || n === undefined ? '—' : n.toFixed(3));

/** Rows of cells as aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c + ' '.repeat(widths[i] - [...c].length))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The metrics table's rows (header first), shared by the terminal and markdown summaries. */
export function metricsRows(report: CompareReport): string[][] {
  const scorers = Object.keys(report.versions[0]?.scores ?? {});
  const hasExpected = report.versions.some((v) => v.expected);
  const header = [
    'version',
    'errors',
    ...scorers,
    ...(hasExpected ? ['expected'] : []),
    'median',
    'p95',
    'total',
    ...report.versions.map((v) => `agree ${v.name}`),
  ];
  const rows = report.versions.map((v) => [
    v.name,
    String(v.errors) + (v.timeouts ? ` (${v.timeouts} timeouts)` : ''),
    ...scorers.map((s) => ratio(v.scores[s])),
    ...(hasExpected ? [ratio(v.expected?.rate)] : []),
    formatMs(v.time.medianMs),
    formatMs(v.time.p95Ms),
    formatMs(v.time.totalMs),
    ...report.versions.map((o) => (o.name === v.name ? '—' : ratio(v.agreement[o.name]))),
  ]);
  return [header, ...rows];
}

/** One line per change of a case: `v1 → v2  $.scores[3]: 0.41 → 0.47`; errors as `v2 ✗ TypeError: …`. */
export function caseLines(report: CompareReport, c: CaseReport, maxChanges = 5): string[] {
  const lines: string[] = [];
  c.results.forEach((r) => {
    if (!r.ok) lines.push(`${r.version} ✗ ${r.error?.name}: ${firstLine(r.error?.message ?? '')}`);
  });
  for (const d of c.diffs) {
    const shown = d.changes.slice(0, maxChanges);
    shown.forEach((change, i) => {
      const head = i === 0 ? `${d.from} → ${d.to}` : ' '.repeat(`${d.from} → ${d.to}`.length);
      const what =
        change.kind === 'added'
          ? `${change.path}: (none) → ${preview(change.after, 40)}`
          : change.kind === 'removed'
            ? `${change.path}: ${preview(change.before, 40)} → (none)`
            : change.reason && change.path !== '$'
              ? `${change.path}: ${change.reason}`
              : `${change.path}: ${preview(change.before, 40)} → ${preview(change.after, 40)}`;
      lines.push(`${head}  ${what}`);
    });
    const more = d.changes.length - shown.length + (d.truncated ? 1 : 0);
    if (more > 0) lines.push(`${' '.repeat(`${d.from} → ${d.to}`.length)}  … ${d.truncated ? 'more' : more} changes`);
  }
  void report;
  return lines;
}

const firstLine = (text: string) => text.split('\n')[0];

/** The summary printed by `codesave compare`. */
export function formatSummary(report: CompareReport, options: { maxCases?: number } = {}): string {
  const maxCases = options.maxCases ?? 5;
  const s = report.summary;
  const out: string[] = [];
  out.push(
    `${s.cases} cases × ${report.versions.length} versions (${report.call})${report.complete ? '' : ' — ABORTED, partial report'}: ${s.agree} agree, ${s.differ} differ, ${s.errors} with errors`,
  );
  out.push('');
  out.push(table(metricsRows(report)));
  const interesting = report.cases.filter((c) => c.status !== 'agree');
  if (interesting.length) {
    out.push('');
    out.push(`First ${Math.min(maxCases, interesting.length)} of ${interesting.length} cases that differ or fail:`);
    for (const c of interesting.slice(0, maxCases)) {
      out.push(`  #${c.index} ${preview(c.input, 70)}`);
      for (const line of caseLines(report, c)) out.push(`    ${line}`);
    }
  }
  return out.join('\n');
}
