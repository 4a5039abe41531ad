// Unit tests of @codesave/wandb's pure parts: settings and netrc, retry timing, run references, artifact names.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isSafeRelativePath, manifestDigest, safeArtifactName } from '../packages/wandb/src/artifact.js';
import { permanentReason } from '../packages/wandb/src/network.js';
import {
  backoffDelay,
  formatRetry,
  isRetryableStatus,
  isRetryableStorageStatus,
  parseRetryAfter,
  resolvePolicy,
  TransientError,
  withRetry,
} from '../packages/wandb/src/retry.js';
import { parseRunRef } from '../packages/wandb/src/run.js';
import { apiKeyProblem, netrcPassword, parseIni, resolveSettings } from '../packages/wandb/src/settings.js';
import { parseUploadHeaders } from '../packages/wandb/src/transfer.js';
import { removeDir, tempDir } from './wandb/helpers.js';

const KEY = 'a'.repeat(40);

describe('settings', () => {
  let home: string;
  before(async () => {
    home = await tempDir();
  });
  after(() => removeDir(home));

  test('netrc: the entry for the host with port, password only; default entry as fallback', () => {
    const text =
      'machine api.wandb.ai\n  login user\n  password k1\nmachine localhost:8080 login user password k2\ndefault login x password k3\n';
    assert.equal(netrcPassword(text, 'api.wandb.ai'), 'k1');
    assert.equal(netrcPassword(text, 'localhost:8080'), 'k2');
    assert.equal(netrcPassword(text, 'localhost'), 'k3');
    assert.equal(netrcPassword('machine a password p', 'b'), undefined);
  });

  test('ini: [default] section, comments, = and :', () => {
    assert.deepEqual(parseIni('# c\n[default]\nbase_url = http://x:1\nentity: me\n'), {
      default: { base_url: 'http://x:1', entity: 'me' },
    });
  });

  test('order: option, WANDB_* env, ./wandb/settings, $WANDB_CONFIG_DIR/settings; key from netrc by host:port', async () => {
    const cwd = join(home, 'proj');
    await mkdir(join(cwd, 'wandb'), { recursive: true });
    await mkdir(join(home, 'cfg'), { recursive: true });
    await writeFile(join(cwd, 'wandb', 'settings'), '[default]\nproject = local-project\n');
    await writeFile(
      join(home, 'cfg', 'settings'),
      '[default]\nbase_url = http://127.0.0.1:9/\nentity = global-entity\nproject = global-project\n',
    );
    await writeFile(
      join(home, '.netrc'),
      `machine 127.0.0.1:9 login user password ${KEY}\nmachine 127.0.0.1 login user password wrong\n`,
    );
    const s = resolveSettings({ env: { WANDB_CONFIG_DIR: join(home, 'cfg') }, cwd, home });
    assert.equal(s.baseUrl, 'http://127.0.0.1:9');
    assert.equal(s.entity, 'global-entity');
    assert.equal(s.project, 'local-project');
    assert.equal(s.apiKey, KEY);
    assert.match(s.apiKeySource ?? '', /\.netrc \(machine 127\.0\.0\.1:9\)/);
    const env = resolveSettings({
      env: {
        WANDB_CONFIG_DIR: join(home, 'cfg'),
        WANDB_API_KEY: 'b'.repeat(40),
        WANDB_ENTITY: 'e',
        WANDB_HTTP_TIMEOUT: '5',
      },
      cwd,
      home,
    });
    assert.equal(env.apiKey, 'b'.repeat(40));
    assert.equal(env.entity, 'e');
    assert.equal(env.timeoutMs, 5000);
    assert.equal(resolveSettings({ env: {}, cwd: home, home: join(home, 'none') }).baseUrl, 'https://api.wandb.ai');
    assert.equal(
      resolveSettings({ env: { NETRC: join(home, '.netrc') }, home: join(home, 'none'), baseUrl: 'http://127.0.0.1:9' })
        .apiKey,
      KEY,
    );
  });

  test('WANDB_X_EXTRA_HTTP_HEADERS must be a JSON object', () => {
    assert.deepEqual(resolveSettings({ env: { WANDB_X_EXTRA_HTTP_HEADERS: '{"X-A":"1"}' }, home }).extraHeaders, {
      'X-A': '1',
    });
    assert.throws(() => resolveSettings({ env: { WANDB_X_EXTRA_HTTP_HEADERS: 'nope' }, home }), {
      code: 'ERR_BAD_OPTION',
    });
  });
});

