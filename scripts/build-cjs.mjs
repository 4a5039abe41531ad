// Emits dist/index.cjs next to tsc's ESM output so CommonJS hosts can require() the package.
// Dependencies stay external; import.meta.url is shimmed because CJS has no import.meta.
import { build } from 'esbuild';

const entries = process.argv.slice(2);
for (const entry of entries.length ? entries : ['src/index.ts']) {
  const out = entry.replace(/^src\//, 'dist/').replace(/\.ts$/, '.cjs');
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    banner: { js: "const __codesave_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__codesave_import_meta_url' },
  });
}
