/**
 * tsconfig.json as tsx reads it (through get-tsconfig): JSONC, `extends` (a path, a package — through its
 * `exports`, its `tsconfig` field or its tsconfig.json — or an array, later entries winning), `${configDir}`,
 * `files` / `include` / `exclude` inherited and rebased to the config that wrote them, and `paths` relative to
 * `baseUrl` or else to the config that set them, matched as TypeScript does (exact, then longest prefix).
 * Shared by the runtime (compiler options, `paths`) and the save side (the configs a snapshot must carry).
 */
import path from 'node:path';
import { exports as exportsMap } from 'resolve.exports';
import type { TsCompilerOptions } from './runtime/transform/typescript.js';

/** A tsconfig and what it applies to. */
export interface TsConfig {
  /** The folder of the tsconfig.json itself (what `${configDir}` stands for). */
  dir: string;
  /** Compiler options after `extends`; `baseUrl` absolute. */
  options: TsCompilerOptions;
  /** What `paths` targets are relative to without `baseUrl`: the folder of the config that set `paths`. */
  pathsBase: string | undefined;
  /** Which files the options apply to (`files` / `include` / `exclude`, as tsx's matcher reads them). */
  matches(file: string): boolean;
}

/** The file access reading a tsconfig needs (the codebase's view). */
export interface TsconfigFiles {
  readText(file: string): string | undefined;
  isFile(file: string): boolean;
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: tsconfig's own placeholder, written literally.
const CONFIG_DIR = '${configDir}';
/** Directories `include` wildcards never enter (TypeScript's and tsx's rule). */
const SKIPPED_DIRS = new Set(['node_modules', 'bower_components', 'jspm_packages']);
/** How deep `extends` chains are followed (a cycle stops there). */
const MAX_DEPTH = 8;
/** How many configs one tsconfig may pull in (`extends` arrays of arrays would otherwise grow exponentially). */
const MAX_CONFIGS = 64;

/** One config of an `extends` chain, merged with its parents: lists are absolute or start with `${configDir}`. */
interface Layer {
  options: TsCompilerOptions & { outDir?: string };
  pathsBase?: string;
  files?: string[];
  include?: string[];
  exclude?: string[];
}

/** The tsconfig at `file`, or undefined when it is missing or not an object. */
export function readTsconfig(file: string, fs: TsconfigFiles): TsConfig | undefined {
  const layer = readLayer(file, fs, 0, { left: MAX_CONFIGS, read: [] });
  if (!layer) return undefined;
  const dir = path.dirname(file);
  // `${configDir}` is the folder of the config being read, wherever in the chain it was written.
  const sub = (p: string) => (p.startsWith(CONFIG_DIR) ? path.join(dir, p.slice(CONFIG_DIR.length)) : p);
  const options = { ...layer.options };
  if (options.baseUrl) options.baseUrl = sub(options.baseUrl);
  if (options.paths && typeof options.paths === 'object')
    options.paths = Object.fromEntries(
      Object.entries(options.paths).map(([k, v]) => [
        k,
        (Array.isArray(v) ? v : []).filter((t): t is string => typeof t === 'string').map(sub),
      ]),
    );
  else delete options.paths;
  const outDir = options.outDir && sub(options.outDir);
  delete options.outDir;
  const files = layer.files?.map(sub);
  const include = layer.include?.map(sub) ?? (files ? [] : [path.join(dir, '**/*')]);
  const exclude = layer.exclude?.map(sub) ?? (outDir ? [outDir] : []);
  return { dir, options, pathsBase: layer.pathsBase, matches: filesMatcher(dir, files, include, exclude) };
}

/** How many more configs may be read, and the ones read so far. */
interface Budget {
  left: number;
  read: string[];
}

/** The config files `file` is made of: itself, then every config its `extends` chain reads. */
export function tsconfigFiles(file: string, fs: TsconfigFiles): string[] {
  const budget: Budget = { left: MAX_CONFIGS, read: [] };
  readLayer(file, fs, 0, budget);
  return budget.read;
}

function readLayer(file: string, fs: TsconfigFiles, depth: number, budget: Budget): Layer | undefined {
  if (budget.left-- <= 0) return undefined;
  const text = fs.readText(file);
  if (text === undefined) return undefined;
  budget.read.push(file);
  let json: {
    extends?: unknown;
    compilerOptions?: TsCompilerOptions & { outDir?: string };
    files?: unknown;
    include?: unknown;
    exclude?: unknown;
  };
  try {
    json = parseJsonc(text) as typeof json;
  } catch {
    return undefined;
  }
  if (json === null || typeof json !== 'object') return undefined;
  const dir = path.dirname(file);
  let layer: Layer = { options: {} };
  const parents = typeof json.extends === 'string' ? [json.extends] : Array.isArray(json.extends) ? json.extends : [];
  for (const parent of parents) {
    if (typeof parent !== 'string' || depth >= MAX_DEPTH) continue;
    const parentFile = extendedTsconfig(parent, dir, fs);
    const inherited = parentFile === undefined ? undefined : readLayer(parentFile, fs, depth + 1, budget);
    if (inherited) layer = merge(layer, inherited);
  }
  const rebase = (p: string) => (p.startsWith(CONFIG_DIR) ? p : path.resolve(dir, p));
  const list = (value: unknown) =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').map(rebase) : undefined;
  const options = { ...(json.compilerOptions ?? {}) };
  if (typeof options.baseUrl === 'string') options.baseUrl = rebase(options.baseUrl);
  if (typeof options.outDir === 'string') options.outDir = rebase(options.outDir);
  return merge(layer, {
    options,
    ...(options.paths ? { pathsBase: dir } : {}),
    ...(json.files !== undefined ? { files: list(json.files) ?? [] } : {}),
    ...(json.include !== undefined ? { include: list(json.include) ?? [] } : {}),
    ...(json.exclude !== undefined ? { exclude: list(json.exclude) ?? [] } : {}),
  });
}

/** `child` over `parent`: compiler options key by key, the lists and `paths` whole. */
function merge(parent: Layer, child: Layer): Layer {
  return {
    options: { ...parent.options, ...child.options },
    pathsBase: child.pathsBase ?? parent.pathsBase,
    files: child.files ?? parent.files,
    include: child.include ?? parent.include,
    exclude: child.exclude ?? parent.exclude,
  };
}

/**
 * The file an `extends` names: a path relative to the tsconfig (`.json` optional), or a package in a
 * `node_modules` above it — through its `exports` (`require` and `types` conditions), its `tsconfig` field, or
 * `pkg/file.json`, `pkg/file` + `.json`, `pkg/file/tsconfig.json`, the package's `tsconfig.json`.
 */
function extendedTsconfig(spec: string, from: string, fs: TsconfigFiles): string | undefined {
  const candidates = (base: string): string[] =>
    base.endsWith('.json') ? [base] : [base, `${base}.json`, path.join(base, 'tsconfig.json')];
  const first = (paths: string[]) => paths.find((p) => fs.isFile(p));
  if (spec.startsWith('.') || path.isAbsolute(spec)) return first(candidates(path.resolve(from, spec)));
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  const subpath = spec.slice(name.length + 1);
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkgDir = path.join(dir, 'node_modules', name);
    const manifest = fs.readText(path.join(pkgDir, 'package.json'));
    if (manifest !== undefined) {
      let pkg: { exports?: unknown; tsconfig?: unknown } = {};
      try {
        pkg = JSON.parse(manifest) as typeof pkg;
      } catch {}
      if (pkg.exports !== undefined) {
        try {
          const [target] =
            exportsMap(pkg as never, subpath ? `./${subpath}` : '.', { require: true, conditions: ['types'] }) ?? [];
          if (target && fs.isFile(path.join(pkgDir, target))) return path.join(pkgDir, target);
        } catch {}
      }
      if (!subpath && typeof pkg.tsconfig === 'string' && fs.isFile(path.join(pkgDir, pkg.tsconfig)))
        return path.join(pkgDir, pkg.tsconfig);
    }
    const found = first(candidates(subpath ? path.join(pkgDir, subpath) : path.join(pkgDir, 'tsconfig.json')));
    if (found) return found;
    if (dir === path.dirname(dir)) return undefined;
  }
}

