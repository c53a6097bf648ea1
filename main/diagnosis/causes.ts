import { CAUSE_IDS, type CauseId } from '../../shared/catalog/ids';
import type { TraceData } from '../../shared/model/probe-data';
import { probesOf } from './network';
import type { Endpoint } from '../../shared/model/report';
import { fixesFor } from './fixes';
import { isWildcard } from '../origin/parsers';
import { withSymptom } from './symptom';
import { vantageLimit } from './vantage';
import { ICMP_PROHIBITED } from './capture';
import { answeredPorts, OBSERVATION_FINDINGS, observationSupport } from './observation';
import { ORIGIN_NAME_SUPPORT } from './origin-name';
import type { CauseDraft, DiagnosisFacts, FindingDraft } from './types';
import { maxOf } from '../../shared/util/arrays';

/** One piece of support for a cause: "these findings on this target make this cause this likely". */
type ShortCause = CauseId extends `cause.${infer S}` ? S : never;

interface Support {
  readonly cause: ShortCause;
  readonly confidence: number;
  readonly target: string;
  readonly findings: string[];
}

/** Traceroute annotations meaning "administratively prohibited": a filter answered, not a missing route. */
const ADMIN_PROHIBITED = new Set(['!X', '!A', '!C', '!Z', '!S']);

function tcpCodes(facts: DiagnosisFacts, url: string): string[] {
  const tcp = probesOf(facts.probes, 'tcp').find((p) => p.data.url === url);
  return (tcp?.data.attempts ?? []).map((a) => a.code ?? '');
}

function traceOf(facts: DiagnosisFacts, address: string): TraceData | undefined {
  return probesOf(facts.probes, 'trace').find((p) => p.data.target === address)?.data;
}

/**
 * Evidence → causes for the network layer, following the first branch of the method: what the TCP connect did,
 * refined by where the path stops. Each rule states why in a comment; the numbers rank, they do not measure.
 */
