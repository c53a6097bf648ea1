import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { diagnose } from '../../main/diagnosis';
import { observeSyns, UNANSWERED_AFTER_S } from '../../main/capture/observe';
import { readCapture } from '../../main/capture/pcap';
import { bundleFromPastes } from '../../main/origin/paste';
import { counterRises, parseIptablesCounters, parseNftCounters } from '../../main/origin/firewall-counters';
import { parseFirewallLog, summariseFirewallLog } from '../../main/origin/firewall-log';
import { createTranslator } from '../../shared/i18n/translate';
import { parseEndpoint } from '../../shared/net/validate';
import { originBundleSchema, type Observation, type OriginBundle } from '../../shared/model/origin-bundle';
import type { ProbeRecord } from '../../shared/model/report';
import { sessionInput } from '../lab/session-input';

/** Real outputs made by test/fixtures/origin/observe/generate.sh (see the README there). */
const dir = path.join(__dirname, '..', 'fixtures', 'origin', 'observe');
const read = (f: string): string => readFileSync(path.join(dir, f), 'utf8');
const RANGES = ['198.18.200.0/24', '2001:db8:200::/64'];
const NOW = new Date('2026-11-29T10:00:00Z');

describe('firewall counters read twice (iptables-save -c, nft -a list ruleset)', () => {
  test('iptables: the DROP, LOG and REJECT rules whose counters rose, with their line and chain position', () => {
    const before = parseIptablesCounters(read('iptables-save-c-before.txt'), 'iptables-save -c')!;
    const after = parseIptablesCounters(read('iptables-save-c-after.txt'), 'iptables-save -c')!;
    const rose = counterRises(before, after);
    const drop = rose.find((r) => r.verdict === 'drop')!;
    expect(drop).toMatchObject({ chain: 'INPUT', position: 2, line: 7, table: 'filter' });
    expect(drop.rule).toBe('-A INPUT -p tcp -m tcp --dport 443 -j DROP');
    expect(drop.packets).toBeGreaterThanOrEqual(2);
    expect(rose.filter((r) => r.verdict === 'reject').map((r) => r.position)).toEqual(
      expect.arrayContaining([4, 6]),
    );
    expect(rose.filter((r) => r.verdict === 'log')).toHaveLength(3);
    // Near miss: the chain policies (ACCEPT, counters unchanged) did not rise and are not named.
    expect(rose.some((r) => r.position === 0)).toBe(false);
  });

  test('a rule inserted between the readings is not a rise we can vouch for; the same reading twice has none', () => {
    const after = parseIptablesCounters(read('iptables-save-c-after.txt'), 'iptables-save -c')!;
    expect(counterRises(after, after)).toEqual([]);
    const inserted = read('iptables-save-c-after.txt').replace(
      '[3:180] -A INPUT -p tcp -m tcp --dport 443 -j LOG',
      '[9:540] -A INPUT -s 198.18.0.0/15 -j DROP\n[3:180] -A INPUT -p tcp -m tcp --dport 443 -j LOG',
    );
    const rose = counterRises(after, parseIptablesCounters(inserted, 'iptables-save -c')!);
    expect(rose.map((r) => r.rule)).toEqual([]);
  });

  test('nftables: the counter of a rule that logs and drops rose; its verdict is drop; the idle accept is not named', () => {
    const before = parseNftCounters(read('nft-a-before.txt'), 'nft -a list ruleset')!;
    const after = parseNftCounters(read('nft-a-after.txt'), 'nft -a list ruleset')!;
    const rose = counterRises(before, after);
    const mine = rose.filter((r) => r.table === 'inet odfix');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ chain: 'input', position: 1, verdict: 'drop' });
    expect(mine[0]!.rule).toBe('tcp dport 80 counter log prefix "nft-drop: " drop');
    expect(parseNftCounters('table', 'x')).toBeNull();
  });
});

