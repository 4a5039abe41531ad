#!/usr/bin/env node
import { main } from './main.js';

const args = process.argv.slice(2);
// `codesave ls x.zip | head`: the reader went away; stop quietly, as ls(1) does, instead of crashing on EPIPE.
// (Not for `run`: there stdout is the program's, and it sees what node would give it.)
if (args[0] !== 'run') {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}
// Ctrl-C or a SIGTERM mid-save or mid-download: remove the command's temp files, then exit as a shell reports a
// signal (128 + its number). Not for `run`, where the program decides what its signals do, as under node, nor for
// `compare`, whose Ctrl-C ends the run and still writes the partial report.
if (args[0] !== 'run' && args[0] !== 'compare') {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    // codesave's library is loaded by the commands that make temp files (not by `--help`): import() returns it
    process.once(signal, () => {
      import('@codesave/core')
        .then(
          ({ removeTempFiles }) => removeTempFiles(),
          () => {},
        )
        .finally(() => process.exit(code));
    });
  }
}
process.exitCode = await main(args);
