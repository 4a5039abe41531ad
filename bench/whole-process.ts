// Whole-process cost as a user feels it: each row times a complete `node …` process (codesave's own import,
// opening, verifying, loading, calling) against Node running the same app from the unzipped tree, in the same
// run. Both commands of a row alternate, after one warm-up each; medians are compared.
//
//   pnpm run build && node --import tsx bench/whole-process.ts           (from the repository root)
//   BENCH_ROUNDS=15 node --import tsx bench/whole-process.ts
//   BENCH_NODE=/path/to/node …    time another Node (e.g. `npx -y -p node@26.10.0 which node`)
//   BENCH_WORK=/tmp/wp …          keep the apps and zips there (to profile one of them)
//
// Rows (the snapshot side uses the built dist, as an installed codesave would):
// - start-up: `node -e 0` vs `node -e "import('@codesave/core')"` (and `codesave --help`), reported as the
//   difference in ms as well as the ratio;
// - one app per row of issue 14's table: open the zip, import the entry, call it. "Empty cache" is a new, empty
//   cache directory for every run (as on a fresh machine, in CI or a container), "disk cache filled" one that an
//   earlier run filled. The app's packages are copied from the workspace's node_modules with their dependencies
//   (flat, as npm lays them out); Node runs the copied tree, codesave its snapshot (`checkpoint` defaults).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkpoint } from '../packages/core/src/index.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
const node = process.env.BENCH_NODE ?? process.execPath;
const coreDist = join(repo, 'packages/core/dist/index.js');
const cliBin = join(repo, 'packages/cli/dist/bin.js');
if (!existsSync(coreDist) || !existsSync(cliBin)) {
  console.error('build first: pnpm run build');
  process.exit(1);
}

/** One app: packages from the workspace's node_modules (copied with their dependencies) and the code using them. */
interface App {
  name: string;
  pkgs: string[];
  entry: string;
  source: string;
  /** Extra rows: the same app with a filled disk cache, or opened with `verify: false`. */
  also?: ('cache' | 'no-verify')[];
}

const apps: App[] = [
  {
    name: 'lodash 4 app (CommonJS)',
    pkgs: ['lodash'],
    entry: 'index.cjs',
    source: "const _ = require('lodash');\nexports.run = () => _.chunk(_.range(100), 7).length;\n",
  },
  {
    name: 'lodash-es app (ESM, ~650 modules)',
    pkgs: ['lodash-es'],
    entry: 'index.mjs',
    source: "import * as _ from 'lodash-es';\nexport const run = () => _.chunk(_.range(100), 7).length;\n",
    also: ['cache'],
  },
  {
    name: 'date-fns 4 app (ESM)',
    pkgs: ['date-fns'],
    entry: 'index.mjs',
    source:
      "import { addDays, format } from 'date-fns';\nexport const run = () => format(addDays(new Date(0), 3), 'yyyy');\n",
  },
  {
    name: 'mathjs 15 app (ESM, large graph)',
    pkgs: ['mathjs'],
    entry: 'index.mjs',
    source: "import { evaluate } from 'mathjs';\nexport const run = () => evaluate('sqrt(3^2 + 4^2)');\n",
    also: ['cache'],
  },
  {
    name: 'tfjs-core 4 + cpu backend (CommonJS, ~2,300 files)',
    pkgs: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu'],
    entry: 'index.cjs',
    source: [
      "const tf = require('@tensorflow/tfjs-core');",
      "require('@tensorflow/tfjs-backend-cpu');",
      'exports.run = () => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync()[1];',
      '',
    ].join('\n'),
    also: ['no-verify'],
  },
];

/** Where Node would find `dep` from the package at `fromDir` (a real path, so pnpm's store layout works). */
function findDependency(fromDir: string, dep: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = basename(dir) === 'node_modules' ? join(dir, dep) : join(dir, 'node_modules', dep);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Copies `pkg` (as installed here) and everything it depends on into `nodeModules`, flat where names do not
 * clash (as npm would lay it out), so Node and codesave see the same real tree without pnpm's symlinks.
 */
function install(pkg: string, from: string, nodeModules: string, root: string, placed: Map<string, string>): void {
  const real = findDependency(from, pkg);
  if (!real) return;
  const atRoot = placed.get(pkg);
  if (atRoot === real) return;
  const target = atRoot === undefined ? join(root, pkg) : join(nodeModules, pkg);
  if (atRoot === undefined) placed.set(pkg, real);
  cpSync(real, target, { recursive: true, dereference: true });
  const manifest = JSON.parse(readFileSync(join(real, 'package.json'), 'utf8'));
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies }))
    install(dep, real, join(target, 'node_modules'), root, placed);
}

