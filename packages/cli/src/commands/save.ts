/** `codesave save <dir> -o <zip>` (also `codesave <dir> -o <zip>`): a project → a zip snapshot. */
import { type CheckpointResult, checkpoint } from '@codesave/core';
import {
  checkpointFlags,
  checkpointFlagsHelp,
  checkpointOptionsFrom,
  showCheckpointProgress,
} from '../checkpoint-flags.js';
import { type Command, parseCommandArgs, printable, UsageError } from '../command.js';
import { createProgress, formatBytes } from '../progress.js';

const usage = `Usage: codesave save <dir> [<more roots>...] -o <zip> [options]
       codesave <dir> -o <zip> [options]

Saves <dir> as a zip snapshot with a codesave.json manifest. Honours .gitignore files; never stores .git/,
nor node_modules/ unless --include-deps.

Options:
  -o, --output <zip>             where to write (default: codebase.zip in the current directory)
${checkpointFlagsHelp}
      --force                    replace an output that is not a zip, or a symbolic link (the link itself)
      --json                     print a summary as JSON: { path, files, bytes, sha256, contentHash, skipped }
      --manifest                 with --json: include the whole manifest (every file's path, size, sha256)
  -h, --help                     show this help

Exit codes: 0 saved, 1 bad arguments or input, 2 internal error.`;

export const save: Command = {
  name: 'save',
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, flags);
    if (positionals.length === 0) throw new UsageError('which directory? pass it as the first argument');
    const progress = createProgress({ enabled: values.json ? false : undefined });
    let result: CheckpointResult;
    try {
      result = await checkpoint(positionals, {
        output: values.output,
        force: values.force ?? false,
        ...checkpointOptionsFrom(values),
        onProgress: showCheckpointProgress(progress),
      });
    } finally {
      progress.finish();
    }
    if (values.json) {
      console.log(JSON.stringify(values.manifest ? result : jsonSummary(result), null, 2));
      return 0;
    }
    if (values.manifest) throw new UsageError('--manifest goes with --json');
    console.log(summary(result));
    return 0;
  },
};

const flags = {
  output: { type: 'string', short: 'o' },
  ...checkpointFlags,
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  manifest: { type: 'boolean' },
} as const;

/** `--json` without `--manifest`: what was written, not the list of every file (which can run to megabytes). */
export function jsonSummary(result: CheckpointResult): object {
  const { path, files, bytes, sha256, skipped, manifest } = result;
  return {
    path,
    files,
    bytes,
    sha256,
    contentHash: manifest.contentHash,
    roots: manifest.roots,
    ...(manifest.git ? { git: manifest.git } : {}),
    ...(manifest.precompiled ? { precompiled: manifest.precompiled } : {}),
    skipped,
  };
}

/** The human-readable report of a save. */
export function summary(result: CheckpointResult): string {
  const content = result.manifest.files.reduce((sum, f) => sum + f.size, 0);
  const lines = [
    `Saved ${plural(result.files, 'file')} (${formatBytes(content)}) to ${result.path} (${formatBytes(result.bytes)})`,
    `  sha256 ${result.sha256}`,
  ];
  const git = result.manifest.git;
  if (git) {
    lines.push(
      `  git ${git.commit.slice(0, 12)}${git.branch ? ` on ${git.branch}` : ''}${git.dirty ? ', dirty (diff in .codesave/git.patch)' : ''}`,
    );
  }
  const forms = result.manifest.precompiled;
  if (forms)
    lines.push(
      `  precompiled ${plural(forms.forms, 'module')} (${formatBytes(forms.bytes)} in .codesave/precompiled/; --no-precompile to leave out)`,
    );
  if (result.skipped.count) {
    lines.push(`  skipped ${plural(result.skipped.count, 'file')} (${formatBytes(result.skipped.bytes)}):`);
    const shown = result.skipped.files.slice(0, 10);
    for (const s of shown) lines.push(`    ${printable(s.path)} (${formatBytes(s.size)}, ${s.reason})`);
    if (result.skipped.count > shown.length)
      lines.push(`    … and ${result.skipped.count - shown.length} more (--json lists all)`);
  }
  return lines.join('\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
