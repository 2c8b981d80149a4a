/**
 * refcount-consistent for a large folio (a THP, model/thp.ts): the
 * folio-wide refcount on the head accounts for every PTE mapping of any
 * subpage, every huge PMD mapping, the swap cache (nr_pages), FOLL_GET
 * references and transient references; a FOLL_PIN adds 1 to both the
 * refcount and _pincount (reference §A.1); each subpage's mapcount counts
 * its PTEs, the entire mapcount the huge PMDs. Used by
 * refcountConsistent.ts; '' when consistent.
 */
import * as L from '../model/layout.js';
import type { MmModel } from '../model/mmModel.js';
import type { StateView } from '../model/view.js';

/** Does frame p belong to the folio with head h? */
const inFolio = (p: number, h: number): boolean => p >= h && p < h + L.THP_NR;

function pteMaps(v: StateView, p: number): number {
  let n = 0;
  for (let mm = 0; mm < v.lay.nMm; mm++) {
    for (let va = 0; va < v.lay.nVa; va++) {
      const k = v.kind(mm, va);
      if ((k === L.PTE_PRESENT || k === L.PTE_PROTNONE || k === L.PTE_CLEARED) && v.pfn(mm, va) === p) n++;
    }
  }
  return n;
}

function pmdMaps(v: StateView, h: number): number {
  let n = 0;
  for (let mm = 0; mm < v.lay.nMm; mm++) {
    for (let r = 0; r < v.lay.nThp; r++) if (v.pmdKind(mm, r) === L.PMD_HUGE && v.pmdPfn(mm, r) === h) n++;
  }
  return n;
}

/** The first inconsistency of the large folio with head h, or ''. */
export function largeFolioProblem(m: MmModel, v: StateView, h: number): string {
  const maps: number[] = [];
  for (let i = 0; i < L.THP_NR; i++) maps.push(pteMaps(v, h + i));
  const huge = pmdMaps(v, h);
  let pins = 0;
  let gets = 0;
  m.cfg.pins.forEach((pin, i) => {
    if (!v.pinHolds(i) || !inFolio(v.pinPfn(i), h)) return;
    if (pin.foll_pin) pins++;
    else gets++;
  });
  let transient = 0;
  for (let a = 0; a < v.lay.nActors; a++) {
    if (inFolio(v.act(a, L.A_HOLD), h)) transient++;
    if (inFolio(v.act(a, L.A_NEW), h)) transient++;
  }
  const mapped = maps.reduce((x, y) => x + y, 0) + huge;
  if (!v.hasFlag(h, L.PGF_ALLOC)) {
    return mapped + pins + gets + transient > 0 ? `THP page#${h} is free but still mapped or referenced.` : '';
  }
  const swap = v.hasFlag(h, L.PGF_SWAPCACHE) ? L.THP_NR : 0;
  const refs = mapped + swap + gets + transient;
  if (v.page(h, L.PG_REFS) !== refs || v.page(h, L.PG_PINS) !== pins) {
    return `THP page#${h} refcount ${v.refcount(h)} (pincount ${v.page(h, L.PG_PINS)}), but its holders account for ${refs + pins} (${pins} pins).`;
  }
  for (let i = 0; i < L.THP_NR; i++) {
    if (!v.hasFlag(h + i, L.PGF_ALLOC)) return `page#${h + i} of THP page#${h} is free while the folio is not.`;
    if (v.page(h + i, L.PG_MAPCOUNT) !== maps[i]) return `page#${h + i} mapcount ${v.page(h + i, L.PG_MAPCOUNT)}, but ${maps[i]} PTEs map it.`;
  }
  if (v.entireMapcount(h) !== huge) return `THP page#${h} entire mapcount ${v.entireMapcount(h)}, but ${huge} PMDs map it.`;
  if (v.refcount(h) === 0) return `THP page#${h} has no holder left but was never freed (leak).`;
  return '';
}
