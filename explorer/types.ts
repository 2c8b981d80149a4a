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
}

/** An invariant: it must hold in every reachable state. */
export interface Property {
  readonly name: string;
  holds(state: Uint8Array): boolean;
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
}

export interface ExploreProgress {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly queue: number;
}

export interface ExploreListener {
  /** called between BFS levels */
  onLevel?(p: ExploreProgress): void;
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

export interface ExploreResult {
  /** 'exhausted': no state left unexplored; 'depth': levels beyond maxDepth were not explored; 'limit': a resource bound stopped it */
  readonly end: 'exhausted' | 'depth' | 'limit' | 'all-violated';
  /** which bound stopped it, for 'limit' */
  readonly limit: 'states' | 'seconds' | undefined;
  readonly violations: readonly Violation[];
  readonly stats: ExploreStats;
}
