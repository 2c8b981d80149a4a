/**
 * Kernel eras (reference kernel-semantics.md §0) as named sets of behaviour
 * switches, and the resolution of `--kernel` (a release, an era id, a comma
 * list or `all`) and of expectation ranges (`5.9..5.18`, `<=5.8`, `E2..E4`).
 *
 * Every switch names the commit that introduced the behaviour; the model's
 * operations consult switches, never era ids, so `--with/--without` can ask
 * "what if this patch were dropped or applied".
 */
import { PincowError, didYouMean } from './errors.js';

export interface SwitchInfo {
  readonly name: string;
  /** commit id(s) as cited by the reference (✓ = seen in a commit message there) */
  readonly commit: string;
  readonly title: string;
  /** first era that has it (undefined: a proposal, off in every era) */
  readonly since: EraId | undefined;
  /** last era that has it (for behaviour later removed) */
  readonly until?: EraId;
}

export const ERA_IDS = ['E0', 'E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7', 'E8', 'E9'] as const;
export type EraId = (typeof ERA_IDS)[number];

export interface EraInfo {
  readonly id: EraId;
  readonly index: number;
  /** releases as written in the reference */
  readonly releases: string;
  /** the release used to name the era in output */
  readonly representative: string;
  /** [major, minor] bounds, inclusive */
  readonly from: readonly [number, number];
  readonly to: readonly [number, number];
  readonly summary: string;
}

export const ERAS: readonly EraInfo[] = [
  { id: 'E0', index: 0, releases: '<=5.7', representative: '5.7', from: [2, 6], to: [5, 7], summary: 'COW reuse by mapcount; R/O GUP does not break COW' },
  { id: 'E1', index: 1, releases: '5.8', representative: '5.8', from: [5, 8], to: [5, 8], summary: 'GUP forces a COW break (FOLL_WRITE) in COW mappings' },
  { id: 'E2', index: 2, releases: '5.9-5.10', representative: '5.10', from: [5, 9], to: [5, 10], summary: 'COW reuse needs refcount==1; fork copies maybe-pinned pages' },
  { id: 'E3', index: 3, releases: '5.11-5.17', representative: '5.15', from: [5, 11], to: [5, 17], summary: 'mm->write_protect_seq; pinned pages kept out of swap' },
  { id: 'E4', index: 4, releases: '5.18', representative: '5.18', from: [5, 18], to: [5, 18], summary: 'COW fixes part 1: swap-in and THP reuse by refcount' },
  { id: 'E5', index: 5, releases: '5.19-6.1', representative: '6.1', from: [5, 19], to: [6, 1], summary: 'PageAnonExclusive; R/O pins unshare' },
  { id: 'E6', index: 6, releases: '6.2-6.4', representative: '6.2', from: [6, 2], to: [6, 4], summary: 'R/O long-term pins unshare non-anon pages too' },
  { id: 'E7', index: 7, releases: '6.5-6.7', representative: '6.6', from: [6, 5], to: [6, 7], summary: 'shared zeropage never refcounted by pins' },
  { id: 'E8', index: 8, releases: '6.8-6.14', representative: '6.12', from: [6, 8], to: [6, 14], summary: 'UFFDIO_MOVE; batched rmap' },
  { id: 'E9', index: 9, releases: '>=6.15', representative: '6.15', from: [6, 15], to: [99, 99], summary: 'COW reuse of PTE-mapped THP' },
];

