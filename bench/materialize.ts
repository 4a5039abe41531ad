// Materialized files for sharp's snapshot: what the first materialization and a reuse cost, against loading
// sharp natively from disk, in the same run. Each measurement is a fresh process (an addon loads once per
// process): open the zip, require sharp, resize one PNG.
//
//   node --conditions=codesave-source --import tsx bench/materialize.ts        (from the repository root)
//   BENCH_ROUNDS=5 node --conditions=codesave-source --import tsx bench/materialize.ts
//
// Rows: native (require from node_modules), first (empty cache dir: the addon's package and its dependencies
// are written), reuse (the copy is on disk: re-hashed, not written), and, for the granularity choice, the whole
// snapshot written on first need instead of the addon's packages (`scope: 'all'`).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkpoint } from '../packages/core/src/index.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const workspace = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const src = pathToFileURL(path.join(workspace, 'packages/core/src/index.ts')).href;
const tsx = import.meta.resolve('tsx');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-bench-materialize-'));
const project = path.join(dir, 'project');
fs.mkdirSync(path.join(project, 'node_modules'), { recursive: true });
fs.symlinkSync(fs.realpathSync(path.join(workspace, 'node_modules/sharp')), path.join(project, 'node_modules/sharp'));
fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'p', dependencies: { sharp: '0.34.5' } }));
// A project with more than sharp: 2,000 files of its own, as a model repository has.
for (let i = 0; i < 2000; i++) {
  fs.mkdirSync(path.join(project, 'src', String(i % 20)), { recursive: true });
  fs.writeFileSync(
    path.join(project, 'src', String(i % 20), `m${i}.js`),
    `module.exports = ${JSON.stringify('x'.repeat(2000))};\n`,
  );
}
fs.writeFileSync(
  path.join(project, 'index.js'),
  `const sharp = require('sharp');
module.exports = async () => {
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c83' } }).png().toBuffer();
  return (await sharp(png).resize(16, 12).png().toBuffer()).length;
};
`,
);
const zip = path.join(dir, 'project.zip');
await checkpoint(project, { output: zip, includeDependencies: true });

const child = (body: string): Record<string, number> => {
  const script = path.join(dir, `run-${Math.random().toString(36).slice(2)}.mjs`);
  fs.writeFileSync(
    script,
    `import { ZipCodebase } from ${JSON.stringify(src)};
import { createRequire } from 'node:module';
const zip = ${JSON.stringify(zip)};
const project = ${JSON.stringify(project)};
const t0 = performance.now();
${body}
`,
  );
  try {
    const out = execFileSync(process.execPath, ['--conditions=codesave-source', '--import', tsx, script], {
      encoding: 'utf8',
    });
    return JSON.parse(out.trim().split('\n').pop()!);
  } finally {
    fs.rmSync(script);
  }
};

const native = () =>
  child(`await createRequire(project + '/')('./index.js')();
console.log(JSON.stringify({ ms: performance.now() - t0 }));`);
const fromZip = (cacheDir: string, scope: 'package' | 'all') =>
  child(`const cb = await ZipCodebase.open(zip, { cacheDir: ${JSON.stringify(cacheDir)} });
${scope === 'all' ? 'cb.materializedFiles.realPath(cb.root, "all");' : ''}
await cb.require('./index.js')();
const s = cb.materializedFiles.stats;
console.log(JSON.stringify({ ms: performance.now() - t0, written: s.bytesWritten, hashed: s.bytesHashed }));
await cb.dispose();`);

// What opening the zip (verifying it) and loading plain JavaScript cost, with nothing to materialize.
const openOnly = (cacheDir: string) =>
  child(`const cb = await ZipCodebase.open(zip, { cacheDir: ${JSON.stringify(cacheDir)} });
cb.require('./src/0/m0.js');
console.log(JSON.stringify({ ms: performance.now() - t0 }));
await cb.dispose();`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: Record<string, { ms: number[]; written?: number; hashed?: number }> = {
  native: { ms: [] },
  'zip, plain JavaScript only (no addon)': { ms: [] },
  'first (addon package + dependencies)': { ms: [] },
  'reuse (re-hashed)': { ms: [] },
  'first (whole snapshot)': { ms: [] },
  'reuse (whole snapshot copy, addon packages re-hashed)': { ms: [] },
};
for (let r = 0; r < rounds; r++) {
  rows.native!.ms.push(native().ms!);
  const cache = path.join(dir, `cache-${r}`);
  rows['zip, plain JavaScript only (no addon)']!.ms.push(openOnly(cache).ms!);
  for (const [name, result] of [
    ['first (addon package + dependencies)', fromZip(cache, 'package')],
    ['reuse (re-hashed)', fromZip(cache, 'package')],
  ] as const) {
    rows[name]!.ms.push(result.ms!);
    rows[name]!.written = result.written;
    rows[name]!.hashed = result.hashed;
  }
  const whole = path.join(dir, `whole-${r}`);
  for (const [name, result] of [
    ['first (whole snapshot)', fromZip(whole, 'all')],
    ['reuse (whole snapshot copy, addon packages re-hashed)', fromZip(whole, 'package')],
  ] as const) {
    rows[name]!.ms.push(result.ms!);
    rows[name]!.written = result.written;
    rows[name]!.hashed = result.hashed;
  }
  fs.rmSync(cache, { recursive: true, force: true });
  fs.rmSync(whole, { recursive: true, force: true });
}
const base = median(rows.native!.ms);
const mb = (n?: number) => (n === undefined ? '' : `${(n / 1024 / 1024).toFixed(1)} MB`);
console.log(
  `sharp snapshot: ${mb(fs.statSync(zip).size)} zip; median of ${rounds} fresh processes (open + require + one resize)`,
);
for (const [name, row] of Object.entries(rows)) {
  const ms = median(row.ms);
  console.log(
    `${name.padEnd(56)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / base).toFixed(2)}x native  written ${mb(row.written).padStart(8)}  hashed ${mb(row.hashed).padStart(8)}`,
  );
}
fs.rmSync(dir, { recursive: true, force: true });
