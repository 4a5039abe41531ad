// The built packages must load from CommonJS and ESM hosts alike, through their `exports` maps.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function nodeEval(code: string, type: 'commonjs' | 'module'): string {
  return execFileSync(process.execPath, [`--input-type=${type}`, '-e', code], {
    cwd: `${root}packages/cli`,
    encoding: 'utf8',
  }).trim();
}

for (const name of ['@codesave/core', '@codesave/wandb', 'codesave']) {
  test(`${name} loads with require() from dist`, () => {
    const out = nodeEval(
      `const m = require(${JSON.stringify(name)}); console.log(require.resolve(${JSON.stringify(name)}).endsWith('.cjs'), typeof m)`,
      'commonjs',
    );
    assert.equal(out, 'true object');
  });
}

test('codesave re-exports the core library for ESM and CJS hosts', () => {
  const esm = nodeEval(`const m = await import('codesave'); console.log(typeof m.CodesaveError)`, 'module');
  const cjs = nodeEval(`console.log(typeof require('codesave').CodesaveError)`, 'commonjs');
  assert.equal(esm, 'function');
  assert.equal(cjs, 'function');
});
