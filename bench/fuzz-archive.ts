// Mutation fuzzer for the zip reader: hostile zips must open correctly or fail with a documented CodesaveError,
// never with a Node error, a hang or a memory blow-up. The mutations and checks are in
// packages/core/test/archive-fuzz.ts (a fixed-seed sample of them runs in the test suite).
//
//   node --conditions=codesave-source --import tsx bench/fuzz-archive.ts                 (2 minutes per target)
//   FUZZ_SECONDS=300 FUZZ_SEED=1000 FUZZ_TARGETS=bytes,fd,codebase node ... bench/fuzz-archive.ts
//
// Each target runs in a child process; a case that takes longer than FUZZ_CASE_MS (default 10 s) is a hang: it
// is reported with its seed, the child is replaced, and the run goes on. Failing inputs are written to
// bench/out/fuzz/<target>-<corpus>-<seed>.zip. Seeds are consecutive from FUZZ_SEED, so a run is repeatable.
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildCorpus,
  checkArchive,
  checkCodebase,
  mutate,
  type Outcome,
  specialCases,
} from '../packages/core/test/archive-fuzz.js';

type Target = 'bytes' | 'fd' | 'codebase';
const here = fileURLToPath(import.meta.url);
const outDir = fileURLToPath(new URL('./out/fuzz/', import.meta.url));

interface Request {
  corpus: string;
  seed: number;
}

async function child(target: Target) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-fuzz-'));
  const corpus = await buildCorpus(work);
  const specials = specialCases();
  const file = path.join(work, 'case.zip');
  process.on('message', async (req: Request) => {
    const bytes = req.seed < 0 ? specials.get(req.corpus)! : mutate(corpus.get(req.corpus)!, req.seed);
    const before = process.memoryUsage().rss;
    let outcome: Outcome;
    try {
      outcome = target === 'codebase' ? await checkCodebase(bytes) : await checkArchive(bytes, target, file);
    } catch (error) {
      outcome = { ok: false, result: 'bug', bug: `checker threw: ${(error as Error).stack}` };
    }
    const grew = process.memoryUsage().rss - before;
    process.send!({ ...outcome, grew, size: bytes.length });
  });
  process.send!({ ready: [...corpus.keys()], specials: [...specials.keys()] });
}

async function parent() {
  const seconds = Number(process.env.FUZZ_SECONDS ?? 120);
  const firstSeed = Number(process.env.FUZZ_SEED ?? 1);
  const caseMs = Number(process.env.FUZZ_CASE_MS ?? 10_000);
  const targets = (process.env.FUZZ_TARGETS ?? 'bytes,fd,codebase').split(',') as Target[];
  fs.mkdirSync(outDir, { recursive: true });
  const corpus = await buildCorpus(fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-fuzz-')));
  const specials = specialCases();
  let failures = 0;
  for (const target of targets) {
    const counts = new Map<string, number>();
    let cases = 0;
    let maxGrowth = 0;
    const deadline = Date.now() + seconds * 1000;
    let seed = firstSeed;
    let specialsDone = false;
    while (Date.now() < deadline) {
      const proc = fork(here, ['--child', target], {
        execArgv: process.execArgv,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const first = await new Promise<{ ready: string[]; specials: string[] }>((ok) =>
        proc.once('message', ok as never),
      );
      const names = first.ready;
      const queue: Request[] = specialsDone ? [] : first.specials.map((corpus) => ({ corpus, seed: -1 }));
      specialsDone = true;
      let alive = true;
      while (alive && Date.now() < deadline) {
        const req = queue.shift() ?? { corpus: names[seed % names.length], seed: seed++ };
        const reply = await new Promise<(Outcome & { grew: number; size: number }) | 'hang' | 'died'>((ok) => {
          const timer = setTimeout(() => ok('hang'), caseMs);
          proc.once('message', (m) => {
            clearTimeout(timer);
            ok(m as never);
          });
          proc.once('exit', () => {
            clearTimeout(timer);
            ok('died');
          });
          proc.send(req);
        });
        proc.removeAllListeners('message');
        proc.removeAllListeners('exit');
        cases++;
        const label = `${target} ${req.corpus} seed ${req.seed}`;
        if (reply === 'hang' || reply === 'died' || !reply.ok || reply.grew > 256 * 1024 * 1024) {
          failures++;
          const why =
            typeof reply === 'string' ? reply : !reply.ok ? reply.bug : `rss grew by ${(reply.grew / 2 ** 20) | 0} MiB`;
          console.log(`FAIL ${label}: ${why}`);
          const bytes = req.seed < 0 ? specials.get(req.corpus)! : mutate(corpus.get(req.corpus)!, req.seed);
          fs.writeFileSync(path.join(outDir, `${target}-${req.corpus}-${req.seed}.zip`), bytes);
          if (typeof reply === 'string') {
            proc.kill('SIGKILL');
            alive = false;
          }
          continue;
        }
        maxGrowth = Math.max(maxGrowth, reply.grew);
        counts.set(reply.result, (counts.get(reply.result) ?? 0) + 1);
      }
      if (alive) proc.kill();
    }
    const summary = [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    console.log(
      `${target}: ${cases} cases (seeds ${firstSeed}..${seed - 1}), max rss growth ${(maxGrowth / 2 ** 20).toFixed(1)} MiB: ${summary}`,
    );
  }
  console.log(failures ? `${failures} failures` : 'no failures');
  process.exitCode = failures ? 1 : 0;
}

if (process.argv[2] === '--child') await child(process.argv[3] as Target);
else await parent();
