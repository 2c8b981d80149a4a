/**
 * The scenario language's shared mappings (docs/scenario-language.md,
 * "Mappings"): `mmap A shared` maps a MAP_SHARED|MAP_ANONYMOUS page, backed
 * by a shmem object whose page cache the model keeps in one frame per VA
 * (model/shmem.ts). That needs one object per VA, so a VA may be mapped
 * shared by one instruction only, and operations the model knows for
 * private anonymous memory only may not aim at it. Used by compile.ts.
 */
import type { ActorConfig, InstrConfig, ModelConfig, OpKind } from '../model/config.js';
import { PincowError } from '../model/errors.js';
import type { SourcePos } from '../model/errors.js';
import * as L from '../model/layout.js';
import type { Instr } from './ast.js';

/** mmap words that cannot go with `shared` (why, for the message). */
const CONFLICTS: Readonly<Record<string, string>> = {
  private: 'a mapping is MAP_PRIVATE or MAP_SHARED',
  thp: 'THP regions are private anonymous memory in the model (shmem THP is not modelled)',
  uffd: 'userfaultfd on shmem (shmem_get_folio_gfp -> handle_userfault) is not modelled',
  wipeonfork: 'MADV_WIPEONFORK fails with -EINVAL on a VM_SHARED VMA ("only supported on anonymous memory")',
};

/** The VMA flag of an `mmap VA ...` instruction's words: VMA_SHARED for `shared`, refusing what cannot go with it. */
export function sharedFlag(ins: Instr, words: readonly string[]): number {
  if (!words.includes('shared')) return 0;
  const bad = ins.args.slice(1).find((w) => Object.hasOwn(CONFLICTS, w.text));
  if (bad) throw new PincowError('invalid-scenario', `"shared" and "${bad.text}" do not go together: ${CONFLICTS[bad.text]}`, bad.pos);
  return L.VMA_SHARED;
}

/**
 * Operations whose kernel paths the model has for private anonymous pages
 * only: on a shmem page they would do what they do to an anon page (or
 * skip it), while the kernel reclaims, migrates, NUMA-hints or moves shmem
 * pages its own way (mremap would also move the object away from its VA).
 * Until they learn page-cache pages, a scenario may not aim them at a
 * shared VA (nor use `any` next to a shared mapping).
 */
const SHARED_UNAWARE: ReadonlySet<OpKind> = new Set<OpKind>([
  'uffd-copy', 'uffd-zeropage', 'uffd-wake', 'uffd-read', 'ksm-merge', 'uprobe-register', 'uprobe-unregister',
  'mremap', 'uffd-move', 'pageout', 'migrate', 'numa-scan', 'collapse',
]);

function posOf(i: InstrConfig, file: string): SourcePos {
  const [line, col] = i.source.split(':').map(Number);
  return { file, line: line ?? 1, col: col ?? 1 };
}

const all = (actors: readonly ActorConfig[]): InstrConfig[] => actors.flatMap((a) => a.program.flatMap((i) => (i.alts ? [i, ...i.alts] : [i])));

const isSharedMmap = (i: InstrConfig): boolean => i.kind === 'mmap' && (i.vmaFlags & L.VMA_SHARED) !== 0;

/**
 * The configuration's shared VAs (config.ts `shared`), after checking that
 * each is mapped shared by one instruction, on one small page, and that no
 * shared-unaware operation aims at it. `smallFrames` is config.ts `frames`:
 * the page-cache frames come after it and must stay below NO_PFN.
 */
export function sharedConfig(actors: readonly ActorConfig[], vas: readonly string[], smallFrames: number, file: string): Pick<ModelConfig, 'shared'> {
  const first = new Map<number, InstrConfig>();
  for (const i of all(actors).filter(isSharedMmap)) {
    if ((i.span ?? 1) > 1) throw new PincowError('invalid-scenario', `"${i.text}": a THP region cannot be mapped shared; name a small-page VA`, posOf(i, file));
    const earlier = first.get(i.va);
    if (earlier) {
      throw new PincowError('invalid-scenario',
        `VA ${vas[i.va]} is already mapped shared at line ${earlier.source.split(':')[0]}: pincow models one shmem object per VA (model/shmem.ts), so "mmap ${vas[i.va]} shared" may appear once`, posOf(i, file));
    }
    first.set(i.va, i);
  }
  if (first.size === 0) return {};
  refuseSharedUnaware(actors, vas, new Set(first.keys()), file);
  if (smallFrames + first.size >= L.NO_PFN) {
    const i = [...first.values()][0]!;
    throw new PincowError('invalid-scenario', `too many page frames: the scenario needs ${smallFrames} plus one per shared VA, at most ${L.NO_PFN - 1} are supported`, posOf(i, file));
  }
  return { shared: [...first.keys()].sort((a, b) => a - b) };
}

function refuseSharedUnaware(actors: readonly ActorConfig[], vas: readonly string[], shared: ReadonlySet<number>, file: string): void {
  for (const a of actors) {
    for (const i of a.program) {
      for (const x of i.alts ?? [i]) {
        if (!SHARED_UNAWARE.has(x.kind)) continue;
        const va = i.alts ? [...shared][0] : [x.va, x.va2].find((y) => y !== undefined && shared.has(y));
        if (va === undefined) continue;
        throw new PincowError('invalid-scenario',
          `"${i.text}" ${i.alts ? 'may pick' : 'names'} VA ${vas[va]}, which is mapped shared ("mmap ${vas[va]} shared"), and this operation handles private anonymous pages only in the model (model/shmem.ts); aim it at a private mapping`,
          posOf(i, file));
      }
    }
  }
}
