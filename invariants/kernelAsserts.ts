/**
 * kernel-asserts (reference §E.3): none of the era's own VM_BUG_ON / WARN
 * conditions in the modelled code fires. The steps that contain such an
 * assertion record the first one that fires (a ghost in the state); this
 * invariant reports it. Meant in every era for the era's own assertions
 * (they exist only from 5.19, with PageAnonExclusive).
 */
import * as L from '../model/layout.js';
import { ASSERT_SANITY_CHECK_PINNED } from '../model/ops/gupFast.js';
import { ASSERT_FOLLOW_PAGE_PTE, ASSERT_FOLLOW_TRANS_HUGE_PMD } from '../model/ops/gup.js';
import { ASSERT_WP_PAGE_REUSE } from '../model/ops/wpFault.js';
import { ASSERT_UFFD_NO_ALLOW_RETRY } from '../model/ops/userfault.js';
import { ASSERT_KSM_KPAGE_PAE, ASSERT_KSM_REPLACE_PAE, ASSERT_KSM_STABLE_PAE } from '../model/ops/ksm.js';
import { ASSERT_SWAPIN_PAE, ASSERT_SWAPIN_WRITE_PAE } from '../model/ops/swapin.js';
import { ASSERT_MIGRATE_WRITE_NOT_EXCL } from '../model/ops/migrate.js';
import { ASSERT_WP_COPY_UNSHARE_WRITE, ASSERT_WP_REUSE_NOT_WRITE } from '../model/ops/wpFault.js';
import { ASSERT_FAULTIN_WRITE_UNSHARE, ASSERT_TRY_GRAB_REFCOUNT } from '../model/ops/gup.js';
import { ASSERT_FORK_DUP_PAE, ASSERT_NEEDS_COW_SEQ, ASSERT_TRY_DUP_NOT_ANON } from '../model/ops/fork.js';
import { ASSERT_TRY_SHARE_NOT_PAE } from '../model/ops/rmapWalk.js';
import type { Invariant } from './types.js';

export const ASSERTIONS: Readonly<Record<number, string>> = {
  [ASSERT_FOLLOW_TRANS_HUGE_PMD]: 'follow_trans_huge_pmd: VM_BUG_ON_PAGE(FOLL_PIN && PageAnon && !PageAnonExclusive)',
  [ASSERT_FOLLOW_PAGE_PTE]: 'follow_page_pte: VM_BUG_ON_PAGE(FOLL_PIN && PageAnon && !PageAnonExclusive)',
  [ASSERT_SANITY_CHECK_PINNED]: 'sanity_check_pinned_pages: a pinned anon page is not PageAnonExclusive',
  [ASSERT_WP_PAGE_REUSE]: 'wp_page_reuse: VM_BUG_ON(PageAnon && !PageAnonExclusive)',
  [ASSERT_UFFD_NO_ALLOW_RETRY]: 'handle_userfault: "FAULT_FLAG_ALLOW_RETRY missing" (CONFIG_DEBUG_VM dump_stack; the fault gets VM_FAULT_SIGBUS)',
  [ASSERT_KSM_REPLACE_PAE]: 'replace_page: VM_BUG_ON_PAGE(PageAnonExclusive(page))',
  [ASSERT_KSM_KPAGE_PAE]: 'replace_page: VM_BUG_ON_FOLIO(folio_test_anon(kfolio) && PageAnonExclusive(kpage))',
  [ASSERT_KSM_STABLE_PAE]: 'write_protect_page path (try_to_merge_one_page): VM_WARN_ON_FOLIO(anon && PageAnonExclusive) of the new KSM folio',
  [ASSERT_SWAPIN_PAE]: 'do_swap_page: BUG_ON(PageAnon && PageAnonExclusive) for a swap-cache page a swap PTE names',
  [ASSERT_SWAPIN_WRITE_PAE]: 'do_swap_page (6.1): VM_BUG_ON(!PageAnon || (pte_write && !PageAnonExclusive))',
  [ASSERT_MIGRATE_WRITE_NOT_EXCL]: 'try_to_migrate_one: VM_BUG_ON_PAGE(pte_write && PageAnon && !anon_exclusive)',
  [ASSERT_WP_REUSE_NOT_WRITE]: 'wp_page_reuse: VM_BUG_ON(!(vmf->flags & FAULT_FLAG_WRITE))',
  [ASSERT_WP_COPY_UNSHARE_WRITE]: 'wp_page_copy: BUG_ON(unshare && pte_write(entry))',
  [ASSERT_FAULTIN_WRITE_UNSHARE]: 'faultin_page: VM_BUG_ON(FAULT_FLAG_WRITE && FAULT_FLAG_UNSHARE)',
  [ASSERT_FORK_DUP_PAE]: 'copy_present_pte: VM_BUG_ON(page && PageAnon && PageAnonExclusive) after the dup (6.12: copy_present_ptes VM_WARN_ON_FOLIO)',
  [ASSERT_NEEDS_COW_SEQ]: 'page_needs_cow_for_dma (folio_needs_cow_for_dma): VM_BUG_ON(!(write_protect_seq & 1))',
  [ASSERT_TRY_SHARE_NOT_PAE]: '__folio_try_share_anon_rmap (page_try_share_anon_rmap): VM_WARN_ON_FOLIO(!PageAnonExclusive)',
  [ASSERT_TRY_DUP_NOT_ANON]: 'page_try_dup_anon_rmap: VM_BUG_ON_PAGE(!PageAnon) (6.12: __folio_try_dup_anon_rmap VM_WARN_ON_FOLIO)',
  [ASSERT_TRY_GRAB_REFCOUNT]: 'try_grab_folio: WARN_ON_ONCE(folio_ref_count <= 0) -> -ENOMEM',
};

export const kernelAsserts: Invariant = {
  name: 'kernel-asserts',
  title: "none of the era's own VM_BUG_ON/WARN conditions fires",
  meantFrom: 'all eras (the assertions exist from 5.19)',
  ref: 'reference §E.3',
  make: () => (v) => v.b[L.G_ASSERT] === 0,
  explain: (_m, v) => `${ASSERTIONS[v.b[L.G_ASSERT]!] ?? `assertion ${v.b[L.G_ASSERT]}`} fires.`,
};
