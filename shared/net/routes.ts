import ipaddr from 'ipaddr.js';
import type { RouteEntry } from '../model/probe-data';

/** The route the kernel would pick for `address` (longest prefix), or null when none covers it. */
export function routeFor(routes: readonly RouteEntry[], address: string): RouteEntry | null {
  let best: RouteEntry | null = null;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(address);
  } catch {
    return null;
  }
  for (const r of routes) {
    try {
      const net = ipaddr.parse(r.destination);
      if (net.kind() !== addr.kind()) continue;
      if (!addr.match(net, r.prefix)) continue;
      if (!best || r.prefix > best.prefix) best = r;
    } catch {
      // a route we cannot read does not decide anything
    }
  }
  return best;
}
