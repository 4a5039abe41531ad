// Opening a zip and requiring its entry (ZipCodebase) vs Node requiring the same unzipped tree, in the same run.
//
//   node --conditions=codesave-source --import tsx bench/load.ts          (from the repository root)
//   BENCH_MODULES=5000 BENCH_ROUNDS=7 node --conditions=codesave-source --import tsx bench/load.ts
//   BENCH_BEFORE=/tmp/base/packages/core/src/index.ts node … bench/load.ts    (also times another copy of core,
//     e.g. `git archive <commit> packages/core/src | tar -x -C /tmp/base` with its node_modules linked, in the
//     same rounds: before/after numbers of a change from one run)
//
// The tree: BENCH_MODULES (default 3000) small CommonJS modules in folders of 100, each requiring up to three
// earlier ones (a fixed pseudo-random dependency graph), JSON data files, plus lodash in node_modules; the
// entry requires every module. Each measurement is a fresh child process timing only the load (Node's
// startup and codesave's own import excluded): `require(entry)` natively, `ZipCodebase.open(zip)` +
// `require('./index')` for the zip (hash verification included). Rounds alternate; medians are compared.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpoint } from '../packages/core/src/index.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const modules = Number(process.env.BENCH_MODULES ?? 3000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const before = process.env.BENCH_BEFORE;
// BENCH_CPU=1: compare CPU time (user + system, all threads) instead of wall time — steadier on a shared machine
const cpu = process.env.BENCH_CPU === '1';
const START = cpu ? 'const t = process.cpuUsage();' : 'const t = performance.now();';
const ELAPSED = cpu ? '(({ user, system }) => (user + system) / 1000)(process.cpuUsage(t))' : 'performance.now() - t';

function generate(dir: string): void {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const file = (i: number) => `d${Math.floor(i / 100)}/m${i}.js`;
  for (let i = 0; i < modules; i++) {
    const deps = new Set<number>();
    if (i > 0) for (let k = 0; k < 3; k++) deps.add(Math.floor(random() * i));
    const from = join(dir, file(i), '..');
    const lines = [...deps].map((d, k) => {
      const rel = `./${join(file(d)).replace(/\.js$/, '')}`;
      const relative = from === join(dir, file(d), '..') ? `./m${d}` : `../${rel.slice(2)}`;
      return `const d${k} = require(${JSON.stringify(relative)});`;
    });
    if (i % 100 === 0) lines.push(`const data = require('./data${i}.json');`);
    lines.push(
      `exports.id = ${i};`,
      `exports.value = () => ${i} ${[...deps].map((_, k) => `+ d${k}.id`).join(' ')}${i % 100 === 0 ? ' + data.n' : ''};`,
    );
    mkdirSync(from, { recursive: true });
    writeFileSync(join(dir, file(i)), `'use strict';\n${lines.join('\n')}\n`);
    if (i % 100 === 0) writeFileSync(join(from, `data${i}.json`), JSON.stringify({ n: i, list: [1, 2, 3] }));
  }
  const entry = [`'use strict';`, `const _ = require('lodash');`, 'let total = 0;'];
  for (let i = 0; i < modules; i++) entry.push(`total += require('./${file(i)}').value();`);
  entry.push('module.exports = { total, chunks: _.chunk([1, 2, 3, 4], 2).length };');
  writeFileSync(join(dir, 'index.js'), `${entry.join('\n')}\n`);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'bench-load', version: '1.0.0', dependencies: { lodash: '4.18.1' } }),
  );
  cpSync(realpathSync(join(repo, 'node_modules/lodash')), join(dir, 'node_modules/lodash'), { recursive: true });
}

