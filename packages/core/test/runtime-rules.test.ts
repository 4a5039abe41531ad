import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { moduleFormat } from '../src/runtime/module-format.ts';
import { containsModuleSyntax } from '../src/runtime/module-syntax.ts';
import { transformEsm } from '../src/runtime/transform/esm.ts';
import { DEFAULT_NAMES, protocolNames } from '../src/runtime/transform/names.ts';

const runtimeDir = fileURLToPath(new URL('../src/runtime/', import.meta.url));

test('only features.ts reads the Node version; everything else asks a named feature', () => {
  const offenders: string[] = [];
  for (const entry of fs.readdirSync(runtimeDir, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.ts') || entry === 'features.ts') continue;
    const source = fs.readFileSync(path.join(runtimeDir, entry), 'utf8');
    if (/process\.versions?\b|nodeFeatures\.(?:major|minor)\b/.test(source)) offenders.push(entry);
  }
  assert.deepEqual(offenders, []);
});

test('injected names: the default set, or a same-length prefix the source does not contain', () => {
  assert.equal(protocolNames('export const x = 1;'), DEFAULT_NAMES);
  const source = 'var __cs_b = 1; var __cs_m = 2; export { __cs_b };';
  const names = protocolNames(source);
  assert.notEqual(names, DEFAULT_NAMES);
  for (const key of ['module', 'bindings', 'dynamicImport', 'defaultLocal'] as const) {
    assert.equal(names[key].length, DEFAULT_NAMES[key].length, key);
    assert.equal(source.includes(names[key]), false, key);
  }
  const { code } = transformEsm(`import { x } from './y.js';\n${source}\nexport const seen = x;`, 'm.js');
  assert.match(code, new RegExp(`\\(${names.module.replace('$', '\\$')}, ${names.bindings.replace('$', '\\$')},`));
});

test('injected names: a source that holds every candidate prefix is refused with ERR_RESERVED_NAME', () => {
  const chars = 'csabdefghijklmnopqrtuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$';
  let all = '';
  for (const a of chars) for (const b of chars) all += `__${a}${b}_ `;
  assert.throws(() => protocolNames(all), { code: 'ERR_RESERVED_NAME' });
});

test('moduleFormat: Node extension rules, the package type for .js and the TypeScript kinds', () => {
  const typeOf = (type: string) => () => type;
  const cases: [string, string, string][] = [
    ['/a/x.mjs', 'commonjs', 'module'],
    ['/a/x.cjs', 'module', 'commonjs'],
    ['/a/x.cts', 'module', 'commonjs'],
    ['/a/x.mts', 'commonjs', 'module'],
    ['/a/x.json', 'module', 'json'],
    ['/a/x.node', 'module', 'addon'],
    ['/a/x.wasm', 'commonjs', 'wasm'],
    ['/a/x.js', 'module', 'module'],
    ['/a/x.js', 'none', 'commonjs'],
    ['/a/x.tsx', 'module', 'module'],
    ['/a/x.txt', 'module', 'commonjs'],
    ['/a.b/x', 'module', 'commonjs'],
  ];
  for (const [file, type, expected] of cases) assert.equal(moduleFormat(file, typeOf(type)), expected, file);
});

test('containsModuleSyntax: module-only syntax, and CommonJS-only errors that parse as a module', () => {
  const parse = (source: string) => transformEsm(source, 'x.js');
  assert.equal(containsModuleSyntax('export const a = 1;', parse), true);
  assert.equal(containsModuleSyntax('const require = 1; export {};', parse), true);
  assert.equal(containsModuleSyntax('await Promise.resolve();', parse), true);
  assert.equal(containsModuleSyntax('module.exports = 1;', parse), false);
  assert.equal(containsModuleSyntax('const importance = 1;', parse), false);
  assert.equal(containsModuleSyntax('const require = 1; with (a) {}', parse), false);
});
