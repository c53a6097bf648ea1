import ipaddr from 'ipaddr.js';
import type { RouteCheck } from '../../shared/model/probe-data';

/** A route decision without the evidence (commands and raw output) the probe adds. */
export type RouteAnswer = Omit<RouteCheck, 'address' | 'commands' | 'output'>;

const bare = (decision: RouteAnswer['decision'], kind: string | null = null): RouteAnswer => ({
  decision,
  kind,
  iface: null,
  gateway: null,
  table: null,
  route: null,
  by: null,
  problem: null,
});
/** An answer that could not be had or read, with the reason. */
export const unknownAnswer = (problem: string): RouteAnswer => ({ ...bare('unknown'), problem });

/** Linux route types that refuse instead of forwarding (`ip route add unreachable|blackhole|prohibit|throw …`). */
const REJECT_TYPES = new Set(['unreachable', 'blackhole', 'prohibit', 'throw']);
const ROUTE_TYPES = new Set([
  ...REJECT_TYPES,
  'unicast',
  'local',
  'broadcast',
  'multicast',
  'anycast',
  'nat',
]);

/**
 * `ip route get` does not print a reject route: the kernel refuses the lookup and iproute2 prints the errno,
 * "RTNETLINK answers: …". Which errno says which route type (checked on Linux 6.1, iproute2 6.1, with
 * LC_ALL=C): EHOSTUNREACH an `unreachable` route; EINVAL a `blackhole` route or rule; EACCES a `prohibit`
 * route or rule; ENETUNREACH a `throw` route, an `unreachable` rule, or no route at all.
 */
const ERRNO_KINDS: Record<string, { routes: string[]; rules: string[]; kind: string | null }> = {
  'no route to host': { routes: ['unreachable'], rules: [], kind: 'unreachable' },
  'invalid argument': { routes: ['blackhole'], rules: ['blackhole'], kind: 'blackhole' },
  'permission denied': { routes: ['prohibit'], rules: ['prohibit'], kind: 'prohibit' },
  'network is unreachable': { routes: ['throw'], rules: ['unreachable'], kind: null },
};

/** The errno text of a failed `ip route get`, lower-cased, or null when the output is a route. */
export function linuxRouteError(text: string): string | null {
  const m = /RTNETLINK answers:\s*(.+)/i.exec(text);
  return m ? m[1]!.trim().toLowerCase() : null;
}

function contains(cidr: string, address: string): { ok: boolean; prefix: number } {
  try {
    const a = ipaddr.parse(address);
    if (cidr === 'default' || cidr === 'all') return { ok: true, prefix: 0 };
    const [net, bits] = cidr.includes('/')
      ? ipaddr.parseCIDR(cidr)
      : [ipaddr.parse(cidr), a.kind() === 'ipv6' ? 128 : 32];
    return { ok: net.kind() === a.kind() && a.match(net, bits), prefix: bits };
  } catch {
    return { ok: false, prefix: -1 };
  }
}

/**
 * Linux `ip route get ADDRESS` (LC_ALL=C): `[TYPE] ADDRESS [from SRC] [via GW] dev IFACE [table T] [src S] …`, or
 * "RTNETLINK answers: …" when a reject route or rule refuses the lookup. `matchText` (`ip route show table all
 * match ADDRESS`) and `rulesText` (`ip rule show`) name the route or rule that refused, since the error does not.
 */
export function parseLinuxRouteGet(
  address: string,
  getText: string,
  matchText = '',
  rulesText = '',
): RouteAnswer {
  const err = linuxRouteError(getText);
  if (err !== null) {
    const meaning = ERRNO_KINDS[err];
    if (!meaning) return unknownAnswer(`ip route get: ${err}`);
    const route = rejectRoute(address, matchText, meaning.routes);
    if (route) return { ...route, problem: null };
    const rule = rejectRule(address, rulesText, meaning.rules);
    if (rule) return { ...rule, problem: null };
    // ENETUNREACH with no throw route nor unreachable rule covering the address: nothing routes it.
    return meaning.kind === null ? bare('no_route') : bare('reject', meaning.kind);
  }
  const line = getText.split('\n').find((l) => l.trim() !== '');
  if (!line) return unknownAnswer('ip route get printed nothing');
  const words = line.trim().split(/\s+/);
  const kind = ROUTE_TYPES.has(words[0]!) ? words.shift()! : 'unicast';
  if (words.length === 0 || !contains(words[0]!, address).ok)
    return unknownAnswer(`unexpected output: ${line.trim()}`);
  const value = (key: string): string | null => {
    const i = words.indexOf(key, 1);
    return i > 0 && i + 1 < words.length ? words[i + 1]! : null;
  };
  const table = value('table');
  return {
    decision: REJECT_TYPES.has(kind) ? 'reject' : 'route',
    kind,
    iface: value('dev'),
    gateway: value('via'),
    table: table === 'main' || table === 'local' ? null : table,
    route: line.trim(),
    // A table other than main or local was picked by a policy-routing rule.
    by: table !== null && table !== 'main' && table !== 'local' ? 'rule' : 'route',
    problem: null,
  };
}

