// compare(): every case to every version. Outputs are checked against the same functions run natively from
// disk (Node is the truth), and every option and bad input has a test.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  assertNoRegressions,
  CompareReportSchema,
  checkpoint,
  compare,
  diffOutputs,
  diffSnapshots,
  formatSummary,
  isCodesaveError,
  outputsEqual,
  parseCsv,
  parseReport,
  REPORT_VERSION,
  registerSourceOpener,
  renderHtml,
  renderMarkdown,
  reportToJson,
  toHost,
  ZipCodebase,
} from '../packages/core/src/index.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'codesave-compare-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
/** A project directory with `files`, and its snapshot. */
async function project(files: Record<string, string>): Promise<{ dir: string; zip: string }> {
  const dir = path.join(scratch, `p${++counter}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  if (!files['package.json']) writeFileSync(path.join(dir, 'package.json'), '{"name":"m","version":"1.0.0"}');
  const saved = await checkpoint(dir, { output: path.join(scratch, `p${counter}.zip`) });
  return { dir, zip: saved.path };
}

const V1 = `
exports.score = (c) => {
  if (c.x === 3) throw new TypeError('bad x ' + c.x);
  return { label: c.x > 1 ? 'pos' : 'neg', scores: [0.1, 0.2, c.x / 10] };
};
exports.constant = 7;
exports.sum = (a, b) => a + b;
exports.rand = () => [Math.random(), Math.random()];
exports.spin = (c) => { if (c.x === 2) for (;;) {} return c.x; };
exports.hang = (c) => (c.x === 2 ? new Promise(() => {}) : Promise.resolve(c.x));
exports.mutate = (c) => { c.x = 100; return c.x; };
exports.read = (c) => c.x;
exports.rich = (c) => ({ when: new Date(0), tags: new Set(['a', c.x]), map: new Map([['k', c.x]]), arr: Array.isArray(c.list) });
`;
const V2 = `
exports.score = async (c) => ({ label: c.x > 2 ? 'pos' : 'neg', scores: [0.1, 0.2, c.x / 10 + 0.01] });
exports.sum = (a, b) => a + b;
exports.rand = () => [Math.random(), Math.random()];
exports.read = (c) => c.x;
exports.rich = (c) => ({ when: new Date(0), tags: new Set(['a', c.x]), map: new Map([['k', c.x + 1]]), arr: Array.isArray(c.list) });
`;

const cases = [1, 2, 3, 4].map((x) => ({ x, label: x > 1 ? 'pos' : 'neg' }));
const fixture = Promise.all([project({ 'src/model.js': V1 }), project({ 'src/model.js': V2 })]);

test('outputs are what each version computes natively; errors, diffs, groups and metrics', async () => {
  const [a, b] = await fixture;
  const report = await compare({
    versions: { v1: a.zip, v2: b.zip },
    call: 'src/model:score',
    cases,
    scorers: { positive: (out, c) => out.label === c.label },
  });
  CompareReportSchema.parse(report);
  assert.equal(report.version, REPORT_VERSION);
  assert.equal(report.complete, true);
  const native = [
    createRequire(path.join(a.dir, 'x'))('./src/model.js'),
    createRequire(path.join(b.dir, 'x'))('./src/model.js'),
  ];
  for (const c of report.cases) {
    for (const [i, mod] of native.entries()) {
      const r = c.results[i];
      let expected: unknown;
      let failure: Error | undefined;
      try {
        expected = await mod.score(structuredClone(c.input));
      } catch (error) {
        failure = error as Error;
      }
      if (failure) {
        assert.equal(r.ok, false);
        assert.equal(r.error?.name, failure.name);
        assert.equal(r.error?.message, failure.message);
      } else {
        assert.equal(r.ok, true);
        assert.deepStrictEqual(r.output, expected); // host-realm data
      }
    }
  }
  const [c0, c1, c2, c3] = report.cases;
  assert.equal(c0.status, 'differ');
  assert.deepEqual(c0.groups, [0, 1]);
  assert.deepEqual(c0.diffs[0].changes, [{ path: '$.scores[2]', kind: 'changed', before: 0.1, after: 0.11 }]);
  assert.deepEqual(
    c1.diffs[0].changes.map((ch) => ch.path),
    ['$.label', '$.scores[2]'],
  );
  assert.equal(c2.status, 'error');
  assert.match(
    c2.results[0].error!.stack!,
    new RegExp(`${a.zip.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/src/model\\.js:3:`),
  );
  assert.doesNotMatch(c2.results[0].error!.stack!, /Invoker|runCase/);
  assert.equal(c3.status, 'differ');
  const [m1, m2] = report.versions;
  assert.equal(m1.errors, 1);
  assert.equal(m2.errors, 0);
  assert.equal(m1.scores.positive, 1);
  assert.equal(m2.scores.positive, 0.75);
  assert.equal(m1.agreement.v2, 0);
  assert.equal(report.summary.differ, 3);
  assert.equal(report.summary.errors, 1);
  assert.ok(m1.time.p95Ms >= m1.time.medianMs);
  assert.ok(m1.time.totalMs >= m1.time.p95Ms);
  const text = formatSummary(report);
  assert.match(text, /v1 → v2 {2}\$\.scores\[2\]: 0\.1 → 0\.11/);
  assert.match(text, /v1 ✗ TypeError: bad x 3/);
});

test('expected values, tolerance (absolute and relative), args and agreement', async () => {
  const [a, b] = await fixture;
  const run = (tolerance?: number | { absolute?: number; relative?: number }) =>
    compare({
      versions: [a.zip, b.zip],
      call: 'src/model:sum',
      cases: [
        { a: 1, b: 2, want: 3 },
        { a: 0.1, b: 0.2, want: 0.3 },
        { a: 1000, b: 1, want: 1001.5 },
      ],
      args: (c) => [c.a, c.b],
      expected: 'want',
      tolerance,
    });
  const exact = await run();
  assert.deepEqual(
    exact.cases.map((c) => c.results[0].matchesExpected),
    [true, false, false],
  );
  assert.equal(exact.versions[0].expected?.rate, 1 / 3);
  assert.equal(exact.versions[0].agreement[exact.versions[1].name], 1);
  assert.deepEqual(
    (await run(1e-9)).cases.map((c) => c.results[0].matchesExpected),
    [true, true, false],
  );
  assert.deepEqual(
    (await run({ relative: 1e-3 })).cases.map((c) => c.results[0].matchesExpected),
    [true, true, true],
  );
  assert.deepEqual(
    (await run({ absolute: 0.1 })).cases.map((c) => c.results[0].matchesExpected),
    [true, true, false],
  );
  assert.equal(outputsEqual({ s: [1, 2.0000001] }, { s: [1, 2] }, { absolute: 1e-6, relative: 0 }), true);
});

test('seed: Math.random draws the same in every version, per case; unseeded they differ', async () => {
  const [a, b] = await fixture;
  const seeded = await compare({ versions: [a.zip, b.zip], call: 'src/model:rand', cases: [1, 2, 3], seed: 42 });
  assert.equal(seeded.summary.agree, 3);
  const outs = seeded.cases.map((c) => c.results[0].output as number[]);
  assert.notDeepEqual(outs[0], outs[1]);
  for (const [x, y] of outs) assert.ok(x >= 0 && x < 1 && y >= 0 && y < 1 && x !== y);
  const again = await compare({ versions: [b.zip, a.zip], call: 'src/model:rand', cases: [1, 2, 3], seed: 42 });
  assert.deepEqual(
    again.cases.map((c) => c.results[0].output),
    outs,
  );
  const other = await compare({ versions: [a.zip, b.zip], call: 'src/model:rand', cases: [1], seed: 43 });
  assert.notDeepEqual(other.cases[0].results[0].output, outs[0]);
  const unseeded = await compare({ versions: [a.zip, b.zip], call: 'src/model:rand', cases: [1, 2] });
  assert.equal(unseeded.summary.differ, 2);
});

test('timeoutMs stops an endless loop and gives up a promise that never settles; the run goes on', async () => {
  const [a] = await fixture;
  for (const call of ['src/model:spin', 'src/model:hang']) {
    const report = await compare({
      versions: [a.zip, a.zip],
      call,
      cases: [{ x: 1 }, { x: 2 }, { x: 3 }],
      timeoutMs: 1500, // generous: a trivial call must never hit it, even on a loaded machine
    });
    assert.deepEqual(
      report.cases.map((c) => c.status),
      ['agree', 'error', 'agree'],
      call,
    );
    assert.equal(report.cases[1].results[0].timedOut, true);
    assert.equal(report.cases[1].results[0].error?.code, 'ERR_TIMEOUT');
    assert.equal(report.versions[0].timeouts, 1);
    assert.equal(report.cases[2].results[1].output, 3);
  }
});

test('an abort signal returns the partial report', async () => {
  const [a, b] = await fixture;
  const controller = new AbortController();
  const report = await compare({
    versions: [a.zip, b.zip],
    call: 'src/model:read',
    cases: Array.from({ length: 50 }, (_, x) => ({ x })),
    signal: controller.signal,
    onProgress: (p) => {
      if (p.done === 5) controller.abort();
    },
  });
  assert.equal(report.complete, false);
  assert.equal(report.cases.length, 5);
  CompareReportSchema.parse(report);
  assert.throws(() => assertNoRegressions(report), /aborted after 5 cases/);
});

test('each version gets its own copy of the case, made of its realm', async () => {
  const [a, b] = await fixture;
  const input = { x: 1, list: [1] };
  const report = await compare({ versions: [a.zip, b.zip], call: 'src/model:rich', cases: [input] });
  const out = report.cases[0].results[0].output as {
    when: Date;
    tags: Set<unknown>;
    map: Map<string, number>;
    arr: boolean;
  };
  assert.ok(out.when instanceof Date && out.tags instanceof Set && out.map instanceof Map);
  assert.equal(out.arr, true);
  assert.deepEqual(
    report.cases[0].diffs[0].changes.map((c) => c.path),
    ['$.map.get(k)'],
  );
  const mutated = await compare({ versions: [a.zip, a.zip], call: 'src/model:mutate', cases: [input] });
  assert.equal(mutated.summary.agree, 1);
  assert.equal(input.x, 1);
});

test('cases from .json, .jsonl, .csv, Sets and async iterables; bad case files fail clearly', async () => {
  const [a, b] = await fixture;
  const files = {
    json: '[{"x":1},{"x":2}]',
    jsonl: '{"x":1}\r\n\n{"x":2}\n',
    csv: 'x,note\n1,"a, ""quoted""\nnote"\n2,plain\n',
  };
  for (const [ext, text] of Object.entries(files)) {
    const file = path.join(scratch, `cases.${ext}`);
    writeFileSync(file, text);
    const report = await compare({ versions: [a.zip, b.zip], call: 'src/model:read', cases: file });
    assert.deepEqual(
      report.cases.map((c) => String(c.results[1].output)),
      ['1', '2'],
      ext,
    );
  }
  assert.deepEqual(parseCsv(files.csv)[0], { x: '1', note: 'a, "quoted"\nnote' });
  async function* gen() {
    yield { x: 5 };
    yield { x: 6 };
  }
  const fromAsync = await compare({ versions: [a.zip, b.zip], call: 'src/model:read', cases: gen() });
  assert.deepEqual(
    fromAsync.cases.map((c) => c.results[0].output),
    [5, 6],
  );
  const fromSet = await compare({ versions: [a.zip, b.zip], call: 'src/model:read', cases: new Set([{ x: 7 }]) });
  assert.equal(fromSet.cases[0].results[0].output, 7);

  const bad = path.join(scratch, 'bad.jsonl');
  writeFileSync(bad, '{"x":1}\n\n{"x": 2,\n{"x":3}\n');
  await assert.rejects(compare({ versions: [a.zip, b.zip], call: 'src/model:read', cases: bad }), (e: any) => {
    assert.equal(e.code, 'ERR_CASES_INVALID');
    assert.equal(e.details.line, 3);
    assert.match(e.message, /bad\.jsonl:3: line 3 is not valid JSON/);
    return true;
  });
  const yaml = path.join(scratch, 'cases.yaml');
  writeFileSync(yaml, '- x: 1');
  await assert.rejects(compare({ versions: [a.zip, b.zip], call: 'src/model:read', cases: yaml }), {
    code: 'ERR_CASES_FORMAT',
  });
  await assert.rejects(
    compare({ versions: [a.zip, b.zip], call: 'src/model:read', cases: path.join(scratch, 'none.jsonl') }),
    {
      code: 'ERR_CASES_NOT_FOUND',
    },
  );
  const ragged = path.join(scratch, 'ragged.csv');
  writeFileSync(ragged, 'x,y\n1,2\n3\n');
  await assert.rejects(
    compare({ versions: [a.zip, b.zip], call: 'src/model:read', cases: ragged }),
    /ragged\.csv:3: line 3 has 1 fields/,
  );
  await assert.rejects(compare({ versions: [a.zip, b.zip], call: 'src/model:read', cases: 42 as never }), {
    code: 'ERR_CASES_FORMAT',
  });
});

test('bad versions and calls: a version that fails to open, a missing export, a non-function, too few versions', async () => {
  const [a, b] = await fixture;
  const broken = path.join(scratch, 'broken.zip');
  writeFileSync(broken, 'not a zip at all');
  await assert.rejects(
    compare({ versions: { good: a.zip, bad: broken }, call: 'src/model:read', cases: [1] }),
    (e: any) => {
      assert.equal(e.code, 'ERR_VERSION_OPEN');
      assert.equal(e.details.version, 'bad');
      assert.equal(e.details.causeCode, 'ERR_ZIP_CORRUPT');
      assert.match(e.message, /Version "bad"/);
      return true;
    },
  );
  await assert.rejects(compare({ versions: [a.zip, b.zip], call: 'src/model:nope', cases: [1] }), {
    code: 'ERR_EXPORT_NOT_FOUND',
  });
  await assert.rejects(compare({ versions: [a.zip, b.zip], call: 'src/model:constant', cases: [1] }), (e: any) => {
    assert.equal(e.code, 'ERR_NOT_CALLABLE');
    assert.match(e.message, /'src\/model' export 'constant' is number, not a function/);
    return true;
  });
  // v2 lacks the export: the error names the version's zip
  await assert.rejects(
    compare({ versions: [a.zip, b.zip], call: 'src/model:spin', cases: [1] }),
    (e: any) => isCodesaveError(e) && e.message.includes(b.zip),
  );
  await assert.rejects(compare({ versions: [a.zip], call: 'src/model:read', cases: [1] }), { code: 'ERR_BAD_OPTION' });
  await assert.rejects(compare({ versions: [a.zip, b.zip], call: 'src/model:read', cases: [1], repeat: 0 }), {
    code: 'ERR_BAD_OPTION',
  });
  await assert.rejects(
    compare({ versions: ['nope:thing', b.zip], call: 'src/model:read', cases: [1] }),
    (e: any) => e.code === 'ERR_VERSION_OPEN' && e.details.causeCode === 'ERR_UNKNOWN_SOURCE',
  );
});

test('opened codebases are used and left open; directories are snapshotted; scheme resolvers plug in', async () => {
  const [a, b] = await fixture;
  const opened = await ZipCodebase.open(a.zip);
  const unregister = registerSourceOpener('fixture', async (rest) => (rest === 'b' ? b.zip : a.zip));
  try {
    const report = await compare({ versions: [opened, b.dir, 'fixture:b'], call: 'src/model:read', cases: [{ x: 1 }] });
    assert.deepEqual(
      report.versions.map((v) => v.name),
      ['p1', path.basename(b.dir), 'b'],
    );
    assert.equal(report.versions[2].source, 'fixture:b');
    assert.equal(report.summary.agree, 1);
    assert.equal(await opened._from('src/model', 'read').then((fn) => fn({ x: 9 })), 9);
  } finally {
    unregister();
    await opened.dispose();
  }
});

test('workers spread the cases and give the same report as one thread', async () => {
  const [a, b] = await fixture;
  const options = { versions: [a.zip, b.dir], call: 'src/model:score', cases, seed: 1 } as const;
  const here = await compare(options);
  const spread = await compare({ ...options, workers: 2, concurrency: 2 });
  const strip = (r: typeof here) =>
    r.cases.map((c) => ({
      ...c,
      results: c.results.map(({ durationMs, error, ...rest }) => ({
        ...rest,
        error: error && { ...error, stack: error.stack?.split('\n')[1] },
      })),
    }));
  assert.deepEqual(strip(spread), strip(here));
  assert.equal(spread.options.workers, 2);
  await assert.rejects(compare({ ...options, call: () => () => 1, workers: 1 }), { code: 'ERR_BAD_OPTION' });
});

test('repeat marks outputs that change between calls as flaky', async () => {
  const counter = await project({ 'src/model.js': 'let n = 0; exports.tick = () => n++; exports.same = () => 1;' });
  const report = await compare({ versions: [counter.zip, counter.zip], call: 'src/model:tick', cases: [1], repeat: 3 });
  assert.equal(report.cases[0].results[0].flaky, true);
  assert.equal(report.versions[0].flaky, 1);
  const stable = await compare({ versions: [counter.zip, counter.zip], call: 'src/model:same', cases: [1], repeat: 3 });
  assert.equal(stable.cases[0].results[0].flaky, undefined);
});

test('assertNoRegressions passes on no drop and fails with a readable message', async () => {
  const [a, b] = await fixture;
  const report = await compare({
    versions: { v1: a.zip, v2: b.zip },
    call: 'src/model:score',
    cases,
    scorers: { positive: (out, c) => out.label === c.label },
  });
  assert.throws(
    () => assertNoRegressions(report, { scorer: 'positive', by: 0.01, errors: false }),
    (e: Error) => {
      assert.equal(e.name, 'AssertionError');
      assert.match(e.message, /v2: positive 0\.750 < baseline v1 1\.000 \(allowed drop 0\.01\)/);
      assert.match(e.message, /case #1 \{x: 2, label: "pos"\}/);
      return true;
    },
  );
  assertNoRegressions(report, { scorer: 'positive', by: 0.3, errors: false });
  assertNoRegressions(report, { scorer: 'positive', baseline: 'v2', errors: false }); // v1 scores better
  assert.throws(
    () => assertNoRegressions(report, { scorer: 'positive', baseline: 'v2', errors: true }),
    /v1: 1 errors/,
  );
  assert.throws(() => assertNoRegressions(report, { scorer: 'nope' }), { code: 'ERR_BAD_OPTION' });
});

test('reports: JSON round trip, markdown, HTML (self-contained, escaped)', async () => {
  const [a, b] = await fixture;
  const report = await compare({
    versions: { '<v1>': a.zip, v2: b.zip },
    call: 'src/model:rich',
    cases: [{ x: '</script><b>' }],
  });
  const json = reportToJson(report);
  const back = parseReport(json);
  assert.equal(back.cases.length, 1);
  assert.deepEqual((back.cases[0].results[0].output as any).map, { $type: 'Map', entries: [['k', '</script><b>']] });
  assert.throws(() => parseReport({ version: 99 }), { code: 'ERR_REPORT_INVALID' });
  const md = renderMarkdown(report);
  assert.match(md, /\| version \| errors \|/);
  assert.match(md, /<details>/);
  const html = renderHtml(report);
  assert.equal(html.match(/<\/script>/g)?.length, 2);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
  assert.match(html, /&lt;v1&gt;/);
  assert.match(html, /<svg id="time-chart"/);
});

test('diffOutputs lists every difference with paths; diffSnapshots lists files and lines', async () => {
  const d = diffOutputs({ a: [1, 2, 3], b: { 'c d': 'x' }, gone: 1 }, { a: [1, 5], b: { 'c d': 'y' }, extra: true });
  assert.deepEqual(
    d.changes.map((c) => `${c.path} ${c.kind}`),
    ['$.a[1] changed', '$.a[2] removed', '$.b["c d"] changed', '$.gone removed', '$.extra added'],
  );
  assert.equal(
    diffOutputs(
      Array.from({ length: 100 }, (_, i) => i),
      [],
      undefined,
      10,
    ).truncated,
    true,
  );
  const [a, b] = await fixture;
  const summary = await diffSnapshots(a.zip, b.dir, { patch: true });
  assert.deepEqual(
    summary.files.map((f) => [f.path, f.status]),
    [['src/model.js', 'changed']],
  );
  assert.equal(summary.unchanged, 1);
  assert.ok(summary.files[0].added > 0 && summary.files[0].removed > 0);
  assert.match(summary.files[0].patch!, /^--- a\/src\/model\.js\n\+\+\+ b\/src\/model\.js\n@@ -\d+,\d+ \+\d+,\d+ @@/);
});

test('toHost copies realm values as host data: getters that throw, __proto__ keys, cycles, functions', async () => {
  const [a] = await fixture;
  const cb = await ZipCodebase.open(a.zip);
  try {
    const make = cb.runtime.realm.compileFunction(
      `const o = { a: 1, get bad() { throw new Error('no'); } };
       const p = JSON.parse('{"__proto__": 5, "b": 2}');
       const c = { list: [1, 2] }; c.self = c;
       return [o, p, c, { f: function named() {} }];`,
      [],
      'make.js',
    ) as () => unknown[];
    const [o, p, c, f] = toHost(make()) as any[];
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    assert.deepEqual(o, { a: 1, bad: '[getter threw: Error: no]' });
    assert.equal(Object.getPrototypeOf(p), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(p, '__proto__')?.value, 5);
    assert.equal(c.self, c);
    assert.ok(Array.isArray(c.list));
    assert.equal(f.f, '[Function: named]');
  } finally {
    await cb.dispose();
  }
});
