import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { analysePolicy } from '../../../main/policy/analyse';
import { parsePolicies } from '../../../main/policy/parse';
import type { PolicyData } from '../../../shared/model/probe-data';

/**
 * ufw 0.36.2's own `status`, `status verbose` and `status numbered` for one rule set made in a throw-away network
 * namespace (test/fixtures/policy/real/ufw/make-status.sh; README.md there): app profiles, LIMIT, DENY vs REJECT,
 * `on eth0`, source ports, protocol suffixes, multicast destinations, a To column wider than its pad, OUT rules.
 */

const dir = path.join(__dirname, '../../fixtures/policy/real/ufw');
const RANGES = [
  '173.245.48.0/20',
  '103.21.244.0/22',
  '103.22.200.0/22',
  '141.101.64.0/18',
  '2400:cb00::/32',
  '2606:4700::/32',
];
const PORTS = [22, 80, 443, 3306, 8080, 8443, 9443];

function analyseText(name: string, text: string, ports = PORTS, destinations: string[] = []): PolicyData {
  const parsed = parsePolicies([{ name, text, format: null }]);
  if (!parsed.ok) throw new Error(`${name}: ${parsed.error.key} ${JSON.stringify(parsed.error.params)}`);
  return {
    ...analysePolicy({ sets: parsed.value, ranges: RANGES, ports, provider: null, destinations }),
    elapsedMs: 0,
  };
}
const read = (file: string): string => readFileSync(path.join(dir, file), 'utf8');
const outcome = (d: PolicyData, range: string, port: number): string =>
  d.rows.find((r) => r.range === range && r.port === port)!.outcome;

/**
 * What every shape says alike (the app profile with unknown ports aside). `byDefault`: the outcome where no listed
 * rule decides — blocked with the incoming default printed (verbose), unknown without it.
 */
function expectCommon(d: PolicyData, byDefault: 'blocked' | 'unknown'): void {
  for (const r of RANGES) expect(outcome(d, r, 22)).toBe('limited'); // LIMIT OpenSSH: accepted, rate-limited
  expect(outcome(d, '103.22.200.0/22', 80)).toBe('blocked'); // REJECT
  expect(outcome(d, '173.245.48.0/20', 80)).toBe('allowed');
  expect(outcome(d, '103.21.244.0/22', 443)).toBe('blocked'); // DENY
  expect(outcome(d, '103.21.244.0/22', 80)).toBe('allowed');
  expect(outcome(d, '2400:cb00::/32', 443)).toBe('allowed');
  for (const r of RANGES.filter((x) => x !== '141.101.64.0/18')) expect(outcome(d, r, 3306)).toBe('blocked');
  // `8080/tcp on eth0`: whether the provider comes in on eth0 is not in the file.
  for (const r of RANGES) expect(outcome(d, r, 8080)).toBe('unknown');
  // A destination-limited rule while the origin's address is not given.
  expect(outcome(d, '173.245.48.0/20', 8443)).toBe('unknown');
  expect(outcome(d, '2606:4700::/32', 8443)).toBe('unknown');
  expect(outcome(d, '2400:cb00::/32', 8443)).toBe(byDefault);
  const reject = d.rows.find((r) => r.range === '103.22.200.0/22' && r.port === 80)!.segments[0]!;
  expect(reject.outcome).toBe('reject');
  const drop = d.rows.find((r) => r.range === '103.21.244.0/22' && r.port === 443)!.segments[0]!;
  expect(drop.outcome).toBe('drop');
  const keys = d.files[0]!.notes.map((n) => n.key);
  expect(keys).toContain('policy.note_ufw_source_port');
  expect(keys).toContain('policy.note_ufw_not_tcp');
}

