// tsconfig.json reading (runtime/esm/tsconfig.ts): hostile `extends` graphs stay bounded; paths pick one pattern.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathsCandidates, readTsconfig, type TsconfigFiles } from '../src/tsconfig.js';

/** An in-memory tree, counting reads. */
function memoryFiles(files: Record<string, string>): TsconfigFiles & { reads: number } {
  const fs = {
    reads: 0,
    readText(file: string) {
      fs.reads++;
      return files[file];
    },
    isFile: (file: string) => file in files,
  };
  return fs;
}

test('an extends graph that fans out (each config extending all ten) reads a bounded number of configs', () => {
  const names = Array.from({ length: 10 }, (_, i) => `/p/c${i}.json`);
  const files: Record<string, string> = {
    '/p/tsconfig.json': JSON.stringify({ extends: names, compilerOptions: { strict: true } }),
  };
  for (const name of names) files[name] = JSON.stringify({ extends: names, compilerOptions: { target: 'es2022' } });
  const fs = memoryFiles(files);
  const config = readTsconfig('/p/tsconfig.json', fs);
  assert.equal(config?.options.strict, true);
  assert.equal(config?.options.target, 'es2022');
  assert.ok(fs.reads <= 64, `read ${fs.reads} configs`);
});

test('paths: the exact key wins, then the longest prefix; targets relative to the config that set them', () => {
  const fs = memoryFiles({
    '/p/tsconfig.json': JSON.stringify({ extends: './cfg/base.json' }),
    '/p/cfg/base.json': JSON.stringify({
      compilerOptions: {
        paths: { '@/*': ['../src/*'], '@/special/*': ['../special/*', '../alt/*'], exact: ['../e.ts'] },
      },
    }),
  });
  const config = readTsconfig('/p/tsconfig.json', fs)!;
  assert.deepEqual(pathsCandidates(config, '@/special/x'), ['/p/special/x', '/p/alt/x']);
  assert.deepEqual(pathsCandidates(config, '@/other'), ['/p/src/other']);
  assert.deepEqual(pathsCandidates(config, 'exact'), ['/p/e.ts']);
  assert.deepEqual(pathsCandidates(config, 'lodash'), []);
});