/**
 * Where `specifier` may be by `paths` (TypeScript picks one pattern: the exact key, else the wildcard with the
 * longest prefix, and tries its targets in order), or under `baseUrl` when no pattern matches.
 */
export function pathsCandidates(config: TsConfig, specifier: string): string[] {
  const { paths, baseUrl } = config.options;
  const base = baseUrl ?? config.pathsBase;
  if (paths && base) {
    let best: { targets: string[]; match: string; prefix: number } | undefined;
    for (const [pattern, targets] of Object.entries(paths)) {
      const star = pattern.indexOf('*');
      if (star < 0) {
        if (pattern === specifier) {
          best = { targets, match: '', prefix: Number.POSITIVE_INFINITY };
          break;
        }
        continue;
      }
      const prefix = pattern.slice(0, star);
      const suffix = pattern.slice(star + 1);
      if (specifier.length < prefix.length + suffix.length) continue;
      if (!specifier.startsWith(prefix) || !specifier.endsWith(suffix)) continue;
      if (best && best.prefix >= prefix.length) continue;
      best = {
        targets,
        match: specifier.slice(prefix.length, specifier.length - suffix.length),
        prefix: prefix.length,
      };
    }
    if (best) return best.targets.map((t) => path.resolve(base, t.replace('*', best.match)));
  }
  return baseUrl ? [path.resolve(baseUrl, specifier)] : [];
}

/** tsx applies a tsconfig's compiler options only to the files its `files` / `include` / `exclude` select. */
function filesMatcher(
  dir: string,
  files: string[] | undefined,
  include: string[],
  exclude: string[],
): (file: string) => boolean {
  const posixOf = (p: string) => p.split(path.sep).join('/');
  const fileSet = new Set(files?.map(posixOf));
  const includes = include.map((p) => tsconfigGlob(posixOf(p)));
  const excludes = exclude.map((p) => tsconfigGlob(posixOf(p)));
  return (file) => {
    const posix = posixOf(file);
    if (fileSet.has(posix)) return true;
    const relative = path.relative(dir, file);
    if (relative.startsWith('..') || path.isAbsolute(relative)) return false;
    if (relative.split(path.sep).some((part) => SKIPPED_DIRS.has(part))) return false;
    return includes.some((r) => r.test(posix)) && !excludes.some((r) => r.test(posix));
  };
}

/** A tsconfig glob (`*`, `?`, `**`/) as a regular expression over absolute paths; a directory matches what it holds. */
function tsconfigGlob(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*' && pattern[i + 2] === '/') {
      out += '(?:[^/]+/)*';
      i += 2;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${out}(?:/.*)?$`);
}

/** JSONC, as tsconfig.json is written: comments and trailing commas stripped, then `JSON.parse`. */
function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) i++;
      i++;
    } else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}
