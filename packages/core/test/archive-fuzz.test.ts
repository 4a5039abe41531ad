// A fixed-seed sample of the zip mutation fuzzer (bench/fuzz-archive.ts runs it for minutes): every mutated zip
// opens with CRC-correct reads or is refused with a documented CodesaveError code, never another error.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildCorpus, checkArchive, checkCodebase, mutate, specialCases } from './archive-fuzz.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-fuzz-test-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

test('mutated zips from every writer: opened correctly or refused with a documented code (400 seeds)', async () => {
  const corpus = await buildCorpus(tmp);
  const names = [...corpus.keys()];
  for (const [name, bytes] of corpus) {
    const outcome = await checkArchive(bytes);
    assert.equal(outcome.result, 'opened', `${name} is a valid zip: ${outcome.bug ?? outcome.result}`);
  }
  const seen = new Set<string>();
  for (let seed = 1; seed <= 400; seed++) {
    const name = names[seed % names.length];
    const bytes = mutate(corpus.get(name)!, seed);
    const outcome = await checkArchive(bytes, seed % 4 === 0 ? 'fd' : 'bytes', path.join(tmp, 'case.zip'));
    assert.ok(outcome.ok, `${name} seed ${seed}: ${outcome.bug}`);
    seen.add(outcome.result);
    if (seed % 10 === 0) {
      const viaCodebase = await checkCodebase(bytes);
      assert.ok(viaCodebase.ok, `${name} seed ${seed} through ZipCodebase: ${viaCodebase.bug}`);
    }
  }
  // the sample reaches past the first check: some open, and several different refusals
  assert.ok(seen.has('opened') && seen.size >= 5, [...seen].join(', '));
});

test('hand-made hostile zips: bombs, shared data, 2^63 sizes, 64 KiB names, long link chains', async () => {
  for (const [name, bytes] of specialCases()) {
    const outcome = await checkArchive(bytes);
    assert.ok(outcome.ok, `${name}: ${outcome.bug}`);
    const viaCodebase = await checkCodebase(bytes);
    assert.ok(viaCodebase.ok, `${name} through ZipCodebase: ${viaCodebase.bug}`);
  }
});
