/**
 * The explorer tests' toy model: N independent counters, each 0..K; action
 * i increments counter i while it is below K. Its state space is a
 * lattice with many ways into each state ((K+1)^N states), so counts,
 * deduplication, deadlocks (the all-K corner, unless `final` says it is a
 * proper end) and parallel claiming are easy to predict.
 */
import type { Model } from '../../explorer/types.js';

export const pad4 = (n: number): number => (n + 3) & ~3;

export class Counters implements Model {
  readonly stateBytes: number;
  readonly actionCount: number;
  /** how many times apply() ran (the explorer must not apply more than it needs) */
  applied = 0;
  /**
   * @param final is the all-K corner a proper end (true) or a deadlock (false)?
   */
  constructor(readonly n: number, readonly k: number, readonly final = true) {
    this.stateBytes = pad4(n);
    this.actionCount = n;
  }
  initialState(): Uint8Array {
    return new Uint8Array(this.stateBytes);
  }
  enabled(s: Uint8Array, out: Int32Array): number {
    let c = 0;
    for (let i = 0; i < this.n; i++) if (s[i]! < this.k) out[c++] = i;
    return c;
  }
  apply(s: Uint8Array, a: number, into: Uint8Array): void {
    this.applied++;
    into.set(s);
    into[a] = s[a]! + 1;
  }
  isFinal(s: Uint8Array): boolean {
    if (!this.final) return false;
    for (let i = 0; i < this.n; i++) if (s[i] !== this.k) return false;
    return true;
  }
}