/** The behaviour switches the model consults. Order is the listing order. */
export const SWITCHES = [
  { name: 'gup-force-cow-break', commit: '17839856fd58', title: 'gup: document and work around "COW can break either way" issue (GUP forces FOLL_WRITE in COW mappings)', since: 'E1', until: 'E1' },
  { name: 'wp-reuse-refcount', commit: '09854ba94c6a', title: 'mm: do_wp_page() simplification (reuse only if page_count()==1)', since: 'E2' },
  { name: 'fork-copy-pinned', commit: '70e806e4e645', title: 'mm: Do early cow for pinned pages during fork() for ptes', since: 'E2' },
  { name: 'has-pinned', commit: '008cfe4418b3 (id unverified), a458b76a4171 MMF_HAS_PINNED', title: 'mm->has_pinned / MMF_HAS_PINNED set by every FOLL_PIN', since: 'E2' },
  { name: 'write-protect-seq', commit: '57efa1fe5957', title: 'mm/gup: prevent gup_fast from racing with COW during fork (mm->write_protect_seq)', since: 'E3' },
  { name: 'wp-free-swapcache', commit: '53a05ad9f21d', title: 'mm: optimize do_wp_page() for exclusive pages in the swapcache', since: 'E4' },
  { name: 'anon-exclusive', commit: '6c287605fd56, fb3d824d1a46', title: 'mm: remember exclusively mapped anonymous pages with PG_anon_exclusive', since: 'E5' },
  { name: 'unshare-fault', commit: 'c89357e27f20, a7f226604170', title: 'mm: support GUP-triggered unsharing of anonymous pages (R/O pins unshare)', since: 'E5' },
  // 64fe24a3e05e (D. Hildenbrand, 2022-06-14, merged for 6.0; found with the
  // search tool): "mm/mprotect: try avoiding write faults for exclusive
  // anonymous pages when changing protection". Modelled from E5 (5.19-6.1),
  // the era that holds 6.0: era granularity, documented in the README.
  { name: 'mprotect-pae-writable', commit: '64fe24a3e05e (6.0)', title: 'mm/mprotect: try avoiding write faults for exclusive anonymous pages when changing protection (can_change_pte_writable)', since: 'E5' },
  { name: 'longterm-unshare-nonanon', commit: '84209e87c696', title: 'mm/gup: reliable R/O long-term pinning in COW mappings', since: 'E6' },
  // 5.7, so already in E0's representative release: `--without fault-retry-multiple` is a <=5.6 kernel.
  { name: 'fault-retry-multiple', commit: '4064b9827063, 4426e945df58', title: 'mm(/gup): allow VM_FAULT_RETRY for multiple times (a retried fault or GUP keeps FAULT_FLAG_ALLOW_RETRY with FAULT_FLAG_TRIED; before, a userfault on the retry got SIGBUS)', since: 'E0' },
  // Issue 3, helper E (KSM, uprobes, mremap, UFFDIO_MOVE, seed 002/003 proposals).
  { name: 'uffdio-move', commit: 'adef440691ba', title: 'userfaultfd: UFFDIO_MOVE uABI (single mm; the source page must be PageAnonExclusive)', since: 'E8' },
  { name: 'uffd-move-pin-check', commit: 'adef440691ba', title: 'UFFDIO_MOVE: -EBUSY if folio_maybe_dma_pinned() before ptep_clear_flush (move_present_pte)', since: 'E8' },
  { name: 'uffd-move-pin-recheck', commit: 'adef440691ba', title: 'UFFDIO_MOVE: recheck folio_maybe_dma_pinned() after ptep_clear_flush, restore the PTE and -EBUSY (the GUP-fast protocol)', since: 'E8' },
  { name: 'uffd-move-cross-mm', commit: 'proposal: UFFDIO_MOVE v3, Oct 2023 (seed 003; Andrea Arcangeli\'s cross-mm REMAP)', title: 'UFFDIO_MOVE between two mms (dst = the uffd\'s mm, src = current->mm); as posted it had no pin checks, so on eras before uffd-move-pin-check it moves pinned pages', since: undefined },
  { name: 'uprobe-write-rewrite', commit: 'lore 20250321113713.204682-4-david@redhat.com (v3, Mar 2025; mainline id and release unverified, 6.16 per the reference)', title: 'kernel/events/uprobes: uprobe_write_opcode() rewrite (COW-break by FOLL_WRITE GUP, write in place under a temporary PTE clear; no __replace_page)', since: undefined },
  { name: 'avoid-unmap-pinned', commit: 'proposal: [RFC][PATCH v2 1/5] mm: Avoid unmapping pinned pages, Jan 2022 (seed 002, not merged)', title: 'migrate_pages fails early (-EAGAIN) and change_prot_numa skips page_maybe_dma_pinned() pages, before unmapping them', since: undefined },
  // Issue 3, THP and khugepaged (model/thp.ts).
  { name: 'thp-reuse-refcount', commit: '3bff7e3f1f16', title: 'mm/huge_memory: streamline COW logic in do_huge_pmd_wp_page() (reuse a PMD-mapped THP only if page_count()==1, else split the PMD and fall back to PTEs)', since: 'E4' },
  { name: 'fork-split-pinned-thp', commit: 'd042035eaf5f', title: 'mm/thp: Split huge pmds/puds if they\'re pinned when fork() (copy_huge_pmd; 5.19+ via page_try_dup_anon_rmap failing)', since: 'E2' },
  // 6.0; stable 5.10.y/5.15.y got it later: the model's E2/E3 are those releases as first released.
  { name: 'gup-fast-pmd-recheck', commit: '70cbc3cc78a9', title: 'mm: gup: fix the fast GUP race against THP collapse (GUP-fast rechecks the PMD after grabbing)', since: 'E5' },
  { name: 'khugepaged-ipi-sync', commit: '2ba99c5e0881', title: 'mm/khugepaged: fix GUP-fast interaction by sending IPI (tlb_remove_table_sync_one after pmdp_collapse_flush; release 6.1 or 6.2, stable to 5.15.y)', since: 'E5' },
  { name: 'madv-collapse', commit: '7d8faaf15545', title: 'mm/madvise: introduce MADV_COLLAPSE sync hugepage collapse (6.1; before, madvise(MADV_COLLAPSE) is -EINVAL)', since: 'E5' },
  { name: 'tlb-flush-ipi', commit: 'architecture, not a commit', title: 'the architecture flushes TLBs by IPI to every CPU using the mm (x86), so pmdp_collapse_flush waits for IRQ-off GUP-fast walkers; off: broadcast TLB invalidation (arm64, powerpc radix), the flush does not wait', since: undefined },
  // Issue 3, reclaim/swap, migration and NUMA balancing (model/swap.ts, ops/reclaim.ts, ops/swapin.ts, ops/migrate.ts, ops/numa.ts).
  { name: 'swap-skip-pinned', commit: 'feb889fb40fa', title: 'mm: don\'t put pinned pages into the swap cache (shrink_page_list: page_maybe_dma_pinned -> keep_locked before add_to_swap; 5.11)', since: 'E3' },
  { name: 'swapin-reuse-refcount', commit: 'c145e0b47c77', title: 'mm: streamline COW logic in do_swap_page() (reuse a swapped-in page only if page_count()==1 after freeing the swap slot, not by reuse_swap_page\'s mapcount+swapcount; 5.18)', since: 'E4' },
  { name: 'unmap-try-share', commit: '6c287605fd56', title: 'try_to_unmap_one/try_to_migrate_one: page_try_share_anon_rmap after ptep_clear_flush, restore the PTE and fail on a maybe-pinned PageAnonExclusive page; readable_exclusive migration entries restore PageAnonExclusive (5.19)', since: 'E5' },
  { name: 'swap-pte-exclusive', commit: '1493a1913e34', title: 'mm/swap: remember PG_anon_exclusive via a swp pte bit (try_to_unmap sets it, do_swap_page maps exclusive without looking at counts; 5.19)', since: 'E5' },
  // 5.17 (stable 5.15.y/5.16.y too); E3's first releases lack it, so the era table starts it at E4.
  { name: 'numa-skip-refcount', commit: '80d47f5de5e3', title: 'mm: don\'t try to NUMA-migrate COW pages that have other uses (change_pte_range skips COW pages with page_count()!=1, not page_mapcount()!=1 as since 859d4adc3415)', since: 'E4' },
  { name: 'numa-skip-pinned', commit: 'mm: support multi-size THP numa balancing (Baolin Wang, 6.10; mainline id unverified)', title: 'change_pte_range skips COW folios that are folio_maybe_dma_pinned() or folio_likely_mapped_shared() (instead of page_count()!=1)', since: 'E8' },
  { name: 'numa-restore-pae', commit: '6a56ccbcf6c6', title: 'mm/autonuma: use can_change_(pte|pmd)_writable() to replace savedwrite (do_numa_page maps writable only an exclusive anon page of a VM_WRITE VMA; 6.2)', since: 'E6' },
] as const satisfies readonly SwitchInfo[];

