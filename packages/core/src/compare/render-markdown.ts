/** The markdown summary of a report, for a pull-request comment or a CI step summary. */
import { preview } from './data.js';
import { caseLines, metricsRows } from './render-text.js';
import type { CompareReport } from './schema.js';

/** Marks a file as written by codesave (so a later run may replace it). */
export const MARKDOWN_MARKER = '<!-- codesave compare report -->';

const cell = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (text: string) => {
  const fence = text.includes('```') ? '````' : '```';
  return `${fence}\n${text}\n${fence}`;
};

export function renderMarkdown(report: CompareReport, options: { maxCases?: number } = {}): string {
  const maxCases = options.maxCases ?? 10;
  const s = report.summary;
  const rows = metricsRows(report);
  const lines = [
    MARKDOWN_MARKER,
    `### codesave compare: ${report.versions.map((v) => `\`${cell(v.name)}\``).join(' vs ')}`,
    '',
    `**${s.cases}** cases${report.complete ? '' : ' (aborted: partial report)'} · **${s.agree}** agree · **${s.differ}** differ · **${s.errors}** with errors · call \`${cell(report.call)}\``,
    '',
    `| ${rows[0].map(cell).join(' | ')} |`,
    `|${rows[0].map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.slice(1).map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
  const interesting = report.cases.filter((c) => c.status !== 'agree');
  if (interesting.length) {
    lines.push(
      '',
      `<details><summary>${interesting.length} cases differ or fail (first ${Math.min(maxCases, interesting.length)})</summary>`,
      '',
    );
    for (const c of interesting.slice(0, maxCases)) {
      lines.push(
        `**#${c.index}** \`${cell(preview(c.input, 70)).replace(/`/g, "'")}\``,
        '',
        code(caseLines(report, c).join('\n')),
        '',
      );
    }
    lines.push('</details>');
  }
  return `${lines.join('\n')}\n`;
}
