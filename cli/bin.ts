/** The executable entry (bin/pincow.js imports this): run the CLI, set the exit code. */
import { main } from './main.js';

process.exitCode = main(process.argv.slice(2));
