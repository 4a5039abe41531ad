/**
 * Module graphs thousands of modules deep (a chain of imports, a ring of `export *`): Node 20 loads a chain
 * of 3,000; Node 24 stops earlier with a RangeError. Through codesave a graph loads at least wherever the
 * running Node loads it, with the same output — its loader walks graphs on stacks of its own, where a
 * recursion through transform and resolve overflowed at ~1,500.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));
const base = mkdtempSync(join(tmpdir(), 'codesave-depth-'));
after(() => rmSync(base, { recursive: true, force: true }));

function graph(kind: 'chain' | 'star-ring', n: number): string {
  const dir = join(base, kind);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  for (let i = 0; i < n; i++) {
    const source =
      kind === 'chain'
        ? i < n - 1
          ? `import { v as w } from './m${i + 1}.mjs';\nexport const v = w + 1;\n`
          : 'export const v = 0;\n'
        : `export * from './m${(i + 1) % n}.mjs';\nexport const v${i} = ${i};\n`;
    writeFileSync(join(dir, `m${i}.mjs`), source);
  }
  writeFileSync(
    join(dir, 'main.mjs'),
    `import * as ns from './m0.mjs';\nconsole.log(Object.keys(ns).length, ns.v ?? ns.v${n - 1});\n`,
  );
  return dir;
}

async function outcome(args: string[], cwd: string): Promise<{ stdout: string; rangeError: boolean }> {
  try {
    const { stdout } = await run(process.execPath, args, { cwd, timeout: 120_000, maxBuffer: 1 << 24 });
    return { stdout: stdout.replace(/^\0ROOT .*\n/m, ''), rangeError: false };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; signal?: string };
    assert.equal(e.signal ?? null, null, `killed by ${e.signal}: ${e.stderr.slice(-500)}`);
    assert.match(e.stderr, /RangeError: Maximum call stack size exceeded/);
    return { stdout: '', rangeError: true };
  }
}

for (const kind of ['chain', 'star-ring'] as const) {
  test(`a ${kind} of 2,500 modules loads through codesave wherever it loads natively`, async () => {
    const dir = graph(kind, 2_500);
    const native = await outcome(['main.mjs'], dir);
    const zip = await outcome(
      [
        '--conditions=codesave-source',
        '--import',
        'tsx',
        join(repo, 'test/conformance-esm/run-codesave.ts'),
        dir,
        'main.mjs',
      ],
      repo,
    );
    assert.equal(zip.rangeError, false, 'codesave ran out of stack');
    if (!native.rangeError) assert.equal(zip.stdout, native.stdout);
    else assert.equal(zip.stdout, kind === 'chain' ? '1 2499\n' : '2500 2499\n');
  });
}
