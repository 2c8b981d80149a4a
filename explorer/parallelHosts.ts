/**
 * Who runs the parallel BFS's phases (explorer/parallel.ts): this thread
 * alone (InlineHost: small levels, tests, --workers 1 shards) or worker
 * threads (ThreadHost: explorer/parallelWorker.ts, one LevelWorker each),
 * woken per phase through shared memory and waited for with a poll so the
 * coordinator can still watch the clock, the stop hook and progress.
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { MessagePort, Worker } from 'node:worker_threads';
import { letGo } from './collectGarbage.js';
import { runnableUrl } from './factory.js';
import type { ModelFactoryRef } from './factory.js';
import { C, finishRehash, PHASE_EXPAND, PHASE_QUIT, rehashShare, SPILL_STRIDE } from './levelProtocol.js';
import { LevelWorker } from './levelWorker.js';
import { returnThreads, takeThreads } from './threadPool.js';
import type { ParallelOptions, Stop } from './parallelOptions.js';
import type { Model } from './types.js';
import type { SharedTable } from './sharedTable.js';
import type { ArenaMsg, HostMsg } from './levelProtocol.js';
import type { WorkerInit } from './parallelWorker.js';

/** how often a blocked coordinator looks at the clock, the stop hook and progress */
const POLL_MS = 20;

/** What a host asks of the coordinator while a phase runs. */
export interface Hooks {
  /** before each chunk (in-thread) or every POLL_MS (threads): a reason to stop now */
  poll(): Stop | undefined;
  /**
   * Build a bigger table and send it to every worker; `rehash` fills it
   * from the old one (default: this thread alone).
   */
  grow(rehash?: (old: SharedTable, into: SharedTable) => void): void;
}

/** Who runs the phases: this thread, or worker threads. */
export interface Host {
  send(m: HostMsg): void;
  /** run one phase to its end; false if poll() stopped it */
  run(phase: number, hooks: Hooks): boolean;
  /** bytes the workers hold privately, as far as known */
  privateBytes(): number;
  /** per participant (0: this thread), the arena it writes the levels of `parity` into (levelWorker.ts): where a level's blocks are */
  arenas(parity: number): SharedArrayBuffer[];
  /** worker threads only: have they all built their models (never blocks)? */
  booted?(): boolean;
  /** the exploration is over; `healthy`: it ended without an exception */
  close(healthy: boolean): void;
}

export function needsGrowth(ctl: Int32Array): boolean {
  return Atomics.load(ctl, C.TSIZE) + Atomics.load(ctl, C.RESERVE) > Atomics.load(ctl, C.GROWAT);
}

export class InlineHost implements Host {
  /** this thread's own share of the work (also used by ThreadHost) */
  readonly w: LevelWorker;
  constructor(model: Model, opts: ParallelOptions, private readonly ctl: Int32Array, viol: Int32Array) {
    this.w = new LevelWorker(model, opts.properties, opts.deadlock, ctl, viol, opts);
    this.w.reverseChunks = opts.reverseChunks === true;
  }
  send(m: HostMsg): void {
    this.w.receive(m);
  }
  run(phase: number, hooks: Hooks): boolean {
    let stopped = false;
    this.w.run(phase, () => {
      if (stopped || hooks.poll()) return !(stopped = true);
      if (needsGrowth(this.ctl)) hooks.grow();
      return true;
    });
    return !stopped;
  }
  privateBytes(): number {
    return this.w.privateBytes;
  }
  arenas(parity: number): SharedArrayBuffer[] {
    return [this.w.arena(parity)];
  }
  close(_healthy: boolean): void {}
}

/** The module the worker threads run (parallelWorker.ts, compiled). */
export function workerEntry(): URL {
  const here = import.meta.url;
  return new URL(runnableUrl(new URL(`./parallelWorker${here.endsWith('.ts') ? '.ts' : '.js'}`, here).href));
}

/**
 * This thread and n worker threads. The coordinating thread takes chunks
 * like the workers do (its JIT is warm, and it would only wait
 * otherwise), and between its chunks it does the coordinator's part:
 * the clock and the stop hook, table growth, a worker's failure.
 */
export class ThreadHost implements Host {
  private readonly entry: URL;
  private readonly workers: Worker[];
  private readonly ports: MessagePort[] = [];
  constructor(
    n: number, ref: ModelFactoryRef, private readonly model: Model, opts: ParallelOptions,
    private readonly ctl: Int32Array, viol: Int32Array, private readonly self: LevelWorker,
  ) {
    this.entry = workerEntry();
    // threads kept from an earlier exploration in this process first (explorer/threadPool.ts)
    this.workers = takeThreads(n, this.entry);
    this.workers.forEach((w, i) => {
      const { port1, port2 } = new MessageChannel();
      const init: WorkerInit = {
        ref, ctl: ctl.buffer as SharedArrayBuffer, viol: viol.buffer as SharedArrayBuffer, port: port2,
        deadlock: opts.deadlock, por: opts.por, symmetry: opts.symmetry, index: i + 1,
      };
      w.postMessage(init, [port2]);
      this.ports.push(port1);
    });
    this.names = opts.properties.map((p) => p.name);
    const none = new SharedArrayBuffer(0);
    this.threadArenas = this.workers.map(() => [none, none]);
  }

