// Start-up stays cheap: importing the built @codesave/core and running `codesave --help` load none of the heavy
// dependencies (zod, memfs, the transformers…) nor the builtins only some runs need; using a feature loads what
// it needs. Checked by what a child process has loaded (require.cache, process.moduleLoadList and, where Node has
// module.registerHooks, every file the ESM loader resolved), never by timings (those are in bench/whole-process.ts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'codesave-startup-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Heavy dependencies: none may load at import or for `--help`. */
const HEAVY = [
  'zod',
  'memfs',
  'sucrase',
  'esbuild',
  'acorn',
  'acorn-walk',
  'magic-string',
  '@jridgewell/trace-mapping',
  '@jridgewell/remapping',
  'ignore',
  'cjs-module-lexer',
  'oxc-parser',
];
/** Builtins some runs need (compare's workers, git, assertions): none may load at import. */
const RARE_BUILTINS = ['child_process', 'worker_threads', 'net', 'dgram', 'perf_hooks', 'assert'];

/**
 * Preloaded with `--import`: records what the process loads after it, and prints it as JSON on exit.
 * `globalThis.__loaded()` gives the same mid-run.
 */
const probe = join(work, 'probe.mjs');
writeFileSync(
  probe,
  `import { writeSync } from 'node:fs';
import * as nodeModule from 'node:module';
const { createRequire, registerHooks } = nodeModule;
import { fileURLToPath } from 'node:url';
const require = createRequire(import.meta.url);
const builtinsBefore = new Set(process.moduleLoadList);
const resolved = new Set();
if (typeof registerHooks === 'function')
  registerHooks({
    resolve(specifier, context, next) {
      const result = next(specifier, context);
      if (result.url.startsWith('file:')) resolved.add(fileURLToPath(result.url));
      return result;
    },
  });
globalThis.__loaded = () => ({
  hooks: typeof registerHooks === 'function',
  files: [...new Set([...Object.keys(require.cache), ...resolved])].map((f) => f.replaceAll('\\\\', '/')),
  builtins: process.moduleLoadList
    .filter((m) => !builtinsBefore.has(m) && m.startsWith('NativeModule ') && !m.includes('internal/'))
    .map((m) => m.slice('NativeModule '.length)),
});
process.on('exit', () => writeSync(1, '\\n@@loaded ' + JSON.stringify(globalThis.__loaded()) + '\\n'));
`,
);

interface Loaded {
  hooks: boolean;
  files: string[];
  builtins: string[];
}

/** Runs node with the probe; stdout and stderr go to files (a pipe makes Node load `net` for them). */
function loadedBy(args: string[], cwd: string): { stdout: string; loaded: Loaded } {
  const out = join(work, `stdout-${Math.random().toString(36).slice(2)}.txt`);
  const fd = openSync(out, 'w');
  const errFd = openSync(`${out}.err`, 'w');
  try {
    execFileSync(process.execPath, ['--import', probe, ...args], {
      cwd,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', fd, errFd],
    });
  } catch (error) {
    assert.fail(
      `node ${args.join(' ')} failed:\n${(error as { stderr?: Buffer }).stderr}\n${readFileSync(out, 'utf8')}`,
    );
  } finally {
    closeSync(fd);
  }
  const stdout = readFileSync(out, 'utf8');
  const at = stdout.lastIndexOf('@@loaded ');
  assert.ok(at >= 0, `no probe output in:\n${stdout}`);
  return { stdout: stdout.slice(0, at), loaded: JSON.parse(stdout.slice(at + '@@loaded '.length)) as Loaded };
}

/** The heavy packages among `files` (by their node_modules directory). */
function heavyIn(files: string[]): string[] {
  return HEAVY.filter((name) => files.some((f) => f.includes(`/node_modules/${name}/`)));
}

