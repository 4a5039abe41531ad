/**
 * `Codebase`: the same loader as {@link ZipCodebase}, evaluating in the host realm. Results are ordinary host
 * objects (`instanceof`, `assert.deepStrictEqual` work); globals are the host's (a codebase that sets one
 * sets it for the process). Each instance still has its own module registry and file system view, so it can
 * be opened many times in one process (unlike the Python `Codebase`).
 */
import { type CodebaseOptions, openAs, ZipCodebase } from './zip-codebase.js';

export class Codebase extends ZipCodebase {
  /** Open `source` (a zip path or bytes) in the host realm. */
  static override async open(source: string | Uint8Array, options: CodebaseOptions = {}): Promise<Codebase> {
    return openAs(Codebase, 'host', source, options);
  }
}
