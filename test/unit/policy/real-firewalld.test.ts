import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { analysePolicy } from '../../../main/policy/analyse';
import { parsePolicies } from '../../../main/policy/parse';
import type { PolicyData } from '../../../shared/model/probe-data';

/**
 * firewalld 1.3.3 output made by the real daemon in a throw-away network namespace, fail2ban's
 * firewallcmd-rich-rules action applied as fail2ban runs it (test/fixtures/policy/real/README.md). fail2ban writes
 * `port port="ssh"`: firewalld resolves the name through /etc/services, and so must the reader.
 */

const dir = path.join(__dirname, '../../fixtures/policy/real/firewalld');
const RANGES = ['173.245.48.0/20', '2400:cb00::/32'];

function analyseText(name: string, text: string, ports: number[]): PolicyData {
  const parsed = parsePolicies([{ name, text, format: null }]);
  if (!parsed.ok) throw new Error(`${name}: ${parsed.error.key} ${JSON.stringify(parsed.error.params)}`);
  return {
    ...analysePolicy({ sets: parsed.value, ranges: RANGES, ports, provider: null, destinations: [] }),
    elapsedMs: 0,
  };
}

const read = (file: string): string => readFileSync(path.join(dir, file), 'utf8');
const analyse = (file: string, ports: number[]): PolicyData => analyseText(file, read(file), ports);
const verdicts = (d: PolicyData): string[] => d.rows.map((r) => `${r.range} ${r.port} ${r.outcome}`);
const segs = (d: PolicyData, range: string, port: number): string[] =>
  d.rows
    .find((r) => r.range === range && r.port === port)!
    .segments.map((s) => `${s.range} ${s.outcome}${s.rule ? ` @${s.rule.line}` : ''}`);

/** The banned address is rejected on the ports fail2ban named, the rest of the range gets in on every service. */
const FAIL2BAN_VERDICTS = [
  '173.245.48.0/20 22 partial',
  '173.245.48.0/20 80 partial',
  '173.245.48.0/20 443 partial',
  '173.245.48.0/20 8443 blocked',
  '2400:cb00::/32 22 allowed',
  '2400:cb00::/32 80 allowed',
  '2400:cb00::/32 443 partial',
  '2400:cb00::/32 8443 blocked',
];

describe('real firewalld output with fail2ban rich rules', () => {
  test('--list-all: `port port="https"` resolves to 443, each rule bans its own port only', () => {
    const d = analyse('public-fail2ban-list-all.txt', [22, 80, 443, 8443]);
    expect(d.files[0]!.format).toBe('firewalld');
    expect(verdicts(d)).toEqual(FAIL2BAN_VERDICTS);
    expect(segs(d, '173.245.48.0/20', 443)).toEqual([
      '173.245.48.0-173.245.48.9 allow @6',
      '173.245.48.10/32 reject @15',
      '173.245.48.11-173.245.63.255 allow @6',
    ]);
    expect(segs(d, '173.245.48.0/20', 22)[1]).toBe('173.245.48.10/32 reject @18');
    expect(segs(d, '2400:cb00::/32', 443)[1]).toBe('2400:cb00::10/128 reject @16');
    expect(d.files[0]!.notes).toEqual([]);
  });

  test('zone XML: the https ban decides port 443 only, not port 22', () => {
    const d = analyse('public-fail2ban.xml', [22, 80, 443, 8443]);
    expect(d.files[0]!.format).toBe('firewalld-xml');
    expect(verdicts(d)).toEqual(FAIL2BAN_VERDICTS);
    expect(segs(d, '173.245.48.0/20', 22)[1]).toBe('173.245.48.10/32 reject @24');
    expect(segs(d, '173.245.48.0/20', 443)[1]).toBe('173.245.48.10/32 reject @9');
  });

  test('near miss: a numeric port in the same rule reads the same', () => {
    const text = read('public-fail2ban-list-all.txt').replace('port port="https"', 'port port="443"');
    const d = analyseText('x', text, [22, 443]);
    expect(segs(d, '173.245.48.0/20', 443)[1]).toBe('173.245.48.10/32 reject @15');
    expect(segs(d, '173.245.48.0/20', 22)[1]).toBe('173.245.48.10/32 reject @18');
  });

  test('a port name not in /etc/services: the rule may or may not match, named, never refused', () => {
    const text = read('public-fail2ban-list-all.txt').replace('port port="https"', 'port port="no-such-svc"');
    const d = analyseText('x', text, [443, 8443]);
    expect(d.files[0]!.notes.map((n) => n.key)).toEqual(['policy.note_firewalld_port_name']);
    const r = d.rows.find((x) => x.range === '173.245.48.0/20' && x.port === 8443)!;
    // The rule might reject 173.245.48.10 on 8443; the zone default rejects it anyway: the answer is sure.
    expect(r.outcome).toBe('blocked');
    const s = d.rows
      .find((x) => x.range === '173.245.48.0/20' && x.port === 443)!
      .segments.find((x) => x.range === '173.245.48.10/32')!;
    // On 443 the zone lets https in unless that rule matches: undecided, with both answers.
    expect(s.outcome).toBe('unknown');
    expect(s.undecided[0]!.what).toBe('port port="no-such-svc"');
    expect(s.possible.map((p) => p.outcome).sort()).toEqual(['allow', 'reject']);
  });

  test("fail2ban's rich-logging action: the log limit throttles the logging, not the traffic", () => {
    const text = read('public-fail2ban-list-all.txt').replace(
      'protocol="tcp" reject type="icmp-port-unreachable"',
      'protocol="tcp" log prefix="f2b-sshd reject" level="info" limit value="1/m" reject type="icmp-port-unreachable"',
    );
    const d = analyseText('x', text, [443]);
    const s = d.rows[0]!.segments.find((x) => x.range === '173.245.48.10/32')!;
    expect(s.outcome).toBe('reject');
    expect(s.limits).toEqual([]);
  });

  test('near miss: a limit on the verdict itself is a rate limit', () => {
    const text = read('public-fail2ban-list-all.txt').replace(
      'protocol="tcp" reject type="icmp-port-unreachable"',
      'protocol="tcp" accept limit value="1/m"',
    );
    const d = analyseText('x', text, [443]);
    const s = d.rows[0]!.segments.find((x) => x.range === '173.245.48.10/32')!;
    expect(s.outcome).toBe('limited');
    expect(s.limits[0]!.detail).toBe('limit value="1/m"');
  });
});

