import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { diagnose, verdictOf } from '../../../main/diagnosis';
import type { DiagnosisFacts } from '../../../main/diagnosis/types';
import { createTranslator } from '../../../shared/i18n/translate';
import type { DnsData, LocalData, TcpAttempt, TcpOutcome, TraceData } from '../../../shared/model/probe-data';
import type { Endpoint, ProbeRecord, SessionInput } from '../../../shared/model/report';
import { tcpStats } from '../../../main/probes/tcp';
import { sessionInput } from '../../lab/session-input';

const t = createTranslator('en');
const ORIGIN = '203.0.113.7';
const ep = (port: number, address = ORIGIN): Endpoint => ({
  url: `https://${address}:${port}`,
  scheme: 'https',
  address,
  family: address.includes(':') ? 6 : 4,
  port,
});

const input = (endpoints: Endpoint[], extra: Partial<SessionInput> = {}): SessionInput =>
  sessionInput({ endpoints, ...extra });

const record = (id: string, kind: ProbeRecord['kind'], target: string, data: object): ProbeRecord => ({
  id,
  kind,
  target,
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1,
  status: 'ok',
  data: data as Record<string, unknown>,
});

const CODES: Record<TcpOutcome, string | null> = {
  connected: null,
  refused: 'ECONNREFUSED',
  timeout: null,
  unreachable: 'EHOSTUNREACH',
  reset: 'ECONNRESET',
  error: 'EPERM',
};
function tcp(id: string, e: Endpoint, outcomes: TcpOutcome[], code?: string): ProbeRecord {
  const attempts: TcpAttempt[] = outcomes.map((o, i) => ({
    seq: i + 1,
    outcome: o,
    ms: o === 'connected' ? 12 : 3000,
    code: code ?? CODES[o],
  }));
  return record(id, 'tcp', e.url, {
    address: e.address,
    port: e.port,
    family: e.family,
    url: e.url,
    attempts,
    stats: tcpStats(attempts),
  });
}
function trace(id: string, target: string, hops: [string | null, string?][]): ProbeRecord {
  const h = hops.map(([address, annotation], i) => ({
    ttl: i + 1,
    probes: [{ address, rttMs: address ? 1 : null, annotation: annotation ?? null }],
  }));
  const answered = h.filter((x) => x.probes[0]!.address);
  const last = answered[answered.length - 1];
  const data: TraceData = {
    target,
    tool: 'traceroute',
    toolPath: '/usr/sbin/traceroute',
    args: [],
    problem: null,
    exitCode: 0,
    hops: h,
    reached: answered.some((x) => x.probes[0]!.address === target),
    lastResponder: last?.probes[0]!.address ?? null,
    lastResponderTtl: last?.ttl ?? null,
    stopAnnotation: last?.probes[0]!.annotation ?? null,
  };
  return record(id, 'trace', target, data);
}
const local = (
  routes: LocalData['routes'] = [{ destination: '0.0.0.0', prefix: 0, gateway: '192.0.2.1', iface: 'eth0' }],
  proxy: Record<string, string> = {},
): ProbeRecord =>
  record('local', 'local', 'local', {
    os: 'linux',
    release: '',
    arch: 'x64',
    hostname: 'h',
    root: false,
    interfaces: [],
    routes,
    defaultGateways: [],
    dnsServers: [],
    proxy,
  } satisfies LocalData);
function dns(
  id: string,
  server: string,
  outcome: DnsData['outcome'],
  addresses: string[] = [],
  cnameChain: string[] = [],
): ProbeRecord {
  const a = {
    outcome: addresses.length ? ('ok' as const) : outcome,
    code: null,
    ms: 1,
    values: addresses,
    ttl: 60,
  };
  return record(id, 'dns', server, {
    domain: 'www.example.com',
    server,
    serverSource: 'requested',
    outcome,
    a,
    aaaa: { ...a, values: [] },
    cnameChain,
    addresses,
  } satisfies DnsData);
}

