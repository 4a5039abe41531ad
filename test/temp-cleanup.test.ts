// Tests clean up after themselves: test files that make temp dirs through the shared helpers (and one that
// writes a zip beside them) are run with a fresh TMPDIR, which must be empty of codesave-* afterwards.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const FILES = [
  'packages/core/test/codebase-dispose.test.ts', // codebase-helpers' tmpDir
  'packages/core/test/snapshot-manifest.test.ts', // snapshot-helpers' tempDir, system unzip
  'packages/core/test/codebase-top-folder.test.ts',
];

test('test files leave no codesave-* directory in the temp dir', { timeout: 300_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-tmpcheck-'));
  try {
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const r = spawnSync(
      process.execPath,
      ['--conditions=codesave-source', '--import', 'tsx', '--test', ...FILES],
      // the transform cache has its own place (a per-user dir is issue 12's), so only test leftovers count
      { cwd: repo, encoding: 'utf8', env: { ...env, TMPDIR: tmp, CODESAVE_CACHE_DIR: path.join(tmp, 'cache') } },
    );
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const left = fs.readdirSync(tmp).filter((name) => name !== 'cache' && !name.startsWith('tsx-'));
    assert.deepEqual(left, [], `left behind in the temp dir: ${left.join(', ')}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
