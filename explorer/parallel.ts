/**
 * Level-synchronous BFS on several worker threads sharing one fingerprint
 * table (`--workers N`), and the frontier split behind `--shard i/N`.
 *
 * The coordinating thread owns the levels: it runs each level in two
 * phases (explorer/levelWorker.ts: EXPAND, then PLACE in levelRecords.ts) with the
 * `workers - 1` worker threads, taking chunks itself between its duties
 * (the clock, the stop hook, growing the table) and waiting for the
 * workers with Atomics.wait, so exploreParallel() is a synchronous call
 * like explore(). Small levels it runs alone: a hand-over costs more than
 * they do; and a small graph goes to explore() first (smallFirst.ts).
 * Every worker thread rebuilds the model from a factory
 * (explorer/factory.ts); threads are kept between explorations in one
 * process (explorer/threadPool.ts), so a later one starts warm. With
 * `workers` 0 or 1 no thread is started (what `--shard` alone uses).
 *
 * Determinism: the table's tags (explorer/sharedTable.ts) give each new
 * state to its first discoverer in frontier order, and the next level is
 * laid out by chunk, then discovery — the order of explorer/bfs.ts. The
 * states get the same numbers as in the one-thread BFS, and the first
 * violating state of each property (the smallest position, an atomic min)
 * is the same, so verdicts, counterexample paths and (for complete runs
 * and runs stopped because everything was violated) the state and
 * transition counts are those of explore(), whatever the worker count.
 * Runs stopped by a resource bound stop at a chunk boundary instead.
 *
 * Memory (issue #4: 28 bytes per state on two workers in open mode, of
 * which the shared table 18 and the paths' columns 5): a level's states
 * are not kept whole (192 bytes each with their fingerprint sums) but
 * delta-encoded (explorer/levelBlocks.ts, ~14 bytes each), in blocks
 * that each participant writes into an arena of its own, a
 * SharedArrayBuffer, as it expands its chunks; the next level is read
 * from those arenas in place (levelWorker.ts). A chunk's successors go
 * to blocks of `blockRecords` records, and a chunk of the next level is
 * a run of whole blocks (a block is decoded from its start), of about
 * the chunk size the level calls for (chunksOf). What makes the search
 * deterministic survives this cut: chunk c of a level is still the
 * states at consecutive positions, after those of chunk c - 1, and has
 * tag base + c, so a smaller tag still means an earlier discoverer in
 * frontier order (sharedTable.ts); and a chunk whose record was claimed
 * by a smaller chunk marks it dead in its block (levelRecords.ts PLACE),
 * so each state of the level is the live record of exactly one block,
 * its first discoverer's, at the position the one-thread BFS gives it.
 *
 * Sharding (`--shard i/N`): the frontier of one level is cut, and this
 * shard goes on from its part alone (explorer/shardCut.ts).
 */
import { collisionProbability, finishHi, finishLo, rawA, rawB } from './fingerprint.js';
import { actionView, C, childrenUpTo, claimsHeld, claimsLog, FOUND_EARLIER, NONE, PHASE_EXPAND, PHASE_PLACE, rangeStart, succBytes, succView, transitionsOf } from './levelProtocol.js';
import { chunksOf, frontierOf, nextLevel, placedFrontier } from './levelFrontier.js';
import { cutForShard } from './shardCut.js';
import type { LevelPaths, ShardCut } from './shardCut.js';
export { SHARD_MIN_PER_SHARD } from './shardCut.js';
export type { ShardCut, ShardSpec } from './shardCut.js';
import type { Frontier } from './levelFrontier.js';
import type { HostMsg } from './levelProtocol.js';
import { grownTable, INITIAL_SLOTS, MAX_LOAD, SharedTable, tableBuffer } from './sharedTable.js';
import type { ExploreResult, Model, Violation } from './types.js';
import { NO_DEADLOCK } from './types.js';
import { InlineHost, ThreadHost, workerEntry } from './parallelHosts.js';
import { smallGraphFirst } from './smallFirst.js';
import { warmThreads } from './threadPool.js';
import type { Host, Hooks } from './parallelHosts.js';
import { needsGrowth } from './parallelHosts.js';
import { MAX_CHUNK, MIN_BLOCK, PARALLEL_MIN, SPAWN_AT } from './parallelOptions.js';
import type { ParallelOptions, ParallelResult, Stop } from './parallelOptions.js';
export { PARALLEL_MIN, SPAWN_AT } from './parallelOptions.js';
export type { ParallelOptions, ParallelResult, Stop } from './parallelOptions.js';

