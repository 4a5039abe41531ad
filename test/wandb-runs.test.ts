// Interop with real W&B runs of every kind, against the stand-in on W&B's own schema: a run started by
// W&B's JS SDK (@wandb/sdk, in its own process), a Python-codesave-shaped run (files/codebase.zip, what
// wandb >= 0.16.5 publishes for an absolute wandb.save path), a log_code-only run, and a run with none.
// Then the client's behaviour as the SDK's: key shapes, feature probing, marking, retries.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ZipCodebase } from '../packages/core/src/index.js';
import {
  checkpointToWandb,
  codeArtifactName,
  downloadFromWandb,
  logCodeArtifact,
  WandbClient,
  WandbCodebase,
  zipFromWandb,
} from '../packages/wandb/src/index.js';
import { removeDir, runNode, standInOptions, tempDir, writeTree } from './wandb/helpers.js';
import { type StandIn, startStandIn } from './wandb/stand-in.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
let standIn: StandIn;
let work: string;
const project = () => join(work, 'project');

before(async () => {
  standIn = await startStandIn();
  work = await tempDir();
  await writeTree(project(), {
    'package.json': JSON.stringify({ name: 'kinds', main: 'index.js' }),
    'index.js': "exports.kind = 'pushed';\n",
  });
});
after(async () => {
  await standIn.close();
  await removeDir(work);
});

/** Runs a script or the CLI in a child process without blocking this one (the stand-in answers from here). */

function child(args: string[], env: Record<string, string> = {}) {
  return runNode(standIn, work, args, { env });
}
const cli = (args: string[], env: Record<string, string> = {}) =>
  child([join(repo, 'packages/cli/src/bin.ts'), ...args], env);

async function kindOf(zip: string): Promise<unknown> {
  const codebase = await ZipCodebase.open(zip);
  try {
    return codebase.require('./index.js').kind;
  } finally {
    await codebase.dispose();
  }
}

