/** A report as JSON and back: `reportToJson` tags what JSON cannot hold; `parseReport` validates. */
import { CodesaveError } from '../errors.js';
import { toJsonSafe } from './data.js';
import { type CompareReport, CompareReportSchema } from './schema.js';

/** The report as JSON text (Map, Set, Date, `undefined`, NaN, bigint … as `{"$type": …}` objects). */
export function reportToJson(report: CompareReport, indent = 2): string {
  return JSON.stringify(toJsonSafe(report), null, indent || undefined);
}

/** Validates a report (parsed JSON or text) against the schema. */
export function parseReport(value: unknown): CompareReport {
  let data = value;
  if (typeof value === 'string') {
    try {
      data = JSON.parse(value);
    } catch (cause) {
      throw new CodesaveError('ERR_REPORT_INVALID', `The report is not JSON: ${(cause as Error).message}`, { cause });
    }
  }
  const result = CompareReportSchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new CodesaveError('ERR_REPORT_INVALID', `Not a codesave compare report (${problems}).`, {
      cause: result.error,
    });
  }
  return result.data;
}
