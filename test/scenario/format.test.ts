/**
 * Tests of the canonical printer (`pincow fmt`): the reference example is a
 * fixed point once formatted, every comment survives, end-of-line comments
 * are aligned, and fast-check properties: formatting is idempotent and loses
 * nothing of the AST, on generated scenarios and on mutations of the example.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PincowError } from '../../model/errors.js';
import type { ScenarioAst, Word } from '../../scenario/ast.js';
import { formatScenario } from '../../scenario/format.js';
import { parseScenario } from '../../scenario/parse.js';
import { EXAMPLE } from './example.js';


const parse = (text: string): ScenarioAst => parseScenario(text, 't.pincow');
const fmt = (text: string): string => formatScenario(parse(text));

/** The AST without positions or file name, to compare two parses. */
function shape(ast: ScenarioAst): unknown {
  return JSON.parse(JSON.stringify(ast, (k, v: unknown) => (k === 'pos' || k === 'file' ? undefined : v)));
}

const w = (text: string): Word => ({ text, pos: { file: 'x', line: 1, col: 1 } });

describe('formatScenario', () => {
  it('makes the reference example canonical with one blank line after the header, then is a fixed point', () => {
    const once = fmt(EXAMPLE);
    expect(once).toBe(EXAMPLE.replace('depth 40\n', 'depth 40\n\n'));
    expect(fmt(once)).toBe(once);
  });

  it('prints a messy file canonically, keeping every comment', () => {
    const messy = [
      '#!/usr/bin/env pincow',
      '  # indented top',
      '',
      'scenario   x-1   # the name',
      '# between directives',
      'depth 3 # d',
      'refs a,b  # r1',
      'refs c    # r2',
      'title "a \\"q\\" # not a comment \\\\ x"',
      'check a b,c',
      '# before setup',
      'setup:   # setup here',
      '  # c1',
      '  P0: mmap A anon;write A  # sl',
      'expect x holds on all # e1',
      'P0: pin A ro as p; write A # same line',
      '',
      '\t# tabbed comment',
      '\twrite B;read B   # two',
      '# before P1',
      'P1:  # hdr',
      '  exit',
      '# tail1',
      '',
      '# tail2',
    ].join('\r\n');
    expect(fmt(messy)).toBe(
      [
        '#!/usr/bin/env pincow',
        '# indented top',
        '# between directives',
        'scenario x-1      # the name',
        'title "a \\"q\\" # not a comment \\\\ x"',
        'refs a b c        # r1 # r2',
        'check a, b, c',
        'depth 3           # d',
        '',
        '# before setup',
        'setup:                      # setup here',
        '  # c1',
        '  P0: mmap A anon; write A  # sl',
        'P0:',
        '  pin A ro as p',
        '  write A         # same line',
        '  # tabbed comment',
        '  write B',
        '  read B          # two',
        '# before P1',
        'P1:               # hdr',
        '  exit',
        'expect x holds on all  # e1',
        '# tail1',
        '# tail2',
        '',
      ].join('\n'),
    );
  });

  it('aligns end-of-line comments per block, not past very long lines', () => {
    const long = `  pin ${'A'.repeat(60)} ro`;
    const text = `scenario s\nP0:\n  write A # a\n  dma-write some-long-pin-name # b\n${long} # c\n  exit # d\n`;
    expect(fmt(text)).toBe(
      [
        'scenario s',
        '',
        'P0:',
        '  write A                       # a',
        '  dma-write some-long-pin-name  # b',
        `${long}  # c`,
        '  exit                          # d',
        '',
      ].join('\n'),
    );
  });

  it('prints only the scenario line for a minimal AST', () => {
    expect(fmt('scenario s')).toBe('scenario s\n');
  });

  it('prints an AST built in TypeScript, adding # to comments given without it', () => {
    const ast: ScenarioAst = {
      file: 'x',
      name: w('s'),
      title: 'say "hi" \\ bye',
      refs: [],
      check: [w('a'), w('b')],
      depth: undefined,
      setup: [],
      actors: [
        {
          actor: w('P0'),
          instrs: [{ op: w('pin'), args: [w('A'), w('ro')], as: w('p'), pos: w('').pos, leading: ['first\nsecond'], comment: 'why' }],
        },
      ],
      expects: [{ invariant: w('a'), verdict: 'holds', ranges: [w('all')], pos: w('').pos }],
      comments: ['top', ''],
    };
    const text = formatScenario(ast);
    expect(text).toBe(
      [
        '# top',
        '#',
        'scenario s',
        'title "say \\"hi\\" \\\\ bye"',
        'check a, b',
        '',
        'P0:',
        '  # first',
        '  # second',
        '  pin A ro as p   # why',
        'expect a holds on all',
        '',
      ].join('\n'),
    );
    expect(shape(parse(text))).toEqual(shape(parse(formatScenario(parse(text)))));
    expect(parse(text).title).toBe(ast.title);
  });
});

