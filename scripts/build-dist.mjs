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
import { dirname, join, relative, sep } from 'node:path';
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
 * An ES-module import of `node:util` goes through Node's ESM facade, which reads every export's descriptor once:
 * on Node 24 and 26 that loads worker_threads (and net, streams…), ~4 ms at every start. The bundles take it
 * from `require()` instead and re-export the names our code uses (a name missing here fails the build).
 */
const UTIL_NAMES = ['getSystemErrorMap', 'inspect', 'parseArgs', 'promisify', 'types'];
const utilViaRequire = {
  name: 'util-via-require',
  setup(b) {
    b.onResolve({ filter: /^(node:)?util$/ }, (args) =>
      args.namespace === 'via-require'
        ? { path: 'node:util', external: true }
        : { path: 'node:util', namespace: 'via-require' },
    );
    b.onLoad({ filter: /.*/, namespace: 'via-require' }, () => ({
      contents: [
        "const util = require('node:util');",
        'export default util;',
        ...UTIL_NAMES.map((name) => `export const ${name} = util.${name};`),
      ].join('\n'),
      loader: 'js',
    }));
  },
};
/** Gives the ES-module bundles a `require` (for `node:util` above). */
const esmRequire =
  "import { createRequire as __codesave_cr } from 'node:module'; const require = __codesave_cr(import.meta.url);";

const entries = process.argv.slice(2);
if (!entries.length) entries.push('src/index.ts');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const vendorMagicString = Object.hasOwn(pkg.dependencies ?? {}, 'magic-string');
const outOf = (entry, ext) => entry.replace(/^src\//, 'dist/').replace(/\.ts$/, ext);

/** `define` of src/deps.ts's vendored path, relative to the file the code ends up in. */
const magicStringFrom = (outFile) =>
  vendorMagicString
    ? {
        __CODESAVE_MAGIC_STRING__: JSON.stringify(
          `./${relative(dirname(outFile), 'dist/vendor/magic-string.cjs').split(sep).join('/')}`.replace(
            /^\.\/\.\.\//,
            '../',
          ),
        ),
      }
    : {};

// Old tsc output (one .js per source file) must not linger next to the bundles.
for (const name of ['chunks', 'vendor']) rmSync(join('dist', name), { recursive: true, force: true });

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };

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
  plugins: [utilViaRequire],
  banner: { js: esmRequire },
  define: magicStringFrom('dist/index.js'),
});
for (const entry of nested) {
  const outfile = outOf(entry, '.js');
  await build({
    ...common,
    entryPoints: [entry],
    outfile,
    format: 'esm',
    packages: 'external',
    plugins: [utilViaRequire],
    banner: { js: esmRequire },
    define: magicStringFrom(outfile),
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
  plugins: [bundleEsmOnly],
  metafile: true,
  banner: { js: "const __codesave_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__codesave_import_meta_url', ...magicStringFrom(cjsOut) },
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
