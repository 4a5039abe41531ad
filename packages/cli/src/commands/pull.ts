/** `codesave pull <entity/project/id> -o <zip>`: a run's code as a zip (the Python tool's `code_from_wandb`). */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { downloadFromWandb, zipFromWandb, zipFromWandbArtifact } from '@codesave/wandb';
import { type Command, parseCommandArgs, UsageError } from '../command.js';
import { createProgress, formatBytes } from '../progress.js';
import { wandbFlags, wandbFlagsHelp, wandbOptionsFrom } from '../wandb-flags.js';

const usage = `Usage: codesave pull <entity/project/run_id> [-o <zip>] [options]

Downloads a W&B run's code as a zip (the Python tool's code_from_wandb): its codebase.zip (pushed by codesave), else the "code" artifact
that run.log_code() logged, checkpointed into a zip. Downloads are verified (size, MD5) and written
atomically: a failed pull leaves nothing at the output path.
Auth: WANDB_API_KEY, else the ~/.netrc entry for the server (run "wandb login").

Options:
  -o, --output <zip>      where to write (default: codebase.zip in the current directory)
      --filename <name>   fetch this run file only, no artifact fallback (e.g. codebase.zip)
      --artifact          use the run's code artifact only, even if it has a codebase.zip
${wandbFlagsHelp}
      --force             replace an output that is not a zip, or a symbolic link (the link itself)
      --json              print the result as JSON
  -h, --help              show this help

Exit codes: 0 pulled, 1 bad arguments, no such run or code, auth or network failure, 2 internal error.`;

const flags = {
  output: { type: 'string', short: 'o' },
  filename: { type: 'string' },
  artifact: { type: 'boolean' },
  ...wandbFlags,
  force: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export const pull: Command = {
  name: 'pull',
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, flags);
    if (positionals.length > 1) throw new UsageError('give one run path: entity/project/run_id');
    if (values.filename && values.artifact) throw new UsageError('--filename and --artifact exclude each other');
    const runPath = positionals[0];
    const output = resolve(values.output ?? 'codebase.zip');
    const progress = createProgress({ enabled: values.json ? false : undefined });
    const options = {
      output,
      ...wandbOptionsFrom('pull', values),
      force: values.force ?? false,
      onProgress: (p: { name: string; transferred: number; total?: number }) =>
        progress.update(p.transferred, p.total ?? p.transferred, `downloading ${p.name}`, 'bytes'),
    };
    let path: string;
    let source: 'run-file' | 'artifact' | 'run-file-or-artifact';
    try {
      if (values.filename) {
        path = await downloadFromWandb(runPath, { ...options, filename: values.filename });
        source = 'run-file';
      } else if (values.artifact) {
        path = await zipFromWandbArtifact(runPath, options);
        source = 'artifact';
      } else {
        path = await zipFromWandb(runPath, options);
        source = 'run-file-or-artifact';
      }
    } finally {
      progress.finish();
    }
    const { size } = await stat(path);
    if (values.json) {
      console.log(JSON.stringify({ path, bytes: size, source }, null, 2));
      return 0;
    }
    console.log(`Pulled ${runPath ?? 'the run'} to ${path} (${formatBytes(size)})`);
    return 0;
  },
};
