// The README's demo: save a model project twice with a change between, then load both snapshots
// side by side in this one process and compare their answers on the same inputs.
import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpoint, ZipCodebase } from 'codesave';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'out');
const project = path.join(out, 'model');

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await cp(path.join(here, 'model'), project, { recursive: true });

// 1. Save: v1 as shipped, then v2 after a change to the code and to the data file it reads.
const saved = [await checkpoint(project, { output: path.join(out, 'v1.zip') })];
await cp(path.join(here, 'changes', 'v2'), project, { recursive: true });
saved.push(await checkpoint(project, { output: path.join(out, 'v2.zip') }));
for (const [i, s] of saved.entries()) {
  console.log(
    `saved v${i + 1}: ${path.relative(here, s.path)}  ${s.files} files, ${s.bytes} bytes, sha256 ${s.sha256.slice(0, 12)}`,
  );
}

// 2. Load both into this process, each in its own volume, module registry and realm.
// (`await using v1 = …` disposes them automatically where the runtime supports explicit resource management.)
const v1 = await ZipCodebase.open(saved[0].path);
const v2 = await ZipCodebase.open(saved[1].path);
const predictV1 = await v1._from('src', 'predict', 'predict_v1');
const predictV2 = await v2._from('src', 'predict', 'predict_v2');
const describe = await Promise.all([v1._from('src', 'describe'), v2._from('src', 'describe')]);
console.log(`v1: ${describe[0]()}    v2: ${describe[1]()}\n`);

// 3. Same inputs, both versions, one table.
const inputs = [
  'I love this, it is great',
  'not good at all',
  'fast and fine',
  'awful, buggy and slow',
  'never bad',
  'it is a phone',
];
const rows = inputs.map((text) => {
  const a = predictV1(text);
  const b = predictV2(text);
  return [text, `${a.label} (${a.score})`, `${b.label} (${b.score})`, a.label === b.label ? '' : 'changed'];
});
const header = ['input', 'v1', 'v2', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) =>
  cells
    .map((c, i) => c.padEnd(widths[i]))
    .join('  ')
    .trimEnd();
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of rows) console.log(line(row));
const changed = rows.filter((r) => r[3]).length;
console.log(`\n${changed} of ${rows.length} predictions changed between v1 and v2.`);

await Promise.all([v1.dispose(), v2.dispose()]);