describe('a run of W&B’s own JS SDK (@wandb/sdk 0.5.1)', () => {
  let runPath: string;

  test('init, log, checkpointToWandb into the live run, finish', async () => {
    const r = await child([join(repo, 'test/wandb/sdk-client.ts'), project(), 'sdk-runs']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(result.entity, 'stand-in-user');
    assert.equal(result.markedBy, 'file_stream');
    runPath = `${result.entity}/${result.project}/${result.id}`;
    const run = standIn.run(result.entity, result.project, result.id)!;
    // The SDK itself talked to the stand-in: its own operations, its history, its finish.
    const sdkRequests = standIn.requests.filter((q) => String(q.headers['user-agent']).startsWith('W&B Internal JS'));
    assert.ok(sdkRequests.some((q) => q.operation === 'UpsertBucket'));
    assert.equal(run.state, 'finished');
    assert.ok(run.fileStream.some((b: any) => b.files?.['wandb-history.jsonl']));
    // Marked through the live run's file_stream before finish() completed it.
    const uploaded = run.fileStream.findIndex((b: any) => b.uploaded);
    const complete = run.fileStream.findIndex((b: any) => b.complete === true);
    assert.ok(uploaded >= 0 && uploaded < complete);
    assert.equal(run.files.get('codebase.zip')!.marked, true);
  });

  test('downloadFromWandb and codesave pull get it back', async () => {
    const zip = await downloadFromWandb(runPath, { ...standInOptions(standIn, work), output: join(work, 'sdk.zip') });
    assert.equal(await kindOf(zip), 'pushed');
    const pulled = await cli(['pull', runPath, '-o', join(work, 'sdk-cli.zip')]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.deepEqual(await readFile(join(work, 'sdk-cli.zip')), await readFile(zip));
  });

  test('Node’s own fetch follows the run file’s redirect to storage: the key is dropped crossing hosts', async () => {
    const [entity, projectName, id] = runPath.split('/');
    const response = await fetch(`${standIn.url}/files/${entity}/${projectName}/${id}/codebase.zip`, {
      headers: { Authorization: `Basic ${Buffer.from(`api:${standIn.apiKey}`).toString('base64')}` },
    });
    assert.equal(response.status, 200);
    assert.equal(new URL(response.url).hostname, '127.0.0.2');
    assert.deepEqual(
      Buffer.from(await response.arrayBuffer()),
      standIn.run(entity!, projectName!, id!)!.files.get('codebase.zip')!.content,
    );
  });

  test('the download went through the API host to storage on another host, the key only to the API', async () => {
    const storage = standIn.requests.filter((q) => q.kind === 'download');
    assert.ok(storage.length > 0);
    for (const q of storage) assert.equal(q.headers.authorization, undefined);
    assert.notEqual(new URL(standIn.storageUrl).hostname, new URL(standIn.url).hostname);
  });
});

describe('every kind of run, by default', () => {
  test('a Python-codesave run (files/codebase.zip): download, zipFromWandb, WandbCodebase, codesave pull', async () => {
    await writeTree(join(work, 'python-shaped'), { 'index.js': "exports.kind = 'python';\n" });
    await checkpointToWandb(join(work, 'python-shaped'), {
      ...standInOptions(standIn, work),
      run: 'stand-in-user/kinds/py',
      codebaseZipname: 'files/codebase.zip',
    });
    const options = standInOptions(standIn, work);
    assert.equal(
      await kindOf(await downloadFromWandb('stand-in-user/kinds/py', { ...options, output: join(work, 'py1.zip') })),
      'python',
    );
    assert.equal(
      await kindOf(await zipFromWandb('stand-in-user/kinds/py', { ...options, output: join(work, 'py2.zip') })),
      'python',
    );
    const codebase = await WandbCodebase.open('stand-in-user/kinds/py', {
      wandb: { ...options, output: join(work, 'py3.zip') },
    });
    assert.equal(codebase.require('./index.js').kind, 'python');
    const pulled = await cli(['pull', 'stand-in-user/kinds/py', '-o', join(work, 'py4.zip')]);
    assert.equal(pulled.code, 0, pulled.stderr);
  });

  test('a log_code-only run: its code artifact, checkpointed into a zip', async () => {
    const options = standInOptions(standIn, work);
    const client = new WandbClient(options);
    await writeTree(join(work, 'logged'), { 'index.js': "exports.kind = 'log_code';\n", 'train.py': 'print(1)\n' });
    const { upsertRun } = await import('../packages/wandb/src/api.js');
    const run = await upsertRun(client, { entity: 'stand-in-user', project: 'kinds', id: 'lc', live: false });
    await logCodeArtifact(
      client,
      run,
      ['index.js', 'train.py'].map((path) => ({ path, file: join(work, 'logged', path) })),
      codeArtifactName('kinds', 'train.py'),
    );
    assert.equal(
      await kindOf(await downloadFromWandb('stand-in-user/kinds/lc', { ...options, output: join(work, 'lc1.zip') })),
      'log_code',
    );
    const codebase = await WandbCodebase.open('stand-in-user/kinds/lc', {
      wandb: { ...options, output: join(work, 'lc2.zip') },
    });
    assert.equal(codebase.require('./index.js').kind, 'log_code');
  });

  test('a run with neither: ERR_WANDB_NO_CODE listing what the run has', async () => {
    await checkpointToWandb(project(), {
      ...standInOptions(standIn, work),
      run: 'stand-in-user/kinds/none',
      codebaseZipname: 'outputs/model.zip',
    });
    await assert.rejects(zipFromWandb('stand-in-user/kinds/none', standInOptions(standIn, work)), (e: any) => {
      assert.equal(e.code, 'ERR_WANDB_NO_CODE');
      assert.match(e.message, /has no codebase\.zip or files\/codebase\.zip/);
      assert.match(e.message, /Its files: outputs\/model\.zip/);
      assert.deepEqual(e.details.files, ['outputs/model.zip']);
      return true;
    });
  });

  test('an explicit filename wins: that file and nothing else', async () => {
    const options = standInOptions(standIn, work);
    const got = await downloadFromWandb('stand-in-user/kinds/none', {
      ...options,
      filename: 'outputs/model.zip',
      output: join(work, 'model.zip'),
    });
    assert.equal(await kindOf(got), 'pushed');
    // The log_code run has an artifact, but a named file it lacks is not replaced by it.
    await assert.rejects(zipFromWandb('stand-in-user/kinds/lc', { ...options, filename: 'codebase.zip' }), {
      code: 'ERR_WANDB_NOT_FOUND',
    });
  });
});

describe('as the W&B SDK does', () => {
  test('keys check_api_key accepts are sent: JWT-style a.b.c, local-abc-<40>, my.host-<40>, wb_at_…', async () => {
    for (const apiKey of [
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
      `local-abc-${'a'.repeat(40)}`,
      `my.host-${'B'.repeat(40)}`,
      'wb_at_short.token',
    ]) {
      const server = await startStandIn({ apiKey });
      try {
        const pushed = await checkpointToWandb(project(), {
          ...standInOptions(server, work),
          run: 'stand-in-user/k/r',
        });
        assert.equal(pushed.run.id, 'r', apiKey);
      } finally {
        await server.close();
      }
    }
    for (const apiKey of ['short', `prefix-${'a'.repeat(39)}`, `${'a'.repeat(40)} `]) {
      await assert.rejects(
        downloadFromWandb('e/p/r', {
          ...standInOptions(standIn, work),
          env: { WANDB_BASE_URL: standIn.url, WANDB_API_KEY: apiKey },
        }),
        (e: any) => e.code === 'ERR_WANDB_AUTH' && /malformed/.test(e.message) && !e.message.includes(apiKey),
      );
    }
  });

  test('a server without ServerInfo.features: one warning, features off, the push goes on without file_stream', async () => {
    const old = await startStandIn({ serverFeatures: false });
    const warnings: string[] = [];
    try {
      const pushed = await checkpointToWandb(project(), {
        ...standInOptions(old, work),
        run: 'stand-in-user/old/r1',
        onWarning: (w) => warnings.push(w),
      });
      assert.equal(pushed.markedBy, 'upload');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /did not list its features/);
      assert.deepEqual(old.run('stand-in-user', 'old', 'r1')!.fileStream, []);
      assert.ok(!old.operations().includes('MarkRunFilesUploaded'));
    } finally {
      await old.close();
    }
  });

  test('storage transfers retry 429 and 5xx but not 501, 408 or other 4xx', async () => {
    const options = { ...standInOptions(standIn, work), run: 'stand-in-user/st/r1' };
    standIn.fail({ on: 'upload', match: 'codebase.zip', status: 503, times: 2 });
    await checkpointToWandb(project(), options);
    for (const status of [408, 412, 501]) {
      standIn.fail({ on: 'upload', match: 'codebase.zip', status });
      const before = standIn.requests.filter((q) => q.kind === 'upload').length;
      await assert.rejects(checkpointToWandb(project(), options), { code: 'ERR_WANDB_TRANSFER' });
      assert.equal(standIn.requests.filter((q) => q.kind === 'upload').length - before, 1, String(status));
    }
  });
});

describe('the W&B CLI against an unreachable or failing server', () => {
  test('a refused port, fetch’s bad port, an unknown host: one attempt, a message saying why', async () => {
    const net = await import('node:net');
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    for (const [url, why] of [
      [`http://127.0.0.1:${closed}`, /ECONNREFUSED/],
      ['http://127.0.0.1:6000', /bad port/],
      ['http://nonexistent.invalid', /ENOTFOUND|EAI_AGAIN/],
    ] as const) {
      const r = await cli(['pull', 'e/p/r', '-o', join(work, 'never.zip'), '--base-url', url]);
      assert.equal(r.code, 1, url);
      assert.match(r.stderr, why);
      if (!/EAI_AGAIN/.test(r.stderr)) {
        assert.match(r.stderr, /ERR_WANDB_UNREACHABLE/);
        assert.doesNotMatch(r.stderr, /retrying/);
      }
    }
  });

  test('each retry is one stderr line; --retries bounds them', async () => {
    await checkpointToWandb(project(), { ...standInOptions(standIn, work), run: 'stand-in-user/cli-retry/r1' });
    standIn.fail({ on: 'graphql', match: 'RunFiles', status: 503, times: 2 });
    const ok = await cli(['pull', 'stand-in-user/cli-retry/r1', '-o', join(work, 'retry.zip')], {
      CODESAVE_WANDB_RETRY_SCALE: '0',
    });
    assert.equal(ok.code, 0, ok.stderr);
    const lines = ok.stderr.split('\n').filter((l) => l.includes('retrying'));
    assert.deepEqual(
      lines.map((l) => l.replace(/in [\d.]+ s/, 'in N s')),
      [
        'codesave pull: retrying in N s after HTTP 503 (attempt 1 of 20)',
        'codesave pull: retrying in N s after HTTP 503 (attempt 2 of 20)',
      ],
    );
    standIn.fail({ on: 'graphql', match: 'RunFiles', status: 503, times: 3 });
    const bounded = await cli(
      ['pull', 'stand-in-user/cli-retry/r1', '-o', join(work, 'retry2.zip'), '--retries', '2'],
      {
        CODESAVE_WANDB_RETRY_SCALE: '0',
      },
    );
    assert.equal(bounded.code, 1);
    assert.match(bounded.stderr, /failed after 3 attempts: HTTP 503/);
    assert.equal(bounded.stderr.split('\n').filter((l) => l.includes('retrying')).length, 2);
    assert.equal(standIn.pendingFaults().length, 0);
  });

  test('--timeout bounds the whole command, waits between retries included', async () => {
    standIn.fail({ on: 'graphql', match: 'Viewer', status: 503, retryAfter: '30' });
    const r = await cli(['pull', 'kinds/py', '-o', join(work, 'timeout.zip'), '--timeout', '1s']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /time limit ran out.*ERR_WANDB_TIMEOUT/s);
    assert.match(r.stderr, /retrying in 30 s after HTTP 503 \(attempt 1 of 20\)/);
  });
});
