// Property fuzzer for the save side: random trees (odd names — control characters, backslashes, invalid UTF-8,
// NFC/NFD and case twins, long names, drive letters —, symlinks inside, outside, dangling and in loops, FIFOs,
// empty and binary files, nested .gitignore files with odd patterns) are saved with random options. The rule:
// `checkpoint` either fails with a CodesaveError, or writes a zip that `ZipCodebase.open` accepts (verify on) and
// whose every manifest file reads back with its sha256. Nothing may hang: each case has a watchdog, and since a
// synchronous block (a FIFO read) stops timers too, run it under timeout(1) — a kill there is a hang to find.
//
//   timeout 120 node --conditions=codesave-source --import tsx bench/fuzz-checkpoint.ts    (60 s, seeds from 1)
//   FUZZ_SECONDS=300 FUZZ_SEED=1000 node --conditions=codesave-source --import tsx bench/fuzz-checkpoint.ts
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkpoint, isCodesaveError, ZipCodebase } from '../packages/core/src/index.js';
import { rng } from '../packages/core/test/archive-fuzz.js';

const NAMES: (string | Buffer)[] = [
  'a.js',
  'A.js',
  'index.ts',
  'caf\u00e9.js',
  'cafe\u0301.js',
  'x\\y.js',
  'new\nline',
  'C:x',
  'dots. ',
  ' lead',
  '%2e%2e',
  'rtl\u202e.js',
  'tab\t',
  '\u001b[31m',
  'n'.repeat(255),
  'e\u0301'.repeat(80),
  'package.json',
  'codesave.json',
  '.gitignore',
  'node_modules',
  '.git',
  'x.codesave-tmp',
  Buffer.from([0x62, 0xff, 0x2e, 0x6a, 0x73]),
  Buffer.from([0xed, 0xa0, 0x80]),
];
const PATTERNS = ['*.js', '!a.js', '**/x', '[z-a]', '\\', 'a/**/b', '/A.js', '*', '!*', 'node_modules', '#c', ''];

function makeTree(dir: string, random: () => number): void {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: T[]) => xs[int(xs.length)];
  const dirs = [dir];
  const count = 3 + int(25);
  for (let i = 0; i < count; i++) {
    const parent = pick(dirs);
    const raw = pick(NAMES);
    const name = typeof raw === 'string' ? raw : Buffer.concat([Buffer.from(`${i}`), raw]);
    const full = typeof name === 'string' ? path.join(parent, name) : Buffer.concat([Buffer.from(`${parent}/`), name]);
    try {
      const kind = int(10);
      if (kind < 4)
        fs.writeFileSync(full, random() < 0.2 ? Buffer.alloc(int(5000), int(256)) : `// ${i}\n`, { flag: 'wx' });
      else if (kind < 6) {
        fs.mkdirSync(full);
        if (typeof full === 'string') dirs.push(full);
      } else if (kind === 6) fs.symlinkSync(pick(['a.js', '..', '.', '/', '../../..', 'missing', `${i}`]), full);
      else if (kind === 7) {
        if (typeof full === 'string')
          fs.writeFileSync(path.join(parent, '.gitignore'), `${pick(PATTERNS)}\n${pick(PATTERNS)}\n`, { flag: 'wx' });
      } else if (kind === 8 && typeof full === 'string') {
        execFileSync('mkfifo', [full], { stdio: 'ignore' }); // node has no mkfifo: the system's
      } else fs.writeFileSync(full, '', { flag: 'wx' });
    } catch {
      // a name the file system refuses, or one that exists already: skip it
    }
  }
}

async function oneCase(seed: number, work: string): Promise<string | undefined> {
  const random = rng(seed);
  const dir = path.join(work, `t${seed}`);
  fs.mkdirSync(dir);
  makeTree(dir, random);
  const out = path.join(work, `o${seed}.zip`);
  // sometimes an extra library and an extra file, named like anything in NAMES (collisions included)
  const names = NAMES.filter((n): n is string => typeof n === 'string');
  const extraLibraries: string[] = [];
  const extraFiles: string[] = [];
  if (random() < 0.3) {
    const lib = path.join(work, `l${seed}`, names[Math.floor(random() * names.length)]);
    try {
      fs.mkdirSync(lib, { recursive: true });
      makeTree(lib, random);
      extraLibraries.push(lib);
    } catch {}
  }
  if (random() < 0.3) {
    const file = path.join(work, `f${seed}`, names[Math.floor(random() * names.length)]);
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, 'extra');
      extraFiles.push(file);
    } catch {}
  }
  const options = {
    output: out,
    extraLibraries,
    extraFiles,
    onlyCode: random() < 0.2,
    ignore: random() < 0.3 ? [PATTERNS[Math.floor(random() * PATTERNS.length)]] : [],
    ignoreLargerThan: random() < 0.2 ? '1K' : undefined,
  };
  let result: Awaited<ReturnType<typeof checkpoint>>;
  try {
    result = await checkpoint(dir, options);
  } catch (error) {
    return isCodesaveError(error) ? undefined : `checkpoint threw ${(error as Error)?.stack ?? error}`;
  }
  try {
    const codebase = await ZipCodebase.open(out);
    for (const file of result.manifest.files) {
      if (file.link !== undefined) continue;
      const bytes = codebase.fs.readFileSync(path.join(codebase.root, file.path));
      if (createHash('sha256').update(bytes).digest('hex') !== file.sha256) return `${file.path} reads back different`;
    }
    await codebase.dispose();
  } catch (error) {
    return `the zip checkpoint wrote does not open: ${(error as Error)?.message ?? error}`;
  }
  return undefined;
}

const seconds = Number(process.env.FUZZ_SECONDS ?? 60);
let seed = Number(process.env.FUZZ_SEED ?? 1);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-fuzz-save-'));
const deadline = Date.now() + seconds * 1000;
let cases = 0;
let failures = 0;
while (Date.now() < deadline) {
  const watchdog = setTimeout(() => {
    console.log(`FAIL seed ${seed}: hang (over 20 s)`);
    process.exit(1);
  }, 20_000);
  const bug = await oneCase(seed, work);
  clearTimeout(watchdog);
  if (bug) {
    failures++;
    console.log(`FAIL seed ${seed}: ${bug}`);
  }
  cases++;
  seed++;
  if (cases % 50 === 0) {
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work);
  }
}
fs.rmSync(work, { recursive: true, force: true });
console.log(`${cases} trees saved and reopened, ${failures} failures`);
process.exitCode = failures ? 1 : 0;
