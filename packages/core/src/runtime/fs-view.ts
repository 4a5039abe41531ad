/**
 * The file system a codebase sees. The runtime only reads through this interface, so it runs the same over
 * the volume view of a zip (paths under the root go to memory, others to disk) or over the real `node:fs`.
 */
import type * as nodeFs from 'node:fs';

/** A `node:fs`-shaped object; the runtime needs only these members, user code may need all of them. */
export type FsView = Pick<typeof nodeFs, 'readFileSync' | 'statSync' | 'realpathSync'> & Record<string, any>;
