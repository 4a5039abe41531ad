/**
 * Two versions of an ESM + TypeScript project loaded side by side through ZipCodebase, each matching its own
 * native run (`node --import tsx`).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkpoint, ZipCodebase } from '../packages/core/src/index.ts';

const fixture = fileURLToPath(new URL('./conformance-esm/versions', import.meta.url));
const tsx = import.meta.resolve('tsx');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-esm-versions-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));

async function version(name: string, edit: (dir: string) => void): Promise<{ dir: string; zip: string }> {
  const dir = path.join(base, name, 'model');
  fs.cpSync(fixture, dir, { recursive: true });
  edit(dir);
  const zip = path.join(base, name, 'model.zip');
  await checkpoint(dir, { output: zip });
  return { dir, zip };
}

function native(dir: string): unknown {
  const out = execFileSync(
    process.execPath,
    ['--import', tsx, '--input-type=module', '-e', "console.log(JSON.stringify((await import('./main.ts')).report()))"],
    { cwd: dir, encoding: 'utf8' },
  );
  return JSON.parse(out.split(dir).join('<root>'));
}

test('v1 and v2 of an ESM+TS project side by side, each as its own native run', async () => {
  const v1 = await version('v1', () => {});
  const v2 = await version('v2', (dir) => {
    const model = path.join(dir, 'src', 'model.ts');
    fs.writeFileSync(
      model,
      fs
        .readFileSync(model, 'utf8')
        .replace("'v1'", "'v2'")
        .replace('tokens.length * w.perToken', 'tokens.length ** 2 * w.perToken'),
    );
    fs.writeFileSync(path.join(dir, 'weights.json'), '{ "bias": -1, "perToken": 3 }\n');
  });
  const [c1, c2] = await Promise.all([ZipCodebase.open(v1.zip), ZipCodebase.open(v2.zip)]);
  try {
    const [m1, m2] = await Promise.all([c1.import('./main.ts'), c2.import('./main.ts')]);
    const r1 = JSON.parse(JSON.stringify(m1.report()).split(c1.root).join('<root>'));
    const r2 = JSON.parse(JSON.stringify(m2.report()).split(c2.root).join('<root>'));
    assert.deepStrictEqual(r1, native(v1.dir));
    assert.deepStrictEqual(r2, native(v2.dir));
    assert.notDeepStrictEqual(r1, r2);
    assert.notEqual(m1.report, m2.report);
  } finally {
    await Promise.all([c1.dispose(), c2.dispose()]);
  }
});
