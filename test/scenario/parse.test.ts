/**
 * Tests of the scenario parser: the AST of the reference example with its
 * positions, each construct of the grammar, each syntax error with its
 * position, and fast-check properties that no input whatever makes the
 * parser throw anything but a PincowError('syntax') pointing into the file.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PincowError } from '../../model/errors.js';
import type { ScenarioAst } from '../../scenario/ast.js';
import { parseScenario } from '../../scenario/parse.js';
import { EXAMPLE } from './example.js';


const parse = (text: string): ScenarioAst => parseScenario(text, 't.pincow');
const texts = (ws: readonly { text: string }[]): string[] => ws.map((w) => w.text);

/** The PincowError thrown by parsing `text`. */
function errorOf(text: string): PincowError {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof PincowError) return e;
    throw e;
  }
  throw new Error(`parsed without error: ${JSON.stringify(text)}`);
}

const HEAD = 'scenario s\n';

describe('parseScenario: the reference example', () => {
  const ast = parse(EXAMPLE);

  it('reads the header directives', () => {
    expect(ast.file).toBe('t.pincow');
    expect(ast.name).toEqual({ text: 'ro-pin-previously-shared', pos: { file: 't.pincow', line: 2, col: 10 } });
    expect(ast.title).toBe('R/O pin on a previously shared page; the next write COWs it away');
    expect(texts(ast.refs)).toEqual(['seed:004', '09854ba94c6a', 'c89357e27f20']);
    expect(ast.refs[1]?.pos).toEqual({ file: 't.pincow', line: 4, col: 15 });
    expect(texts(ast.check ?? [])).toEqual(['pin-coherent', 'pinned-not-cow-shared']);
    expect(ast.check?.[1]?.pos.col).toBe(21);
    expect(ast.depth).toBe(40);
    expect(ast.comments).toEqual(['# free comment lines (kept by fmt at the top of the file)']);
  });

  it('keeps the setup lines in order with their instructions', () => {
    expect(ast.setup.map((s) => s.actor.text)).toEqual(['P0', 'P1']);
    const [mmap, write, fork] = ast.setup[0]?.instrs ?? [];
    expect(mmap?.op.text).toBe('mmap');
    expect(texts(mmap?.args ?? [])).toEqual(['A', 'anon']);
    expect(mmap?.pos).toEqual({ file: 't.pincow', line: 8, col: 7 });
    expect(write?.pos.col).toBe(20);
    expect(fork?.args[0]?.pos).toEqual({ file: 't.pincow', line: 8, col: 34 });
    expect(ast.setup[1]?.actor.pos).toEqual({ file: 't.pincow', line: 9, col: 3 });
  });

  it('reads the actor sections, `as` names and trailing comments', () => {
    expect(ast.actors.map((a) => a.actor.text)).toEqual(['P0', 'P0.T1', 'device']);
    const p0 = ast.actors[0]!;
    expect(p0.actor.pos).toEqual({ file: 't.pincow', line: 10, col: 1 });
    expect(p0.instrs[0]?.comment).toBe('# pin_user_pages(), no FOLL_WRITE');
    expect(p0.instrs[0]?.as).toBeUndefined();
    expect(p0.instrs[1]?.comment).toBeUndefined();
    const pin = ast.actors[1]?.instrs[0];
    expect(texts(pin?.args ?? [])).toEqual(['A', 'rw', 'fast']);
    expect(pin?.as).toEqual({ text: 'buf', pos: { file: 't.pincow', line: 14, col: 20 } });
    expect(ast.actors[2]?.instrs.map((i) => i.op.text)).toEqual(['wait', 'dma-write']);
  });

  it('reads the expectations', () => {
    expect(ast.expects).toHaveLength(2);
    const [v, h] = ast.expects;
    expect(v?.invariant.text).toBe('pin-coherent');
    expect(v?.verdict).toBe('violated');
    expect(texts(v?.ranges ?? [])).toEqual(['5.9..5.18']);
    expect(v?.pos).toEqual({ file: 't.pincow', line: 19, col: 1 });
    expect(h?.verdict).toBe('holds');
    expect(texts(h?.ranges ?? [])).toEqual(['<=5.8', '>=5.19']);
    expect(h?.ranges[1]?.pos.col).toBe(37);
  });

  it('adds no comment fields where there are no comments', () => {
    expect(ast.setupComments).toBeUndefined();
    expect(ast.trailingComments).toBeUndefined();
    expect(ast.directiveComments).toBeUndefined();
    expect('leading' in ast.actors[0]!).toBe(false);
  });
});

