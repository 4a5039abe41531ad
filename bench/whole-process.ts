// Whole-process cost as a user feels it: each row times a complete `node …` process (codesave's own import,
// opening, verifying, loading, calling) against Node running the same app from the unzipped tree, in the same
// run. Both commands of a row alternate, after one warm-up each; medians are compared.
//
//   pnpm run build && node --import tsx bench/whole-process.ts           (from the repository root)
//   BENCH_ROUNDS=15 node --import tsx bench/whole-process.ts
//   BENCH_NODE=/path/to/node …    time another Node (e.g. `npx -y -p node@26.10.0 which node`)
//
// Rows (the snapshot side uses the built dist, as an installed codesave would):
// - start-up: `node -e 0` vs `node -e "import('@codesave/core')"` (and `codesave --help`), reported as the
//   difference in ms as well as the ratio;
// - one app per installed package below: open the zip, import the entry, call it; no cache (`cacheDir: false`)
//   unless the row says so. A package that is not installed in the workspace is skipped with a note.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** One app: a package from the workspace's node_modules and the code that uses it. */
interface App {
  name: string;
  pkg: string;
  entry: string;
  source: string;
}

const apps: App[] = [
  {
    name: 'lodash 4 app (CommonJS)',
    pkg: 'lodash',
    entry: 'index.cjs',
    source: "const _ = require('lodash');\nexports.run = () => _.chunk(_.range(100), 7).length;\n",
  },
  {
    name: 'lodash-es app (ESM, ~650 modules)',
    pkg: 'lodash-es',
    entry: 'index.mjs',
    source: "import * as _ from 'lodash-es';\nexport const run = () => _.chunk(_.range(100), 7).length;\n",
  },
  {
    name: 'date-fns 4 app (ESM)',
    pkg: 'date-fns',
    entry: 'index.mjs',
    source:
      "import { addDays, format } from 'date-fns';\nexport const run = () => format(addDays(new Date(0), 3), 'yyyy');\n",
  },
  {
    name: 'mathjs app (ESM, large graph)',
    pkg: 'mathjs',
    entry: 'index.mjs',
    source: "import { evaluate } from 'mathjs';\nexport const run = () => evaluate('sqrt(3^2 + 4^2)');\n",
  },
];

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

const work = mkdtempSync(join(tmpdir(), 'codesave-bench-process-'));
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
      'const [zip, entry, cacheDir] = process.argv.slice(2);',
      "const cb = await ZipCodebase.open(zip, { cacheDir: cacheDir === 'none' ? false : cacheDir });",
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

  for (const app of apps) {
    const installed = join(repo, 'node_modules', app.pkg);
    if (!existsSync(installed)) {
      console.log(`| ${app.name} | – | – | – | not installed in the workspace: skipped |`);
      continue;
    }
    const dir = join(work, app.pkg);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: `bench-${app.pkg}`, version: '1.0.0', dependencies: { [app.pkg]: '*' } }),
    );
    writeFileSync(join(dir, app.entry), app.source);
    cpSync(realpathSync(installed), join(dir, 'node_modules', app.pkg), { recursive: true, dereference: true });
    const zip = join(work, `${app.pkg}.zip`);
    await checkpoint(dir, { output: zip, includeDependencies: true });
    const native = () => wall([join(work, 'native.mjs'), join(dir, app.entry)], work);
    report(
      `${app.name}, empty cache`,
      pair(native, () => wall([runner, zip, app.entry, 'none'], work)),
    );
    const cache = join(work, `cache-${app.pkg}`);
    wall([runner, zip, app.entry, cache], work);
    report(
      `${app.name}, disk cache filled`,
      pair(native, () => wall([runner, zip, app.entry, cache], work)),
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
