import type { CounterRise, Observation, OriginBundle, SynRow } from '../../shared/model/origin-bundle';
import { exampleText } from '../origin/observe-format';
import { probesOf } from './network';
import { originTarget } from './origin';
import type { DiagnosisFacts, FindingDraft } from './types';
import { appendAll } from '../../shared/util/arrays';

/**
 * What the origin saw of the provider's own connections (`origin-check --observe`) and what its firewall logged
 * about the provider's addresses. This is the decisive evidence: the laptop is not a CDN node, so its timeouts
 * say what happens to its own packets; the origin sees the provider's.
 *
 * Per port: provider SYNs that got no answer (dropped on the host), got an RST or ICMP error (rejected), got a
 * SYN-ACK (the network is fine), or never arrived while others did (blocked before the host). A port with no
 * traffic at all in the window proves nothing and gives no finding; neither does a window without a capture.
 */

export const OBSERVATION_FINDINGS = [
  'origin.provider_syn_unanswered',
  'origin.provider_syn_rejected',
  'origin.provider_syn_absent',
  'origin.provider_syn_answered',
] as const;

function sum(rows: readonly SynRow[], k: 'attempted' | 'synAck' | 'rst' | 'icmp' | 'unanswered'): number {
  return rows.reduce((n, r) => n + r[k], 0);
}

/** The ports the observation says something about: the session's endpoints' ports it watched, else all it watched. */
function observedPorts(facts: DiagnosisFacts, o: Observation): number[] {
  const session = new Set(facts.input.endpoints.map((e) => e.port));
  const both = o.ports.filter((p) => session.has(p));
  return both.length ? both : [...o.ports];
}

/**
 * The rule whose counter rose that best explains an outcome on a port: its verdict matches, it is of the family
 * the attempts came in, and it names this port (or no port at all; a rule for another port is not it).
 */
export function ruleFor(
  o: Observation,
  verdict: CounterRise['verdict'],
  port: number,
  family: 4 | 6 | null,
): CounterRise | null {
  const wrongFamily = family === 4 ? 'ip6tables-save -c' : family === 6 ? 'iptables-save -c' : null;
  const portsIn = (rule: string): number[] =>
    [...rule.matchAll(/(?:--dport|dport)\s+(\d+)/g)].map((m) => Number(m[1]));
  const scored = (o.counters?.rose ?? [])
    .filter((r) => r.verdict === verdict && r.source !== wrongFamily)
    .map((r) => {
      const ports = portsIn(r.rule);
      return { r, score: ports.includes(port) ? 2 : ports.length === 0 ? 1 : 0 };
    })
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || b.r.packets - a.r.packets);
  return scored[0]?.r ?? null;
}

function familyOfRange(range: string): 4 | 6 {
  return range.includes(':') ? 6 : 4;
}

/** Unanswered, rejected and answered provider SYNs to one port in one address family. */
function familyFindings(
  o: Observation,
  bundle: OriginBundle,
  port: number,
  family: 4 | 6,
  provider: readonly SynRow[],
  target: string,
  evidence: string[],
): FindingDraft[] {
  const out: FindingDraft[] = [];
  const attempted = sum(provider, 'attempted');
  const unanswered = sum(provider, 'unanswered');
  const rst = sum(provider, 'rst');
  const icmp = sum(provider, 'icmp');
  const synAck = sum(provider, 'synAck');
  const ranges = (rows: readonly SynRow[]): string => rows.map((r) => r.range).join(', ');
  const exampleOf = (outcome: string): string => {
    const e = provider.flatMap((r) => r.examples).find((x) => x.outcome === outcome);
    return e ? exampleText(e) : '-';
  };
  if (unanswered > 0) {
    // The most recent line about this port and family: the window's own, when the rule logged in it.
    const log = bundleLog(bundle)
      ?.providerEntries.filter((e) => e.dpt === port && e.src.includes(':') === (family === 6))
      .at(-1);
    out.push({
      id: 'origin.provider_syn_unanswered',
      target,
      evidence,
      params: {
        port,
        family,
        count: unanswered,
        attempted,
        ranges: ranges(provider.filter((r) => r.unanswered > 0)),
        example: exampleOf('unanswered'),
        logPrefix: log?.prefix || '-',
        ...ruleParams(ruleFor(o, 'drop', port, family)),
      },
    });
  }
  if (rst + icmp > 0) {
    const icmpStep = provider
      .flatMap((r) => r.examples)
      .find((e) => e.outcome === 'icmp')
      ?.ladder.find((s) => s.kind === 'icmp');
    const icmpText = `ICMP ${icmpStep?.icmp?.type ?? '?'}/${icmpStep?.icmp?.code ?? '?'}`;
    const mechanism = icmp > 0 && rst > 0 ? `RST ×${rst}, ${icmpText} ×${icmp}` : icmp > 0 ? icmpText : 'RST';
    out.push({
      id: 'origin.provider_syn_rejected',
      target,
      evidence,
      params: {
        port,
        family,
        count: rst + icmp,
        attempted,
        rst,
        icmp,
        ranges: ranges(provider.filter((r) => r.rst + r.icmp > 0)),
        mechanism,
        example: exampleOf(icmp > 0 ? 'icmp' : 'rst'),
        ...ruleParams(ruleFor(o, 'reject', port, family)),
      },
    });
  }
  if (synAck > 0)
    out.push({
      id: 'origin.provider_syn_answered',
      target,
      evidence,
      params: {
        port,
        family,
        count: synAck,
        attempted,
        ranges: ranges(provider.filter((r) => r.synAck > 0)),
        example: exampleOf('syn_ack'),
      },
    });
  return out;
}

