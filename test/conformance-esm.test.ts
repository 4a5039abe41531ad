/**
 * Differential conformance of ES modules and TypeScript: each fixture under test/conformance-esm/fixtures runs
 * natively (`node main.mjs`, or `node --import tsx main.ts` for TypeScript) and through codesave's loader; the
 * reports (stdout lines, the uncaught error's first line, exit code) must be deepStrictEqual once the
 * fixture's path is normalised.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = join(here, 'conformance-esm', 'fixtures');
const ENTRIES = ['main.mjs', 'main.js', 'main.mts', 'main.ts', 'main.cjs', 'main.cts'];

interface Report {
  stdout: string[];
  error: string | undefined;
  exitCode: number;
}

function normalise(text: string, root: string): string {
  return text.split(pathToFileURL(root).href).join('file://<root>').split(root).join('<root>');
}

async function report(args: string[], cwd: string): Promise<Report> {
  let root = cwd;
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  try {
    ({ stdout, stderr } = await run(process.execPath, args, { cwd, timeout: 60_000 }));
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    stdout = e.stdout;
    stderr = e.stderr;
    exitCode = e.code;
  }
  // The zip runner announces the codebase's virtual root on a line of its own.
  const announced = /^\0ROOT (.*)\n/m.exec(stdout);
  if (announced) {
    root = announced[1]!;
    stdout = stdout.replace(announced[0], '');
  }
  const errorLine = stderr
    .split('\n')
    .map((l) => /^(?:Uncaught )?([A-Za-z]*Error)(?: \[([A-Z_]+)\])?: (.*)$/.exec(l))
    .find(Boolean);
  return {
    stdout: normalise(stdout, root).split('\n'),
    error: errorLine
      ? normalise(`${errorLine[1]}${errorLine[2] ? ` [${errorLine[2]}]` : ''}: ${errorLine[3]}`, root)
      : undefined,
    exitCode,
  };
}

for (const name of readdirSync(fixtures).sort()) {
  const dir = join(fixtures, name);
  const entry = ENTRIES.find((e) => existsSync(join(dir, e)));
  if (!entry) continue;
  test(`esm conformance: ${name}`, async () => {
    const ts = /\.[cm]?ts$/.test(entry);
    const native = await report([...(ts ? ['--import', 'tsx'] : []), entry], dir);
    const ours = await report(
      [
        '--conditions=codesave-source',
        '--import',
        'tsx',
        join(here, 'conformance-esm', 'run-codesave.ts'),
        dir,
        entry,
        process.env.CODESAVE_ESM_HOST ?? 'zip',
      ],
      dir,
    );
    assert.deepStrictEqual(ours, native);
  });
}
