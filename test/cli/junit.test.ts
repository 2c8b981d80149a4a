/** `--format junit` for check and matrix: counts, failures with the trace, and escaping. */
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { Io } from '../../cli/common.js';
import { junitXml, xmlEscape } from '../../cli/junit.js';

function run(...argv: string[]): { code: number; out: string } {
  const out: string[] = [];
  const io: Io = { out: (t) => { out.push(t); }, err: () => {}, colour: false, progress: false };
  return { code: main(argv, io), out: out.join('\n') };
}

describe('--format junit', () => {
  it('check: a suite per scenario, a case per kernel, the violation as a failure holding the escaped trace', () => {
    const r = run('check', 'vmsplice-child-unmap', '--kernel', '5.7,6.1', '--format', 'junit');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="pincow check" tests="2" failures="1" errors="0"/);
    expect(r.out.match(/<testsuite /g)).toHaveLength(1);
    expect(r.out).toContain('<testcase name="5.7 (E0)" classname="check.vmsplice-child-unmap"');
    expect(r.out).toContain('<failure message="violated no-missed-cow" type="violation">vmsplice-child-unmap on 5.7');
    expect(r.out).toContain('store: no PTE -&gt; fault');
    expect(r.out).not.toMatch(/-> /);
  });
  it('check: a bound hit is an error (exit 3)', () => {
    const r = run('check', 'fork-after-pin', '--depth', '3', '--format', 'junit');
    expect(r.code).toBe(3);
    expect(r.out).toContain('<error message="incomplete: depth bound 3 reached" type="bound">');
  });
  it('matrix: a case per cell, all passing for the catalogue', () => {
    const r = run('matrix', 'gup-fast-vs-fork', '--format', 'junit');
    expect(r.code).toBe(0);
    expect(r.out.match(/<testcase /g)).toHaveLength(10);
    expect(r.out).toContain('tests="10" failures="0" errors="0"');
  });
  it('escapes the five XML characters and drops nothing silently', () => {
    expect(xmlEscape(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(xmlEscape('a\u0000b\u001bc\ud800d\tz')).toBe('a\\u{0}b\\u{1b}c\\u{d800}d\tz');
    const x = junitXml('t', [{ name: 's<1>', cases: [{ name: 'c', classname: 'k', seconds: 0.5, failure: { message: 'm"', type: 't', body: 'b]]>' } }] }]);
    expect(x).toContain('<testsuite name="s&lt;1&gt;" tests="1" failures="1" errors="0" time="0.500"');
    expect(x).toContain('<failure message="m&quot;" type="t">b]]&gt;</failure>');
  });
});
