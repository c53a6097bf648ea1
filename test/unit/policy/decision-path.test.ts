import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { diagnose } from '../../../main/diagnosis';
import { runPolicy } from '../../../main/policy';
import { analysePolicy } from '../../../main/policy/analyse';
import { decidedBy, formatPolicyText } from '../../../main/policy/format';
import { parsePolicies } from '../../../main/policy/parse';
import { createTranslator } from '../../../shared/i18n/translate';
import { policyDataSchema, policySegmentSchema, type PolicyData } from '../../../shared/model/probe-data';
import type { ProbeRecord } from '../../../shared/model/report';
import { parseEndpoint } from '../../../shared/net/validate';
import { sessionInput } from '../../lab/session-input';

/**
 * "Decided by" shows the whole path: the jump and goto rules a packet took from INPUT, then the deciding rule. The
 * ruleset is real (iptables 1.8.9 in a throw-away namespace, `rules3.sh`): INPUT → ufw-before-input → f2b-nginx
 * (a fail2ban-style REJECT) or → ufw-user-input (a DROP, then an ACCEPT of 443), and one DROP in INPUT itself.
 */
const dir = join(__dirname, '../../fixtures/policy/real/iptables');
const FILES = ['ufw-f2b-iptables-save.txt', 'ufw-f2b-iptables-S.txt'];
const RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '173.245.48.0/20'];
const en = createTranslator('en');

function analyse(name: string, text = readFileSync(join(dir, name), 'utf8')): PolicyData {
  const sets = parsePolicies([{ name, text, format: null }]);
  if (!sets.ok) throw new Error(JSON.stringify(sets.error));
  const d = analysePolicy({
    sets: sets.value,
    ranges: RANGES,
    ports: [443],
    provider: null,
    destinations: [],
  });
  return { ...d, elapsedMs: 0 };
}

/** A segment's path as `chain:line` steps. */
function steps(d: PolicyData, range: string): string[] {
  const seg = d.rows.find((r) => r.range === range)!.segments;
  expect(seg).toHaveLength(1);
  return (seg[0]!.path ?? []).map((r) => `${r.chain}:${r.line}`);
}

describe('the path to the deciding rule (real ufw / fail2ban-style chains)', () => {
  test.each(FILES)('%s: a DROP, a REJECT and an ACCEPT in user chains carry every jump from INPUT', (f) => {
    const d = analyse(f);
    // iptables-save lists the chains before the rules; -S lists them as -N lines: the lines differ by two.
    const n = (save: number): number => (f.includes('-save') ? save : save - 2);
    expect(steps(d, '198.51.100.0/24')).toEqual([
      `INPUT:${n(10)}`,
      `ufw-before-input:${n(16)}`,
      `ufw-user-input:${n(17)}`,
    ]);
    expect(steps(d, '203.0.113.0/24')).toEqual([
      `INPUT:${n(10)}`,
      `ufw-before-input:${n(15)}`,
      `f2b-nginx:${n(11)}`,
    ]);
    expect(steps(d, '173.245.48.0/20')).toEqual([
      `INPUT:${n(10)}`,
      `ufw-before-input:${n(16)}`,
      `ufw-user-input:${n(18)}`,
    ]);
    const seg = d.rows.find((r) => r.range === '198.51.100.0/24')!.segments[0]!;
    expect(seg.path![0]).toEqual({
      file: f,
      line: n(10),
      text: '-A INPUT -j ufw-before-input',
      chain: 'INPUT',
    });
    expect(seg.path!.at(-1)).toEqual(seg.rule);
  });

  test('near miss: a rule decided in INPUT itself has a one-element path, and the text shows no path', () => {
    const d = analyse(FILES[0]!);
    expect(steps(d, '192.0.2.0/24')).toEqual(['INPUT:9']);
    const text = formatPolicyText(d, en);
    const line = text.split('\n').find((l) => l.startsWith('192.0.2.0/24'))!;
    expect(line).toContain('-A INPUT -s 192.0.2.0/24 -j DROP');
    expect(line).not.toContain('via');
  });

  test('the CLI text shows the path in English and Chinese', () => {
    const d = analyse(FILES[0]!);
    const line = (t: ReturnType<typeof createTranslator>): string =>
      formatPolicyText(d, t)
        .split('\n')
        .find((l) => l.startsWith('198.51.100.0/24'))!;
    expect(line(en)).toContain(
      'via INPUT line 10 -j ufw-before-input → ufw-before-input line 16 -j ufw-user-input → ufw-user-input line 17 -s 198.51.100.0/24 -j DROP',
    );
    expect(line(createTranslator('zh-CN'))).toContain(
      '路径：INPUT 第 10 行 -j ufw-before-input → ufw-before-input 第 16 行 -j ufw-user-input → ufw-user-input 第 17 行 -s 198.51.100.0/24 -j DROP',
    );
  });

  test('each possible answer of an unknown segment carries its own path', () => {
    // The first real ruleset: INPUT line 12 jumps to WEB, whose DROP and REJECT depend on the interface.
    const d = analyse('iptables-save.txt');
    const seg = d.rows.find((r) => r.range === '198.51.100.0/24')!.segments[0]!;
    expect(seg.outcome).toBe('unknown');
    expect(seg.possible.map((b) => (b.path ?? []).map((r) => `${r.chain}:${r.line}`))).toEqual([
      ['INPUT:12', 'WEB:18'],
      ['INPUT:12', 'WEB:19'],
      ['INPUT:3'],
    ]);
    expect(formatPolicyText(d, en)).toContain(
      '(via INPUT line 12 -p tcp -m multiport --dports 80,443 -j WEB → WEB line 18 -i wlan0 -j DROP)',
    );
  });

  test('a segment stored before paths were kept still loads', () => {
    const d = analyse(FILES[0]!);
    const { path, ...old } = d.rows[1]!.segments[0]!;
    expect(path).toBeDefined();
    const parsed = policySegmentSchema.parse(old);
    expect(parsed.path).toBeUndefined();
  });
});

