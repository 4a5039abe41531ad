/** `codesave save <dir> -o <zip>` (also `codesave <dir> -o <zip>`): a project → a zip snapshot. */
import { parseArgs } from 'node:util';
import { type CheckpointResult, checkpoint } from '@codesave/core';
import { type Command, printable, UsageError } from '../command.js';
import { createProgress, formatBytes } from '../progress.js';

const usage = `Usage: codesave save <dir> [<more roots>...] -o <zip> [options]
       codesave <dir> -o <zip> [options]

Saves <dir> as a zip snapshot with a codesave.json manifest. Honours .gitignore files; never stores .git/,
nor node_modules/ unless --include-deps.

Options:
  -o, --output <zip>             where to write (default: codebase.zip in the current directory)
      --extra-libraries <path>   a directory or file to store at the zip root under its own name
                                 (repeatable, or comma-separated)
      --extra-files <file>       a file to store at the zip root under its own name (repeatable)
      --ignore <pattern>         a gitignore-style pattern to leave out (repeatable)
      --only-code                keep only JS/TS sources, JSON, package.json, lockfiles, tsconfig
      --ignore-larger-than <n>   skip files larger than n bytes, or 100K, 1M, ...
      --include-deps             copy the production dependencies into node_modules/ in the zip
      --json                     print the result as JSON
  -h, --help                     show this help

Exit codes: 0 saved, 1 bad arguments or input, 2 internal error.`;

function list(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '');
}

export const save: Command = {
  name: 'save',
  usage,
  async run(args) {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(args);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      console.log(usage);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('which directory? pass it as the first argument');
    const progress = createProgress({ enabled: values.json ? false : undefined });
    let result: CheckpointResult;
    try {
      result = await checkpoint(positionals, {
        output: values.output,
        extraLibraries: list(values['extra-libraries']),
        extraFiles: list(values['extra-files']),
        ignore: values.ignore ?? [],
        onlyCode: values['only-code'] ?? false,
        ignoreLargerThan: values['ignore-larger-than'],
        includeDependencies: values['include-deps'] ?? false,
        onProgress: (p) => {
          if (p.phase === 'scan') progress.update(0, p.totalFiles, 'scanned');
          else if (p.phase === 'write') progress.update(p.files, p.totalFiles, p.path);
        },
      });
    } finally {
      progress.finish();
    }
    if (values.json) {
      console.log(JSON.stringify(result, null, 2));
      return 0;
    }
    console.log(summary(result));
    return 0;
  },
};

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      output: { type: 'string', short: 'o' },
      'extra-libraries': { type: 'string', multiple: true },
      'extra-files': { type: 'string', multiple: true },
      ignore: { type: 'string', multiple: true },
      'only-code': { type: 'boolean' },
      'ignore-larger-than': { type: 'string' },
      'include-deps': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
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
