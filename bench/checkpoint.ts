// Wall time of checkpoint() against `zip -r -q` on the same tree of thousands of files, in the same run.
//
//   node --import tsx bench/checkpoint.ts            (from the repository root)
//   BENCH_FILES=20000 BENCH_ROUNDS=7 node --import tsx bench/checkpoint.ts
//
// The tree is this repository's installed dependencies (node_modules/.pnpm), dereferenced and renamed so no
// directory is called node_modules (checkpoint leaves those out unless includeDependencies), cut at
// BENCH_FILES files (default 8000). Rounds alternate between the two tools; the medians are compared.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpoint } from '../packages/core/src/index.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const maxFiles = Number(process.env.BENCH_FILES ?? 8000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

function countFiles(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const d of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (d.isFile()) {
      files++;
      bytes += statSync(join(d.parentPath ?? (d as { path: string }).path, d.name)).size;
    }
  }
  return { files, bytes };
}

function buildTree(): string {
  const root = join(tmpdir(), `codesave-bench-tree-v2-${maxFiles}`);
  if (existsSync(join(root, '.complete'))) return root;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const store = join(repo, 'node_modules/.pnpm');
  let files = 0;
  for (const id of readdirSync(store).sort()) {
    const modules = join(store, id, 'node_modules');
    if (!existsSync(modules)) continue;
    // Only the package itself (its siblings are links to other store entries).
    const name = id.startsWith('@') ? `@${id.slice(1).split('@')[0].replace('+', '/')}` : id.split('@')[0];
    const src = join(modules, name);
    if (!existsSync(src)) continue;
    const dest = join(root, id);
    cpSync(src, dest, {
      recursive: true,
      dereference: true,
      // Leave out nested node_modules and single huge binaries (biome's is 100 MB): one 100 MB file measures
      // one zlib stream, not a tree of thousands of files.
      filter: (p) => !p.endsWith('/node_modules') && statSync(p).size <= 16 * 1024 * 1024,
    });
    files += countFiles(dest).files;
    if (files >= maxFiles) break;
  }
  execFileSync('touch', [join(root, '.complete')]);
  return root;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const tree = buildTree();
const { files, bytes } = countFiles(tree);
const out = join(tmpdir(), `codesave-bench-out-${process.pid}`);
mkdirSync(out, { recursive: true });
const ours: number[] = [];
const oursLevel4: number[] = [];
const theirs: number[] = [];
let zipBytes = 0;
let ourBytes = 0;
let ourBytesLevel4 = 0;
// One warm-up of each (page cache, JIT), not counted.
for (let round = -1; round < rounds; round++) {
  const zipOut = join(out, 'zip.zip');
  rmSync(zipOut, { force: true });
  let t = performance.now();
  execFileSync('zip', ['-r', '-q', zipOut, '.'], { cwd: tree });
  const zipMs = performance.now() - t;
  zipBytes = statSync(zipOut).size;

  const ourOut = join(out, 'codesave.zip');
  t = performance.now();
  const result = await checkpoint(tree, { output: ourOut });
  const ourMs = performance.now() - t;
  ourBytes = result.bytes;
  if (result.files !== files) throw new Error(`checkpoint stored ${result.files} files, the tree has ${files}`);

  t = performance.now();
  ourBytesLevel4 = (await checkpoint(tree, { output: join(out, 'level4.zip'), compressionLevel: 4 })).bytes;
  const ourLevel4Ms = performance.now() - t;
  rmSync(join(out, 'level4.zip'));
  if (round >= 0) {
    theirs.push(zipMs);
    ours.push(ourMs);
    oursLevel4.push(ourLevel4Ms);
  }
}
rmSync(out, { recursive: true, force: true });

const ratio = median(ours) / median(theirs);
console.log(`tree: ${files} files, ${(bytes / 1048576).toFixed(1)} MB (${tree})`);
console.log(
  `zip -r -q:                        median ${median(theirs).toFixed(0)} ms  [${theirs.map((x) => x.toFixed(0)).join(', ')}]  ${(zipBytes / 1048576).toFixed(1)} MB`,
);
const row = (label: string, xs: number[], size: number) =>
  console.log(
    `${label} median ${median(xs).toFixed(0)} ms  [${xs.map((x) => x.toFixed(0)).join(', ')}]  ${(size / 1048576).toFixed(1)} MB`,
  );
row('checkpoint() (level 6, default):', ours, ourBytes);
row('checkpoint() (level 4):         ', oursLevel4, ourBytesLevel4);
console.log(
  `ratio checkpoint / zip -r: ${ratio.toFixed(2)}x (goal <= 1.0x); at zlib level 4: ${(median(oursLevel4) / median(theirs)).toFixed(2)}x`,
);
// Each round runs both tools back to back, so a per-round ratio cancels slow phases of the machine.
console.log(`median of per-round ratios: ${median(ours.map((x, i) => x / theirs[i])).toFixed(2)}x`);
console.log(
  `Node ${process.version}, ${rounds} rounds, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
