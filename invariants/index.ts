/** The invariants by stable name (DESIGN.md §5), in listing order. */
import { anonExclusiveSound } from './anonExclusiveSound.js';
import { kernelAsserts } from './kernelAsserts.js';
import { ksmNotExclusive } from './ksmNotExclusive.js';
import { noDeadlock } from './noDeadlock.js';
import { noMissedCow } from './noMissedCow.js';
import { pinCoherent } from './pinCoherent.js';
import { pinnedNotCowShared } from './pinnedNotCowShared.js';
import { pinStaysMapped } from './pinStaysMapped.js';
import { refcountConsistent } from './refcountConsistent.js';
import type { Invariant } from './types.js';
import { writableImpliesExclusive } from './writableImpliesExclusive.js';

export type { Invariant } from './types.js';

export const INVARIANTS: readonly Invariant[] = [
  pinCoherent, pinStaysMapped, pinnedNotCowShared, noMissedCow, anonExclusiveSound, writableImpliesExclusive, ksmNotExclusive,
  refcountConsistent, kernelAsserts, noDeadlock,
];

export const INVARIANT_NAMES: readonly string[] = INVARIANTS.map((i) => i.name);

export function invariantByName(name: string): Invariant | undefined {
  return INVARIANTS.find((i) => i.name === name);
}
