// The HTML report in a real browser: Debian's Chromium driven by playwright-core (no browser is downloaded).
// It opens the report from disk, uses the filter, the sort and the side-by-side diff, saves a screenshot, and
// fails on any console error, page error or request that leaves the file.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { checkpoint, compare, writeHtmlReport } from '../packages/core/src/index.ts';

const CANDIDATES = [process.env.CODESAVE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
  (p): p is string => Boolean(p),
);
const chromiumPath = CANDIDATES.find((p) => existsSync(p));

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

test('the HTML report filters, sorts and shows outputs side by side in Chromium, without a console error', {
  skip: chromiumPath ? false : `no Chromium at ${CANDIDATES.join(' or ')} (run scripts/ensure-chromium.sh)`,
}, async () => {
  const { chromium } = await import('playwright-core');
  const scratch = mkdtempSync(path.join(tmpdir(), 'codesave-report-browser-'));
  try {
    const zips: string[] = [];
    for (const [name, body] of [
      [
        'v1',
        "exports.score = (c) => { if (c.x === 4) throw new Error('four'); return { label: c.x % 2 ? 'odd' : 'even', scores: [c.x, c.x * 2] }; };",
      ],
      ['v2', "exports.score = (c) => ({ label: c.x % 3 ? 'odd' : 'even', scores: [c.x, c.x * 2 + 1] });"],
    ]) {
      const dir = path.join(scratch, name);
      mkdirSync(path.join(dir, 'src'), { recursive: true });
      writeFileSync(path.join(dir, 'package.json'), '{"name":"m"}');
      writeFileSync(path.join(dir, 'src/model.js'), body);
      zips.push((await checkpoint(dir, { output: path.join(scratch, `${name}.zip`) })).path);
    }
    const report = await compare({
      versions: { v1: zips[0], v2: zips[1] },
      call: 'src/model:score',
      cases: Array.from({ length: 12 }, (_, x) => ({ x: x === 0 ? 6 : x })),
      scorers: { even: (out) => out.label === 'even' },
    });
    const file = path.join(scratch, 'report.html');
    await writeHtmlReport(file, report);

    const problems: string[] = [];
    const context = await chromium.launchPersistentContext(path.join(scratch, 'profile'), {
      executablePath: chromiumPath,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('request', (request) => {
        if (!request.url().startsWith('file:') && !request.url().startsWith('data:'))
          problems.push(`request: ${request.url()}`);
      });
      await page.goto(pathToFileURL(file).href);

      assert.equal(await page.locator('.card').count(), 2);
      assert.equal(await page.locator('#time-chart polyline').count(), 2);
      assert.equal(await page.locator('#cases tbody tr').count(), 12);

      await page.click('[data-filter="error"]');
      const errorRows = await page
        .locator('#cases tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
      assert.deepEqual(errorRows, Array(report.summary.errors).fill('error'));

      await page.click('[data-filter="differ"]');
      const differs = report.cases.filter((c) => c.groups.some((g) => g !== 0)).length;
      assert.ok(differs > 0);
      assert.equal(await page.locator('#cases tbody tr').count(), differs);

      // sort by the v2 time column, descending on the second click
      const header = page.locator('#cases th[data-col="time:1"]');
      await header.click();
      await header.click();
      assert.equal(await header.getAttribute('aria-sort'), 'descending');
      const times = await page
        .locator('#cases tbody tr td:nth-child(7)')
        .evaluateAll((cells) => cells.map((c) => Number(c.textContent)));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );

      await page.click('[data-filter="all"]');
      const differing = report.cases.find((c) => c.status === 'differ')!;
      await page.click(`#cases tbody tr[data-index="${differing.index}"]`);
      const sides = page.locator('#sides .side');
      assert.equal(await sides.count(), 2);
      assert.deepEqual(await sides.evaluateAll((els) => els.map((e) => e.getAttribute('data-version'))), ['v1', 'v2']);
      assert.ok((await page.locator('#sides .ln-add').count()) > 0, 'changed lines are marked');
      assert.match((await page.locator('#detail .changes').textContent()) ?? '', /v1 → v2 {2}\$\.scores\[1\]/);

      const shot = path.join(scratch, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok(statSync(shot).size > 1000);
    } finally {
      await context.close();
    }
    assert.deepEqual(problems, []);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
