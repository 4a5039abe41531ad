// End to end against the stand-in: push a snapshot into a run, pull it on "another machine", load and run
// it with WandbCodebase; a log_code-style artifact, then zipFromWandbArtifact.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openArchive } from '../packages/core/src/index.js';
import {
  checkpointToWandb,
  codeArtifactName,
  downloadFromWandb,
  logCodeArtifact,
  WandbClient,
  WandbCodebase,
  zipFromWandb,
  zipFromWandbArtifact,
} from '../packages/wandb/src/index.js';
import { removeDir, standInOptions, tempDir, writeTree } from './wandb/helpers.js';
import { type StandIn, startStandIn } from './wandb/stand-in.js';

let standIn: StandIn;
let work: string;

before(async () => {
  standIn = await startStandIn();
  work = await tempDir();
  await writeTree(join(work, 'project'), {
    'package.json': JSON.stringify({ name: 'model', version: '1.0.0', main: 'index.js' }),
    'index.js': "const { scale } = require('./lib/scale.js');\nexports.predict = (x) => scale(x) + 1;\n",
    'lib/scale.js': 'exports.scale = (x) => x * 2;\n',
    '.gitignore': 'secret.txt\n',
    'secret.txt': 'not saved',
  });
});

after(async () => {
  await standIn.close();
  await removeDir(work);
});

function zipNames(path: string): Promise<string[]> {
  return openArchive(path).then((archive) => {
    const names = [...archive.entries.values()]
      .filter((e) => e.type === 'file')
      .map((e) => e.name)
      .sort();
    archive.close();
    return names;
  });
}

describe('push then pull', () => {
  test('checkpointToWandb creates the run, uploads codebase.zip and marks it uploaded', async () => {
    const home = join(work, 'machine-a');
    const result = await checkpointToWandb(join(work, 'project'), {
      ...standInOptions(standIn, home),
      run: 'stand-in-user/models/run1',
    });
    assert.equal(result.run.created, true);
    assert.deepEqual([result.run.entity, result.run.project, result.run.id], ['stand-in-user', 'models', 'run1']);
    assert.equal(result.filename, 'codebase.zip');
    assert.equal(result.markedBy, 'mutation');
    assert.equal(existsSync(result.checkpoint.path), false, 'the temp zip is removed');
    const file = standIn.run('stand-in-user', 'models', 'run1')?.files.get('codebase.zip');
    assert.ok(file?.marked && file.content);
    assert.equal(file.content.length, result.checkpoint.bytes);
    assert.deepEqual(
      standIn.operations().filter((o) => o !== 'ServerFeaturesQuery'),
      ['UpsertBucket', 'CreateRunFiles', 'MarkRunFilesUploaded'],
    );
  });

  test('downloadFromWandb on another machine gets the same bytes, verified', async () => {
    const home = join(work, 'machine-b');
    const output = join(home, 'pulled', 'codebase.zip');
    const path = await downloadFromWandb('stand-in-user/models/run1', { ...standInOptions(standIn, home), output });
    assert.equal(path, output);
    const original = standIn.run('stand-in-user', 'models', 'run1')!.files.get('codebase.zip')!.content!;
    assert.deepEqual(await readFile(path), original);
    assert.deepEqual(await zipNames(path), ['.gitignore', 'codesave.json', 'index.js', 'lib/scale.js', 'package.json']);
  });

  test('zipFromWandb prefers codebase.zip', async () => {
    const home = join(work, 'machine-c');
    const path = await zipFromWandb('stand-in-user/models/run1', {
      ...standInOptions(standIn, home),
      output: join(home, 'z.zip'),
    });
    assert.ok((await zipNames(path)).includes('index.js'));
  });
});

