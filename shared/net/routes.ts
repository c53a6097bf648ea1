import ipaddr from 'ipaddr.js';
import type { LocalData, RouteCheck, RouteEntry } from '../model/probe-data';

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

/**
 * Interfaces that are a VPN tunnel: Unix names (tun, tap, wg, ppp, utun, ipsec, vti, zt, tailscale, nordlynx, gpd,
 * cscotun) and the aliases Windows clients give their adapters (WireGuard, OpenVPN, TAP-Windows, AnyConnect …).
 */
const VPN_IFACE =
  /^(tun|tap|wg|ppp|utun|ipsec|vti|zt|tailscale|nordlynx|gpd|cscotun)|wireguard|openvpn|tap-windows|anyconnect|globalprotect|forti|zerotier|\bvpn\b/i;

/** True when traffic through this interface goes into a VPN tunnel rather than out along the Internet path. */
export function isVpnInterface(name: string): boolean {
  return VPN_IFACE.test(name);
}

/**
 * The OS's own answer for the route to an address, when it could be asked and read. It outranks the table read from
 * /proc, which holds the main table only: reject routes, other tables and policy-routing rules are not in it.
 */
export function routeCheckFor(local: LocalData | undefined, address: string): RouteCheck | undefined {
  const a = address.toLowerCase();
  return local?.routeChecks?.find((c) => c.address.toLowerCase() === a && c.decision !== 'unknown');
}
