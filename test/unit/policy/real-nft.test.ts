import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { analysePolicy } from '../../../main/policy/analyse';
import { parsePolicies } from '../../../main/policy/parse';
import type { PolicyData } from '../../../shared/model/probe-data';

/**
 * nftables rulesets as `nft list ruleset` prints them after loading the distributions' own files in a throw-away
 * network namespace (test/fixtures/policy/real/README.md says how each was made). A match on another protocol
 * (`ip protocol icmp`, `meta l4proto ipv6-icmp`, `icmpv6 type …`) never decides a CDN's TCP connection.
 */

const dir = path.join(__dirname, '../../fixtures/policy/real/nftables');
const RANGES = ['173.245.48.0/20', '2400:cb00::/32'];

function analyse(file: string, ports: number[]): PolicyData {
  const parsed = parsePolicies([
    { name: file, text: readFileSync(path.join(dir, file), 'utf8'), format: null },
  ]);
  if (!parsed.ok) throw new Error(`${file}: ${parsed.error.key} ${JSON.stringify(parsed.error.params)}`);
  return {
    ...analysePolicy({ sets: parsed.value, ranges: RANGES, ports, provider: null, destinations: [] }),
    elapsedMs: 0,
  };
}

const verdicts = (d: PolicyData): string[] => d.rows.map((r) => `${r.range} ${r.port} ${r.outcome}`);

describe('real nftables rulesets', () => {
  test("Arch Linux's default: only SSH gets in, on both families; icmp accepts decide nothing", () => {
    const d = analyse('arch-default.nft', [22, 80, 443]);
    expect(d.files[0]!.format).toBe('nftables');
    expect(verdicts(d)).toEqual([
      '173.245.48.0/20 22 allowed',
      '173.245.48.0/20 80 blocked',
      '173.245.48.0/20 443 blocked',
      '2400:cb00::/32 22 allowed',
      '2400:cb00::/32 80 blocked',
      '2400:cb00::/32 443 blocked',
    ]);
    expect(d.rows[0]!.segments[0]!.rule?.text).toBe('tcp dport 22 accept comment "allow sshd"');
    // The chain default drops what the limited reject does not answer.
    expect(d.rows[1]!.segments[0]!.byDefault).toBe(true);
    expect(d.coverage).toEqual({ v4: 0.333333, v6: 0.333333 });
    expect(d.undecided).toEqual({ v4: 0, v6: 0 });
  });

  test('an inet table is counted once and its anomalies listed once', () => {
    const d = analyse('arch-default.nft', [22]);
    expect(d.files[0]!.ruleCount).toBe(8);
    expect(d.files[0]!.families).toEqual([4, 6]);
    const keys = d.anomalies.map((a) => `${a.kind} ${a.rule.line}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test("near miss: Debian's default (empty chains, accept) lets everything in", () => {
    const d = analyse('debian-default.nft', [22, 443]);
    expect(d.rows.every((r) => r.outcome === 'allowed')).toBe(true);
    expect(d.files[0]!.ruleCount).toBe(0);
  });

  test('a TCP rule in an inet table still decides (the near miss of the icmp rules)', () => {
    const text = readFileSync(path.join(dir, 'arch-default.nft'), 'utf8').replace(
      'tcp dport 22',
      'tcp dport 443',
    );
    const parsed = parsePolicies([{ name: 'x', text, format: 'nftables' }]);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const d = analysePolicy({
      sets: parsed.value,
      ranges: RANGES,
      ports: [443],
      provider: null,
      destinations: [],
    });
    expect(d.rows.map((r) => r.outcome)).toEqual(['allowed', 'allowed']);
  });

  test('firewalld public zone on the nftables backend: ssh in, the rest rejected by the zone; icmp and dnat rules decide nothing', () => {
    const d = analyse('firewalld-public-default.nft', [22, 443]);
    expect(verdicts(d)).toEqual([
      '173.245.48.0/20 22 allowed',
      '173.245.48.0/20 443 blocked',
      '2400:cb00::/32 22 allowed',
      '2400:cb00::/32 443 blocked',
    ]);
    expect(d.rows[1]!.segments[0]!.rule?.text).toBe('reject with icmpx admin-prohibited');
    expect(d.rows[1]!.segments[0]!.outcome).toBe('reject');
  });

  test("fail2ban's rich rules through firewalld: the banned address is rejected on its ports, the rest allowed", () => {
    const d = analyse('firewalld-public-fail2ban.nft', [22, 80, 443]);
    expect(verdicts(d)).toEqual([
      '173.245.48.0/20 22 partial',
      '173.245.48.0/20 80 partial',
      '173.245.48.0/20 443 partial',
      '2400:cb00::/32 22 allowed',
      '2400:cb00::/32 80 allowed',
      '2400:cb00::/32 443 partial',
    ]);
    const banned = d.rows[0]!.segments.find((s) => s.range === '173.245.48.10/32')!;
    expect(banned.outcome).toBe('reject');
    expect(banned.rule?.text).toContain('ip saddr 173.245.48.10 tcp dport 22');
  });

  test('near miss: with a DNAT rule in the ruleset, `ct status dnat accept` may match: undecided, not blocked', () => {
    const text = readFileSync(path.join(dir, 'firewalld-public-default.nft'), 'utf8').replace(
      'chain nat_PREROUTING {\n',
      'chain nat_PREROUTING {\n\t\ttcp dport 8080 dnat ip to 10.0.0.2:80\n',
    );
    const parsed = parsePolicies([{ name: 'x', text, format: 'nftables' }]);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const d = analysePolicy({
      sets: parsed.value,
      ranges: RANGES,
      ports: [443],
      provider: null,
      destinations: [],
    });
    expect(d.rows.map((r) => r.outcome)).toEqual(['unknown', 'unknown']);
    expect(d.rows[0]!.segments[0]!.undecided[0]!.what).toBe('ct status dnat');
  });
});
