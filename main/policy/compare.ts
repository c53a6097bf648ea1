import type {
  PolicyChangeAnomaly,
  PolicyChangeData,
  PolicyChangeEffect,
  PolicyChangeKind,
  PolicyChangePiece,
  PolicyChangeRow,
  PolicyChangeSide,
} from '../../shared/model/policy-change';
import type { PolicyOutcome, PolicyRuleRef } from '../../shared/model/probe-data';
import { appendAll } from '../../shared/util/arrays';
import { formatSpan, setOf, sizeOf, spanToCidrs, type AddrSet, type Family, type Span } from './addr';
import { ALLOWED, decider, ownersOf, parseAll, ratio, ref, relevant, rowOutcome } from './analyse';
import { findAnomalies, type Anomaly } from './anomalies';
import { evaluateSpan, type Query, type Segment } from './evaluate';
import type { Chain, Program, Rule, RuleSet } from './model';

/**
 * Change impact: two analyses of the same ranges and ports, one per rule-set version, compared sub-range by
 * sub-range. Rules are matched across the versions by identity (layer, format, chain, normalised text, and which
 * occurrence of that text it is), never by line number, so a rule that only moved keeps its identity and a rule
 * moved above another is told apart from one added there. Pure: the same inputs always give the same data.
 */

export interface CompareInput {
  readonly before: readonly RuleSet[];
  readonly after: readonly RuleSet[];
  readonly ranges: readonly string[];
  readonly ports: readonly number[];
  readonly provider: string | null;
  /** The origin's own addresses, for rules limited to a destination; empty when unknown. */
  readonly destinations: readonly string[];
  /** Every row in the output, not only those that change. */
  readonly all: boolean;
}

const MAX_PIECES = 50;
const MAX_ANOMALIES = 100;

/**
 * A rule's text without what changes between two captures of the same rule: packet counters (`iptables -L -v`,
 * `iptables-save -c`, nft `counter packets N bytes M`), list numbers (`--line-numbers`, `ufw status numbered`),
 * nft handles, and runs of blanks.
 */