function time(args: string[]): number {
  const out = execFileSync(process.execPath, args, {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return Number(out.trim().split('\n').pop());
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const base = mkdtempSync(join(tmpdir(), 'codesave-bench-load-'));
try {
  const dir = join(base, 'tree');
  generate(dir);
  const zip = join(base, 'tree.zip');
  const saved = await checkpoint(dir, { output: zip, includeDependencies: true });
  console.log(`tree: ${modules} modules + lodash, zip ${saved.files} files, ${(saved.bytes / 1e6).toFixed(1)} MB`);
  // a second version: the same tree with one module changed, opened after the first in the same process
  const dir2 = join(base, 'v2', 'tree');
  cpSync(dir, dir2, { recursive: true });
  writeFileSync(join(dir2, 'd0/m1.js'), `'use strict';\nexports.id = 1;\nexports.value = () => 2;\n`);
  const zip2 = join(base, 'v2', 'tree.zip');
  await checkpoint(dir2, { output: zip2, includeDependencies: true });
  const nativeScript = `${START} const m = require(${JSON.stringify(join(dir, 'index.js'))}); if (!m.total) throw new Error('bad'); console.log(${ELAPSED});`;
  const script = (core: string, options = '') =>
    `const { ZipCodebase } = await import(${JSON.stringify(core)}); ${START} const c = await ZipCodebase.open(${JSON.stringify(zip)}${options}); const m = c.require('./index'); if (!m.total) throw new Error('bad'); console.log(${ELAPSED});`;
  const esm = (code: string) => ['--conditions=codesave-source', '--import', 'tsx', '--input-type=module', '-e', code];
  const core = join(repo, 'packages/core/src/index.ts');
  const nativeTimes: number[] = [];
  const zipTimes: number[] = [];
  const zipNoVerify: number[] = [];
  const beforeTimes: number[] = [];
  const beforeNoVerify: number[] = [];
  const twoScript = (core: string) =>
    `const { ZipCodebase } = await import(${JSON.stringify(core)}); const load = async (zip) => { ${START} const c = await ZipCodebase.open(zip); const m = c.require('./index'); if (!m.total) throw new Error('bad'); return ${ELAPSED}; }; const a = await load(${JSON.stringify(zip)}); const b = await load(${JSON.stringify(zip2)}); console.log(a + ' ' + b);`;
  const pair = (args: string[]) => {
    const out = execFileSync(process.execPath, args, {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    return out.trim().split('\n').pop()!.split(' ').map(Number) as [number, number];
  };
  const secondRatios: number[] = [];
  const beforeSecondRatios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    nativeTimes.push(time(['-e', nativeScript]));
    const [v1, v2] = pair(esm(twoScript(core)));
    secondRatios.push(v2 / v1);
    if (before) {
      const [b1, b2] = pair(esm(twoScript(before)));
      beforeSecondRatios.push(b2 / b1);
    }
    zipTimes.push(time(esm(script(core))));
    zipNoVerify.push(time(esm(script(core, ', { verify: false }'))));
    if (before) {
      beforeTimes.push(time(esm(script(before))));
      beforeNoVerify.push(time(esm(script(before, ', { verify: false }'))));
    }
  }
  const n = median(nativeTimes);
  const z = median(zipTimes);
  const zn = median(zipNoVerify);
  console.log(
    `native require of the unzipped tree: median ${n.toFixed(0)} ms  [${nativeTimes.map((x) => x.toFixed(0)).join(', ')}]`,
  );
  console.log(
    `ZipCodebase open + require (verify): median ${z.toFixed(0)} ms  [${zipTimes.map((x) => x.toFixed(0)).join(', ')}]`,
  );
  console.log(
    `ZipCodebase open + require (no verify): median ${zn.toFixed(0)} ms  [${zipNoVerify.map((x) => x.toFixed(0)).join(', ')}]`,
  );
  console.log(
    `ratio zip/native: ${(z / n).toFixed(2)}x (verify), ${(zn / n).toFixed(2)}x (no verify)  — Node ${process.version}, ${rounds} rounds, ${cpu ? 'CPU' : 'wall'} time`,
  );
  const ratios = (xs: number[]) => `median ${median(xs).toFixed(2)}x  [${xs.map((x) => x.toFixed(2)).join(', ')}]`;
  console.log(`second version (one module changed) after the first, same process: v2/v1 ${ratios(secondRatios)}`);
  if (before) console.log(`before, second version: v2/v1 ${ratios(beforeSecondRatios)}`);
  if (before) {
    const b = median(beforeTimes);
    const bn = median(beforeNoVerify);
    console.log(
      `before (${before}), verify: median ${b.toFixed(0)} ms  [${beforeTimes.map((x) => x.toFixed(0)).join(', ')}]`,
    );
    console.log(
      `before, no verify: median ${bn.toFixed(0)} ms  [${beforeNoVerify.map((x) => x.toFixed(0)).join(', ')}]`,
    );
    console.log(`ratio before/native: ${(b / n).toFixed(2)}x (verify), ${(bn / n).toFixed(2)}x (no verify)`);
  }
} finally {
  if (existsSync(base) && !process.env.BENCH_KEEP) rmSync(base, { recursive: true, force: true });
  else if (process.env.BENCH_KEEP) console.log(`kept ${base}`);
}
