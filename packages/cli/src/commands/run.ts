/**
 * `codesave run <zip> <file | module:fn> [args…]`: the Python tool's runnable zips. A file of the snapshot
 * runs as the main module (`require.main === module`, `process.argv` as Node sets it, exit code passed
 * through); `module:fn` calls an exported function with the arguments and prints its awaited result.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import {
  Codebase,
  type CodebaseOptions,
  CodesaveError,
  hideCodesaveFrames,
  isCodesaveError,
  ZipCodebase,
} from '@codesave/core';
// Registers the `wandb:entity/project/run` source, so <zip> may name a W&B run.
import '@codesave/wandb';
import { type Command, printable, UsageError } from '../command.js';

const usage = `Usage: codesave run [options] <zip> <file | module:fn> [args…]

Runs a file of the snapshot, or calls an exported function of one. A file runs as the main module, as
\`node <file> [args…]\` would from the unzipped tree (require.main, process.argv, exit code); module:fn
calls the exported function fn of module with the arguments and prints its result (awaited; objects as JSON). Arguments are passed as strings; with --json-args each
is parsed as JSON first (2.5 → number, true → boolean, '{"a":1}' → object; text that is not JSON stays a
string).

<zip> is a snapshot's path, or wandb:<entity>/<project>/<run> for a W&B run's code (downloaded once
into the per-user cache, verified, and run from there).

Options (before the zip):
      --json              module:fn: print {"result": …} as JSON (errors as {"error": {code, message}})
      --json-args         parse each argument to fn as JSON
      --verify-all        check every file's sha256 against the manifest before anything runs (by
                          default each file is checked when first read, before its code runs)
      --no-verify         skip checking the files against the manifest's sha256
      --timeout <ms>      stop a module's top-level evaluation after ms milliseconds (exit 1)
      --deps <dir>        look for packages not in the zip in this folder (a node_modules or a project)
      --host-realm        evaluate in the host realm (Codebase) instead of an isolated vm context
  -h, --help              show this help

Exit codes: a file: its own exit code (as node's: 1 for an uncaught error); module:fn: 0 when fn returned
(or its promise resolved), 1 when it threw; 1 for bad arguments or input (a missing zip, module or
function, a changed file), 2 for an internal error.

Examples:
  codesave run runs/a/codebase.zip train.js --epochs 3
  codesave run runs/a/codebase.zip src/model:score 2.5
  codesave run --json --json-args runs/a/codebase.zip src/model:score 2.5 '{"scale": 2}'`;

interface Parsed {
  options: CodebaseOptions;
  hostRealm: boolean;
  json: boolean;
  jsonArgs: boolean;
  zip: string;
  target: string;
  args: string[];
  help: boolean;
}

function parse(argv: string[]): Parsed {
  const options: CodebaseOptions = {};
  let hostRealm = false;
  let json = false;
  let jsonArgs = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) break;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-h' || arg === '--help')
      return { options, hostRealm, json, jsonArgs, zip: '', target: '', args: [], help: true };
    if (arg === '--no-verify') options.verify = false;
    else if (arg === '--verify-all') options.verify = 'all';
    else if (arg === '--json') json = true;
    else if (arg === '--json-args') jsonArgs = true;
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
  return { options, hostRealm, json, jsonArgs, zip, target, args, help: false };
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
    if (parsed.json && splitTarget(parsed.target).fn === undefined)
      throw new UsageError('--json goes with module:fn (a file prints what it prints)');
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
        const ns = await importTarget(codebase, module);
        const target = fn in ns ? ns[fn] : ns.default?.[fn];
        if (typeof target !== 'function') {
          const functions = Object.keys(ns).filter((k) => typeof ns[k] === 'function');
          throw new CodesaveError(
            'ERR_EXPORT_NOT_FOUND',
            `${module} has no exported function ${fn}${functions.length ? `; its functions: ${functions.join(', ')}` : ''}`,
          );
        }
        const args = parsed.jsonArgs ? parsed.args.map(jsonArg) : parsed.args;
        const result = await target(...args);
        if (parsed.json) console.log(JSON.stringify({ result: toJson(result) }, null, 2));
        else if (result !== undefined) console.log(format(result));
      }
    } catch (error) {
      if (isCodesaveError(error)) throw error;
      if (parsed.json) {
        // what fn threw: its own code when it has one (name: its class, RangeError…)
        const e = error as { code?: unknown; message?: unknown; name?: unknown } | null;
        const code = typeof e?.code === 'string' ? e.code : 'ERR_THROWN';
        const name = typeof e?.name === 'string' ? e.name : typeof error;
        console.log(JSON.stringify({ error: { code, name, message: String(e?.message ?? error) } }, null, 2));
      }
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

/**
 * The module of `module:fn`; when it does not resolve, one line saying which modules the snapshot has
 * (not a loader stack from inside codesave).
 */
async function importTarget(codebase: ZipCodebase, module: string): Promise<Record<string, any>> {
  try {
    codebase.resolve(module, 'import');
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw error;
    const modules = codebase.manifest.files
      .map((f) => f.path)
      .filter(
        (p) =>
          /\.(?:[cm]?js|[cm]?ts|tsx|jsx|json)$/.test(p) &&
          !p.startsWith('node_modules/') &&
          !p.includes('/node_modules/'),
      )
      .map((p) => p.replace(/\.(?:[cm]?js|[cm]?ts|tsx|jsx)$/, ''));
    const shown = modules.slice(0, 20).join(', ');
    throw new CodesaveError(
      'ERR_EXPORT_NOT_FOUND',
      `no module ${module} in ${codebase.root}; its modules: ${shown || '(none)'}${modules.length > 20 ? `, … (${modules.length} in all; codesave ls lists them)` : ''}`,
      { cause: error },
    );
  }
  return codebase.import(module);
}

/** A --json-args argument: its JSON value, or the text itself when it is not JSON. */
function jsonArg(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The result as JSON can hold it (undefined → null; what JSON cannot hold, as inspect prints it). */
function toJson(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? format(value) : JSON.parse(text);
  } catch {
    return format(value);
  }
}

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

/** The CLI's own files (dist/ or src/): their frames are hidden too, with core's. */
const CLI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function describeThrown(error: unknown): string {
  hideCodesaveFrames(error, { dirs: [CLI_DIR] });
  try {
    return inspect(error);
  } catch {}
  try {
    return String(error);
  } catch {}
  return `Uncaught ${Object.prototype.toString.call(error)} (it cannot be printed)`;
}
