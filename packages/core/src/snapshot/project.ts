/**
 * Facts about a Node project read from disk: its `package.json`, package manager and lockfile, installed
 * versions of its direct dependencies, and the production dependency closure that `includeDependencies`
 * copies into the snapshot.
 */
import { statSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { CodesaveError } from '../errors.js';
import { tsconfigFiles } from '../tsconfig.js';
import { readRegularText, readRegularTextSync } from './read-regular.js';

interface PackageJson {
  name?: string;
  version?: string;
  packageManager?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
}

/** The parsed `package.json` in `dir`, or `undefined` when there is none (or it is not valid JSON). */
export async function readPackageJson(dir: string): Promise<PackageJson | undefined> {
  try {
    const text = await readRegularText(join(dir, 'package.json'));
    if (text === undefined) return undefined;
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

const LOCKFILES: [string, string][] = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
];

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The package manager: the `packageManager` field if set, else the first lockfile found in `dir` or above it
 * (a workspace keeps its lockfile at the top), else `'unknown'`.
 */
export async function detectPackageManager(dir: string, pkg: PackageJson | undefined) {
  const declared = typeof pkg?.packageManager === 'string' ? pkg.packageManager.split('@')[0] : undefined;
  for (let d = dir; ; d = dirname(d)) {
    for (const [lockfile, name] of LOCKFILES) {
      if ((!declared || declared === name) && (await exists(join(d, lockfile))))
        return { name: declared ?? name, lockfile };
    }
    if (dirname(d) === d || (await exists(join(d, '.git')))) break;
  }
  return { name: declared ?? 'unknown' };
}

/** Node's lookup of a package directory from `fromDir` (walking up through `node_modules`), real path. */
export async function findPackageDir(name: string, fromDir: string): Promise<string | undefined> {
  if (!isPackageName(name)) return undefined;
  for (let d = fromDir; ; d = dirname(d)) {
    if (!d.endsWith(`${'/'}node_modules`)) {
      const candidate = join(d, 'node_modules', name);
      try {
        if ((await stat(candidate)).isDirectory()) return await realpath(candidate);
      } catch {}
    }
    if (dirname(d) === d) return undefined;
  }
}

/**
 * `name` or `@scope/name`, no `.`/`..` segment, no backslash or control character: what can sit in
 * `node_modules`. A package.json may say anything (`"../../..": "1"`); such a name must not lead the save
 * out of `node_modules`.
 */
export function isPackageName(name: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (name.length === 0 || name.length > 214 || /[\\\u0000-\u001f]/.test(name)) return false;
  const parts = name.split('/');
  if (parts.length > 2 || (parts.length === 2) !== parts[0].startsWith('@')) return false;
  return parts.every((part) => part !== '' && part !== '.' && part !== '..' && part !== '@');
}

/** Installed version of each direct dependency (all kinds, dev included) of the project in `dir`. */
export async function installedVersions(dir: string, pkg: PackageJson | undefined): Promise<Record<string, string>> {
  const names = new Set([
    ...Object.keys(pkg?.dependencies ?? {}),
    ...Object.keys(pkg?.devDependencies ?? {}),
    ...Object.keys(pkg?.optionalDependencies ?? {}),
    ...Object.keys(pkg?.peerDependencies ?? {}),
  ]);
  const out: Record<string, string> = {};
  await Promise.all(
    [...names].map(async (name) => {
      const found = await findPackageDir(name, dir);
      const version = found && (await readPackageJson(found))?.version;
      if (typeof version === 'string') out[name] = version;
    }),
  );
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** One package of the dependency closure, and where it goes in the zip. */
export interface PlacedPackage {
  /** Directory in the zip, e.g. `node_modules/a` or `node_modules/a/node_modules/b`. */
  zipDir: string;
  /** Its real directory on disk (symbolic links resolved: pnpm's `.pnpm/<name>@<version>/node_modules/<name>`). */
  realDir: string;
  name: string;
  version: string;
}

/** The directories Node searches for `name` from zip directory `from` (nearest first). */
function lookupChain(from: string, name: string): string[] {
  const parts = from ? from.split('/') : [];
  const chain: string[] = [];
  for (let i = parts.length; i >= 0; i--) {
    if (i > 0 && parts[i - 1] === 'node_modules') continue;
    const base = parts.slice(0, i).join('/');
    chain.push(base ? `${base}/node_modules/${name}` : `node_modules/${name}`);
  }
  return chain;
}

/**
 * The production dependency closure of the project in `dir`: `dependencies`, `optionalDependencies` and
 * installed `peerDependencies`, transitively (never `devDependencies`), each package resolved the way Node
 * resolves it from the requiring package's real directory, so npm's flat layout and pnpm's symlinked `.pnpm`
 * layout both work. The result is a flat `node_modules` layout: every package at the top unless another
 * version already holds its name on the lookup path, then nested under the package that needs it. A package
 * appears once unless two versions of it must coexist.
 *
 * @throws CodesaveError `ERR_DEPENDENCY_NOT_FOUND` when a required dependency is not installed.
 */
export async function dependencyClosure(dir: string): Promise<PlacedPackage[]> {
  const rootReal = await realpath(dir);
  const placed = new Map<string, PlacedPackage>();
  const queue: { zipDir: string; realDir: string; label: string }[] = [{ zipDir: '', realDir: rootReal, label: dir }];
  for (let i = 0; i < queue.length; i++) {
    const item = queue[i];
    const pkg = await readPackageJson(item.realDir);
    if (!pkg) continue;
    const wanted = new Map<string, boolean>(); // name -> required
    for (const name of Object.keys(pkg.peerDependencies ?? {})) wanted.set(name, false);
    for (const name of Object.keys(pkg.optionalDependencies ?? {})) wanted.set(name, false);
    for (const name of Object.keys(pkg.dependencies ?? {}))
      if (!pkg.optionalDependencies?.[name]) wanted.set(name, true);
    for (const [name, required] of [...wanted].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!isPackageName(name)) {
        throw new CodesaveError(
          'ERR_DEPENDENCY_NOT_FOUND',
          `${item.label} depends on ${JSON.stringify(name)}, which is not a package name; fix its package.json, or save without includeDependencies`,
          { details: { name, from: item.realDir } },
        );
      }
      const realDir = await findPackageDir(name, item.realDir);
      if (!realDir) {
        if (!required) continue;
        throw new CodesaveError(
          'ERR_DEPENDENCY_NOT_FOUND',
          `${item.label} depends on "${name}", which is not installed; run your package manager's install in ${dir} first, or save without includeDependencies`,
          { details: { name, from: item.realDir } },
        );
      }
      if (realDir === rootReal) continue;
      const chain = lookupChain(item.zipDir, name);
      const found = chain.find((p) => placed.has(p));
      if (found && placed.get(found)!.realDir === realDir) continue;
      const zipDir = found ? chain[0] : chain[chain.length - 1];
      const dep = await readPackageJson(realDir);
      const entry = { zipDir, realDir, name, version: typeof dep?.version === 'string' ? dep.version : '0.0.0' };
      placed.set(zipDir, entry);
      queue.push({ zipDir, realDir, label: `${name}@${entry.version}` });
    }
  }
  return [...placed.values()].sort((a, b) => (a.zipDir < b.zipDir ? -1 : 1));
}

/**
 * Packages the project's tsconfig.json extends, directly or through its relative configs (`@tsconfig/node20` is
 * usually a devDependency): tsx reads them whenever it runs the code, so a snapshot with its dependencies carries
 * them too, at the top of `node_modules`, unless the closure `placed` that name there already. The configs are
 * the ones the runtime's reader (`tsconfig.ts`) reads.
 */
export async function tsconfigBases(dir: string, placed: readonly PlacedPackage[]): Promise<PlacedPackage[]> {
  const rootReal = await realpath(dir);
  const taken = new Set(placed.map((p) => p.zipDir));
  const disk = {
    readText: (file: string) => {
      try {
        return readRegularTextSync(file);
      } catch {
        return undefined; // unreadable (a directory, no permission): not a config tsx could use either
      }
    },
    isFile: (file: string) => statSync(file, { throwIfNoEntry: false })?.isFile() ?? false,
  };
  const bases: PlacedPackage[] = [];
  for (const file of tsconfigFiles(join(rootReal, 'tsconfig.json'), disk)) {
    // A config inside a package: `…/node_modules/<name>/…`, `<name>` scoped or not.
    const marker = `${sep}node_modules${sep}`;
    const at = file.lastIndexOf(marker);
    if (at < 0) continue;
    const [first, second] = file.slice(at + marker.length).split(sep);
    const name = first?.startsWith('@') ? `${first}/${second}` : first;
    if (!name || !isPackageName(name) || taken.has(`node_modules/${name}`)) continue;
    taken.add(`node_modules/${name}`);
    const realDir = await realpath(join(file.slice(0, at + marker.length), name));
    const pkg = await readPackageJson(realDir);
    const version = typeof pkg?.version === 'string' ? pkg.version : '0.0.0';
    bases.push({ zipDir: `node_modules/${name}`, realDir, name, version });
  }
  return bases;
}
