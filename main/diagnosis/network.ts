import { cidrContains } from '../../shared/net/validate';
import { findProvider, providerOfName } from '../../shared/catalog/providers';
import type { z } from 'zod';
import {
  dnsDataSchema,
  httpDataSchema,
  localDataSchema,
  mgmtDataSchema,
  captureDataSchema,
  policyDataSchema,
  tlsDataSchema,
  tcpDataSchema,
  traceDataSchema,
  type DnsData,
  type LocalData,
  type TcpOutcome,
  type TraceData,
} from '../../shared/model/probe-data';
import type { ProbeRecord } from '../../shared/model/report';
import { originBundleSchema } from '../../shared/model/origin-bundle';
import { routeCheckFor, routeFor } from '../../shared/net/routes';
import type { DiagnosisFacts, FindingDraft } from './types';
import { appendAll } from '../../shared/util/arrays';

/** Average connect time above which `tcp.high_latency` is reported (a CDN's own connect timeout is ~15–19 s, but
 * anything this slow means queues or a long detour). */
export const HIGH_LATENCY_MS = 300;

const SCHEMAS = {
  tcp: tcpDataSchema,
  dns: dnsDataSchema,
  trace: traceDataSchema,
  local: localDataSchema,
  tls: tlsDataSchema,
  http: httpDataSchema,
  policy: policyDataSchema,
  origin: originBundleSchema,
  mgmt: mgmtDataSchema,
  capture: captureDataSchema,
} as const;
type Kinds = typeof SCHEMAS;

/** The probes of one kind whose data is well-formed; a damaged record is left out rather than trusted. */
export function probesOf<K extends keyof Kinds>(
  probes: readonly ProbeRecord[],
  kind: K,
): { probe: ProbeRecord; data: z.infer<Kinds[K]> }[] {
  const out: { probe: ProbeRecord; data: z.infer<Kinds[K]> }[] = [];
  for (const probe of probes) {
    if (probe.kind !== kind || probe.status === 'skipped') continue;
    const parsed = SCHEMAS[kind].safeParse(probe.data);
    if (parsed.success) out.push({ probe, data: parsed.data as z.infer<Kinds[K]> });
  }
  return out;
}

/** Which failure dominates a series; ties go to the most specific evidence. */
export function dominantFailure(outcomes: readonly TcpOutcome[]): TcpOutcome | null {
  const order: TcpOutcome[] = ['unreachable', 'refused', 'reset', 'timeout', 'error'];
  let best: TcpOutcome | null = null;
  let bestCount = 0;
  for (const o of order) {
    const n = outcomes.filter((x) => x === o).length;
    if (n > bestCount) {
      best = o;
      bestCount = n;
    }
  }
  return best;
}

function isLocalAddress(address: string, local: LocalData): boolean {
  return (
    address === '::1' ||
    cidrContains('127.0.0.0/8', address) ||
    local.interfaces.some((i) => i.address.toLowerCase() === address.toLowerCase())
  );
}

/** Findings of the network layer: DNS, TCP reachability, path and the local routes, each with its evidence. */
export function networkFindings(facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  const { input, probes } = facts;
  const local = probesOf(probes, 'local')[0];
  const traces = probesOf(probes, 'trace');
  const traceFor = (address: string): { probe: ProbeRecord; data: TraceData } | undefined =>
    traces.find((t) => t.data.target === address);

  if (local && Object.keys(local.data.proxy).length > 0) {
    out.push({
      id: 'local.proxy_set',
      target: 'local',
      evidence: [local.probe.id],
      params: { vars: Object.keys(local.data.proxy).join(', ') },
    });
  }

  const missingTool = probes.find(
    (p) => p.kind === 'trace' && (p.data as { problem?: unknown }).problem === 'not_installed',
  );
  if (missingTool) {
    out.push({
      id: 'path.unavailable',
      target: 'local',
      evidence: [missingTool.id],
      params: { os: local?.data.os ?? '' },
    });
  }

  for (const { probe, data } of probesOf(probes, 'tcp')) {
    const target = data.url;
    const trace = traceFor(data.address);
    const evidence = [probe.id];
    const base = {
      address: data.address,
      port: data.port,
      sent: data.stats.sent,
      connected: data.stats.connected,
      lossPct: data.stats.lossPct,
    };
    const cancelled = data.attempts.every((a) => a.code === 'ECANCELLED');
    if (data.attempts.length === 0 || cancelled) continue;
    const failures = data.attempts.filter((a) => a.outcome !== 'connected');
    if (failures.length === 0) {
      out.push({ id: 'tcp.ok', target, evidence, params: { ...base, avgMs: data.stats.avgMs } });
      if ((data.stats.avgMs ?? 0) > HIGH_LATENCY_MS) {
        out.push({
          id: 'tcp.high_latency',
          target,
          evidence,
          params: { ...base, avgMs: data.stats.avgMs, limitMs: HIGH_LATENCY_MS },
        });
      }
      continue;
    }
    const codes = [...new Set(failures.map((a) => a.code).filter((c): c is string => c !== null))].join(', ');
    if (data.stats.connected > 0) {
      out.push({
        id: 'tcp.loss',
        target,
        evidence,
        params: { ...base, failures: describeOutcomes(failures.map((a) => a.outcome)) },
      });
      if (failures.some((a) => a.outcome === 'reset'))
        out.push({ id: 'tcp.reset', target, evidence, params: { ...base, codes } });
    } else {
      const dominant = dominantFailure(failures.map((a) => a.outcome)) ?? 'error';
      out.push({ id: `tcp.${dominant}`, target, evidence, params: { ...base, codes } });
    }

    // Where the path stops only matters when the endpoint failed: healthy hosts often ignore trace probes.
    if (trace) {
      const t = trace.data;
      if (t.hops.length > 0 && !t.reached) {
        out.push({
          id: 'path.incomplete',
          target,
          evidence: [trace.probe.id, probe.id],
          params: {
            address: data.address,
            lastHop: t.lastResponder,
            lastTtl: t.lastResponderTtl,
            annotation: t.stopAnnotation ? `, ${t.stopAnnotation}` : '',
            // i18next context: no hop answered at all reads differently.
            ...(t.lastResponder === null ? { context: 'silent' } : {}),
          },
        });
      }
    }

    if (local && data.stats.connected === 0 && !isLocalAddress(data.address, local.data)) {
      // The OS's own answer first: it sees reject routes, other tables and policy rules; /proc shows the main
      // table only, and without either the errno and a silent trace are the evidence.
      const check = routeCheckFor(local.data, data.address);
      const routes = local.data.routes;
      const noRoute = check
        ? check.decision !== 'route'
        : routes !== null
          ? routeFor(routes, data.address) === null
          : failures.every((a) => a.code === 'ENETUNREACH') && (!trace || trace.data.lastResponder === null);
      if (noRoute) {
        out.push({
          id: 'local.no_route',
          target,
          evidence: [local.probe.id, probe.id],
          params: {
            address: data.address,
            family: data.family,
            route: check?.route ?? '',
            kind: check?.kind ?? '',
            ...(check?.route ? { context: check.by === 'rule' ? 'rule' : 'route' } : {}),
            ...(check && !check.route && check.decision === 'reject' ? { context: 'reject' } : {}),
          },
        });
      }
    }
  }

  if (input.domain) appendAll(out, dnsFindings(facts));
  return out;
}