describe('parseScenario: constructs', () => {
  it('accepts a minimal file', () => {
    const ast = parse('scenario s');
    expect(ast.name.text).toBe('s');
    expect([ast.title, ast.check, ast.depth]).toEqual([undefined, undefined, undefined]);
    expect([ast.refs, ast.setup, ast.actors, ast.expects, ast.comments]).toEqual([[], [], [], [], []]);
  });

  it('accepts instructions on the ACTOR: line and on the lines below', () => {
    const ast = parse(`${HEAD}P0: mmap A anon;write A ;  fork P1\n\tread A\n`);
    expect(ast.actors[0]?.instrs.map((i) => i.op.text)).toEqual(['mmap', 'write', 'fork', 'read']);
    expect(ast.actors[0]?.instrs[1]?.pos.col).toBe(17);
    expect(ast.actors[0]?.instrs[3]?.pos).toEqual({ file: 't.pincow', line: 3, col: 2 });
  });

  it('accumulates refs, takes check words separated by commas or spaces', () => {
    const ast = parse(`${HEAD}refs a b\nrefs c\ncheck x y,z , w\n`);
    expect(texts(ast.refs)).toEqual(['a', 'b', 'c']);
    expect(texts(ast.check ?? [])).toEqual(['x', 'y', 'z', 'w']);
  });

  it('reads directives in any order after scenario', () => {
    const ast = parse(`${HEAD}depth 7\ncheck a\ntitle "t"\n`);
    expect([ast.depth, ast.title, ast.check?.[0]?.text]).toEqual([7, 't', 'a']);
  });

  it('unescapes titles and does not start comments inside them', () => {
    const ast = parse(`${HEAD}title "a \\"b\\" # c \\\\ d"  # real\n`);
    expect(ast.title).toBe('a "b" # c \\ d');
    expect(ast.directiveComments).toEqual({ title: '# real' });
  });

  it('accepts every kind of kernel range', () => {
    const ast = parse(`${HEAD}expect x holds on 5.10, <=5.8,>=5.19 , 5.9..5.18, E2, E2..E4, all\n`);
    expect(texts(ast.expects[0]?.ranges ?? [])).toEqual(['5.10', '<=5.8', '>=5.19', '5.9..5.18', 'E2', 'E2..E4', 'all']);
  });

  it('allows expect lines between sections', () => {
    const ast = parse(`${HEAD}expect a holds on all\nP0:\n  exit\nexpect b violated on E1\nP1: exit\n`);
    expect(texts(ast.expects.map((e) => e.invariant))).toEqual(['a', 'b']);
    expect(ast.actors.map((a) => a.actor.text)).toEqual(['P0', 'P1']);
  });

  it('accepts CRLF line ends, a BOM, blank lines and tabs', () => {
    const ast = parse('\uFEFFscenario s\r\n\r\nP0:\r\n\t\twrite A\r\n \t\r\n');
    expect(ast.actors[0]?.instrs[0]?.op.text).toBe('write');
    expect(ast.actors[0]?.instrs[0]?.pos).toEqual({ file: 't.pincow', line: 4, col: 3 });
  });

  it('counts columns in code points', () => {
    const e = errorOf(`${HEAD}title "😀😀" x\n`);
    expect(e.pos).toEqual({ file: 't.pincow', line: 2, col: 12 });
  });

  it('attaches comments to the lines that follow them', () => {
    const ast = parse(
      [
        '# top',
        'scenario s  # on scenario',
        '# between directives',
        'refs a # r1',
        'refs b # r2',
        '# before setup',
        'setup: # on setup',
        '  # before P0 setup line',
        '  P0: mmap A # on setup line',
        '# before P0',
        'P0: write A; read A # on the ACTOR: line',
        '  # before pin',
        '  pin A ro; exit # end of line',
        'P1: # on P1',
        '  exit',
        '# before expect',
        'expect x holds on all # on expect',
        '# tail',
      ].join('\n'),
    );
    expect(ast.comments).toEqual(['# top', '# between directives']);
    expect(ast.directiveComments).toEqual({ scenario: '# on scenario', refs: '# r1 # r2' });
    expect(ast.setupComments).toEqual({ leading: ['# before setup'], comment: '# on setup' });
    expect(ast.setup[0]).toMatchObject({ leading: ['# before P0 setup line'], comment: '# on setup line' });
    const [p0, p1] = ast.actors;
    expect(p0).toMatchObject({ leading: ['# before P0'] });
    expect(p0?.comment).toBeUndefined();
    expect(p0?.instrs.map((i) => [i.leading, i.comment])).toEqual([
      [undefined, undefined],
      [undefined, '# on the ACTOR: line'],
      [['# before pin'], undefined],
      [undefined, '# end of line'],
    ]);
    expect(p1?.comment).toBe('# on P1');
    expect(ast.expects[0]).toMatchObject({ leading: ['# before expect'], comment: '# on expect' });
    expect(ast.trailingComments).toEqual(['# tail']);
  });
});