/** What a level keeps for the paths to its states (action: a byte per state when the model has at most 256 actions, levelProtocol.ts actionView). */
type Level = LevelPaths;

/** The coordinator: levels, table growth, violations, bounds. */
class Search {
  readonly ctl = new Int32Array(new SharedArrayBuffer(C.SIZE * 4));
  readonly viol: Int32Array;
  table = new SharedTable(tableBuffer(INITIAL_SLOTS));
  readonly levels: Level[] = [];
  readonly found = new Map<string, Violation>();
  states = 1;
  transitions = 0;
  depth = 0;
  stopReason: Stop | undefined;
  peakLevelBytes = 0;
  cut: ShardCut | undefined;
  readonly t0: number;
  private readonly words: number;

  private inline!: Host;
  threads: Host | undefined;
  private spawn: (() => Host) | undefined;
  /** who runs the current level */
  private host!: Host;

  constructor(private readonly model: Model, private readonly opts: ParallelOptions) {
    this.viol = new Int32Array(new SharedArrayBuffer(Math.max(1, opts.properties.length) * 4)).fill(NONE);
    this.t0 = opts.now();
    this.words = model.stateBytes >>> 2;
    Atomics.store(this.ctl, C.GROWAT, Math.floor(INITIAL_SLOTS * MAX_LOAD));
  }

  private get h(): Host {
    return this.host;
  }

  attach(inline: Host, spawn: (() => Host) | undefined): void {
    this.inline = inline;
    this.spawn = spawn;
    this.host = inline;
    this.sendAll({ kind: 'table', buf: this.table.buf });
  }

  /** The table goes to everyone; a level and its next buffers only to the host that runs it. */
  private sendAll(m: HostMsg): void {
    this.inline.send(m);
    this.threads?.send(m);
  }

  pathTo(level: number, pos: number): number[] {
    const path: number[] = [];
    for (let d = level; d > 0; d--) {
      const lv = this.levels[d]!;
      path.push(lv.action[pos]!);
      pos = lv.parent[pos]!;
    }
    return path.reverse();
  }

  private allViolated(): boolean {
    const total = this.opts.properties.length + (this.opts.deadlock ? 1 : 0);
    return total > 0 && this.found.size === total;
  }

  readonly hooks: Hooks = {
    poll: () => {
      const o = this.opts;
      const size = Atomics.load(this.ctl, C.TSIZE);
      let why: Stop | undefined;
      if (size >= o.maxStates) why = 'states';
      else if ((o.now() - this.t0) / 1000 > o.maxSeconds) why = 'seconds';
      else why = o.stop?.();
      if (why) this.stopReason = why;
      else o.listener?.onTick?.({ states: size, transitions: this.transitions, depth: this.depth, queue: size - this.states });
      return why;
    },
    grow: (rehash) => {
      const need = Atomics.load(this.ctl, C.TSIZE) + Atomics.load(this.ctl, C.RESERVE);
      this.table = grownTable(this.table, need, rehash); // by half, as the one-thread visited set
      Atomics.store(this.ctl, C.GROWAT, Math.floor(this.table.slots * MAX_LOAD));
      this.sendAll({ kind: 'table', buf: this.table.buf });
    },
  };

