import { expect, test } from 'vitest';
import { parseProcNetIpv6Route, parseProcNetRoute } from '../../../main/probes/route-parsers';
import { routeFor } from '../../../shared/net/routes';

const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0102000A\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0002000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
eth0\t0000FEA9\t00000000\t0201\t0\t0\t0\t0000FFFF\t0\t0\t0
`;

const ROUTE6 = `20010db8000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 20010db8000000000000000000000001 00000400 00000001 00000000 00000003 eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo
`;

test('/proc/net/route: little-endian hex, gateway flag, reject routes left out', () => {
  const routes = parseProcNetRoute(ROUTE, true);
  expect(routes).toEqual([
    { destination: '0.0.0.0', prefix: 0, gateway: '10.0.2.1', iface: 'eth0' },
    { destination: '10.0.2.0', prefix: 24, gateway: null, iface: 'eth0' },
  ]);
  expect(routeFor(routes, '10.0.2.9')!.prefix).toBe(24);
  expect(routeFor(routes, '203.0.113.7')!.gateway).toBe('10.0.2.1');
});

test("/proc/net/ipv6_route: the kernel's unreachable default on lo is not a route", () => {
  const routes = parseProcNetIpv6Route(ROUTE6);
  expect(routes).toEqual([
    { destination: '2001:db8::', prefix: 64, gateway: null, iface: 'eth0' },
    { destination: '::', prefix: 0, gateway: '2001:db8::1', iface: 'eth0' },
  ]);
  expect(routeFor(routes.slice(0, 1), '2001:db8:ff::1')).toBeNull();
  expect(routeFor(routes, '2001:db8:ff::1')!.prefix).toBe(0);
  expect(routeFor(routes, 'not an address')).toBeNull();
});