describe('parseScenario: syntax errors', () => {
  const cases: [string, string, number, number, string][] = [
    ['empty file', '', 1, 1, 'missing "scenario NAME" line'],
    ['only comments', '# a\n# b\n', 1, 1, 'missing "scenario NAME" line'],
    ['misspelt scenario', 'scenaro s\n', 1, 1, 'found "scenaro" (did you mean "scenario"?)'],
    ['directive first', 'title "t"\nscenario s\n', 1, 1, 'expected "scenario NAME" as the first line'],
    ['indented first', '  scenario s\n', 1, 3, 'found an indented line'],
    ['no name', 'scenario\n', 1, 9, 'expected a scenario name (letters, digits and _ . -) after "scenario", found end of line'],
    ['two-word name', 'scenario a b\n', 1, 12, 'expected end of line after the scenario name'],
    ['duplicate scenario', `${HEAD}scenario t\n`, 2, 1, 'duplicate "scenario" line; the first is at line 1'],
    ['duplicate depth', `${HEAD}depth 1\ndepth 2\n`, 3, 1, 'duplicate "depth" line; the first is at line 2'],
    ['bad depth', `${HEAD}depth x\n`, 2, 7, 'depth must be a positive integer, found "x"'],
    ['zero depth', `${HEAD}depth 0\n`, 2, 7, 'depth must be a positive integer, found "0"'],
    ['huge depth', `${HEAD}depth 99999999999999999999\n`, 2, 7, 'depth must be a positive integer'],
    ['missing depth', `${HEAD}depth\n`, 2, 6, 'depth must be a positive integer, found end of line'],
    ['unquoted title', `${HEAD}title hello\n`, 2, 7, 'expected a double-quoted title after "title", like title "TEXT", found "hello"'],
    ['unterminated string', `${HEAD}title "abc\n`, 2, 7, 'unterminated string'],
    ['unterminated by escape', `${HEAD}title "abc\\"\n`, 2, 7, 'unterminated string'],
    ['bad escape', `${HEAD}title "a\\nb"\n`, 2, 9, 'unknown escape "\\\\n" in string'],
    ['junk after title', `${HEAD}title "a" b\n`, 2, 11, 'expected end of line after the title, found "b"'],
    ['empty refs', `${HEAD}refs\n`, 2, 5, 'expected a reference'],
    ['empty check', `${HEAD}check\n`, 2, 6, 'expected an invariant name (like pin-coherent) after "check", found end of line'],
    ['double comma', `${HEAD}check a,,b\n`, 2, 9, 'expected an invariant name (like pin-coherent) after ",", found ","'],
    ['misspelt directive', `${HEAD}dpeth 3\n`, 2, 1, 'expected a directive (title, refs, check, depth), a section header (setup:, ACTOR:) or an expect line, found "dpeth" (did you mean "depth"?)'],
    ['misspelt expect', `${HEAD}P0: exit\nexpcet x holds on all\n`, 3, 1, 'expected an indented instruction line or a section header (setup:, ACTOR:, expect ...), found "expcet" (did you mean "expect"?)'],
    ['misspelt setup', `${HEAD}setpu:\n  P0: exit\n`, 2, 1, 'found "setpu:" (did you mean "setup:"?)'],
    ['setup without colon', `${HEAD}setup\n`, 2, 1, '(did you mean "setup:"?)'],
    ['actor without colon', `${HEAD}P0\n  exit\n`, 2, 1, 'found "P0" (a section header ends with a colon, "P0:"; an instruction must be indented)'],
    ['unindented instruction', `${HEAD}P0:\n  exit\nwrite A\n`, 4, 1, 'found "write" (instructions must be indented)'],
    ['directive with a colon', `${HEAD}depth: 3\n`, 2, 1, '"depth" is a directive, not a section header: write depth N (no colon)'],
    ['directive after a section', `${HEAD}P0: exit\ndepth 3\n`, 3, 1, '"depth" must come before the first section (line 2)'],
    ['indented line before any section', `${HEAD}  write A\n`, 2, 3, 'expected a section header (setup:, ACTOR:) before indented lines, found "write"'],
    ['indented line after expect', `${HEAD}P0: exit\nexpect a holds on all\n  write A\n`, 4, 3, '(an expect line ends the section above it)'],
    ['duplicate actor', `${HEAD}P0:\n  exit\nP1: exit\nP0: write A\n`, 5, 1, 'duplicate section "P0:"; the first is at line 2'],
    ['duplicate setup', `${HEAD}setup:\n  P0: exit\nsetup:\n  P1: exit\n`, 4, 1, 'duplicate section "setup:"; the first is at line 2'],
    ['empty section', `${HEAD}P0:\nP1: exit\n`, 2, 1, 'section "P0:" has no instructions'],
    ['empty section at the end', `${HEAD}P0:\n# nothing\n`, 2, 1, 'section "P0:" has no instructions'],
    ['empty setup', `${HEAD}setup:\nP0: exit\n`, 2, 1, 'empty "setup:" section: expected indented lines "ACTOR: INSTR; ..." below it (setup lines must be indented)'],
    ['instructions on setup:', `${HEAD}setup: P0: exit\n`, 2, 8, 'expected end of line after "setup:", found "P0:"'],
    ['setup line without actor', `${HEAD}setup:\n  mmap A\n`, 3, 3, 'expected a setup line "ACTOR: INSTR; INSTR...", found "mmap"'],
    ['setup line without instructions', `${HEAD}setup:\n  P0:\n`, 3, 6, 'expected instructions after "P0:" on the setup line, found end of line'],
    ['empty instruction', `${HEAD}P0: write A;; read A\n`, 2, 13, 'empty instruction between ";" and ";"'],
    ['leading semicolon', `${HEAD}P0:\n  ; read A\n`, 3, 3, 'empty instruction before ";"'],
    ['trailing semicolon', `${HEAD}P0: read A;\n`, 2, 12, 'empty instruction after ";" at the end of the line'],
    ['uppercase op', `${HEAD}P0: Write A\n`, 2, 5, 'expected an operation name (lowercase letters, digits and -, like mmap or dma-write), found "Write"'],
    ['bad argument', `${HEAD}P0: write A@\n`, 2, 11, 'expected an argument (letters, digits and _ . : -), found "A@"'],
    ['comma in instruction', `${HEAD}P0: write A, B\n`, 2, 12, 'expected an argument, "as NAME", ";" or end of line, found ","'],
    ['quote in instruction', `${HEAD}P0: write "A"\n`, 2, 11, 'found a quoted string'],
    ['as without name', `${HEAD}P0: pin A ro as\n`, 2, 16, 'expected a name (letters, digits and _ . -) after "as", found end of line'],
    ['words after as NAME', `${HEAD}P0: pin A as b ro\n`, 2, 16, 'expected ";" or end of line after "as b", found "ro"'],
    ['indented section header', `${HEAD}P0:\n  exit\n  P1: exit\n`, 4, 3, 'section headers start at column 1'],
    ['misspelt verdict', `${HEAD}expect x hold on all\n`, 2, 10, 'expected "holds" or "violated" after the invariant name, found "hold" (did you mean "holds"?)'],
    ['missing verdict', `${HEAD}expect x\n`, 2, 9, 'expected "holds" or "violated" after the invariant name, found end of line'],
    ['missing invariant', `${HEAD}expect\n`, 2, 7, 'expected an invariant name (like pin-coherent) after "expect"'],
    ['misspelt on', `${HEAD}expect x holds in all\n`, 2, 16, 'expected "on" after "holds", found "in" (did you mean "on"?)'],
    ['no ranges', `${HEAD}expect x holds on\n`, 2, 18, 'expected a kernel range (like 5.10, <=5.8, 5.9..5.18, E2..E4 or all) after "on", found end of line'],
    ['ranges without commas', `${HEAD}expect x holds on 5.9 .. 5.18\n`, 2, 23, 'expected "," or end of line after "5.9", found ".."'],
    ['bad range', `${HEAD}expect x holds on 5.9+\n`, 2, 19, 'found "5.9+"'],
    ['control character', `${HEAD}\u0007\n`, 2, 1, 'found "\\u0007"'],
    ['non-breaking space indent', `${HEAD}P0:\n\u00a0 exit\n`, 3, 1, 'found "\\u00a0"'],
  ];

  it.each(cases)('%s', (_name, text, line, col, message) => {
    const e = errorOf(text);
    expect(e.code).toBe('syntax');
    expect(e.message).toContain(message);
    expect(e.pos).toEqual({ file: 't.pincow', line, col });
    expect(e.message.startsWith(`t.pincow:${line}:${col}: `)).toBe(true);
  });

  it('cuts long input short in messages', () => {
    const e = errorOf(`${HEAD}${'x'.repeat(100_000)} y\n`);
    expect(e.message.length).toBeLessThan(300);
    expect(e.message).toContain('..."');
  });
});

