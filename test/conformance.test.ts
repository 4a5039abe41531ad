// Differential conformance: each fixture project runs natively under Node and from its zip through
// ZipCodebase; the JSON reports must be identical (root path replaced by `<root>`).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { cleanup, prepare, runNative, runZip } from './conformance/harness.ts';

after(cleanup);

test('basics: cycles, JSON, directory index, main, module tree, require.resolve, fs next to code, realm, errors', async () => {
  const { dir, zip } = await prepare('basics');
  const native = runNative(dir);
  const zipped = await runZip(zip);
  assert.deepStrictEqual(zipped, native);
});