// ------------------------------------------------------------- properties

const blanks = fc.constantFrom(' ', '  ', '\t', ' \t ');
const optBlanks = fc.constantFrom('', ' ', '\t');
const commentText = fc
  .string({ unit: fc.constantFrom('a', 'b', ' ', '#', '"', ';', ':', ',', 'é', '😀', '\\'), maxLength: 12 })
  .map((s) => `#${s}`);
/** ` # comment` or nothing */
const eolComment = fc.option(fc.tuple(optBlanks, commentText).map(([b, c]) => b + c), { nil: '' });

const op = fc.constantFrom('mmap', 'write', 'read', 'pin', 'dma-write', 'fork', 'signal', 'wait', 'exit', 'madvise');
const arg = fc.constantFrom('A', 'B', 'ro', 'rw', 'fast', 'anon', 'P1', 'ev.1', 'x:y', '_z-', '5');
const asName = fc.option(fc.constantFrom('buf', 'p_0', 'x.y'), { nil: undefined });
const instr = fc
  .tuple(op, fc.array(arg, { maxLength: 3 }), asName, blanks)
  .map(([o, as, n, b]) => [o, ...as, ...(n ? ['as', n] : [])].join(b));
const instrs = fc
  .tuple(fc.array(instr, { minLength: 1, maxLength: 3 }), optBlanks, optBlanks)
  .map(([is, b1, b2]) => is.join(`${b1};${b2}`));
const indent = fc.constantFrom('  ', '\t', '    ');
const actorName = ['P0', 'P1', 'P0.T1', 'device', 'reclaim', 'ksmd'];

const setupSection = fc
  .tuple(eolComment, fc.array(fc.tuple(indent, fc.constantFrom(...actorName), instrs, eolComment), { minLength: 1, maxLength: 3 }))
  .map(([c, ls]) => [`setup:${c}`, ...ls.map(([i, a, is, lc]) => `${i}${a}:${i === '\t' ? '' : ' '}${is}${lc}`)]);

function actorSection(name: string): fc.Arbitrary<string[]> {
  return fc
    .tuple(fc.option(instrs, { nil: undefined }), eolComment, fc.array(fc.tuple(indent, instrs, eolComment), { maxLength: 3 }))
    .filter(([same, , ls]) => same !== undefined || ls.length > 0)
    .map(([same, c, ls]) => [`${name}:${same ? ` ${same}` : ''}${c}`, ...ls.map(([i, is, lc]) => i + is + lc)]);
}

const range = fc.constantFrom('5.10', '<=5.8', '>=5.19', '5.9..5.18', 'E2', 'E2..E4', 'all');
const expectLine = fc
  .tuple(fc.constantFrom('pin-coherent', 'no-missed-cow'), fc.constantFrom('holds', 'violated'), fc.array(range, { minLength: 1, maxLength: 3 }), eolComment)
  .map(([inv, v, rs, c]) => [`expect ${inv} ${v} on ${rs.join(', ')}${c}`]);

