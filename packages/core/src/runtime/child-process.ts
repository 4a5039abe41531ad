/**
 * `child_process` and `worker_threads` as a codebase sees them: a path or `file:` URL under the virtual root,
 * given as the program, a script argument, `cwd` or an `execArgv` entry (and the target of a `Worker`), names the
 * materialized copy of the snapshot instead (codebase/materialize.ts), since the process or thread that runs it
 * reads the real disk with Node's own loader. No other argument is touched.
 *
 * A `fork`ed process and a `Worker` also get one `--require` preload that maps paths under the virtual root to
 * the copy for `require` and `import`, so a path handed over in a message (a worker pool's task file) loads too.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadHostBuiltin } from './features.js';
import type { RealFiles } from './real-files.js';

type Fn = (...args: any[]) => any;

/** Rewrites the values that name files under the root (materializing the snapshot on first need). */
export class PathRewriter {
  readonly #files: RealFiles;
  #preload: string | undefined;
  /** Something was rewritten (the snapshot is on disk): forks and workers get the preload from then on. */
  #materialized = false;

  constructor(files: RealFiles) {
    this.#files = files;
  }

  /** A path string, `file:` URL string or URL object under the root → the same on disk; anything else as is. */
  value(value: unknown): unknown {
    if (typeof value === 'string') {
      if (value.startsWith('file:')) {
        const file = fromFileUrl(value);
        return file !== undefined && this.#files.inside(file) ? pathToFileURL(this.#real(file)).href : value;
      }
      return path.isAbsolute(value) && this.#files.inside(path.resolve(value))
        ? this.#real(path.resolve(value))
        : value;
    }
    if (value instanceof URL && value.protocol === 'file:') {
      const file = fromFileUrl(value.href);
      return file !== undefined && this.#files.inside(file) ? pathToFileURL(this.#real(file)) : value;
    }
    return value;
  }

  /** An argument list: each element that is a path under the root, rewritten. */
  args(args: unknown): unknown {
    return Array.isArray(args) ? args.map((arg) => this.value(arg)) : args;
  }

  /** `execArgv`: whole entries and the value of `--flag=value` entries. */
  execArgv(args: unknown): unknown {
    if (!Array.isArray(args)) return args;
    return args.map((arg) => {
      if (typeof arg !== 'string') return arg;
      const eq = arg.startsWith('-') ? arg.indexOf('=') : -1;
      return eq > 0 ? `${arg.slice(0, eq + 1)}${this.value(arg.slice(eq + 1))}` : this.value(arg);
    });
  }

  /**
   * Options with `cwd` and `execArgv` rewritten (a copy; `undefined` stays). `addPreload`: also the preload, in
   * front of the given `execArgv` or of the host's (which Node would have inherited), less `leaveOut`.
   */
  options(options: unknown, addPreload = false, leaveOut: readonly string[] = []): unknown {
    if (options === undefined || options === null || typeof options !== 'object') {
      return addPreload && this.#materialized ? { execArgv: this.#withPreload(undefined, leaveOut) } : options;
    }
    const copy: Record<string, unknown> = { ...(options as Record<string, unknown>) };
    if ('cwd' in copy) copy.cwd = this.value(copy.cwd);
    if ('execArgv' in copy) copy.execArgv = this.execArgv(copy.execArgv);
    if (addPreload && this.#materialized) copy.execArgv = this.#withPreload(copy.execArgv, leaveOut);
    return copy;
  }

  /** A shell command line: each occurrence of the root as a path prefix, replaced by the copy's directory. */
  command(command: unknown): unknown {
    if (typeof command !== 'string') return command;
    const root = this.#files.root;
    let at = command.indexOf(root);
    if (at < 0) return command;
    let out = '';
    let from = 0;
    while (at >= 0) {
      const after = command[at + root.length];
      const before = at === 0 ? ' ' : command[at - 1]!;
      if ((after === undefined || after === '/' || /[\s'"]/.test(after)) && /[\s'"=:]/.test(before)) {
        out += command.slice(from, at) + this.#real(root);
        from = at + root.length;
      }
      at = command.indexOf(root, at + root.length);
    }
    return out + command.slice(from);
  }

  #real(file: string): string {
    const real = this.#files.realPath(file, 'all');
    this.#materialized = true;
    return real;
  }

  /** `execArgv` (the host's when not given, as Node defaults it) plus the preload that maps the root. */
  #withPreload(execArgv: unknown, leaveOut: readonly string[]): unknown {
    const base = Array.isArray(execArgv) ? execArgv : process.execArgv.filter((arg) => !leaveOut.includes(arg));
    return ['--require', this.preload(), ...base];
  }

  /** The preload file (written beside the copy, named by what it maps). */
  preload(): string {
    if (this.#preload) return this.#preload;
    const dir = this.#real(this.#files.root);
    const root = this.#files.root;
    const source = PRELOAD.replace('__ROOT__', JSON.stringify(root)).replace('__DIR__', JSON.stringify(dir));
    const file = path.join(
      dir,
      '.codesave-files',
      `preload-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.cjs`,
    );
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== source) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      fs.writeFileSync(tmp, source);
      fs.renameSync(tmp, file);
    }
    this.#preload = file;
    return file;
  }
}