function networkSupport(facts: DiagnosisFacts, findings: readonly FindingDraft[]): Support[] {
  const out: Support[] = [];
  const has = (id: string, target: string): boolean =>
    findings.some((f) => f.id === id && f.target === target);
  for (const ep of facts.input.endpoints) {
    const t = ep.url;
    const trace = traceOf(facts, ep.address);
    const traceReached = trace?.reached === true;
    const traceStopped = trace !== undefined && trace.hops.length > 0 && !trace.reached;
    const otherPortOk = facts.input.endpoints.some(
      (o) => o.address === ep.address && o.url !== t && has('tcp.ok', o.url),
    );

    const detoured = has('local.route_detour', ep.address);
    const silent = ['tcp.timeout', 'tcp.unreachable'].filter((f) => has(f, t));
    if (detoured && silent.length > 0) {
      // This machine sends the probe into a VPN: the silence or "unreachable" is the tunnel's path, not the
      // Internet path the CDN uses, so no firewall conclusion rests on it.
      out.push({ cause: 'routing', confidence: 0.8, target: t, findings: ['local.route_detour', ...silent] });
      continue;
    }
    if (has('local.no_route', t)) {
      // No route in our own table: nothing left this machine.
      out.push({
        cause: 'routing',
        confidence: 0.9,
        target: t,
        findings: ['local.no_route', 'tcp.unreachable'].filter((f) => has(f, t)),
      });
      continue;
    }
    if (has('tcp.refused', t)) {
      // An RST: the host is up and answered. Usually nothing listens; a REJECT --reject-with tcp-reset looks identical.
      out.push({
        cause: 'service_down',
        confidence: otherPortOk ? 0.7 : 0.6,
        target: t,
        findings: ['tcp.refused'],
      });
      out.push({ cause: 'firewall_reject', confidence: 0.3, target: t, findings: ['tcp.refused'] });
    }
    if (has('tcp.unreachable', t)) {
      const f = ['tcp.unreachable', ...(has('path.incomplete', t) ? ['path.incomplete'] : [])];
      const adminProhibited =
        tcpCodes(facts, t).includes('EACCES') || ADMIN_PROHIBITED.has(trace?.stopAnnotation ?? '');
      if (adminProhibited || (trace && traceReached)) {
        // The host itself (or a filter saying "prohibited") answered with ICMP: a REJECT rule.
        out.push({ cause: 'firewall_reject', confidence: 0.75, target: t, findings: f });
        out.push({ cause: 'routing', confidence: 0.2, target: t, findings: f });
      } else if (traceStopped) {
        // A router before the host said net / host unreachable: the route ends there.
        out.push({ cause: 'routing', confidence: 0.75, target: t, findings: f });
        out.push({ cause: 'firewall_reject', confidence: 0.2, target: t, findings: f });
      } else {
        out.push({ cause: 'routing', confidence: 0.45, target: t, findings: f });
        out.push({ cause: 'firewall_reject', confidence: 0.45, target: t, findings: f });
      }
    }
    if (has('tcp.timeout', t)) {
      const f = ['tcp.timeout', ...(has('path.incomplete', t) ? ['path.incomplete'] : [])];
      if (traceReached || otherPortOk) {
        // The host answers trace probes (or another port) but this port is silent: a filter drops the SYNs.
        out.push({ cause: 'firewall_drop', confidence: 0.85, target: t, findings: f });
      } else if (traceStopped) {
        // Silence and the path goes dark too: the whole host is filtered, or the address leads nowhere.
        out.push({ cause: 'firewall_drop', confidence: 0.55, target: t, findings: f });
        out.push({ cause: 'routing', confidence: 0.35, target: t, findings: f });
      } else {
        out.push({ cause: 'firewall_drop', confidence: 0.6, target: t, findings: f });
        out.push({ cause: 'routing', confidence: 0.2, target: t, findings: f });
      }
    }
    if (has('tcp.reset', t)) {
      // Accepted, then reset: a middlebox, an overloaded service or a ban tool cutting connections.
      out.push({ cause: 'origin_overloaded', confidence: 0.4, target: t, findings: ['tcp.reset'] });
      out.push({ cause: 'firewall_reject', confidence: 0.3, target: t, findings: ['tcp.reset'] });
    }
    if (has('tcp.loss', t)) {
      // Some SYNs unanswered: backlog overflow, conntrack full or per-source limits under load.
      out.push({ cause: 'origin_overloaded', confidence: 0.4, target: t, findings: ['tcp.loss'] });
      out.push({ cause: 'firewall_drop', confidence: 0.25, target: t, findings: ['tcp.loss'] });
    }
  }

  const domain = facts.input.domain;
  if (domain) {
    const dnsWeights: [string, number][] = [
      ['dns.nxdomain', 0.8],
      ['dns.no_address', 0.75],
      ['dns.servfail', 0.7],
      ['dns.origin_exposed', 0.6],
      ['dns.not_via_provider', 0.55],
      ['dns.resolver_mismatch', 0.35],
      ['dns.refused', 0.3],
      ['dns.timeout', 0.3],
    ];
    const present = dnsWeights.filter(([id]) => has(id, domain));
    if (present.length > 0) {
      out.push({
        cause: 'dns_misconfigured',
        confidence: maxOf(present.map(([, w]) => w)),
        target: domain,
        findings: present.map(([id]) => id),
      });
    }
  }
  return out;
}

