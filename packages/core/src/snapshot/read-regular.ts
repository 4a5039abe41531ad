/**
 * Reading small text files of a project (`.gitignore`, `package.json`) without trusting what they are: a FIFO
 * would block the read forever, a link to `/dev/zero` would never end. Opened `O_NONBLOCK` (a FIFO opens at
 * once), then `fstat`-checked to be a regular file of sane size; anything else reads as absent.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** Larger than any real `.gitignore` or `package.json`; beyond it the file is treated as absent. */
const MAX_BYTES = 64 * 1024 * 1024;

const flags = (follow: boolean) =>
  constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (follow ? 0 : (constants.O_NOFOLLOW ?? 0));

/** The text of `path` if it is a regular file (following links when `follow`), else `undefined`. */
export function readRegularTextSync(path: string, follow = true): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, flags(follow));
  } catch (error) {
    if (['ENOENT', 'ENOTDIR', 'ELOOP', 'ENXIO'].includes((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_BYTES) return undefined;
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Asynchronous {@link readRegularTextSync}. */
export async function readRegularText(path: string, follow = true): Promise<string | undefined> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, flags(follow));
  } catch (error) {
    if (['ENOENT', 'ENOTDIR', 'ELOOP', 'ENXIO'].includes((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  }
  try {
    const st = await file.stat();
    if (!st.isFile() || st.size > MAX_BYTES) return undefined;
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
}