  /** The initial state: level 0. */
  start(): Frontier {
    const init = new Uint8Array(this.model.stateBytes);
    init.set(this.model.initialState());
    if (this.opts.symmetry) this.model.canonicalize?.(init);
    const w = new Uint32Array(init.buffer);
    this.table.insertAlone(finishHi(rawA(w, 0, this.words)), finishLo(rawB(w, 0, this.words)), 1);
    Atomics.store(this.ctl, C.TSIZE, 1);
    this.levels.push({ parent: Int32Array.of(-1), action: Int32Array.of(-1) });
    for (const p of this.opts.properties) {
      if (!p.holds(init)) this.found.set(p.name, { property: p.name, path: [] });
    }
    for (let p = 0; p < this.opts.properties.length; p++) {
      if (this.found.has(this.opts.properties[p]!.name)) this.viol[p] = FOUND_EARLIER;
    }
    return frontierOf(this.model.stateBytes, [w], MAX_CHUNK);
  }

  /** Cut the frontier of level `level` to this shard's part, if this is the level to cut (shardCut.ts). */
  maybeCut(level: number, frontier: Frontier): Frontier {
    const sh = this.opts.shard;
    if (!sh || this.cut) return frontier;
    const r = cutForShard(sh, level, frontier, this.levels[level]!, this.model.stateBytes, MAX_CHUNK);
    if (!r) return frontier;
    this.levels[level] = r.paths;
    this.cut = r.cut;
    return r.frontier;
  }

