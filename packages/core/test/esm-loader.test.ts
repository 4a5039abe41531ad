import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { testHost } from './esm-host.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'codesave-esm-loader-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));
let n = 0;
function project(files: Record<string, string>): string {
  const dir = path.join(base, `p${n++}`);
  for (const [name, text] of Object.entries({ 'package.json': '{"type":"module"}', ...files })) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

test('namespace objects: live, sealed, null prototype, sorted keys, [object Module], read-only', async () => {
  const host = testHost(project({ 'a.js': 'export let b = 1, a = 2; export function bump() { b++; }' }));
  const ns = await host.import('a.js');
  assert.deepStrictEqual(Object.keys(ns), ['a', 'b', 'bump']);
  assert.equal(Object.getPrototypeOf(ns), null);
  assert.equal(Object.prototype.toString.call(ns), '[object Module]');
  assert.ok(Object.isSealed(ns) && !Object.isFrozen(ns) && !Object.isExtensible(ns));
  ns.bump();
  assert.equal(ns.b, 2);
  assert.deepStrictEqual(Object.getOwnPropertyDescriptor(ns, 'b'), {
    value: 2,
    writable: true,
    enumerable: true,
    configurable: false,
  });
  assert.throws(() => {
    ns.b = 3;
  }, host.global.TypeError);
  assert.equal(await host.import('a.js'), ns);
});

test('cycles evaluate in post-order and TDZ errors name the importing binding', async () => {
  const host = testHost(
    project({
      'a.js': "import { b as bee } from './b.js'; export const a = 'a'; log('a', bee);",
      'b.js':
        "import { a as ay } from './a.js'; export const b = 'b'; try { ay } catch (e) { log(e.message) } log('b');",
    }),
  );
  const seen: string[] = [];
  (host.global as any).log = (...args: string[]) => seen.push(args.join(' '));
  await host.import('a.js');
  assert.deepStrictEqual(seen, ["Cannot access 'ay' before initialization", 'b', 'a b']);
});

test('top-level await: a sync sibling runs before an async sibling finishes; order matches the spec', async () => {
  const host = testHost(
    project({
      'main.js': "import './slow.js'; import './fast.js'; log('main');",
      'slow.js': "log('slow start'); await new Promise((r) => setTimeout(r, 5)); log('slow end');",
      'fast.js': "log('fast');",
    }),
  );
  const seen: string[] = [];
  (host.global as any).log = (s: string) => seen.push(s);
  await host.import('main.js');
  assert.deepStrictEqual(seen, ['slow start', 'fast', 'slow end', 'main']);
});

test('a failed evaluation fails again the same way, and linking errors are SyntaxErrors of the realm', async () => {
  const host = testHost(
    project({ 'bad.js': "throw new RangeError('once');", 'link.js': "import { nope } from './bad.js';" }),
  );
  await assert.rejects(host.import('bad.js'), { name: 'RangeError', message: 'once' });
  await assert.rejects(host.import('bad.js'), { name: 'RangeError', message: 'once' });
  await assert.rejects(host.import('link.js'), (e: Error) => {
    assert.equal(e.name, 'SyntaxError');
    assert.ok(e instanceof (host.global as any).SyntaxError);
    return /does not provide an export named 'nope'/.test(e.message);
  });
});

test('CommonJS from ESM: default is module.exports, named exports are what cjs-module-lexer finds', async () => {
  const host = testHost(
    project({
      'lib.cjs': "exports.a = 1; module.exports.b = 2; const k = 'computed'; exports[k] = 3;",
      'main.js': "import lib, * as ns from './lib.cjs'; export const keys = Object.keys(ns); export { lib };",
    }),
  );
  const ns = await host.import('main.js');
  assert.deepStrictEqual(
    [...ns.keys].filter((k: string) => k !== 'module.exports'),
    ['a', 'b', 'default'],
    String(ns.keys),
  );
  assert.equal(ns.lib.a, 1);
});

test("host-realm mode: values are the host realm's", async () => {
  const host = testHost(project({ 'a.js': 'export const list = [1, 2]; export const err = new TypeError("x");' }), {
    hostRealm: true,
  });
  const ns = await host.import('a.js');
  assert.equal(Object.getPrototypeOf(ns.list), Array.prototype);
  assert.ok(ns.err instanceof TypeError);
  assert.deepStrictEqual(ns.list, [1, 2]);
});

test('require(esm) is synchronous and refuses a graph with top-level await', () => {
  const dir = project({ 'sync.js': 'export const v = 1;', 'tla.js': 'await 0; export const v = 1;' });
  const host = testHost(dir);
  assert.equal((host.loader.requireModule(path.join(dir, 'sync.js')) as any).v, 1);
  assert.throws(() => host.loader.requireModule(path.join(dir, 'tla.js')), { code: 'ERR_REQUIRE_ASYNC_MODULE' });
});

test('namespaces stay live for bindings that change, and settle for ones that cannot', async () => {
  const host = testHost(
    project({
      'live.js': 'export let n = 0; export function bump() { n++; }',
      'fixed.js': 'export const k = 1; export function f() { return 2; }',
    }),
  );
  const live = await host.import('live.js');
  const fixed = await host.import('fixed.js');
  for (let i = 0; i < 300; i++) {
    assert.equal(live.n, i);
    live.bump();
    assert.equal(fixed.k + fixed.f(), 3);
  }
  assert.deepStrictEqual(Object.getOwnPropertyDescriptor(fixed, 'k'), {
    value: 1,
    writable: true,
    enumerable: true,
    configurable: false,
  });
  assert.throws(() => {
    fixed.k = 2;
  }, host.global.TypeError);
});
