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

const portSpans = new WeakMap<readonly PortSpan[], Span[]>();
const ALL_PORTS: Span[] = [{ lo: 0n, hi: 65535n }];

/** A rule's ports as merged spans, computed once per rule. */
function spansOfPorts(p: readonly PortSpan[] | null): Span[] {
  if (!p) return ALL_PORTS;
  let spans = portSpans.get(p);
  if (!spans) {
    spans = [...p]
      .sort((x, y) => x.lo - y.lo)
      .reduce<Span[]>((acc, s) => {
        const last = acc[acc.length - 1];
        const lo = BigInt(s.lo);
        const hi = BigInt(s.hi);
        if (last && lo <= last.hi + 1n)
          acc[acc.length - 1] = { lo: last.lo, hi: hi > last.hi ? hi : last.hi };
        else acc.push({ lo, hi });
        return acc;
      }, []);
    portSpans.set(p, spans);
  }
  return spans;
}

function portRel(a: readonly PortSpan[] | null, b: readonly PortSpan[] | null): Relation {
  if (a === b) return 'equal';
  return spanRel(spansOfPorts(a), spansOfPorts(b));
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
  return `${dstKey(r.dst, r.dstNot)}#${r.portsNot}#${r.family ?? ''}#${r.match ?? ''}`;
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

/** The management and database ports a rule opens. */
export function sensitivePortsOf(r: Rule): number[] {
  if (r.proto !== 'tcp' && r.proto !== 'any') return [];
  if (!r.ports) return [...SENSITIVE_PORTS];
  return SENSITIVE_PORTS.filter((p) => r.ports!.some((s) => p >= s.lo && p <= s.hi) !== r.portsNot);
}

function touchesSensitive(r: Rule): boolean {
  return sensitivePortsOf(r).length > 0;
}

/** `allow all` / `deny all`: every source of every family. */
function catchAll(r: Rule): boolean {
  return r.src === null && !r.srcNot && !r.family;
}

interface Entry {
  readonly rule: Rule;
  readonly lo: bigint;
  readonly hi: bigint;
}

/** Beyond this many candidate pairs in one chain the comparison stops, and the report says so. */
export const MAX_PAIRS = 3_000_000;

/** Cheap tests on plain numbers before the exact relation: different protocols or ports never clash. */
function mayClash(a: Rule, b: Rule): boolean {
  if (a.proto !== b.proto && a.proto !== 'any' && b.proto !== 'any') return false;
  if (!a.ports || !b.ports || a.portsNot || b.portsNot) return true;
  for (const x of a.ports) for (const y of b.ports) if (x.lo <= y.hi && y.lo <= x.hi) return true;
  return false;
}

/**
 * Visits (earlier, later) pairs of rules whose source envelopes overlap and that may clash, per family, with a
 * sweep over the envelopes' starts. Returns false when the budget ran out.
 */
function visitPairs(rules: readonly Rule[], visit: (earlier: Rule, later: Rule) => void): boolean {
  let budget = MAX_PAIRS;
  for (const f of [4, 6] as const) {
    const entries: Entry[] = [];
    for (const r of rules) {
      const s = r.srcNot ? (f === 4 ? ALL4 : ALL6) : srcOf(r, f);
      if (s.length === 0) continue;
      entries.push({ rule: r, lo: s[0]!.lo, hi: s[s.length - 1]!.hi });
    }
    entries.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
    let active: Entry[] = [];
    for (const e of entries) {
      active = active.filter((x) => x.hi >= e.lo);
      budget -= active.length;
      if (budget < 0) return false;
      for (const x of active) {
        // A pair present in both families was already seen in the IPv4 sweep.
        if (f === 6 && srcOf(x.rule, 4).length > 0 && srcOf(e.rule, 4).length > 0) continue;
        if (!mayClash(x.rule, e.rule)) continue;
        if (x.rule.index < e.rule.index) visit(x.rule, e.rule);
        else visit(e.rule, x.rule);
      }
      active.push(e);
    }
  }
  return true;
}

/** Every anomaly in the rule sets, each chain on its own; `complete` is false when a chain hit MAX_PAIRS. */
export function findAnomalies(sets: readonly RuleSet[]): { anomalies: Anomaly[]; complete: boolean } {
  const out: Anomaly[] = [];
  let complete = true;
  for (const set of sets) {
    const seenPrograms = new Set<unknown>();
    // A chain both families share (an nftables inet table's) is compared once.
    const seenChains = new Set<unknown>();
    for (const program of [set.programs[4], set.programs[6]]) {
      if (!program || seenPrograms.has(program)) continue;
      seenPrograms.add(program);
      for (const chain of Object.values(program.chains)) {
        if (seenChains.has(chain)) continue;
        seenChains.add(chain);
        const byCondition = new Map<string, Rule[]>();
        for (const r of chain.rules) {
          if (
            r.action === 'accept' &&
            !r.never &&
            !r.http &&
            !r.standIn &&
            wholeFamily(r) &&
            touchesSensitive(r)
          )
            out.push({ kind: 'overly_permissive', set, rule: r, other: null });
          if (!candidate(r)) continue;
          const k = conditionKey(r);
          (byCondition.get(k) ?? byCondition.set(k, []).get(k)!).push(r);
        }
        for (const group of byCondition.values()) {
          // For each rule, the first earlier rule that covers all it matches (that one decides it), and the
          // pairs that only overlap.
          const cover = new Map<Rule, Rule>();
          const partial: { kind: AnomalyKind; earlier: Rule; later: Rule }[] = [];
          const done = visitPairs(group, (earlier, later) => {
            // Rules with the same action only matter when the earlier one covers the later one; a later rule's
            // ports outside the earlier one's rule that out before the costlier address comparison (relation
            // combines its parts, so a part that is neither subset nor equal makes the whole neither).
            if (earlier.action === later.action && !earlier.portsNot && !later.portsNot) {
              const ports = portRel(later.ports, earlier.ports);
              if (ports !== 'subset' && ports !== 'equal') return;
            }
            const rel = relation(later, earlier);
            if (rel === 'disjoint') return;
            const same = earlier.action === later.action;
            if (rel === 'subset' || rel === 'equal') {
              const prev = cover.get(later);
              if (!prev || earlier.index < prev.index) cover.set(later, earlier);
            } else if (!same)
              partial.push({ kind: rel === 'superset' ? 'generalization' : 'correlated', earlier, later });
          });
          if (!done) complete = false;
          for (const [later, earlier] of cover)
            out.push({
              kind: earlier.action === later.action ? 'redundant' : 'shadowed',
              set,
              rule: later,
              other: earlier,
            });
          for (const p of partial) {
            if (cover.has(p.later)) continue;
            // nginx's "allow these; deny all" is how an access list is written, not one anomaly per allow line.
            if (p.kind === 'generalization' && set.layer === 'web' && catchAll(p.later)) continue;
            out.push({ kind: p.kind, set, rule: p.later, other: p.earlier });
          }
        }
      }
    }
  }
  return { anomalies: out, complete };
}
