/**
 * The explorer's contract (stateright's Model/Property/Checker split): a
 * Model knows how to start, which actions are enabled and how to take one,
 * on packed byte states; the explorer knows nothing of memory management.
 */

/** A model over packed states: every state is `stateBytes` bytes. */
export interface Model {
  /** bytes per state; a multiple of 4 (the hash reads 32-bit words) */
  readonly stateBytes: number;
  /** action ids are 0..actionCount-1 */
  readonly actionCount: number;
  initialState(): Uint8Array;
  /** Write the enabled action ids into `out` (length >= actionCount) and return how many. */
  enabled(state: Uint8Array, out: Int32Array): number;
  /** Write the successor of `state` under enabled `action` into `into`. Must not modify `state`. */
  apply(state: Uint8Array, action: number, into: Uint8Array): void;
  /** A state without enabled actions that is a proper end rather than a deadlock. */
  isFinal(state: Uint8Array): boolean;
  /** Partial-order reduction support (optional; explorer/por.ts states the contract). */
  readonly por?: PorSupport;
  /**
   * Symmetry reduction (optional): rewrite `state` in place into the
   * canonical representative of its orbit. Contract: canonicalize(s) is a
   * permutation π(s) from the model's symmetry group; enabledness (by
   * action id), `isFinal` and every property are invariant under the group;
   * and the transitions commute with it up to the orbit
   * (canonicalize(apply(π(s), a)) = canonicalize(apply(s, a))) in every
   * state where `symmetrySafe` holds. Then an action path found on
   * canonical states replays on the unreduced model.
   */
  canonicalize?(state: Uint8Array): boolean | void;
  /**
   * Optional, with canonicalize: 1 at every byte the canonical form depends
   * on. Contract: if s is canonical and s' differs from s only at bytes
   * where this is 0, then s' is canonical too, so engines may skip
   * canonicalize for such a successor. canonicalize may return false when
   * it left the state unchanged (true or nothing: it may have changed it).
   */
  readonly symmetryReads?: Uint8Array | undefined;
  /**
   * With symmetry on, asked of every expanded (canonical) state: false if
   * the transitions out of it may depend on the numbering the symmetry
   * renames (the explorer then starts again without symmetry). Must give
   * the same answer for every member of an orbit. Absent: always true.
   */
  symmetrySafe?(state: Uint8Array): boolean;
}

/**
 * A footprint location code with this bit set is a read-only access of
 * location `code & ~LOC_READ`; without it, a write (or read-and-write).
 * Two footprints conflict when they share a location one of them writes.
 */
export const LOC_READ = 1 << 24;
/** In a `future` footprint: "any location at all" (the model cannot bound it). */
export const LOC_ANY = -1;

/**
 * What partial-order reduction needs from a model (checker-anchors §4):
 * actors, and footprints over abstract locations (small non-negative
 * integers below `locations`, optionally marked LOC_READ). The exact
 * obligations are in explorer/por.ts's header; the soundness harness
 * (test/soundness/) checks them on small configurations.
 */
export interface PorSupport {
  /** location codes (without LOC_READ) are 0 <= code < locations */
  readonly locations: number;
  /** number of actors; every action belongs to exactly one */
  readonly actors: number;
  actorOf(action: number): number;
  /**
   * Every location the enabled `action` reads (guard included) or writes
   * if taken in `state`. `succ`, when given, is apply(state, action): the
   * model may look at it instead of applying the action again.
   */
  footprint(state: Uint8Array, action: number, out: number[], succ?: Uint8Array): void;
  /**
   * An over-approximation of every location any action of `actor` may read
   * or write in `state` or in any state reachable from it (LOC_ANY if it
   * cannot say). Empty for an actor that can never move again.
   */
  future(state: Uint8Array, actor: number, out: number[]): void;
  /**
   * Optional, for speed: `future(state, actor)` in two parts, part 0 (the
   * cheap one) then part 1, whose union is exactly the future; a caller
   * may skip part 1 when part 0 already decides (explorer/por.ts stops at
   * a conflict). Called for one state, part 1 only after part 0.
   */
  futurePart?(state: Uint8Array, actor: number, part: 0 | 1, out: number[]): void;
  /** Optional: called before the footprint and future questions about one state, so the model may cache per state. */
  beginState?(state: Uint8Array): void;
}

