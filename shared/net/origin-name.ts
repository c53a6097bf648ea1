import ipaddr from 'ipaddr.js';
import { findProvider, providerOfName } from '../catalog/providers';
import { dnsDataSchema, type DnsData, type DnsOutcome } from '../model/probe-data';
import type { Endpoint, OriginName, ProbeRecord, SessionInput } from '../model/report';
import { minOf } from '../util/arrays';
import { cidrContains } from './validate';

/**
 * Origin names: what the provider gets when it resolves the origin name its console holds, and which of those
 * addresses this tool probes. Pure, so the run (which addresses to probe) and the diagnosis (what to say about
 * them) read the same lookups the same way.
 */

/** Where an address lies, as far as reaching it over the Internet goes. */
export type AddressScope =
  'public' | 'private' | 'loopback' | 'link_local' | 'cgnat' | 'unspecified' | 'multicast';

/**
 * The scope of an address the provider would connect to. Private (RFC 1918, fc00::/7), loopback, link-local,
 * CGNAT (100.64.0.0/10), unspecified and multicast addresses are not reachable from a provider's edge. Benchmarking
 * (198.18.0.0/15) and documentation ranges are left as public: they are not routed on the Internet either, but they
 * never hold a real origin, and the namespace lab that tests this tool lives in them.
 */
export function addressScope(address: string): AddressScope {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return 'unspecified';
  }
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  switch (parsed.range()) {
    case 'private':
    case 'uniqueLocal':
      return 'private';
    case 'loopback':
      return 'loopback';
    case 'linkLocal':
      return 'link_local';
    case 'carrierGradeNat':
      return 'cgnat';
    case 'unspecified':
    case 'broadcast':
      return 'unspecified';
    case 'multicast':
      return 'multicast';
    default:
      return 'public';
  }
}

/** Id prefix of an origin name's lookups, apart from the protected domain's `dns-N`. */
export const ORIGIN_DNS_PREFIX = 'origin-dns-';

/** At most this many addresses of one name are probed; the rest are named as not probed. */
export const MAX_ADDRESSES_PER_NAME = 8;

/** TTL (seconds) at or below which an answer is a load balancer's rotating one rather than a fixed record. */
export const SHORT_TTL_S = 60;

export interface OriginLookup {
  readonly probeId: string;
  readonly data: DnsData;
}

export interface OriginAddress {
  readonly address: string;
  readonly family: 4 | 6;
  readonly scope: AddressScope;
  /** The resolvers that gave this address. */
  readonly servers: string[];
  /** Why this address is the provider itself (an address in its published ranges), or null. */
  readonly provider: string | null;
  /** Probed: public (or `--probe-private`), not the provider itself, within MAX_ADDRESSES_PER_NAME. */
  readonly probe: boolean;
  readonly capped: boolean;
}

export interface OriginNameView {
  readonly origin: OriginName;
  readonly lookups: readonly OriginLookup[];
  readonly addresses: readonly OriginAddress[];
  /** Names on the way to the addresses that are the provider or the protected domain: a back-to-origin loop. */
  readonly loopNames: string[];
  /** Resolvers that answered with addresses, and those that gave a definite "no such name / no address". */
  readonly answered: readonly OriginLookup[];
  readonly negative: readonly OriginLookup[];
  /** Resolvers that could not say (timeout, refusal, server failure): what they would answer is unknown. */
  readonly unknown: readonly OriginLookup[];
  /** Resolvers disagree: different address sets, or an answer where another says the name does not exist. */
  readonly mismatch: boolean;
  /** The shortest TTL seen, or null when no answer carried one. */
  readonly minTtl: number | null;
}

const NEGATIVE: readonly DnsOutcome[] = ['nxdomain', 'nodata'];

/** The provider's edge as a session knows it: its preset's CNAME suffixes and edge ranges, plus ranges in force. */
export interface ProviderEdge {
  readonly provider: string | null;
  readonly ranges: readonly string[];
}

function sameOrUnder(name: string, domain: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const d = domain.toLowerCase().replace(/\.$/, '');
  return n === d;
}