  /**
   * Expand every level from the initial state until the frontier is
   * empty, the depth bound, a bound or the last violation stops it.
   */
  run(): ExploreResult['end'] {
    const o = this.opts;
    const W = Math.max(1, o.workers);
    const actions = this.model.actionCount;
    let frontier = this.start();
    let nextBase = 2; // tag 1 is the initial state
    for (let level = 0; ; level++) {
      frontier = this.maybeCut(level, frontier);
      const count = frontier.count;
      if (count === 0) return 'exhausted';
      const parallelMin = o.parallelMin ?? PARALLEL_MIN;
      if (!this.threads && this.spawn && count >= Math.min(SPAWN_AT, parallelMin)) {
        this.threads = this.spawn();
        this.threads.send({ kind: 'table', buf: this.table.buf });
      }
      // Levels run here alone until the workers have booted (booted(): no
      // waiting); a test's parallelMin asks for the threads at once.
      const ready = o.parallelMin !== undefined || (this.threads?.booted?.() ?? true);
      this.host = this.threads && count >= parallelMin && ready ? this.threads : this.inline;
      const probe = this.depth >= o.maxDepth;
      const target = Math.max(1, Math.min(MAX_CHUNK, Math.ceil(count / (W * 16))));
      const chunks = chunksOf(frontier, target);
      // The successors' blocks: about a chunk each, if the next level is
      // about this one's size (not much smaller either: a block's first
      // record is encoded against the zero record, several times the
      // bytes of the others).
      const blockRecords = Math.max(MIN_BLOCK, target);
      const nChunks = chunks.n;
      const base = nextBase;
      nextBase += nChunks;
      const succBuf = new SharedArrayBuffer(count * succBytes(actions));
      const countsBuf = new SharedArrayBuffer(nChunks * 4);
      const droppedBuf = new SharedArrayBuffer(nChunks * 4);
      const claimsBuf = claimsLog(count, o.claimsCapacity);
      const ctl = this.ctl;
      const participants = this.host === this.inline ? 1 : W;
      for (let i = 0; i < participants; i++) Atomics.store(ctl, C.NEXT + i, rangeStart(i, participants, nChunks));
      Atomics.store(ctl, C.DEADLOCK, NONE);
      Atomics.store(ctl, C.BEYOND, 0);
      Atomics.store(ctl, C.CLAIMS, 0);
      Atomics.store(ctl, C.RESERVE, W * chunks.largest * Math.max(1, actions));
      if (needsGrowth(ctl)) this.hooks.grow();
      this.h.send({
        kind: 'level', level, base, count, nChunks, probe, participants, blockRecords, arenas: frontier.arenas,
        blockArena: frontier.blockArena, blockStart: frontier.blockStart, blockEnd: frontier.blockEnd,
        chunkBlock: chunks.chunkBlock, chunkPos: chunks.chunkPos, succ: succBuf, counts: countsBuf, dropped: droppedBuf,
        claims: claimsBuf,
      });
      const statesBefore = this.states;
      const transBefore = this.transitions;
      const expanded = this.h.run(PHASE_EXPAND, this.hooks);
      const succ = succView(succBuf, actions);
      this.transitions += transitionsOf(succ, count);
      if (Atomics.load(ctl, C.UNSAFE)) throw new SymmetryUnsafe();
      if (!expanded) return 'limit';
      const passFound: number[] = [];
      const dead = Atomics.load(ctl, C.DEADLOCK);
      if (dead !== NONE && o.deadlock && !this.found.has(NO_DEADLOCK)) {
        this.found.set(NO_DEADLOCK, { property: NO_DEADLOCK, path: this.pathTo(level, dead) });
        passFound.push(dead);
      }
      if (probe) {
        if (o.stopWhenAllViolated && this.allViolated()) {
          this.transitions = transBefore + transitionsOf(succ, Math.max(0, ...passFound) + 1);
          return 'all-violated';
        }
        return Atomics.load(ctl, C.BEYOND) > 0 ? 'depth' : 'exhausted';
      }
      // (the chunks' record counts become their first positions, which PLACE reads)
      const { msg: next, total, nBlocks } = nextLevel(new Int32Array(countsBuf), new Int32Array(droppedBuf), blockRecords, actions, claimsHeld(ctl, claimsBuf));
      this.h.send(next);
      this.h.run(PHASE_PLACE, this.hooks);
      const lv: Level = { parent: new Int32Array(next.parent, 0, total), action: actionView(next.action, actions, total) };
      this.levels.push(lv);
      this.states += total;
      this.collectViolations(level + 1, passFound);
      // This level's per-state and per-chunk columns and the two levels'
      // block tables (the states themselves are in the workers' arenas,
      // which they count).
      const tables = 24 * frontier.kept.length + 8 * (nChunks + 1) + 8 * nChunks + next.firstBlock.byteLength + 24 * nBlocks + claimsBuf.byteLength;
      this.peakLevelBytes = Math.max(this.peakLevelBytes, frontier.ownBytes + succBuf.byteLength + tables);
      if (o.stopWhenAllViolated && this.allViolated()) {
        // where explore() stops: right after expanding the parent at which the last property fell
        const last = Math.max(0, ...passFound);
        this.states = statesBefore + childrenUpTo(lv.parent, last);
        this.transitions = transBefore + transitionsOf(succ, last + 1);
        return 'all-violated';
      }
      if (this.states >= o.maxStates) return this.stopWith('states');
      if ((o.now() - this.t0) / 1000 > o.maxSeconds) return this.stopWith('seconds');
      frontier = placedFrontier(this.h.arenas(level + 1), next, total);
      if (total > 0) this.depth++;
      o.listener?.onLevel?.({ states: this.states, transitions: this.transitions, depth: this.depth, queue: total });
    }
  }

  /** The properties first violated in `level` (the smallest position each, viol): their paths; their states' parents go to `parents`. */
  private collectViolations(level: number, parents: number[]): void {
    const props = this.opts.properties;
    const lv = this.levels[level]!;
    for (let p = 0; p < props.length; p++) {
      const v = this.viol[p]!;
      if (v === NONE || v === FOUND_EARLIER) continue;
      const name = props[p]!.name;
      this.found.set(name, { property: name, path: this.pathTo(level, v) });
      parents.push(lv.parent[v]!);
      this.viol[p] = FOUND_EARLIER;
    }
  }

  private stopWith(why: Stop): 'limit' {
    this.stopReason = why;
    return 'limit';
  }

  bytes(): number {
    let lv = 0;
    for (const l of this.levels) lv += l.parent.byteLength + l.action.byteLength;
    return this.table.buf.byteLength + lv + this.peakLevelBytes + this.inline.privateBytes() + (this.threads?.privateBytes() ?? 0);
  }
}