// ------------------------------------------------------------- robustness

/** Asserts the outcome of parsing arbitrary text: an AST, or a syntax error pointing into the file. */
function parsesOrFailsWell(text: string): void {
  let ast: ScenarioAst;
  try {
    ast = parse(text);
  } catch (e) {
    if (!(e instanceof PincowError)) throw e;
    expect(e.code).toBe('syntax');
    const lines = text.replace(/^\uFEFF/, '').split('\n');
    const pos = e.pos!;
    expect(pos.file).toBe('t.pincow');
    expect(pos.line).toBeGreaterThanOrEqual(1);
    expect(pos.line).toBeLessThanOrEqual(lines.length);
    expect(pos.col).toBeGreaterThanOrEqual(1);
    expect(pos.col).toBeLessThanOrEqual(Array.from(lines[pos.line - 1] ?? '').length + 1);
    return;
  }
  expect(ast.name.text.length).toBeGreaterThan(0);
}

/** Random edits of a text: delete, duplicate, swap or insert characters and lines. */
function mutated(base: string): fc.Arbitrary<string> {
  const pieces = ['#', '"', ';', ':', ',', '\\', ' ', '\t', '\n', '\r', 'x', 'P0:', 'as', 'é', '😀', '\u0000', '\uD800', '  ', 'expect '];
  const edit = fc.oneof(
    fc.record({ kind: fc.constantFrom('del', 'dup', 'swap', 'delLine', 'dupLine', 'swapLine'), at: fc.nat() }),
    fc.record({ kind: fc.constant('ins'), at: fc.nat(), piece: fc.constantFrom(...pieces) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 5 }).map((edits) => edits.reduce(applyEdit, base));
}

function applyEdit(text: string, e: { kind: string; at: number; piece?: string }): string {
  const i = text.length ? e.at % text.length : 0;
  const lines = text.split('\n');
  const l = e.at % lines.length;
  switch (e.kind) {
    case 'del':
      return text.slice(0, i) + text.slice(i + 1);
    case 'dup':
      return text.slice(0, i + 1) + text.slice(i);
    case 'swap':
      return text.slice(0, i) + text.charAt(i + 1) + text.charAt(i) + text.slice(i + 2);
    case 'ins':
      return text.slice(0, i) + (e.piece ?? '') + text.slice(i);
    case 'delLine':
      return lines.filter((_, k) => k !== l).join('\n');
    case 'dupLine':
      return lines.flatMap((s, k) => (k === l ? [s, s] : [s])).join('\n');
    default:
      return lines.map((s, k) => (k === l ? lines[l + 1] ?? s : k === l + 1 ? lines[l] ?? s : s)).join('\n');
  }
}

describe('parseScenario: never anything but a syntax error', () => {
  it('on arbitrary strings', () => {
    fc.assert(fc.property(fc.string(), parsesOrFailsWell), { numRuns: 2000 });
  });

  it('on arbitrary full-Unicode strings (including lone surrogates)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), parsesOrFailsWell), { numRuns: 2000 });
  });

  it('on arbitrary strings after a scenario line', () => {
    const unit = fc.constantFrom('a', 'P', '0', ' ', '\t', '\n', ':', ';', ',', '#', '"', '\\', '.', '<', '=', '-', 'é');
    const tail = fc.string({ unit, maxLength: 200 });
    fc.assert(fc.property(tail, (t) => parsesOrFailsWell(`scenario s\n${t}`)), { numRuns: 2000 });
  });

  it('on mutations of the reference example', () => {
    fc.assert(fc.property(mutated(EXAMPLE), parsesOrFailsWell), { numRuns: 3000 });
  });

  it('on huge inputs', () => {
    parsesOrFailsWell(`scenario s\nP0:\n  ${'write A; '.repeat(50_000)}read A\n`);
    parsesOrFailsWell(`scenario s\nP0:\n${'  write A\n'.repeat(50_000)}`);
    parsesOrFailsWell(`scenario s\ntitle "${'😀'.repeat(100_000)}`);
    parsesOrFailsWell('\u0000\uFFFF'.repeat(100_000));
    parsesOrFailsWell('"'.repeat(100_001));
  });
});
