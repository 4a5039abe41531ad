// ES modules from a zip: lodash-es (~650 modules) imported through ZipCodebase vs Node importing the unzipped
// tree, and a second version of the project opened after the first (transform + code caches warm).
//
//   node --conditions=codesave-source --import tsx bench/load-esm.ts          (from the repository root)
//   BENCH_ROUNDS=7 node --conditions=codesave-source --import tsx bench/load-esm.ts
//   BENCH_CPU=1: CPU time (user + system, all threads) instead of wall time — steadier on a shared machine
//   BENCH_BEFORE=/tmp/base/packages/core/src/index.ts: also times another copy of core in the same rounds
//
// Each measurement is a fresh child process timing only the load (startup and codesave's own import excluded):
// - native: `await import(entry)` of the unzipped tree;
// - zip, cold: `ZipCodebase.open(zip)` + `import('./index.mjs')` with an empty cache directory;
// - zip, disk cache warm: the same in a new process once a previous one filled the cache directory;
// - second version: in one process, v1 opened and imported, then v2 (one file changed) — the v2 time over the v1
//   time (memory caches warm, as when comparing versions in one script).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpoint } from '../packages/core/src/index.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const core = JSON.stringify(join(repo, 'packages/core/src/index.ts'));
const before = process.env.BENCH_BEFORE;
const cpu = process.env.BENCH_CPU === '1';
const START = cpu ? 'process.cpuUsage()' : 'performance.now()';
const ELAPSED = (t: string) =>
  cpu ? `(({ user, system }) => (user + system) / 1000)(process.cpuUsage(${t}))` : `(performance.now() - ${t})`;

function project(dir: string, version: string): void {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'bench-esm', version: '1.0.0', type: 'module', dependencies: { 'lodash-es': '4.18.1' } }),
  );
  writeFileSync(
    join(dir, 'index.mjs'),
    [
      "import * as _ from 'lodash-es';",
      "import { describe } from './src/describe.mjs';",
      'export const result = describe(_);',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'src/describe.mjs'),
    `export const describe = (_) => ({ version: '${version}', keys: Object.keys(_).length, chunks: _.chunk([1, 2, 3, 4], 2).length });\n`,
  );
  cpSync(realpathSync(join(repo, 'node_modules/lodash-es')), join(dir, 'node_modules/lodash-es'), { recursive: true });
}

function time(args: string[], env: Record<string, string> = {}): number[] {
  const out = execFileSync(process.execPath, args, {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  return out.trim().split('\n').pop()!.split(' ').map(Number);
}
const esm = (script: string) => [
  '--conditions=codesave-source',
  '--import',
  'tsx',
  '--input-type=module',
  '-e',
  script,
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms  [${xs.map((x) => x.toFixed(0)).join(', ')}]`;

const base = mkdtempSync(join(tmpdir(), 'codesave-bench-esm-'));
try {
  const v1 = join(base, 'v1', 'project');
  const v2 = join(base, 'v2', 'project');
  project(v1, 'v1');
  project(v2, 'v2');
  const zip1 = join(base, 'v1', 'project.zip');
  const zip2 = join(base, 'v2', 'project.zip');
  const saved = await checkpoint(v1, { output: zip1, includeDependencies: true });
  await checkpoint(v2, { output: zip2, includeDependencies: true });
  console.log(`project: lodash-es + 2 modules, zip ${saved.files} files, ${(saved.bytes / 1e6).toFixed(1)} MB`);

  const nativeScript = `const t = ${START}; const m = await import(${JSON.stringify(join(v1, 'index.mjs'))}); if (!m.result.keys) throw new Error('bad'); console.log(${ELAPSED('t')});`;
  const load = (zip: string) =>
    `const c = await ZipCodebase.open(${JSON.stringify(zip)}); const m = await c.import('./index.mjs'); if (!m.result.keys) throw new Error('bad');`;
  const zipScript = (core: string) =>
    `const { ZipCodebase } = await import(${core}); const t = ${START}; ${load(zip1)} console.log(${ELAPSED('t')});`;
  const twoScript = (core: string) =>
    `const { ZipCodebase } = await import(${core}); let t = ${START}; { ${load(zip1)} } const a = ${ELAPSED('t')}; t = ${START}; { ${load(zip2)} } console.log(a, ${ELAPSED('t')});`;

  const native: number[] = [];
  const variants = [{ label: 'now', core }, ...(before ? [{ label: 'before', core: JSON.stringify(before) }] : [])].map(
    (v) => ({ ...v, cold: [] as number[], warm: [] as number[], first: [] as number[], second: [] as number[] }),
  );
  for (let round = 0; round < rounds; round++) {
    native.push(time(['--input-type=module', '-e', nativeScript])[0]!);
    for (const [i, v] of variants.entries()) {
      const cacheDir = join(base, `cache-${i}-${round}`);
      v.cold.push(time(esm(zipScript(v.core)), { CODESAVE_CACHE_DIR: cacheDir })[0]!);
      v.warm.push(time(esm(zipScript(v.core)), { CODESAVE_CACHE_DIR: cacheDir })[0]!);
      const [a, b] = time(esm(twoScript(v.core)), { CODESAVE_CACHE_DIR: join(base, `cache2-${i}-${round}`) });
      v.first.push(a!);
      v.second.push(b!);
    }
  }
  const n = median(native);
  console.log(`${cpu ? 'CPU' : 'wall'} times`);
  console.log(`native import of the unzipped tree:        ${fmt(native)}`);
  for (const { label, cold, warm, first, second } of variants) {
    console.log(`[${label}]`);
    console.log(`ZipCodebase open + import, cold cache:     ${fmt(cold)}  -> ${(median(cold) / n).toFixed(2)}x native`);
    console.log(`ZipCodebase open + import, disk cache:     ${fmt(warm)}  -> ${(median(warm) / n).toFixed(2)}x native`);
    console.log(`same process: v1 open + import:            ${fmt(first)}`);
    console.log(
      `same process: then v2 open + import:       ${fmt(second)}  -> ${(median(second) / median(first)).toFixed(2)}x v1`,
    );
  }
  console.log(`Node ${process.version}, ${rounds} rounds`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
