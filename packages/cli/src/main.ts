import { isCodesaveError } from '@codesave/core';
import { type Command, HelpRequested, printable, UsageError } from './command.js';

/**
 * The command table. Each command lives in `commands/<name>.ts` and registers itself here with one line.
 * `codesave <dir> -o <zip>` (no command name) is the Python tool's shorthand for `save`.
 */
const commands: Record<string, () => Promise<Command>> = {
  save: () => import('./commands/save.js').then((m) => m.save),
  ls: () => import('./commands/ls.js').then((m) => m.ls),
  run: () => import('./commands/run.js').then((m) => m.run),
  push: () => import('./commands/push.js').then((m) => m.push),
  pull: () => import('./commands/pull.js').then((m) => m.pull),
  compare: () => import('./commands/compare.js').then((m) => m.compareCommand),
  diff: () => import('./commands/diff.js').then((m) => m.diff),
  verify: () => import('./commands/verify.js').then((m) => m.verify),
};

const usage = `Usage: codesave <command> [options]

Commands:
${Object.keys(commands)
  .map((name) => `  ${name}`)
  .join('\n')}

Run "codesave <command> --help" for a command's options.`;

/** Entry point of the `codesave` command; resolves to the exit code: 0 ok, 1 user error, 2 bug. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    console.log(usage);
    return first === undefined ? 1 : 0;
  }
  if (first === '--version' || first === '-v') {
    const { createRequire } = await import('node:module');
    console.log(createRequire(import.meta.url)('../package.json').version);
    return 0;
  }
  const load = commands[first];
  const [command, args] = load
    ? [await load(), rest]
    : commands.save
      ? [await commands.save(), argv]
      : [undefined, argv];
  if (!command) {
    console.error(`codesave: unknown command "${first}"\n\n${usage}`);
    return 1;
  }
  // `--json` asks for machine-readable output, errors included (not for `run`: its arguments are the program's)
  const end = args.indexOf('--');
  const json = command.name !== 'run' && (end < 0 ? args : args.slice(0, end)).includes('--json');
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
    if (isCodesaveError(error)) {
      let message = error.message;
      if (!load && error.code === 'ERR_DIR_NOT_FOUND' && first !== undefined && !/[\\/.]/.test(first)) {
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

function safeDetails(details: unknown): unknown {
  try {
    const text = JSON.stringify(details);
    return text === undefined || text === '{}' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