export type SwitchName = (typeof SWITCHES)[number]['name'];
export const SWITCH_NAMES: readonly SwitchName[] = SWITCHES.map((s) => s.name);

/** A resolved kernel: an era plus its switches (possibly toggled by --with/--without). */
export interface Kernel {
  readonly era: EraInfo;
  /** what the user asked for: `5.10`, `E2`, ... */
  readonly label: string;
  readonly switches: ReadonlySet<SwitchName>;
  /** switches toggled relative to the era's defaults, for headers */
  readonly toggled: readonly string[];
}

function eraIndex(id: EraId): number {
  return ERA_IDS.indexOf(id);
}

export function switchesOf(era: EraInfo): Set<SwitchName> {
  const on = new Set<SwitchName>();
  for (const s of SWITCHES as readonly SwitchInfo[]) {
    if (s.since === undefined) continue;
    const lo = eraIndex(s.since);
    const hi = s.until ? eraIndex(s.until) : ERA_IDS.length - 1;
    if (era.index >= lo && era.index <= hi) on.add(s.name as SwitchName);
  }
  return on;
}

export function kernelOfEra(era: EraInfo, label = era.representative): Kernel {
  return { era, label, switches: switchesOf(era), toggled: [] };
}

function parseRelease(text: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?(?:-rc\d+)?$/.exec(text);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2])];
}

