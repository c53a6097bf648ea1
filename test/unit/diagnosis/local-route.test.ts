import { describe, expect, test } from 'vitest';
import { diagnose } from '../../../main/diagnosis';
import type { DiagnosisFacts } from '../../../main/diagnosis/types';
import { tcpStats } from '../../../main/probes/tcp';
import { createTranslator } from '../../../shared/i18n/translate';
import type { LocalData, RouteCheck, TcpAttempt, TcpOutcome } from '../../../shared/model/probe-data';
import type { Endpoint, ProbeRecord } from '../../../shared/model/report';
import { sessionInput } from '../../lab/session-input';

/**
 * Issue 17 item 5: what this machine's own routing decides (reject routes, policy-routing rules, a VPN interface)
 * comes before any packet leaves, and /proc/net/route shows none of it.
 */

const en = createTranslator('en');
const zh = createTranslator('zh-CN');
const ep = (address: string, port = 443): Endpoint => ({
  url: `https://${address.includes(':') ? `[${address}]` : address}:${port}`,
  scheme: 'https',
  address,
  family: address.includes(':') ? 6 : 4,
  port,
});
const record = (id: string, kind: ProbeRecord['kind'], target: string, data: object): ProbeRecord => ({
  id,
  kind,
  target,
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1,
  status: 'ok',
  data: data as Record<string, unknown>,
});
function tcp(e: Endpoint, outcome: TcpOutcome, code: string | null): ProbeRecord {
  const attempts: TcpAttempt[] = [1, 2, 3, 4].map((seq) => ({ seq, outcome, ms: 1, code }));
  return record('tcp-1', 'tcp', e.url, {
    address: e.address,
    port: e.port,
    family: e.family,
    url: e.url,
    attempts,
    stats: tcpStats(attempts),
  });
}
/** The main table as /proc shows it: default routes on eth0 for both families. */
const PROC: LocalData['routes'] = [
  { destination: '0.0.0.0', prefix: 0, gateway: '192.0.2.1', iface: 'eth0' },
  { destination: '::', prefix: 0, gateway: 'fe80::1', iface: 'eth0' },
];
const check = (address: string, c: Partial<RouteCheck>): RouteCheck => ({
  address,
  decision: 'route',
  kind: 'unicast',
  iface: 'eth0',
  gateway: '192.0.2.1',
  table: null,
  route: null,
  by: 'route',
  commands: [`ip route get ${address}`],
  output: '',
  problem: null,
  ...c,
});
const local = (routeChecks: RouteCheck[] | undefined, routes: LocalData['routes'] = PROC): ProbeRecord =>
  record('local', 'local', 'local', {
    os: 'linux',
    release: '',
    arch: 'x64',
    hostname: 'h',
    root: false,
    interfaces: [{ name: 'eth0', address: '192.0.2.10', family: 4, cidr: '192.0.2.10/24' }],
    routes,
    ...(routeChecks ? { routeChecks } : {}),
    defaultGateways: ['192.0.2.1'],
    dnsServers: [],
    proxy: {},
  } satisfies LocalData);
const facts = (e: Endpoint, probes: ProbeRecord[]): DiagnosisFacts => ({
  input: sessionInput({ endpoints: [e] }),
  probes,
  providerRanges: [],
  providerName: null,
});

