// Precompiled snapshots: what storing each ES module's transformed form costs at save time (checkpoint time, zip
// size) and what it saves at load time on a machine whose transform cache is empty (whole processes: open the
// zip, import the entry, call it), against Node running the app from the unzipped tree, in the same run. The three
// commands alternate, one warm-up each; medians of CPU time (user + system) of each whole process.
//
//   pnpm run build && node --import tsx bench/precompiled.ts                (from the repository root)
//   BENCH_ROUNDS=15 BENCH_NODE=/path/to/node node --import tsx bench/precompiled.ts
//   BENCH_PACKAGES=/tmp/pkgs/node_modules …   packages not in the workspace (an `npm install mathjs date-fns` there;
//                                              that node_modules is copied whole, so dependencies come along)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkpoint } from '../packages/core/src/index.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
const node = process.env.BENCH_NODE ?? process.execPath;
const extra = process.env.BENCH_PACKAGES;
const coreDist = join(repo, 'packages/core/dist/index.js');
if (!existsSync(coreDist)) {
  console.error('build first: pnpm run build');
  process.exit(1);
}

const apps = [
  {
    pkg: 'lodash-es',
    source: "import * as _ from 'lodash-es';\nexport const run = () => _.chunk(_.range(100), 7).length;\n",
  },
  {
    pkg: 'date-fns',
    source:
      "import { addDays, format } from 'date-fns';\nexport const run = () => format(addDays(new Date(0), 3), 'yyyy');\n",
  },
  {
    pkg: 'mathjs',
    source: "import { evaluate } from 'mathjs';\nexport const run = () => evaluate('sqrt(3^2 + 4^2)');\n",
  },
];

/**
 * CPU time (user + system, all threads) of a whole child process, in ms: the runners print `process.cpuUsage()`
 * last. On a shared machine (load average 6–9 on 2 cores while this was written) wall times of one command
 * varied 3×; CPU time is what the process itself costs.
 */
function cpu(args: string[], cwd: string): number {
  const r = spawnSync(node, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const { user, system } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { user: number; system: number };
  return (user + system) / 1000;
}

/** CPU ms of `fn` in this process. */
async function cpuOf(fn: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;

/** Alternates the commands (one warm-up each); their medians in ms. */
function alternate(commands: (() => number)[]): number[] {
  for (const c of commands) c();
  const times = commands.map(() => [] as number[]);
  for (let i = 0; i < rounds; i++) {
    for (const [j, c] of commands.entries()) times[j].push(c());
  }
  return times.map(median);
}

const work = mkdtempSync(join(tmpdir(), 'codesave-bench-precompiled-'));
try {
  const version = spawnSync(node, ['-v'], { encoding: 'utf8' }).stdout.trim();
  console.log(`Node ${version} (loads), ${process.version} (saves); ${rounds} rounds, medians\n`);
  const runner = join(work, 'runner.mjs');
  writeFileSync(
    runner,
    [
      `const { ZipCodebase } = await import(${JSON.stringify(pathToFileURL(coreDist).href)});`,
      'const [zip, off] = process.argv.slice(2);',
      "const cb = await ZipCodebase.open(zip, { cacheDir: false, precompiled: off !== 'off' });",
      "(await cb.import('./index.mjs')).run();",
      'console.log(JSON.stringify(process.cpuUsage()));',
      '',
    ].join('\n'),
  );
  const nativeRunner = join(work, 'native.mjs');
  writeFileSync(
    nativeRunner,
    "const { pathToFileURL } = await import('node:url');\n(await import(pathToFileURL(process.argv[2]).href)).run();\nconsole.log(JSON.stringify(process.cpuUsage()));\n",
  );
  const save: string[] = [
    '| app | files | zip | zip with forms | checkpoint CPU | with forms |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const load: string[] = [
    '| app, empty cache (CPU) | Node | zip, no forms | zip with forms | ratio no forms | ratio with forms |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const app of apps) {
    const fromExtra = extra && existsSync(join(extra, app.pkg)) ? extra : undefined;
    const installed = fromExtra ? join(fromExtra, app.pkg) : join(repo, 'node_modules', app.pkg);
    if (!existsSync(installed)) {
      save.push(`| ${app.pkg} | not installed (set BENCH_PACKAGES): skipped | | | | |`);
      continue;
    }
    const dir = join(work, app.pkg);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: `bench-${app.pkg}`, version: '1.0.0', type: 'module', dependencies: { [app.pkg]: '*' } }),
    );
    writeFileSync(join(dir, 'index.mjs'), app.source);
    if (fromExtra) cpSync(realpathSync(fromExtra), join(dir, 'node_modules'), { recursive: true, dereference: true });
    else cpSync(realpathSync(installed), join(dir, 'node_modules', app.pkg), { recursive: true, dereference: true });
    const plain = join(work, `${app.pkg}.zip`);
    const forms = join(work, `${app.pkg}-forms.zip`);
    const plainTimes: number[] = [];
    const formTimes: number[] = [];
    let files = 0;
    for (let i = 0; i < 3; i++) {
      plainTimes.push(
        await cpuOf(async () => {
          files = (await checkpoint(dir, { output: plain, includeDependencies: true, precompile: false })).files;
        }),
      );
      formTimes.push(await cpuOf(() => checkpoint(dir, { output: forms, includeDependencies: true })));
    }
    save.push(
      `| ${app.pkg} | ${files} | ${mb(statSync(plain).size)} | ${mb(statSync(forms).size)} (${(statSync(forms).size / statSync(plain).size).toFixed(2)}×) | ${(median(plainTimes) / 1000).toFixed(2)} s | ${(median(formTimes) / 1000).toFixed(2)} s (${(median(formTimes) / median(plainTimes)).toFixed(2)}×) |`,
    );
    const [n, p, f] = alternate([
      () => cpu([nativeRunner, join(dir, 'index.mjs')], work),
      () => cpu([runner, plain], work),
      () => cpu([runner, forms], work),
    ]);
    load.push(
      `| ${app.pkg} | ${(n / 1000).toFixed(3)} s | ${(p / 1000).toFixed(3)} s | ${(f / 1000).toFixed(3)} s | ${(p / n).toFixed(2)}× | ${(f / n).toFixed(2)}× |`,
    );
  }
  console.log(save.join('\n'));
  console.log();
  console.log(load.join('\n'));
} finally {
  rmSync(work, { recursive: true, force: true });
}
