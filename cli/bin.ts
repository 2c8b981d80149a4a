/** The executable entry (bin/pincow.js imports this): run the CLI, set the exit code. */
import { runCli } from './longRun.js';

// `pincow ... | head`: a closed pipe ends the output quietly, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

// check and explore run in a worker thread so that Ctrl-C stops them well (cli/longRun.ts)
runCli(process.argv.slice(2));