const facts = (i: SessionInput, probes: ProbeRecord[], providerRanges: string[] = []): DiagnosisFacts => ({
  input: i,
  probes,
  providerRanges,
  providerName: providerRanges.length ? 'Cloudflare' : null,
});
const run = (f: DiagnosisFacts) => diagnose(f, t);
const top = (f: DiagnosisFacts): string | undefined => run(f).causes[0]?.id;
const ids = (f: DiagnosisFacts): string[] =>
  run(f)
    .findings.map((x) => x.id)
    .sort();

describe('TCP findings', () => {
  const e = ep(443);
  test('all connected → tcp.ok, healthy; slow → tcp.high_latency', () => {
    const f = facts(input([e]), [local(), tcp('tcp-1', e, ['connected', 'connected'])]);
    expect(ids(f)).toEqual(['tcp.ok']);
    expect(run(f).verdict).toBe('healthy');
    const slow = tcp('tcp-1', e, ['connected']);
    (slow.data as { stats: { avgMs: number } }).stats.avgMs = 900;
    expect(ids(facts(input([e]), [slow]))).toEqual(['tcp.high_latency', 'tcp.ok']);
  });
  test('mixed → tcp.loss (+ tcp.reset when a reset was among them)', () => {
    expect(
      ids(facts(input([e]), [tcp('tcp-1', e, ['connected', 'timeout', 'connected', 'connected'])])),
    ).toEqual(['tcp.loss']);
    expect(ids(facts(input([e]), [tcp('tcp-1', e, ['connected', 'reset'])]))).toEqual([
      'tcp.loss',
      'tcp.reset',
    ]);
  });
  test('the dominant failure names the finding', () => {
    expect(ids(facts(input([e]), [tcp('tcp-1', e, ['refused', 'refused', 'timeout'])]))).toEqual([
      'tcp.refused',
    ]);
    expect(ids(facts(input([e]), [tcp('tcp-1', e, ['error'])]))).toEqual(['tcp.error']);
  });
  test('cancelled series say nothing', () => {
    expect(ids(facts(input([e]), [tcp('tcp-1', e, ['error', 'error'], 'ECANCELLED')]))).toEqual([]);
  });
});

describe('network causes: the evidence that must produce each, and near misses that must not', () => {
  const e = ep(443);
  test('cause.service_down: RST, stronger when another port on the host answers', () => {
    const f = facts(input([e]), [tcp('tcp-1', e, ['refused', 'refused'])]);
    expect(top(f)).toBe('cause.service_down');
    expect(run(f).causes.map((c) => c.id)).toEqual(['cause.service_down', 'cause.firewall_reject']);
    const e80 = ep(80);
    const both = run(
      facts(input([e, e80]), [tcp('tcp-1', e, ['refused']), tcp('tcp-2', e80, ['connected'])]),
    );
    expect(both.causes[0]).toMatchObject({ id: 'cause.service_down', confidence: 0.7, targets: [e.url] });
  });
  test('cause.firewall_drop: silence while the host answers the trace', () => {
    const f = facts(input([e]), [
      tcp('tcp-1', e, ['timeout', 'timeout']),
      trace('trace-1', ORIGIN, [['192.0.2.1'], [ORIGIN]]),
    ]);
    expect(run(f).causes[0]).toMatchObject({ id: 'cause.firewall_drop', confidence: 0.85 });
    expect(run(f).causes.map((c) => c.id)).not.toContain('cause.routing');
  });
  test('silence with a dark path: firewall_drop first, routing second', () => {
    const f = facts(input([e]), [
      tcp('tcp-1', e, ['timeout']),
      trace('trace-1', ORIGIN, [['192.0.2.1'], [null], [null]]),
    ]);
    expect(ids(f)).toEqual(['path.incomplete', 'tcp.timeout']);
    expect(run(f).causes.map((c) => c.id)).toEqual(['cause.firewall_drop', 'cause.routing']);
  });
  test('cause.firewall_reject: ICMP unreachable from the host itself, or admin-prohibited', () => {
    const f = facts(input([e]), [
      tcp('tcp-1', e, ['unreachable']),
      trace('trace-1', ORIGIN, [['192.0.2.1'], [ORIGIN]]),
    ]);
    expect(top(f)).toBe('cause.firewall_reject');
    const v6 = ep(443, '2001:db8::7');
    expect(top(facts(input([v6]), [tcp('tcp-1', v6, ['unreachable'], 'EACCES')]))).toBe(
      'cause.firewall_reject',
    );
  });
  test('cause.routing: a router before the origin says net unreachable', () => {
    const f = facts(input([e]), [
      tcp('tcp-1', e, ['unreachable'], 'ENETUNREACH'),
      trace('trace-1', ORIGIN, [['192.0.2.1', '!N']]),
    ]);
    expect(top(f)).toBe('cause.routing');
    expect(run(f).findings.find((x) => x.id === 'path.incomplete')!.message).toContain('192.0.2.1, !N');
  });
  test('cause.routing from local.no_route; a local address never counts as unrouted', () => {
    const f = facts(input([e]), [local([]), tcp('tcp-1', e, ['unreachable'], 'ENETUNREACH')]);
    expect(ids(f)).toEqual(['local.no_route', 'tcp.unreachable']);
    expect(run(f).causes[0]).toMatchObject({ id: 'cause.routing', confidence: 0.9 });
    const lo = ep(1, '127.0.0.1');
    expect(ids(facts(input([lo]), [local([]), tcp('tcp-1', lo, ['refused'])]))).toEqual(['tcp.refused']);
  });
  test('a healthy endpoint whose trace dies is not reported as a path problem', () => {
    expect(
      ids(
        facts(input([e]), [
          tcp('tcp-1', e, ['connected']),
          trace('trace-1', ORIGIN, [['192.0.2.1'], [null]]),
        ]),
      ),
    ).toEqual(['tcp.ok']);
  });
  test('cause.origin_overloaded from intermittent loss, never from a clean series', () => {
    expect(top(facts(input([e]), [tcp('tcp-1', e, ['connected', 'timeout', 'connected', 'timeout'])]))).toBe(
      'cause.origin_overloaded',
    );
    expect(run(facts(input([e]), [tcp('tcp-1', e, ['connected'])])).causes).toEqual([]);
  });
});