function ruleParams(r: CounterRise | null): Record<string, string | number> {
  return r
    ? {
        rule: r.rule,
        source: r.source,
        line: r.line,
        chain: r.chain,
        position: r.position,
        rulePackets: r.packets,
      }
    : { rule: '-', source: '-', line: '-', chain: '-', position: '-', rulePackets: 0 };
}

function observationOf(facts: DiagnosisFacts): { probe: string; bundle: OriginBundle; o: Observation }[] {
  return probesOf(facts.probes, 'origin')
    .filter((p) => p.data.observation !== undefined)
    .map((p) => ({ probe: p.probe.id, bundle: p.data, o: p.data.observation! }));
}

export function observationFindings(facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  for (const { probe, bundle, o } of observationOf(facts)) {
    const evidence = [probe];
    // Without a capture nothing is known about the SYNs: no finding rests on rows that were never filled.
    if (o.capture.problem !== null) continue;
    for (const port of observedPorts(facts, o)) {
      const provider = o.rows.filter((r) => r.port === port && r.range !== null);
      const outside = o.rows.filter((r) => r.port === port && r.range === null);
      const target = originTarget(bundle, port);
      if (sum(provider, 'attempted') === 0) {
        // Only when no provider SYN of either family came: a provider that connects over IPv4 alone leaves its
        // IPv6 ranges silent, and that is normal.
        const others = sum(outside, 'attempted');
        if (others > 0)
          out.push({
            id: 'origin.provider_syn_absent',
            target,
            evidence,
            params: {
              port,
              family: null,
              seconds: Math.round(o.durationMs / 1000),
              others,
              ranges: o.ranges.join(', '),
            },
          });
        continue;
      }
      // Per family: IPv4 may pass where IPv6 is dropped (an ip6tables set forgotten), and the endpoints differ.
      for (const family of [4, 6] as const) {
        const rows = provider.filter((r) => familyOfRange(r.range!) === family);
        if (sum(rows, 'attempted') > 0)
          appendAll(out, familyFindings(o, bundle, port, family, rows, target, evidence));
      }
    }
  }
  // Firewall log lines from the provider's addresses: from an observation, or from a pasted log.
  for (const { probe, data: b } of probesOf(facts.probes, 'origin')) {
    const log = bundleLog(b);
    if (!log || log.providerByPrefix.length === 0) continue;
    const count = log.providerByPrefix.reduce((n, p) => n + p.count, 0);
    const blocked = log.providerByPrefix.some((p) => p.blocked);
    out.push({
      id: 'origin.firewall_log_blocks',
      ...(blocked ? { severity: 'error' as const } : {}),
      target: originTarget(b),
      evidence: [probe.id],
      params: {
        count,
        blocked,
        prefixes: log.providerByPrefix.map((p) => `${p.prefix || '-'} ×${p.count}`).join(', '),
        ports: [...new Set(log.providerEntries.map((e) => e.dpt).filter((p) => p !== null))].join(', '),
        rejects: log.providerByPrefix.some((p) => /REJECT/i.test(p.prefix)),
        from: log.from ?? '-',
        to: log.to ?? '-',
        sources: log.sources.join(', ') || '-',
        sample: log.providerByPrefix[0]!.sample,
      },
    });
  }
  return out;
}

