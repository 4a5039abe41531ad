import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ZipCodebase } from '../src/index.ts';
import { zipOf } from './codebase-helpers.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function settle(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

test('dispose releases the realm, volume and registry: heap returns near baseline after many cycles', async () => {
  const files: Record<string, string> = { 'index.js': '' };
  for (let i = 0; i < 20; i++) {
    files[`m${i}.js`] = `module.exports = { i: ${i}, big: new Array(2000).fill(${i}) };\n`;
    files['index.js'] += `require('./m${i}');\n`;
  }
  files['index.js'] += "globalThis.leak = new Array(10000).fill('x'); module.exports = 1;\n";
  const zip = await zipOf(files);
  const cycle = async () => {
    const c = await ZipCodebase.open(zip);
    c.require('./index');
    await c.dispose();
  };
  for (let i = 0; i < 20; i++) await cycle();
  const baseline = await settle();
  const cycles = 300;
  for (let i = 0; i < cycles; i++) await cycle();
  const after = await settle();
  const retainedPerCycle = (after - baseline) / cycles;
  // One codebase holds several hundred KB (context + modules + arrays); a leak would keep all of them.
  assert.ok(retainedPerCycle < 20_000, `retained ${Math.round(retainedPerCycle)} bytes per open/dispose cycle`);
});
