/** The worker thread of `compare({ workers })`: opens its own codebases, runs the cases it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import type { ZipCodebase } from '../codebase/zip-codebase.js';
import { Invoker, resolveCall } from './call.js';
import { runCase } from './case.js';
import type { FromWorker, ToWorker, WorkerSetup } from './pool.js';
import { openPortable } from './versions.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);
const codebases: ZipCodebase[] = [];
const invokers: Invoker[] = [];

try {
  for (const version of setup.versions) codebases.push(await openPortable(version, setup.open ?? {}));
  for (const [i, codebase] of codebases.entries()) {
    const fn = await resolveCall(codebase, setup.call, `#${i + 1}`);
    invokers.push(new Invoker(codebase, fn, { seed: setup.seed, timeoutMs: setup.timeoutMs }));
  }
  post({ type: 'ready' });
} catch (error) {
  const e = error as { code?: unknown; message?: unknown; name?: unknown };
  post({
    type: 'failed',
    error: {
      ...(typeof e?.code === 'string' ? { code: e.code } : {}),
      message: String(e?.message ?? error),
      name: String(e?.name ?? 'Error'),
    },
  });
}

port.on('message', async (message: ToWorker) => {
  if (message.type === 'stop') {
    await Promise.all(codebases.map((c) => c.dispose()));
    port.close();
    return;
  }
  const raw = await runCase(invokers, message.args, message.index, setup.repeat, setup.tolerance);
  try {
    post({ type: 'result', index: message.index, raw });
  } catch (error) {
    // an output structuredClone cannot copy (toHost should have made it data): sent as an error instead
    const failed = { name: 'DataCloneError', message: String((error as Error).message) };
    post({
      type: 'result',
      index: message.index,
      raw: raw.map((r) => ({ ok: false, error: failed, durationMs: r.durationMs })),
    });
  }
});
