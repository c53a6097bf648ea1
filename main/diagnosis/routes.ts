import type { LocalData, RouteEntry } from '../../shared/model/probe-data';
import { intersects, parseRange, setOf } from '../policy/addr';
import { isVpnInterface, routeCheckFor, routeFor } from '../../shared/net/routes';
import { probesOf } from './network';
import { guardStep, psQuote, safe, UnsafeValueError } from './shell';
import type { DiagnosisFacts, FindingDraft, FixDraft } from './types';
import { appendAll } from '../../shared/util/arrays';

/**
 * Route advice: a missing route on this laptop (with the command that adds one), a route that takes the origin's
 * traffic into a VPN instead of the Internet path the CDN uses, and on the origin a broad route that swallows part
 * of the provider's ranges, so replies to those CDN nodes leave by the wrong door (the VPC peering / VPN case).
 */

const isDefault = (r: RouteEntry): boolean => r.prefix === 0;
const familyOf = (r: RouteEntry): 4 | 6 => (r.destination.includes(':') ? 6 : 4);

function defaultRoute(routes: readonly RouteEntry[], family: 4 | 6): RouteEntry | undefined {
  return routes.find((r) => isDefault(r) && familyOf(r) === family && r.gateway);
}

const cidrOf = (r: RouteEntry): string => `${r.destination}/${r.prefix}`;

/**
 * The interface and route traffic to an address leaves by. The OS's answer names it even for a default route (a
 * full-tunnel VPN) or a table a policy rule chose; without it, only a specific route of the main table is judged.
 */
function egressOf(
  local: LocalData,
  routes: readonly RouteEntry[] | null,
  address: string,
): { route: string; iface: string; gateway: string | null } | null {
  const check = routeCheckFor(local, address);
  if (check) {
    if (check.decision !== 'route' || !check.iface) return null;
    return { route: check.route ?? check.iface, iface: check.iface, gateway: check.gateway };
  }
  const r = routes ? routeFor(routes, address) : null;
  return r && !isDefault(r) ? { route: cidrOf(r), iface: r.iface, gateway: r.gateway } : null;
}

export function routeFindings(facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  const local = probesOf(facts.probes, 'local')[0];
  const routes = local?.data.routes ?? null;
  if (local) {
    const seen = new Set<string>();
    for (const ep of facts.input.endpoints) {
      if (seen.has(ep.address)) continue;
      seen.add(ep.address);
      const r = egressOf(local.data, routes, ep.address);
      if (!r || !isVpnInterface(r.iface)) continue;
      out.push({
        id: 'local.route_detour',
        target: ep.address,
        evidence: [local.probe.id],
        params: {
          address: ep.address,
          route: r.route,
          iface: r.iface,
          gateway: r.gateway ?? '',
          ...(r.gateway ? {} : { context: 'onlink' }),
        },
      });
    }
  }
  const provider = setOf(facts.providerRanges.map((x) => parseRange(x)).filter((x) => x !== null));
  for (const { probe, data } of probesOf(facts.probes, 'origin')) {
    for (const r of data.routes ?? []) {
      if (isDefault(r)) continue;
      const span = parseRange(cidrOf(r));
      if (!span || !intersects([span.span], provider[span.family])) continue;
      const covered = facts.providerRanges.filter((x) => {
        const p = parseRange(x);
        return p && p.family === span.family && intersects([span.span], [p.span]);
      });
      const def = defaultRoute(data.routes ?? [], span.family);
      out.push({
        id: 'origin.route_swallows_provider',
        target: `${data.host.hostname || 'origin'}:${cidrOf(r)}`,
        evidence: [probe.id],
        params: {
          route: cidrOf(r),
          iface: r.iface,
          gateway: r.gateway ?? '-',
          ranges: covered.slice(0, 6).join(', '),
          defaultGateway: def?.gateway ?? '-',
        },
      });
    }
  }
  return out;
}

