/**
 * `codesave compare a.zip b.zip [c.zip…] --call module:fn --cases cases.jsonl`: every case to every version,
 * a summary table on the terminal, optional HTML/markdown/JSON reports, exit codes for CI.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodesaveError,
  type CompareOptions,
  checkReportTarget,
  compare,
  formatSummary,
  reportToJson,
  writeHtmlReport,
  writeMarkdownReport,
} from '@codesave/core';
// Registers the `wandb:entity/project/run` source, so a version may name a W&B run.
import '@codesave/wandb';
import { type Command, parseCommandArgs, printable, UsageError } from '../command.js';
import { createProgress } from '../progress.js';

const usage = `Usage: codesave compare <a> <b> [<c>…] --call <module:fn> --cases <file> [options]

Calls fn of module in every version on every case (the case is the single argument) and compares the
outputs: per-version errors, scores, agreement, time; per-case diffs. A version is a zip, or a directory
(snapshotted in memory first). Versions are named after their files (runs/a.zip → a).

Options:
      --call <module:fn>       the function to call, e.g. src/model:score
      --cases <file>           .json (an array), .jsonl (one JSON value a line) or .csv (header row)
      --expected <field>       the field of a case holding the expected output
      --harness <file>         a JS/TS module exporting { cases, call, scorers, args, expected, tolerance }
                               for what flags cannot say (flags given win)
      --seed <n>               seed Math.random in every version the same way, per case
      --tolerance <x>          numbers within x (absolute or relative) are equal
      --timeout <ms>           give up a call after ms milliseconds (recorded as an error)
      --repeat <n>             call each version n times per case (median time; differing repeats: flaky)
      --concurrency <n>        cases in flight at once (for async calls)
      --workers <n>            spread cases over n worker threads
      --name <file=name>       rename a version (repeatable): --name a=baseline
      --report <out.html>      write the HTML report (self-contained, opens from disk)
      --markdown <out.md>      write the markdown summary (a PR comment, $GITHUB_STEP_SUMMARY)
      --json                   print the report as JSON instead of the summary
      --fail-on <what>         exit 3 when some case differs (differ) or fails (error); comma-separate both
  -h, --help                   show this help

Exit codes: 0 done; 1 bad arguments or input (a CodesaveError, code shown); 2 internal error;
3 --fail-on matched; 130 interrupted (Ctrl-C: the partial report is still printed and written).

Example:
  codesave compare runs/a.zip runs/b.zip --call src/model:score --cases cases.jsonl --expected label --report report.html`;

const flags = {
  call: { type: 'string' },
  cases: { type: 'string' },
  expected: { type: 'string' },
  harness: { type: 'string' },
  seed: { type: 'string' },
  tolerance: { type: 'string' },
  timeout: { type: 'string' },
  repeat: { type: 'string' },
  concurrency: { type: 'string' },
  workers: { type: 'string' },
  name: { type: 'string', multiple: true },
  report: { type: 'string' },
  markdown: { type: 'string' },
  json: { type: 'boolean' },
  'fail-on': { type: 'string' },
} as const;

const number = (flag: string, value: string | undefined, check: (n: number) => boolean, what: string) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !check(n)) throw new UsageError(`--${flag} needs ${what}, got "${value}"`);
  return n;
};

export const compareCommand: Command = {
  name: 'compare',
  summary: 'Calls one function of every version on the same cases and reports where the versions differ',
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, flags);
    if (positionals.length < 2) throw new UsageError('give at least two versions (zips or directories)');
    const failOn = new Set((values['fail-on'] ?? '').split(',').filter(Boolean));
    for (const f of failOn)
      if (f !== 'differ' && f !== 'error') throw new UsageError(`--fail-on takes differ or error, got "${f}"`);
    const whole = (n: number) => Number.isInteger(n) && n >= 1;
    const seed = number('seed', values.seed, Number.isFinite, 'a number');
    const tolerance = number('tolerance', values.tolerance, (n) => Number.isFinite(n) && n >= 0, 'a number ≥ 0');
    const timeoutMs = number('timeout', values.timeout, (n) => Number.isFinite(n) && n > 0, 'a positive number of ms');
    const repeat = number('repeat', values.repeat, whole, 'a whole number ≥ 1');
    const concurrency = number('concurrency', values.concurrency, whole, 'a whole number ≥ 1');
    const workers = number('workers', values.workers, (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0');

    const harness = values.harness ? await loadHarness(values.harness) : {};
    const call = values.call ?? harness.call;
    const cases = values.cases ?? harness.cases;
    if (call === undefined) throw new UsageError('give --call module:fn (or a --harness exporting call)');
    if (cases === undefined) throw new UsageError('give --cases <file> (or a --harness exporting cases)');
    const versions = nameVersions(positionals, values.name ?? []);
    if (values.report) await checkReportTarget(values.report, 'html');
    if (values.markdown) await checkReportTarget(values.markdown, 'markdown');

    const progress = createProgress();
    const controller = new AbortController();
    const onSigint = () => controller.abort(new Error('interrupted'));
    process.once('SIGINT', onSigint);
    let report: Awaited<ReturnType<typeof compare>>;
    try {
      report = await compare({
        ...harness,
        versions,
        call,
        cases,
        ...(values.expected !== undefined ? { expected: values.expected } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(tolerance !== undefined ? { tolerance } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(repeat !== undefined ? { repeat } : {}),
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(workers !== undefined ? { workers } : {}),
        signal: controller.signal,
        onProgress: (p) => progress.update(p.done, p.total ?? p.done, `${p.differ} differ, ${p.errors} errors`),
      });
    } finally {
      progress.finish();
      process.removeListener('SIGINT', onSigint);
    }
    if (values.report) await writeHtmlReport(values.report, report);
    if (values.markdown) await writeMarkdownReport(values.markdown, report);
    if (values.json) console.log(reportToJson(report));
    else {
      console.log(printable(formatSummary(report)));
      const written = [values.report, values.markdown].filter(Boolean);
      if (written.length) console.log(`\nWrote ${written.map((f) => printable(f!)).join(', ')}`);
    }
    if (!report.complete) {
      console.error(`codesave compare: interrupted after ${report.summary.cases} cases; the report is partial.`);
      return 130;
    }
    const hit =
      (failOn.has('differ') && report.cases.some((c) => c.groups.some((g) => g !== 0))) ||
      (failOn.has('error') && report.summary.errors > 0);
    return hit ? 3 : 0;
  },
};

/** Positional versions as `{ name: source }`: named after their files, renamed by `--name file=name`. */
function nameVersions(sources: string[], renames: string[]): Record<string, string> {
  const names: string[] = [];
  for (const [i, source] of sources.entries()) {
    const base = path.basename(source.replace(/[\\/]+$/, '')).replace(/\.zip$/i, '') || `v${i + 1}`;
    let name = base;
    for (let n = 2; names.includes(name); n++) name = `${base}-${n}`;
    names.push(name);
  }
  for (const rename of renames) {
    const eq = rename.indexOf('=');
    if (eq <= 0 || eq === rename.length - 1) throw new UsageError(`--name takes file=name, got "${rename}"`);
    const from = rename.slice(0, eq);
    const to = rename.slice(eq + 1);
    const index = names.indexOf(from.replace(/\.zip$/i, ''));
    const bySource = sources.findIndex((s) => s === from);
    const at = index >= 0 ? index : bySource;
    if (at < 0) throw new UsageError(`--name ${rename}: no version named "${from}" (versions: ${names.join(', ')})`);
    if (names.includes(to) && names[at] !== to) throw new UsageError(`--name ${rename}: "${to}" is taken`);
    names[at] = to;
  }
  const out: Record<string, string> = {};
  names.forEach((name, i) => {
    Object.defineProperty(out, name, { value: sources[i], enumerable: true, writable: true, configurable: true });
  });
  return out;
}