describe('real ufw status output', () => {
  test('status verbose: app ports printed, the overflowing To column read, every verdict', () => {
    const d = analyseText('status-verbose.txt', read('status-verbose.txt'));
    expect(d.files[0]!.format).toBe('ufw');
    expectCommon(d, 'blocked');
    // `9443/tcp (Origin Admin)`: verbose prints the ports of a site-specific profile.
    expect(outcome(d, '141.101.64.0/18', 9443)).toBe('allowed');
    expect(outcome(d, '141.101.64.0/18', 3306)).toBe('blocked');
    expect(outcome(d, '173.245.48.0/20', 9443)).toBe('blocked');
    expect(d.files[0]!.notes.map((n) => n.key)).not.toContain('policy.note_ufw_profile');
  });

  for (const file of ['status.txt', 'status-numbered.txt'])
    test(`${file}: profile names resolve; one whose ports are unknown is undecided for its source only`, () => {
      const d = analyseText(file, read(file));
      expectCommon(d, 'unknown');
      expect(outcome(d, '141.101.64.0/18', 9443)).toBe('unknown');
      // The profile, listed before the REJECT, might cover 3306 too.
      expect(outcome(d, '141.101.64.0/18', 3306)).toBe('unknown');
      // No rule decides 9443 from this range, and the default is not in this output: unknown, naming it.
      expect(outcome(d, '173.245.48.0/20', 9443)).toBe('unknown');
      const row = d.rows.find((r) => r.range === '173.245.48.0/20' && r.port === 9443)!;
      expect(JSON.stringify(row)).toContain('the incoming default');
      expect(d.files[0]!.notes.map((n) => n.key)).toContain('policy.note_ufw_default_assumed');
      // The stand-in for the unknown default is no rule of the customer's: never an anomaly of its own.
      expect(d.anomalies.filter((a) => a.rule.text.startsWith('Default:'))).toEqual([]);
      const note = d.files[0]!.notes.find((n) => n.key === 'policy.note_ufw_profile')!;
      expect(note.params.profile).toBe('Origin Admin');
    });

  test('the origin address given: the destination-limited rules decide', () => {
    const d = analyseText(
      'status-verbose.txt',
      read('status-verbose.txt'),
      [8443],
      ['203.0.113.7', '2001:db8:1234:5678::abcd'],
    );
    expect(outcome(d, '173.245.48.0/20', 8443)).toBe('allowed');
    expect(outcome(d, '2606:4700::/32', 8443)).toBe('allowed');
  });

  // The incoming default as `ufw status verbose` prints it, so that only the rule under test is undecided.
  const withDefault = (text: string): string =>
    text.replace(
      'Status: active',
      'Status: active\nDefault: deny (incoming), allow (outgoing), disabled (routed)',
    );

  test('a multicast destination never decides; near miss: the same rule to a unicast address may', () => {
    const base = withDefault(read('status.txt'));
    const multi = base.replace('224.0.0.251 mDNS           ALLOW', '224.0.0.251 9000/tcp       ALLOW');
    expect(multi).not.toBe(base);
    expect(outcome(analyseText('m', multi, [9000]), '173.245.48.0/20', 9000)).toBe('blocked');
    const uni = base.replace('224.0.0.251 mDNS           ALLOW', '198.51.100.9 9000/tcp      ALLOW');
    expect(outcome(analyseText('u', uni, [9000]), '173.245.48.0/20', 9000)).toBe('unknown');
  });

  test('a low source port never matches a CDN node; near miss: an ephemeral source range may', () => {
    const base = withDefault(read('status.txt'));
    const tcp = base.replace(
      'Anywhere                   LIMIT       24/udp',
      'Anywhere                   ALLOW       24/tcp',
    );
    expect(tcp).not.toBe(base);
    expect(outcome(analyseText('t', tcp, [9000]), '173.245.48.0/20', 9000)).toBe('blocked');
    const high = base.replace(
      'Anywhere                   LIMIT       24/udp',
      'Anywhere                   ALLOW       1024:65535/tcp',
    );
    expect(outcome(analyseText('h', high, [9000]), '173.245.48.0/20', 9000)).toBe('unknown');
  });

  test('OUT rules are ignored: deny out 25 does not block inbound 25', () => {
    const d = analyseText('status-verbose.txt', read('status-verbose.txt'), [25]);
    // Inbound 25 is blocked by the default, not by `25 DENY OUT`.
    const s = d.rows[0]!.segments[0]!;
    expect(s.byDefault).toBe(true);
  });
});
