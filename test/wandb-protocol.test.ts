// The client against the strict stand-in: the stand-in refuses what the real service refuses, auth errors
// say how to fix them without showing the key, retries follow the policy, and broken transfers leave nothing.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { isCodesaveError } from '../packages/core/src/index.js';
import {
  checkpointToWandb,
  downloadFromWandb,
  logCodeArtifact,
  upsertRun,
  WandbClient,
  zipFromWandbArtifact,
} from '../packages/wandb/src/index.js';
import { removeDir, standInOptions, tempDir, writeTree } from './wandb/helpers.js';
import { type StandIn, startStandIn } from './wandb/stand-in.js';

let standIn: StandIn;
let work: string;
let project: string;

before(async () => {
  standIn = await startStandIn();
  work = await tempDir();
  project = join(work, 'project');
  await writeTree(project, { 'index.js': 'exports.v = 1;\n', 'package.json': '{"name":"p"}' });
});
after(async () => {
  await standIn.close();
  await removeDir(work);
});
beforeEach(() => {
  assert.deepEqual(standIn.pendingFaults(), [], 'a previous test left a fault unconsumed');
});

const basic = (key: string) => `Basic ${Buffer.from(`api:${key}`).toString('base64')}`;

async function gql(body: unknown, auth: string | undefined = basic(standIn.apiKey)) {
  const res = await fetch(`${standIn.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string }[] } };
}

describe('the stand-in is strict', () => {
  test('executes what real clients send: the JS SDK’s RunUploadUrls, the Go core’s ArtifactManifest and multipart CreateArtifactFiles', async () => {
    const { dirname, join: joinPath } = await import('node:path');
    const { pathToFileURL } = await import('node:url');
    const { sdkTypesPath } = await import('./wandb/schema-from-sdk.js');
    // The SDK's own compiled query text, as it sends it.
    const sdkGql = await import(pathToFileURL(joinPath(dirname(sdkTypesPath()), 'graphql.js')).href);
    await checkpointToWandb(project, { ...standInOptions(standIn, work), run: 'stand-in-user/real-ops/r1' });
    const uploadUrls = await gql({
      operationName: 'RunUploadUrls',
      query: String(sdkGql.RunUploadUrlsDocument),
      variables: { name: 'real-ops', entity: 'stand-in-user', run: 'r1', files: ['codebase.zip', 'new.txt'] },
    });
    assert.equal(uploadUrls.status, 200, JSON.stringify(uploadUrls.body));
    const edges = uploadUrls.body.data.model.bucket.files.edges;
    assert.deepEqual(edges.map((e: any) => e.node.name).sort(), ['codebase.zip', 'new.txt']);
    for (const edge of edges) assert.match(edge.node.url, /^http:\/\/127\.0\.0\.2:.*\/storage\/put\//);
    assert.deepEqual(uploadUrls.body.data.model.bucket.files.uploadHeaders.length, 2);

    const client = new WandbClient(standInOptions(standIn, work));
    const run = await upsertRun(client, { entity: 'stand-in-user', project: 'real-ops', id: 'r1', live: false });
    await writeFile(join(work, 'a.txt'), 'a');
    const logged = await logCodeArtifact(
      client,
      run,
      [{ path: 'a.txt', file: join(work, 'a.txt') }],
      'source-real-ops-a',
    );
    const manifest = await gql({
      operationName: 'ArtifactManifest',
      query: 'query ArtifactManifest($id: ID!) { artifact(id: $id) { currentManifest { file { directUrl } } } }',
      variables: { id: logged.id },
    });
    assert.equal(manifest.status, 200);
    assert.match(manifest.body.data.artifact.currentManifest.file.directUrl, /^http:\/\/127\.0\.0\.2:/);
    const multipart = await gql({
      operationName: 'CreateArtifactFiles',
      query: `mutation CreateArtifactFiles($input: CreateArtifactFilesInput!) { createArtifactFiles(input: $input) {
        files { edges { node { storagePath uploadUrl uploadHeaders uploadMultipartUrls { uploadID uploadUrlParts { partNumber uploadUrl } } artifact { id } } } } } }`,
      variables: { input: { storageLayout: 'V2', artifactFiles: [] } },
    });
    assert.equal(multipart.status, 200, JSON.stringify(multipart.body));
    assert.deepEqual(multipart.body.data.createArtifactFiles.files.edges, []);
  });

  test('accepts differently formatted texts: aliases, fragments, @include, variable defaults', async () => {
    const r = await gql({
      operationName: 'Viewer',
      query: `query Viewer($withTeams: Boolean = true) { me: viewer { ...V teams @include(if: $withTeams) { edges { node { name } } } } }
              fragment V on User { entity id }`,
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.data.me.entity, 'stand-in-user');
  });

  test('rejects unknown fields, missing required variables, bad auth; any valid operation executes', async () => {
    const unknownField = await gql({ operationName: 'Viewer', query: 'query Viewer { viewer { entity apiKeys } }' });
    assert.equal(unknownField.status, 400);
    assert.match(unknownField.body.errors![0].message, /apiKeys/);
    const missingVar = await gql({
      operationName: 'CreateRunFiles',
      query: `mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
        createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) { runID } }`,
      variables: { entity: 'e', project: 'p', files: [] },
    });
    assert.equal(missingVar.status, 400);
    assert.match(missingVar.body.errors![0].message, /\$run/);
    const nullable = await gql({
      operationName: 'RunFiles',
      query: 'query RunFiles($name: String) { project(name: "p") { run(name: $name) { id } } }',
    });
    assert.equal(nullable.status, 400, 'a nullable variable for a non-null argument is invalid');
    const anyName = await gql({ operationName: 'WhoAmI', query: 'query WhoAmI { me: viewer { username } }' });
    assert.equal(anyName.status, 200);
    assert.deepEqual(anyName.body.data, { me: { username: 'stand-in-user' } });
    assert.equal((await gql({ operationName: 'Viewer', query: 'query Viewer { viewer { id } }' }, '')).status, 401);
    assert.equal(
      (await gql({ operationName: 'Viewer', query: 'query Viewer { viewer { id } }' }, basic('b'.repeat(40)))).status,
      401,
    );
  });

  test('signed URLs refuse an Authorization header and chunked bodies', async () => {
    const client = new WandbClient(standInOptions(standIn, work));
    const run = await upsertRun(client, { entity: 'stand-in-user', project: 'strict', id: 's1', live: false });
    const { createRunFiles } = await import('../packages/wandb/src/api.js');
    const [file] = await createRunFiles(client, run, ['x.bin']);
    const withAuth = await fetch(file.uploadUrl!, {
      method: 'PUT',
      headers: {
        Authorization: basic(standIn.apiKey),
        'Content-Type': 'application/octet-stream',
        'X-Stand-In-Signed': 'run-file',
      },
      body: 'abc',
    });
    assert.equal(withAuth.status, 400);
    const chunked = await fetch(file.uploadUrl!, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream', 'X-Stand-In-Signed': 'run-file' },
      body: new Blob(['abc']).stream(),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 411);
  });
});

describe('auth', () => {
  test('no key anywhere: ERR_WANDB_AUTH saying how to fix it, before any request', async () => {
    const before = standIn.requests.length;
    await assert.rejects(
      checkpointToWandb(project, {
        env: { WANDB_BASE_URL: standIn.url },
        home: join(work, 'empty-home'),
        run: 'e/p/r',
      }),
      (error: any) => {
        assert.equal(error.code, 'ERR_WANDB_AUTH');
        assert.match(error.message, /WANDB_API_KEY/);
        assert.match(error.message, /wandb login/);
        assert.match(error.message, new RegExp(`machine 127\\.0\\.0\\.1:${new URL(standIn.url).port}`));
        return true;
      },
    );
    assert.equal(standIn.requests.length, before);
  });

  test('a rejected key (401 or viewer: null) is ERR_WANDB_AUTH; the key appears in no error or log', async () => {
    const key = `local-${'S3CRET'.repeat(8)}`;
    const logs: string[] = [];
    const options = {
      ...standInOptions(standIn, work),
      env: { WANDB_BASE_URL: standIn.url, WANDB_API_KEY: key },
      log: (line: string) => logs.push(line),
    };
    const errors: any[] = [];
    for (const call of [
      () => checkpointToWandb(project, { ...options, run: 'stand-in-user/p/r' }),
      () => downloadFromWandb('p/r', options),
    ]) {
      await call().then(
        () => assert.fail('should fail'),
        (e) => errors.push(e),
      );
    }
    const nullViewer = await startStandIn({ viewerNullOnBadKey: true });
    try {
      await downloadFromWandb('p/r', { ...options, env: { WANDB_BASE_URL: nullViewer.url, WANDB_API_KEY: key } }).catch(
        (e) => errors.push(e),
      );
      assert.equal(nullViewer.requests[0].status, 200, 'answered viewer: null, not 401');
    } finally {
      await nullViewer.close();
    }
    assert.equal(errors.length, 3);
    const base64 = Buffer.from(`api:${key}`).toString('base64');
    for (const error of errors) {
      assert.equal(error.code, 'ERR_WANDB_AUTH', error.message);
      assert.match(error.message, /rejected the W&B API key from WANDB_API_KEY/);
      const everything =
        JSON.stringify({ m: error.message, s: error.stack, d: error.details, c: String(error.cause) }) +
        logs.join('\n');
      assert.ok(!everything.includes(key) && !everything.includes(base64) && !everything.includes('S3CRET'));
    }
  });

  test('a malformed key is refused locally without echoing it', async () => {
    await assert.rejects(
      downloadFromWandb('e/p/r', {
        ...standInOptions(standIn, work),
        env: { WANDB_BASE_URL: standIn.url, WANDB_API_KEY: 'short-key!' },
      }),
      (e: any) => e.code === 'ERR_WANDB_AUTH' && !e.message.includes('short-key!') && /malformed/.test(e.message),
    );
  });

  test('the key is read from netrc for host:port; it is never logged on success', async () => {
    const home = join(work, 'netrc-home');
    await writeTree(home, {
      '.netrc': `machine ${new URL(standIn.url).host}\n  login user\n  password ${standIn.apiKey}\n`,
    });
    const logs: string[] = [];
    const result = await checkpointToWandb(project, {
      env: { WANDB_BASE_URL: standIn.url },
      home,
      retry: { timeScale: 0 },
      log: (line) => logs.push(line),
      run: 'stand-in-user/netrc/r1',
    });
    assert.equal(result.run.id, 'r1');
    assert.ok(logs.length > 0);
    assert.ok(!logs.join('\n').includes(standIn.apiKey));
  });
});

describe('retries', () => {
  test('GraphQL 500s and a 429 with Retry-After are retried, waiting what the server asked', async () => {
    standIn.fail({ on: 'graphql', match: 'UpsertBucket', status: 500, times: 2 });
    standIn.fail({ on: 'graphql', match: 'CreateRunFiles', status: 429, retryAfter: '7' });
    const waits: number[] = [];
    const result = await checkpointToWandb(project, {
      ...standInOptions(standIn, work),
      retry: { random: () => 0, sleep: async (ms) => void waits.push(ms) },
      run: 'stand-in-user/retry/r1',
    });
    assert.equal(result.run.id, 'r1');
    assert.deepEqual(waits, [2000, 4000, 7000]);
  });

  test('UpsertBucket retries 409; 400 is never retried; giving up is ERR_WANDB_REQUEST', async () => {
    standIn.fail({ on: 'graphql', match: 'UpsertBucket', status: 409 });
    await checkpointToWandb(project, { ...standInOptions(standIn, work), run: 'stand-in-user/retry/r2' });
    const count = standIn.requests.length;
    standIn.fail({ on: 'graphql', match: 'Viewer', status: 400 });
    await assert.rejects(downloadFromWandb('p/r', standInOptions(standIn, work)), { code: 'ERR_WANDB_REQUEST' });
    assert.equal(standIn.requests.length, count + 1);
    standIn.fail({ on: 'graphql', match: 'Viewer', status: 503, times: 4 });
    await assert.rejects(
      downloadFromWandb('p/r', { ...standInOptions(standIn, work), retry: { timeScale: 0, maxRetries: 3 } }),
      (e: any) => {
        return e.code === 'ERR_WANDB_REQUEST' && /after 4 attempts: HTTP 503/.test(e.message);
      },
    );
  });

  test('timeouts: a GraphQL answer that comes too late is retried', async () => {
    // The late answer would be an error: the push succeeding means the client gave up on it and asked again.
    standIn.fail({ on: 'graphql', match: 'UpsertBucket', delayMs: 5000 });
    const before = standIn.operations().filter((o) => o === 'UpsertBucket').length;
    const result = await checkpointToWandb(project, {
      ...standInOptions(standIn, work),
      timeoutMs: 300,
      run: 'stand-in-user/retry/t1',
    });
    assert.equal(result.run.id, 't1');
    assert.equal(standIn.operations().filter((o) => o === 'UpsertBucket').length - before, 2);
  });

  test('an upload answered 503, then cut, is retried and lands', async () => {
    standIn.fail({ on: 'upload', match: 'codebase.zip', status: 503 });
    standIn.fail({ on: 'upload', match: 'codebase.zip', cut: true });
    const result = await checkpointToWandb(project, {
      ...standInOptions(standIn, work),
      run: 'stand-in-user/retry/r3',
    });
    const stored = standIn.run('stand-in-user', 'retry', 'r3')!.files.get('codebase.zip')!;
    assert.equal(stored.content!.length, result.checkpoint.bytes);
    assert.equal(stored.marked, true);
  });
});

describe('downloads', () => {
  let original: Buffer;
  before(async () => {
    await checkpointToWandb(project, { ...standInOptions(standIn, work), run: 'stand-in-user/dl/r1' });
    original = standIn.run('stand-in-user', 'dl', 'r1')!.files.get('codebase.zip')!.content!;
  });

  async function leftovers(dir: string) {
    return existsSync(dir)
      ? (await readdir(dir)).filter((n) => n.endsWith('.part') || n.endsWith('.codesave-tmp'))
      : [];
  }

  test('a connection cut mid-download is retried; the file is complete', async () => {
    standIn.fail({ on: 'download', match: 'codebase.zip', cut: true, times: 2 });
    const dir = join(work, 'dl-cut');
    const path = await downloadFromWandb('stand-in-user/dl/r1', {
      ...standInOptions(standIn, work),
      output: join(dir, 'c.zip'),
    });
    assert.deepEqual(await readFile(path), original);
    assert.deepEqual(await leftovers(dir), []);
  });

  test('cut every time: ERR_WANDB_TRANSFER, nothing at output, no temp file, an older output untouched', async () => {
    const dir = join(work, 'dl-cut-always');
    // an earlier zip (only a zip may be replaced: see prepareOutput): an empty zip's end record, then a marker
    const previous = Buffer.concat([Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(18), Buffer.from('previous')]);
    await writeTree(dir, { 'c.zip': '' });
    await writeFile(join(dir, 'c.zip'), previous);
    standIn.fail({ on: 'download', match: 'codebase.zip', cut: true, times: 3 });
    await assert.rejects(
      downloadFromWandb('stand-in-user/dl/r1', {
        ...standInOptions(standIn, work),
        retry: { timeScale: 0, maxRetries: 2 },
        output: join(dir, 'c.zip'),
      }),
      (e: any) => e.code === 'ERR_WANDB_TRANSFER' && /connection lost/.test(e.message),
    );
    assert.deepEqual(await readFile(join(dir, 'c.zip')), previous);
    assert.deepEqual(await leftovers(dir), []);
    const fresh = join(work, 'dl-cut-fresh');
    standIn.fail({ on: 'download', match: 'codebase.zip', cut: true, times: 3 });
    await assert.rejects(
      downloadFromWandb('stand-in-user/dl/r1', {
        ...standInOptions(standIn, work),
        retry: { timeScale: 0, maxRetries: 2 },
        output: join(fresh, 'c.zip'),
      }),
      { code: 'ERR_WANDB_TRANSFER' },
    );
    assert.equal(existsSync(join(fresh, 'c.zip')), false);
    assert.deepEqual(await leftovers(fresh), []);
  });

  test('a download that stalls is abandoned after the idle timeout and fetched again', async () => {
    standIn.fail({ on: 'download', match: 'codebase.zip', stall: true });
    const path = await downloadFromWandb('stand-in-user/dl/r1', {
      ...standInOptions(standIn, work),
      timeoutMs: 300,
      output: join(work, 'stall', 'c.zip'),
    });
    assert.deepEqual(await readFile(path), original);
    assert.deepEqual(await leftovers(join(work, 'stall')), []);
  });

  test('a wrong MD5 once is fetched again; always wrong is ERR_WANDB_TRANSFER with no file', async () => {
    standIn.fail({ on: 'download', match: 'codebase.zip', corrupt: true });
    const ok = await downloadFromWandb('stand-in-user/dl/r1', {
      ...standInOptions(standIn, work),
      output: join(work, 'md5', 'ok.zip'),
    });
    assert.deepEqual(await readFile(ok), original);
    standIn.fail({ on: 'download', match: 'codebase.zip', corrupt: true, times: 3 });
    await assert.rejects(
      downloadFromWandb('stand-in-user/dl/r1', {
        ...standInOptions(standIn, work),
        output: join(work, 'md5', 'bad.zip'),
      }),
      (e: any) => e.code === 'ERR_WANDB_TRANSFER' && /MD5/.test(e.message),
    );
    assert.equal(existsSync(join(work, 'md5', 'bad.zip')), false);
    assert.deepEqual(await leftovers(join(work, 'md5')), []);
  });

  test('a 5xx on the signed URL and on the /files redirect are retried', async () => {
    standIn.fail({ on: 'files', match: 'codebase.zip', status: 502 });
    standIn.fail({ on: 'download', match: 'codebase.zip', status: 503, retryAfter: '1' });
    const path = await downloadFromWandb('stand-in-user/dl/r1', {
      ...standInOptions(standIn, work),
      output: join(work, 'x', 'r.zip'),
    });
    assert.deepEqual(await readFile(path), original);
  });

  test('an output that is a directory is refused before downloading (the output rule), not a crash', async () => {
    const dir = join(work, 'is-a-dir');
    await writeTree(dir, { 'c.zip/inside': 'x' });
    await assert.rejects(
      downloadFromWandb('stand-in-user/dl/r1', { ...standInOptions(standIn, work), output: join(dir, 'c.zip') }),
      (e: any) => e.code === 'ERR_BAD_OPTION' && /is a directory/.test(e.message),
    );
    assert.deepEqual(await leftovers(dir), []);
  });

  test('no such run, no such file: ERR_WANDB_NOT_FOUND', async () => {
    await assert.rejects(downloadFromWandb('stand-in-user/dl/nope', standInOptions(standIn, work)), {
      code: 'ERR_WANDB_NOT_FOUND',
    });
    await assert.rejects(
      downloadFromWandb('stand-in-user/dl/r1', { ...standInOptions(standIn, work), filename: 'other.zip' }),
      { code: 'ERR_WANDB_NOT_FOUND' },
    );
  });

  test('an entity the key does not belong to is refused by the server', async () => {
    await assert.rejects(
      checkpointToWandb(project, { ...standInOptions(standIn, work), run: 'someone-else/p/r' }),
      (e: any) => e.code === 'ERR_WANDB_REQUEST' && /permission denied/.test(e.message),
    );
  });
});

describe('registering uploads', () => {
  test('without MarkRunFilesUploaded nothing is posted to file_stream of a run that is not live (Run.upload_file)', async () => {
    const old = await startStandIn({ markRunFilesUploaded: false });
    try {
      const result = await checkpointToWandb(project, { ...standInOptions(old, work), run: 'stand-in-user/fs/r1' });
      assert.equal(result.markedBy, 'upload');
      const run = old.run('stand-in-user', 'fs', 'r1')!;
      assert.deepEqual(run.fileStream, []);
      assert.equal(run.files.get('codebase.zip')!.marked, true);
      assert.ok(!old.operations().includes('MarkRunFilesUploaded'));
    } finally {
      await old.close();
    }
  });

  test('an @wandb/sdk run object: its entity/project/id, base URL and key; marked through its file_stream', async () => {
    const sdkRun = {
      entity: 'stand-in-user',
      project: 'sdk',
      id: 'abcd1234',
      settings: { baseUrl: standIn.url, apiKey: standIn.apiKey },
      finish: async () => {},
    };
    const result = await checkpointToWandb(project, { env: {}, home: work, retry: { timeScale: 0 }, run: sdkRun });
    assert.equal(result.markedBy, 'file_stream');
    assert.equal(standIn.run('stand-in-user', 'sdk', 'abcd1234')!.files.get('codebase.zip')!.marked, true);
  });

  test('WANDB_ENTITY/PROJECT/RUN_ID name the run when none is given; the default entity comes from Viewer', async () => {
    const env = {
      WANDB_BASE_URL: standIn.url,
      WANDB_API_KEY: standIn.apiKey,
      WANDB_PROJECT: 'envp',
      WANDB_RUN_ID: 'envr',
    };
    const pushed = await checkpointToWandb(project, { ...standInOptions(standIn, work), env });
    assert.deepEqual([pushed.run.entity, pushed.run.project, pushed.run.id], ['stand-in-user', 'envp', 'envr']);
    const n = standIn.operations().length;
    await downloadFromWandb(undefined, { ...standInOptions(standIn, work), env, output: join(work, 'env', 'c.zip') });
    assert.equal(standIn.operations()[n], 'Viewer');
  });
});

describe('code artifacts', () => {
  test('asArtifact logs the snapshot files as a code artifact and records config._wandb.code_path', async () => {
    const result = await checkpointToWandb(project, {
      ...standInOptions(standIn, work),
      run: 'stand-in-user/art/r1',
      asArtifact: true,
      program: 'src/train.js',
    });
    assert.equal(result.artifact?.name, 'source-art-src_train.js');
    const artifact = standIn.artifacts.get(result.artifact!.id)!;
    assert.equal(artifact.state, 'COMMITTED');
    assert.equal(artifact.type, 'code');
    assert.deepEqual([...artifact.files.keys()].sort(), ['index.js', 'package.json']);
    const config = JSON.parse(standIn.run('stand-in-user', 'art', 'r1')!.config);
    assert.equal(config._wandb.value.code_path, 'source-art-src_train.js');
    const zip = await zipFromWandbArtifact('stand-in-user/art/r1', {
      ...standInOptions(standIn, work),
      output: join(work, 'art.zip'),
    });
    assert.ok(existsSync(zip));
  });

  test('no code artifact: ERR_WANDB_NO_CODE; two: ERR_WANDB_AMBIGUOUS', async () => {
    const client = new WandbClient(standInOptions(standIn, work));
    const run = await upsertRun(client, { entity: 'stand-in-user', project: 'art', id: 'r2', live: false });
    await assert.rejects(zipFromWandbArtifact('stand-in-user/art/r2', standInOptions(standIn, work)), {
      code: 'ERR_WANDB_NO_CODE',
    });
    const file = join(work, 'one.js');
    await writeFile(file, 'x');
    await logCodeArtifact(client, run, [{ path: 'one.js', file }], 'source-art-a.js');
    await logCodeArtifact(client, run, [{ path: 'one.js', file }], 'source-art-b.js');
    await assert.rejects(zipFromWandbArtifact('stand-in-user/art/r2', standInOptions(standIn, work)), (e: any) => {
      return isCodesaveError(e) && e.code === 'ERR_WANDB_AMBIGUOUS' && /source-art-a\.js/.test(e.message);
    });
  });
});

describe('download places', () => {
  test('a file name with ".." cannot move a download out of <tmpdir>/codesave-wandb: pass output instead', async () => {
    await checkpointToWandb(project, { ...standInOptions(standIn, work), run: 'stand-in-user/places/r' });
    await assert.rejects(
      downloadFromWandb('stand-in-user/places/r', { ...standInOptions(standIn, work), filename: '../../x.zip' }),
      { code: 'ERR_BAD_OPTION', message: /not a plain relative path; pass output/ },
    );
  });

  test('entity, project and run id each stay one path segment ("..", "a/b" from a server or a user)', async () => {
    const { tmpdir } = await import('node:os');
    const { defaultOutput } = await import('../packages/wandb/src/pull.js');
    const base = join(tmpdir(), 'codesave-wandb');
    const path = defaultOutput({ entity: '..', project: 'a/../..', id: '.', live: false } as never, 'code.zip');
    assert.equal(path, join(base, '%2E%2E', 'a%2F..%2F..', '%2E', 'code.zip'));
    assert.equal(
      defaultOutput({ entity: 'team', project: 'p', id: 'r1' } as never, 'dir/f.zip'),
      join(base, 'team/p/r1/dir/f.zip'),
    );
  });
});
