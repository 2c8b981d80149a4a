/** `pincow list scenarios|invariants|kernels|ops`: what exists, with references. */
import { INVARIANTS } from '../../invariants/index.js';
import { ERAS, SWITCHES, switchesOf } from '../../model/kernels.js';
import type { SwitchInfo } from '../../model/kernels.js';
import { OPS } from '../../model/ops/index.js';
import { OPEN_OP_GROUPS, OPEN_OPS } from '../../scenario/open.js';
import { catalogNames, loadScenario } from '../../scenario/catalog.js';
import { PincowError, didYouMean } from '../../model/errors.js';
import { EXIT_OK } from '../common.js';
import type { Io } from '../common.js';

export const LIST_WHAT = ['scenarios', 'invariants', 'kernels', 'ops'] as const;

function scenarios(): string[] {
  return catalogNames().flatMap((n) => {
    const s = loadScenario(n);
    return [`${n}: ${s.title}`, `    checks ${s.invariants.join(', ')}; refs ${s.refs.join(' ')}`];
  });
}

function invariants(): string[] {
  return INVARIANTS.flatMap((i) => [`${i.name}: ${i.title}`, `    meant to hold: ${i.meantFrom}; ${i.ref}`]);
}

function kernels(): string[] {
  // Each era lists the switches it turns on or off relative to the one before.
  const eras = ERAS.map((e, i) => {
    const now = switchesOf(e);
    const before = i > 0 ? switchesOf(ERAS[i - 1]!) : new Set<string>();
    const delta = [...[...now].filter((s) => !before.has(s)).map((s) => `+${s}`), ...[...before].filter((s) => !now.has(s as never)).map((s) => `-${s}`)];
    return `${e.id}  ${e.releases.padEnd(10)} ${e.summary}\n    ${delta.join(' ') || '(no switch changes)'}`;
  });
  const sw = (SWITCHES as readonly SwitchInfo[]).map((s) => `${s.name}: ${s.title}\n    commit ${s.commit}; ${s.since ? `on from ${s.since}${s.until ? ` to ${s.until}` : ''}` : (s.commit.startsWith('architecture') ? 'an architecture parameter, off by default' : 'a proposal, off by default')}`);
  return ['Eras (--kernel takes a release such as 5.10, an era id, a comma list or all):', ...eras, '', 'Switches (--with/--without NAME):', ...sw];
}

function ops(): string[] {
  return [...OPS.map((o) => `${o.syntax}  [${o.who}]\n    ${o.functions} (reference ${o.ref})`), '', ...openOps()];
}

/** The open-mode alphabet (`pincow explore --ops`), with the groups and the default. */
function openOps(): string[] {
  const groups = Object.entries(OPEN_OP_GROUPS).filter(([g]) => g !== 'default' && g !== 'all').map(([g, m]) => `${g} = ${m.join(',')}`);
  return [
    'Open mode alphabet (pincow explore --ops NAME,...; docs/open-mode.md):',
    ...OPEN_OPS.map((o) => `${o.name}${o.inDefault ? ' *' : ''}  [${o.who}] ${o.syntax}\n    ${o.meaning}`),
    '* = in the default alphabet (--ops default). Groups (all = every op):',
    ...groups.map((g) => `    ${g}`),
  ];
}

export function runList(what: string, io: Io): number {
  if (!(LIST_WHAT as readonly string[]).includes(what)) {
    throw new PincowError('bad-option', `cannot list "${what}"; expected one of ${LIST_WHAT.join(', ')}${didYouMean(what, LIST_WHAT)}`);
  }
  const lines = what === 'scenarios' ? scenarios() : what === 'invariants' ? invariants() : what === 'kernels' ? kernels() : ops();
  io.out(lines.join('\n'));
  return EXIT_OK;
}
