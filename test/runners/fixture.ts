/**
 * The files of the runner project: two versions of a small model project, and one test per runner that opens
 * both snapshots, calls both and asserts the difference (realmEqual), one that runs `compare()` over both and
 * judges the report with `assertNoRegressions`, and one that reports which realm a host-realm (`Codebase`)
 * result belongs to.
 */
export type ModuleKind = 'cjs' | 'esm' | 'ts';
export type TestApi = 'globals' | 'node:test';

const model = (factor: number) => `'use strict';
exports.predict = (xs) => xs.map((x) => x * ${factor});
exports.describe = () => ({ name: 'model', factor: ${factor}, tags: ['a', 'b'] });
`;

/** A test file for a runner: `kind` picks the module syntax, `api` where `it` comes from. */
export function comparisonTest(kind: ModuleKind, api: TestApi): string {
  const imports =
    kind === 'cjs'
      ? `const assert = require('node:assert/strict');
const path = require('node:path');
const { ZipCodebase, Codebase, realmEqual, assertRealmEqual, compare, assertNoRegressions } = require('codesave');
${api === 'node:test' ? "const { it } = require('node:test');" : ''}
const here = __dirname;`
      : `import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZipCodebase, Codebase, realmEqual, assertRealmEqual, compare, assertNoRegressions } from 'codesave';
${api === 'node:test' ? "import { it } from 'node:test';" : ''}
const here = ${kind === 'ts' ? '__dirname' : 'path.dirname(fileURLToPath(import.meta.url))'};
${kind === 'ts' ? 'declare const expect: any;' : ''}`;
  const snap = (v: string) => `path.join(here, '..', 'snaps', '${v}.zip')`;
  return `${imports}

it('compares two versions of a snapshot', async () => {
  const v1 = await ZipCodebase.open(${snap('v1')});
  const v2 = await ZipCodebase.open(${snap('v2')});
  try {
    const m1 = await v1._from('src', 'model');
    const m2 = await v2._from('src', 'model');
    const a = m1.predict([1, 2, 3]);
    const b = m2.predict([1, 2, 3]);
    assert.ok(Array.isArray(a) && Array.isArray(b));
    assert.equal(realmEqual(a, b), false);
    assert.ok(realmEqual(a, [2, 4, 6]));
    assertRealmEqual(b, [3, 6, 9]);
    assert.equal(realmEqual(m1.describe(), m2.describe()), false);
  } finally {
    await v1.dispose();
    await v2.dispose();
  }
});

it('compare() reports where two versions differ, and assertNoRegressions judges it', async () => {
  const report = await compare({
    versions: { v1: ${snap('v1')}, v2: ${snap('v2')} },
    call: 'src/model:predict',
    cases: [[1, 2], [0], []],
    scorers: { total: (out${kind === 'ts' ? ': number[]' : ''}) => out.reduce((a${kind === 'ts' ? ': number' : ''}, b${kind === 'ts' ? ': number' : ''}) => a + b, 0) },
  });
  assert.deepEqual(report.summary, { ...report.summary, cases: 3, agree: 2, differ: 1, errors: 0 });
  assert.deepEqual(report.cases[0].results.map((r${kind === 'ts' ? ': any' : ''}) => r.output), [[2, 4], [3, 6]]);
  assertNoRegressions(report, { scorer: 'total' });
  assert.throws(() => assertNoRegressions(report, { scorer: 'total', baseline: 'v2' }), /v1: total 2\\.000 < baseline v2 3\\.000/);
});

it('Codebase (host realm) results', async () => {
  const cb = await Codebase.open(${snap('v2')});
  try {
    const m = await cb._from('src', 'model');
    const result = m.predict([1, 2]);
    const info = m.describe();
    assert.ok(Array.isArray(result));
    assertRealmEqual(result, [3, 6]);
    const realm = { array: result instanceof Array, object: info instanceof Object, tags: info.tags instanceof Array };
    let strict = true;
    try {
      assert.deepStrictEqual(info, { name: 'model', factor: 3, tags: ['a', 'b'] });
    } catch {
      strict = false;
    }
    let cloned = true;
    try {
      assert.deepStrictEqual(structuredClone(info), { name: 'model', factor: 3, tags: ['a', 'b'] });
    } catch {
      cloned = false;
    }
    // jest's and vitest's expect (globals): toEqual ignores prototypes
    let toEqual = null;
    if (typeof expect === 'function') {
      try {
        expect(info).toEqual({ name: 'model', factor: 3, tags: ['a', 'b'] });
        toEqual = true;
      } catch {
        toEqual = false;
      }
    }
    console.log('CODESAVE_REALM ' + JSON.stringify({ ...realm, deepStrictEqual: strict, structuredClone: cloned, toEqual }));
  } finally {
    await cb.dispose();
  }
});
`;
}

/** ts-jest on the TypeScript test: transpile only (no type check: the project has no @types/jest). */
export function tsJestConfig(tsJest: string): string {
  return `module.exports = {
  rootDir: '..',
  testMatch: ['<rootDir>/ts-jest/**/*.test.ts'],
  transform: {
    '^.+\\\\.ts$': [${JSON.stringify(tsJest)}, { diagnostics: false, tsconfig: { module: 'commonjs', target: 'es2022', esModuleInterop: true } }],
  },
};
`;
}

export const runnerProjectFiles: Record<string, string> = {
  'fixtures/v1/src/model.js': model(2),
  'fixtures/v2/src/model.js': model(3),
  'jest/compare.test.cjs': comparisonTest('cjs', 'globals'),
  'ts-jest/compare.test.ts': comparisonTest('ts', 'globals'),
  'vitest/compare.test.mjs': comparisonTest('esm', 'globals'),
  'vitest/compare-cjs.test.cjs': comparisonTest('cjs', 'globals'),
  'mocha/compare.test.cjs': comparisonTest('cjs', 'globals'),
  'node-test/compare.test.mjs': comparisonTest('esm', 'node:test'),
  'node-test/compare-cjs.test.cjs': comparisonTest('cjs', 'node:test'),
};
