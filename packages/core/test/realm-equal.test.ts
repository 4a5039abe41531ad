import assert from 'node:assert/strict';
import { test } from 'node:test';
import vm from 'node:vm';
import { assertRealmEqual, realmDifference, realmEqual } from '@codesave/core';

// A value built in another vm.Context, as a ZipCodebase returns it.
const fromRealm = (source: string): unknown => vm.runInContext(`(${source})`, vm.createContext({}));

const rich = `{
  list: [1, 'two', { three: 3 }], when: new Date(0), re: /a+/gi, map: new Map([[{ k: 1 }, 'v']]),
  set: new Set([1, [2]]), bytes: new Uint8Array([1, 2, 3]), err: new TypeError('bad'), nan: NaN, nothing: null,
}`;

test('equal values from two realms are realmEqual where deepStrictEqual fails', () => {
  const a = fromRealm(rich);
  const b = fromRealm(rich);
  assert.throws(() => assert.deepStrictEqual(a, b));
  assert.equal(realmDifference(a, b), undefined);
  assert.ok(realmEqual(a, b));
  assertRealmEqual(a, b);
});

test('a realm value equals the same host value', () => {
  const host = {
    list: [1, 'two', { three: 3 }],
    when: new Date(0),
    re: /a+/gi,
    map: new Map([[{ k: 1 }, 'v']]),
    set: new Set([1, [2]]),
    bytes: new Uint8Array([1, 2, 3]),
    err: new TypeError('bad'),
    nan: Number.NaN,
    nothing: null,
  };
  assertRealmEqual(fromRealm(rich), host);
});

test('differences are found and located', () => {
  const cases: [string, string, string][] = [
    ['{ a: [1, 2] }', '{ a: [1, 3] }', '$.a[1]'],
    ['{ a: 1 }', '{ a: 1, b: 2 }', '$'],
    ['{ d: new Date(1) }', '{ d: new Date(2) }', '$.d'],
    ['[new Uint8Array([1])]', '[new Uint8Array([2])]', '$[0]'],
    ['{ m: new Map([[1, { x: 1 }]]) }', '{ m: new Map([[1, { x: 2 }]]) }', '$.m.get(1).x'],
    ['{ s: new Set([1]) }', '{ s: new Set([2]) }', '$.s'],
    ['{ e: new Error("a") }', '{ e: new RangeError("a") }', '$.e'],
    ['{ n: 0 }', '{ n: -0 }', '$.n'],
    ['[1]', '({ 0: 1, length: 1 })', '$'],
    ['{ a: 1 }', 'Object.assign(Object.create(null), { a: 1 })', '$'],
  ];
  for (const [left, right, path] of cases) {
    const diff = realmDifference(fromRealm(left), fromRealm(right));
    assert.equal(diff?.path, path, `${left} vs ${right}: ${JSON.stringify(diff)}`);
  }
  assert.throws(() => assertRealmEqual(fromRealm('[1]'), [2]), { name: 'AssertionError', message: /\$\[0\]/ });
});

test('cycles compare without recursion errors', () => {
  const a = fromRealm('(() => { const o = { name: "x" }; o.self = o; return o; })()');
  const b = fromRealm('(() => { const o = { name: "x" }; o.self = o; return o; })()');
  assert.ok(realmEqual(a, b));
});
