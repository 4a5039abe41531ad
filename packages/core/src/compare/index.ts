/** compare/: versions side by side on the same cases — the evaluation harness and its reports. */
export { assertNoRegressions, type NoRegressionOptions } from './assert.js';

import type { CompareOptions } from './compare.js';
import type { CompareReport } from './schema.js';

export { type CallResult, type CallSpec, parseCallSpec } from './call.js';
export type { Scorer } from './case.js';
export { type CasesSource, parseCsv, parseJsonLines, readCasesFile } from './cases.js';
export type { CompareOptions, CompareProgress } from './compare.js';

/**
 * Compares versions of a codebase on the same cases (see `compare/compare.ts` for the whole contract). Its code
 * (workers, case runner, the save side for directories) loads on the first call: a chunk of its own in the dist.
 * @throws CodesaveError `ERR_BAD_OPTION`, `ERR_CASES_*`, `ERR_VERSION_OPEN`, `ERR_EXPORT_NOT_FOUND`, `ERR_NOT_CALLABLE`.
 */
export async function compare<C = any>(options: CompareOptions<C>): Promise<CompareReport> {
  return (await import('./compare.js')).compare(options);
}
export { type ErrorData, preview, toHost } from './data.js';
export { type Change, type Diff, diffOutputs, numbersClose, outputsEqual, type Tolerance } from './diff.js';
export { assertRealmEqual, type RealmDifference, realmDifference, realmEqual } from './realm-equal.js';
export { renderHtml } from './render-html.js';
export { renderMarkdown } from './render-markdown.js';
export { formatMs, formatSummary } from './render-text.js';
export { parseReport, reportToJson } from './report-json.js';
export {
  type CaseReport,
  type CompareReport,
  CompareReportSchema,
  REPORT_VERSION,
  type VersionMetrics,
  type VersionResult,
} from './schema.js';
export { type DiffSummary, diffSnapshots, type FileChange, renderPatch } from './snapshot-diff.js';
export type {
  VersionSource,
  VersionsInput,
} from './versions.js';
export { checkReportTarget, writeHtmlReport, writeMarkdownReport } from './write-report.js';