describe('kernel firewall log lines (iptables LOG with ufw / firewalld prefixes, nft log) read from dmesg', () => {
  test('prefix, addresses (IPv6 written in full by the kernel), port and wall-clock time', () => {
    const entries = parseFirewallLog(read('dmesg-iso.txt'), NOW)!;
    const prefixes = new Set(entries.map((e) => e.prefix));
    expect([...prefixes].sort()).toEqual([
      'FINAL_REJECT',
      '[UFW BLOCK]',
      'filter_IN_public_REJECT',
      'nft-drop',
    ]);
    const v6 = entries.find((e) => e.src.includes(':'))!;
    expect(v6).toMatchObject({ src: '2001:db8:200::5', dst: '2001:db8:200::9', dpt: 443, proto: 'TCP' });
    expect(entries.every((e) => e.at !== null && e.blocked)).toBe(true);
  });

  test('counted per prefix for the provider ranges, with the time range; a range the lines are not from gives none', () => {
    const entries = parseFirewallLog(read('dmesg-iso.txt'), NOW)!;
    const log = summariseFirewallLog([{ name: 'dmesg', entries }], RANGES, null);
    expect(log.lines).toBe(entries.length);
    expect(log.providerByPrefix.map((p) => p.prefix)).toContain('[UFW BLOCK]');
    expect(log.providerByPrefix.reduce((n, p) => n + p.count, 0)).toBe(entries.length);
    expect(log.from! < log.to!).toBe(true);
    const other = summariseFirewallLog([{ name: 'dmesg', entries }], ['203.0.113.0/24'], null);
    expect(other.providerByPrefix).toEqual([]);
    // Lines older than `since` are left out.
    const later = summariseFirewallLog(
      [{ name: 'dmesg', entries }],
      RANGES,
      new Date('2100-01-01T00:00:00Z'),
    );
    expect(later.lines).toBe(0);
  });

  test('dmesg without times: the lines are read, their time range is unknown (null), not invented', () => {
    const entries = parseFirewallLog(read('dmesg.txt'), NOW)!;
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.at === null)).toBe(true);
    const log = summariseFirewallLog([{ name: 'dmesg', entries }], RANGES, null);
    expect([log.from, log.to]).toEqual([null, null]);
  });

  test('the same line in two sources (journal and kern.log) counts once; prose is not a firewall log', () => {
    const entries = parseFirewallLog(read('dmesg-iso.txt'), NOW)!;
    const log = summariseFirewallLog(
      [
        { name: 'journalctl -k', entries },
        { name: '/var/log/kern.log', entries },
      ],
      RANGES,
      null,
    );
    expect(log.lines).toBe(entries.length);
    expect(parseFirewallLog('nothing to see\nIN= is mentioned here', NOW)).toBeNull();
  });

  test('a syslog line without a year takes this year, or last year when that would lie ahead', () => {
    const line =
      'Dec 31 23:59:59 web kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00 SRC=198.18.200.5 DST=198.18.1.2 LEN=60 PROTO=TCP SPT=1 DPT=443 SYN';
    const [e] = parseFirewallLog(line, new Date('2027-01-01T00:10:00Z'))!;
    expect(e!.at).toBe('2026-12-31T23:59:59.000Z');
    expect(e!.prefix).toBe('[UFW BLOCK]');
  });
});