describe('DNS findings and cause.dns_misconfigured', () => {
  const e = ep(443);
  const withDomain = (extra: Partial<SessionInput> = {}) =>
    input([e], { domain: 'www.example.com', ...extra });
  test('NXDOMAIN', () => {
    const f = facts(withDomain(), [dns('dns-1', '198.18.0.1', 'nxdomain')]);
    expect(ids(f)).toEqual(['dns.nxdomain']);
    expect(top(f)).toBe('cause.dns_misconfigured');
  });
  test('origin exposed and not via the provider', () => {
    const f = facts(
      withDomain({ provider: 'cloudflare' }),
      [dns('dns-1', '198.18.0.1', 'ok', [ORIGIN])],
      ['104.16.0.0/13'],
    );
    expect(ids(f)).toEqual(['dns.not_via_provider', 'dns.origin_exposed']);
  });
  test('through the provider by CNAME or by range: nothing to report', () => {
    expect(
      ids(
        facts(
          withDomain({ provider: 'cloudflare' }),
          [dns('dns-1', 's', 'ok', ['104.16.1.1'])],
          ['104.16.0.0/13'],
        ),
      ),
    ).toEqual([]);
    expect(
      ids(
        facts(
          withDomain({ provider: 'cloudflare' }),
          [dns('dns-1', 's', 'ok', ['192.0.2.50'], ['www.example.com.cdn.cloudflare.net'])],
          ['104.16.0.0/13'],
        ),
      ),
    ).toEqual([]);
  });
  test('without a provider, an address that is not the origin is not judged', () => {
    expect(ids(facts(withDomain(), [dns('dns-1', 's', 'ok', ['192.0.2.50'])]))).toEqual([]);
  });
  test('resolvers that disagree', () => {
    const f = facts(withDomain(), [dns('dns-1', 'a', 'ok', ['192.0.2.50']), dns('dns-2', 'b', 'nxdomain')]);
    expect(ids(f)).toEqual(['dns.nxdomain', 'dns.resolver_mismatch']);
    expect(
      ids(
        facts(withDomain(), [
          dns('dns-1', 'a', 'ok', ['192.0.2.50']),
          dns('dns-2', 'b', 'ok', ['192.0.2.50']),
        ]),
      ),
    ).toEqual([]);
  });
});

