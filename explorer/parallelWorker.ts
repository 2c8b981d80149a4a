/**
 * The entry of a parallel-BFS worker thread (explorer/threadPool.ts
 * starts it). Per exploration it is sent a job (WorkerInit): rebuild the
 * model from its factory (explorer/factory.ts), then run the phases the
 * coordinator starts, one per bump of the generation word, until told to
 * quit; then it waits, idle, for the next job (the pool keeps threads
 * between explorations). All coordination within a job is through
 * shared memory (Atomics.wait/notify on the control words) plus a
 * MessagePort read synchronously with receiveMessageOnPort, so the
 * coordinator can block in Atomics.wait and the whole parallel search
 * stays a synchronous call.
 */
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { collectNow } from './collectGarbage.js';
import { buildModel } from './factory.js';
import type { ModelFactoryRef } from './factory.js';
import { C, PHASE_EXPAND, PHASE_QUIT } from './levelProtocol.js';
import { LevelWorker } from './levelWorker.js';
import type { ArenaMsg, HostMsg } from './levelProtocol.js';

export interface WorkerInit {
  readonly ref: ModelFactoryRef;
  readonly ctl: SharedArrayBuffer;
  readonly viol: SharedArrayBuffer;
  readonly port: MessagePort;
  readonly deadlock: boolean;
  readonly por: boolean;
  readonly symmetry: boolean;
  /** this worker's participant number (1..; the coordinating thread is 0) */
  readonly index: number;
}

function bump(ctl: Int32Array): void {
  Atomics.add(ctl, C.EVENT, 1);
  Atomics.notify(ctl, C.EVENT);
}

function drain(w: LevelWorker, port: MessagePort): void {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) w.receive(m.message as HostMsg);
}

/** Wait until the growth generation moves on from `gen`. */
function awaitGrowth(ctl: Int32Array, gen: number): void {
  while (Atomics.load(ctl, C.GROWGEN) === gen) Atomics.wait(ctl, C.GROWGEN, gen);
}

/**
 * Before each chunk: stop if the coordinator says so; if the table is
 * getting full, ask for a bigger one and park until it is there. Parked,
 * the worker may be woken to take parts of the rehash (REHASH set: the
 * new table came in a 'rehash' message), then waits for the table.
 */
function boundary(w: LevelWorker, ctl: Int32Array, port: MessagePort): boolean {
  for (;;) {
    if (Atomics.load(ctl, C.STOP)) return false;
    if (Atomics.load(ctl, C.TSIZE) + Atomics.load(ctl, C.RESERVE) > Atomics.load(ctl, C.GROWAT)) Atomics.store(ctl, C.GROW, 1);
    if (!Atomics.load(ctl, C.GROW)) return true;
    const gen = Atomics.load(ctl, C.GROWGEN);
    Atomics.add(ctl, C.PARKED, 1);
    bump(ctl);
    awaitGrowth(ctl, gen);
    drain(w, port);
    if (Atomics.load(ctl, C.REHASH)) {
      w.rehash();
      Atomics.add(ctl, C.REHASHED, 1);
      bump(ctl);
      awaitGrowth(ctl, gen + 1);
      drain(w, port);
    }
  }
}

/** One exploration: build the model, report ready, run phases until PHASE_QUIT. */
async function runJob(init: WorkerInit): Promise<void> {
  const ctl = new Int32Array(init.ctl);
  const { port } = init;
  try {
    const built = await buildModel(init.ref);
    const w = new LevelWorker(built.model, built.properties, init.deadlock, ctl, new Int32Array(init.viol), init);
    w.index = init.index;
    // the coordinator names this worker's arenas in the level messages (it reads this port between phases)
    w.onArena = (parity, buf) => port.postMessage({ kind: 'arena', parity, buf } satisfies ArenaMsg);
    port.postMessage({
      kind: 'ready', properties: built.properties.map((p) => p.name),
      stateBytes: built.model.stateBytes, actionCount: built.model.actionCount,
    });
    Atomics.add(ctl, C.READY, 1);
    bump(ctl);
    let seen = 0;
    for (;;) {
      while (Atomics.load(ctl, C.GEN) === seen) Atomics.wait(ctl, C.GEN, seen);
      seen = Atomics.load(ctl, C.GEN);
      drain(w, port);
      const phase = Atomics.load(ctl, C.PHASE);
      if (phase === PHASE_QUIT) break;
      w.run(phase, phase === PHASE_EXPAND ? () => boundary(w, ctl, port) : () => true);
      Atomics.add(ctl, C.DONE, 1);
      bump(ctl);
    }
  } catch (e) {
    port.postMessage({ kind: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    Atomics.store(ctl, C.ERROR, 1);
    bump(ctl);
  }
  // The run's arenas and tables are garbage now; collect them while idle,
  // or this isolate's wrappers would keep their shared memory alive
  // (collectGarbage.ts).
  collectNow();
}

// Jobs one after the other: the pool hands a thread out again as soon as
// its coordinator has posted PHASE_QUIT, which the thread may not have
// read yet, and a job builds its model asynchronously.
let jobs = Promise.resolve();
parentPort!.on('message', (init: WorkerInit) => {
  jobs = jobs.then(() => runJob(init));
});
