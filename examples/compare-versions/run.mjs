// The README's demo: save a model project twice with a change between, then compare both snapshots on the
// same cases with compare(): each version loads in its own realm in this one process. Prints the summary
// table and writes out/report.html (self-contained: open it in a browser).
import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpoint, compare, formatSummary, writeHtmlReport } from 'codesave';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'out');
const project = path.join(out, 'model');

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await cp(path.join(here, 'model'), project, { recursive: true });

// 1. Save: v1 as shipped, then v2 after a change to the code and to the data file it reads.
const saved = [await checkpoint(project, { output: path.join(out, 'v1.zip') })];
await cp(path.join(here, 'changes', 'v2'), project, { recursive: true });
saved.push(await checkpoint(project, { output: path.join(out, 'v2.zip') }));
for (const [i, s] of saved.entries()) {
  console.log(
    `saved v${i + 1}: ${path.relative(here, s.path)}  ${s.files} files, ${s.bytes} bytes, sha256 ${s.sha256.slice(0, 12)}`,
  );
}
console.log();

// 2. Compare: every case to both versions (each isolated in its own volume, module registry and realm).
const report = await compare({
  versions: { v1: saved[0].path, v2: saved[1].path },
  call: 'src:predict', // the export `predict` of the module `src`
  cases: path.join(here, 'cases.jsonl'),
  args: (c) => [c.text], // predict(text)
  scorers: { accuracy: (prediction, c) => prediction.label === c.label },
  seed: 42,
});
console.log(formatSummary(report));

// 3. The same answers, one row per input.
const rows = report.cases.map((c) => {
  const [a, b] = c.results.map((r) => (r.ok ? `${r.output.label} (${r.output.score})` : `error: ${r.error.message}`));
  return [c.input.text, a, b, c.results[0].output?.label === c.results[1].output?.label ? '' : 'changed'];
});
const header = ['input', 'v1', 'v2', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) =>
  cells
    .map((c, i) => c.padEnd(widths[i]))
    .join('  ')
    .trimEnd();
console.log(`\n${line(header)}`);
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of rows) console.log(line(row));
const changed = rows.filter((r) => r[3]).length;
console.log(`\n${changed} of ${rows.length} predictions changed between v1 and v2.`);

await writeHtmlReport(path.join(out, 'report.html'), report);
console.log(`Wrote ${path.relative(process.cwd(), path.join(out, 'report.html'))}`);