test('the symptom the customer sees ranks the causes it points at higher, never against the evidence', () => {
  const e = ep(443);
  // Silence with a dark path: firewall_drop 0.55, routing 0.35 without a symptom.
  const probes = [tcp('tcp-1', e, ['timeout']), trace('trace-1', ORIGIN, [['192.0.2.1'], [null]])];
  expect(run(facts(input([e]), probes)).causes.map((c) => [c.id, c.confidence])).toEqual([
    ['cause.firewall_drop', 0.55],
    ['cause.routing', 0.35],
  ]);
  // 523 (no route) moves routing up a fifth of the way to certainty; 522 does the same for the firewall.
  expect(run(facts(input([e], { symptom: '523' }), probes)).causes.map((c) => [c.id, c.confidence])).toEqual([
    ['cause.firewall_drop', 0.55],
    ['cause.routing', 0.48],
  ]);
  const with522 = run(facts(input([e], { symptom: '522' }), probes)).causes;
  expect(with522[0]).toMatchObject({
    id: 'cause.firewall_drop',
    confidence: 0.64,
    params: { symptom: '522', matchesSymptom: true },
  });
  // A symptom never invents a cause the evidence does not support.
  expect(run(facts(input([e], { symptom: '526' }), [tcp('tcp-1', e, ['connected'])])).causes).toEqual([]);
});

test('cause.ipv6_broken: IPv4 answers on the port, IPv6 of the same session does not', () => {
  const v4 = ep(443);
  const v6 = ep(443, '2001:db8::7');
  const f = run(facts(input([v4, v6]), [tcp('tcp-1', v4, ['connected']), tcp('tcp-2', v6, ['timeout'])]));
  expect(f.causes.find((c) => c.id === 'cause.ipv6_broken')).toMatchObject({
    targets: [v6.url],
    findings: ['tcp.timeout'],
  });
  // Near misses: both failing, or IPv6 failing on another port than the one IPv4 answers.
  expect(
    run(facts(input([v4, v6]), [tcp('tcp-1', v4, ['timeout']), tcp('tcp-2', v6, ['timeout'])])).causes.map(
      (c) => c.id,
    ),
  ).not.toContain('cause.ipv6_broken');
  const v6other = ep(8443, '2001:db8::7');
  expect(
    run(
      facts(input([v4, v6other]), [tcp('tcp-1', v4, ['connected']), tcp('tcp-2', v6other, ['refused'])]),
    ).causes.map((c) => c.id),
  ).not.toContain('cause.ipv6_broken');
});

test('a proxy in the environment is reported as information only', () => {
  const f = facts(input([]), [local(undefined, { HTTPS_PROXY: 'http://proxy:3128' })]);
  expect(run(f).findings).toMatchObject([{ id: 'local.proxy_set', severity: 'info' }]);
  expect(run(f).verdict).toBe('healthy');
});

test('verdict from the worst finding', () => {
  expect(verdictOf([])).toBe('healthy');
  expect(verdictOf([{ severity: 'info' }, { severity: 'warn' }])).toBe('degraded');
  expect(verdictOf([{ severity: 'warn' }, { severity: 'error' }])).toBe('broken');
});

test('Chinese wording from the same facts', () => {
  const e = ep(443);
  const zh = diagnose(facts(input([e]), [tcp('tcp-1', e, ['refused'])]), createTranslator('zh-CN'));
  expect(zh.findings[0]!.message).toContain('拒绝连接');
  expect(zh.causes[0]!.summary).toContain('网站服务');
});