describe('WandbCodebase', () => {
  test('opens a pushed run on another machine (fresh env and temp dir) and runs its code', async () => {
    const home = join(work, 'machine-e');
    const codebase = await WandbCodebase.open('stand-in-user/models/run1', {
      wandb: { ...standInOptions(standIn, home), output: join(home, 'runs', 'run1', 'codebase.zip') },
    });
    try {
      assert.equal(codebase.root, join(home, 'runs', 'run1', 'codebase.zip'));
      const model = codebase.require('./index.js');
      assert.equal(model.predict(20), 41);
      assert.equal(
        codebase.manifest.files.some((f) => f.path === 'secret.txt'),
        false,
      );
    } finally {
      await codebase[Symbol.asyncDispose]();
    }
  });

  test('two runs side by side: each its own version', async () => {
    const home = join(work, 'machine-f');
    await writeTree(join(work, 'project-v2'), {
      'package.json': JSON.stringify({ name: 'model', version: '2.0.0', main: 'index.js' }),
      'index.js': "const { scale } = require('./lib/scale.js');\nexports.predict = (x) => scale(x) + 2;\n",
      'lib/scale.js': 'exports.scale = (x) => x * 3;\n',
    });
    await checkpointToWandb(join(work, 'project-v2'), {
      ...standInOptions(standIn, home),
      run: 'stand-in-user/models/run2',
    });
    const open = (id: string) =>
      WandbCodebase.open(`stand-in-user/models/${id}`, {
        wandb: { ...standInOptions(standIn, home), output: join(home, id, 'codebase.zip') },
      });
    const [v1, v2] = [await open('run1'), await open('run2')];
    try {
      assert.equal(v1.require('./index.js').predict(10), 21);
      assert.equal(v2.require('./index.js').predict(10), 32);
    } finally {
      await v1[Symbol.asyncDispose]();
      await v2[Symbol.asyncDispose]();
    }
  });

  test('a run with only a log_code artifact opens too', async () => {
    const home = join(work, 'machine-g');
    const src = join(work, 'lc-src');
    await writeTree(src, { 'main.js': 'exports.answer = () => 42;\n' });
    const client = new WandbClient(standInOptions(standIn, home));
    const { upsertRun } = await import('../packages/wandb/src/index.js');
    const run = await upsertRun(client, { entity: 'stand-in-user', project: 'lc', id: 'r3', live: false });
    await logCodeArtifact(
      client,
      run,
      [{ path: 'main.js', file: join(src, 'main.js') }],
      codeArtifactName('lc', 'main.js'),
    );
    const codebase = await WandbCodebase.open('stand-in-user/lc/r3', {
      wandb: { ...standInOptions(standIn, home), output: join(home, 'r3.zip') },
    });
    try {
      assert.equal(codebase.require('./main.js').answer(), 42);
    } finally {
      await codebase[Symbol.asyncDispose]();
    }
  });
});

describe('code artifacts', () => {
  test('a log_code-style artifact created through the stand-in comes back with zipFromWandbArtifact', async () => {
    const home = join(work, 'machine-d');
    const src = join(work, 'logged');
    await writeTree(src, { 'train.js': 'module.exports = 42;\n', 'src/util.js': 'exports.u = 1;\n' });
    const client = new WandbClient(standInOptions(standIn, home));
    // A run that used run.log_code() and never codesave:
    const { upsertRun } = await import('../packages/wandb/src/index.js');
    const run = await upsertRun(client, { entity: 'stand-in-user', project: 'lc', id: 'r2', live: false });
    const name = codeArtifactName('lc', 'train.js');
    assert.equal(name, 'source-lc-train.js');
    const logged = await logCodeArtifact(
      client,
      run,
      [
        { path: 'train.js', file: join(src, 'train.js') },
        { path: 'src/util.js', file: join(src, 'src', 'util.js') },
      ],
      name,
    );
    assert.equal(logged.deduplicated, false);
    const again = await logCodeArtifact(
      client,
      run,
      [
        { path: 'train.js', file: join(src, 'train.js') },
        { path: 'src/util.js', file: join(src, 'src', 'util.js') },
      ],
      name,
    );
    assert.equal(again.deduplicated, true);

    const output = join(home, 'code.zip');
    const zip = await zipFromWandbArtifact('stand-in-user/lc/r2', { ...standInOptions(standIn, home), output });
    assert.equal(zip, output);
    assert.deepEqual(await zipNames(zip), ['codesave.json', 'src/util.js', 'train.js']);
    // zipFromWandb falls back to the artifact when the run has no codebase.zip.
    const fallback = await zipFromWandb('stand-in-user/lc/r2', {
      ...standInOptions(standIn, home),
      output: join(home, 'f.zip'),
    });
    assert.deepEqual(await zipNames(fallback), ['codesave.json', 'src/util.js', 'train.js']);
  });
});
