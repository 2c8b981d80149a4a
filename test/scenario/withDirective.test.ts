/**
 * The `with` / `without` header directives: kernel switches a scenario
 * turns on or off on every era (proposals such as uffd-move-cross-mm in the
 * catalogue matrix); parsed, printed back by fmt, checked against the
 * switch names, applied by MmModel, and overridden by the command line.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../api/check.js';
import { PincowError } from '../../model/errors.js';
import { resolveKernels, toggleSwitches } from '../../model/kernels.js';
import { MmModel } from '../../model/mmModel.js';
import { compileText } from '../../scenario/catalog.js';
import { formatScenario } from '../../scenario/format.js';
import { parseScenario } from '../../scenario/parse.js';

const TEXT = `scenario w
check pinned-not-cow-shared
with uffd-move-cross-mm
without uffd-move-pin-check, uffd-move-pin-recheck

setup:
  P0: mmap A anon; mmap B anon; fork P1; write A; pin A rw
P0:
  uffd-move A B to P1
  signal moved
P1:
  wait moved
  fork P2
`;

const errOf = (text: string): PincowError => {
  try {
    compileText(text, 't.pincow', false);
  } catch (e) {
    return e as PincowError;
  }
  throw new Error('no error');
};

describe('with / without directives', () => {
  it('parse into the AST and format back unchanged (canonical form)', () => {
    const ast = parseScenario(TEXT, 't.pincow');
    expect(ast.with?.map((w) => w.text)).toEqual(['uffd-move-cross-mm']);
    expect(ast.without?.map((w) => w.text)).toEqual(['uffd-move-pin-check', 'uffd-move-pin-recheck']);
    expect(formatScenario(ast)).toBe(TEXT);
  });

  it('compile into the model configuration; MmModel applies them on every era', () => {
    const s = compileText(TEXT, 't.pincow', false);
    expect(s.cfg.kernelWith).toEqual(['uffd-move-cross-mm']);
    const m = new MmModel(s.cfg, resolveKernels('6.12')[0]!);
    expect(m.kernel.switches.has('uffd-move-cross-mm')).toBe(true);
    expect(m.kernel.switches.has('uffd-move-pin-check')).toBe(false);
    expect(m.kernel.toggled).toEqual(['+uffd-move-cross-mm', '-uffd-move-pin-check', '-uffd-move-pin-recheck']);
    expect(m.k.uffdMoveCrossMm).toBe(true);
  });

  it('make the scenario violated on 6.12, where the merged checks alone would hold', () => {
    const s = compileText(TEXT, 't.pincow', false);
    expect(check(s, resolveKernels('6.12')[0]!).verdict).toBe('violated');
  });

  it('yield to the command line: --with uffd-move-pin-check wins over the scenario\'s without', () => {
    const s = compileText(TEXT, 't.pincow', false);
    const k = toggleSwitches(resolveKernels('6.12')[0]!, ['uffd-move-pin-check'], []);
    const m = new MmModel(s.cfg, k);
    expect(m.kernel.switches.has('uffd-move-pin-check')).toBe(true);
    expect(check(s, k).verdict).toBe('holds');
  });

  it('leave a scenario without them exactly on its kernel', () => {
    const s = compileText(TEXT.replace(/^with.*\nwithout.*\n/m, ''), 't.pincow', false);
    const k = resolveKernels('6.12')[0]!;
    expect(new MmModel(s.cfg, k).kernel).toBe(k);
  });

  it('reject an unknown switch, with where and what is accepted', () => {
    const e = errOf(TEXT.replace('with uffd-move-cross-mm', 'with uffd-move-crossmm'));
    expect(e.code).toBe('unknown-name');
    expect(e.message).toContain('t.pincow:3:6: unknown kernel switch "uffd-move-crossmm"; see "pincow list kernels" (did you mean "uffd-move-cross-mm"?)');
  });

  it('reject a switch both turned on and off', () => {
    const e = errOf(TEXT.replace('without uffd-move-pin-check', 'without uffd-move-cross-mm'));
    expect(e.code).toBe('invalid-scenario');
    expect(e.message).toContain('switch "uffd-move-cross-mm" is both in "with" and in "without"');
  });
});
