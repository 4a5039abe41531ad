// Emits dist/index.cjs next to tsc's ESM output so CommonJS hosts can require() the package.
// Dependencies that CommonJS can require stay external. A dependency that is ES-module only (magic-string)
// is bundled in, with everything it imports: otherwise require('codesave') would need Node's require(esm),
// which Node < 20.19 / 22.12 and jest's module system (without --experimental-vm-modules) do not have.
// import.meta.url is shimmed because CJS has no import.meta. docs/decisions.md, "The CommonJS build".
import { readFileSync } from 'node:fs';
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

const entries = process.argv.slice(2);
for (const entry of entries.length ? entries : ['src/index.ts']) {
  const out = entry.replace(/^src\//, 'dist/').replace(/\.ts$/, '.cjs');
  const result = await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    plugins: [bundleEsmOnly],
    metafile: true,
    sourcemap: true,
    logLevel: 'warning',
    banner: { js: "const __codesave_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__codesave_import_meta_url' },
  });
  const bundled = new Set();
  for (const input of Object.keys(result.metafile.inputs)) {
    const at = input.lastIndexOf('node_modules/');
    const m = at < 0 ? null : /^(?:@[^/]+\/)?[^/]+/.exec(input.slice(at + 'node_modules/'.length));
    if (m) bundled.add(m[0]);
  }
  if (bundled.size) console.log(`${out}: bundled ES-module-only ${[...bundled].sort().join(', ')}`);
}
