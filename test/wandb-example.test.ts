// examples/wandb runs with one command against the stand-in it starts itself (from sources here).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));

test('examples/wandb/run.mjs: push, open elsewhere, run, rebuild from the artifact', async () => {
  const { WANDB_API_KEY: _k, WANDB_BASE_URL: _b, WANDB_ENTITY: _e, WANDB_PROJECT: _p, ...env } = process.env;
  const home = await mkdtemp(join(tmpdir(), 'codesave-example-home-'));
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['--conditions=codesave-source', '--import', import.meta.resolve('tsx'), join(repo, 'examples/wandb/run.mjs')],
      { env: { ...env, HOME: home }, encoding: 'utf8' },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  ).finally(() => rm(home, { recursive: true, force: true }));
  assert.match(out, /using the local stand-in/);
  assert.match(out, /loaded tiny-model epoch-3/);
  assert.match(out, /predict\(\[1, 2, 3\]\) = 4\.1/);
  assert.match(out, /rebuilt from-artifact\.zip/);
});
