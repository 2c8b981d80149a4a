/**
 * unpin_user_page / put_page of a GUP reference (reference §B.6): one
 * atomic step, by the device or a thread, at any time after the GUP
 * returned. 5.19+ runs sanity_check_pinned_pages first (DEBUG_VM).
 */
import * as L from '../layout.js';
import { ungrab } from '../pages.js';
import { step } from '../step.js';
import { finish, fp, fpBase } from './common.js';
import { ASSERT_SANITY_CHECK_PINNED } from './gupFast.js';

export const unpin = step({
  name: 'unpin',
  fn: 'unpin_user_page',
  cite: 'reference §B.6: gup_put_folio (refcount -= 1024 / put_page); sanity_check_pinned_pages 5.19+',
  // Wait until the GUP returned (or failed).
  guard: (v, c) => v.pinState(c.instr.pin) !== L.PIN_UNUSED && v.pinState(c.instr.pin) !== L.PIN_GRABBED,
  effect(v, c) {
    const i = c.instr.pin;
    if (v.pinState(i) === L.PIN_HELD) {
      const p = v.pinPfn(i);
      if (c.k.pae && c.pin!.foll_pin && p !== L.ZERO_PFN && v.isAnon(p) && !v.pae(p)) v.fireAssert(ASSERT_SANITY_CHECK_PINNED);
      ungrab(v, c, p);
      v.setPin(i, L.PIN_RELEASED, 0);
    }
    finish(v, c);
  },
  footprint(v, c, out) {
    fpBase(c, out);
    out.push(fp.pin(c.instr.pin), fp.page(v.pinPfn(c.instr.pin)));
  },
  explain(b, a, c) {
    const i = c.instr.pin;
    if (b.pinState(i) !== L.PIN_HELD) return `${c.pin!.name} was never taken: nothing to drop`;
    const p = b.pinPfn(i);
    return `${c.pin!.foll_pin ? 'unpin' : 'put'} page#${p}${a.hasFlag(p, L.PGF_ALLOC) ? '' : ' (last reference)'}`;
  },
});
