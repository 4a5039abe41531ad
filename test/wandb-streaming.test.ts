// Transfers stream: a file much larger than the memory the transfer may use goes up and comes back down
// without the process growing by anything near its size.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { downloadFile, md5File, uploadFile, WandbClient } from '../packages/wandb/src/index.js';
import { removeDir, tempDir } from './wandb/helpers.js';

const SIZE = 256 * 1024 * 1024;
let work: string;
let source: string;
let server: http.Server;
let base: string;
let received = { bytes: 0, md5: '' };

before(async () => {
  work = await tempDir();
  source = join(work, 'big.bin');
  const out = createWriteStream(source);
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < SIZE / block.length; i++) {
    block.fill(i % 251);
    block.writeUInt32LE(i, 0);
    if (!out.write(Buffer.from(block))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  server = http.createServer((req, res) => {
    if (req.method === 'PUT') {
      const hash = createHash('md5');
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
      });
      req.on('end', () => {
        received = { bytes, md5: hash.digest('base64') };
        res.end();
      });
      return;
    }
    res.writeHead(200, { 'Content-Length': SIZE });
    createReadStream(source).pipe(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.close();
  await removeDir(work);
});

/** Runs `fn` while sampling memory; returns the largest growth of rss over the starting value. */
async function peakGrowth(fn: () => Promise<unknown>): Promise<number> {
  globalThis.gc?.();
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().rss) - start;
}

test('a 256 MiB upload and download each stay far below the file size in memory', async () => {
  const client = new WandbClient({ baseUrl: 'https://api.wandb.ai', apiKey: 'x'.repeat(40), env: {}, home: work });
  const expected = await md5File(source);
  const up = await peakGrowth(() =>
    uploadFile(client, { url: `${base}/put`, headers: {}, path: source, name: 'big.bin' }),
  );
  assert.equal(received.bytes, SIZE);
  assert.equal(received.md5, expected);
  const output = join(work, 'down', 'big.bin');
  const down = await peakGrowth(() =>
    downloadFile(client, { url: `${base}/get`, name: 'big.bin', output, md5: expected, size: SIZE }),
  );
  assert.equal((await stat(output)).size, SIZE);
  const limit = 96 * 1024 * 1024;
  console.log(`rss growth: upload ${(up / 2 ** 20).toFixed(1)} MiB, download ${(down / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(up < limit, `upload grew rss by ${(up / 2 ** 20).toFixed(0)} MiB`);
  assert.ok(down < limit, `download grew rss by ${(down / 2 ** 20).toFixed(0)} MiB`);
});