  private readonly names: readonly string[];
  private ready = false;
  /** per worker thread, the arenas it reported (levelProtocol.ts ArenaMsg), by parity */
  private readonly threadArenas: SharedArrayBuffer[][];
  /** error messages read from the ports while looking for arenas, for fail() */
  private readonly errors: string[] = [];

  /**
   * Block until every worker has built its model, and check it is ours:
   * the same properties, state size and actions (a worker runs the
   * compiled dist/, which could be older than the sources under test).
   */
  private awaitReady(): void {
    for (;;) {
      const ev = Atomics.load(this.ctl, C.EVENT);
      if (Atomics.load(this.ctl, C.ERROR)) this.fail();
      if (Atomics.load(this.ctl, C.READY) === this.workers.length) break;
      Atomics.wait(this.ctl, C.EVENT, ev, POLL_MS);
    }
    const want = `properties [${this.names.join(', ')}], ${this.model.stateBytes} bytes/state, ${this.model.actionCount} actions`;
    for (const p of this.ports) {
      const m = receiveMessageOnPort(p)?.message as { properties?: string[]; stateBytes?: number; actionCount?: number } | undefined;
      const got = `properties [${m?.properties?.join(', ')}], ${m?.stateBytes} bytes/state, ${m?.actionCount} actions`;
      if (got !== want) throw new Error(`pincow internal error: a worker thread built a different model (${got}; expected ${want}): is dist/ up to date?`);
    }
  }

  private fail(): never {
    const msgs: string[] = [...this.errors];
    for (const p of this.ports) {
      for (let m = receiveMessageOnPort(p); m; m = receiveMessageOnPort(p)) {
        const x = m.message as { kind?: string; message?: string };
        if (x.kind === 'error') msgs.push(x.message ?? '');
      }
    }
    throw new Error(`pincow internal error: a worker thread failed: ${msgs.join('\n') || 'no message'}`);
  }

  send(m: HostMsg): void {
    for (const p of this.ports) p.postMessage(m);
    this.self.receive(m);
  }

  /**
   * Grow the table now: ask the workers to park at their next chunk
   * boundary, wait until each is parked or finished (nobody touches the
   * table then), grow, and let them go on. The parked workers share the
   * rehash (rehashTogether): they would only wait otherwise.
   */
  private growNow(hooks: Hooks): void {
    const { ctl } = this;
    const n = this.workers.length;
    Atomics.store(ctl, C.GROW, 1);
    this.waitUntil(() => Atomics.load(ctl, C.DONE) + Atomics.load(ctl, C.PARKED) === n);
    const helpers = Atomics.load(ctl, C.PARKED);
    hooks.grow(helpers > 0 ? (old, into) => this.rehashTogether(old, into, helpers) : undefined);
    Atomics.store(ctl, C.PARKED, 0);
    Atomics.store(ctl, C.GROW, 0);
    Atomics.add(ctl, C.GROWGEN, 1);
    Atomics.notify(ctl, C.GROWGEN);
  }

  /**
   * Rehash `old` into `into` in parts (SharedTable.rehashPart), taken by
   * this thread and the `helpers` parked workers: they get the new table
   * in a 'rehash' message, are woken by a bump of the growth generation
   * with REHASH set, and count themselves in REHASHED when no part is
   * left (parallelWorker.ts boundary); the next bump (growNow) lets them
   * go on. Halves a growth's pause on two workers.
   */
  private rehashTogether(old: SharedTable, into: SharedTable, helpers: number): void {
    const { ctl } = this;
    const parts = helpers + 1;
    // First touch every page of the new table here, alone: page faults
    // taken by two threads at once in one process measured 4-5x slower
    // than by one (64-86 ms against 12 ms for 32 MB, the placing then
    // 16 ms on two threads against 28 on one).
    into.prefault();
    const spill = new SharedArrayBuffer(parts * SPILL_STRIDE * 4);
    const msg: HostMsg = { kind: 'rehash', buf: into.buf, spill };
    for (const p of this.ports) p.postMessage(msg);
    Atomics.store(ctl, C.REHASH_PARTS, parts);
    Atomics.store(ctl, C.REHASH_NEXT, 0);
    Atomics.store(ctl, C.REHASHED, 0);
    Atomics.store(ctl, C.REHASH, 1);
    Atomics.add(ctl, C.GROWGEN, 1);
    Atomics.notify(ctl, C.GROWGEN);
    const words = new Uint32Array(spill);
    rehashShare(ctl, old, into, words);
    this.waitUntil(() => Atomics.load(ctl, C.REHASHED) === helpers);
    Atomics.store(ctl, C.REHASH, 0);
    finishRehash(old, into, words, parts);
  }

