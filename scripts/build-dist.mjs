// Builds a package's dist/ from src/ with esbuild (tsc emits only the .d.ts files): start-up cost is mostly
// how many files Node reads and how much code it compiles, so each entry is one bundle of our own code, with the
// parts few runs need split into chunks loaded by `import()`. docs/decisions.md, "Start-up: lazy dependencies
// and a bundled dist".
//
//   node ../../scripts/build-dist.mjs <entry.ts>…     (from a package directory; the first entry is the API)
//
// - dist/<entry>.js: ES modules, code splitting between the entries (chunks under dist/chunks/).
// - dist/index.cjs: CommonJS hosts' require(). Dependencies that CommonJS can require stay external. A dependency
//   that is ES-module only is bundled in, with everything it imports: otherwise require('codesave') would need
//   Node's require(esm), which Node < 20.19 / 22.12 and jest's module system (without --experimental-vm-modules)
//   do not have. import.meta.url is shimmed because CJS has no import.meta. docs/decisions.md, "The CommonJS build".
// - dist/vendor/magic-string.cjs (core): the ES-module-only magic-string as CommonJS, which src/deps.ts requires
//   on first use from both builds (it is loaded lazily, so no bundle can carry it statically).
// Every dependency stays a dependency (external): they are loaded on first use (src/deps.ts).
import { readFileSync, rmSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { build } from 'esbuild';

/** Whether the file Node's require() would load for `specifier` from `fromDir` is an ES module. */
function requiresEsm(specifier, fromDir) {
  let file;
  try {
    file = createRequire(join(fromDir, 'noop.js')).resolve(specifier);
  } catch {
    return true; // no require/default condition (import-only exports): only import() can load it
  }
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs') || !file.endsWith('.js')) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).type === 'module';
    } catch {}
    if (dirname(dir) === dir) return false;
  }
}

const bundleEsmOnly = {
  name: 'bundle-esm-only',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      // Inside a bundled package: take its dependencies too (they need not be resolvable from our package).
      if (args.importer.split(sep).includes('node_modules')) return undefined;
      return requiresEsm(args.path, args.resolveDir) ? undefined : { path: args.path, external: true };
    });
  },
};

/**
 * How the bundles take Node's builtins (docs/decisions.md, "Start-up"): measured in instructions of a whole
 * `node` process (callgrind, Node 24), an ES-module `import` of `node:fs` costs ~14 M (its ESM facade reads every
 * export, loading fs/promises, streams, readline) and of `node:util` loads worker_threads and net; `node:crypto`
 * ~25 M and `node:zlib` ~15 M however they are loaded, and opening a zip is the first thing that needs them.
 * - VIA_REQUIRE: `require()`d (already loaded by Node itself; no facade).
 * - LAZY: an object whose properties load the builtin on first access (names: the building Node's exports).
 * Named, namespace and default imports all read the property when the code runs (esbuild's CommonJS interop).
 */