function describeOutcomes(outcomes: readonly TcpOutcome[]): string {
  const counts = new Map<TcpOutcome, number>();
  for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
  return [...counts.entries()].map(([o, n]) => `${n}× ${o}`).join(', ');
}

function dnsFindings(facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  const domain = facts.input.domain!;
  // Where the name should resolve is the provider's edge: its CNAME suffixes and published edge ranges. The
  // back-to-origin ranges (`--source-range`, a preset's egress list) are where it connects from, not where visitors
  // go, so without a preset that names its edge nothing is said about bypassing it.
  const preset = facts.input.provider ? findProvider(facts.input.provider) : undefined;
  const edgeRanges = preset?.edgeRanges ?? [];
  const edgeKnown = preset !== undefined && (preset.cnameSuffixes.length > 0 || edgeRanges.length > 0);
  const endpointAddresses = new Set(facts.input.endpoints.map((e) => e.address.toLowerCase()));
  const answered: { probe: ProbeRecord; data: DnsData }[] = [];
  // Lookups of an origin name (`origin` set) are about that name, not the protected domain: origin-name.ts.
  const lookups = probesOf(facts.probes, 'dns').filter((e) => e.data.origin === undefined);
  for (const entry of lookups) {
    const { probe, data } = entry;
    const params = { domain, server: data.server };
    switch (data.outcome) {
      case 'ok':
        answered.push(entry);
        break;
      case 'nxdomain':
        out.push({ id: 'dns.nxdomain', target: domain, evidence: [probe.id], params });
        break;
      case 'servfail':
        out.push({ id: 'dns.servfail', target: domain, evidence: [probe.id], params });
        break;
      case 'timeout':
        out.push({
          id: 'dns.timeout',
          target: domain,
          evidence: [probe.id],
          params: { ...params, timeoutMs: facts.input.timeoutMs },
        });
        break;
      case 'refused':
        out.push({ id: 'dns.refused', target: domain, evidence: [probe.id], params });
        break;
      case 'nodata':
        out.push({ id: 'dns.no_address', target: domain, evidence: [probe.id], params });
        break;
      case 'error':
      case 'cancelled':
        break;
    }
  }

  for (const { probe, data } of answered) {
    const exposed = data.addresses.filter((a) => endpointAddresses.has(a.toLowerCase()));
    if (exposed.length > 0) {
      out.push({
        id: 'dns.origin_exposed',
        target: domain,
        evidence: [probe.id],
        params: { domain, server: data.server, addresses: exposed.join(', ') },
      });
    }
    const viaName = data.cnameChain.map((c) => providerOfName(c)).find((p) => p !== undefined);
    const viaRange = data.addresses.some((a) => edgeRanges.some((r) => cidrContains(r, a)));
    // A cut CNAME chain may still lead to the provider past the cut: no "not via the provider" from it.
    if (preset && edgeKnown && !viaName && !viaRange && data.cnameComplete !== false) {
      out.push({
        id: 'dns.not_via_provider',
        target: domain,
        evidence: [probe.id],
        params: {
          domain,
          server: data.server,
          addresses: data.addresses.join(', '),
          cname: data.cnameChain.join(' -> ') || '-',
          provider: preset.name,
        },
      });
    }
  }

  // Resolvers that disagree: another answer set, or an answer where another resolver said the name does not exist.
  const results = lookups.filter((e) => ['ok', 'nxdomain', 'nodata'].includes(e.data.outcome));
  const signature = (d: DnsData): string =>
    d.outcome === 'ok' ? [...d.addresses].sort().join(',') : d.outcome;
  const distinct = new Set(results.map((r) => signature(r.data)));
  if (results.length >= 2 && distinct.size > 1) {
    out.push({
      id: 'dns.resolver_mismatch',
      target: domain,
      evidence: results.map((r) => r.probe.id),
      params: {
        domain,
        answers: results
          .map(
            (r) =>
              `${r.data.server}: ${r.data.outcome === 'ok' ? r.data.addresses.join(' ') : r.data.outcome}`,
          )
          .join('; '),
      },
    });
  }
  return out;
}
