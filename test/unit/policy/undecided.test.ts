import { describe, expect, test } from 'vitest';
import { analysePolicy } from '../../../main/policy/analyse';
import { formatPolicyText } from '../../../main/policy/format';
import { parsePolicies } from '../../../main/policy/parse';
import { createTranslator } from '../../../shared/i18n/translate';
import type { PolicyData } from '../../../shared/model/probe-data';

/**
 * A rule the reader cannot evaluate fully (here iptables' `-m mark`, which no rule file can tell) may or may not
 * match: where the answer differs between the two, the outcome is `unknown` naming the rule and each possible
 * answer; where both agree, it stays confident.
 */

function analyse(rules: string[], ports = [443], destinations: string[] = [], policy = 'ACCEPT'): PolicyData {
  const text = ['*filter', `:INPUT ${policy} [0:0]`, ...rules, 'COMMIT', ''].join('\n');
  const parsed = parsePolicies([{ name: 'r.rules', text, format: 'iptables' }]);
  if (!parsed.ok) throw new Error(parsed.error.key);
  return {
    ...analysePolicy({
      sets: parsed.value,
      ranges: ['173.245.48.0/20'],
      ports,
      provider: null,
      destinations,
    }),
    elapsedMs: 0,
  };
}

describe('uncertain rules', () => {
  test('drop if the mark matches, reject otherwise: unknown, with both answers and the rule named', () => {
    const d = analyse([
      '-A INPUT -m mark --mark 0x1 -j DROP',
      '-A INPUT -p tcp -m tcp --dport 443 -j REJECT --reject-with tcp-reset',
    ]);
    const row = d.rows[0]!;
    expect(row.outcome).toBe('unknown');
    const seg = row.segments[0]!;
    expect(seg.outcome).toBe('unknown');
    expect(seg.possible.map((b) => [b.outcome, b.rule?.line, b.when.map((w) => w.matched)])).toEqual([
      ['drop', 3, [true]],
      ['reject', 4, [false]],
    ]);
    expect(seg.undecided.map((u) => [u.line, u.what])).toEqual([[3, '--mark 0x1']]);
    // Neither allowed nor blocked: counted apart.
    expect(d.coverage.v4).toBe(0);
    expect(d.undecided.v4).toBe(1);
  });

  test('near miss: when every branch ends the same way the outcome stays confident', () => {
    const d = analyse(['-A INPUT -m mark --mark 0x1 -j DROP', '-A INPUT -j DROP']);
    const seg = d.rows[0]!.segments[0]!;
    expect(d.rows[0]!.outcome).toBe('blocked');
    expect(seg.outcome).toBe('drop');
    expect(seg.possible).toEqual([]);
    // The evidence shown is the path that assumed least: the rule that drops whatever the mark.
    expect(seg.rule?.line).toBe(4);
    expect(d.undecided.v4).toBe(0);
  });

  test('an uncertain accept before a default drop is not "allowed"', () => {
    const d = analyse(['-A INPUT -p tcp --dport 443 -m mark --mark 0x1 -j ACCEPT'], [443, 80], [], 'DROP');
    expect(d.rows.map((r) => [r.port, r.outcome])).toEqual([
      [443, 'unknown'],
      [80, 'blocked'],
    ]);
    expect(d.coverage.v4).toBe(0);
    expect(d.undecided.v4).toBe(0.5);
  });

  test('a destination match is uncertain until the origin address is known', () => {
    const rules = ['-A INPUT -d 10.0.0.5/32 -p tcp --dport 443 -j ACCEPT'];
    expect(analyse(rules, [443], [], 'DROP').rows[0]!.outcome).toBe('unknown');
    expect(analyse(rules, [443], ['10.0.0.5'], 'DROP').rows[0]!.outcome).toBe('allowed');
    expect(analyse(rules, [443], ['10.0.0.6'], 'DROP').rows[0]!.outcome).toBe('blocked');
  });

  test('an uncertain rate limit makes allow-or-limited undecided; a sure one is limited', () => {
    const unsure = analyse([
      '-A INPUT -p tcp --dport 443 -m mark --mark 0x2 -m hashlimit --hashlimit-above 5/sec --hashlimit-mode srcip --hashlimit-name x -j DROP',
    ]);
    expect(unsure.rows[0]!.segments[0]!.possible.map((b) => b.outcome).sort()).toEqual(['allow', 'limited']);
    const sure = analyse([
      '-A INPUT -p tcp --dport 443 -m hashlimit --hashlimit-above 5/sec --hashlimit-mode srcip --hashlimit-name x -j DROP',
    ]);
    expect(sure.rows[0]!.outcome).toBe('limited');
  });

  test('an uncertain jump whose chain returns leaves the answer confident (paths merge again)', () => {
    const chains = [':sub - [0:0]'];
    const rules = [...chains];
    // Twenty uncertain jumps: merged paths keep this linear, not 2^20.
    for (let i = 0; i < 20; i++) rules.push(`-A INPUT -m mark --mark 0x${i + 1} -j sub`);
    rules.push('-A sub -s 10.0.0.0/8 -j DROP', '-A INPUT -p tcp --dport 443 -j ACCEPT');
    const d = analyse(rules, [443], [], 'DROP');
    expect(d.rows[0]!.outcome).toBe('allowed');
  });

  test('the CLI text names the rule and the possible answers, in both languages', () => {
    const d = analyse([
      '-A INPUT -m mark --mark 0x1 -j DROP',
      '-A INPUT -p tcp -m tcp --dport 443 -j REJECT --reject-with tcp-reset',
    ]);
    const en = formatPolicyText(d, createTranslator('en'));
    expect(en).toContain('undecided, it depends on rules not fully read');
    expect(en).toContain('drop at r.rules:3 if `--mark 0x1` matches (r.rules:3); or reject at r.rules:4 if');
    expect(en).toContain('undecided (depends on rules not fully read): IPv4 100 %');
    const zh = formatPolicyText(d, createTranslator('zh-CN'));
    expect(zh).toContain('无法确定，取决于未能完全解析的规则');
    expect(zh).toContain('“--mark 0x1”不匹配（r.rules:3）');
  });
});
