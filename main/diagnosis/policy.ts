import { z } from 'zod';
import type { PolicyData, PolicyRow, PolicySegment } from '../../shared/model/probe-data';
import { REAL_IP_CHAIN } from '../policy/parsers/nginx';
import { probesOf } from './network';
import type { DiagnosisFacts, FindingDraft } from './types';
import { appendAll } from '../../shared/util/arrays';

/**
 * Policy findings: which rule keeps which part of the provider's back-to-origin ranges out, on which port; a chain
 * default that does; rules that clash (shadowed, conflicting), rules open to the world on management ports, and
 * per-source limits every CDN node runs into. Evidence is the policy probe; parameters carry the file and line.
 */

const MAX_LISTED_RANGES = 6;
const MAX_FINDINGS_PER_KIND = 8;

interface Blocked {
  readonly segment: PolicySegment;
  readonly row: PolicyRow;
}

const DENIED = new Set(['drop', 'reject', 'http_deny']);

function listRanges(cidrs: string[]): string {
  const shown = cidrs.slice(0, MAX_LISTED_RANGES).join(', ');
  return cidrs.length > MAX_LISTED_RANGES ? `${shown} (+${cidrs.length - MAX_LISTED_RANGES})` : shown;
}

/** Blocked segments grouped by the rule (or default) that denied them. */
export function blockedByRule(data: PolicyData): Map<string, Blocked[]> {
  const groups = new Map<string, Blocked[]>();
  for (const row of data.rows)
    for (const segment of row.segments) {
      if (!DENIED.has(segment.outcome) || !segment.rule) continue;
      const key = `${segment.rule.file}:${segment.rule.line}:${segment.byDefault}`;
      (groups.get(key) ?? groups.set(key, []).get(key)!).push({ segment, row });
    }
  return groups;
}

/**
 * The jump and goto rules before the deciding one, as `file:line text → ` each (the finding's text names the
 * deciding rule after them); empty when the base chain decided or the session predates paths.
 */
export function viaText(segment: PolicySegment): string {
  const path = segment.path ?? [];
  return path
    .slice(0, -1)
    .map((r) => `${r.file}:${r.line} ${r.text} → `)
    .join('');
}

/** The distinct CIDR blocks and ports a group of blocked segments covers. */
export function blockedScope(items: readonly Blocked[]): { cidrs: string[]; ports: number[] } {
  const cidrs = [...new Set(items.flatMap((b) => b.segment.cidrs))];
  const ports = [...new Set(items.map((b) => b.row.port))].sort((a, b) => a - b);
  return { cidrs, ports };
}

/**
 * Segments whose outcome depends on a rule the reader could not evaluate fully, grouped by that rule (the first
 * one named): they are neither allowed nor blocked, and say so as one finding per rule.
 */
function undecidedFindings(data: PolicyData, evidence: string[]): FindingDraft[] {
  const groups = new Map<string, Blocked[]>();
  for (const row of data.rows)
    for (const segment of row.segments) {
      const first = segment.undecided[0];
      if (segment.outcome !== 'unknown' || !first) continue;
      const key = `${first.file}:${first.line}`;
      (groups.get(key) ?? groups.set(key, []).get(key)!).push({ segment, row });
    }
  return [...groups.values()].map((items) => {
    const u = items[0]!.segment.undecided[0]!;
    const { cidrs, ports } = blockedScope(items);
    const outcomes = [...new Set(items.flatMap((b) => b.segment.possible.map((p) => p.outcome)))];
    return {
      id: 'policy.undecided',
      target: `${u.file}:${u.line}`,
      evidence,
      params: {
        file: u.file,
        line: u.line,
        rule: u.text,
        what: u.what,
        ranges: listRanges(cidrs),
        rangeCount: cidrs.length,
        ports: ports.join(', '),
        outcomes: outcomes.join(' / '),
        provider: data.provider ?? '',
      },
    };
  });
}

/** The data of a policy probe whose rule files could not be read (run-diagnosis's error record). */
const policyErrorSchema = z.object({
  error: z.object({ key: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])) }),
});

/**
 * A rule file that could not be read: the policy was not simulated, so whether the provider gets in is unknown.
 * Said as a finding (text, app and reports alike) that keeps the verdict from reading as if the policy were fine;
 * `context: origin` when the file is a firewall dump from the origin-check bundle.
 */
