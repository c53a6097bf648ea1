import { Resolver } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import type { DnsServer } from '../../shared/model/report';
import type { DnsAnswer, DnsData, DnsOutcome } from '../../shared/model/probe-data';
import { remainingMs, withDeadline, type ProbeContext } from './types';
import { minOf } from '../../shared/util/arrays';

/**
 * Maps c-ares error codes to DNS outcomes. ENOTFOUND is NXDOMAIN (the name does not exist); ENODATA is
 * NOERROR with no records of the asked type (the name exists); ESERVFAIL is the resolver failing to get an
 * answer (broken delegation, DNSSEC failure); ETIMEOUT is silence; ECONNREFUSED means nothing listens there.
 */
export function classifyDnsError(code: string | undefined): DnsOutcome {
  switch (code) {
    case 'ENOTFOUND':
      return 'nxdomain';
    case 'ENODATA':
      return 'nodata';
    case 'ESERVFAIL':
      return 'servfail';
    case 'ETIMEOUT':
      return 'timeout';
    case 'ECONNREFUSED':
    case 'EREFUSED':
      return 'refused';
    case 'ECANCELLED':
    case 'EDESTRUCTION':
      return 'cancelled';
    default:
      return 'error';
  }
}

/** Joins the per-type outcomes into one for the resolver: any address wins, then the most telling failure. */
export function combineDnsOutcome(a: DnsAnswer, aaaa: DnsAnswer): DnsOutcome {
  if (a.values.length > 0 || aaaa.values.length > 0) return 'ok';
  const order: DnsOutcome[] = ['nxdomain', 'servfail', 'refused', 'timeout', 'cancelled', 'error', 'nodata'];
  for (const o of order) if (a.outcome === o || aaaa.outcome === o) return o;
  return 'nodata';
}

const MAX_CNAME_CHAIN = 10;

/** Formats a resolver for display: `1.1.1.1`, `198.18.0.1:5353`, `[2001:db8::53]:53`. */
export function formatDnsServer(server: DnsServer): string {
  const host = server.address.includes(':') ? `[${server.address}]` : server.address;
  return server.port === 53 ? server.address : `${host}:${server.port}`;
}

async function timed(
  fn: () => Promise<{ values: string[]; ttl: number | null }>,
  expired: () => boolean,
): Promise<DnsAnswer> {
  const start = performance.now();
  const ms = (): number => Math.round((performance.now() - start) * 1000) / 1000;
  try {
    const r = await fn();
    return {
      outcome: r.values.length > 0 ? 'ok' : 'nodata',
      code: null,
      ms: ms(),
      values: r.values,
      ttl: r.ttl,
    };
  } catch (err) {
    // A query cancelled because the probe's deadline passed timed out; one cancelled by the person did not.
    const raw = (err as NodeJS.ErrnoException).code;
    const code = raw === 'ECANCELLED' && expired() ? 'ETIMEOUT' : raw;
    return { outcome: classifyDnsError(code), code: code ?? null, ms: ms(), values: [], ttl: null };
  }
}

/**
 * Resolves the domain's A, AAAA and CNAME chain through one resolver (or the system's when `server` is null),
 * with a resolver of its own so the timeout and cancellation are ours. `dns.lookup` is never used: it goes
 * through the OS cache and hosts file, which is not what the CDN sees.
 */
export async function dnsProbe(
  domain: string,
  server: DnsServer | null,
  probeCtx: ProbeContext,
): Promise<DnsData> {
  // One deadline for the whole probe: a chain of slow CNAME answers, or c-ares moving on to the next system
  // resolver after each silent one, would otherwise take a timeout per query. At the deadline every query
  // still out is cancelled and counts as timed out.
  const ctx = withDeadline(probeCtx);
  const resolver = new Resolver({ timeout: ctx.timeoutMs, tries: 1 });
  if (server) {
    const host = server.address.includes(':') ? `[${server.address}]` : server.address;
    resolver.setServers([`${host}:${server.port}`]);
  }
  const onAbort = (): void => resolver.cancel();
  let expired = false;
  const deadline = setTimeout(() => {
    expired = true;
    resolver.cancel();
  }, remainingMs(ctx));
  const isExpired = (): boolean => expired;
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const [a, aaaa, cname] = await Promise.all([
      timed(async () => {
        const rs = await resolver.resolve4(domain, { ttl: true });
        return {
          values: rs.map((r) => r.address),
          ttl: rs.length ? minOf(rs.map((r) => r.ttl)) : null,
        };
      }, isExpired),
      timed(async () => {
        const rs = await resolver.resolve6(domain, { ttl: true });
        return {
          values: rs.map((r) => r.address),
          ttl: rs.length ? minOf(rs.map((r) => r.ttl)) : null,
        };
      }, isExpired),
      cnameChainOf(resolver, domain, isExpired),
    ]);
    ctx.onProgress({ kind: 'line', text: `${domain}: A ${a.outcome} AAAA ${aaaa.outcome}` });
    return {
      domain,
      server: server ? formatDnsServer(server) : resolver.getServers().join(', ') || 'system',
      serverSource: server ? 'requested' : 'system',
      outcome: combineDnsOutcome(a, aaaa),
      a,
      aaaa,
      cnameChain: cname.chain,
      cnameComplete: cname.complete,
      addresses: [...a.values, ...aaaa.values],
    };
  } finally {
    clearTimeout(deadline);
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

/** Answers that end a CNAME chain: the name has no CNAME (or does not exist); anything else cuts it. */
const CHAIN_ENDS = new Set(['ENODATA', 'ENOTFOUND']);

async function cnameChainOf(
  resolver: Resolver,
  domain: string,
  expired: () => boolean,
): Promise<{ chain: string[]; complete: boolean }> {
  const chain: string[] = [];
  let name = domain;
  while (chain.length < MAX_CNAME_CHAIN) {
    if (expired()) return { chain, complete: false };
    let next: string | undefined;
    try {
      next = (await resolver.resolveCname(name))[0];
    } catch (e) {
      // ENODATA ends the chain; a timeout or a server failure cuts it (the A / AAAA answers report those).
      return { chain, complete: CHAIN_ENDS.has((e as NodeJS.ErrnoException).code ?? '') && !expired() };
    }
    if (!next || chain.includes(next.toLowerCase()) || next.toLowerCase() === domain) break;
    chain.push(next.toLowerCase());
    name = next;
  }
  return { chain, complete: true };
}

/** dig-like text for the raw evidence. */
export function formatDnsRaw(d: DnsData): string {
  const line = (type: string, ans: DnsAnswer): string =>
    `${d.domain} ${type}: ${ans.outcome}${ans.code ? ` (${ans.code})` : ''} in ${ans.ms.toFixed(1)} ms` +
    (ans.values.length ? ` -> ${ans.values.join(', ')}${ans.ttl === null ? '' : ` ttl=${ans.ttl}`}` : '');
  return [
    `;; server ${d.server} (${d.serverSource})`,
    ...d.cnameChain.map((c, i) => `${i === 0 ? d.domain : d.cnameChain[i - 1]} CNAME ${c}`),
    line('A', d.a),
    line('AAAA', d.aaaa),
  ].join('\n');
}