describe('real firewall-cmd --list-all-zones', () => {
  test('no zone holds an interface and none is marked default: each zone is possible, the answer unknown', () => {
    const d = analyse('default-list-all-zones.txt', [22, 443]);
    expect(d.files[0]!.notes.map((n) => n.key)).toEqual(['policy.note_firewalld_default_zone']);
    expect(d.files[0]!.notes[0]!.params.zones).toBe(
      'block, dmz, drop, external, home, internal, public, trusted, work',
    );
    expect(verdicts(d)).toEqual([
      '173.245.48.0/20 22 unknown',
      '173.245.48.0/20 443 unknown',
      '2400:cb00::/32 22 unknown',
      '2400:cb00::/32 443 unknown',
    ]);
    // Port 22: the block zone rejects, the drop zone drops, the others let ssh in — each branch names its zone.
    const s = d.rows[0]!.segments[0]!;
    expect(s.possible.map((p) => `${p.outcome} ${p.rule?.text}`)).toEqual([
      'reject target: %%REJECT%%',
      'drop target: DROP',
      'allow dmz: service ssh',
    ]);
    expect(s.possible[0]!.when.map((w) => `${w.what} ${w.matched}`)).toEqual(['DefaultZone=block true']);
    // Not one confident "blocked" row: the wrong zone no longer decides.
    expect(d.coverage).toEqual({ v4: 0, v6: 0 });
    expect(d.undecided).toEqual({ v4: 1, v6: 1 });
  });

  test('near miss: the zone holding the interface decides, confidently', () => {
    const text = read('default-list-all-zones.txt').replace(
      /^public\n( {2}target: default\n {2}icmp-block-inversion: no\n) {2}interfaces: $/m,
      'public (active)\n$1  interfaces: eth0',
    );
    const e = analyseText('zones.txt', text, [22, 443]);
    expect(e.files[0]!.notes).toEqual([]);
    expect(verdicts(e)).toEqual([
      '173.245.48.0/20 22 allowed',
      '173.245.48.0/20 443 blocked',
      '2400:cb00::/32 22 allowed',
      '2400:cb00::/32 443 blocked',
    ]);
    expect(e.rows[1]!.segments[0]!.byDefault).toBe(true);
  });

  test('near miss: zones that agree give a confident answer even when the zone is unknown', () => {
    // Without block, drop and trusted every zone rejects port 5432 by its default target: whichever it is.
    const text = read('default-list-all-zones.txt').replace(/^(block|drop|trusted)\n[^]*?\n\n/gm, '');
    const d = analyseText('zones.txt', text, [5432]);
    expect(verdicts(d)).toEqual(['173.245.48.0/20 5432 blocked', '2400:cb00::/32 5432 blocked']);
  });
});
