/**
 * Runs a fixture's entry through codesave, in a child process of the conformance test, so its output can be
 * compared byte for byte with `node <entry>` / `node --import tsx <entry>`.
 * Usage: run-codesave.ts <fixture dir> <entry> [zip | test-host]
 * - `zip` (default): the fixture is saved with `checkpoint` to a zip in a temporary folder and imported through
 *   `ZipCodebase` (the workspace's node_modules as `dependencies`).
 * - `test-host`: the loader alone over the directory (packages/core/test/esm-host.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpoint, ZipCodebase } from '../../packages/core/src/index.ts';
import { testHost } from '../../packages/core/test/esm-host.ts';

const [dir, entry, mode = 'zip'] = process.argv.slice(2) as [string, string, string?];
const repoNodeModules = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules');

async function main(): Promise<void> {
  if (mode === 'test-host') {
    await testHost(path.resolve(dir), { console: true }).import(entry);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-esm-'));
  const zip = path.join(tmp, `${path.basename(dir)}.zip`);
  try {
    await checkpoint(path.resolve(dir), { output: zip, includeDependencies: true });
    const codebase = await ZipCodebase.open(zip, { dependencies: repoNodeModules });
    process.stdout.write(`\0ROOT ${codebase.root}\n`);
    await codebase.import(`./${entry}`);
    // Let timers and pending imports of the fixture finish before the codebase goes away.
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  const e = error as Error & { code?: string };
  process.stderr.write(`${e?.name}${e?.code ? ` [${e.code}]` : ''}: ${e?.message}\n`);
  process.exitCode = 1;
}
