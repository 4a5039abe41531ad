import { type ParseArgsConfig, parseArgs } from 'node:util';

/** One CLI command: its name, its help text, and what it does with its arguments. */
export interface Command {
  name: string;
  usage: string;
  /** One line for `codesave --help` (default: the first sentence of `usage` after its "Usage:" lines). */
  summary?: string;
  /** Returns the exit code (default 0). Throw {@link UsageError} for bad arguments, CodesaveError for bad input. */
  run(args: string[]): Promise<number | undefined>;
}

/** Bad command-line arguments: printed with the command's usage, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Control characters of file names (an escape sequence, a newline) shown as escapes, never sent to the terminal. */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this escapes
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) =>
    c.charCodeAt(0) < 0x100
      ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`
      : `\\u${c.charCodeAt(0).toString(16)}`,
  );
}

/** `-h`/`--help` was given: the dispatcher prints the command's usage and exits 0. */
export class HelpRequested extends Error {
  override name = 'HelpRequested';
}

const helpFlag = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * `parseArgs` (strict, positionals allowed) plus `-h`/`--help`, which throws {@link HelpRequested};
 * complaints become {@link UsageError}s.
 */
export function parseCommandArgs<const O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  const parse = () => parseArgs({ args, options: { ...options, ...helpFlag }, allowPositionals: true, strict: true });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) throw new HelpRequested();
  return parsed;
}
