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
process.exitCode = await main(args);
