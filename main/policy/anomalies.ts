import { covers, intersects, type AddrSet, type Family, type Span } from './addr';
import type { PortSpan, Rule, RuleSet } from './model';

/**
 * Rule anomalies inside one chain, in the classes of Al-Shaer & Hamed: a later rule that can never fire
 * (shadowed: an earlier rule matches all it matches, with another action; redundant: the same action), rules that
 * overlap with opposite actions (correlated), and an earlier specific rule under a later general one with another
 * action (generalization; often intended). Only unconditional deciding rules are compared, and only with rules
 * that carry the same extra conditions. Overlap candidates come from a sweep over source spans, so 10,000
 * single-address bans cost a sort, not 50 million comparisons.
 */

export type AnomalyKind = 'shadowed' | 'redundant' | 'correlated' | 'generalization' | 'overly_permissive';

export interface Anomaly {
  readonly kind: AnomalyKind;
  readonly set: RuleSet;
  readonly rule: Rule;
  /** The earlier rule it clashes with (for overly_permissive: none). */
  readonly other: Rule | null;
}

type Relation = 'disjoint' | 'equal' | 'subset' | 'superset' | 'overlap';

function combine(rs: Relation[]): Relation {
  if (rs.includes('disjoint')) return 'disjoint';
  if (rs.every((r) => r === 'equal')) return 'equal';
  if (rs.every((r) => r === 'equal' || r === 'subset')) return 'subset';
  if (rs.every((r) => r === 'equal' || r === 'superset')) return 'superset';
  return 'overlap';
}

function spanRel(a: readonly Span[], b: readonly Span[]): Relation {
  const ab = covers(b, a);
  const ba = covers(a, b);
  if (ab && ba) return 'equal';
  if (ab) return 'subset';
  if (ba) return 'superset';
  return intersects(a, b) ? 'overlap' : 'disjoint';
}

const ALL4: Span[] = [{ lo: 0n, hi: (1n << 32n) - 1n }];
const ALL6: Span[] = [{ lo: 0n, hi: (1n << 128n) - 1n }];

function srcOf(r: Rule, f: Family): readonly Span[] {
  if (r.family && r.family !== f) return [];
  if (!r.src) return f === 4 ? ALL4 : ALL6;
  return r.src[f];
}

function addrRel(a: Rule, b: Rule): Relation {
  const rels: Relation[] = [];
  let any = false;
  for (const f of [4, 6] as const) {
    const x = srcOf(a, f);
    const y = srcOf(b, f);
    if (x.length === 0 && y.length === 0) continue;
    any = true;
    // Nothing of this family on one side: that side is the smaller one here.
    if (x.length === 0) rels.push('subset');
    else if (y.length === 0) rels.push('superset');
    else rels.push(spanRel(x, y));
  }
  if (!any) return 'disjoint';
  // Per family relations combine like dimensions, except that emptiness in one family only says "not bigger".
  const nonDisjoint = rels.filter((r) => r !== 'disjoint');
  if (nonDisjoint.length === 0) return 'disjoint';
  return combine(rels.map((r) => (r === 'disjoint' ? 'overlap' : r)));
}

function portRel(a: readonly PortSpan[] | null, b: readonly PortSpan[] | null): Relation {
  const toSpans = (p: readonly PortSpan[] | null): Span[] =>
    (p ?? [{ lo: 0, hi: 65535 }])
      .map((s) => ({ lo: BigInt(s.lo), hi: BigInt(s.hi) }))
      .sort((x, y) => (x.lo < y.lo ? -1 : 1))
      .reduce<Span[]>((acc, s) => {
        const last = acc[acc.length - 1];
        if (last && s.lo <= last.hi + 1n)
          acc[acc.length - 1] = { lo: last.lo, hi: s.hi > last.hi ? s.hi : last.hi };
        else acc.push(s);
        return acc;
      }, []);
  return spanRel(toSpans(a), toSpans(b));
}

function protoRel(a: string, b: string): Relation {
  if (a === b) return 'equal';
  if (a === 'any') return 'superset';
  if (b === 'any') return 'subset';
  return 'disjoint';
}

function dstKey(s: AddrSet | null, not: boolean): string {
  if (!s) return '*';
  return `${not ? '!' : ''}${s[4].map((x) => `${x.lo}-${x.hi}`).join(',')}|${s[6].map((x) => `${x.lo}-${x.hi}`).join(',')}`;
}

/** Rules only compare when their extra conditions are the same. */
function conditionKey(r: Rule): string {
  return `${dstKey(r.dst, r.dstNot)}#${r.portsNot}#${r.family ?? ''}`;
}

/** How rule `b` relates to rule `a`: is b's match inside a's, equal, containing, overlapping or apart? */
export function relation(b: Rule, a: Rule): Relation {
  if (b.srcNot || a.srcNot) {
    // Negated sources: only identical negations compare.
    if (!(b.srcNot && a.srcNot)) return 'disjoint';
  }
  const p = protoRel(b.proto, a.proto);
  if (p === 'disjoint') return 'disjoint';
  const ports =
    b.portsNot || a.portsNot
      ? b.portsNot && a.portsNot
        ? portRel(b.ports, a.ports)
        : 'overlap'
      : portRel(b.ports, a.ports);
  if (ports === 'disjoint') return 'disjoint';
  const addr = addrRel(b, a);
  if (addr === 'disjoint') return 'disjoint';
  const flip = (r: Relation): Relation => (r === 'subset' ? 'superset' : r === 'superset' ? 'subset' : r);
  return combine([p, ports, b.srcNot ? flip(addr) : addr]);
}