function fromFileUrl(href: string): string | undefined {
  try {
    return fileURLToPath(href);
  } catch {
    return undefined;
  }
}

/**
 * Runs first in a forked process or worker: paths under the virtual root resolve to the materialized copy, for
 * `require` (through `Module._resolveFilename`) and `import` (a resolve hook, in-thread where Node has
 * `module.registerHooks`, else through `module.register`).
 */
const PRELOAD = `'use strict';
const ROOT = __ROOT__;
const DIR = __DIR__;
const path = require('node:path');
const Module = require('node:module');
const { pathToFileURL } = require('node:url');
const ROOT_URL = pathToFileURL(ROOT).href;
const DIR_URL = pathToFileURL(DIR).href;
const mapPath = (p) => (p === ROOT || p.startsWith(ROOT + path.sep) ? DIR + p.slice(ROOT.length) : p);
const mapUrl = (s) => (s === ROOT_URL || s.startsWith(ROOT_URL + '/') ? DIR_URL + s.slice(ROOT_URL.length) : mapPath(s));
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, typeof request === 'string' ? mapPath(request) : request, ...rest);
};
if (typeof Module.registerHooks === 'function') {
  Module.registerHooks({ resolve: (specifier, context, next) => next(mapUrl(specifier), context) });
} else if (typeof Module.register === 'function') {
  const hook = 'const map = ' + mapUrl.toString().replace(/\\bmapPath\\b/, '((p) => p)') + ';' +
    'const ROOT_URL = ' + JSON.stringify(ROOT_URL) + ', DIR_URL = ' + JSON.stringify(DIR_URL) + ';' +
    'export async function resolve(s, c, next) { return next(map(s), c); }';
  Module.register('data:text/javascript,' + encodeURIComponent(hook));
}
`;

