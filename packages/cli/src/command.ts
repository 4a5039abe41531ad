/** One CLI command: its name, its help text, and what it does with its arguments. */
export interface Command {
  name: string;
  usage: string;
  /** Returns the exit code (default 0). Throw {@link UsageError} for bad arguments, CodesaveError for bad input. */
  run(args: string[]): Promise<number | undefined>;
}

/** Bad command-line arguments: printed with the command's usage, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}