test('never throws and is deterministic on any probe data', () => {
  const outcome = fc.constantFrom<TcpOutcome>(
    'connected',
    'refused',
    'timeout',
    'unreachable',
    'reset',
    'error',
  );
  const anyData = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }));
  const probe = fc.oneof(
    fc.array(outcome, { maxLength: 5 }).map((o) => tcp('tcp-1', ep(443), o)),
    anyData.map((d) => record('x', 'tcp', 'https://203.0.113.7:443', d)),
    anyData.map((d) => record('y', 'trace', ORIGIN, d)),
    anyData.map((d) => record('z', 'dns', 's', d)),
    anyData.map((d) => record('local', 'local', 'local', d)),
  );
  fc.assert(
    fc.property(fc.array(probe, { maxLength: 6 }), fc.boolean(), (probes, withDomain) => {
      const f = facts(
        input([ep(443)], withDomain ? { domain: 'www.example.com', provider: 'cloudflare' } : {}),
        probes,
        ['104.16.0.0/13'],
      );
      const a = run(f);
      expect(run(f)).toEqual(a);
    }),
    { numRuns: 300 },
  );
});

describe('DNS against the provider: only its CNAME suffixes and published edge ranges say where a name should resolve', () => {
  const e = ep(443);
  const withDomain = (extra: Partial<SessionInput> = {}) =>
    input([e], { domain: 'www.example.com', ...extra });
  const egress = '198.51.100.0/24';
  const bare = (i: SessionInput, probes: ProbeRecord[], ranges: string[], name: string | null) =>
    diagnose({ input: i, probes, providerRanges: ranges, providerName: name }, t);

  test('back-to-origin ranges alone: no bypass finding, no "-" as a provider, no DNS cause', () => {
    const d = bare(
      withDomain({ sourceRanges: [egress] }),
      [dns('dns-1', '198.18.0.1', 'ok', ['192.0.2.50'])],
      [egress],
      null,
    );
    expect(d.findings.map((f) => f.id)).not.toContain('dns.not_via_provider');
    expect(d.causes.map((c) => c.id)).not.toContain('cause.dns_misconfigured');
    for (const f of d.findings) expect(f.message).not.toMatch(/through -/);
  });

  test('an egress range that happens to hold the answer does not make it the edge', () => {
    const d = bare(
      withDomain({ provider: 'cloudflare', sourceRanges: ['192.0.2.0/24'] }),
      [dns('dns-1', 's', 'ok', ['192.0.2.50'])],
      ['192.0.2.0/24', '104.16.0.0/13'],
      'Cloudflare',
    );
    expect(d.findings.map((f) => f.id)).toContain('dns.not_via_provider');
  });

  test('near miss: a provider preset names itself, by edge range or by CNAME suffix alone', () => {
    const cf = bare(
      withDomain({ provider: 'cloudflare' }),
      [dns('dns-1', 's', 'ok', ['192.0.2.50'])],
      ['104.16.0.0/13'],
      'Cloudflare',
    );
    const f = cf.findings.find((x) => x.id === 'dns.not_via_provider')!;
    expect(f.message).toContain('through Cloudflare');
    // Akamai publishes no edge ranges here, only CNAME suffixes: a name outside them is still judged …
    const ak = bare(
      withDomain({ provider: 'akamai' }),
      [dns('dns-1', 's', 'ok', ['192.0.2.50'])],
      [],
      'Akamai',
    );
    expect(ak.findings.find((x) => x.id === 'dns.not_via_provider')!.message).toContain('through Akamai');
    // … and one inside them is not.
    const ok = bare(
      withDomain({ provider: 'akamai' }),
      [dns('dns-1', 's', 'ok', ['192.0.2.50'], ['www.example.com.edgekey.net'])],
      [],
      'Akamai',
    );
    expect(ok.findings.map((x) => x.id)).not.toContain('dns.not_via_provider');
  });

  test('a CNAME chain cut by a timeout says nothing about bypass; near miss: a complete chain still does', () => {
    const cut = dns('dns-1', 's', 'ok', ['192.0.2.50'], ['lb.example.net']);
    const complete = dns('dns-1', 's', 'ok', ['192.0.2.50'], ['lb.example.net']);
    (cut.data as DnsData).cnameComplete = false;
    (complete.data as DnsData).cnameComplete = true;
    const judge = (p: ProbeRecord) =>
      bare(withDomain({ provider: 'akamai' }), [p], [], 'Akamai').findings.map((x) => x.id);
    // Past the cut the chain may still reach *.edgekey.net: "not via the provider" would be a guess.
    expect(judge(cut)).not.toContain('dns.not_via_provider');
    expect(judge(complete)).toContain('dns.not_via_provider');
  });
});