const DECIDING = new Set(['accept', 'drop', 'reject']);

function candidate(r: Rule): boolean {
  return DECIDING.has(r.action) && !r.rate && !r.never && !r.assumed;
}

/** Ports that must never be open to the whole Internet. */
export const SENSITIVE_PORTS = [
  21, 22, 23, 445, 1433, 2375, 3306, 3389, 5432, 5900, 6379, 9200, 11211, 27017,
];

function wholeFamily(r: Rule): boolean {
  if (r.srcNot) return false;
  if (!r.src) return true;
  return (
    (r.src[4].length === 1 && r.src[4][0]!.lo === 0n && r.src[4][0]!.hi === ALL4[0]!.hi) ||
    (r.src[6].length === 1 && r.src[6][0]!.lo === 0n && r.src[6][0]!.hi === ALL6[0]!.hi)
  );
}

function touchesSensitive(r: Rule): boolean {
  if (r.proto !== 'tcp' && r.proto !== 'any') return false;
  if (!r.ports) return true;
  return SENSITIVE_PORTS.some((p) => r.ports!.some((s) => p >= s.lo && p <= s.hi) !== r.portsNot);
}

interface Entry {
  readonly rule: Rule;
  readonly lo: bigint;
  readonly hi: bigint;
}

/** Beyond this many overlapping pairs in one chain the comparison stops, and the report says so. */
export const MAX_PAIRS = 300_000;

/** Pairs (earlier, later) of candidate rules whose source envelopes overlap, per family. */
function overlappingPairs(rules: readonly Rule[], budget: { left: number }): [Rule, Rule][] {
  const pairs = new Map<string, [Rule, Rule]>();
  for (const f of [4, 6] as const) {
    const entries: Entry[] = [];
    for (const r of rules) {
      const s = r.srcNot ? (f === 4 ? ALL4 : ALL6) : srcOf(r, f);
      if (s.length === 0) continue;
      entries.push({ rule: r, lo: s[0]!.lo, hi: s[s.length - 1]!.hi });
    }
    entries.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
    // Sweep: active entries whose envelope still reaches the current start.
    let active: Entry[] = [];
    for (const e of entries) {
      active = active.filter((x) => x.hi >= e.lo);
      if (budget.left - active.length < 0) {
        budget.left = 0;
        break;
      }
      budget.left -= active.length;
      for (const x of active) {
        const [first, second] = x.rule.index < e.rule.index ? [x.rule, e.rule] : [e.rule, x.rule];
        pairs.set(`${first.index}:${second.index}`, [first, second]);
      }
      active.push(e);
    }
  }
  return [...pairs.values()].sort((a, b) => a[1].index - b[1].index || a[0].index - b[0].index);
}

/** Every anomaly in the rule sets, each chain on its own; `complete` is false when a chain hit MAX_PAIRS. */
export function findAnomalies(sets: readonly RuleSet[]): { anomalies: Anomaly[]; complete: boolean } {
  const out: Anomaly[] = [];
  let complete = true;
  for (const set of sets) {
    const seenPrograms = new Set<unknown>();
    for (const program of [set.programs[4], set.programs[6]]) {
      if (!program || seenPrograms.has(program)) continue;
      seenPrograms.add(program);
      for (const chain of Object.values(program.chains)) {
        const byCondition = new Map<string, Rule[]>();
        for (const r of chain.rules) {
          if (r.action === 'accept' && !r.never && !r.http && wholeFamily(r) && touchesSensitive(r))
            out.push({ kind: 'overly_permissive', set, rule: r, other: null });
          if (!candidate(r)) continue;
          const k = conditionKey(r);
          (byCondition.get(k) ?? byCondition.set(k, []).get(k)!).push(r);
        }
        for (const group of byCondition.values()) {
          const flagged = new Set<Rule>();
          const budget = { left: MAX_PAIRS };
          const pairs = overlappingPairs(group, budget);
          if (budget.left <= 0) complete = false;
          for (const [earlier, later] of pairs) {
            if (flagged.has(later)) continue;
            const rel = relation(later, earlier);
            if (rel === 'disjoint') continue;
            const same = earlier.action === later.action;
            if (rel === 'subset' || rel === 'equal') {
              out.push({ kind: same ? 'redundant' : 'shadowed', set, rule: later, other: earlier });
              flagged.add(later);
            } else if (!same && rel === 'superset')
              out.push({ kind: 'generalization', set, rule: later, other: earlier });
            else if (!same && rel === 'overlap')
              out.push({ kind: 'correlated', set, rule: later, other: earlier });
          }
        }
      }
    }
  }
  return { anomalies: out, complete };
}
