/**
 * A project outside the workspace, as a new user has it: the packed tarballs (`pnpm pack`, as the README says
 * to install from a checkout) installed with npm into a temp dir, plus two snapshots of a small project
 * (v1.zip, v2.zip) made with the installed CLI. Test runners (jest, vitest, mocha, node:test) come from the
 * workspace's own devDependencies and run on that project (`runnerBin`).
 */
import { type ExecFileSyncOptions, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const workspace = fileURLToPath(new URL('../..', import.meta.url));
const PNPM = ['-y', 'pnpm@12.4.2'];
const requireFromWorkspace = createRequire(join(workspace, 'package.json'));

export interface PackedProject {
  dir: string;
  /** The tarballs, by package name. */
  tarballs: Record<string, string>;
  /** Run a command in the project; returns status and output (never throws on a non-zero exit). */
  run(command: string, args: string[], options?: { env?: NodeJS.ProcessEnv }): RunResult;
  dispose(): void;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const PACKAGES = ['core', 'wandb', 'cli'];

/**
 * This process's environment for a child, less what would change how the child behaves. `npx -p … -c '…'` (how
 * CI runs the tests on other Node versions) sets `npm_config_call` and `npm_config_package`, which turn a child
 * `npx pkg args` into another command, and `npm_config_local_prefix`, which points a child `npm install` at the
 * workspace; a node:test parent's `NODE_TEST_CONTEXT` makes a child `node --test` report to it, not print.
 */
function childEnv(): NodeJS.ProcessEnv {
  const {
    npm_config_call: _call,
    npm_config_package: _package,
    npm_config_local_prefix: _prefix,
    NODE_TEST_CONTEXT: _context,
    ...env
  } = process.env;
  return env;
}

/** The newest modification time of a file under `dir`. */
function newest(dir: string): number {
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) time = Math.max(time, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return time;
}

/**
 * `pnpm pack` each package into `dest`; returns the tarball paths by package name. The packages' `prepack`
 * (a build) is skipped: the workspace install built them; a dist/ older than its src/ is refused instead.
 */
export function packTarballs(dest: string): Record<string, string> {
  const tarballs: Record<string, string> = {};
  for (const pkg of PACKAGES) {
    const cwd = join(workspace, 'packages', pkg);
    if (newest(join(cwd, 'src')) > statSync(join(cwd, 'dist', 'index.cjs')).mtimeMs) {
      throw new Error(`packages/${pkg}/dist is older than its src/: run \`npx -y pnpm@12.4.2 run build\` first`);
    }
    const before = new Set(readdirSync(dest));
    execFileSync('npx', [...PNPM, 'pack', '--ignore-scripts', '--pack-destination', dest], {
      cwd,
      stdio: 'pipe',
      env: childEnv(),
    });
    const made = readdirSync(dest).find((f) => f.endsWith('.tgz') && !before.has(f));
    if (!made) throw new Error(`pnpm pack made no tarball for packages/${pkg}`);
    const name = (requireFromWorkspace(join(cwd, 'package.json')) as { name: string }).name;
    tarballs[name] = join(dest, made);
  }
  return tarballs;
}

/** A project in a new temp dir with the tarballs installed by npm, and the files given (path → text). */
export function packedProject(files: Record<string, string> = {}): PackedProject {
  const dir = mkdtempSync(join(tmpdir(), 'codesave-runners-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const packs = join(dir, 'packs');
    mkdirSync(packs);
    const tarballs = packTarballs(packs);
    const dependencies = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify({ name: 'first-hour', version: '1.0.0', private: true, dependencies }, null, 2)}\n`,
    );
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    const options: ExecFileSyncOptions = {
      cwd: dir,
      stdio: 'pipe',
      env: { ...childEnv(), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
    };
    execFileSync('npm', ['install', '--prefer-offline', '--no-package-lock'], options);
    return {
      dir,
      tarballs,
      run(command, args, runOptions = {}) {
        const r = spawnSync(command, args, {
          cwd: dir,
          encoding: 'utf8',
          env: { ...childEnv(), CI: 'true', NODE_OPTIONS: '', ...runOptions.env },
          timeout: 240_000,
        });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
      },
      dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** The JavaScript file that starts a test runner installed in the workspace (jest, vitest, mocha, ts-jest). */
export function runnerBin(name: 'jest' | 'vitest' | 'mocha'): string {
  const pkg = requireFromWorkspace.resolve(`${name}/package.json`);
  const bin = (requireFromWorkspace(pkg) as { bin: string | Record<string, string> }).bin;
  return join(dirname(pkg), typeof bin === 'string' ? bin : (bin[name] as string));
}

export function workspaceModule(name: string): string {
  return dirname(requireFromWorkspace.resolve(`${name}/package.json`));
}
