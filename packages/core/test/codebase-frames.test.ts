// Errors reaching users through a codebase's API show the user's frames, not codesave's own.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Codebase, ZipCodebase } from '../src/index.ts';
import { zipOf } from './codebase-helpers.ts';

const core = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const files = {
  'src/lib.js': "function load() {\n  return require('codesave-test-missing-dep');\n}\nexports.run = () => load();\n",
  'main.js': "const lib = require('./src/lib');\nexports.go = () => lib.run();\nexports.go();\n",
  'e.mjs': "import x from 'codesave-test-missing-dep';\nexport default x;\n",
  'thrower.js':
    'function deep(n) { if (n === 0) throw new RangeError("deep"); return deep(n - 1); }\nexports.f = () => deep(3);\n',
};

const frames = (stack: string) => stack.split('\n').filter((l) => /^\s+at /.test(l));

for (const Class of [ZipCodebase, Codebase]) {
  test(`${Class.name}: a missing dependency deep in user code shows the user's frames first, none of codesave's`, async () => {
    const zip = await zipOf(files);
    await using cb = await Class.open(zip);
    let thrown: any;
    try {
      cb.require('./main');
    } catch (error) {
      thrown = error;
    }
    assert.equal(thrown?.code, 'MODULE_NOT_FOUND');
    const f = frames(thrown.stack);
    assert.ok(f.length > 0, thrown.stack);
    assert.match(f[0]!, /at load \(.*src\/lib\.js:2:/);
    assert.ok(
      f.some((l) => l.includes('main.js:3:')),
      thrown.stack,
    );
    assert.ok(!f.some((l) => l.includes(core + path.sep) || l.includes('codesave:')), thrown.stack);

    // an error of the user's own keeps its frames and the limit the user set
    const before = Error.stackTraceLimit;
    Error.stackTraceLimit = 2;
    try {
      const own = (() => {
        try {
          cb.require('./thrower').f();
        } catch (error) {
          return error as Error;
        }
      })();
      assert.match(own!.stack!, /RangeError: deep/);
      assert.ok(frames(own!.stack!).length <= 10);
    } finally {
      Error.stackTraceLimit = before;
    }
    assert.equal(Error.stackTraceLimit, before);
    await assert.rejects(cb.import('e.mjs'), (e: any) => {
      assert.equal(e.code, 'ERR_MODULE_NOT_FOUND');
      assert.ok(!frames(e.stack).some((l) => l.includes(core + path.sep)), e.stack);
      return true;
    });
  });
}