const VIA_REQUIRE = new Set(['fs']);
const LAZY = new Set(['crypto', 'zlib', 'fs/promises']);
/** Names our code feature-tests, listed even when the building Node lacks them (a newer Node running it has them). */
const FEATURE_TESTED = { crypto: ['hash'], zlib: ['crc32'] };
/** `node:util` through `require()` too, with the names our code uses as named exports (one missing fails the build). */
const UTIL_NAMES = ['getSystemErrorMap', 'inspect', 'parseArgs', 'promisify', 'types'];
const builtinsOnDemand = {
  name: 'builtins-on-demand',
  setup(b) {
    b.onResolve({ filter: /^(node:)?(fs|util|crypto|zlib|fs\/promises)$/ }, (args) => {
      const id = args.path.replace(/^node:/, '');
      if (args.namespace === 'builtin-cjs') return { path: `node:${id}`, external: true };
      if (args.namespace === 'builtin') return { path: id, namespace: 'builtin-cjs' };
      return id === 'util' || VIA_REQUIRE.has(id) || LAZY.has(id) ? { path: id, namespace: 'builtin' } : undefined;
    });
    // One ES-module facade per builtin, so esbuild's CommonJS interop copies its exports once, not per importer.
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path: id }) => {
      if (id === 'util') {
        const lines = ["const util = require('node:util');", 'export default util;'];
        for (const name of UTIL_NAMES) lines.push(`export const ${name} = util.${name};`);
        return { contents: lines.join('\n'), loader: 'js' };
      }
      return { contents: `export * from '${id}';\nexport { default } from '${id}';`, loader: 'js' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin-cjs' }, ({ path: id }) => {
      if (VIA_REQUIRE.has(id)) return { contents: `module.exports = require('node:${id}');`, loader: 'js' };
      const own = Object.keys(createRequire(import.meta.url)(`node:${id}`)).filter((n) => n !== 'default');
      const names = [...new Set([...own, ...(FEATURE_TESTED[id] ?? [])])];
      return {
        contents: [
          'let loaded;',
          `const load = () => (loaded ??= require('node:${id}'));`,
          `for (const name of ${JSON.stringify(names)})`,
          '  Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });',
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};
/** Gives the ES-module bundles a `require` (for the builtins above). */
const esmRequire =
  "import { createRequire as __codesave_cr } from 'node:module'; const require = __codesave_cr(import.meta.url);";

const entries = process.argv.slice(2);
if (!entries.length) entries.push('src/index.ts');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const vendorMagicString = Object.hasOwn(pkg.dependencies ?? {}, 'magic-string');
const outOf = (entry, ext) => entry.replace(/^src\//, 'dist/').replace(/\.ts$/, ext);

/** `define` of src/deps.ts's vendored copy (it looks for `vendor/…` in the directories above its own file). */
const magicStringFrom = () =>
  vendorMagicString ? { __CODESAVE_MAGIC_STRING__: JSON.stringify('vendor/magic-string.cjs') } : {};

// Old tsc output (one .js per source file) must not linger next to the bundles.
for (const name of ['chunks', 'vendor']) rmSync(join('dist', name), { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  minifyWhitespace: true,
  minifySyntax: true,
};

// ES modules: entries in the same directory share chunks; an entry elsewhere (compare/worker.ts) is its own bundle.
const top = entries.filter((e) => dirname(e) === 'src');
const nested = entries.filter((e) => dirname(e) !== 'src');
await build({
  ...common,
  entryPoints: top,
  outdir: 'dist',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  packages: 'external',
  plugins: [builtinsOnDemand],
  banner: { js: esmRequire },
  define: magicStringFrom(),
});
for (const entry of nested) {
  const outfile = outOf(entry, '.js');
  await build({
    ...common,
    entryPoints: [entry],
    outfile,
    format: 'esm',
    packages: 'external',
    plugins: [builtinsOnDemand],
    banner: { js: esmRequire },
    define: magicStringFrom(),
  });
}

// CommonJS: the API entry only.
const cjsEntry = top[0];
const cjsOut = outOf(cjsEntry, '.cjs');
const result = await build({
  ...common,
  entryPoints: [cjsEntry],
  outfile: cjsOut,
  format: 'cjs',
  plugins: [builtinsOnDemand, bundleEsmOnly],
  metafile: true,
  banner: { js: "const __codesave_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__codesave_import_meta_url', ...magicStringFrom() },
});
const bundled = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const at = input.lastIndexOf('node_modules/');
  const m = at < 0 ? null : /^(?:@[^/]+\/)?[^/]+/.exec(input.slice(at + 'node_modules/'.length));
  if (m) bundled.add(m[0]);
}
if (bundled.size) console.log(`${cjsOut}: bundled ES-module-only ${[...bundled].sort().join(', ')}`);

if (vendorMagicString) {
  await build({
    ...common,
    entryPoints: ['magic-string'],
    outfile: 'dist/vendor/magic-string.cjs',
    format: 'cjs',
  });
}
