// P6: opening a 10,000-entry zip (`ZipCodebase.open`, then dispose) with each verification mode, against a
// baseline measured in the same run: reading the same zip's central directory with a minimal loop (the file read
// into memory, the end record found, each entry's name decoded) — the least any zip reader does to open it.
//
//   node --conditions=codesave-source --import tsx bench/open-entries.ts          (from the repository root)
//   BENCH_ENTRIES=10000 BENCH_ROUNDS=15 node --conditions=codesave-source --import tsx bench/open-entries.ts
//   BENCH_DIST=1 node --import tsx bench/open-entries.ts          (the built dist: `pnpm run build` first)
//
// The zip: a checkpoint of BENCH_ENTRIES small files (CommonJS modules in folders of 100). Every round opens it
// once per mode, in alternating order; medians are compared. Shared inflated contents are cleared before each
// open, so `'all'` inflates and hashes every file each time, as in a fresh process.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Core from '../packages/core/src/index.js';

// BENCH_DIST=1: the built package (packages/core/dist, what users run) instead of the sources through tsx;
// BENCH_FROM=<dir>: another copy of core's src or dist (e.g. an earlier commit's, `git archive … | tar -x`), for
// before/after numbers (a mode it does not know, such as 'all' before it existed, is left out)
const from =
  process.env.BENCH_FROM ?? (process.env.BENCH_DIST === '1' ? '../packages/core/dist' : '../packages/core/src');
const { checkpoint, ZipCodebase }: typeof Core = await import(`${from}/index.js`);
const { clearSharedContents }: { clearSharedContents: () => void } = await import(`${from}/archive/shared-contents.js`);
type VerifyMode = Core.VerifyMode;

const count = Number(process.env.BENCH_ENTRIES ?? 10_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);

const base = mkdtempSync(join(tmpdir(), 'codesave-bench-open-'));
try {
  const dir = join(base, 'project');
  for (let i = 0; i < count; i++) {
    const folder = join(dir, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `m${i}.js`), `'use strict';\nexports.id = ${i};\nexports.name = 'module ${i}';\n`);
  }
  const zip = join(base, 'codebase.zip');
  await checkpoint(dir, { output: zip });

  /** The baseline: the zip read into memory and its central directory walked, each name decoded. */
  const centralDirectory = (): number => {
    const bytes = readFileSync(zip);
    let end = bytes.length - 22;
    while (end >= 0 && bytes.readUInt32LE(end) !== 0x06054b50) end--;
    const entries = bytes.readUInt16LE(end + 10);
    let p = bytes.readUInt32LE(end + 16);
    let names = 0;
    for (let i = 0; i < entries; i++) {
      const nameLen = bytes.readUInt16LE(p + 28);
      names += bytes.toString('utf8', p + 46, p + 46 + nameLen).length;
      p += 46 + nameLen + bytes.readUInt16LE(p + 30) + bytes.readUInt16LE(p + 32);
    }
    return names;
  };

  const open = async (verify: VerifyMode) => {
    clearSharedContents();
    const codebase = await ZipCodebase.open(zip, { verify, cacheDir: false });
    await codebase.dispose();
  };
  const cases: [string, () => unknown][] = [
    ['central directory (baseline)', centralDirectory],
    ['open, verify: true (default)', () => open(true)],
    ["open, verify: 'all'", () => open('all')],
    ['open, verify: false', () => open(false)],
  ];
  // warm-up (a mode this copy of core refuses is left out)
  for (const [name, run] of [...cases]) {
    try {
      await run();
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_BAD_OPTION') throw error;
      console.log(`${name}: not supported by ${from}, left out`);
      cases.splice(
        cases.findIndex(([n]) => n === name),
        1,
      );
    }
  }
  const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? cases : [...cases].reverse();
    for (const [name, run] of order) {
      const start = performance.now();
      await run();
      times.get(name)!.push(performance.now() - start);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const baseline = median(times.get(cases[0]![0])!);
  console.log(
    `zip: ${count} files (+ codesave.json), ${(statSync(zip).size / 1e6).toFixed(1)} MB — ${from.replace(/^\.\.\//, '')}, Node ${process.version}, ${rounds} rounds, medians`,
  );
  // the minimum too: on a shared machine it is the steadier estimate of what an open costs
  const least = (values: number[]) => Math.min(...values);
  const baselineMin = least(times.get(cases[0]![0])!);
  for (const [name] of cases) {
    const ms = median(times.get(name)!);
    const min = least(times.get(name)!);
    console.log(
      `${name.padEnd(30)} median ${ms.toFixed(2).padStart(8)} ms (${(ms / baseline).toFixed(1)}x the baseline)   min ${min.toFixed(2).padStart(8)} ms (${(min / baselineMin).toFixed(1)}x)`,
    );
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
