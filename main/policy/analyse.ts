import type {
  PolicyAnomaly,
  PolicyBranch,
  PolicyData,
  PolicyOutcome,
  PolicyRow,
  PolicyRowOutcome,
  PolicyRuleRef,
  PolicySegment,
  PolicyUndecided,
} from '../../shared/model/probe-data';
import {
  formatSpan,
  intersects,
  parseRange,
  setOf,
  sizeOf,
  spanToCidrs,
  type AddrSet,
  type Family,
  type ParsedRange,
} from './addr';
import { findAnomalies, sensitivePortsOf, type Anomaly } from './anomalies';
import { evaluateSpan, uncertainty, type Branch, type Query, type Segment } from './evaluate';
import type { Chain, Rule, RuleSet } from './model';

export interface AnalyseInput {
  readonly sets: readonly RuleSet[];
  /** The provider's back-to-origin ranges (and custom ones). */
  readonly ranges: readonly string[];
  readonly ports: readonly number[];
  readonly provider: string | null;
  /** The origin's own addresses, for rules limited to a destination; empty when unknown. */
  readonly destinations: readonly string[];
}

const MAX_SEGMENTS = 50;
const MAX_ANOMALIES_PER_KIND = 50;
const ANOMALY_ORDER = ['shadowed', 'correlated', 'overly_permissive', 'redundant', 'generalization'];

export function ref(set: RuleSet, rule: Rule): PolicyRuleRef {
  return { file: set.name, line: rule.line, text: rule.text, chain: rule.chain };
}

/** Which file each rule came from, built once per analysis (limits are looked up per segment). */
export function ownersOf(sets: readonly RuleSet[]): Map<Rule, RuleSet> {
  const owners = new Map<Rule, RuleSet>();
  for (const set of sets)
    for (const p of [set.programs[4], set.programs[6]])
      if (p) for (const c of Object.values(p.chains)) for (const r of c.rules) owners.set(r, set);
  return owners;
}

/** The rule that decided, or the chain default that did, as evidence. */
export function decider(
  set: RuleSet | undefined,
  rule: Rule | null,
  chain: Chain | null,
): PolicyRuleRef | null {
  if (set && rule) return ref(set, rule);
  if (set && chain)
    return { file: set.name, line: chain.policyLine, text: chain.policyText, chain: chain.name };
  return null;
}

/** The jumps taken to the deciding rule, then that rule (or the default); absent when no file spoke. */
function pathOut(
  set: RuleSet | undefined,
  via: readonly Rule[],
  decided: PolicyRuleRef | null,
): PolicyRuleRef[] | undefined {
  if (!set || !decided) return undefined;
  // A jump and the rule it leads to sit in the same file: the program is one file's.
  return [...via.map((r) => ref(set, r)), decided];
}

function undecidedOut(owners: Map<Rule, RuleSet>, rule: Rule, q: Query): PolicyUndecided {
  const owner = owners.get(rule);
  return {
    file: owner?.name ?? '',
    line: rule.line,
    text: rule.text,
    chain: rule.chain,
    what: uncertainty(rule, q) ?? '',
  };
}

function branchOut(sets: readonly RuleSet[], owners: Map<Rule, RuleSet>, b: Branch, q: Query): PolicyBranch {
  const set = b.layer !== null ? sets[b.layer] : undefined;
  const rule = decider(set, b.rule, b.chain);
  const path = pathOut(set, b.via, rule);
  return {
    outcome: b.outcome,
    layer: set?.layer ?? null,
    rule,
    byDefault: !b.rule && !!b.chain,
    ...(path ? { path } : {}),
    when: b.conds.map((c) => ({ ...undecidedOut(owners, c.rule, q), matched: c.matched })),
  };
}

export function segmentOut(
  sets: readonly RuleSet[],
  owners: Map<Rule, RuleSet>,
  s: Segment,
  q: Query,
): PolicySegment {
  const family = q.family;
  const set = s.layer !== null ? sets[s.layer] : undefined;
  const cidrs = spanToCidrs(s, family);
  const rule = decider(set, s.rule, s.chain);
  const path = pathOut(set, s.via, rule);
  return {
    range: formatSpan(s, family),
    cidrs: cidrs.slice(0, 16),
    cidrCount: cidrs.length,
    addresses: sizeOf([s]).toString(),
    outcome: s.outcome,
    layer: set?.layer ?? null,
    rule,
    byDefault: !s.rule && !!s.chain,
    ...(path ? { path } : {}),
    ban: s.rule?.ban === true,
    assumed: s.rule ? uncertainty(s.rule, q) : null,
    limits: s.limits.map((l) => {
      const owner = owners.get(l) ?? set;
      return {
        file: owner?.name ?? '',
        line: l.line,
        text: l.text,
        chain: l.chain,
        kind: l.rate!.kind,
        perSource: l.rate!.perSource,
        detail: l.rate!.detail,
      };
    }),
    possible: s.possible.map((b) => branchOut(sets, owners, b, q)),
    undecided: s.undecided.map((r) => undecidedOut(owners, r, q)),
  };
}

export const ALLOWED: ReadonlySet<PolicyOutcome> = new Set(['allow', 'limited']);

