/**
 * The executable's way of running long commands (`check`, `explore`) so
 * that Ctrl-C ends them well (cli/interrupt.ts). The explorers are
 * synchronous loops, and a signal handler only runs when the event loop
 * gets control; so the command runs in a worker thread (cli/cliWorker.ts)
 * and the main thread stays free: its SIGINT handler sets a flag in
 * shared memory, which the explorers' stop hook reads at every check
 * point. A second Ctrl-C quits at once (exit 130).
 */
import { Worker } from 'node:worker_threads';
import { main } from './main.js';

/** Commands that run long enough to deserve an interruptible worker thread. */
const LONG = new Set(['check', 'explore']);

/** What the worker thread needs (cli/cliWorker.ts). */
export interface CliWorkerData {
  readonly argv: readonly string[];
  readonly flag: SharedArrayBuffer;
  readonly colour: boolean;
  readonly progress: boolean;
}

/** Messages from the worker: output, and at the end the exit code. */
export type CliWorkerMsg = { readonly out: string } | { readonly err: string } | { readonly code: number };

/** The executable's entry: run the CLI, long commands in a worker thread with Ctrl-C handled. */
export function runCli(argv: string[]): void {
  const command = argv.find((x) => !x.startsWith('-'));
  if (!command || !LONG.has(command) || argv.includes('--help') || argv.includes('-h')) {
    process.exitCode = main(argv);
    return;
  }
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const data: CliWorkerData = {
    argv, flag: flag.buffer as SharedArrayBuffer,
    colour: process.stdout.isTTY === true && !process.env['NO_COLOR'],
    progress: process.stderr.isTTY === true,
  };
  const self = import.meta.url;
  const w = new Worker(new URL(`./cliWorker${self.endsWith('.ts') ? '.ts' : '.js'}`, self), { workerData: data });
  const onSigint = (): void => {
    if (Atomics.load(flag, 0) === 1) process.exit(130);
    Atomics.store(flag, 0, 1);
    process.stderr.write('\npincow: interrupted: stopping at the next check point (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  // Output comes through the same port as the exit code, so it is all written, in order, before the code is set.
  w.on('message', (m: CliWorkerMsg) => {
    if ('out' in m) process.stdout.write(m.out);
    else if ('err' in m) process.stderr.write(m.err);
    else process.exitCode = m.code;
  });
  w.on('error', (e) => {
    process.stderr.write(`${e.stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
  w.on('exit', () => process.off('SIGINT', onSigint));
}