const directives = fc.tuple(
  fc.option(fc.string({ unit: fc.constantFrom('a', ' ', '"', '\\', '#', 'é'), maxLength: 10 }), { nil: undefined }),
  fc.array(fc.array(fc.constantFrom('seed:004', '09854ba94c6a', 'https://lore.kernel.org/x'), { minLength: 1, maxLength: 3 }), { maxLength: 2 }),
  fc.option(fc.array(fc.constantFrom('pin-coherent', 'no-missed-cow', 'kernel-asserts'), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
);

const directiveLines = fc
  .tuple(directives, eolComment, eolComment)
  .map(([[title, refs, check, depth], c1, c2]) => [
    ...(title !== undefined ? [[`title "${title.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"${c1}`]] : []),
    ...refs.map((r) => [`refs ${r.join(' ')}${c2}`]),
    ...(check ? [[`check ${check.join(', ')}`]] : []),
    ...(depth !== undefined ? [[`depth ${depth}`]] : []),
  ])
  .chain((ds) => fc.shuffledSubarray(ds, { minLength: ds.length, maxLength: ds.length }));

const body = fc
  .tuple(fc.option(setupSection, { nil: undefined }), fc.uniqueArray(fc.constantFrom(...actorName), { maxLength: 4 }), fc.array(expectLine, { maxLength: 3 }))
  .chain(([setup, names, expects]) =>
    fc.tuple(fc.tuple(...names.map(actorSection)), fc.constant(setup), fc.constant(expects)),
  )
  .chain(([actors, setup, expects]) => {
    const chunks = [...(setup ? [setup] : []), ...actors, ...expects];
    // setup and actor sections keep their relative order only by chance; expects may go anywhere
    return fc.shuffledSubarray(chunks, { minLength: chunks.length, maxLength: chunks.length });
  });

/** After any line: nothing, blank lines or standalone comment lines. */
const filler = fc.array(fc.oneof(fc.constant(''), fc.tuple(fc.constantFrom('', '  ', '\t'), commentText).map(([i, c]) => i + c)), {
  maxLength: 2,
});

/** A valid scenario text and the comments written in it. */
const scenarioText = fc
  .tuple(fc.array(commentText, { maxLength: 2 }), eolComment, directiveLines, body, fc.boolean())
  .chain(([top, sc, ds, bs, crlf]) => {
    const lines = [...top, `scenario  s-1${sc}`, ...ds.flat(), ...bs.flat()];
    return fc.tuple(fc.array(filler, { minLength: lines.length, maxLength: lines.length }), fc.constant(lines), fc.constant(crlf));
  })
  .map(([fills, lines, crlf]) => lines.flatMap((l, k) => [l, ...(fills[k] ?? [])]).join(crlf ? '\r\n' : '\n'));

/** Every comment of a valid text (end-of-line or standalone), trimmed. */
function commentsOf(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/^title "(?:[^"\\]|\\.)*"/, ''))
    .filter((l) => l.includes('#'))
    .map((l) => l.slice(l.indexOf('#')).trimEnd());
}

describe('formatScenario: properties', () => {
  it('generated scenarios parse, format idempotently and lose nothing', () => {
    fc.assert(
      fc.property(scenarioText, (text) => {
        const ast = parse(text);
        const once = formatScenario(ast);
        const reparsed = parse(once);
        expect(formatScenario(reparsed)).toBe(once);
        expect(shape(reparsed)).toEqual(shape(ast));
        for (const c of commentsOf(text)) expect(once).toContain(c);
      }),
      { numRuns: 2000 },
    );
  });

  it('format is idempotent on every mutation of the example that parses', () => {
    const pieces = ['#', '"', ';', ':', ',', ' ', '\t', '\n', 'x', 'P1:', 'as b', 'é', '😀', '  # c\n'];
    const edit = fc.tuple(fc.nat(), fc.constantFrom(...pieces), fc.boolean());
    const mutant = fc.array(edit, { minLength: 1, maxLength: 4 }).map((es) =>
      es.reduce((t, [at, piece, del]) => {
        const i = at % t.length;
        return del ? t.slice(0, i) + t.slice(i + 1) : t.slice(0, i) + piece + t.slice(i);
      }, EXAMPLE),
    );
    let parsed = 0;
    fc.assert(
      fc.property(mutant, (text) => {
        let ast: ScenarioAst;
        try {
          ast = parse(text);
        } catch (e) {
          expect(e).toBeInstanceOf(PincowError);
          return;
        }
        parsed++;
        const once = formatScenario(ast);
        expect(fmt(once)).toBe(once);
        expect(shape(parse(once))).toEqual(shape(ast));
      }),
      { numRuns: 2000 },
    );
    expect(parsed).toBeGreaterThan(200);
  });
});