/** What each origin name of the session resolved to, per resolver, and which addresses are probed. */
export function viewOriginNames(
  input: Pick<SessionInput, 'originNames' | 'domain' | 'provider' | 'probePrivate'>,
  lookups: readonly OriginLookup[],
  edge: ProviderEdge,
): OriginNameView[] {
  const preset = edge.provider ? findProvider(edge.provider) : undefined;
  const edgeRanges = [...new Set([...(preset?.edgeRanges ?? []), ...edge.ranges])];
  return (input.originNames ?? []).map((origin) => {
    const mine = lookups.filter((l) => l.data.origin === origin.url);
    const answered = mine.filter((l) => l.data.outcome === 'ok');
    const negative = mine.filter((l) => NEGATIVE.includes(l.data.outcome));
    const unknown = mine.filter((l) => l.data.outcome !== 'ok' && !NEGATIVE.includes(l.data.outcome));
    const names = [origin.name, ...mine.flatMap((l) => l.data.cnameChain)];
    const loopNames = [
      ...new Set(
        names.filter(
          (n) =>
            (input.domain !== null && sameOrUnder(n, input.domain)) ||
            (preset !== undefined && providerOfName(n)?.id === preset.id),
        ),
      ),
    ];
    const seen = new Map<string, string[]>();
    for (const l of answered)
      for (const a of l.data.addresses) seen.set(a, [...(seen.get(a) ?? []), l.data.server]);
    let probed = 0;
    const addresses = [...seen.entries()].map(([address, servers]): OriginAddress => {
      const scope = addressScope(address);
      const inRange = edgeRanges.find((r) => cidrContains(r, address)) ?? null;
      // An answer that leads back to the provider is the provider's edge, not the origin: nothing to probe there.
      const wanted =
        (scope === 'public' || input.probePrivate === true) && inRange === null && loopNames.length === 0;
      const capped = wanted && probed >= MAX_ADDRESSES_PER_NAME;
      if (wanted && !capped) probed++;
      return {
        address,
        family: address.includes(':') ? 6 : 4,
        scope,
        servers,
        provider: inRange,
        probe: wanted && !capped,
        capped,
      };
    });
    const signature = (l: OriginLookup): string =>
      l.data.outcome === 'ok' ? [...l.data.addresses].sort().join(',') : 'none';
    const decided = [...answered, ...negative];
    const ttls = answered
      .flatMap((l) => [l.data.a.ttl, l.data.aaaa.ttl])
      .filter((t): t is number => t !== null);
    return {
      origin,
      lookups: mine,
      addresses,
      loopNames,
      answered,
      negative,
      unknown,
      mismatch: decided.length >= 2 && new Set(decided.map(signature)).size > 1,
      minTtl: ttls.length > 0 ? minOf(ttls) : null,
    };
  });
}

/**
 * The endpoints a session probes for its origin names: one per probed address, labelled with the name, with the
 * name's scheme and port. An address already given (typed, or from an earlier name) on that scheme and port is not
 * repeated.
 */
export function endpointsFromNames(typed: readonly Endpoint[], views: readonly OriginNameView[]): Endpoint[] {
  const key = (scheme: string, address: string, port: number): string => `${scheme}|${address}|${port}`;
  const seen = new Set(typed.map((e) => key(e.scheme, e.address, e.port)));
  const out: Endpoint[] = [];
  for (const v of views)
    for (const a of v.addresses) {
      if (!a.probe) continue;
      const k = key(v.origin.scheme, a.address, v.origin.port);
      if (seen.has(k)) continue;
      seen.add(k);
      const host = a.family === 6 ? `[${a.address}]` : a.address;
      out.push({
        url: `${v.origin.scheme}://${host}:${v.origin.port}`,
        scheme: v.origin.scheme,
        address: a.address,
        family: a.family,
        port: v.origin.port,
        name: v.origin.name,
      });
    }
  return out;
}

/** The origin-name lookups among a session's probe records (well-formed ones only). */
export function originLookups(probes: readonly ProbeRecord[]): OriginLookup[] {
  const out: OriginLookup[] = [];
  for (const p of probes) {
    if (p.kind !== 'dns' || !p.id.startsWith(ORIGIN_DNS_PREFIX)) continue;
    const parsed = dnsDataSchema.safeParse(p.data);
    if (parsed.success && parsed.data.origin !== undefined) out.push({ probeId: p.id, data: parsed.data });
  }
  return out;
}

/** The session's origin names as its lookups resolved them, judged against the provider's ranges in force. */
export function originViews(
  input: SessionInput,
  probes: readonly ProbeRecord[],
  ranges: readonly string[],
): OriginNameView[] {
  return viewOriginNames(input, originLookups(probes), {
    provider: input.provider && findProvider(input.provider) ? input.provider : null,
    ranges,
  });
}

/**
 * The input with the addresses its origin names resolved to added to the endpoints (each labelled with its name):
 * what the probes run against and what the report shows. Addresses from an earlier resolution are replaced.
 */
export function withResolvedEndpoints(
  input: SessionInput,
  probes: readonly ProbeRecord[],
  ranges: readonly string[],
): SessionInput {
  if (!input.originNames?.length) return input;
  const typed = input.endpoints.filter((e) => e.name === undefined);
  return {
    ...input,
    endpoints: [...typed, ...endpointsFromNames(typed, originViews(input, probes, ranges))],
  };
}
