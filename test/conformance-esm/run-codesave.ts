/**
 * Runs a fixture's entry through codesave's ES module loader, in a child process of the conformance test,
 * so its output can be compared byte for byte with `node <entry>` / `node --import tsx <entry>`.
 * Usage: run-codesave.ts <fixture dir> <entry>
 */
import { resolve } from 'node:path';
import { testHost } from '../../packages/core/test/esm-host.js';

const [dir, entry] = process.argv.slice(2) as [string, string];
const host = testHost(resolve(dir), { console: true });
try {
  await host.import(entry);
} catch (error) {
  const e = error as Error & { code?: string };
  process.stderr.write(`${e?.name}${e?.code ? ` [${e.code}]` : ''}: ${e?.message}\n`);
  process.exitCode = 1;
}
