import { expect, test } from 'vitest';
import { diagnose } from '../../main/diagnosis';
import { bundleFromPastes } from '../../main/origin/paste';
import { createTranslator } from '../../shared/i18n/translate';
import type { LocalData, TcpData } from '../../shared/model/probe-data';
import type { ProbeRecord } from '../../shared/model/report';
import { parseEndpoint } from '../../shared/net/validate';
import { sessionInput } from '../lab/session-input';

const at = '2026-11-28T10:00:00.000Z';
const probe = (id: string, kind: ProbeRecord['kind'], data: object): ProbeRecord => ({
  id,
  kind,
  target: id,
  startedAt: at,
  durationMs: 1,
  status: 'ok',
  data: { ...data },
});
const local = (routes: LocalData['routes']): ProbeRecord =>
  probe('local', 'local', {
    os: 'linux',
    release: '6.1',
    arch: 'x64',
    hostname: 'laptop',
    root: false,
    interfaces: [],
    routes,
    defaultGateways: [],
    dnsServers: [],
    proxy: {},
  } satisfies LocalData);
const ep = (url: string) => {
  const r = parseEndpoint(url);
  if (!r.ok) throw new Error(url);
  return r.value;
};
const unreachable = (url: string): ProbeRecord => {
  const e = ep(url);
  return probe('tcp-1', 'tcp', {
    address: e.address,
    port: e.port,
    family: e.family,
    url: e.url,
    attempts: [{ seq: 1, outcome: 'unreachable', ms: 0.1, code: 'ENETUNREACH' }],
    stats: { sent: 1, connected: 0, lossPct: 100, minMs: null, avgMs: null, maxMs: null, stddevMs: null },
  } satisfies TcpData);
};

test('no local IPv6 route: the route commands, and the plain words that there is no default to use', () => {
  const url = 'http://[2001:db8:ff::7]:80';
  const d = diagnose(
    {
      input: sessionInput({ endpoints: [ep(url)] }),
      probes: [
        local([{ destination: '0.0.0.0', prefix: 0, gateway: '192.168.1.1', iface: 'wlan0' }]),
        unreachable(url),
      ],
      providerRanges: [],
      providerName: null,
    },
    createTranslator('en'),
  );
  const routing = d.causes.find((c) => c.id === 'cause.routing')!;
  expect(routing.fix.map((s) => s.key)).toEqual([
    'fix.verify_origin_ip',
    'fix.no_default_route',
    'fix.add_route',
    'fix.add_route',
    'fix.add_route',
    'fix.check_routes',
  ]);
  expect(routing.fix.find((s) => s.env === 'linux')!.command).toBe(
    'ip -6 route add 2001:db8:ff::7/128 via <GATEWAY> dev <INTERFACE>',
  );
});

test('no route for one IPv4 address: commands through the default gateway', () => {
  const url = 'http://203.0.113.7:80';
  const d = diagnose(
    {
      input: sessionInput({ endpoints: [ep(url)] }),
      probes: [
        local([{ destination: '10.0.0.0', prefix: 8, gateway: null, iface: 'eth0' }]),
        unreachable(url),
      ],
      providerRanges: [],
      providerName: null,
    },
    createTranslator('en'),
  );
  // No default route at all: a route has to name a gateway; the step says there is none here.
  const fix = d.causes.find((c) => c.id === 'cause.routing')!.fix;
  expect(fix.map((s) => s.key)).toContain('fix.no_default_route');
  expect(fix.find((s) => s.env === 'windows')!.command).toBe(
    'New-NetRoute -DestinationPrefix 203.0.113.7/32 -InterfaceAlias "<INTERFACE>" -NextHop <GATEWAY>',
  );
});

test('the origin through a VPN on this laptop: said, as information', () => {
  const url = 'http://203.0.113.7:80';
  const d = diagnose(
    {
      input: sessionInput({ endpoints: [ep(url)] }),
      probes: [
        local([
          { destination: '0.0.0.0', prefix: 0, gateway: '192.168.1.1', iface: 'wlan0' },
          { destination: '203.0.113.0', prefix: 24, gateway: '10.8.0.1', iface: 'tun0' },
        ]),
      ],
      providerRanges: [],
      providerName: null,
    },
    createTranslator('en'),
  );
  const f = d.findings.find((x) => x.id === 'local.route_detour')!;
  expect(f.params).toEqual({
    address: '203.0.113.7',
    route: '203.0.113.0/24',
    iface: 'tun0',
    gateway: '10.8.0.1',
  });
  expect(f.severity).toBe('info');
});

test('on the origin, a broad VPC route covering a provider range: the replies go astray, with the fix', () => {
  const { bundle } = bundleFromPastes([], [443], new Date(at));
  const withRoutes = {
    ...bundle,
    host: { ...bundle.host, hostname: 'web1' },
    routes: [
      { destination: '0.0.0.0', prefix: 0, gateway: '10.0.0.1', iface: 'eth0' },
      { destination: '10.0.0.0', prefix: 24, gateway: null, iface: 'eth0' },
      { destination: '172.64.0.0', prefix: 12, gateway: '10.0.0.254', iface: 'eth0' },
    ],
  };
  const d = diagnose(
    {
      input: sessionInput({ endpoints: [ep('https://203.0.113.7:443')] }),
      probes: [probe('origin-1', 'origin', withRoutes)],
      providerRanges: ['173.245.48.0/20', '172.64.0.0/13'],
      providerName: 'Cloudflare',
    },
    createTranslator('en'),
  );
  const f = d.findings.find((x) => x.id === 'origin.route_swallows_provider')!;
  expect(f.params).toMatchObject({
    route: '172.64.0.0/12',
    ranges: '172.64.0.0/13',
    defaultGateway: '10.0.0.1',
  });
  const routing = d.causes.find((c) => c.id === 'cause.routing')!;
  expect(routing.fix.find((s) => s.key === 'fix.route_provider_default')!.command).toBe(
    'ip route add 172.64.0.0/13 via 10.0.0.1',
  );
});