export function ruleIdentityText(format: string, text: string): string {
  // Each replacement only where it can apply: 10,000-rule files go through here twice per comparison.
  let t = text.trim();
  if (t.startsWith('[')) t = t.replace(/^\[\s*\d+\]\s*/, '').replace(/^\[\d+:\d+\]\s*/, '');
  if (format === 'iptables' && t.charCodeAt(0) >= 48 && t.charCodeAt(0) <= 57)
    t = t.replace(/^(?:\d+[KMGT]?\s+)+(?=\D)/, '');
  if (t.includes('counter packets')) t = t.replace(/\bcounter packets \d+ bytes \d+/g, 'counter');
  if (t.includes('# handle')) t = t.replace(/\s*# handle \d+\s*$/, '');
  return /\s\s|[\t\n\r]/.test(t) ? t.replace(/\s+/g, ' ') : t;
}

/** Every chain of a set once (an nftables inet table's chains serve both families). */
function chainsOf(set: RuleSet): Chain[] {
  const seen = new Set<Chain>();
  const seenPrograms = new Set<Program>();
  for (const p of [set.programs[4], set.programs[6]]) {
    if (!p || seenPrograms.has(p)) continue;
    seenPrograms.add(p);
    for (const c of Object.values(p.chains)) seen.add(c);
  }
  return [...seen];
}

interface Side {
  readonly sets: readonly RuleSet[];
  readonly owners: Map<Rule, RuleSet>;
  /** Rule → its identity; identity → the rule. */
  readonly idOf: Map<Rule, string>;
  readonly byId: Map<string, Rule>;
  /** `layer|format|chain` → the chain, for default policies. */
  readonly chains: Map<string, { chain: Chain; set: RuleSet }>;
  /** Position of each rule in its chain, to tell which of two rules comes first. */
  readonly position: Map<Rule, number>;
  /** `layer|format|chain` → the identities of its rules in order: equal on both sides, the chain did not change. */
  readonly signature: Map<string, string>;
}

const chainKey = (set: RuleSet, chain: string): string => `${set.layer}\u0000${set.format}\u0000${chain}`;

function sideOf(sets: readonly RuleSet[]): Side {
  const idOf = new Map<Rule, string>();
  const byId = new Map<string, Rule>();
  const chains = new Map<string, { chain: Chain; set: RuleSet }>();
  const position = new Map<Rule, number>();
  const signature = new Map<string, string>();
  for (const set of sets) {
    const count = new Map<string, number>();
    for (const chain of chainsOf(set)) {
      chains.set(chainKey(set, chain.name), { chain, set });
      const ids: string[] = [];
      chain.rules.forEach((r, i) => {
        const base = `${chainKey(set, r.chain)}\u0000${ruleIdentityText(set.format, r.text)}`;
        const n = count.get(base) ?? 0;
        count.set(base, n + 1);
        const id = `${base}\u0000${n}`;
        idOf.set(r, id);
        byId.set(id, r);
        position.set(r, i);
        ids.push(id);
      });
      // Two chains of one name in one set (a program per family) keep one signature each way: join them.
      const key = chainKey(set, chain.name);
      const prev = signature.get(key);
      signature.set(key, prev === undefined ? ids.join('\u0002') : `${prev}\u0003${ids.join('\u0002')}`);
    }
  }
  return { sets, owners: ownersOf(sets), idOf, byId, chains, position, signature };
}

function refOf(side: Side, r: Rule): PolicyRuleRef | null {
  const set = side.owners.get(r);
  return set ? ref(set, r) : null;
}

function refs(side: Side, rules: readonly Rule[]): PolicyRuleRef[] {
  return rules.map((r) => refOf(side, r)).filter((r): r is PolicyRuleRef => r !== null);
}

function sideOut(side: Side, s: Segment): PolicyChangeSide {
  const set = s.layer !== null ? side.sets[s.layer] : undefined;
  return {
    outcome: s.outcome,
    rule: decider(set, s.rule, s.chain),
    byDefault: !s.rule && !!s.chain,
    limits: refs(side, s.limits),
    undecided: refs(side, s.undecided),
  };
}

/** The rules a segment's answer rests on: jumps, the decider, limits, and for `unknown` every branch's. */
function restsOn(s: Segment): Rule[] {
  const out = [...s.via, ...(s.rule ? [s.rule] : []), ...s.limits, ...s.undecided];
  for (const b of s.possible) appendAll(out, [...b.via, ...(b.rule ? [b.rule] : []), ...b.limits]);
  return out;
}

function chainDefault(side: Side, s: Segment): { key: string; chain: Chain; set: RuleSet } | null {
  if (s.rule || !s.chain || s.layer === null) return null;
  const set = side.sets[s.layer];
  return set ? { key: chainKey(set, s.chain.name), chain: s.chain, set } : null;
}

const policyRef = (set: RuleSet, c: Chain): PolicyRuleRef => ({
  file: set.name,
  line: c.policyLine,
  text: c.policyText,
  chain: c.name,
});

/** Why the outcome of some addresses differs between the two segments, and the lines responsible. */
function causeOf(
  b: Side,
  a: Side,
  sb: Segment,
  sa: Segment,
): { kind: PolicyChangeKind; before: PolicyRuleRef | null; after: PolicyRuleRef | null } {
  const beforeBy = sb.layer !== null ? decider(b.sets[sb.layer], sb.rule, sb.chain) : null;
  const afterBy = sa.layer !== null ? decider(a.sets[sa.layer], sa.rule, sa.chain) : null;
  const added = restsOn(sa).find((r) => !b.byId.has(a.idOf.get(r) ?? ''));
  if (added) return { kind: 'added', before: beforeBy, after: refOf(a, added) };
  const removed = restsOn(sb).find((r) => !a.byId.has(b.idOf.get(r) ?? ''));
  if (removed) return { kind: 'removed', before: refOf(b, removed), after: afterBy };
  for (const [side, other, seg] of [
    [b, a, sb],
    [a, b, sa],
  ] as const) {
    const d = chainDefault(side, seg);
    if (!d) continue;
    const there = other.chains.get(d.key);
    if (there && there.chain.policy !== d.chain.policy) {
      const [pb, pa] = side === b ? [d, there] : [there, d];
      return {
        kind: 'default_policy',
        before: policyRef(pb.set, pb.chain),
        after: policyRef(pa.set, pa.chain),
      };
    }
  }
  if (sa.rule && sb.rule) {
    // Both deciders exist on both sides: if the one deciding now used to come after the one deciding before,
    // and comes first now, the rules were reordered.
    const was = b.byId.get(a.idOf.get(sa.rule) ?? '');
    const nowOld = a.byId.get(b.idOf.get(sb.rule) ?? '');
    if (was && nowOld && was.chain === sb.rule.chain && sa.rule.chain === nowOld.chain) {
      const before = b.position.get(was)! > b.position.get(sb.rule)!;
      const after = a.position.get(sa.rule)! < a.position.get(nowOld)!;
      if (before && after) return { kind: 'reordered', before: refOf(b, was), after: refOf(a, sa.rule) };
    }
  }
  return { kind: 'indirect', before: beforeBy, after: afterBy };
}

const RANK: Record<Exclude<PolicyOutcome, 'unknown'>, number> = {
  allow: 2,
  limited: 1,
  drop: 0,
  reject: 0,
  http_deny: 0,
};

function effectOf(before: PolicyOutcome, after: PolicyOutcome): PolicyChangeEffect {
  if (before !== 'unknown' && after !== 'unknown') {
    const d = RANK[after] - RANK[before];
    return d < 0 ? 'taken' : d > 0 ? 'given' : 'neutral';
  }
  // One side cannot be called: something may be taken away unless the after side surely allows all, or the
  // before side surely let nothing through.
  if (after === 'allow') return 'maybe_given';
  if (before !== 'unknown' && !ALLOWED.has(before)) return 'maybe_given';
  return 'unknown';
}

const EFFECT_ORDER: readonly PolicyChangeEffect[] = ['taken', 'unknown', 'neutral', 'given', 'maybe_given'];

function worst(effects: readonly PolicyChangeEffect[]): PolicyChangeEffect | null {
  for (const e of EFFECT_ORDER) if (effects.includes(e)) return e;
  return null;
}

function sameRef(x: PolicyRuleRef | null, y: PolicyRuleRef | null): boolean {
  return x === y || (!!x && !!y && x.file === y.file && x.line === y.line && x.chain === y.chain);
}

interface RawPiece {
  lo: bigint;
  hi: bigint;
  sb: Segment;
  sa: Segment;
  cause: ReturnType<typeof causeOf>;
}

/** The sub-ranges where the two versions' segments give different outcomes, adjacent equal ones merged. */
function changedPieces(b: Side, a: Side, before: readonly Segment[], after: readonly Segment[]): RawPiece[] {
  const out: RawPiece[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length && j < after.length) {
    const sb = before[i]!;
    const sa = after[j]!;
    const lo = sb.lo > sa.lo ? sb.lo : sa.lo;
    const hi = sb.hi < sa.hi ? sb.hi : sa.hi;
    if (lo <= hi && sb.outcome !== sa.outcome) {
      const prev = out[out.length - 1];
      const cause = causeOf(b, a, sb, sa);
      if (
        prev &&
        prev.hi + 1n === lo &&
        prev.sb.outcome === sb.outcome &&
        prev.sa.outcome === sa.outcome &&
        prev.cause.kind === cause.kind &&
        sameRef(prev.cause.before, cause.before) &&
        sameRef(prev.cause.after, cause.after)
      )
        prev.hi = hi;
      else out.push({ lo, hi, sb, sa, cause });
    }
    if (sb.hi <= sa.hi) i++;
    if (sa.hi <= sb.hi) j++;
  }
  return out;
}

interface Tally {
  total: Record<Family, bigint>;
  allowed: Record<Family, bigint>;
  undecided: Record<Family, bigint>;
}

const tally = (): Tally => ({
  total: { 4: 0n, 6: 0n },
  allowed: { 4: 0n, 6: 0n },
  undecided: { 4: 0n, 6: 0n },
});

/** Counts one range × port into the coverage the way `analysePolicy` does. */
function count(t: Tally, family: Family, span: Span, segs: readonly Segment[]): bigint {
  const ok = sizeOf(segs.filter((s) => ALLOWED.has(s.outcome)));
  t.total[family] +=
    sizeOf([span]) - sizeOf(segs.filter((s) => s.outcome === 'unknown' && !s.possible.length));
  t.allowed[family] += ok;
  t.undecided[family] += sizeOf(segs.filter((s) => s.possible.length > 0));
  return ok;
}

function shares(t: Tally): {
  coverage: { v4: number | null; v6: number | null };
  undecided: { v4: number | null; v6: number | null };
} {
  const of = (part: Record<Family, bigint>, f: Family): number | null =>
    t.total[f] > 0n ? ratio(part[f], t.total[f]) : null;
  return {
    coverage: { v4: of(t.allowed, 4), v6: of(t.allowed, 6) },
    undecided: { v4: of(t.undecided, 4), v6: of(t.undecided, 6) },
  };
}

function filesOf(sets: readonly RuleSet[]): PolicyChangeData['before']['files'] {
  return sets.map((s) => ({
    name: s.name,
    format: s.format,
    layer: s.layer,
    ruleCount: s.ruleCount,
    families: ([4, 6] as const).filter((f) => s.programs[f] !== undefined),
    notes: s.notes.slice(0, 50),
  }));
}

/**
 * The rule sets with only the chains that differ from the other version: anomalies stay inside a chain, so a chain
 * whose rules are the same on both sides has the same anomalies on both, and comparing it again is wasted work
 * (a 10,000-rule set with one rule changed is mostly such chains).
 */
function changedChains(side: Side, other: Side): RuleSet[] {
  return side.sets.map((set) => {
    const keep = (p: Program | undefined): Program | undefined =>
      p && {
        entry: p.entry,
        chains: Object.fromEntries(
          Object.entries(p.chains).filter(([name]) => {
            const key = chainKey(set, name);
            return side.signature.get(key) !== other.signature.get(key);
          }),
        ),
      };
    const v4 = keep(set.programs[4]);
    // An nftables inet table's program serves both families: keep it one object, compared once.
    const v6 = set.programs[6] === set.programs[4] ? v4 : keep(set.programs[6]);
    return { ...set, programs: { ...(v4 ? { 4: v4 } : {}), ...(v6 ? { 6: v6 } : {}) } };
  });
}

/** Anomalies of one version keyed by the identities of the rules in them, so line moves do not count. */
function anomaliesOf(side: Side, other: Side): { byKey: Map<string, Anomaly>; complete: boolean } {
  const { anomalies, complete } = findAnomalies(changedChains(side, other));
  const byKey = new Map<string, Anomaly>();
  for (const x of anomalies)
    byKey.set(
      `${x.kind}\u0001${side.idOf.get(x.rule) ?? ''}\u0001${x.other ? (side.idOf.get(x.other) ?? '') : ''}`,
      x,
    );
  return { byKey, complete };
}

function anomalyOut(x: Anomaly, provider: AddrSet, ports: readonly number[]): PolicyChangeAnomaly {
  return {
    kind: x.kind,
    rule: ref(x.set, x.rule),
    action: x.rule.action,
    other: x.other ? ref(x.set, x.other) : null,
    otherAction: x.other?.action ?? null,
    relevant: relevant(x, provider, ports),
  };
}

/** Those of `from` whose key `other` lacks, the ones touching the provider first. */
function onlyIn(
  from: Map<string, Anomaly>,
  other: Map<string, Anomaly>,
  provider: AddrSet,
  ports: readonly number[],
): PolicyChangeAnomaly[] {
  const out: PolicyChangeAnomaly[] = [];
  for (const [k, x] of from) if (!other.has(k)) out.push(anomalyOut(x, provider, ports));
  return out.sort((x, y) => Number(y.relevant) - Number(x.relevant));
}

/**
 * Compares two versions of the rules for every provider range × port: the outcome of each before and after, the
 * sub-ranges whose outcome changes with the lines responsible, coverage per family on each side, and the anomalies
 * the change introduces or removes. `elapsedMs` is left to the caller (it owns the clock).
 */
export function comparePolicies(input: CompareInput): Omit<PolicyChangeData, 'elapsedMs' | 'drift'> {
  const ranges = parseAll(input.ranges);
  const dst = input.destinations.length ? setOf(parseAll(input.destinations)) : null;
  const b = sideOf(input.before);
  const a = sideOf(input.after);
  const tb = tally();
  const ta = tally();
  const rows: PolicyChangeRow[] = [];
  let changedRows = 0;
  let rowCount = 0;
  for (const range of ranges) {
    for (const port of input.ports) {
      const q: Query = { family: range.family, port, proto: 'tcp', dst };
      const segB = evaluateSpan(b.sets, range.span, q);
      const segA = evaluateSpan(a.sets, range.span, q);
      const size = sizeOf([range.span]);
      const okB = count(tb, range.family, range.span, segB);
      const okA = count(ta, range.family, range.span, segA);
      rowCount++;
      const pieces = changedPieces(b, a, segB, segA);
      const effect = worst(pieces.map((p) => effectOf(p.sb.outcome, p.sa.outcome)));
      if (pieces.length) changedRows++;
      if (!pieces.length && !input.all) continue;
      rows.push({
        range: formatSpan(range.span, range.family),
        family: range.family,
        port,
        before: rowOutcome(segB),
        after: rowOutcome(segA),
        beforeShare: ratio(okB, size),
        afterShare: ratio(okA, size),
        effect,
        changes: pieces.slice(0, MAX_PIECES).map((p): PolicyChangePiece => {
          const cidrs = spanToCidrs(p, range.family);
          return {
            range: formatSpan(p, range.family),
            cidrs: cidrs.slice(0, 16),
            cidrCount: cidrs.length,
            addresses: sizeOf([p]).toString(),
            before: sideOut(b, p.sb),
            after: sideOut(a, p.sa),
            kind: p.cause.kind,
            effect: effectOf(p.sb.outcome, p.sa.outcome),
            cause: { before: p.cause.before, after: p.cause.after },
          };
        }),
        moreChanges: Math.max(0, pieces.length - MAX_PIECES),
      });
    }
  }
  const provider = setOf(ranges);
  const ab = anomaliesOf(b, a);
  const aa = anomaliesOf(a, b);
  const introduced = onlyIn(aa.byKey, ab.byKey, provider, input.ports);
  const removed = onlyIn(ab.byKey, aa.byKey, provider, input.ports);
  // A row's effect is the worst of all its pieces, listed or not.
  const effects = rows.map((r) => r.effect);
  return {
    provider: input.provider,
    ranges: ranges.map((r) => formatSpan(r.span, r.family)),
    ports: [...input.ports],
    before: { files: filesOf(input.before), ...shares(tb) },
    after: { files: filesOf(input.after), ...shares(ta) },
    verdict: effects.includes('taken') ? 'cuts' : effects.includes('unknown') ? 'undecided' : 'safe',
    rows,
    rowCount,
    changedRows,
    anomalies: {
      introduced: introduced.slice(0, MAX_ANOMALIES),
      removed: removed.slice(0, MAX_ANOMALIES),
      introducedCount: introduced.length,
      removedCount: removed.length,
      complete: ab.complete && aa.complete,
    },
  };
}
