/**
 * `process.dlopen` for a codebase, with the one case Node itself cannot serve said plainly: an addon that is not
 * context-aware (it registers itself with the legacy `NODE_MODULE` macro) initialises once per process, so a
 * second codebase (or the host) loading the same file gets Node's "Module did not self-register".
 */
import path from 'node:path';
import { CodesaveError } from '../errors.js';

/** Real paths of addons loaded in this process, by any codebase. */
const loaded = new Set<string>();

/** Load the addon at `real` (on disk) into `module`; `filename` is the path the codebase knows it by. */
export function loadAddon(module: object, real: string, filename: string): void {
  try {
    process.dlopen(module as never, path.toNamespacedPath(real));
  } catch (error) {
    if (loaded.has(real) && /did not self-register/.test(String((error as Error)?.message)))
      throw new CodesaveError(
        'ERR_ADDON_NOT_CONTEXT_AWARE',
        `The native addon ${filename} was already loaded in this process (${real}) and is not context-aware: Node initialises such an addon once per process, so a second codebase cannot load it. Share the one instance (open the codebase with the package in \`dependencies\` and load it from the host), or load this version in another process.`,
        { cause: error, details: { path: filename, real } },
      );
    throw error;
  }
  loaded.add(real);
}
