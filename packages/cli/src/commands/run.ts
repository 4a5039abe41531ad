/**
 * `codesave run <zip> <file | module:fn> [args…]`: the Python tool's runnable zips. A file of the snapshot
 * runs as the main module (`require.main === module`, `process.argv` as Node sets it, exit code passed
 * through); `module:fn` calls an exported function with the arguments and prints its awaited result.
 */
import path from 'node:path';
import { inspect } from 'node:util';
import { Codebase, type CodebaseOptions, isCodesaveError, ZipCodebase } from '@codesave/core';
// Registers the `wandb:entity/project/run` source, so <zip> may name a W&B run.
import '@codesave/wandb';
import { type Command, printable, UsageError } from '../command.js';

const usage = `Usage: codesave run [options] <zip> <file | module:fn> [args…]

<zip> is a snapshot's path, or wandb:<entity>/<project>/<run> for a W&B run's code (downloaded once
into the per-user cache, verified, and run from there).

Runs a file of the snapshot as the main module, as \`node <file> [args…]\` would from the unzipped tree
(require.main, process.argv, exit code), or calls the exported function fn of module with the arguments
(strings) and prints its result (awaited; objects as JSON).

Options (before the zip):
      --no-verify         skip checking the files against the manifest's sha256
      --timeout <ms>      stop a module's top-level evaluation after ms milliseconds (exit 1)
      --deps <dir>        look for packages not in the zip in this folder (a node_modules or a project)
      --host-realm        evaluate in the host realm (Codebase) instead of an isolated vm context
  -h, --help              show this help

Examples:
  codesave run runs/a/codebase.zip train.js --epochs 3
  codesave run runs/a/codebase.zip src/model:score 2.5`;

interface Parsed {
  options: CodebaseOptions;
  hostRealm: boolean;
  zip: string;
  target: string;
  args: string[];
  help: boolean;
}

function parse(argv: string[]): Parsed {
  const options: CodebaseOptions = {};
  let hostRealm = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) break;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-h' || arg === '--help') return { options, hostRealm, zip: '', target: '', args: [], help: true };
    if (arg === '--no-verify') options.verify = false;
    else if (arg === '--host-realm') hostRealm = true;
    else if (arg === '--timeout' || arg === '--deps') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      if (arg === '--deps') options.dependencies = value;
      else {
        const ms = Number(value);
        if (!(Number.isFinite(ms) && ms > 0)) throw new UsageError('--timeout needs a positive number of milliseconds');
        options.timeoutMs = ms;
      }
    } else throw new UsageError(`unknown option ${arg}`);
  }
  const [zip, target, ...args] = argv.slice(i);
  if (!zip || !target) throw new UsageError('pass a zip and a file (or module:fn) to run');
  return { options, hostRealm, zip, target, args, help: false };
}

/** `module:fn` when the part after the last colon is an identifier. */
function splitTarget(target: string): { module: string; fn?: string } {
  const at = target.lastIndexOf(':');
  if (at > 0 && /^[A-Za-z_$][\w$]*$/.test(target.slice(at + 1)))
    return { module: target.slice(0, at), fn: target.slice(at + 1) };
  return { module: target };
}

export const run: Command = {
  name: 'run',
  usage,
  async run(argv) {
    const parsed = parse(argv);
    if (parsed.help) {
      console.log(usage);
      return 0;
    }
    const open = parsed.hostRealm ? Codebase.open.bind(Codebase) : ZipCodebase.open.bind(ZipCodebase);
    const codebase = await open(parsed.zip, parsed.options);
    codebase.on('warning', (w: { message: string }) => console.error(`codesave run: warning: ${printable(w.message)}`));
    const { module, fn } = splitTarget(parsed.target);
    const relative = module.startsWith('/') ? module : `./${module.replace(/^\.\//, '')}`;
    process.argv = [process.argv[0]!, path.resolve(codebase.root, relative), ...parsed.args];
    try {
      if (fn === undefined) {
        // As `node file`: CommonJS runs as the main module; an ES module (top-level await allowed) is imported.
        const filename = codebase.resolve(relative);
        if (codebase.runtime.formatOf(filename) === 'module') await codebase.import(filename);
        else codebase.runMain(relative);
      } else {
        const ns = await codebase.import(module);
        const target = fn in ns ? ns[fn] : ns.default?.[fn];
        if (typeof target !== 'function') {
          console.error(`codesave run: ${module} has no exported function ${fn}`);
          return 1;
        }
        const result = await target(...parsed.args);
        if (result !== undefined) console.log(format(result));
      }
    } catch (error) {
      if (isCodesaveError(error)) throw error;
      // As Node reports an uncaught error of a main module: the stack (virtual paths), exit code 1. What the
      // program threw is printed even when printing it throws (a hostile getter or custom inspect).
      console.error(describeThrown(error));
      return 1;
    }
    // Let the program's asynchronous work finish, as `node file.js` would, then pass its exit code through.
    await new Promise<void>((resolve) => process.once('beforeExit', () => resolve()));
    return typeof process.exitCode === 'number' ? process.exitCode : Number(process.exitCode ?? 0) || 0;
  },
};

function format(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    const json = JSON.stringify(value, null, 2);
    if (json !== undefined) return json;
  } catch {}
  try {
    return inspect(value, { depth: 6 });
  } catch {
    return describeThrown(value);
  }
}

function describeThrown(error: unknown): string {
  try {
    return inspect(error);
  } catch {}
  try {
    return String(error);
  } catch {}
  return `Uncaught ${Object.prototype.toString.call(error)} (it cannot be printed)`;
}