/** The codebase's `child_process`: the host's, with paths under the root rewritten. */
export function childProcessView(rewriter: PathRewriter): Record<string, unknown> {
  const host = loadHostBuiltin('child_process') as Record<string, Fn>;
  const view: Record<string, unknown> = Object.create(
    Object.getPrototypeOf(host),
    Object.getOwnPropertyDescriptors(host),
  );
  const r = rewriter;
  /** `(file, args?, options?, ...rest)`: args may be left out (then options is second). */
  const fileArgsOptions =
    (name: string, preload = false) =>
    (file: unknown, ...rest: unknown[]) => {
      const out: unknown[] = [r.value(file)];
      let i = 0;
      if (Array.isArray(rest[0])) out.push(r.args(rest[i++]));
      else if (rest[0] == null && rest.length > 1) out.push(rest[i++]);
      if (rest[i] !== null && typeof rest[i] === 'object') out.push(r.options(rest[i++], preload));
      else if (preload) {
        if (rest[i] == null && i < rest.length) i++;
        const options = r.options(undefined, true);
        if (options !== undefined) out.push(options);
      }
      out.push(...rest.slice(i));
      return host[name]!(...out);
    };
  const commandOptions =
    (name: string) =>
    (command: unknown, ...rest: unknown[]) => {
      const out: unknown[] = [r.command(command)];
      if (rest[0] !== null && typeof rest[0] === 'object') out.push(r.options(rest.shift()));
      return host[name]!(...out, ...rest);
    };
  const wrappers: Record<string, Fn> = {
    spawn: fileArgsOptions('spawn'),
    spawnSync: fileArgsOptions('spawnSync'),
    execFile: fileArgsOptions('execFile'),
    execFileSync: fileArgsOptions('execFileSync'),
    fork: fileArgsOptions('fork', true),
    exec: commandOptions('exec'),
    execSync: commandOptions('execSync'),
  };
  for (const [name, wrapper] of Object.entries(wrappers)) {
    const original = host[name];
    if (typeof original !== 'function') continue;
    // util.promisify(exec) / (execFile) give { stdout, stderr }: the custom promisified form, through the wrapper.
    for (const key of Reflect.ownKeys(original)) {
      if (key === 'prototype' || key === 'length' || key === 'name') continue;
      const descriptor = Object.getOwnPropertyDescriptor(original, key)!;
      if (typeof descriptor.value === 'function' && typeof key === 'symbol') {
        const custom = descriptor.value as Fn;
        descriptor.value = (...args: unknown[]) =>
          name === 'exec'
            ? custom(r.command(args[0]), ...args.slice(1).map((a, i) => (i === 0 ? r.options(a) : a)))
            : custom(
                r.value(args[0]),
                ...args
                  .slice(1)
                  .map((a) => (Array.isArray(a) ? r.args(a) : a && typeof a === 'object' ? r.options(a) : a)),
              );
      }
      Object.defineProperty(wrapper, key, descriptor);
    }
    Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
    Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
    Object.defineProperty(view, name, { value: wrapper, writable: true, configurable: true, enumerable: true });
  }
  return view;
}

/** The flags of an `ERR_WORKER_INVALID_EXEC_ARGV` ("…invalid execArgv flags: --a=1, --b"), else `undefined`. */
function refusedWorkerFlags(error: unknown): string[] | undefined {
  if ((error as { code?: unknown })?.code !== 'ERR_WORKER_INVALID_EXEC_ARGV') return undefined;
  const message = String((error as Error).message);
  const at = message.indexOf(': ');
  return at < 0 ? undefined : message.slice(at + 2).split(', ');
}

/** The codebase's `worker_threads`: `Worker` runs a file under the root from the copy. */
export function workerThreadsView(rewriter: PathRewriter): Record<string, unknown> {
  const host = loadHostBuiltin('worker_threads') as Record<string, unknown> & {
    Worker: new (filename: unknown, options?: Record<string, unknown>) => object;
  };
  const view: Record<string, unknown> = Object.create(
    Object.getPrototypeOf(host),
    Object.getOwnPropertyDescriptors(host),
  );
  const HostWorker = host.Worker;
  class Worker extends HostWorker {
    // A super() that threw left `this` unbound: the second call is the only one that binds it.
    // biome-ignore lint/correctness/noUnreachableSuper: retried only after the first call threw
    constructor(filename: unknown, options?: Record<string, unknown>) {
      if (options?.eval) {
        super(filename, options);
        return;
      }
      const target = rewriter.value(filename);
      try {
        super(target, rewriter.options(options, true) as Record<string, unknown>);
      } catch (error) {
        // The host's execArgv, which a worker inherits silently, may hold process-wide flags a worker refuses
        // when they are given (`--max-old-space-size`): those are left out, as inheriting leaves them out.
        const refused = refusedWorkerFlags(error);
        if (!refused || Array.isArray(options?.execArgv)) throw error;
        super(target, rewriter.options(options, true, refused) as Record<string, unknown>);
      }
    }
  }
  Object.defineProperty(Worker, Symbol.hasInstance, { value: (v: unknown) => v instanceof HostWorker });
  Object.defineProperty(view, 'Worker', { value: Worker, writable: true, configurable: true, enumerable: true });
  return view;
}