type Harness = Partial<Pick<CompareOptions, 'call' | 'cases' | 'scorers' | 'args' | 'expected' | 'tolerance'>>;

/**
 * Imports a harness module. TypeScript the running Node cannot load itself is bundled with esbuild into a
 * temporary module first (removed right after).
 */
async function loadHarness(file: string): Promise<Harness> {
  const absolute = path.resolve(file);
  let mod: Record<string, unknown>;
  try {
    await readFile(absolute);
  } catch (cause) {
    throw new CodesaveError('ERR_BAD_OPTION', `--harness ${file}: cannot read it (${(cause as Error).message}).`, {
      cause,
    });
  }
  try {
    mod = await import(pathToFileURL(absolute).href);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !/\.[cm]?tsx?$/.test(absolute)) throw error;
    mod = await importTypeScript(absolute);
  }
  const exported = (mod.default && typeof mod.default === 'object' ? mod.default : mod) as Record<string, unknown>;
  const harness: Harness = {};
  for (const key of ['call', 'cases', 'scorers', 'args', 'expected', 'tolerance'] as const) {
    if (exported[key] !== undefined) (harness as Record<string, unknown>)[key] = exported[key];
  }
  if (Object.keys(harness).length === 0)
    throw new CodesaveError(
      'ERR_BAD_OPTION',
      `--harness ${file} exports none of cases, call, scorers, args, expected, tolerance.`,
    );
  return harness;
}

async function importTypeScript(file: string): Promise<Record<string, unknown>> {
  const { build } = await import('esbuild');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'codesave-harness-'));
  try {
    const out = path.join(dir, 'harness.mjs');
    await build({
      entryPoints: [file],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
      banner: {
        js: "import { createRequire as __csReq } from 'node:module'; const require = __csReq(import.meta.url);",
      },
    });
    return await import(pathToFileURL(out).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
