// Memory after many open/dispose cycles of a ZipCodebase, against the heap before them, in the same run.
//
//   node --expose-gc --conditions=codesave-source --import tsx bench/dispose.ts      (from the repository root)
//   BENCH_CYCLES=3000 node --expose-gc --conditions=codesave-source --import tsx bench/dispose.ts
//
// Each cycle opens a zip of 50 modules (each holding an array of 1,000 numbers; the entry also sets a global),
// requires its entry, and disposes it. The heap is measured after full GCs: before the cycles (after a warm-up
// of 20), and after every quarter of them. A leak shows as steady growth; a healthy run stays flat.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkpoint, ZipCodebase } from '../packages/core/src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with --expose-gc');
  process.exit(1);
}
const cycles = Number(process.env.BENCH_CYCLES ?? 1000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-bench-dispose-'));
const project = path.join(dir, 'project');
fs.mkdirSync(project);
let entry = '';
for (let i = 0; i < 50; i++) {
  fs.writeFileSync(path.join(project, `m${i}.js`), `module.exports = new Array(1000).fill(${i});\n`);
  entry += `require('./m${i}');\n`;
}
fs.writeFileSync(path.join(project, 'index.js'), `${entry}globalThis.state = { big: new Array(10000).fill('x') };\n`);
const zip = path.join(dir, 'project.zip');
await checkpoint(project, { output: zip });

async function settle(): Promise<number> {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc!();
  }
  return process.memoryUsage().heapUsed;
}

async function cycle(): Promise<void> {
  const codebase = await ZipCodebase.open(zip);
  codebase.require('./index');
  await codebase.dispose();
}

const one = await ZipCodebase.open(zip);
const before = await settle();
one.require('./index');
const held = (await settle()) - before;
await one.dispose();

for (let i = 0; i < 20; i++) await cycle();
const baseline = await settle();
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
console.log(`one loaded codebase holds ${mb(held)}; heap baseline ${mb(baseline)}`);
const started = performance.now();
for (let i = 1; i <= cycles; i++) {
  await cycle();
  if (i % (cycles / 4) === 0) {
    const now = await settle();
    console.log(`after ${i} cycles: heap ${mb(now)} (${now - baseline >= 0 ? '+' : ''}${mb(now - baseline)})`);
  }
}
const after = await settle();
console.log(
  `retained per cycle: ${Math.round((after - baseline) / cycles)} bytes (${((after - baseline) / held).toFixed(2)} loaded codebases in total); ${((performance.now() - started) / cycles).toFixed(1)} ms per cycle — Node ${process.version}`,
);
fs.rmSync(dir, { recursive: true, force: true });