function unreadablePolicies(facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  const originDumps = new Set(
    probesOf(facts.probes, 'origin').flatMap(({ data }) => data.firewall.map((f) => f.name)),
  );
  for (const probe of facts.probes) {
    if (probe.kind !== 'policy' || probe.status !== 'error') continue;
    const parsed = policyErrorSchema.safeParse(probe.data);
    if (!parsed.success) continue;
    const { key, params } = parsed.data.error;
    const file = typeof params.name === 'string' ? params.name : probe.target;
    out.push({
      id: 'policy.unreadable',
      target: file,
      evidence: [probe.id],
      params: {
        file,
        line: typeof params.line === 'number' ? params.line : null,
        reason: probe.raw ?? key,
        ...(originDumps.has(file) ? { context: 'origin' } : {}),
      },
    });
  }
  return out;
}

export function policyFindings(facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = unreadablePolicies(facts);
  for (const { probe, data } of probesOf(facts.probes, 'policy')) {
    const evidence = [probe.id];
    for (const [, items] of blockedByRule(data)) {
      const first = items[0]!.segment;
      const rule = first.rule!;
      const { cidrs, ports } = blockedScope(items);
      if (rule.chain === REAL_IP_CHAIN) {
        // nginx let the CDN node in and judged the visitor it carries: `deny all` answers every visitor with 403.
        out.push({
          id: 'policy.real_ip_denies_visitors',
          target: `${rule.file}:${rule.line}`,
          evidence,
          params: {
            file: rule.file,
            line: rule.line,
            rule: rule.text,
            ranges: listRanges(cidrs),
            rangeCount: cidrs.length,
            ports: ports.join(', '),
          },
        });
        continue;
      }
      const id = first.byDefault ? 'policy.backorigin_not_allowed' : 'policy.backorigin_blocked';
      out.push({
        id,
        // A cloud group's implicit deny has no line of its own: the file is the target.
        target: rule.line > 0 ? `${rule.file}:${rule.line}` : rule.file,
        evidence,
        params: {
          file: rule.file,
          line: rule.line,
          rule: rule.text,
          via: viaText(first),
          ranges: listRanges(cidrs),
          rangeCount: cidrs.length,
          ports: ports.join(', '),
          outcome: first.outcome,
          layer: first.layer,
          provider: data.provider ?? '',
          ...(first.ban
            ? { context: 'ban' }
            : first.outcome === 'http_deny'
              ? { context: 'http' }
              : rule.line === 0
                ? { context: 'implicit' }
                : {}),
        },
      });
    }
    appendAll(out, undecidedFindings(data, evidence));
    const limits = new Map<string, { l: PolicySegment['limits'][number]; ports: Set<number> }>();
    for (const row of data.rows)
      for (const s of row.segments)
        for (const l of s.limits) {
          const key = `${l.file}:${l.line}`;
          const entry = limits.get(key) ?? limits.set(key, { l, ports: new Set() }).get(key)!;
          entry.ports.add(row.port);
        }
    for (const { l, ports } of limits.values())
      out.push({
        id: 'policy.rate_limit_backorigin',
        severity: l.perSource ? 'warn' : 'info',
        target: `${l.file}:${l.line}`,
        evidence,
        params: {
          file: l.file,
          line: l.line,
          rule: l.text,
          detail: l.detail,
          ports: [...ports].sort((a, b) => a - b).join(', '),
          ...(l.perSource ? { context: 'per_source' } : {}),
        },
      });
    const counts: Record<string, number> = {};
    for (const a of data.anomalies) {
      const id =
        a.kind === 'shadowed'
          ? 'policy.shadowed_rule'
          : a.kind === 'correlated'
            ? 'policy.conflict'
            : a.kind === 'redundant'
              ? 'policy.redundant_rule'
              : a.kind === 'overly_permissive'
                ? 'policy.overly_permissive'
                : null;
      if (!id) continue; // generalization: the usual "allow these, deny the rest", worth a line in the table only
      if (id === 'policy.conflict' && !a.relevant) continue;
      counts[id] = (counts[id] ?? 0) + 1;
      if (counts[id]! > MAX_FINDINGS_PER_KIND) continue;
      out.push({
        id,
        // A shadowed allow for the provider is what keeps the CDN out: worse than a tidiness note.
        ...(id === 'policy.shadowed_rule' && a.relevant && a.action === 'accept'
          ? { severity: 'error' as const }
          : {}),
        target: `${a.rule.file}:${a.rule.line}`,
        evidence,
        params: {
          file: a.rule.file,
          line: a.rule.line,
          rule: a.rule.text,
          action: a.action,
          otherLine: a.other?.line ?? 0,
          other: a.other?.text ?? '',
          otherAction: a.otherAction ?? '',
        },
      });
    }
  }
  return out;
}