/** What each protocol finding says about causes; the numbers rank, they do not measure. */
const PROTOCOL_SUPPORT: Record<string, [ShortCause, number][]> = {
  'tls.cert_expired': [['tls_cert_expired', 0.9]],
  'tls.cert_not_yet_valid': [['tls_cert_expired', 0.8]],
  'tls.chain_incomplete': [['tls_chain_incomplete', 0.85]],
  'tls.hostname_mismatch': [['tls_hostname_mismatch', 0.85]],
  'tls.self_signed': [['tls_untrusted', 0.8]],
  'tls.untrusted_root': [['tls_untrusted', 0.8]],
  'tls.sni_required': [['sni_required', 0.6]],
  'tls.plain_http_on_tls_port': [['protocol_port_mismatch', 0.9]],
  'http.tls_on_plain_port': [['protocol_port_mismatch', 0.9]],
  'tls.handshake_failed': [['tls_handshake_failure', 0.75]],
  'http.vhost_missing': [['vhost_missing', 0.85]],
  'http.redirect_loop': [['redirect_loop', 0.9]],
  'http.rate_limited': [['rate_limiting', 0.75]],
  'http.slow_ttfb': [['origin_slow', 0.75]],
  'http.5xx': [['origin_app_error', 0.7]],
  'http.empty_reply': [['origin_overloaded', 0.45]],
  // An RST right after the request: a WAF / IPS on the origin cutting it, or a worker that crashes on it.
  'http.reset': [
    ['firewall_reject', 0.5],
    ['origin_app_error', 0.45],
  ],
  'http.h2_broken': [['h2_broken', 0.7]],
};

function protocolSupport(facts: DiagnosisFacts, findings: readonly FindingDraft[]): Support[] {
  const out: Support[] = [];
  for (const f of findings)
    for (const [cause, weight] of ORIGIN_NAME_SUPPORT[f.id] ?? [])
      out.push({
        cause: cause.slice('cause.'.length) as ShortCause,
        confidence: weight,
        target: f.target,
        findings: [f.id],
      });
  for (const f of findings) {
    for (const [cause, weight] of PROTOCOL_SUPPORT[f.id] ?? []) {
      // A certificate problem only breaks the CDN in strict mode; in full mode it is a warning for later.
      let confidence = f.severity === 'warn' && cause.startsWith('tls_') ? Math.min(weight, 0.4) : weight;
      // An empty reply to every Host is nginx's 444 default server far more often than a crash on every name,
      // but it can be either: ranked above the crash, below a missing site seen in a page.
      if (f.id === 'http.vhost_missing' && f.params.context === 'empty') confidence = 0.6;
      out.push({ cause, confidence, target: f.target, findings: [f.id] });
    }
  }
  // IPv4 answers on a port while IPv6 of the same session fails there: the IPv6 listener, firewall or AAAA record.
  const failed = (url: string): boolean =>
    findings.some(
      (f) => f.target === url && ['tcp.timeout', 'tcp.refused', 'tcp.unreachable'].includes(f.id),
    );
  for (const v6 of facts.input.endpoints.filter((e) => e.family === 6 && failed(e.url))) {
    const v4ok = facts.input.endpoints.some(
      (e) =>
        e.family === 4 && e.port === v6.port && findings.some((f) => f.id === 'tcp.ok' && f.target === e.url),
    );
    if (v4ok) {
      const f = findings.find((x) => x.target === v6.url && x.id.startsWith('tcp.'))!.id;
      out.push({ cause: 'ipv6_broken', confidence: 0.7, target: v6.url, findings: [f] });
    }
  }
  // Refused on the HTTPS port while HTTP on the same host answers: the origin does not serve HTTPS where the
  // CDN expects it (or the other way round).
  for (const ep of facts.input.endpoints) {
    if (!findings.some((f) => f.id === 'tcp.refused' && f.target === ep.url)) continue;
    const other = facts.input.endpoints.find(
      (o) =>
        o.address === ep.address &&
        o.scheme !== ep.scheme &&
        findings.some((f) => f.id === 'tcp.ok' && f.target === o.url),
    );
    if (other)
      out.push({
        cause: 'protocol_port_mismatch',
        confidence: 0.5,
        target: ep.url,
        findings: ['tcp.refused'],
      });
  }
  return out;
}

/**
 * The policy layer: rules that keep the provider's ranges out explain a 521 / 522 even when this laptop connects
 * fine (it is not a provider address); clashing rules and per-source limits explain the subtler cases.
 */