describe('the path in the finding and the report', () => {
  const name = FILES[0]!;
  const text = readFileSync(join(dir, name), 'utf8');
  const ep = parseEndpoint('https://203.0.113.7:443');
  if (!ep.ok) throw new Error('endpoint');
  const input = sessionInput({ endpoints: [ep.value], provider: null });
  const run = runPolicy({ ...input, policies: [{ name, format: null, text }] }, RANGES, () => 0);
  if (!run.ok) throw new Error(JSON.stringify(run.error));
  const probe: ProbeRecord = {
    id: 'policy-1',
    kind: 'policy',
    target: name,
    startedAt: '2026-11-28T10:00:00.000Z',
    durationMs: 1,
    status: 'fail',
    data: { ...run.data },
  };
  const d = diagnose({ input, probes: [probe], providerRanges: RANGES, providerName: null }, en);

  test('the blocked finding names the jumps before the deciding rule', () => {
    const f = d.findings.find((x) => x.id === 'policy.backorigin_blocked' && x.target === `${name}:17`)!;
    expect(f.message).toContain(
      `Rule: ${name}:10 -A INPUT -j ufw-before-input → ${name}:16 -A ufw-before-input -j ufw-user-input → -A ufw-user-input -s 198.51.100.0/24 -j DROP`,
    );
  });

  test('near miss: the DROP in INPUT itself names no jump', () => {
    const f = d.findings.find((x) => x.id === 'policy.backorigin_blocked' && x.target === `${name}:9`)!;
    expect(f.message).toContain('Rule: -A INPUT -s 192.0.2.0/24 -j DROP');
    expect(f.message).not.toContain('→');
  });

  test('the report (the stored probe, loaded through the schema) shows the path where it says who decided', () => {
    // main/report/model.ts reads the probe with policyDataSchema and words each row with decidedBy.
    const loaded = policyDataSchema.parse(JSON.parse(JSON.stringify(probe.data)));
    const row = loaded.rows.find((r) => r.range === '203.0.113.0/24')!;
    expect(decidedBy(row.segments[0]!, en)).toContain(
      'via INPUT line 10 -j ufw-before-input → ufw-before-input line 15 -p tcp -m multiport --dports 80,443 -j f2b-nginx → f2b-nginx line 11 -s 203.0.113.0/24 -j REJECT',
    );
  });
});
