// compare() against the loop people write by hand, in the same run.
//
//   node --conditions=codesave-source --import tsx bench/compare.ts      (from the repository root)
//   BENCH_CASES=10000 BENCH_ROUNDS=7 node --conditions=codesave-source --import tsx bench/compare.ts
//
// Two versions of a cheap function, both opened once (opening is not timed); 10,000 cases of { x }.
// The hand-written loop calls both functions directly on each case, catching errors, timing each call with
// performance.now() and comparing the two outputs with realmEqual; compare() does that plus copying each
// case into each realm, copying outputs back, diffs of the outputs that differ and the report's statistics.
// Rounds alternate which side runs first; the medians and their ratio are printed (goal: ≤ 1.5×).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkpoint, compare, realmEqual, ZipCodebase } from '../packages/core/src/index.js';

const n = Number(process.env.BENCH_CASES ?? 10_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-bench-compare-'));
try {
  const zips: string[] = [];
  for (const [name, body] of [
    ['v1', 'exports.f = (c) => ({ y: c.x * 2 + 1, even: c.x % 2 === 0 });'],
    ['v2', 'exports.f = (c) => ({ y: c.x * 2 + (c.x % 100 === 0 ? 2 : 1), even: c.x % 2 === 0 });'],
  ]) {
    fs.mkdirSync(path.join(dir, name, 'src'), { recursive: true });
    fs.writeFileSync(path.join(dir, name, 'package.json'), '{"name":"m"}');
    fs.writeFileSync(path.join(dir, name, 'src/model.js'), body);
    zips.push((await checkpoint(path.join(dir, name), { output: path.join(dir, `${name}.zip`) })).path);
  }
  const cbs = await Promise.all(zips.map((zip) => ZipCodebase.open(zip)));
  const fns = await Promise.all(cbs.map((cb) => cb._from('src/model', 'f')));
  const cases = Array.from({ length: n }, (_, x) => ({ x }));

  const byHand = () => {
    const rows: { outputs: unknown[]; errors: unknown[]; ms: number[]; agree: boolean }[] = [];
    for (const c of cases) {
      const outputs: unknown[] = [];
      const errors: unknown[] = [];
      const ms: number[] = [];
      for (const fn of fns) {
        const start = performance.now();
        try {
          outputs.push(fn(c));
          errors.push(undefined);
        } catch (error) {
          outputs.push(undefined);
          errors.push(error);
        }
        ms.push(performance.now() - start);
      }
      rows.push({ outputs, errors, ms, agree: realmEqual(outputs[0], outputs[1]) });
    }
    return rows.filter((r) => !r.agree).length;
  };
  const withCompare = async () =>
    (await compare({ versions: { v1: cbs[0], v2: cbs[1] }, call: 'src/model:f', cases })).summary.differ;

  const time = async (fn: () => unknown) => {
    const start = performance.now();
    const differ = await fn();
    return { ms: performance.now() - start, differ };
  };
  // warm-up
  await time(byHand);
  await time(withCompare);
  const hand: number[] = [];
  const harness: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [withCompare, byHand] : [byHand, withCompare];
    for (const fn of order) {
      const { ms, differ } = await time(fn);
      if (differ !== n / 100) throw new Error(`expected ${n / 100} differing cases, got ${differ}`);
      (fn === byHand ? hand : harness).push(ms);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const [h, c] = [median(hand), median(harness)];
  console.log(`${n} cases × 2 versions, ${rounds} rounds (medians), Node ${process.version}`);
  console.log(`hand-written loop  ${h.toFixed(1)} ms  (${((h / n) * 1000).toFixed(2)} µs/case)`);
  console.log(`compare()          ${c.toFixed(1)} ms  (${((c / n) * 1000).toFixed(2)} µs/case)`);
  console.log(`ratio              ${(c / h).toFixed(2)}×  (goal ≤ 1.5×)`);
  await Promise.all(cbs.map((cb) => cb.dispose()));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
