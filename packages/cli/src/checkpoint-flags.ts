/** The `checkpoint()` flags shared by `codesave save` and `codesave push`: their help, parsing and progress. */
import type { CheckpointOptions, CheckpointProgress } from '@codesave/core';
import type { Progress } from './progress.js';

/** Help lines of the flags, aligned with the commands' other options. */
export const checkpointFlagsHelp = `      --extra-libraries <path>   a directory or file to store at the zip root under its own name
                                 (repeatable, or comma-separated)
      --extra-files <file>       a file to store at the zip root under its own name (repeatable)
      --ignore <pattern>         a gitignore-style pattern to leave out (repeatable)
      --only-code                keep only JS/TS sources, JSON, package.json, lockfiles, tsconfig
      --ignore-larger-than <n>   skip files larger than n bytes, or 100K, 1M, ...
      --include-deps             copy the production dependencies into node_modules/ in the zip
      --no-precompile            do not store the transformed form of ES modules and TypeScript files
                                 (.codesave/precompiled/: loads faster on an empty cache, zip larger)`;

/** `parseArgs` specs of the flags. */
export const checkpointFlags = {
  'extra-libraries': { type: 'string', multiple: true },
  'extra-files': { type: 'string', multiple: true },
  ignore: { type: 'string', multiple: true },
  'only-code': { type: 'boolean' },
  'ignore-larger-than': { type: 'string' },
  'include-deps': { type: 'boolean' },
  'no-precompile': { type: 'boolean' },
} as const;

interface CheckpointFlagValues {
  'extra-libraries'?: string[];
  'extra-files'?: string[];
  ignore?: string[];
  'only-code'?: boolean;
  'ignore-larger-than'?: string;
  'include-deps'?: boolean;
  'no-precompile'?: boolean;
}

/** Repeatable flags also take comma-separated lists. */
function list(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '');
}

/** The parsed flags as `checkpoint()` options. */
export function checkpointOptionsFrom(values: CheckpointFlagValues): CheckpointOptions {
  return {
    extraLibraries: list(values['extra-libraries']),
    extraFiles: list(values['extra-files']),
    ignore: values.ignore ?? [],
    onlyCode: values['only-code'] ?? false,
    ignoreLargerThan: values['ignore-larger-than'],
    includeDependencies: values['include-deps'] ?? false,
    ...(values['no-precompile'] ? { precompile: false } : {}),
  };
}

/** Shows a checkpoint's scan and write phases on `progress`. */
export function showCheckpointProgress(progress: Progress): (p: CheckpointProgress) => void {
  return (p) => {
    if (p.phase === 'scan') progress.update(0, p.totalFiles, 'scanned');
    else if (p.phase === 'write') progress.update(p.files, p.totalFiles, p.path);
  };
}
