/**
 * acorn's `parse`, safe to run on a file nested deeper than the stack allows.
 *
 * acorn catches a stack overflow at each nesting step and tests the error's message with two regular-expression
 * literals (`catchStackOverflow`). V8 compiles a regular expression to native code on its second run; on Node 22
 * (V8 12.4) that compile, when it happens a few frames from the stack limit, dies with `FATAL ERROR: RegExpCompiler
 * Allocation failed` instead of throwing. Running the check a few times first, on a shallow stack, leaves both
 * literals compiled (a literal's compiled code is shared by every evaluation of it), so the deep run never
 * compiles; it is repeated before every parse because V8 may drop regular-expression code that went unused.
 */
import type { Options, parse } from 'acorn';
import { acorn } from '../../deps.js';

type StackCheck = (this: unknown, f: () => unknown) => unknown;

let catchStackOverflow: StackCheck | undefined | null;
const MESSAGES = ['Maximum call stack size exceeded', 'too much recursion', 'other'];

function primeStackOverflowCheck(): void {
  catchStackOverflow ??=
    (acorn().Parser.prototype as unknown as { catchStackOverflow?: StackCheck }).catchStackOverflow ?? null;
  if (typeof catchStackOverflow !== 'function') return;
  const parser = {
    start: 0,
    raise() {
      throw new SyntaxError('primed');
    },
  };
  for (let round = 0; round < 3; round++)
    for (const message of MESSAGES) {
      try {
        catchStackOverflow.call(parser, () => {
          throw new RangeError(message);
        });
      } catch {}
    }
}

/** acorn's `parse` (see the module comment for what it does first). */
export function parseAcorn(source: string, options: Options): ReturnType<typeof parse> {
  primeStackOverflowCheck();
  return acorn().parse(source, options);
}
