/**
 * One-shot events for ordering actors (`signal E`, `wait E`), like the
 * pipes and futexes the kernel selftests synchronise parent and child with.
 * Not kernel operations; they touch only the event bitmask.
 */
import { LOC_EVENTS, step } from '../step.js';
import { finish, fpBase } from './common.js';

export const signal = step({
  name: 'signal',
  fn: 'signal',
  cite: 'test harness ordering',
  guard: () => true,
  effect(v, c) {
    v.signal(c.instr.event);
    finish(v, c);
  },
  footprint(_v, c, out) {
    fpBase(c, out);
    out.push(LOC_EVENTS);
  },
});

export const wait = step({
  name: 'wait',
  fn: 'wait',
  cite: 'test harness ordering',
  guard: (v, c) => v.hasEvent(c.instr.event),
  effect: (v, c) => finish(v, c),
  footprint(_v, c, out) {
    fpBase(c, out);
    out.push(LOC_EVENTS);
  },
});
