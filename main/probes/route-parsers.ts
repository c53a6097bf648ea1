import ipaddr from 'ipaddr.js';
import type { RouteEntry } from '../../shared/model/probe-data';

/**
 * Linux `/proc/net/route` (IPv4, main table): addresses and masks are hex in the host's byte order, so
 * `0100A8C0` is 192.168.0.1 on a little-endian machine. Flags: 0x1 up, 0x2 gateway, 0x200 reject.
 */
export function parseProcNetRoute(text: string, littleEndian = true): RouteEntry[] {
  const routes: RouteEntry[] = [];
  const toIp = (hex: string): string => {
    const n = parseInt(hex, 16) >>> 0;
    const bytes = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    return (littleEndian ? bytes.reverse() : bytes).join('.');
  };
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^[0-9A-Fa-f]{8}$/.test(f[1]!)) continue;
    const flags = parseInt(f[3]!, 16);
    if (!(flags & 0x1) || flags & 0x200) continue;
    const mask = toIp(f[7]!);
    const prefix = mask.split('.').reduce((s, o) => s + (Number(o).toString(2).match(/1/g)?.length ?? 0), 0);
    const gateway = flags & 0x2 ? toIp(f[2]!) : null;
    routes.push({ destination: toIp(f[1]!), prefix, gateway, iface: f[0]! });
  }
  return routes;
}

/**
 * Linux `/proc/net/ipv6_route` (all tables): destination, prefix length, source, source prefix, next hop,
 * metric, refcount, use, flags, device — all hex. Reject routes (0x200, e.g. the kernel's unreachable
 * default on `lo`) are left out; they are the absence of a route.
 */
export function parseProcNetIpv6Route(text: string): RouteEntry[] {
  const routes: RouteEntry[] = [];
  const toIp = (hex: string): string =>
    ipaddr.fromByteArray(hex.match(/../g)!.map((h) => parseInt(h, 16))).toString();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^[0-9a-f]{32}$/.test(f[0]!)) continue;
    const flags = parseInt(f[8]!, 16);
    if (!(flags & 0x1) || flags & 0x200) continue;
    const nexthop = toIp(f[4]!);
    routes.push({
      destination: toIp(f[0]!),
      prefix: parseInt(f[1]!, 16),
      gateway: nexthop === '::' ? null : nexthop,
      iface: f[9]!,
    });
  }
  return routes;
}
