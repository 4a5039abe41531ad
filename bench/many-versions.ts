// P5: many versions of a small app open at once. Heap held per open, loaded version, against Node holding the
// same app loaded natively from as many unzipped copies (distinct paths, so Node keeps each copy's modules), in
// the same run. Goal: ≤ 2 MB of heap per version.
//
//   node --expose-gc --import tsx bench/many-versions.ts                (from the repository root)
//   BENCH_VERSIONS=200 node --expose-gc --import tsx bench/many-versions.ts
//   BENCH_DIST=1 …      load codesave from the built dist (as an installed package) instead of src
//
// The app: 12 CommonJS modules (one a JSON file) and 4 ES modules, a few KB of code like a small library.
// Each version differs in one constant, so none shares a transform or a compiled script with another.
// Every version is opened with the default options (verification, a disk cache the first version filled).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with --expose-gc');
  process.exit(1);
}
const versions = Number(process.env.BENCH_VERSIONS ?? 100);
const core: typeof import('../packages/core/src/index.js') = await import(
  process.env.BENCH_DIST ? '../packages/core/dist/index.js' : '../packages/core/src/index.js'
);

function writeApp(dir: string, version: number): void {
  mkdirSync(join(dir, 'lib'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'small-app', version: `1.0.${version}` }));
  writeFileSync(join(dir, 'lib/data.json'), JSON.stringify({ version, weights: [1, 2, 3, 5, 8, 13] }));
  for (let i = 0; i < 10; i++) {
    const deps = i === 0 ? "require('./data.json')" : `require('./m${i - 1}.js')`;
    writeFileSync(
      join(dir, `lib/m${i}.js`),
      [
        "'use strict';",
        `const prev = ${deps};`,
        `function step${i}(x) { return typeof prev === 'function' ? prev(x) + ${i} : x * ${version + 1}; }`,
        `module.exports = step${i};`,
        `module.exports.label = 'step ${i} of version ${version}';`,
        '',
      ].join('\n'),
    );
  }
  writeFileSync(join(dir, 'index.js'), "const step = require('./lib/m9.js');\nexports.run = (x) => step(x);\n");
  for (let i = 0; i < 4; i++) {
    const dep = i === 0 ? '' : `import { f${i - 1} } from './e${i - 1}.mjs';\n`;
    const body = i === 0 ? `x * ${version + 2}` : `f${i - 1}(x) + ${i}`;
    writeFileSync(join(dir, `lib/e${i}.mjs`), `${dep}export const f${i} = (x) => ${body};\n`);
  }
  writeFileSync(join(dir, 'main.mjs'), "export { f3 as run } from './lib/e3.mjs';\n");
}

async function settle(): Promise<number> {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc!();
  }
  return process.memoryUsage().heapUsed;
}

const work = mkdtempSync(join(tmpdir(), 'codesave-bench-versions-'));
try {
  const zips: string[] = [];
  const trees: string[] = [];
  for (let v = 0; v < versions; v++) {
    const tree = join(work, `tree-${v}`);
    writeApp(tree, v);
    trees.push(tree);
    zips.push(join(work, `v${v}.zip`));
    await core.checkpoint(tree, { output: zips[v] });
  }
  const cacheDir = join(work, 'cache');
  let check = 0;

  // Node: every copy loaded natively and kept (its modules stay in require.cache / the ESM loader's map).
  const nativeBefore = await settle();
  const kept: unknown[] = [];
  for (const tree of trees) {
    const run = createRequire(join(tree, 'index.js'))('./index.js').run as (x: number) => number;
    const esm = (await import(pathToFileURL(join(tree, 'main.mjs')).href)).run as (x: number) => number;
    check += run(1) + esm(1);
    kept.push(run, esm);
  }
  const nativeHeld = ((await settle()) - nativeBefore) / versions;

  // codesave: every version open at once, both entries loaded.
  const warm = await core.ZipCodebase.open(zips[0], { cacheDir });
  warm.require('./index.js');
  await warm.import('main.mjs');
  await warm.dispose();
  const before = await settle();
  const open: { dispose(): Promise<void> }[] = [];
  for (const zip of zips) {
    const codebase = await core.ZipCodebase.open(zip, { cacheDir });
    check -= codebase.require('./index.js').run(1) + (await codebase.import('main.mjs')).run(1);
    open.push(codebase);
  }
  const held = ((await settle()) - before) / versions;
  if (check !== 0) throw new Error('the versions loaded from zips computed something else than Node did');
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;
  console.log(`Node ${process.version}, ${versions} versions of a 17-file app held at once (heap after full GCs)\n`);
  console.log('| | heap per version | ratio |\n| --- | --- | --- |');
  console.log(`| Node, unzipped copies loaded natively | ${mb(nativeHeld)} | 1× |`);
  console.log(`| codesave, open ZipCodebase per version | ${mb(held)} | ${(held / nativeHeld).toFixed(2)}× |`);
  console.log(`\ngoal ≤ 2 MB per version: ${held <= 2 * 1024 * 1024 ? 'met' : 'NOT met'}`);
  for (const codebase of open) await codebase.dispose();
  kept.length = 0;
} finally {
  rmSync(work, { recursive: true, force: true });
}