/** Commands that add a host route to each unrouted address through this machine's default gateway. */
export function addRouteSteps(facts: DiagnosisFacts, addresses: readonly string[]): FixDraft[] {
  const routes = probesOf(facts.probes, 'local')[0]?.data.routes ?? [];
  const out: FixDraft[] = [];
  for (const a of addresses) {
    const v6 = a.includes(':');
    const def = defaultRoute(routes, v6 ? 6 : 4);
    if (!def) out.push({ key: 'fix.no_default_route', params: { address: a, family: v6 ? 6 : 4 } });
    const gw = def?.gateway ?? '<GATEWAY>';
    const iface = def?.iface ?? '<INTERFACE>';
    // The gateway and interface come from this machine's route table or an imported session: checked here.
    const host = (): string => `${safe('address', a)}/${v6 ? 128 : 32}`;
    appendAll(out, [
      ...guardStep({
        key: 'fix.add_route',
        params: { address: a },
        env: 'linux',
        command: () =>
          `ip ${v6 ? '-6 ' : ''}route add ${host()} via ${safe('address', gw)} dev ${safe('name', iface)}`,
      }),
      ...guardStep({
        key: 'fix.add_route',
        params: { address: a },
        env: 'macos',
        command: () =>
          `sudo route -n add ${v6 ? '-inet6 ' : ''}-host ${safe('address', a)} ${safe('address', gw)}`,
      }),
      ...guardStep({
        key: 'fix.add_route',
        params: { address: a },
        env: 'windows',
        // Windows interface aliases hold spaces ("Ethernet 2"): quoted for PowerShell rather than checked.
        command: () =>
          `New-NetRoute -DestinationPrefix ${host()} -InterfaceAlias ${iface === '<INTERFACE>' ? '"<INTERFACE>"' : psQuote(iface)} -NextHop ${safe('address', gw)}`,
      }),
    ]);
  }
  return out;
}

/** Route types of a reject route as `ip route` prints them (the first word of the route the OS named). */
const ROUTE_TYPES: ReadonlySet<string> = new Set(['unreachable', 'blackhole', 'prohibit', 'throw']);

/**
 * Steps that undo what this machine's own routing decides for each address: delete the reject route or the
 * policy-routing rule the OS named (Linux commands from its own listing), or test from outside the VPN.
 */
export function localRouteSteps(facts: DiagnosisFacts, addresses: readonly string[]): FixDraft[] {
  const local = probesOf(facts.probes, 'local')[0]?.data;
  const out: FixDraft[] = [];
  for (const a of addresses) {
    const check = routeCheckFor(local, a);
    if (!check || check.decision === 'route' || !check.route) continue;
    const params = { address: a, route: check.route };
    const ip = `ip ${a.includes(':') ? '-6 ' : ''}`;
    const words = check.route.split(/\s+/);
    const key = check.by === 'rule' ? 'fix.local_reject_rule' : 'fix.local_reject_route';
    // The words come from a routing listing (this machine's, or an imported session's): each one is checked for
    // what it must be before it reaches a command — a rule priority, a route type, a prefix, a table.
    const routeType = (w: string | undefined): string => {
      if (w === undefined || !ROUTE_TYPES.has(w)) throw new UnsafeValueError('name', w ?? '');
      return w;
    };
    const prefix = (w: string | undefined): string => (w === 'default' ? w : safe('cidr', w ?? ''));
    const command =
      local?.os !== 'linux'
        ? undefined
        : check.by === 'rule'
          ? /^\d+:$/.test(words[0] ?? '')
            ? () => `${ip}rule del pref ${safe('number', words[0]!.slice(0, -1))}`
            : undefined
          : () =>
              `${ip}route del ${routeType(words[0])} ${prefix(words[1])}${check.table ? ` table ${safe('name', check.table)}` : ''}`;
    appendAll(out, [...(command ? guardStep({ key, params, env: 'linux', command }) : [{ key, params }])]);
  }
  return out;
}

/** On the origin: send the provider's ranges back by the default route (more specific wins), or drop the route. */
export function swallowSteps(facts: DiagnosisFacts): FixDraft[] {
  const out: FixDraft[] = [];
  for (const f of routeFindings(facts).filter((x) => x.id === 'origin.route_swallows_provider')) {
    const ranges = String(f.params.ranges).split(', ').filter(Boolean);
    const gw = String(f.params.defaultGateway);
    appendAll(out, [
      ...guardStep({
        key: 'fix.route_provider_default',
        params: { route: String(f.params.route), iface: String(f.params.iface) },
        env: 'linux',
        command: () =>
          ranges
            .map(
              (r) =>
                `ip ${r.includes(':') ? '-6 ' : ''}route add ${safe('cidr', r)} via ${gw === '-' ? '<DEFAULT_GATEWAY>' : safe('address', gw)}`,
            )
            .join('\n'),
      }),
    ]);
    out.push({ key: 'fix.route_vpc_table', params: { route: String(f.params.route) } });
  }
  return out;
}
