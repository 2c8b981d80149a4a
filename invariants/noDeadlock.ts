/**
 * no-deadlock: every state where some actor is unfinished has an enabled
 * step. Checked by the explorer itself (a property of the transition
 * relation, not of one state); this record gives it a name and a text.
 */
import type { Invariant } from './types.js';

export const noDeadlock: Invariant = {
  name: 'no-deadlock',
  title: 'every state with an unfinished actor has an enabled step',
  meantFrom: 'all eras',
  ref: 'DESIGN.md §5',
  make: () => () => true,
  explain: () => 'some actor is unfinished but no step is enabled (a lock or event that never comes).',
};
