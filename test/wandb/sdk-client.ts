// A real W&B client run against the stand-in, in its own process as a user's script is: `@wandb/sdk`
// (W&B's own JS SDK) starts a run, logs, codesave pushes the project into that live run, the run finishes.
// Reads WANDB_BASE_URL / WANDB_API_KEY like any W&B program; prints the run's path as JSON.
//   node --import tsx test/wandb/sdk-client.ts <project dir> <W&B project> [entity]
import wandb from '@wandb/sdk';
import { checkpointToWandb } from '../../packages/wandb/src/index.js';

const [dir, project, entity] = process.argv.slice(2);
const run = await wandb.init({ project, entity, config: { lr: 0.1 } });
run.log({ loss: 1.5 });
run.log({ loss: 0.75 });
const pushed = await checkpointToWandb(dir!, { run, retry: { timeScale: 0 } });
await run.finish();
console.log(
  JSON.stringify({
    entity: run.entity,
    project: run.project,
    id: run.id,
    markedBy: pushed.markedBy,
    url: pushed.run.url,
  }),
);
