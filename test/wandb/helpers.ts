// Shared by the W&B tests: temp dirs, an isolated environment (no real HOME, netrc or WANDB_* leaks in),
// and client options pointing at a stand-in with instant retries.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { StandIn } from './stand-in.js';

export async function tempDir(prefix = 'codesave-wandb-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Writes `{ path: content }` under `root`. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const file = join(root, ...path.split('/'));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

/** Options that reach `standIn` with its key, read nothing from the real machine, and retry at once. */
export function standInOptions(standIn: StandIn, home: string, extra: Record<string, unknown> = {}) {
  return {
    env: { WANDB_BASE_URL: standIn.url, WANDB_API_KEY: standIn.apiKey } as Record<string, string | undefined>,
    home,
    cwd: home,
    retry: { timeScale: 0 },
    ...extra,
  };
}

/** What a child process gave: its exit code and output. */
export interface ChildResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node <args>` (sources through tsx) without blocking this process, so the stand-in can answer from
 * here: in `cwd`, with HOME under `work`, CI set, and the stand-in's URL and key; `env` adds to that.
 */
export function runNode(
  standIn: StandIn,
  work: string,
  args: string[],
  { env = {}, cwd = work }: { env?: Record<string, string>; cwd?: string } = {},
): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=codesave-source', '--import', import.meta.resolve('tsx'), ...args],
      {
        cwd,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          HOME: join(work, 'home'),
          CI: '1',
          WANDB_BASE_URL: standIn.url,
          WANDB_API_KEY: standIn.apiKey,
          ...env,
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
