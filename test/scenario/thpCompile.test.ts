/**
 * The scenario language's THP names (scenario/thpCompile.ts,
 * docs/scenario-language.md "THP"): `mmap A thp` declares a region of
 * THP_NR subpages A.0, A.1; region-level operations take the region or a
 * subpage, accesses take a subpage; khugepaged's `collapse P A`.
 */
import { describe, expect, it } from 'vitest';
import * as L from '../../model/layout.js';
import { compile, error } from './compileHelpers.js';

describe('THP regions', () => {
  it('mmap A thp declares the subpage VAs A.0 and A.1 and a region; the model reserves large-folio frames', () => {
    const s = compile('setup:\n  P0: mmap B; mmap A thp\nP0:\n  write A.1\n  munmap A\n  munmap A.0\n');
    expect(s.cfg.vas).toEqual(['B', 'A.0', 'A.1']);
    expect(s.cfg.thps).toEqual([{ name: 'A', va: 1 }]);
    expect(s.cfg.largeFolios).toBe(2); // one per (process, region) plus one spare
    const prog = s.cfg.actors[0]!.program;
    expect(prog[1]).toMatchObject({ kind: 'mmap', va: 1, span: L.THP_NR });
    expect(prog[2]).toMatchObject({ kind: 'write', va: 2 });
    expect(prog[3]).toMatchObject({ kind: 'munmap', va: 1, span: L.THP_NR });
    expect(prog[4]).toMatchObject({ kind: 'munmap', va: 1 });
    expect(prog[4]!.span).toBeUndefined();
  });

  it('a scenario without THP has no THP fields at all (its configuration is unchanged)', () => {
    const s = compile('setup:\n  P0: mmap A\nP0:\n  write A\n');
    expect('thps' in s.cfg).toBe(false);
    expect('largeFolios' in s.cfg).toBe(false);
    expect('span' in s.cfg.actors[0]!.program[0]!).toBe(false);
  });

  it.each([
    ['an access names the region', 'setup:\n  P0: mmap A thp\nP0:\n  write A\n', 't.pincow:5:9: "A" is a THP region: "write" takes one of its subpages, A.0 or A.1'],
    ['a pin names the region', 'setup:\n  P0: mmap A thp\nP0:\n  pin A ro\n', 't.pincow:5:7: "A" is a THP region: "pin" takes one of its subpages, A.0 or A.1'],
    ['a small mapping made THP later', 'setup:\n  P0: mmap A; mmap A thp\nP0:\n  write A\n', 't.pincow:3:20: "A" is already a small-page mapping: a THP region needs a name of its own'],
    ['a subpage name as region', 'setup:\n  P0: mmap A.0 thp\nP0:\n  write A.0\n', 't.pincow:3:12: "A.0" looks like a subpage name: name the THP region itself, like "mmap A thp" (its subpages are A.0..A.1)'],
    ['collapse of a small mapping', 'setup:\n  P0: mmap A\nkhugepaged:\n  collapse P0 A\n', 't.pincow:5:15: "A" is not a THP region: collapse works on a region created by "mmap NAME thp"'],
  ])('refuses %s, saying where and what is accepted', (_what, text, message) => {
    const e = error(text);
    expect(e.code).toBe('invalid-scenario');
    expect(e.message).toBe(message);
  });

  it.each([
    ['uprobes register P0 A.0', 'uprobes:\n  register P0 A.0\n', 't.pincow:5:3: "register P0 A.0" names a subpage of THP region A'],
    ['ksmd merge on a subpage', 'ksmd:\n  merge P0 B P0 A.1\n', 't.pincow:5:3: "merge P0 B P0 A.1" names a subpage of THP region A'],
    ['uprobes register any', 'uprobes:\n  register any\n', 't.pincow:5:3: "register any" may pick a subpage of THP region A'],
  ])('refuses an operation that handles small pages only when aimed at a THP region: %s', (_what, text, start) => {
    const e = error(`setup:\n  P0: mmap A thp; mmap B\n${text}`);
    expect(e.code).toBe('invalid-scenario');
    expect(e.message.startsWith(start)).toBe(true);
    expect(compile('setup:\n  P0: mmap A thp; mmap B\nuprobes:\n  register P0 B\n').cfg.thps).toHaveLength(1); // a small mapping is fine
  });

  it('collapse is khugepaged\'s: a thread cannot run it; khugepaged names a process and a region or subpage', () => {
    expect(error('setup:\n  P0: mmap A thp\nP0:\n  collapse P0 A\n').code).toBe('unknown-name');
    const s = compile('setup:\n  P0: mmap A thp; fork P1\nkhugepaged:\n  collapse P1 A.1\n');
    const k = s.cfg.actors.find((a) => a.name === 'khugepaged')!;
    expect(k.mm).toBe(-1);
    expect(k.program[0]).toMatchObject({ kind: 'collapse', target: 1, va: 0, span: L.THP_NR });
    expect(s.cfg.largeFolios).toBe(4); // 2 processes + 1 spare, + 1 per collapse
  });
});
