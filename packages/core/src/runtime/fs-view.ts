/**
 * The file system a codebase sees. The runtime only reads through this interface, so it runs the same over
 * the volume view of a zip (paths under the root go to memory, others to disk) or over the real `node:fs`.
 */
import type * as nodeFs from 'node:fs';

/** A `node:fs`-shaped object; the runtime needs only these members, user code may need all of them. */
export type FsView = Pick<typeof nodeFs, 'readFileSync' | 'statSync' | 'realpathSync'> & Record<string, any>;

/** The loader's file access: an {@link FsView}, plus what it knows of a file's content without reading it. */
export type LoaderFsView = FsView & {
  /**
   * The sha256 (hex) of a file as verified when the codebase was opened, while the file is still that content;
   * `undefined` when unknown (not verified, written since, outside the root).
   */
  contentHash?(path: string): string | undefined;
};
