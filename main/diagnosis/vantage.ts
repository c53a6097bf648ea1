import { FINDINGS, isFindingId, type CauseId } from '../../shared/catalog/ids';
import type { LocalData, PolicyData } from '../../shared/model/probe-data';
import type { Endpoint, Symptom } from '../../shared/model/report';
import { cidrContains } from '../../shared/net/validate';
import { runPolicy } from '../policy';
import { probesOf } from './network';
import type { DiagnosisFacts, FindingDraft } from './types';

/**
 * Vantage: when what this machine sees is about this machine, not the provider. The rules given may shut this
 * machine out while they let the provider in (a timeout from here is then expected), and the customer's symptom
 * may disagree with what this machine sees (the provider is treated differently: rules keyed on the source
 * address, another SNI / Host, another origin address in the provider's settings).
 */

const FAILED = ['tcp.timeout', 'tcp.refused', 'tcp.unreachable'] as const;
const DENIED = new Set(['drop', 'reject']);

/** Addresses of this machine an origin could see: its interfaces, without loopback and link-local ones. */
function ownAddresses(local: LocalData, family: 4 | 6): string[] {
  return local.interfaces
    .filter((i) => i.family === family)
    .map((i) => i.address)
    .filter(
      (a) =>
        !cidrContains('127.0.0.0/8', a) &&
        !cidrContains('169.254.0.0/16', a) &&
        a !== '::1' &&
        !a.includes('%') &&
        !cidrContains('fe80::/10', a),
    );
}

/**
 * True when every provider range of the endpoint's family is allowed (or only rate-limited) on the port: the
 * provider reaches an IPv4 origin from its IPv4 ranges.
 */
function providerAllowed(data: PolicyData, port: number, family: 4 | 6): boolean {
  const rows = data.rows.filter((r) => r.port === port && r.family === family);
  return rows.length > 0 && rows.every((r) => r.outcome === 'allowed' || r.outcome === 'limited');
}

/**
 * Rules that block this machine's address on a port where they let every provider range in: the line that decides
 * this machine's address is found by the same simulation the policy layer runs, with this machine as the source.
 */
function blockedHere(facts: DiagnosisFacts, findings: readonly FindingDraft[]): FindingDraft[] {
  const out: FindingDraft[] = [];
  const local = probesOf(facts.probes, 'local')[0];
  const policy = probesOf(facts.probes, 'policy')[0];
  if (!local || !policy || !(facts.input.policies ?? []).length) return out;
  const candidates = facts.input.endpoints.flatMap((ep) => {
    const failed = FAILED.find((id) => findings.some((f) => f.id === id && f.target === ep.url));
    const mine = ownAddresses(local.data, ep.family);
    return failed && mine.length > 0 && providerAllowed(policy.data, ep.port, ep.family)
      ? [{ ep, failed, mine }]
      : [];
  });
  if (candidates.length === 0) return out;
  // One simulation for every such port, with this machine's addresses as the sources (the rules parsed once).
  const run = runPolicy(facts.input, [...new Set(candidates.flatMap((c) => c.mine))], () => 0, [
    ...new Set(candidates.map((c) => c.ep.port)),
  ]);
  if (!run.ok) return out;
  for (const { ep, failed, mine } of candidates) {
    // Every address of this machine must be shut out, each by a rule the simulation could read fully.
    const rows = run.data.rows.filter((r) => r.port === ep.port && r.family === ep.family);
    if (rows.length === 0 || !rows.every((r) => r.outcome === 'blocked')) continue;
    const seg = rows[0]!.segments[0];
    if (!seg?.rule || !rows.every((r) => r.segments.every((s) => DENIED.has(s.outcome) && s.rule))) continue;
    const tcp = findings.find((f) => f.id === failed && f.target === ep.url)!;
    out.push({
      id: 'vantage.rules_block_this_machine',
      target: ep.url,
      evidence: [policy.probe.id, local.probe.id, ...tcp.evidence],
      params: {
        addresses: mine.join(', '),
        port: ep.port,
        file: seg.rule.file,
        line: seg.rule.line,
        rule: seg.rule.text,
        outcome: seg.outcome,
        seen: failed.slice(4),
      },
    });
  }
  return out;
}

/** What the customer's code says the provider saw on connecting, for the codes that say it plainly. */
const PROVIDER_SAW: Partial<Record<Symptom, 'timeout' | 'refused' | 'unreachable' | 'tls'>> = {
  '522': 'timeout',
  '504': 'timeout',
  timeout: 'timeout',
  '521': 'refused',
  refused: 'refused',
  '523': 'unreachable',
  '525': 'tls',
  '526': 'tls',
  tls: 'tls',
};