describe('the provider SYNs in a real capture (tcpdump with the observation filter)', () => {
  const frames = readCapture(readFileSync(path.join(dir, 'observe-443-8443-9443.pcap'))).frames;
  const end = frames.at(-1)!.time + 0.5;

  test('DROP → unanswered (retransmitted), REJECT icmp → ICMP, REJECT tcp-reset → RST; per family range', () => {
    const { rows } = observeSyns(frames, RANGES, [443, 8443, 9443], end);
    const row = (port: number, range: string | null) =>
      rows.find((r) => r.port === port && r.range === range)!;
    expect(row(443, RANGES[0]!)).toMatchObject({ attempted: 1, unanswered: 1 });
    expect(row(443, RANGES[1]!)).toMatchObject({ attempted: 1, unanswered: 1 });
    expect(row(8443, RANGES[0]!)).toMatchObject({ attempted: 1, icmp: 1 });
    expect(row(9443, RANGES[0]!)).toMatchObject({ attempted: 1, rst: 1 });
    const ladder = row(443, RANGES[0]!).examples[0]!.ladder.map((s) => s.kind);
    expect(ladder.slice(0, 2)).toEqual(['syn', 'syn_retransmit']);
  });

  test('near miss: a lone SYN too late in the window to judge is pending, not unanswered', () => {
    const first = frames.findIndex((f) => f.data.length > 0);
    const lone = frames.slice(0, first + 4).filter((_, i) => i !== 1);
    const t0 = frames[0]!.time;
    const soon = observeSyns(lone, RANGES, [443], t0 + 1).rows.find(
      (r) => r.port === 443 && r.range === RANGES[0],
    )!;
    expect(soon).toMatchObject({ attempted: 1, unanswered: 0, pending: 1 });
    const later = observeSyns(lone, RANGES, [443], t0 + UNANSWERED_AFTER_S + 0.1).rows.find(
      (r) => r.port === 443 && r.range === RANGES[0],
    )!;
    expect(later).toMatchObject({ attempted: 1, unanswered: 1, pending: 0 });
  });

  test('addresses outside the ranges are counted apart, never as the provider', () => {
    const { rows } = observeSyns(frames, ['203.0.113.0/24'], [443], end);
    expect(rows.find((r) => r.range === null)).toMatchObject({ port: 443, attempted: 2, unanswered: 2 });
    expect(rows.find((r) => r.range === '203.0.113.0/24')).toMatchObject({ attempted: 0 });
  });
});

function observation(rows: Observation['rows'], extra: Partial<Observation> = {}): Observation {
  return {
    startedAt: '2026-11-29T09:00:00.000Z',
    seconds: 30,
    durationMs: 30_000,
    endedEarly: false,
    ranges: RANGES,
    ports: [443],
    capture: {
      tool: 'tcpdump',
      interface: 'any',
      filter: '',
      problem: null,
      detail: null,
      packets: 9,
      notFollowed: 0,
    },
    rows,
    counters: { sources: ['iptables-save -c'], rose: [] },
    conntrackFullDelta: 0,
    listenQueueDelta: { overflows: 0, drops: 0 },
    firewallLog: null,
    needsRoot: [],
    unavailable: [],
    ...extra,
  };
}
const row = (range: string | null, counts: Partial<Observation['rows'][number]>) => ({
  port: 443,
  range,
  attempted: 0,
  synAck: 0,
  rst: 0,
  icmp: 0,
  unanswered: 0,
  pending: 0,
  examples: [],
  ...counts,
});

function diagnoseWith(o: Observation | undefined, endpoints: string[], version: 1 | 2 = 2) {
  const bundle: OriginBundle = {
    ...bundleFromPastes([], [443], NOW).bundle,
    version,
    ...(o ? { observation: o } : {}),
  };
  const probe: ProbeRecord = {
    id: 'origin-1',
    kind: 'origin',
    target: 'origin',
    startedAt: NOW.toISOString(),
    durationMs: 1,
    status: 'ok',
    data: { ...bundle },
  };
  const input = sessionInput({
    endpoints: endpoints.map((e) => {
      const r = parseEndpoint(e);
      if (!r.ok) throw new Error(e);
      return r.value;
    }),
  });
  return diagnose({ input, probes: [probe], providerRanges: [], providerName: null }, createTranslator('en'));
}