export function rowOutcome(segs: readonly Segment[]): PolicyRowOutcome {
  if (segs.every((s) => s.outcome === 'unknown')) return 'unknown';
  if (segs.some((s) => s.outcome === 'unknown'))
    // Part of the range is surely kept out: that much is known; otherwise the row cannot be called either way.
    return segs.some((s) => s.outcome !== 'unknown' && !ALLOWED.has(s.outcome)) ? 'partial' : 'unknown';
  if (segs.every((s) => s.outcome === 'allow')) return 'allowed';
  if (segs.every((s) => ALLOWED.has(s.outcome))) return 'limited';
  if (segs.every((s) => !ALLOWED.has(s.outcome))) return 'blocked';
  return 'partial';
}

export function ratio(part: bigint, whole: bigint): number {
  if (whole === 0n) return 0;
  return Number((part * 1_000_000n) / whole) / 1_000_000;
}

export function parseAll(list: readonly string[]): ParsedRange[] {
  return list.map((r) => parseRange(r)).filter((r): r is ParsedRange => r !== null);
}

export function relevant(a: Anomaly, provider: AddrSet, ports: readonly number[]): boolean {
  const r = a.rule;
  if (r.proto !== 'tcp' && r.proto !== 'any') return false;
  if (r.ports && !ports.some((p) => r.ports!.some((s) => p >= s.lo && p <= s.hi) !== r.portsNot))
    return false;
  if (!r.src) return true;
  return ([4, 6] as const).some((f) =>
    r.srcNot ? provider[f].length > 0 : intersects(r.src![f], provider[f]),
  );
}

/**
 * The whole analysis: every provider range × port through the layers, the coverage per family, and the
 * anomalies of every file. Pure: the same rules and ranges always give the same data.
 */
export function analysePolicy(input: AnalyseInput): Omit<PolicyData, 'elapsedMs'> {
  const ranges = parseAll(input.ranges);
  const dst = input.destinations.length ? setOf(parseAll(input.destinations)) : null;
  const rows: PolicyRow[] = [];
  const owners = ownersOf(input.sets);
  const total: Record<Family, bigint> = { 4: 0n, 6: 0n };
  const allowed: Record<Family, bigint> = { 4: 0n, 6: 0n };
  const undecided: Record<Family, bigint> = { 4: 0n, 6: 0n };
  for (const range of ranges) {
    for (const port of input.ports) {
      const q: Query = { family: range.family, port, proto: 'tcp', dst };
      const segs = evaluateSpan(input.sets, range.span, q);
      const size = sizeOf([range.span]);
      const ok = sizeOf(segs.filter((s) => ALLOWED.has(s.outcome)));
      // Coverage counts only what some file speaks for; what depends on a rule the reader could not evaluate
      // is counted apart, as neither allowed nor blocked.
      total[range.family] += size - sizeOf(segs.filter((s) => s.outcome === 'unknown' && !s.possible.length));
      allowed[range.family] += ok;
      undecided[range.family] += sizeOf(segs.filter((s) => s.possible.length > 0));
      rows.push({
        range: formatSpan(range.span, range.family),
        family: range.family,
        port,
        proto: 'tcp',
        outcome: rowOutcome(segs),
        allowedShare: ratio(ok, size),
        segments: segs.slice(0, MAX_SEGMENTS).map((s) => segmentOut(input.sets, owners, s, q)),
        moreSegments: Math.max(0, segs.length - MAX_SEGMENTS),
      });
    }
  }
  const { anomalies, complete } = findAnomalies(input.sets);
  const provider = setOf(ranges);
  const counts: Record<string, number> = {};
  const listed: PolicyAnomaly[] = [];
  const sorted = anomalies
    .map((a) => ({ a, relevant: relevant(a, provider, input.ports) }))
    .sort(
      (x, y) =>
        Number(y.relevant) - Number(x.relevant) ||
        ANOMALY_ORDER.indexOf(x.a.kind) - ANOMALY_ORDER.indexOf(y.a.kind) ||
        x.a.rule.index - y.a.rule.index,
    );
  for (const { a, relevant: rel } of sorted) {
    counts[a.kind] = (counts[a.kind] ?? 0) + 1;
    if (counts[a.kind]! > MAX_ANOMALIES_PER_KIND) continue;
    listed.push({
      kind: a.kind,
      rule: ref(a.set, a.rule),
      action: a.rule.action,
      other: a.other ? ref(a.set, a.other) : null,
      otherAction: a.other?.action ?? null,
      relevant: rel,
      ...(a.kind === 'overly_permissive' ? { openPorts: sensitivePortsOf(a.rule) } : {}),
    });
  }
  return {
    files: input.sets.map((s) => ({
      name: s.name,
      format: s.format,
      layer: s.layer,
      ruleCount: s.ruleCount,
      families: ([4, 6] as const).filter((f) => s.programs[f] !== undefined),
      notes: s.notes.slice(0, 50),
    })),
    provider: input.provider,
    ranges: ranges.map((r) => formatSpan(r.span, r.family)),
    ports: [...input.ports],
    coverage: {
      v4: total[4] > 0n ? ratio(allowed[4], total[4]) : null,
      v6: total[6] > 0n ? ratio(allowed[6], total[6]) : null,
    },
    undecided: {
      v4: total[4] > 0n ? ratio(undecided[4], total[4]) : null,
      v6: total[6] > 0n ? ratio(undecided[6], total[6]) : null,
    },
    rows,
    anomalies: listed,
    anomalyCounts: counts,
    anomaliesComplete: complete,
  };
}