  /** Block (polling for a worker's failure) until `done` says so; the workers bump EVENT when it may have changed. */
  private waitUntil(done: () => boolean): void {
    const { ctl } = this;
    for (;;) {
      const ev = Atomics.load(ctl, C.EVENT);
      if (Atomics.load(ctl, C.ERROR)) this.fail();
      if (done()) return;
      Atomics.wait(ctl, C.EVENT, ev, POLL_MS);
    }
  }

  /**
   * Have the workers built their models? Never blocks: until they have,
   * the coordinator goes on alone (a worker boots in ~0.1 s, the module
   * loading and the model's tables, which would otherwise be waited for at
   * the first big level). A worker that failed to boot throws here.
   */
  booted(): boolean {
    if (this.ready) return true;
    if (Atomics.load(this.ctl, C.ERROR)) this.fail();
    if (Atomics.load(this.ctl, C.READY) !== this.workers.length) return false;
    this.awaitReady();
    this.ready = true;
    return true;
  }

  run(phase: number, hooks: Hooks): boolean {
    const { ctl } = this;
    const n = this.workers.length;
    if (!this.ready) {
      this.awaitReady(); // they booted while the first, small levels ran in this thread
      this.ready = true;
    }
    Atomics.store(ctl, C.DONE, 0);
    Atomics.store(ctl, C.PHASE, phase);
    Atomics.add(ctl, C.GEN, 1);
    Atomics.notify(ctl, C.GEN);
    let stopped = false;
    // This thread's share first (its chunk boundaries are the coordinator's check points) ...
    this.self.run(phase, () => {
      if (stopped) return false;
      if (Atomics.load(ctl, C.ERROR)) this.fail();
      if (hooks.poll()) {
        stopped = true;
        Atomics.store(ctl, C.STOP, 1);
        return false;
      }
      if (needsGrowth(ctl) || Atomics.load(ctl, C.GROW)) this.growNow(hooks);
      return true;
    });
    // ... then wait for the workers, still growing the table for them and polling.
    for (;;) {
      const ev = Atomics.load(ctl, C.EVENT);
      if (Atomics.load(ctl, C.ERROR)) this.fail();
      const done = Atomics.load(ctl, C.DONE);
      if (done === n) return !stopped;
      if (Atomics.load(ctl, C.GROW) && done + Atomics.load(ctl, C.PARKED) === n) {
        this.growNow(hooks);
        continue;
      }
      if (!stopped && phase === PHASE_EXPAND && hooks.poll()) {
        stopped = true;
        Atomics.store(ctl, C.STOP, 1);
      }
      Atomics.wait(ctl, C.EVENT, ev, POLL_MS);
    }
  }

  /** The arenas of every participant; the worker threads' as they last reported them (read from their ports now: every worker is between phases). */
  arenas(parity: number): SharedArrayBuffer[] {
    this.ports.forEach((port, i) => {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const x = m.message as ArenaMsg | { kind: 'error'; message?: string };
        if (x.kind === 'arena') {
          const before = this.threadArenas[i]![x.parity & 1];
          if (before) letGo(before.byteLength); // the worker's grown arena replaces it (collectGarbage.ts)
          this.threadArenas[i]![x.parity & 1] = x.buf;
        } else {
          this.errors.push(x.message ?? '');
        }
      }
    });
    if (Atomics.load(this.ctl, C.ERROR)) this.fail();
    return [this.self.arena(parity), ...this.threadArenas.map((a) => a[parity & 1]!)];
  }

  /** The worker threads' (this thread's own are counted by InlineHost): each stores its figure in the control words after every phase. */
  privateBytes(): number {
    let kib = 0;
    for (let i = 1; i <= this.workers.length; i++) kib += Atomics.load(this.ctl, C.PRIV + i);
    return kib * 1024;
  }

  close(healthy: boolean): void {
    Atomics.store(this.ctl, C.STOP, 1);
    Atomics.store(this.ctl, C.PHASE, PHASE_QUIT);
    Atomics.add(this.ctl, C.GEN, 1);
    Atomics.notify(this.ctl, C.GEN);
    // After an exception (a worker's failure, or this thread's mid-phase)
    // a worker may be anywhere, parked for a growth that will not come
    // too: only threads of a run that ended in order are kept.
    returnThreads(this.workers, this.entry, healthy && !Atomics.load(this.ctl, C.ERROR));
  }
}