describe('observation findings: the near misses that must not conclude', () => {
  const V4 = 'https://203.0.113.7:443';
  const V6 = 'https://[2001:db8:1::7]:443';
  const ids = (d: ReturnType<typeof diagnose>) =>
    d.findings.map((f) => f.id).filter((i) => i.startsWith('origin.provider'));

  test('the provider connects over IPv4 only: its silent IPv6 ranges are not "absent"', () => {
    const d = diagnoseWith(
      observation([
        row(RANGES[0]!, { attempted: 3, synAck: 3 }),
        row(RANGES[1]!, {}),
        row(null, { attempted: 5, synAck: 5 }),
      ]),
      [V4, V6],
    );
    expect(ids(d)).toEqual(['origin.provider_syn_answered']);
  });

  test('no traffic at all in the window proves nothing: no "absent"', () => {
    const d = diagnoseWith(observation([row(RANGES[0]!, {}), row(RANGES[1]!, {}), row(null, {})]), [V4]);
    expect(ids(d)).toEqual([]);
    const others = diagnoseWith(
      observation([row(RANGES[0]!, {}), row(RANGES[1]!, {}), row(null, { attempted: 4, synAck: 4 })]),
      [V4],
    );
    expect(ids(others)).toEqual(['origin.provider_syn_absent']);
    expect(others.causes[0]!.id).toBe('cause.backorigin_not_allowed');
  });

  test('without a capture (not permitted) the empty rows say nothing', () => {
    const o = observation([], {
      capture: {
        tool: 'tcpdump',
        interface: 'any',
        filter: '',
        problem: 'not_permitted',
        detail: null,
        packets: 0,
        notFollowed: 0,
      },
    });
    expect(ids(diagnoseWith(o, [V4]))).toEqual([]);
  });

  test('an RST with no REJECT counter and a listener unknown: firewall or empty port, neither certain', () => {
    const d = diagnoseWith(observation([row(RANGES[0]!, { attempted: 2, rst: 2 })]), [V4]);
    expect(ids(d)).toEqual(['origin.provider_syn_rejected']);
    const reject = d.causes.find((c) => c.id === 'cause.firewall_reject')!;
    expect(reject.confidence).toBeLessThan(0.95);
  });

  test('a version 1 bundle (before observations) still loads and diagnoses; an unknown version is refused', () => {
    // A bundle written before observations existed (origin-check --from ss-ltnp.txt, version 1).
    const file = originBundleSchema.parse(JSON.parse(read('bundle-v1.json')));
    expect([file.version, file.observation, file.firewallLog]).toEqual([1, undefined, undefined]);
    const v1 = { ...bundleFromPastes([], [443], NOW).bundle, version: 1 };
    expect(originBundleSchema.parse(v1).version).toBe(1);
    expect(originBundleSchema.safeParse({ ...v1, version: 3 }).success).toBe(false);
    expect(ids(diagnoseWith(undefined, [V4], 1))).toEqual([]);
  });
});

test('near miss: an hour-old firewall log line about a port whose provider handshakes now complete does not lead', () => {
  const o = observation([row(RANGES[0]!, { attempted: 2, synAck: 2 })], {
    firewallLog: {
      sources: ['dmesg'],
      lines: 1,
      from: '2026-11-29T08:10:00.000Z',
      to: '2026-11-29T08:10:00.000Z',
      providerByPrefix: [{ prefix: 'FINAL_REJECT', count: 1, blocked: true, sample: 'x' }],
      providerEntries: [
        {
          at: '2026-11-29T08:10:00.000Z',
          prefix: 'FINAL_REJECT',
          src: '198.18.200.5',
          dst: '203.0.113.7',
          proto: 'TCP',
          dpt: 443,
          blocked: true,
          line: 'x',
        },
      ],
    },
  });
  const d = diagnoseWith(o, ['https://203.0.113.7:443']);
  expect(d.findings.map((f) => f.id)).toEqual(
    expect.arrayContaining(['origin.provider_syn_answered', 'origin.firewall_log_blocks']),
  );
  const reject = d.causes.find((c) => c.id === 'cause.firewall_reject')!;
  expect(reject.targetConfidence['https://203.0.113.7:443']).toBeLessThanOrEqual(0.2);
});