function wall(args: string[], cwd: string): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(node, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Alternates the two commands (one warm-up each), returns their medians in ms. */
function pair(base: () => number, subject: () => number): [number, number] {
  base();
  subject();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    a.push(base());
    b.push(subject());
  }
  return [median(a), median(b)];
}

function report(what: string, [base, subject]: [number, number]): void {
  const line = `| ${what} | ${(base / 1000).toFixed(3)} s | ${(subject / 1000).toFixed(3)} s | ${(subject / base).toFixed(2)}× | +${Math.round(subject - base)} ms |`;
  console.log(line);
}

// BENCH_WORK=<dir> keeps the apps, their zips and the runner there after the run (for profiling one row).
const work = process.env.BENCH_WORK ?? mkdtempSync(join(tmpdir(), 'codesave-bench-process-'));
mkdirSync(work, { recursive: true });
try {
  const version = spawnSync(node, ['-v'], { encoding: 'utf8' }).stdout.trim();
  console.log(`Node ${version}, ${rounds} rounds, medians of whole processes\n`);
  console.log('| what | Node | codesave | ratio | overhead |\n| --- | --- | --- | --- | --- |');
  const coreUrl = pathToFileURL(coreDist).href;
  report(
    "`node -e 0` vs `import('@codesave/core')`",
    pair(
      () => wall(['-e', '0'], work),
      () => wall(['--input-type=module', '-e', `await import(${JSON.stringify(coreUrl)})`], work),
    ),
  );
  report(
    '`node -e 0` vs `codesave --help`',
    pair(
      () => wall(['-e', '0'], work),
      () => wall([cliBin, '--help'], work),
    ),
  );

  const runner = join(work, 'runner.mjs');
  writeFileSync(
    runner,
    [
      `const { ZipCodebase } = await import(${JSON.stringify(coreUrl)});`,
      'const [zip, entry, cacheDir, verify] = process.argv.slice(2);',
      "const cb = await ZipCodebase.open(zip, { cacheDir, ...(verify === 'off' ? { verify: false } : {}) });",
      "const mod = entry.endsWith('.cjs') ? cb.require('./' + entry) : await cb.import(entry);",
      'mod.run();',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(work, 'native.mjs'),
    [
      "import { createRequire } from 'node:module';",
      "import { pathToFileURL } from 'node:url';",
      'const [entry] = process.argv.slice(2);',
      "const mod = entry.endsWith('.cjs') ? createRequire(import.meta.url)(entry) : await import(pathToFileURL(entry).href);",
      'mod.run();',
      '',
    ].join('\n'),
  );

  let fresh = 0;
  /** A new, empty cache directory for each run: a fresh machine, CI or a container, as the default cache. */
  const emptyCache = () => {
    const dir = join(work, `empty-cache-${fresh++}`);
    rmSync(dir, { recursive: true, force: true });
    return dir;
  };
  for (const app of apps) {
    const missing = app.pkgs.filter((pkg) => !existsSync(join(repo, 'node_modules', pkg)));
    if (missing.length) {
      console.log(`| ${app.name} | – | – | – | ${missing.join(', ')} not installed in the workspace: skipped |`);
      continue;
    }
    const dir = join(work, `app-${apps.indexOf(app)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: `bench-app-${apps.indexOf(app)}`,
        version: '1.0.0',
        dependencies: Object.fromEntries(app.pkgs.map((pkg) => [pkg, '*'])),
      }),
    );
    writeFileSync(join(dir, app.entry), app.source);
    const placed = new Map<string, string>();
    for (const pkg of app.pkgs) install(pkg, repo, join(dir, 'node_modules'), join(dir, 'node_modules'), placed);
    const zip = join(work, `app-${apps.indexOf(app)}.zip`);
    await checkpoint(dir, { output: zip, includeDependencies: true });
    const native = () => wall([join(work, 'native.mjs'), join(dir, app.entry)], work);
    report(
      `${app.name}, empty cache`,
      pair(native, () => wall([runner, zip, app.entry, emptyCache(), 'on'], work)),
    );
    if (app.also?.includes('cache')) {
      const cache = join(work, `cache-${apps.indexOf(app)}`);
      wall([runner, zip, app.entry, cache, 'on'], work);
      report(
        `${app.name}, disk cache filled`,
        pair(native, () => wall([runner, zip, app.entry, cache, 'on'], work)),
      );
    }
    if (app.also?.includes('no-verify')) {
      report(
        `${app.name}, \`verify: false\`, empty cache`,
        pair(native, () => wall([runner, zip, app.entry, emptyCache(), 'off'], work)),
      );
    }
  }
} finally {
  if (!process.env.BENCH_WORK) rmSync(work, { recursive: true, force: true });
}