function policySupport(facts: DiagnosisFacts, findings: readonly FindingDraft[]): Support[] {
  const out: Support[] = [];
  const failed = (url: string): boolean =>
    findings.some(
      (f) => f.target === url && ['tcp.timeout', 'tcp.refused', 'tcp.unreachable'].includes(f.id),
    );
  const ok = (url: string): boolean => findings.some((f) => f.target === url && f.id === 'tcp.ok');
  const blocked = findings.filter(
    (f) => f.id === 'policy.backorigin_blocked' || f.id === 'policy.backorigin_not_allowed',
  );
  if (blocked.length > 0) {
    const ports = new Set(blocked.flatMap((f) => String(f.params.ports).split(', ').map(Number)));
    const eps = facts.input.endpoints.filter((e) => ports.has(e.port));
    const httpOnly = blocked.every((f) => f.params.outcome === 'http_deny');
    const ids = [...new Set(blocked.map((f) => f.id))];
    const targets = eps.length ? eps.map((e) => e.url) : blocked.map((f) => f.target);
    for (const target of targets) {
      // The rules name the line; the probes say whether the origin is otherwise up. Failing probes as well
      // put this above a generic firewall drop: the rule that drops is known.
      let c = httpOnly ? 0.6 : 0.8;
      if (ok(target)) c = Math.max(c, 0.85);
      if (failed(target)) c = 0.9;
      out.push({ cause: 'backorigin_not_allowed', confidence: c, target, findings: ids });
    }
  }
  for (const f of findings) {
    if (f.id === 'policy.shadowed_rule')
      out.push({
        cause: 'policy_conflict',
        confidence: f.severity === 'error' ? 0.8 : 0.35,
        target: f.target,
        findings: [f.id],
      });
    if (f.id === 'policy.conflict')
      out.push({ cause: 'policy_conflict', confidence: 0.5, target: f.target, findings: [f.id] });
    // real_ip_header and an allow list of the CDN's own ranges contradict each other: every visitor gets 403.
    if (f.id === 'policy.real_ip_denies_visitors')
      out.push({ cause: 'policy_conflict', confidence: 0.85, target: f.target, findings: [f.id] });
    if (f.id === 'policy.rate_limit_backorigin')
      out.push({
        cause: 'rate_limiting',
        confidence: f.params.context === 'per_source' ? 0.55 : 0.3,
        target: f.target,
        findings: [f.id],
      });
  }
  return out;
}

/** What each origin-side finding says; the origin's own view confirms or rules out what the probes suggest. */
const ORIGIN_SUPPORT: Record<string, [ShortCause, number]> = {
  'origin.conntrack_full': ['origin_overloaded', 0.85],
  'origin.fd_exhaustion': ['origin_overloaded', 0.8],
  'origin.listen_overflow': ['origin_overloaded', 0.6],
  'origin.memory_pressure': ['origin_overloaded', 0.4],
  'origin.disk_full': ['origin_app_error', 0.5],
  'origin.upstream_errors': ['origin_app_error', 0.7],
  'origin.limiting_requests': ['rate_limiting', 0.7],
  // Replies to part of the provider leave by another route: those CDN nodes see timeouts.
  'origin.route_swallows_provider': ['routing', 0.65],
  'origin.keepalive_short': ['keepalive_mismatch', 0.5],
};

function originSupport(facts: DiagnosisFacts, findings: readonly FindingDraft[]): Support[] {
  const out: Support[] = [];
  const refused = (url: string): boolean => findings.some((f) => f.target === url && f.id === 'tcp.refused');
  for (const f of findings) {
    const simple = ORIGIN_SUPPORT[f.id];
    if (simple) out.push({ cause: simple[0], confidence: simple[1], target: f.target, findings: [f.id] });
    if (f.id !== 'origin.bound_loopback' && f.id !== 'origin.not_listening') continue;
    // Seen from the origin itself: the listener is missing, or bound where the CDN cannot reach it. A refusal
    // from here as well makes it certain.
    const eps = facts.input.endpoints.filter((e) => e.port === Number(f.params.port));
    const cause = f.id === 'origin.bound_loopback' ? 'bound_to_loopback' : 'service_down';
    for (const target of eps.length ? eps.map((e) => e.url) : [f.target]) {
      const r = refused(target);
      out.push({
        cause,
        // Seen on the origin itself this is a fact, not an inference: above any load signal.
        confidence: r ? 0.95 : 0.88,
        target,
        findings: [f.id, ...(r ? ['tcp.refused'] : [])],
      });
    }
  }
  return out;
}