function bundleLog(b: OriginBundle): OriginBundle['firewallLog'] {
  return b.observation?.firewallLog ?? b.firewallLog;
}

type ObservedCause =
  'firewall_drop' | 'firewall_reject' | 'backorigin_not_allowed' | 'routing' | 'service_down';

/** A cause this evidence supports, for one endpoint. */
export interface ObservedSupport {
  readonly cause: ObservedCause;
  readonly confidence: number;
  readonly target: string;
  readonly findings: string[];
}

/**
 * Causes from what the origin saw. Seen on the origin, the provider's own SYNs decide: they rank above anything
 * inferred from the laptop's probes (0.85 at most for a timeout with the path reaching the host).
 */
export function observationSupport(
  facts: DiagnosisFacts,
  findings: readonly FindingDraft[],
): ObservedSupport[] {
  const out: ObservedSupport[] = [];
  const endpointsFor = (port: number, fallback: string, family: unknown = null): string[] => {
    const eps = facts.input.endpoints
      .filter((e) => e.port === port && (family === null || e.family === family))
      .map((e) => e.url);
    return eps.length ? eps : [fallback];
  };
  const laptop = (url: string): string[] =>
    findings
      .filter((f) => f.target === url && /^tcp\.(timeout|refused|unreachable)$/.test(f.id))
      .map((f) => f.id);
  for (const f of findings) {
    const port = Number(f.params.port);
    switch (f.id) {
      case 'origin.provider_syn_unanswered':
        // SYNs in, nothing out: the host drops them. Which rule, when its counter rose, is in the finding.
        for (const t of endpointsFor(port, f.target, f.params.family))
          out.push({ cause: 'firewall_drop', confidence: 0.95, target: t, findings: [f.id, ...laptop(t)] });
        break;
      case 'origin.provider_syn_rejected': {
        // An ICMP error or a REJECT rule whose counter rose is the firewall; a bare RST is the firewall or an
        // empty port (origin.not_listening, when the bundle read the listeners, says which).
        const byRule = f.params.rule !== '-' || Number(f.params.icmp) > 0;
        const empty = findings.some((x) => x.id === 'origin.not_listening' && Number(x.params.port) === port);
        for (const t of endpointsFor(port, f.target, f.params.family)) {
          if (byRule || !empty)
            out.push({
              cause: 'firewall_reject',
              confidence: byRule ? 0.95 : 0.8,
              target: t,
              findings: [f.id, ...laptop(t)],
            });
          if (!byRule)
            out.push({
              cause: 'service_down',
              confidence: empty ? 0.95 : 0.4,
              target: t,
              findings: [f.id, ...(empty ? ['origin.not_listening'] : []), ...laptop(t)],
            });
        }
        break;
      }
      case 'origin.provider_syn_absent':
        // Others arrive, the provider does not: stopped before the host (a cloud security group or network ACL
        // without the provider's ranges — the most common case), or the provider connects elsewhere.
        for (const t of endpointsFor(port, f.target)) {
          out.push({
            cause: 'backorigin_not_allowed',
            confidence: 0.9,
            target: t,
            findings: [f.id, ...laptop(t)],
          });
          out.push({ cause: 'routing', confidence: 0.3, target: t, findings: [f.id] });
        }
        break;
      case 'origin.firewall_log_blocks': {
        if (f.params.blocked !== true) break;
        const ports = String(f.params.ports).split(', ').filter(Boolean).map(Number);
        const targets = ports.length ? ports.flatMap((p) => endpointsFor(p, f.target)) : [f.target];
        for (const t of new Set(targets))
          out.push({
            cause: f.params.rejects === true ? 'firewall_reject' : 'firewall_drop',
            confidence: 0.9,
            target: t,
            findings: [f.id],
          });
        break;
      }
    }
  }
  return out;
}

/**
 * The handshake completes for the provider on a port: a firewall, routing or allow-list cause resting on the
 * laptop's own failures there is about the laptop, not the CDN. Such causes are damped, not dropped.
 */
export function answeredPorts(findings: readonly FindingDraft[]): Set<string> {
  const answered = new Set<string>();
  for (const f of findings)
    if (
      f.id === 'origin.provider_syn_answered' &&
      !findings.some(
        (x) =>
          x.target === f.target &&
          x.params.family === f.params.family &&
          (x.id === 'origin.provider_syn_unanswered' || x.id === 'origin.provider_syn_rejected'),
      )
    )
      answered.add(`${f.params.port}/${f.params.family}`);
  return answered;
}