/** An invariant: it must hold in every reachable state. */
export interface Property {
  readonly name: string;
  holds(state: Uint8Array): boolean;
  /**
   * The bytes of the state the verdict depends on (non-zero = read), for
   * partial-order reduction's visibility condition (C2): a step that
   * changes none of them is invisible to this property. Absent: every byte.
   */
  readonly reads?: Uint8Array;
}

/** The built-in property: every non-final state has an enabled action. */
export const NO_DEADLOCK = 'no-deadlock';

export interface ExploreOptions {
  /** explore levels 0..maxDepth (number of actions from the initial state) */
  readonly maxDepth: number;
  readonly maxStates: number;
  readonly maxSeconds: number;
  readonly properties: readonly Property[];
  /** check no-deadlock as a property */
  readonly deadlock: boolean;
  /** stop as soon as every property has a counterexample */
  readonly stopWhenAllViolated: boolean;
  readonly listener: ExploreListener | undefined;
  /** injected clock (only cli/ reads real time for progress; tests pass a fake) */
  readonly now: () => number;
  /**
   * Asked at the explorer's check points (every few thousand states): a
   * reason to stop now (Ctrl-C, the memory bound), else undefined. The run
   * then ends with end 'limit' and this reason as `limit`.
   */
  readonly stop?: () => StopReason | undefined;
  /** partial-order reduction (ample sets, explorer/por.ts), if the model supports it */
  readonly por: boolean;
  /** symmetry reduction (Model.canonicalize), if the model supports it */
  readonly symmetry: boolean;
}

/** Why a caller's stop() hook ended a run early. */
export type StopReason = 'interrupted' | 'memory';

export interface ExploreProgress {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly queue: number;
}

export interface ExploreListener {
  /** called between BFS levels */
  onLevel?(p: ExploreProgress): void;
  /** called at check points inside a level (or a DFS), for progress at an interval: the listener reads its own clock */
  onTick?(p: ExploreProgress): void;
}

/** A violation: the property and the shortest action path to a state breaking it. */
export interface Violation {
  readonly property: string;
  /** action ids from the initial state */
  readonly path: readonly number[];
}

export interface ExploreStats {
  readonly states: number;
  readonly transitions: number;
  /** deepest BFS level reached */
  readonly maxDepth: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
  readonly bytesPerState: number;
  /** TLC-style estimate of a fingerprint collision having merged two states */
  readonly collisionProbability: number;
}

/** Which reductions a run actually used, and how much they pruned. */
export interface Reductions {
  /** ample sets were computed (options.por and the model has `por`) */
  readonly por: boolean;
  /** states were canonicalised (options.symmetry and the model has `canonicalize`) */
  readonly symmetry: boolean;
  /** symmetry was asked for but dropped: the model reported a state where it is unsafe, and the run started again without it */
  readonly symmetryDropped: boolean;
  /** expanded states where an ample set smaller than the enabled set was used */
  readonly ampleStates: number;
  /** expanded states with more than one enabled action that were expanded fully */
  readonly fullStates: number;
}

export interface ExploreResult {
  /** 'exhausted': no state left unexplored; 'depth': levels beyond maxDepth were not explored; 'limit': a resource bound stopped it */
  readonly end: 'exhausted' | 'depth' | 'limit' | 'all-violated';
  /** which bound stopped it, for 'limit' */
  readonly limit: 'states' | 'seconds' | StopReason | undefined;
  readonly violations: readonly Violation[];
  readonly stats: ExploreStats;
  readonly reductions: Reductions;
}