describe('API keys, as wandb check_api_key', () => {
  test('accepted: 40+ word characters after an optional prefix (dots, dashes in it), a.b.c, wb_at_…', () => {
    for (const key of [
      'a'.repeat(40),
      `local-${'a'.repeat(40)}`,
      `local-abc-${'a'.repeat(40)}`,
      `my.host-${'a'.repeat(40)}`,
      'header.payload.signature',
      'wb_at_anything.goes',
    ]) {
      assert.equal(apiKeyProblem(key), undefined, key);
    }
  });

  test('refused: empty, short, other characters, an empty JWT part', () => {
    assert.match(apiKeyProblem('')!, /empty/);
    assert.match(apiKeyProblem(`p-${'a'.repeat(39)}`)!, /40 or more.*has 39/);
    assert.match(apiKeyProblem(`${'a'.repeat(40)}*`)!, /only contain/);
    assert.match(apiKeyProblem(`${'a'.repeat(40)} `)!, /only contain/);
    assert.ok(apiKeyProblem('a..c'));
  });
});

describe('retry policy', () => {
  test('2 s × 2^n plus up to 25 % jitter, capped at 60 s; Retry-After overrides', () => {
    const low = resolvePolicy({ random: () => 0 });
    const high = resolvePolicy({ random: () => 1 });
    assert.equal(backoffDelay(0, low), 2000);
    assert.equal(backoffDelay(0, high), 2500);
    assert.equal(backoffDelay(3, low), 16000);
    assert.equal(backoffDelay(10, high), 60000);
    assert.equal(backoffDelay(0, low, 7000), 7000);
    assert.equal(backoffDelay(0, low, 600_000), 60000);
  });

  test('Retry-After: seconds or HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });

  test('statuses: 408, 429 and 5xx retried, other 4xx and 501 not; storage: 429 and 5xx but 501 only', () => {
    for (const s of [408, 429, 500, 502, 503, 504]) assert.equal(isRetryableStatus(s), true, String(s));
    for (const s of [400, 401, 403, 404, 409, 410, 412, 413, 416, 422, 501]) {
      assert.equal(isRetryableStatus(s), false, String(s));
    }
    assert.equal(isRetryableStatus(409, [409]), true);
    for (const s of [429, 500, 503]) assert.equal(isRetryableStorageStatus(s), true, String(s));
    for (const s of [400, 403, 408, 412, 416, 501]) assert.equal(isRetryableStorageStatus(s), false, String(s));
  });

  test('connection failures that cannot improve are told apart from ones that may', () => {
    const fetchError = (cause: object) => Object.assign(new TypeError('fetch failed'), { cause });
    assert.match(permanentReason(fetchError({ code: 'ENOTFOUND' }))!, /ENOTFOUND/);
    assert.match(permanentReason(fetchError({ code: 'ECONNREFUSED' }))!, /ECONNREFUSED/);
    assert.match(permanentReason(fetchError(new Error('bad port')))!, /bad port/);
    assert.match(permanentReason(fetchError({ code: 'CERT_HAS_EXPIRED' }))!, /TLS/);
    assert.match(permanentReason(fetchError({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }))!, /TLS/);
    const both = new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]);
    assert.match(permanentReason(fetchError(both))!, /ECONNREFUSED/);
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'EPIPE']) {
      assert.equal(permanentReason(fetchError({ code })), undefined, code);
    }
  });

  test('one line per retry, in the words the CLI prints', () => {
    const event = { what: 'x', attempt: 3, delayMs: 4200, reason: 'HTTP 503: busy', status: 503, maxRetries: 20 };
    assert.equal(formatRetry(event), 'retrying in 4 s after HTTP 503 (attempt 3 of 20)');
    assert.equal(
      formatRetry({ ...event, status: undefined, reason: 'ECONNRESET', delayMs: 500 }),
      'retrying in 0.5 s after ECONNRESET (attempt 3 of 20)',
    );
  });

  test('withRetry waits the scaled delays, then gives up with the caller error', async () => {
    const waits: number[] = [];
    let calls = 0;
    await assert.rejects(
      withRetry(
        'x',
        { maxRetries: 3, timeScale: 0.5, random: () => 0, sleep: async (ms) => void waits.push(ms) },
        async () => {
          calls++;
          throw new TransientError('boom');
        },
        (last, n) => new Error(`gave up after ${n}: ${last.message}`),
      ),
      /gave up after 4: boom/,
    );
    assert.equal(calls, 4);
    assert.deepEqual(waits, [1000, 2000, 4000]);
  });
});

