/**
 * A small, private, direct-mapped cache in front of the parallel BFS's
 * shared table (explorer/sharedTable.ts), one per participant thread
 * (explorer/levelWorker.ts).
 *
 * Why: most duplicate successors are states just reached from a nearby
 * parent (a diamond of two commuting steps), and a probe of the shared
 * table (tens of MB) is a cache and TLB miss each. The one-thread BFS
 * answers those from its level set (explorer/bfs.ts); a worker cannot
 * keep the whole level privately at our memory budget (3.4 bytes per
 * state for two workers, measured), but it can remember the last state
 * seen at each of 2^16 slots, 768 KiB that stay in its core's L2 cache.
 *
 * What it remembers is an upper bound of the state's tag in the shared
 * table: the tag this thread visited it with, or TAG_OLD (below every
 * level's base) when the table said it was visited in an earlier level.
 * A slot's tag only ever goes down (sharedTable.ts claim), and tags grow
 * with the level, so a remembered tag t still answers:
 *
 * - t < base of the level being expanded: visited at an earlier depth
 *   (OLD), whether t was seen in an earlier level or is TAG_OLD;
 * - base <= t <= the visiting chunk's tag: reached in this level by this
 *   chunk or a smaller one (OLD_THIS_LEVEL), as the table would say;
 * - t > the chunk's tag: the table must be asked (the chunk may claim it).
 *
 * The answers are those of SharedTable.visit, so nothing the search
 * reports depends on the cache. No clearing between levels or growths.
 */

import { OLD, OLD_THIS_LEVEL } from './sharedTable.js';

/** remembered for a state the shared table called OLD: below every level's base (tags start at 1) */
const TAG_OLD = 0;

/** 2^16 slots of 12 bytes: 768 KiB, within the L2 cache of a core of this project's machines (2 MiB) */
const BITS = 16;
const MASK = (1 << BITS) - 1;

/** answer(): not known here, ask the shared table */
export const ASK = -1;

export class TagCache {
  /** per slot: hi, lo, tag (lo 0: empty; fingerprint.ts finishLo is never 0) */
  private readonly t = new Uint32Array(3 << BITS);
  /** the slot of the last answer() */
  private at = 0;

  get bytes(): number {
    return this.t.byteLength;
  }

  /**
   * What SharedTable.visit(hi, lo, tag, base) would answer, if this
   * cache knows: OLD or OLD_THIS_LEVEL; else ASK.
   */
  answer(hi: number, lo: number, tag: number, base: number): number {
    // low bits of lo: the shared table's home slot is from hi's high bits
    const b = (lo & MASK) * 3;
    this.at = b;
    const t = this.t;
    if (t[b + 1] !== lo || t[b] !== hi) return ASK;
    const known = t[b + 2]!;
    if (known < base) return OLD;
    return known <= tag ? OLD_THIS_LEVEL : ASK;
  }

  /** After answer() said ASK: the shared table's answer `r` to the visit with `tag` (overwrites whatever the slot held). */
  remember(hi: number, lo: number, r: number, tag: number): void {
    const t = this.t;
    const b = this.at;
    t[b] = hi;
    t[b + 1] = lo;
    t[b + 2] = r === OLD ? TAG_OLD : tag;
  }
}
