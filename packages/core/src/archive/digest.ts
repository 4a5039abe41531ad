/** sha256 of inflated contents, computed once per buffer (verification and the archive's re-read check share it). */
import * as crypto from 'node:crypto';

type OneShot = (algorithm: string, data: Uint8Array, encoding: 'hex') => string;
/**
 * One-shot `crypto.hash` where the running Node has it (≥ 20.12): ~2× faster than `createHash` for small files.
 * Looked up on first use: the dist loads node:crypto only then (docs/decisions.md, "Start-up").
 */
let oneShot: OneShot | null | undefined;
const sha256 = (data: Uint8Array): string => {
  oneShot ??= (crypto as { hash?: OneShot }).hash ?? null;
  return oneShot ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex');
};

/**
 * Digests of contents already hashed, by buffer: a second version's unchanged files are the very (read-only)
 * buffers the first one inflated and verified (`shared-contents.ts`), so they are not hashed again.
 */
const digests = new WeakMap<Uint8Array, string>();

/** The lowercase hex sha256 of `data` (read-only buffers: the result is remembered per buffer). */
export function digestOf(data: Uint8Array): string {
  let digest = digests.get(data);
  if (digest === undefined) {
    digest = sha256(data);
    digests.set(data, digest);
  }
  return digest;
}