/**
 * The origin listens on every address of a port, yet this laptop was refused there: the service is up, so a
 * REJECT on the way (host firewall, cloud group, a middlebox) answered, not an empty port.
 */
function adjustByOrigin(facts: DiagnosisFacts, supports: Support[]): Support[] {
  const bundles = probesOf(facts.probes, 'origin').map((p) => p.data);
  if (bundles.length === 0) return supports;
  const listening = (port: number): boolean =>
    bundles.some((b) => b.listeners.some((l) => l.port === port && isWildcard(l.address)));
  const extra: Support[] = [];
  const adjusted = supports.map((s) => {
    const ep = facts.input.endpoints.find((e) => e.url === s.target);
    if (!ep || !listening(ep.port) || s.cause !== 'service_down' || !s.findings.includes('tcp.refused'))
      return s;
    extra.push({ cause: 'firewall_reject', confidence: 0.8, target: s.target, findings: ['tcp.refused'] });
    return { ...s, confidence: 0.15 };
  });
  return [...adjusted, ...extra];
}

/**
 * The origin saw the provider's handshakes complete on a port: what the laptop's own failures there suggest about
 * firewalls, routes and allow-lists is about the laptop, not the CDN, and a firewall log line of the last hour is
 * older news than the window. Such supports are damped; those resting on the origin's own view of a failure stay.
 */
function adjustByObservation(
  facts: DiagnosisFacts,
  findings: readonly FindingDraft[],
  supports: Support[],
): Support[] {
  const answered = answeredPorts(findings);
  if (answered.size === 0) return supports;
  const network = new Set<ShortCause>([
    'firewall_drop',
    'firewall_reject',
    'routing',
    'backorigin_not_allowed',
  ]);
  return supports.map((s) => {
    const ep = facts.input.endpoints.find((e) => e.url === s.target);
    if (!ep || !answered.has(`${ep.port}/${ep.family}`) || !network.has(s.cause)) return s;
    // The origin's own view of a failure on this port stands; an older firewall log line does not outweigh the
    // handshakes the window saw complete.
    if (s.findings.some((f) => f.startsWith('origin.') && f !== 'origin.firewall_log_blocks')) return s;
    return { ...s, confidence: Math.min(s.confidence, 0.2) };
  });
}

/**
 * A port the policy opens to every provider range but not to this laptop: a timeout or refusal from here is what
 * the rules intend, so it says little about the CDN's path. Such firewall causes are damped, not dropped.
 */
function dampenByPolicy(facts: DiagnosisFacts, supports: Support[]): Support[] {
  const policies = probesOf(facts.probes, 'policy').map((p) => p.data);
  if (policies.length === 0) return supports;
  // Only the rows of the endpoint's own family speak for it: IPv4 ranges all allowed say nothing of the IPv6 rules.
  const fullyOpen = (port: number, family: 4 | 6): boolean =>
    policies.some((d) => {
      const rows = d.rows.filter((r) => r.port === port && r.family === family);
      return rows.length > 0 && rows.every((r) => r.outcome === 'allowed' || r.outcome === 'limited');
    });
  return supports.map((s) => {
    if (s.cause !== 'firewall_drop' && s.cause !== 'firewall_reject') return s;
    const ep = facts.input.endpoints.find((e) => e.url === s.target);
    return ep && fullyOpen(ep.port, ep.family) ? { ...s, confidence: s.confidence * 0.4 } : s;
  });
}