/** Thrown inside a run when the model says symmetry is unsafe in a state it reached (as in explorer/bfs.ts). */
class SymmetryUnsafe extends Error {}

/**
 * Explore like explore() (explorer/bfs.ts) with `opts.workers` worker
 * threads sharing the visited set, or in this thread (`workers: 0`), and
 * optionally only this shard's part of the graph beyond the cut level.
 * Reductions as explore() does them: POR (explorer/por.ts, BFS proviso
 * from the table's tags) and symmetry (dropped, and the run started
 * again, if the model reports an unsafe state).
 */
export function exploreParallel(model: Model, opts: ParallelOptions): ParallelResult {
  if (opts.workers > 1 && !opts.factory) throw new Error('pincow internal error: worker threads need a model factory');
  // A small graph is answered on this thread (explorer/smallFirst.ts);
  // not for shards (the cut is this engine's) nor the tests' parallelMin.
  if (opts.workers <= 1 || opts.shard || opts.parallelMin !== undefined) return reducedRun(model, opts);
  const first = smallGraphFirst(model, opts, SPAWN_AT, () => warmThreads(opts.workers - 1, workerEntry()));
  if (first.result) return { ...first.result, shard: undefined };
  const r = reducedRun(model, { ...opts, listener: first.listener });
  const seconds = r.stats.seconds + first.seconds;
  return { ...r, stats: { ...r.stats, seconds, statesPerSecond: r.stats.states / seconds } };
}

/** exploreParallel with symmetry if asked for, and again without it if the model reports an unsafe state. */
function reducedRun(model: Model, opts: ParallelOptions): ParallelResult {
  const symmetry = opts.symmetry && model.canonicalize !== undefined;
  if (symmetry) {
    try {
      return runOnce(model, opts, true, false);
    } catch (e) {
      if (!(e instanceof SymmetryUnsafe)) throw e;
    }
  }
  return runOnce(model, { ...opts, symmetry: false }, false, symmetry);
}

function runOnce(model: Model, opts: ParallelOptions, symmetry: boolean, symmetryDropped: boolean): ParallelResult {
  const s = new Search(model, opts);
  const inline = new InlineHost(model, opts, s.ctl, s.viol);
  // --workers N: this thread and N - 1 worker threads
  const spawn = opts.workers > 1 ? (): Host => new ThreadHost(opts.workers - 1, opts.factory!, model, opts, s.ctl, s.viol, inline.w) : undefined;
  let end: ExploreResult['end'] | undefined;
  let healthy = false;
  try {
    s.attach(inline, spawn);
    end = s.run();
    healthy = true;
  } catch (e) {
    // Symmetry found unsafe stops a phase in order, as a bound does: the
    // threads are kept for the run again without it (bench/stress.pincow
    // started a cold thread for it: ~0.1 s).
    healthy = e instanceof SymmetryUnsafe;
    throw e;
  } finally {
    s.threads?.close(healthy);
  }
  const seconds = Math.max(1e-9, (opts.now() - s.t0) / 1000);
  const shard = opts.shard ? (s.cut ?? { depth: undefined, frontier: 0, part: 0 }) : undefined;
  const por = opts.por && model.por !== undefined;
  return {
    end,
    limit: end === 'limit' ? s.stopReason : undefined,
    violations: [...s.found.values()],
    stats: {
      states: s.states,
      transitions: s.transitions,
      maxDepth: s.depth,
      seconds,
      statesPerSecond: s.states / seconds,
      bytesPerState: s.bytes() / s.states,
      collisionProbability: collisionProbability(s.states),
    },
    reductions: {
      por, symmetry, symmetryDropped,
      ampleStates: por ? Atomics.load(s.ctl, C.AMPLE) : 0, fullStates: por ? Atomics.load(s.ctl, C.FULL) : 0,
    },
    shard,
  };
}