test('import of the built @codesave/core loads no heavy dependency nor rare builtin; using features loads them', () => {
  const project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{"name":"p","version":"1.0.0","type":"module"}');
  writeFileSync(join(project, '.gitignore'), 'ignored/\n');
  writeFileSync(
    join(project, 'index.ts'),
    "import { inner } from './inner.ts';\nnamespace N { export const k = 2; }\nexport const run = (): number => inner() * N.k;\nexport function fail(): never {\n  throw new Error('where');\n}\n",
  );
  writeFileSync(join(project, 'inner.ts'), 'export function inner(): number { return 21; }\n');
  const script = join(work, 'use.mjs');
  writeFileSync(
    script,
    `import { writeSync } from 'node:fs';
const report = (stage) => writeSync(1, '@@stage ' + stage + ' ' + JSON.stringify(globalThis.__loaded()) + '\\n');
const core = await import('@codesave/core');
report('import');
const zip = ${JSON.stringify(join(work, 'p.zip'))};
await core.checkpoint(${JSON.stringify(project)}, { output: zip });
report('checkpoint');
const cb = await core.ZipCodebase.open(zip, { cacheDir: false });
report('open');
const mod = await cb.import('index.ts');
if (mod.run() !== 42) throw new Error('wrong result ' + mod.run());
report('import-ts');
try { mod.fail(); } catch (error) { if (!/index\\.ts:5:/.test(error.stack)) throw new Error('unmapped stack ' + error.stack); }
report('stack');
core.ManifestSchema.safeParse({});
cb.fs.writeFileSync(cb.root + '/new.txt', 'x');
report('zod-memfs');
`,
  );
  // installed as a user's project has it: node_modules/@codesave/core, through its exports map
  mkdirSync(join(work, 'node_modules/@codesave'), { recursive: true });
  symlinkSync(join(root, 'packages/core'), join(work, 'node_modules/@codesave/core'), 'dir');
  const { stdout } = loadedBy([script], work);
  const stages = new Map<string, Loaded>();
  for (const line of stdout.split('\n'))
    if (line.startsWith('@@stage ')) {
      const [, stage, json] = /^@@stage (\S+) (.*)$/.exec(line)!;
      stages.set(stage!, JSON.parse(json!) as Loaded);
    }
  const atImport = stages.get('import')!;
  assert.ok(atImport, stdout);
  assert.deepEqual(heavyIn(atImport.files), [], 'heavy dependencies loaded by the import');
  assert.deepEqual(
    RARE_BUILTINS.filter((b) => atImport.builtins.includes(b)),
    [],
    'rare builtins loaded by the import',
  );
  if (atImport.hooks) {
    // the bundle and the chunks it imports statically; not the save side's or compare's chunks (first call)
    const core = atImport.files.filter((f) => f.includes('/packages/core/'));
    assert.ok(core.length > 0 && core.every((f) => f.includes('/packages/core/dist/')), core.join(', '));
    assert.deepEqual(
      core.filter((f) => /\/chunks\/(checkpoint|compare|versions)-/.test(f)),
      [],
      'the lazily loaded chunks are not read by the import',
    );
    // resolve.exports (3 KB) is every resolution's; any other package waits until it is used
    const packages = atImport.files.filter((f) => f.includes('/node_modules/') && !f.includes('/@codesave/'));
    assert.deepEqual(
      packages.filter((f) => !f.includes('/node_modules/resolve.exports/')),
      [],
      'no other package loaded by the import',
    );
  }
  const at = (stage: string) => heavyIn(stages.get(stage)!.files);
  assert.ok(at('checkpoint').includes('ignore'), 'checkpoint reads .gitignore with ignore');
  assert.ok(at('checkpoint').includes('zod'), 'checkpoint validates the manifest it writes with zod');
  const ts = at('import-ts');
  console.log(
    ts,
    stages.get('import-ts')!.files.filter((f) => f.includes('magic')),
  );
  for (const name of ['sucrase', 'esbuild']) assert.ok(ts.includes(name), `${name} loaded for TypeScript`);
  assert.ok(
    stages.get('stack')!.files.some((f) => /\/(magic-string\/|vendor\/magic-string\.cjs$)/.test(f)),
    'magic-string (the vendored copy) loaded for the source map of a stack trace',
  );
  assert.ok(at('zod-memfs').includes('memfs'), 'memfs loaded once the volume is written');
});

test('codesave --help loads neither a command nor @codesave/core nor a heavy dependency', () => {
  const { stdout, loaded } = loadedBy([join(root, 'packages/cli/dist/bin.js'), '--help'], work);
  assert.match(stdout, /^Usage: codesave <command>/);
  assert.deepEqual(heavyIn(loaded.files), []);
  assert.deepEqual(
    RARE_BUILTINS.filter((b) => loaded.builtins.includes(b)),
    [],
  );
  assert.deepEqual(
    loaded.files.filter((f) => f.includes('/packages/core/') || f.includes('/node_modules/')),
    [],
  );
  if (loaded.hooks) {
    const commandChunks = loaded.files.filter((f) =>
      /\/packages\/cli\/dist\/chunks\/(save|ls|run|push|pull|compare|diff|verify)-/.test(f),
    );
    assert.deepEqual(commandChunks, [], '--help loads no command');
  }
});

test("codesave --help lists each command's own summary", async () => {
  const { commands, summaryOf } = await import('../packages/cli/src/main.js');
  for (const [name, entry] of Object.entries(commands)) {
    const command = await entry.load();
    assert.equal(entry.summary, command.summary ?? summaryOf(command.usage), `summary of ${name}`);
  }
});
