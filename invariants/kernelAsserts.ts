/**
 * kernel-asserts (reference §E.3): none of the era's own VM_BUG_ON / WARN
 * conditions in the modelled code fires. The steps that contain such an
 * assertion record the first one that fires (a ghost in the state); this
 * invariant reports it. Meant in every era for the era's own assertions
 * (they exist only from 5.19, with PageAnonExclusive).
 */
import * as L from '../model/layout.js';
import { ASSERT_SANITY_CHECK_PINNED } from '../model/ops/gupFast.js';
import { ASSERT_FOLLOW_PAGE_PTE } from '../model/ops/gup.js';
import { ASSERT_WP_PAGE_REUSE } from '../model/ops/wpFault.js';
import type { Invariant } from './types.js';

export const ASSERTIONS: Readonly<Record<number, string>> = {
  [ASSERT_FOLLOW_PAGE_PTE]: 'follow_page_pte: VM_BUG_ON_PAGE(FOLL_PIN && PageAnon && !PageAnonExclusive)',
  [ASSERT_SANITY_CHECK_PINNED]: 'sanity_check_pinned_pages: a pinned anon page is not PageAnonExclusive',
  [ASSERT_WP_PAGE_REUSE]: 'wp_page_reuse: VM_BUG_ON(PageAnon && !PageAnonExclusive)',
};

export const kernelAsserts: Invariant = {
  name: 'kernel-asserts',
  title: "none of the era's own VM_BUG_ON/WARN conditions fires",
  meantFrom: 'all eras (the assertions exist from 5.19)',
  ref: 'reference §E.3',
  make: () => (v) => v.b[L.G_ASSERT] === 0,
  explain: (_m, v) => `${ASSERTIONS[v.b[L.G_ASSERT]!] ?? `assertion ${v.b[L.G_ASSERT]}`} fires.`,
};
