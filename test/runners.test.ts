// The first hour, as a new user has it: the packed tarballs installed with npm into a project outside the
// workspace, the installed CLI making two snapshots, and each test runner (jest with its default config,
// ts-jest, vitest's threads/forks/vmThreads pools, mocha, node:test) running a two-version comparison there.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { comparisonTest, runnerProjectFiles, tsJestConfig } from './runners/fixture.js';
import { type PackedProject, packedProject, type RunResult, runnerBin, workspaceModule } from './runners/harness.js';

let project: PackedProject;

/** What the host-realm (`Codebase`) test printed: which realm its results belong to. */
function realmReport(r: RunResult): Record<string, boolean>[] {
  return [...`${r.stdout}\n${r.stderr}`.matchAll(/CODESAVE_REALM (\{.*\})/g)].map((m) => JSON.parse(m[1]!));
}

function passed(r: RunResult, what: string): void {
  assert.equal(r.status, 0, `${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
}

/** Where host-realm results are the test's own (`toEqual`: null where the runner has no global expect). */
const TEST_REALM = { array: true, object: true, tags: true, deepStrictEqual: true, structuredClone: true };
/** jest and vitest vmThreads: the test's context is not the main one, where a Codebase evaluates. */
const MAIN_CONTEXT = {
  array: true,
  object: false,
  tags: false,
  deepStrictEqual: false,
  structuredClone: false,
  toEqual: true,
};

describe('packed tarballs in a project outside the workspace', { timeout: 600_000 }, () => {
  before(() => {
    project = packedProject(runnerProjectFiles);
    writeFileSync(join(project.dir, 'ts-jest', 'jest.config.cjs'), tsJestConfig(workspaceModule('ts-jest')));
    // the installed CLI; `snaps/` does not exist yet (the output's directories are made)
    for (const v of ['v1', 'v2']) {
      const r = project.run(process.execPath, [
        'node_modules/codesave/dist/bin.js',
        'save',
        `fixtures/${v}`,
        '-o',
        `snaps/${v}.zip`,
      ]);
      passed(r, `codesave save ${v}`);
    }
  });
  after(() => project?.dispose());

  test('the tarballs hold README, LICENSE and engines, and no workspace: versions', () => {
    const r = project.run(process.execPath, [
      '-e',
      `const fs = require('fs');
       for (const name of ['codesave', '@codesave/core', '@codesave/wandb']) {
         const dir = 'node_modules/' + name;
         const pkg = JSON.parse(fs.readFileSync(dir + '/package.json', 'utf8'));
         console.log(name, fs.existsSync(dir + '/README.md'), fs.existsSync(dir + '/LICENSE'), pkg.engines.node,
           JSON.stringify(pkg.dependencies ?? {}).includes('workspace:'));
       }`,
    ]);
    passed(r, 'package check');
    const floor = r.stdout.trim().split('\n')[0]!.split(' ')[3];
    for (const name of ['codesave', '@codesave/core', '@codesave/wandb']) {
      assert.match(
        r.stdout,
        new RegExp(`^${name} true true ${floor!.replace(/[.^$*+?|()[\]{}\\]/g, '\\$&')} false$`, 'm'),
      );
    }
  });

  test('jest (default config): require("codesave") in a CommonJS test', () => {
    const r = project.run(process.execPath, [runnerBin('jest'), '--ci', '--testPathPatterns', '/jest/']);
    passed(r, 'jest');
    assert.match(r.stderr, /Tests:\s+3 passed, 3 total/);
    // jest's test files run in a vm context of their own: host-realm results are the main context's objects
    assert.deepEqual(realmReport(r), [MAIN_CONTEXT]);
  });

  test('ts-jest: import … from "codesave" in a TypeScript test', () => {
    const r = project.run(process.execPath, [runnerBin('jest'), '--ci', '--config', 'ts-jest/jest.config.cjs']);
    passed(r, 'ts-jest');
    assert.match(r.stderr, /Tests:\s+3 passed, 3 total/);
  });

  for (const pool of ['threads', 'forks', 'vmThreads']) {
    test(`vitest --pool ${pool}: ESM and CommonJS tests`, () => {
      const r = project.run(process.execPath, [runnerBin('vitest'), 'run', '--globals', '--pool', pool, 'vitest/'], {
        env: { NO_COLOR: '1' },
      });
      passed(r, `vitest ${pool}`);
      assert.match(r.stdout, /Tests\s+6 passed \(6\)/);
      const expected = pool === 'vmThreads' ? MAIN_CONTEXT : { ...TEST_REALM, toEqual: true };
      assert.deepEqual(realmReport(r), [expected, expected]);
    });
  }

  test('mocha', () => {
    const r = project.run(process.execPath, [runnerBin('mocha'), 'mocha/compare.test.cjs']);
    passed(r, 'mocha');
    assert.match(r.stdout, /3 passing/);
    assert.deepEqual(realmReport(r), [{ ...TEST_REALM, toEqual: null }]);
  });

  test('node:test: ESM and CommonJS tests', () => {
    const r = project.run(process.execPath, [
      '--test',
      '--test-reporter=tap', // the default reporter is spec from Node 23 on; the counts below are TAP's
      'node-test/compare.test.mjs',
      'node-test/compare-cjs.test.cjs',
    ]);
    passed(r, 'node --test');
    assert.match(r.stdout, /# pass 6\n# fail 0/);
    assert.deepEqual(realmReport(r), [
      { ...TEST_REALM, toEqual: null },
      { ...TEST_REALM, toEqual: null },
    ]);
  });

  test('the comparison tests can fail: a wrong expectation is reported by the runner', () => {
    writeFileSync(
      join(project.dir, 'node-test', 'wrong.test.cjs'),
      comparisonTest('cjs', 'node:test').replace('[3, 6, 9]', '[3, 6, 10]'),
    );
    const r = project.run(process.execPath, ['--test', '--test-reporter=tap', 'node-test/wrong.test.cjs']);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /# fail 1/);
  });
});
