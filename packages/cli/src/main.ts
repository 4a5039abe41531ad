import { type Command, HelpRequested, printable, UsageError } from './command.js';

/**
 * The command table. Each command lives in `commands/<name>.ts` and registers itself here with one line: how to
 * load it, and its one-line summary for `codesave --help`, which so loads no command (nor codesave's library):
 * test/startup.test.ts checks each summary is still the one its command gives.
 * `codesave <dir> -o <zip>` (no command name) is the Python tool's shorthand for `save`.
 */
export const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  save: {
    summary: 'Saves <dir> as a zip snapshot with a codesave.json manifest',
    load: () => import('./commands/save.js').then((m) => m.save),
  },
  ls: { summary: 'Shows what a snapshot holds', load: () => import('./commands/ls.js').then((m) => m.ls) },
  run: {
    summary: 'Runs a file of the snapshot, or calls an exported function of one',
    load: () => import('./commands/run.js').then((m) => m.run),
  },
  push: {
    summary: "Saves <dir> as a zip snapshot and uploads it into a W&B run's files",
    load: () => import('./commands/push.js').then((m) => m.push),
  },
  pull: {
    summary: "Downloads a W&B run's code as a zip (the Python tool's code_from_wandb)",
    load: () => import('./commands/pull.js').then((m) => m.pull),
  },
  compare: {
    summary: 'Calls one function of every version on the same cases and reports where the versions differ',
    load: () => import('./commands/compare.js').then((m) => m.compareCommand),
  },
  diff: {
    summary: 'Shows what changed from snapshot a to snapshot b (zips, or directories snapshotted in memory first)',
    load: () => import('./commands/diff.js').then((m) => m.diff),
  },
  verify: {
    summary: 'Checks every file of a snapshot and its contentHash against its manifest, naming each mismatch',
    load: () => import('./commands/verify.js').then((m) => m.verify),
  },
};

/** The top-level help: each command with its one-line summary. */
function usage(): string {
  const rows = Object.entries(commands).map(([name, { summary }]) => [name, summary] as const);
  const width = Math.max(...rows.map(([name]) => name.length));
  return `Usage: codesave <command> [options]
       codesave <dir> -o <zip> [options]     shorthand for "codesave save" (the Python tool's form)

Commands:
${rows.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`).join('\n')}

Run "codesave <command> --help" for a command's options and exit codes.
Exit codes: 0 success, 1 bad arguments or input (the message says what to do), 2 a bug in codesave.`;
}

/** The first sentence of a command's help: the paragraph after its "Usage:" lines. */
export function summaryOf(text: string): string {
  const paragraph = text.split(/\n\s*\n/)[1] ?? '';
  const flat = paragraph.replace(/\s+/g, ' ').trim();
  const end = flat.search(/[.:](\s|$)/);
  return end < 0 ? flat : flat.slice(0, end);
}

/** Entry point of the `codesave` command; resolves to the exit code: 0 ok, 1 user error, 2 bug. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    console.log(usage());
    return first === undefined ? 1 : 0;
  }
  if (first === '--version' || first === '-v') {
    const { createRequire } = await import('node:module');
    console.log(createRequire(import.meta.url)('../package.json').version);
    return 0;
  }
  const entry = commands[first];
  const [command, args] = entry
    ? [await entry.load(), rest]
    : commands.save
      ? [await commands.save.load(), argv]
      : [undefined, argv];
  if (!command) {
    console.error(`codesave: unknown command "${first}"\n\n${usage()}`);
    return 1;
  }
  // `--json` asks for machine-readable output, errors included (not for `run`: its arguments are the program's)
  // (for `run`, only among its own options, before the zip)
  const end = args.indexOf('--');
  const own = command.name === 'run' ? args.slice(0, leadingOptions(args)) : end < 0 ? args : args.slice(0, end);
  const json = own.includes('--json');
  const report = (code: string, message: string, details?: unknown) => {
    if (json) console.log(JSON.stringify({ error: { code, message, ...(details ? { details } : {}) } }, null, 2));
  };
  try {
    return (await command.run(args)) ?? 0;
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(command.usage);
      return 0;
    }
    if (error instanceof UsageError) {
      report('ERR_BAD_OPTION', error.message);
      console.error(`codesave ${command.name}: ${printable(error.message)}\n\n${command.usage}`);
      return 1;
    }
    const { isCodesaveError } = await import('@codesave/core');
    if (isCodesaveError(error)) {
      let message = asFlags(error.message);
      if (!entry && error.code === 'ERR_DIR_NOT_FOUND' && first !== undefined && !/[\\/.]/.test(first)) {
        message += ` (or did you mean a command? codesave has no command "${first}"; commands: ${Object.keys(commands).join(', ')})`;
      }
      report(error.code, message, safeDetails(error.details));
      console.error(`codesave ${command.name}: ${printable(message)} [${error.code}]`);
      return 1;
    }
    report('ERR_INTERNAL', String((error as Error)?.message ?? error));
    console.error(`codesave ${command.name}: internal error, please report it:`);
    console.error(error);
    return 2;
  }
}

/** How many of `run`'s arguments are its own options (those before the zip; `--timeout`/`--deps` take a value). */
function leadingOptions(args: string[]): number {
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-') && args[i] !== '--')
    i += args[i] === '--timeout' || args[i] === '--deps' ? 2 : 1;
  return i;
}

/** The library's option names in a message, as the command's flags (the user typed flags). */
const FLAGS: [RegExp, string][] = [
  [/\bverify: false\b/g, '--no-verify'],
  [/\bcheckpoint option (\w+)/g, 'option $1'],
  [/\bextraLibraries\b/g, '--extra-libraries'],
  [/\bextraFiles\b/g, '--extra-files'],
  [/\bincludeDependencies\b/g, '--include-deps'],
  [/\bonlyCode\b/g, '--only-code'],
  [/\bignoreLargerThan\b/g, '--ignore-larger-than'],
  [/\btimeoutMs\b/g, '--timeout'],
];

export function asFlags(message: string): string {
  let text = message;
  for (const [pattern, flag] of FLAGS) text = text.replace(pattern, flag);
  // after the rename: "option --extra-files must be …"
  return text.replace(/\boption (--[\w-]+)/g, '$1');
}

function safeDetails(details: unknown): unknown {
  try {
    const text = JSON.stringify(details);
    return text === undefined || text === '{}' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