/** Which disagreement between the provider's view and this machine's is which, by what each saw. */
const MISMATCH: Record<string, string> = {
  'timeout:tcp.refused': 'timeout_rst',
  'timeout:tcp.ok': 'timeout_connected',
  'refused:tcp.ok': 'refused_connected',
  'refused:tcp.timeout': 'refused_timeout',
  'unreachable:tcp.ok': 'unreachable_connected',
  'tls:tls.ok': 'tls_ok',
};

/** The customer's symptom against each endpoint as this machine saw it; only plain disagreements are reported. */
function symptomMismatch(facts: DiagnosisFacts, findings: readonly FindingDraft[]): FindingDraft[] {
  const symptom = facts.input.symptom;
  const saw = symptom ? PROVIDER_SAW[symptom] : undefined;
  if (!symptom || !saw) return [];
  const code = facts.input.symptomDetail?.code ?? symptom;
  const out: FindingDraft[] = [];
  const on = (ep: Endpoint, id: string): FindingDraft | undefined =>
    findings.find((f) => f.id === id && f.target === ep.url);
  for (const ep of facts.input.endpoints) {
    // This machine's own route or rules already explain what it sees: that is not the provider's view.
    if (
      on(ep, 'local.no_route') ||
      findings.some((f) => f.id === 'local.route_detour' && f.target === ep.address) ||
      on(ep, 'vantage.rules_block_this_machine')
    )
      continue;
    // A certificate or handshake problem seen here as well agrees with a TLS symptom.
    const tlsTrouble = findings.some(
      (f) =>
        f.target === ep.url &&
        f.id.startsWith('tls.') &&
        (f.severity ?? (isFindingId(f.id) ? FINDINGS[f.id].severity : 'warn')) !== 'info',
    );
    const seen =
      saw === 'tls'
        ? tlsTrouble
          ? undefined
          : on(ep, 'tls.ok')
        : (['tcp.ok', 'tcp.refused', 'tcp.timeout'] as const).map((id) => on(ep, id)).find(Boolean);
    const context = seen ? MISMATCH[`${saw}:${seen.id}`] : undefined;
    if (!seen || !context) continue;
    out.push({
      id: 'vantage.symptom_mismatch',
      target: ep.url,
      evidence: seen.evidence,
      params: {
        symptom: String(code),
        address: ep.address,
        port: ep.port,
        domain: facts.input.domain ?? '',
        context,
      },
    });
  }
  return out;
}

/** Vantage findings; they read the other layers' findings, so they are computed after them. */
export function vantageFindings(facts: DiagnosisFacts, findings: readonly FindingDraft[]): FindingDraft[] {
  const blocked = blockedHere(facts, findings);
  return [...blocked, ...symptomMismatch(facts, [...findings, ...blocked])];
}

/** Causes that a failure seen from a shut-out vantage point cannot carry above this. */
export const VANTAGE_CAP = 0.5;
const CAPPED: ReadonlySet<CauseId> = new Set([
  'cause.firewall_drop',
  'cause.firewall_reject',
  'cause.dns_misconfigured',
]);
/** DNS findings that are weak on their own: with a shut-out vantage point they do not lead. */
const WEAK_DNS = new Set(['dns.not_via_provider', 'dns.resolver_mismatch', 'dns.timeout', 'dns.refused']);

/**
 * The most a cause may be trusted when this machine is shut out by the rules: a firewall cause resting only on
 * endpoints this machine is blocked from, or a DNS cause resting only on weak DNS findings, stays at or below
 * VANTAGE_CAP. Any other cause: no limit (1).
 */
export function vantageLimit(
  cause: CauseId,
  targets: readonly string[],
  causeFindings: readonly string[],
  findings: readonly FindingDraft[],
): number {
  if (!CAPPED.has(cause)) return 1;
  const shutOut = new Set(
    findings.filter((f) => f.id === 'vantage.rules_block_this_machine').map((f) => f.target),
  );
  if (shutOut.size === 0) return 1;
  if (cause === 'cause.dns_misconfigured')
    return causeFindings.every((f) => WEAK_DNS.has(f)) ? VANTAGE_CAP : 1;
  return targets.every((t) => shutOut.has(t)) ? VANTAGE_CAP : 1;
}