/**
 * What a watch's pattern says. Failures that come and go point at load (backlog, conntrack, workers) or at limits
 * and bans that trip and expire; a watch that fails throughout says what a single run would, by its failure.
 */
function watchSupport(findings: readonly FindingDraft[]): Support[] {
  const out: Support[] = [];
  for (const f of findings) {
    if (!f.id.startsWith('watch.')) continue;
    const t = f.target;
    const s = (cause: ShortCause, confidence: number): void => {
      out.push({ cause, confidence, target: t, findings: [f.id] });
    };
    const tcp = f.params.tcpFailure;
    const status = typeof f.params.httpStatus === 'number' ? f.params.httpStatus : null;
    switch (f.id) {
      case 'watch.bursts':
        s('origin_overloaded', 0.6);
        s('rate_limiting', status === 429 || tcp === 'reset' ? 0.55 : 0.4);
        break;
      case 'watch.intermittent':
        s('origin_overloaded', 0.55);
        if (status === 429) s('rate_limiting', 0.5);
        break;
      case 'watch.recovering':
        s('rate_limiting', 0.45);
        s('origin_overloaded', 0.35);
        break;
      case 'watch.started_failing':
        // Fine at first, then shut out: a ban tool reacting to the traffic, or the origin falling over.
        s('rate_limiting', 0.5);
        s('origin_overloaded', 0.4);
        break;
      case 'watch.always_failing':
        if (tcp === 'timeout') s('firewall_drop', 0.6);
        else if (tcp === 'refused') {
          s('service_down', 0.55);
          s('firewall_reject', 0.3);
        } else if (tcp === 'unreachable') s('routing', 0.5);
        else if (status === 429) s('rate_limiting', 0.6);
        else if (status !== null && status >= 500) s('origin_app_error', 0.55);
        break;
    }
  }
  return out;
}

/**
 * Packet evidence sharpens what the errno said. Silence after retransmitted SYNs confirms a drop; an RST or an
 * ICMP error is attributed to whoever sent it: the origin itself (its firewall, or nothing listening) or a router
 * or middlebox on the way. An ICMP port-unreachable answering a TCP SYN is a firewall's REJECT: a closed port
 * answers with an RST, though the socket reports both as "refused".
 */
function adjustByCapture(findings: readonly FindingDraft[], supports: Support[]): Support[] {
  const of = (id: string, target: string): FindingDraft[] =>
    findings.filter((f) => f.id === id && f.target === target);
  const cap = (n: number): number => Math.min(0.89, n);
  return supports.map((s) => {
    const add = (id: string, confidence = s.confidence): Support => ({
      ...s,
      confidence,
      findings: s.findings.includes(id) ? s.findings : [...s.findings, id],
    });
    if (s.findings.includes('tcp.timeout') && of('capture.syn_unanswered', s.target).length > 0)
      return add(
        'capture.syn_unanswered',
        s.cause === 'firewall_drop' ? cap(s.confidence + 0.05) : s.confidence,
      );
    if (s.findings.includes('tcp.refused') && (s.cause === 'service_down' || s.cause === 'firewall_reject')) {
      const icmp = of('capture.icmp_answer', s.target);
      if (icmp.length > 0) return add('capture.icmp_answer', s.cause === 'firewall_reject' ? 0.85 : 0.15);
      const rst = of('capture.rst_answer', s.target);
      if (rst.length === 0) return s;
      const fromElsewhere = rst.every((f) => f.params.fromTarget === false);
      return fromElsewhere
        ? add('capture.rst_answer', s.cause === 'firewall_reject' ? 0.8 : 0.2)
        : add('capture.rst_answer');
    }
    if (s.findings.includes('tcp.unreachable') && (s.cause === 'routing' || s.cause === 'firewall_reject')) {
      const icmp = of('capture.icmp_answer', s.target);
      if (icmp.length === 0) return s;
      const prohibited = icmp.some(
        (f) => f.params.fromTarget === true || ICMP_PROHIBITED.has(String(f.params.name)),
      );
      const reject = s.cause === 'firewall_reject';
      return add('capture.icmp_answer', prohibited ? (reject ? 0.8 : 0.15) : reject ? 0.2 : 0.8);
    }
    if (
      s.cause === 'tls_handshake_failure' &&
      of('capture.tls_alert', s.target).some((f) => f.params.dir === 'in')
    )
      return add('capture.tls_alert', cap(s.confidence + 0.05));
    return s;
  });
}

