import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  parseLinuxRouteGet,
  parseMacRouteGet,
  parseWindowsFindNetRoute,
} from '../../../main/probes/route-query-parsers';
import { queryRoutes } from '../../../main/probes/route-query';

const FIX = path.join(__dirname, '..', '..', 'fixtures', 'route');
const fx = (name: string): string => readFileSync(path.join(FIX, name), 'utf8');
const linux = (name: string, address: string, rules = 'linux-rules.txt') =>
  parseLinuxRouteGet(
    address,
    fx(`linux-${name}.txt`),
    (() => {
      try {
        return fx(`linux-${name}-match.txt`);
      } catch {
        return '';
      }
    })(),
    fx(rules),
  );

describe('Linux ip route get (captured in a namespace)', () => {
  test('a route through a gateway, IPv4 and IPv6', () => {
    expect(linux('via-gateway', '198.18.1.2')).toMatchObject({
      decision: 'route',
      kind: 'unicast',
      gateway: '198.18.0.1',
      iface: 'e0',
      table: null,
      by: 'route',
    });
    expect(linux('via-gateway6', '2001:db8:1::2', 'linux-rules6.txt')).toMatchObject({
      decision: 'route',
      gateway: '2001:db8::1',
      iface: 'e0',
    });
  });
  test('reject routes: the errno names the type, the table listing names the route', () => {
    expect(linux('unreachable', '198.18.9.5')).toMatchObject({
      decision: 'reject',
      kind: 'unreachable',
      route: 'unreachable 198.18.9.0/24',
      by: 'route',
    });
    expect(linux('blackhole', '198.18.10.5')).toMatchObject({
      decision: 'reject',
      kind: 'blackhole',
      route: 'blackhole 198.18.10.0/24',
    });
    expect(linux('prohibit', '198.18.11.5')).toMatchObject({
      decision: 'reject',
      kind: 'prohibit',
      route: 'prohibit 198.18.11.0/24',
    });
    // throw: the lookup ends in this table and no other table has a route: no route.
    expect(linux('throw', '198.18.12.5')).toMatchObject({
      decision: 'no_route',
      kind: 'throw',
      route: 'throw 198.18.12.0/24',
    });
    for (const [name, addr, kind] of [
      ['unreachable6', '2001:db8:9::1', 'unreachable'],
      ['blackhole6', '2001:db8:10::1', 'blackhole'],
      ['prohibit6', '2001:db8:11::1', 'prohibit'],
    ] as const)
      expect(linux(name, addr, 'linux-rules6.txt')).toMatchObject({ decision: 'reject', kind });
  });
  test('policy routing: a rule sends the address to another table, a blackhole there, a prohibit rule', () => {
    expect(linux('rule-table', '198.18.21.5')).toMatchObject({
      decision: 'route',
      iface: 'tun0',
      gateway: '10.8.0.1',
      table: '100',
      by: 'rule',
    });
    expect(linux('rule-blackhole', '198.18.22.5')).toMatchObject({
      decision: 'reject',
      kind: 'blackhole',
      table: '101',
      route: 'blackhole 198.18.22.0/24 table 101',
    });
    expect(linux('rule-prohibit', '198.18.23.5')).toMatchObject({
      decision: 'reject',
      kind: 'prohibit',
      by: 'rule',
      route: '32763: from all to 198.18.23.0/24 prohibit',
    });
  });
  test('a tun interface; no route at all; the local table', () => {
    expect(linux('tun', '198.18.20.5')).toMatchObject({ decision: 'route', iface: 'tun0', gateway: null });
    expect(linux('tun6', '2001:db8:20::1', 'linux-rules6.txt')).toMatchObject({
      decision: 'route',
      iface: 'tun0',
    });
    expect(linux('no-route6', '2001:db8:ff::1', 'linux-rules6.txt')).toMatchObject({
      decision: 'no_route',
      route: null,
    });
    expect(linux('local', '127.0.0.1')).toMatchObject({
      decision: 'route',
      kind: 'local',
      iface: 'lo',
      table: null,
    });
  });
  test('near miss: output we cannot read is unknown, never a route or its absence', () => {
    expect(
      parseLinuxRouteGet('198.18.1.2', 'Error: any valid prefix is expected rather than "x".\n').decision,
    ).toBe('unknown');
    expect(parseLinuxRouteGet('198.18.1.2', 'RTNETLINK answers: Operation not supported\n')).toMatchObject({
      decision: 'unknown',
      problem: 'ip route get: operation not supported',
    });
    expect(parseLinuxRouteGet('198.18.1.2', '').decision).toBe('unknown');
    // An answer for another address is not this one's.
    expect(parseLinuxRouteGet('198.18.1.3', fx('linux-via-gateway.txt')).decision).toBe('unknown');
  });
});

