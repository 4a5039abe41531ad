/** `codesave push <dir> --run <entity/project/id>`: snapshot a directory into a W&B run's files. */
import { type CheckpointToWandbResult, checkpointToWandb } from '@codesave/wandb';
import {
  checkpointFlags,
  checkpointFlagsHelp,
  checkpointOptionsFrom,
  showCheckpointProgress,
} from '../checkpoint-flags.js';
import { type Command, parseCommandArgs, UsageError } from '../command.js';
import { createProgress, formatBytes } from '../progress.js';
import { wandbFlags, wandbFlagsHelp, wandbOptionsFrom } from '../wandb-flags.js';

const usage = `Usage: codesave push <dir> [<more roots>...] --run <entity/project/run_id> [options]

Saves <dir> as a zip snapshot (as "codesave save" does) and uploads it into the W&B run's files as
codebase.zip, as wandb.save(path, policy="now") does. The run is created when it does not exist.
Auth: WANDB_API_KEY, else the ~/.netrc entry for the server (run "wandb login"); WANDB_BASE_URL for
self-hosted servers.

Options:
      --run <path>               entity/project/run_id, project/run_id (default entity), or a run URL
                                 (default: WANDB_ENTITY, WANDB_PROJECT, WANDB_RUN_ID)
      --name <file>              the file's name in the run (default: codebase.zip)
      --as-artifact              also log the files as a "code" artifact, as run.log_code() does
      --program <path>           program path in the artifact's name, source-<project>-<program>
  -o, --output <zip>             keep the zip here (default: a temp file, removed after the upload)
${wandbFlagsHelp}
${checkpointFlagsHelp}
      --force                    replace an output that is not a zip, or a symbolic link (the link itself)
      --json                     print the result as JSON
  -h, --help                     show this help

Exit codes: 0 pushed, 1 bad arguments, input, auth or network failure, 2 internal error.`;

const flags = {
  run: { type: 'string' },
  name: { type: 'string' },
  'as-artifact': { type: 'boolean' },
  program: { type: 'string' },
  output: { type: 'string', short: 'o' },
  ...wandbFlags,
  ...checkpointFlags,
  force: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export const push: Command = {
  name: 'push',
  usage,
  summary: "Saves <dir> as a zip snapshot and uploads it into a W&B run's files",
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, flags);
    if (positionals.length === 0) throw new UsageError('which directory? pass it as the first argument');
    const progress = createProgress({ enabled: values.json ? false : undefined });
    let result: CheckpointToWandbResult;
    try {
      result = await checkpointToWandb(positionals, {
        run: values.run,
        codebaseZipname: values.name,
        asArtifact: values['as-artifact'] ?? false,
        program: values.program,
        output: values.output,
        ...wandbOptionsFrom('push', values),
        force: values.force ?? false,
        ...checkpointOptionsFrom(values),
        onCheckpointProgress: showCheckpointProgress(progress),
        onProgress: (p) => progress.update(p.transferred, p.total ?? p.transferred, `uploading ${p.name}`, 'bytes'),
      });
    } finally {
      progress.finish();
    }
    if (values.json) {
      console.log(JSON.stringify(result, null, 2));
      return 0;
    }
    const { run, checkpoint } = result;
    const lines = [
      `Pushed ${checkpoint.files} files (${formatBytes(checkpoint.bytes)} zip) to ${run.entity}/${run.project}/${run.id} as ${result.filename}${run.created ? ' (new run)' : ''}`,
      `  ${run.url}`,
      `  sha256 ${checkpoint.sha256}`,
    ];
    if (values.output) lines.push(`  kept ${checkpoint.path}`);
    if (result.artifact) {
      lines.push(
        `  code artifact ${result.artifact.name}${result.artifact.deduplicated ? ' (unchanged, deduplicated)' : ''}`,
      );
    }
    console.log(lines.join('\n'));
    return 0;
  },
};