function cmp(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

/** The era of a release such as `5.10` or `6.1.55`, or of an era id `E2`. */
export function eraOf(text: string): EraInfo | undefined {
  const byId = ERAS.find((e) => e.id === text.toUpperCase());
  if (byId) return byId;
  const rel = parseRelease(text);
  if (!rel) return undefined;
  if (cmp(rel, [2, 6]) < 0) return undefined;
  return ERAS.find((e) => cmp(rel, e.from) >= 0 && cmp(rel, e.to) <= 0);
}

const KERNEL_HINT = 'a release such as 5.10 or 6.1, an era id E0..E9, a comma list, or "all"';

/** Resolve `--kernel`: a release, an era id, a comma list or `all`. */
export function resolveKernels(spec: string): Kernel[] {
  const out: Kernel[] = [];
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    if (part === 'all') {
      out.push(...ERAS.map((e) => kernelOfEra(e)));
      continue;
    }
    const era = eraOf(part);
    if (!era) {
      throw new PincowError('unknown-kernel', `unknown kernel "${part}"; expected ${KERNEL_HINT}${didYouMean(part, [...ERA_IDS, 'all'])}`);
    }
    out.push(kernelOfEra(era, ERA_IDS.includes(part.toUpperCase() as EraId) ? era.representative : part));
  }
  return out;
}

/** Apply `--with`/`--without` toggles (switch names are checked). */
export function toggleSwitches(k: Kernel, withs: readonly string[], withouts: readonly string[]): Kernel {
  const on = new Set(k.switches);
  const toggled: string[] = [];
  for (const [list, add] of [[withs, true], [withouts, false]] as const) {
    for (const name of list) {
      if (!SWITCH_NAMES.includes(name as SwitchName)) {
        throw new PincowError('unknown-name', `unknown switch "${name}"${didYouMean(name, SWITCH_NAMES)}; see "pincow list kernels"`);
      }
      if (add) on.add(name as SwitchName);
      else on.delete(name as SwitchName);
      toggled.push(`${add ? '+' : '-'}${name}`);
    }
  }
  return { ...k, switches: on, toggled };
}

/**
 * A scenario's own `with` / `without` switches (config.ts kernelWith) on
 * top of a kernel: each is applied unless it is in effect already or the
 * kernel's own toggles (the command line's --with/--without) name it, so
 * the command line wins and applying twice changes nothing.
 */
export function withScenarioSwitches(k: Kernel, withs: readonly string[] = [], withouts: readonly string[] = []): Kernel {
  const named = (n: string): boolean => k.toggled.includes(`+${n}`) || k.toggled.includes(`-${n}`);
  const on = withs.filter((n) => !named(n) && !k.switches.has(n as SwitchName));
  const off = withouts.filter((n) => !named(n) && k.switches.has(n as SwitchName));
  if (on.length === 0 && off.length === 0) return k;
  const t = toggleSwitches({ ...k, toggled: [] }, on, off);
  return { ...t, toggled: [...k.toggled, ...t.toggled] };
}

/**
 * Does the era fall within an expectation range? Ranges: `5.10`, `E2`,
 * `<=5.8`, `>=5.19`, `<E5`, `5.9..5.18`, `E2..E4`, `all`. A release range
 * covers every era that contains a release inside it.
 */
export function rangeCovers(range: string, era: EraInfo): boolean | undefined {
  if (range === 'all') return true;
  const toBounds = (t: string): [EraInfo, EraInfo] | undefined => {
    const e = eraOf(t);
    return e ? [e, e] : undefined;
  };
  let lo: number;
  let hi: number;
  const m = /^(<=|>=|<|>)(.+)$/.exec(range);
  const dots = range.split('..');
  if (m) {
    const b = toBounds(m[2]!);
    if (!b) return undefined;
    const i = b[0].index;
    [lo, hi] = m[1] === '<=' ? [0, i] : m[1] === '>=' ? [i, 9] : m[1] === '<' ? [0, i - 1] : [i + 1, 9];
  } else if (dots.length === 2) {
    const a = toBounds(dots[0]!);
    const b = toBounds(dots[1]!);
    if (!a || !b) return undefined;
    [lo, hi] = [a[0].index, b[1].index];
  } else {
    const b = toBounds(range);
    if (!b) return undefined;
    [lo, hi] = [b[0].index, b[1].index];
  }
  return era.index >= lo && era.index <= hi;
}

export function checkRange(range: string): string | undefined {
  return rangeCovers(range, ERAS[0]!) === undefined ? `unknown kernel range "${range}"; expected a release (5.10), an era (E2), <=X, >=X, X..Y or all` : undefined;
}
