/**
 * Which bytes of the packed state each invariant's verdict reads, for
 * partial-order reduction's visibility condition (explorer/por.ts C2): a
 * step that changes none of the bytes the checked invariants read is
 * invisible and may be deferred; any other step is visible.
 *
 * INVARIANT AUTHORS: when an invariant's predicate (`make`) starts reading
 * another field, add it here. An invariant missing from this table reads
 * every byte (POR then reduces nothing, safely). The masks are per field,
 * over every record of a region (conservative); what `explain` reads does
 * not count (it runs on the replayed trace, not during the search).
 * test/soundness/footprints.test.ts checks, on every reachable state of
 * small configurations, that changing unmasked bytes never changes a
 * verdict.
 */
import * as L from '../model/layout.js';
import type { Layout } from '../model/layout.js';
import type { MmModel } from '../model/mmModel.js';

type Region = 'header' | 'mm' | 'pte' | 'page' | 'pin' | 'actor';
type Reads = Partial<Record<Region, readonly number[]>>;

const PTE_MAPS = [L.PT_KIND, L.PT_PFN];
const PIN_ALL = [L.PIN_STATE, L.PIN_PFN, L.PIN_GHOST, L.PIN_VA];

/** Fields read per invariant (by its stable name). */
const READS: Readonly<Record<string, Reads>> = {
  'pin-coherent': { pin: PIN_ALL, pte: PTE_MAPS, mm: [L.MM_ALIVE] },
  'pin-stays-mapped': { pin: PIN_ALL, pte: PTE_MAPS, mm: [L.MM_ALIVE], page: [L.PG_FLAGS] },
  'pinned-not-cow-shared': { pin: PIN_ALL, pte: PTE_MAPS, page: [L.PG_FLAGS] },
  'no-missed-cow': { header: [L.G_MISSED_COW] },
  'anon-exclusive-sound': { pin: PIN_ALL, pte: PTE_MAPS, page: [L.PG_FLAGS] },
  'writable-implies-exclusive': { pte: [L.PT_KIND, L.PT_PFN, L.PT_FLAGS], page: [L.PG_FLAGS, L.PG_MAPCOUNT] },
  'refcount-consistent': {
    header: [L.G_BAD_FREE], pte: PTE_MAPS, pin: PIN_ALL, actor: [L.A_HOLD, L.A_NEW],
    page: [L.PG_REFS, L.PG_PINS, L.PG_MAPCOUNT, L.PG_FLAGS],
  },
  'kernel-asserts': { header: [L.G_ASSERT] },
  'ksm-not-exclusive': { pin: PIN_ALL, page: [L.PG_FLAGS] },
};

function records(lay: Layout, r: Region): { base: number; size: number; count: number } {
  switch (r) {
    case 'header': return { base: 0, size: L.HEADER_SIZE, count: 1 };
    case 'mm': return { base: lay.mmBase, size: L.MM_SIZE, count: lay.nMm };
    case 'pte': return { base: lay.ptBase, size: L.PT_SIZE, count: lay.nMm * lay.nVa };
    case 'page': return { base: lay.pgBase, size: L.PG_SIZE, count: lay.nFrames };
    case 'pin': return { base: lay.pinBase, size: L.PIN_SIZE, count: lay.nPins };
    case 'actor': return { base: lay.actBase, size: L.A_SIZE, count: lay.nActors };
  }
}

/**
 * The bytes invariant `name` reads in `model`'s states (1 = read), or
 * undefined if unknown (then every byte counts as read). Configurations
 * with THP regions read the PMD section too: undefined there.
 */
export function invariantReads(model: MmModel, name: string): Uint8Array | undefined {
  const reads = READS[name];
  if (!reads || model.lay.nThp > 0) return undefined;
  const mask = new Uint8Array(model.stateBytes);
  for (const [r, fields] of Object.entries(reads) as [Region, readonly number[]][]) {
    const { base, size, count } = records(model.lay, r);
    for (let i = 0; i < count; i++) for (const f of fields) mask[base + i * size + f] = 1;
  }
  return mask;
}
