// `wandb:<entity>/<project>/<run>` as a source: ZipCodebase.open, WandbCodebase and `codesave run` take it,
// download the run's code once into the per-user cache (0700), verify it on every later use, and fetch it
// again when the cached copy changed. Core alone knows no scheme; @codesave/wandb registers this one.
import assert from 'node:assert/strict';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { registerSourceOpener, resolveSource, ZipCodebase } from '../packages/core/src/index.js';
import { checkpointToWandb, fetchWandbSource, WandbCodebase } from '../packages/wandb/src/index.js';
import { removeDir, runNode, standInOptions, tempDir, writeTree } from './wandb/helpers.js';
import { type StandIn, startStandIn } from './wandb/stand-in.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
let standIn: StandIn;
let work: string;
let cache: string;
const saved = { ...process.env };

before(async () => {
  standIn = await startStandIn();
  work = await tempDir();
  cache = join(work, 'xdg-cache');
  await writeTree(join(work, 'project'), {
    'package.json': JSON.stringify({ name: 'remote', main: 'index.js' }),
    'index.js':
      "exports.answer = 42;\nif (require.main === module) console.log('ran', process.argv.slice(2).join(' '));\n",
  });
  await checkpointToWandb(join(work, 'project'), { ...standInOptions(standIn, work), run: 'stand-in-user/src/r1' });
  // What a user's shell has: the source string carries no options, so the opener reads the environment.
  Object.assign(process.env, { WANDB_BASE_URL: standIn.url, WANDB_API_KEY: standIn.apiKey, XDG_CACHE_HOME: cache });
});
after(async () => {
  for (const key of ['WANDB_BASE_URL', 'WANDB_API_KEY', 'XDG_CACHE_HOME']) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  await standIn.close();
  await removeDir(work);
});

const fetches = () => standIn.requests.filter((q) => q.kind === 'download' || q.operation === 'RunFiles').length;
const cached = () =>
  join(
    cache,
    'codesave',
    'wandb',
    encodeURIComponent(new URL(standIn.url).host),
    'stand-in-user',
    'src',
    'r1',
    'code.zip',
  );

describe('wandb: sources', () => {
  test('ZipCodebase.open("wandb:e/p/r") downloads once into the per-user cache, 0700', async () => {
    const first = await ZipCodebase.open('wandb:stand-in-user/src/r1');
    assert.equal(first.require('./index.js').answer, 42);
    assert.equal(first.root, cached());
    await first.dispose();
    assert.equal((await stat(join(cache, 'codesave'))).mode & 0o777, 0o700);
    const count = fetches();
    const second = await ZipCodebase.open('wandb:stand-in-user/src/r1');
    assert.equal(second.require('./index.js').answer, 42);
    await second.dispose();
    assert.equal(fetches(), count, 'the second open used the cache');
  });

  test('a cached copy that changed is not used: it is fetched again', async () => {
    const zip = cached();
    const bytes = await readFile(zip);
    bytes[bytes.length - 30] ^= 0xff;
    await writeFile(zip, bytes);
    const count = fetches();
    const codebase = await ZipCodebase.open('wandb:stand-in-user/src/r1');
    assert.equal(codebase.require('./index.js').answer, 42);
    await codebase.dispose();
    assert.ok(fetches() > count);
    assert.deepEqual(
      await readFile(zip),
      standIn.run('stand-in-user', 'src', 'r1')!.files.get('codebase.zip')!.content,
    );
  });

  test('WandbCodebase.open takes the same string, with or without "wandb:"', async () => {
    for (const ref of ['wandb:stand-in-user/src/r1', 'src/r1']) {
      const codebase = await WandbCodebase.open(ref);
      assert.equal(codebase.require('./index.js').answer, 42);
      assert.equal(codebase.root, cached());
      await codebase.dispose();
    }
  });

  test('a cache directory others can write to is refused', async () => {
    const shared = join(work, 'shared-cache');
    await fetchWandbSource('stand-in-user/src/r1', { cacheDir: shared });
    await chmod(shared, 0o777);
    await assert.rejects(fetchWandbSource('stand-in-user/src/r1', { cacheDir: shared }), (e: any) => {
      return e.code === 'ERR_BAD_OPTION' && /can be written by others/.test(e.message);
    });
  });

  test('codesave run wandb:e/p/r <file> runs the run’s code', async () => {
    const r = await runNode(
      standIn,
      work,
      [join(repo, 'packages/cli/src/bin.ts'), 'run', 'wandb:stand-in-user/src/r1', 'index.js', 'a', 'b'],
      { env: { XDG_CACHE_HOME: join(work, 'cli-cache') } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ran a b');
  });
});

describe('source openers in core', () => {
  test('a scheme nobody registered is ERR_UNKNOWN_SOURCE, naming the package that provides wandb:', async () => {
    await assert.rejects(resolveSource('nosuch:thing'), { code: 'ERR_UNKNOWN_SOURCE' });
    const r = await runNode(standIn, work, [
      '-e',
      `import(${JSON.stringify(join(repo, 'packages/core/src/index.ts'))}).then((core) => core.ZipCodebase.open('wandb:e/p/r')).catch((e) => console.log(e.code, e.message))`,
    ]);
    assert.match(r.stdout, /ERR_UNKNOWN_SOURCE .*load @codesave\/wandb/);
  });

  test('a registered opener turns its strings into zips; paths and Windows drives are left alone', async () => {
    const zip = cached();
    const remove = registerSourceOpener('test-src', async (rest) => (rest === 'ok' ? zip : 'missing.zip'));
    try {
      assert.equal(await resolveSource('test-src:ok'), zip);
      assert.equal(await resolveSource('C:\\x.zip'), 'C:\\x.zip');
      assert.equal(await resolveSource('./test-src:ok'), './test-src:ok');
      const codebase = await ZipCodebase.open('test-src:ok');
      assert.equal(codebase.require('./index.js').answer, 42);
      await codebase.dispose();
    } finally {
      remove();
    }
    await assert.rejects(resolveSource('test-src:ok'), { code: 'ERR_UNKNOWN_SOURCE' });
  });
});