/** Support for the same cause is merged: the strongest confidence, every target and finding it rests on. */
export function rankCauses(facts: DiagnosisFacts, findings: readonly FindingDraft[]): CauseDraft[] {
  const supports = adjustByObservation(
    facts,
    findings,
    adjustByOrigin(
      facts,
      dampenByPolicy(
        facts,
        adjustByCapture(findings, [
          ...networkSupport(facts, findings),
          ...protocolSupport(facts, findings),
          ...policySupport(facts, findings),
          ...originSupport(facts, findings),
          ...observationSupport(facts, findings),
          ...watchSupport(findings),
        ]),
      ),
    ),
  );
  const merged = new Map<
    CauseId,
    { confidence: number; targets: Map<string, number>; findings: Set<string> }
  >();
  for (const s of supports) {
    const id = `cause.${s.cause}` as CauseId;
    const m = merged.get(id) ?? {
      confidence: 0,
      targets: new Map<string, number>(),
      findings: new Set<string>(),
    };
    m.confidence = Math.max(m.confidence, s.confidence);
    m.targets.set(s.target, Math.max(m.targets.get(s.target) ?? 0, s.confidence));
    s.findings.forEach((f) => m.findings.add(f));
    merged.set(id, m);
  }
  const endpointsOf = (targets: Map<string, number>): Endpoint[] =>
    facts.input.endpoints.filter((e) => targets.has(e.url));
  const round = (n: number): number => Math.round(n * 100) / 100;
  const causes: CauseDraft[] = [...merged.entries()].map(([id, m]) => {
    const eps = endpointsOf(m.targets);
    const { checks: ruleChecks, fix } = fixesFor(id, { facts, endpoints: eps });
    const prior = withSymptom(id, m.confidence, facts.input.symptom);
    const scale = m.confidence > 0 ? prior.confidence / m.confidence : 1;
    // Seen at the origin: the provider's own connections, so the laptop's vantage does not limit the cause, and
    // the first check says what it rests on.
    const seen = findings.find(
      (f) =>
        m.findings.has(f.id) &&
        ((OBSERVATION_FINDINGS as readonly string[]).includes(f.id) || f.id === 'origin.firewall_log_blocks'),
    );
    const checks = seen
      ? [
          { key: 'check.seen_at_origin', params: { port: seen.params.port ?? seen.params.ports ?? '-' } },
          ...ruleChecks,
        ]
      : ruleChecks;
    // A failure seen from a vantage point the rules shut out says little, whatever the symptom's prior adds.
    const limit = seen ? 1 : vantageLimit(id, [...m.targets.keys()], [...m.findings], findings);
    return {
      id,
      confidence: round(Math.min(limit, prior.confidence)),
      targets: [...m.targets.keys()],
      targetConfidence: Object.fromEntries(
        [...m.targets].map(([t, c]) => [t, round(Math.min(1, limit, c * scale))]),
      ),
      findings: [...m.findings],
      params: {
        targets: [...m.targets.keys()].join(', '),
        domain: facts.input.domain ?? '',
        symptom: facts.input.symptom ?? '',
        matchesSymptom: prior.matches,
      },
      checks,
      fix,
    };
  });
  // Highest confidence first; ties in catalog order so the output is deterministic.
  return causes.sort(
    (a, b) => b.confidence - a.confidence || CAUSE_IDS.indexOf(a.id) - CAUSE_IDS.indexOf(b.id),
  );
}