describe('macOS route -n get (written from route(8)’s documented format)', () => {
  test('default route, a utun VPN, reject and blackhole flags, not in table', () => {
    expect(parseMacRouteGet(fx('macos-default.txt'))).toMatchObject({
      decision: 'route',
      gateway: '192.168.1.1',
      iface: 'en0',
    });
    expect(parseMacRouteGet(fx('macos-utun.txt'))).toMatchObject({
      decision: 'route',
      iface: 'utun3',
      route: '198.18.0.0/255.254.0.0 gateway 10.8.0.1 interface utun3 <UP,GATEWAY,DONE,STATIC,PRCLONING>',
    });
    expect(parseMacRouteGet(fx('macos-blackhole.txt'))).toMatchObject({
      decision: 'reject',
      kind: 'blackhole',
    });
    expect(parseMacRouteGet(fx('macos-reject6.txt'))).toMatchObject({
      decision: 'reject',
      kind: 'unreachable',
    });
    expect(parseMacRouteGet(fx('macos-not-in-table.txt')).decision).toBe('no_route');
    expect(parseMacRouteGet('route: bad address: x\n').decision).toBe('unknown');
  });
});

describe('Windows Find-NetRoute (written from the documented output)', () => {
  test('default route, a WireGuard tunnel on-link, no route, an error in another language', () => {
    expect(parseWindowsFindNetRoute(fx('windows-default.json'), '')).toMatchObject({
      decision: 'route',
      gateway: '192.168.1.1',
      iface: 'Wi-Fi',
      route: '0.0.0.0/0 via 192.168.1.1 (Wi-Fi)',
    });
    expect(parseWindowsFindNetRoute(fx('windows-wireguard.json'), '')).toMatchObject({
      decision: 'route',
      gateway: null,
      iface: 'wg-office',
    });
    expect(parseWindowsFindNetRoute('', fx('windows-unreachable.txt')).decision).toBe('no_route');
    expect(parseWindowsFindNetRoute('', 'Find-NetRoute : Zugriff verweigert').decision).toBe('unknown');
  });
});

describe('queryRoutes: argument arrays, LC_ALL=C, the follow-up listings only when the kernel refuses', () => {
  const outcome = (stdout: string, stderr = '', exitCode = 0) => ({
    stdout: Buffer.from(stdout),
    stderr,
    exitCode,
    killed: null,
    spawnError: null,
    truncated: false,
  });
  test('Linux: a refused lookup asks for the matching routes and the rules of that family', async () => {
    const calls: { file: string; args: readonly string[]; lc: string | undefined }[] = [];
    const checks = await queryRoutes(
      ['198.18.9.5', '2001:db8:1::2', 'not-an-ip'],
      new AbortController().signal,
      {
        platform: 'linux',
        find: () => '/usr/sbin/ip',
        run: async (file, args, opts) => {
          calls.push({ file, args, lc: opts.env?.LC_ALL });
          if (args[1] === 'get' && args[2] === '198.18.9.5')
            return outcome('', fx('linux-unreachable.txt'), 2);
          if (args.includes('match')) return outcome(fx('linux-unreachable-match.txt'));
          if (args.includes('rule')) return outcome(fx('linux-rules.txt'));
          return outcome(fx('linux-via-gateway6.txt'));
        },
      },
    );
    // Addresses are asked together, so only the set of calls is fixed, not their order.
    expect(calls.map((c) => [c.file, ...c.args].join(' ')).sort()).toEqual([
      '/usr/sbin/ip -4 route show table all match 198.18.9.5',
      '/usr/sbin/ip -4 rule show',
      '/usr/sbin/ip route get 198.18.9.5',
      '/usr/sbin/ip route get 2001:db8:1::2',
    ]);
    expect(calls.every((c) => c.lc === 'C')).toBe(true);
    expect(checks.map((c) => [c.address, c.decision, c.route])).toEqual([
      ['198.18.9.5', 'reject', 'unreachable 198.18.9.0/24'],
      ['2001:db8:1::2', 'route', expect.stringContaining('via 2001:db8::1')],
      ['not-an-ip', 'unknown', null],
    ]);
  });
  test('near miss: no tool, or one that hangs, is unknown with the reason', async () => {
    const none = await queryRoutes(['198.18.1.2'], new AbortController().signal, {
      platform: 'darwin',
      find: () => null,
    });
    expect(none[0]).toMatchObject({ decision: 'unknown', problem: 'route is not installed' });
    const hung = await queryRoutes(['198.18.1.2'], new AbortController().signal, {
      platform: 'win32',
      find: () => 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      run: async () => ({ ...outcome(''), exitCode: null, killed: 'deadline' as const }),
    });
    expect(hung[0]).toMatchObject({ decision: 'unknown', problem: 'no answer in time' });
  });
});
