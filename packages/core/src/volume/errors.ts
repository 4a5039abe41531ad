/** Node-shaped system errors (`code`, `errno`, `syscall`, `path`, `dest`, Node's message format). */
import * as util from 'node:util';

const errnoMap = util.getSystemErrorMap();

/** `ENOENT: no such file or directory, open '<path>'` — built as Node's libuv errors are. */
export function systemError(code: string, syscall: string, path?: string, dest?: string, hint?: string) {
  let errno = 0;
  let desc = code;
  for (const [n, [name, d]] of errnoMap) {
    if (name === code) {
      errno = n;
      desc = d;
      break;
    }
  }
  let message = `${code}: ${desc}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  if (hint) message += ` (${hint})`;
  const err = new Error(message) as NodeJS.ErrnoException & { dest?: string };
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  if (dest !== undefined) err.dest = dest;
  return err;
}

/** True for an error that came from a file system call (memfs or Node), not one of ours. */
export function isSystemError(err: unknown): err is NodeJS.ErrnoException & { dest?: string } {
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).code === 'string' &&
    typeof (err as NodeJS.ErrnoException).syscall === 'string'
  );
}
