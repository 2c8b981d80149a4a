/**
 * The worker thread a long command runs in (cli/longRun.ts): main() with
 * an Io whose output goes back to the main thread as messages (the same
 * port as the exit code, so nothing is lost or reordered) and whose
 * `interrupted` reads the flag the main thread's SIGINT handler sets.
 * Terminal facts (colour, progress) are the main thread's: a worker's
 * own stdout is never a TTY.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Io } from './common.js';
import type { CliWorkerData, CliWorkerMsg } from './longRun.js';
import { main } from './main.js';

const data = workerData as CliWorkerData;
const flag = new Int32Array(data.flag);
const post = (m: CliWorkerMsg): void => parentPort!.postMessage(m);
const nl = (t: string): string => (t.endsWith('\n') ? t : `${t}\n`);

const io: Io = {
  out: (t) => post({ out: nl(t) }),
  err: (t) => post({ err: nl(t) }),
  colour: data.colour,
  progress: data.progress,
  interrupted: () => Atomics.load(flag, 0) === 1,
};

post({ code: main([...data.argv], io) });