describe('a reject route or rule on this machine decides: local.no_route with the route, cause.routing on top', () => {
  for (const address of ['203.0.113.7', '2001:db8:7::7']) {
    const e = ep(address);
    const v6 = address.includes(':');
    test(`an unreachable route (IPv${v6 ? 6 : 4})`, () => {
      const route = v6
        ? 'unreachable 2001:db8:7::/48 dev lo metric 1024 pref medium'
        : 'unreachable 203.0.113.0/24';
      const d = diagnose(
        facts(e, [
          local([
            check(address, { decision: 'reject', kind: 'unreachable', iface: null, gateway: null, route }),
          ]),
          tcp(e, 'unreachable', 'EHOSTUNREACH'),
        ]),
        en,
      );
      const f = d.findings.find((x) => x.id === 'local.no_route');
      expect(f?.message).toContain(route);
      expect(f?.evidence).toEqual(['local', 'tcp-1']);
      expect(d.causes[0]!.id).toBe('cause.routing');
      const reject = d.causes.find((c) => c.id === 'cause.firewall_reject');
      expect(reject === undefined || reject.confidence < d.causes[0]!.confidence).toBe(true);
      // The fix removes this machine's reject route rather than adding a route around it.
      expect(d.causes[0]!.fix.map((s) => s.command ?? '')).toContain(
        `ip ${v6 ? '-6 ' : ''}route del ${route.split(' ').slice(0, 2).join(' ')}`,
      );
    });
  }

  test('a prohibit rule (connect says EACCES, which alone reads as a firewall REJECT)', () => {
    const e = ep('203.0.113.7');
    const route = '32763: from all to 203.0.113.0/24 prohibit';
    const d = diagnose(
      facts(e, [
        local([
          check('203.0.113.7', {
            decision: 'reject',
            kind: 'prohibit',
            iface: null,
            gateway: null,
            by: 'rule',
            route,
          }),
        ]),
        tcp(e, 'unreachable', 'EACCES'),
      ]),
      en,
    );
    expect(d.findings.find((x) => x.id === 'local.no_route')?.message).toContain(route);
    expect(d.causes[0]!.id).toBe('cause.routing');
    expect(d.causes[0]!.fix.map((s) => s.command ?? '')).toContain('ip rule del pref 32763');
    expect(
      diagnose(
        facts(e, [
          local([check('203.0.113.7', { decision: 'reject', kind: 'prohibit', by: 'rule', route })]),
          tcp(e, 'unreachable', 'EACCES'),
        ]),
        zh,
      ).findings.find((x) => x.id === 'local.no_route')?.message,
    ).toContain(route);
  });

  test('near miss: a route through the gateway, a router answering unreachable: no local.no_route', () => {
    const e = ep('203.0.113.7');
    const d = diagnose(
      facts(e, [local([check('203.0.113.7', {})]), tcp(e, 'unreachable', 'EHOSTUNREACH')]),
      en,
    );
    expect(d.findings.map((f) => f.id)).not.toContain('local.no_route');
    expect(d.findings.map((f) => f.id)).not.toContain('local.route_detour');
  });

  test('near miss: a policy-routing table /proc cannot see routes the address: no false local.no_route', () => {
    const e = ep('203.0.113.7');
    const onlyLan: LocalData['routes'] = [
      { destination: '10.0.0.0', prefix: 8, gateway: null, iface: 'eth0' },
    ];
    const routed = diagnose(
      facts(e, [
        local(
          [
            check('203.0.113.7', {
              table: '100',
              by: 'rule',
              route: '203.0.113.7 via 10.0.0.1 dev eth0 table 100',
            }),
          ],
          onlyLan,
        ),
        tcp(e, 'timeout', null),
      ]),
      en,
    );
    expect(routed.findings.map((f) => f.id)).not.toContain('local.no_route');
    // Without the OS's answer (older sessions, or it could not be asked) the table read from /proc still counts.
    const unknown = diagnose(
      facts(e, [
        local([check('203.0.113.7', { decision: 'unknown', problem: 'ip is not installed' })], onlyLan),
        tcp(e, 'timeout', null),
      ]),
      en,
    );
    expect(unknown.findings.map((f) => f.id)).toContain('local.no_route');
  });
});

describe('a VPN interface decides: local.route_detour with the route, cause.routing on top', () => {
  for (const address of ['203.0.113.7', '2001:db8:7::7']) {
    const e = ep(address);
    test(`a policy rule sends the address into tun0 (IPv${address.includes(':') ? 6 : 4}), the probe times out`, () => {
      const route = `${address} via 10.8.0.1 dev tun0 table 100 src 10.8.0.2 uid 0`;
      const d = diagnose(
        facts(e, [
          local([check(address, { iface: 'tun0', gateway: '10.8.0.1', table: '100', by: 'rule', route })]),
          tcp(e, 'timeout', null),
        ]),
        en,
      );
      const f = d.findings.find((x) => x.id === 'local.route_detour');
      expect(f?.message).toContain('tun0');
      expect(f?.message).toContain(route);
      expect(d.causes[0]!.id).toBe('cause.routing');
      expect(d.causes[0]!.findings).toContain('local.route_detour');
    });
  }
  test('on-link through a WireGuard tunnel: no "via -"', () => {
    const e = ep('203.0.113.7');
    const d = diagnose(
      facts(e, [
        local([
          check('203.0.113.7', {
            iface: 'wg0',
            gateway: null,
            route: '203.0.113.7 dev wg0 src 10.9.0.2 uid 0',
          }),
        ]),
        tcp(e, 'timeout', null),
      ]),
      en,
    );
    const f = d.findings.find((x) => x.id === 'local.route_detour')!;
    expect(f.message).not.toMatch(/via -|\(-\)/);
  });
  test('near miss: the VPN route exists but the endpoint answers: the detour is information, no routing cause', () => {
    const e = ep('203.0.113.7');
    const d = diagnose(
      facts(e, [
        local([check('203.0.113.7', { iface: 'tun0', gateway: '10.8.0.1', route: 'x dev tun0' })]),
        tcp(e, 'connected', null),
      ]),
      en,
    );
    expect(d.findings.map((f) => f.id)).toContain('local.route_detour');
    expect(d.causes.map((c) => c.id)).not.toContain('cause.routing');
  });
});
