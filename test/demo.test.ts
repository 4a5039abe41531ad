// The README's demo, checked against native runs: each version's predictions in the printed table must be
// what the same snapshot, unzipped to disk and run by tsx, predicts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const demo = path.join(root, 'examples/compare-versions');

test('the demo prints, for each version, what that version predicts natively', () => {
  const output = execFileSync(process.execPath, ['--conditions=codesave-source', '--import', 'tsx', 'run.mjs'], {
    cwd: demo,
    encoding: 'utf8',
  });
  const rows = output
    .split('\n')
    .map((line) => /^(.+?)\s{2,}(\w+ \(-?[\d.]+\))\s{2,}(\w+ \(-?[\d.]+\))/.exec(line))
    .filter((match) => match !== null);
  assert.equal(rows.length, 6, output);
  assert.match(output, /2 of 6 predictions changed/);

  const scratch = mkdtempSync(path.join(tmpdir(), 'codesave-demo-'));
  try {
    for (const [column, zip] of [
      [2, 'v1.zip'],
      [3, 'v2.zip'],
    ] as const) {
      const dir = path.join(scratch, zip);
      execFileSync('unzip', ['-q', path.join(demo, 'out', zip), '-d', dir]);
      const inputs = rows.map((row) => row[1]);
      const native = execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `const { predict } = await import(${JSON.stringify(path.join(dir, 'src/index.ts'))});
           for (const text of ${JSON.stringify(inputs)}) { const p = predict(text); console.log(p.label + ' (' + p.score + ')'); }`,
        ],
        { cwd: root, encoding: 'utf8' },
      )
        .trim()
        .split('\n');
      assert.deepEqual(
        rows.map((row) => row[column]),
        native,
        zip,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
