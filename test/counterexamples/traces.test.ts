// Counterexamples users paste into a reply: for every violation in the
// catalogue on every era, the trace is 1-minimal (no single step can be
// removed), fits 72 columns, round-trips through ITF replay, and the text
// of the foundation scenarios' traces is pinned by snapshots.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../api/check.js';
import { replayItf, toItf, toVitest } from '../../api/replay.js';
import { finalState } from '../../counterexamples/minimize.js';
import { invariantByName } from '../../invariants/index.js';
import { ERAS, kernelOfEra, resolveKernels } from '../../model/kernels.js';
import { MmModel } from '../../model/mmModel.js';
import { catalogNames, loadScenario } from '../../scenario/catalog.js';

const violations = catalogNames().flatMap((name) => {
  const s = loadScenario(name);
  return ERAS.flatMap((era) => {
    const k = kernelOfEra(era);
    return check(s, k).invariants.filter((i) => i.verdict === 'violated').map((iv) => ({ s, k, iv, label: `${name} on ${era.id}: ${iv.invariant}` }));
  });
});

describe.each(violations)('$label', ({ s, k, iv }) => {
  it('fits 72 columns', () => {
    for (const line of iv.text!.split('\n')) expect(line.length).toBeLessThanOrEqual(72);
  });
  it('loses the violation (or stops replaying) when any single step is removed', () => {
    const model = new MmModel(s.cfg, k);
    const pred = invariantByName(iv.invariant)!.make(model);
    const path = iv.path!;
    for (let i = 0; i < path.length; i++) {
      const end = finalState(model, [...path.slice(0, i), ...path.slice(i + 1)]);
      expect(end === undefined || pred(model.view(end))).toBe(true);
    }
  });
  it('replays from ITF and still violates what it claims', () => {
    const r = replayItf(JSON.parse(JSON.stringify(toItf(s, k, iv.invariant, iv.path!))));
    expect(r.violated).toContain(iv.invariant);
    expect(r.path).toEqual(iv.path);
  });
});

describe('trace text snapshots of the foundation scenarios', () => {
  it.each([
    ['ro-pin-previously-shared', '5.10', 'pin-coherent'],
    ['fork-after-pin', '5.8', 'pin-coherent'],
    ['vmsplice-child-unmap', '5.7', 'no-missed-cow'],
    ['gup-fast-vs-fork', '5.10', 'pinned-not-cow-shared'],
  ])('%s on %s (%s)', (name, kernel, invariant) => {
    const r = check(loadScenario(name), resolveKernels(kernel)[0]!);
    expect(r.invariants.find((i) => i.invariant === invariant)!.text).toMatchSnapshot();
  });
});

describe('pincow replay (CLI)', () => {
  const BIN = join(__dirname, '..', '..', 'bin', 'pincow.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const dir = mkdtempSync(join(tmpdir(), 'pincow-itf-'));

  it('check --format itf > t.json && replay t.json exits 1', () => {
    const c = run('check', 'vmsplice-child-unmap', '--kernel', '5.7', '--format', 'itf');
    expect(c.status).toBe(1);
    const f = join(dir, 't.json');
    writeFileSync(f, c.stdout);
    const r = run('replay', f);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('no-missed-cow still violated');
  });
  it.each([
    ['a changed state', (t: any) => { t.states[5].mms[0].ptes.A.pfn = 3; }, /step 5: mms\.0\.ptes\.A\.pfn is 1, the trace says 3/],
    ['an actor that cannot run', (t: any) => { t.states[2]['#meta'].actor = 'P1'; }, /step 2: P1 has no enabled step here/],
    ['an unknown actor', (t: any) => { t.states[1]['#meta'].actor = 'P9'; }, /step 1: unknown actor "P9"/],
    ['an unknown kernel', (t: any) => { t['#meta'].kernel = '9.x'; }, /unknown kernel "9.x"/],
    ['not ITF', (t: any) => { t['#meta'].format = 'other'; }, /not an ITF trace/],
  ])('a corrupted trace (%s) exits 2 with the step and the reason', (_what, corrupt, message) => {
    const t = JSON.parse(run('check', 'vmsplice-child-unmap', '--kernel', '5.7', '--format', 'itf').stdout);
    corrupt(t);
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify(t));
    const r = run('replay', f);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  it('a trace of a bug that no longer reproduces exits 0', () => {
    const t = JSON.parse(run('check', 'vmsplice-child-unmap', '--kernel', '5.7', '--format', 'itf').stdout);
    t['#meta'].invariant = 'refcount-consistent';
    const f = join(dir, 'other.json');
    writeFileSync(f, JSON.stringify(t));
    expect(run('replay', f).status).toBe(0);
  });
});

describe('--format vitest', () => {
  it('regenerates the committed regression test byte for byte', () => {
    const s = loadScenario('ro-pin-previously-shared');
    const k = resolveKernels('5.10')[0]!;
    const iv = check(s, k).invariants[0]!;
    const committed = readFileSync(join(__dirname, '..', 'regressions', 'ro-pin-previously-shared-5.10.test.ts'), 'utf8');
    expect(toVitest(s, k, iv.invariant, iv.path!)).toBe(committed);
  });
});