describe('run references', () => {
  test('paths, URLs, objects, SDK runs, env fallback', () => {
    assert.deepEqual(parseRunRef('e/p/abc', {}), {
      entity: 'e',
      project: 'p',
      id: 'abc',
      live: false,
      baseUrl: undefined,
      apiKey: undefined,
    });
    assert.equal(parseRunRef('https://wandb.ai/e/p/runs/abc', {}).id, 'abc');
    assert.equal(parseRunRef('e/p/runs/abc', {}).project, 'p');
    assert.deepEqual(
      (({ entity, project, id }) => [entity, project, id])(
        parseRunRef('https://wandb.ai/e/p/runs/abc/overview?nw=1', {}),
      ),
      ['e', 'p', 'abc'],
    );
    assert.equal(parseRunRef('runs/p/abc', {}).entity, 'runs');
    assert.deepEqual(parseRunRef('p/abc', { WANDB_ENTITY: 'env-e' }).entity, 'env-e');
    assert.deepEqual(parseRunRef(undefined, { WANDB_PROJECT: 'p', WANDB_RUN_ID: 'r' }), {
      entity: undefined,
      project: 'p',
      id: 'r',
      live: false,
      baseUrl: undefined,
      apiKey: undefined,
    });
    const sdk = parseRunRef(
      { entity: 'e', project: 'p', id: 'r', settings: { baseUrl: 'http://h', apiKey: KEY }, finish() {} },
      {},
    );
    assert.equal(sdk.live, true);
    assert.equal(sdk.baseUrl, 'http://h');
    assert.equal(parseRunRef({ entity: 'e', project: 'p', id: 'r' }, {}).live, false);
    assert.throws(() => parseRunRef(undefined, {}), { code: 'ERR_BAD_OPTION' });
    assert.throws(() => parseRunRef('e/p/a:b', {}), { code: 'ERR_BAD_OPTION' });
    assert.throws(() => parseRunRef('a/b/c/d', {}), { code: 'ERR_BAD_OPTION' });
  });
});

describe('artifacts', () => {
  test('names: unsafe chars to _, over 128 chars elided in the middle', () => {
    assert.equal(safeArtifactName('source-proj-src/train.py'), 'source-proj-src_train.py');
    const long = safeArtifactName(`source-${'x'.repeat(200)}`);
    assert.equal(long.length, 128);
    assert.equal(long.slice(63, 65), '..');
  });

  test('MANIFEST_MD5 digest over sorted path:md5 lines', () => {
    const expected = createHash('md5').update('wandb-artifact-manifest-v1\na.js:AA==\nb.js:BB==\n').digest('hex');
    assert.equal(
      manifestDigest([
        { path: 'b.js', md5: 'BB==' },
        { path: 'a.js', md5: 'AA==' },
      ]),
      expected,
    );
  });

  test('artifact paths must stay inside the target directory', () => {
    for (const p of ['a.js', 'src/a.js', '.hidden/x']) assert.equal(isSafeRelativePath(p), true, p);
    for (const p of ['', '/etc/passwd', '../x', 'a/../../x', 'a\\b', 'C:/x', 'a//b', './a'])
      assert.equal(isSafeRelativePath(p), false, p);
  });

  test('upload headers: split on the first colon, trimmed', () => {
    assert.deepEqual(parseUploadHeaders(['x-ms-blob-type: BlockBlob', 'X-A:b:c', 'bad']), {
      'x-ms-blob-type': 'BlockBlob',
      'X-A': 'b:c',
    });
  });
});
