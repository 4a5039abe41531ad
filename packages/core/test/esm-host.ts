/**
 * A tiny stand-alone host for the ESM loader's tests: a real directory, one `vm.Context`, a small resolver
 * (relative paths with TS-style fallbacks, `node_modules` with `exports`/`imports`, builtins) and a minimal
 * CommonJS loader. The real host is the runtime's (runtime/esm/index.ts); this one keeps the loader's tests
 * independent of it.
 */
import fs, { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { exports as exportsMap, imports as importsMap } from 'resolve.exports';
import { type EsmHost, EsmLoader } from '../src/runtime/esm/loader.js';
import type { FsView } from '../src/runtime/fs-view.js';
import { parseJsonText } from '../src/runtime/json.js';
import { moduleFormat } from '../src/runtime/module-format.js';
import { CJS_WRAPPER_PARAMS } from '../src/runtime/names.js';
import { PackageJsonCache } from '../src/runtime/package-json.js';
import { rewriteDynamicImport } from '../src/runtime/transform/cjs-import.js';
import { names, Transformer } from '../src/runtime/transform/index.js';

const hostRequire = createRequire(import.meta.url);
const isFile = (p: string) => existsSync(p) && statSync(p).isFile();
const TRY_EXT = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json'];

export interface TestHost {
  loader: EsmLoader;
  global: typeof globalThis;
  logs: unknown[][];
  import(path: string): Promise<Record<string, any>>;
  transformer: Transformer;
}

export function testHost(
  root: string,
  options: { cacheDir?: string | false; hostRealm?: boolean; console?: boolean } = {},
): TestHost {
  const logs: unknown[][] = [];
  const consoleish = { log: (...args: unknown[]) => logs.push(args), error: (...args: unknown[]) => logs.push(args) };
  const context = options.hostRealm ? undefined : vm.createContext({});
  const g = (context ? vm.runInContext('globalThis', context) : globalThis) as typeof globalThis & Record<string, any>;
  if (context) {
    for (const name of [
      'process',
      'setTimeout',
      'clearTimeout',
      'setImmediate',
      'queueMicrotask',
      'Buffer',
      'URL',
      'TextEncoder',
      'structuredClone',
    ])
      g[name] = (globalThis as any)[name];
    g.console = options.console ? console : consoleish;
  }
  const transformer = new Transformer({ cacheDir: options.cacheDir ?? false });
  const packages = new PackageJsonCache(fs as unknown as FsView, (_path, error) => error);
  const pkgType = (p: string): string | undefined => packages.scope(p)?.type;
  const findPkg = (start: string): { dir: string; json: any } | undefined => {
    for (let d = start; ; d = dirname(d)) {
      const pj = join(d, 'package.json');
      if (isFile(pj)) return { dir: d, json: JSON.parse(readFileSync(pj, 'utf8')) };
      if (d === dirname(d)) return undefined;
    }
  };
  const file = (p: string, ts: boolean): string | undefined => {
    if (isFile(p)) return p;
    if (ts) {
      const m = /\.(m|c)?js$/.exec(p);
      if (m)
        for (const e of m[1] === 'm' ? ['.mts'] : m[1] === 'c' ? ['.cts'] : ['.ts', '.tsx']) {
          const c = p.slice(0, -m[0].length) + e;
          if (isFile(c)) return c;
        }
    }
    for (const e of TRY_EXT) if (isFile(p + e)) return p + e;
    for (const e of TRY_EXT) if (isFile(join(p, `index${e}`))) return join(p, `index${e}`);
    return undefined;
  };
  const resolve = (specifier: string, parent: string | undefined, mode: 'import' | 'require'): string => {
    if (specifier.startsWith('node:')) return specifier;
    if (builtinModules.includes(specifier)) return `node:${specifier}`;
    const base = parent ? dirname(parent) : root;
    const ts = !!parent && /\.[cm]?tsx?$/.test(parent);
    const conditions = mode === 'import' ? ['import', 'node'] : ['require', 'node'];
    let found: string | undefined;
    if (specifier.startsWith('file:')) found = fileURLToPath(specifier);
    else if (specifier.startsWith('.') || specifier.startsWith('/'))
      found = file(resolvePath(base, specifier), ts || mode === 'require');
    else if (specifier.startsWith('#')) {
      const pkg = findPkg(base)!;
      const t = importsMap(pkg.json, specifier, { conditions, unsafe: true })?.[0];
      found = t && (t.startsWith('.') ? join(pkg.dir, t) : resolve(t, join(pkg.dir, 'package.json'), mode));
    } else {
      const m = /^((?:@[^/]+\/)?[^/]+)(.*)$/.exec(specifier)!;
      for (let d = base; ; d = dirname(d)) {
        const dir = join(d, 'node_modules', m[1]!);
        if (existsSync(dir)) {
          const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
          if (json.exports) {
            const t = exportsMap(json, `.${m[2]}`, { conditions, unsafe: true })?.[0];
            found = t ? join(dir, t) : undefined;
          } else found = file(join(dir, m[2] ? m[2].slice(1) : (json.main ?? 'index.js')), true);
          break;
        }
        if (d === dirname(d)) break;
      }
    }
    if (!found) {
      const e = new (g.Error as ErrorConstructor)(
        `Cannot find module '${specifier}' imported from ${parent}`,
      ) as Error & { code: string };
      e.code = mode === 'import' ? 'ERR_MODULE_NOT_FOUND' : 'MODULE_NOT_FOUND';
      throw e;
    }
    return realpathSync(found);
  };
  const cjsCache = new Map<string, { exports: unknown }>();
  const format = (p: string) => moduleFormat(p, pkgType);
  let loader: EsmLoader;
  const requireFrom = (parent: string) => {
    const req = (spec: string): unknown => {
      const p = resolve(spec, parent, 'require');
      if (p.startsWith('node:')) return hostRequire(p);
      return requireCjs(p);
    };
    return req;
  };
  const requireCjs = (p: string): unknown => {
    const hit = cjsCache.get(p);
    if (hit) return hit.exports;
    const module = { exports: {} as unknown, id: p, filename: p, loaded: false };
    cjsCache.set(p, module);
    if (p.endsWith('.json')) module.exports = parseJsonText(readFileSync(p, 'utf8'), (t) => g.JSON.parse(t));
    else if (format(p) === 'module') {
      module.exports = loader.requireModule(p);
    } else {
      let src = readFileSync(p, 'utf8');
      if (/\.[cm]?tsx?$/.test(p)) src = transformer.cjs(p, src);
      const importName = names.protocolNames(src).dynamicImport;
      const rewritten = rewriteDynamicImport(src, importName);
      const params: string[] = [...CJS_WRAPPER_PARAMS];
      if (rewritten !== undefined) params.push(importName);
      const fn = vm.compileFunction(rewritten ?? src, params, {
        filename: p,
        ...(context ? { parsingContext: context } : {}),
      });
      const dynamicImport = (spec: unknown, opts?: unknown) => loader.dynamicImport(spec, opts, p);
      fn.call(module.exports, module.exports, requireFrom(p), module, p, dirname(p), dynamicImport);
    }
    module.loaded = true;
    return module.exports;
  };
  const host: EsmHost = {
    resolve: (s, parent) => resolve(s, parent, 'import'),
    format,
    readFile: (p) => readFileSync(p, 'utf8'),
    packageScope: (p) => packages.scope(p),
    parseJson: (text) => parseJsonText(text, (t) => g.JSON.parse(t)),
    transform: (p, source) => transformer.esm(p, source),
    compile: (code, _path, url) => {
      const script = transformer.script(code, url, -1);
      return context ? script.runInContext(context) : script.runInThisContext();
    },
    requireCjs,
    builtin: (id) => hostRequire(`node:${id}`),
    global: g,
    // Loader code (live bindings, namespaces) compiled in the realm, as the runtime's host does it.
    evaluate: (code) => (context ? vm.runInContext(code, context) : vm.runInThisContext(code)),
  };
  loader = new EsmLoader(host);
  return {
    loader,
    global: g,
    logs,
    transformer,
    import: (p) => loader.importPath(resolvePath(root, p)) as Promise<Record<string, any>>,
  };
}