/** The most specific reject route of an allowed type covering the address in `ip route show table all match`. */
function rejectRoute(address: string, text: string, types: readonly string[]): RouteAnswer | null {
  let best: { line: string; kind: string; prefix: number; table: string | null } | null = null;
  for (const raw of text.split('\n')) {
    const words = raw.trim().split(/\s+/);
    if (words.length < 2 || !types.includes(words[0]!)) continue;
    const c = contains(words[1]!, address);
    if (!c.ok || (best && best.prefix >= c.prefix)) continue;
    const t = words.indexOf('table');
    best = {
      line: raw.trim(),
      kind: words[0]!,
      prefix: c.prefix,
      table: t > 0 ? (words[t + 1] ?? null) : null,
    };
  }
  if (!best) return null;
  return {
    decision: best.kind === 'throw' ? 'no_route' : 'reject',
    kind: best.kind,
    iface: null,
    gateway: null,
    table: best.table,
    route: best.line,
    by: 'route',
    problem: null,
  };
}

/**
 * A policy-routing rule with a reject action covering the address in `ip rule show` (`PREF:\tfrom all to CIDR
 * prohibit`). Rules with other selectors (iif, fwmark, uid, sport …) may not apply to the probe: not used.
 */
function rejectRule(address: string, text: string, actions: readonly string[]): RouteAnswer | null {
  for (const raw of text.split('\n')) {
    const m = /^(\d+):\s+from\s+all(?:\s+to\s+(\S+))?\s+(\S+)\s*$/.exec(raw.trim());
    if (!m || !actions.includes(m[3]!)) continue;
    if (m[2] && !contains(m[2], address).ok) continue;
    return {
      decision: 'reject',
      kind: m[3]!,
      iface: null,
      gateway: null,
      table: null,
      route: raw.trim().replace(/\s+/g, ' '),
      by: 'rule',
      problem: null,
    };
  }
  return null;
}

/**
 * macOS `route -n get [-inet6] ADDRESS`: "key: value" lines (route to, destination, mask, gateway, interface,
 * flags), then a metrics table. No route: "route: writing to routing socket: not in table". Flags REJECT
 * (answers unreachable) and BLACKHOLE (discards) mark reject routes (route(8)). Fixtures written from the
 * documented format, not captured on a Mac.
 */
export function parseMacRouteGet(text: string): RouteAnswer {
  if (/not in table/i.test(text)) return bare('no_route');
  const fields = new Map<string, string>();
  for (const raw of text.split('\n')) {
    // `key: value`, split at the first colon: a regex with \s* around a lazy value rescans a long run of blanks
    // from each of its characters (quadratic).
    const line = raw.trim();
    const colon = line.indexOf(':');
    const key = line.slice(0, colon);
    if (colon > 0 && /^[a-z ]+$/.test(key)) fields.set(key.trim(), line.slice(colon + 1).trim());
  }
  const to = fields.get('route to');
  const dest = fields.get('destination');
  if (!to || !dest) return unknownAnswer(`unexpected output: ${text.trim().split('\n')[0] ?? ''}`);
  const flags = (fields.get('flags') ?? '').replace(/[<>]/g, '').split(',');
  const kind = flags.includes('BLACKHOLE')
    ? 'blackhole'
    : flags.includes('REJECT')
      ? 'unreachable'
      : 'unicast';
  const gateway = flags.includes('GATEWAY') ? (fields.get('gateway') ?? null) : null;
  const mask = fields.get('mask');
  const iface = fields.get('interface') ?? null;
  return {
    decision: kind === 'unicast' ? 'route' : 'reject',
    kind,
    iface,
    gateway,
    table: null,
    route: [
      mask && mask !== 'default' ? `${dest}/${mask}` : dest,
      gateway ? `gateway ${gateway}` : '',
      iface ? `interface ${iface}` : '',
      `<${flags.join(',')}>`,
    ]
      .filter(Boolean)
      .join(' '),
    by: 'route',
    problem: null,
  };
}

/**
 * Windows `Find-NetRoute -RemoteIPAddress ADDRESS | Select-Object … | ConvertTo-Json`: two objects, the source
 * address (IPAddress set) and the route (DestinationPrefix, NextHop; NextHop 0.0.0.0 or :: means on-link).
 * No route: Find-NetRoute fails with "The network location cannot be reached" (ERROR_NETWORK_UNREACHABLE; the
 * Chinese text is 无法访问网络位置). Any other failure, in any language, is unknown, not "no route". Fixtures
 * written from the documented output, not captured on Windows.
 */
export function parseWindowsFindNetRoute(stdout: string, stderr: string): RouteAnswer {
  if (/network location cannot be reached|无法访问网络位置/i.test(stderr)) return bare('no_route');
  let doc: unknown;
  try {
    doc = JSON.parse(stdout.trim() || 'null');
  } catch {
    return unknownAnswer(
      `Find-NetRoute printed no JSON${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`,
    );
  }
  const items = (Array.isArray(doc) ? doc : [doc]).filter(
    (x): x is Record<string, unknown> => typeof x === 'object' && x !== null,
  );
  const route = items.find((x) => typeof x.DestinationPrefix === 'string' && x.DestinationPrefix !== '');
  if (!route)
    return unknownAnswer(
      `Find-NetRoute found no route${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`,
    );
  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  const hop = str(route.NextHop);
  const gateway = hop === null || hop === '0.0.0.0' || hop === '::' ? null : hop;
  const iface = str(route.InterfaceAlias);
  return {
    decision: 'route',
    kind: 'unicast',
    iface,
    gateway,
    table: null,
    route: [String(route.DestinationPrefix), gateway ? `via ${gateway}` : '', iface ? `(${iface})` : '']
      .filter(Boolean)
      .join(' '),
    by: 'route',
    problem: null,
  };
}
