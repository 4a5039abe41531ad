// Checkpoint a project into a W&B run while "training", then — on another machine — pull the run's code
// and run it. One command: `node examples/wandb/run.mjs` (or `pnpm --filter @codesave/example-wandb start`).
//
// Without WANDB_API_KEY this starts the local stand-in server the tests use (test/wandb/stand-in.ts) and
// talks to it on 127.0.0.1. With WANDB_API_KEY set it uses the real service (WANDB_BASE_URL, default
// https://api.wandb.ai) and the run WANDB_ENTITY/WANDB_PROJECT/<new id> (project default: codesave-example).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpointToWandb, WandbCodebase, zipFromWandbArtifact } from 'codesave';

const here = path.dirname(fileURLToPath(import.meta.url));
const real = Boolean(process.env.WANDB_API_KEY);
let standIn;
let connection = {};
if (!real) {
  // The stand-in is TypeScript; tsx (a dev dependency of the workspace) loads it.
  const { tsImport } = await import('tsx/esm/api');
  const { startStandIn } = await tsImport('../../test/wandb/stand-in.ts', import.meta.url);
  standIn = await startStandIn();
  connection = { baseUrl: standIn.url, apiKey: standIn.apiKey, env: {} };
  console.log(`no WANDB_API_KEY: using the local stand-in W&B server at ${standIn.url}`);
}

const project = process.env.WANDB_PROJECT || 'codesave-example';
const runPath = `${process.env.WANDB_ENTITY ? `${process.env.WANDB_ENTITY}/` : ''}${project}/${randomBytes(4).toString('hex')}`;
const scratch = await mkdtemp(path.join(tmpdir(), 'codesave-wandb-example-'));
try {
  // 1. During training: snapshot the project into the run (also as a log_code-style code artifact).
  const pushed = await checkpointToWandb(path.join(here, 'model'), {
    ...connection,
    run: runPath,
    asArtifact: true,
    program: 'src/index.js',
  });
  console.log(`pushed ${pushed.checkpoint.files} files (${pushed.checkpoint.bytes} bytes) to ${pushed.run.url}`);
  console.log(`  also logged code artifact ${pushed.artifact?.name}`);
  const run = `${pushed.run.entity}/${pushed.run.project}/${pushed.run.id}`;

  // 2. Later, elsewhere: open the run's code and call it. Nothing from the local project is used.
  const elsewhere = path.join(scratch, 'another-machine');
  const model = await WandbCodebase.open(run, {
    wandb: { ...connection, output: path.join(elsewhere, 'codebase.zip') },
  });
  try {
    const { predict, describe } = model.require('./src/index.js');
    console.log(`loaded ${describe()} from ${model.root}`);
    console.log(`predict([1, 2, 3]) = ${predict([1, 2, 3])}`);
  } finally {
    await model[Symbol.asyncDispose]();
  }

  // 3. Runs that used run.log_code() instead: rebuild a zip from the code artifact.
  const zip = await zipFromWandbArtifact(run, { ...connection, output: path.join(elsewhere, 'from-artifact.zip') });
  console.log(`rebuilt ${path.basename(zip)} from the code artifact`);
} finally {
  await rm(scratch, { recursive: true, force: true });
  await standIn?.close();
}
