import type { AddrSet, Family, Span } from './addr';
import type { Chain, PortSpan, Program, Rule, RuleSet, Verdict } from './model';

/**
 * The simulation: a provider range, a port and a protocol walk the rule sets in layer order; every rule splits
 * the part of the range it matches off the rest, so each sub-range ends with exactly the rule that decided it.
 * Work grows with rules × pieces, never with the number of addresses.
 */

export interface Query {
  readonly family: Family;
  readonly port: number;
  readonly proto: 'tcp' | 'udp';
  /** The origin's own addresses, to evaluate destination matches; null when unknown (assumed to match). */
  readonly dst: AddrSet | null;
}

interface Part {
  readonly lo: bigint;
  readonly hi: bigint;
  /** Rate or connection limits this traffic passed through on its way. */
  readonly limits: readonly Rule[];
  /** The last explicit rule that accepted it (a later default accept does not hide it). */
  readonly acceptedBy?: { readonly rule: Rule; readonly chain: Chain; readonly layer: number };
}

export type Outcome = 'allow' | 'limited' | 'drop' | 'reject' | 'http_deny' | 'unknown';

/** One decided sub-range: what happened to it, in which layer, because of which rule. */
export interface Segment {
  readonly lo: bigint;
  readonly hi: bigint;
  readonly outcome: Outcome;
  /** Index of the rule set that denied it (or the last that allowed it); null when no set spoke for it. */
  readonly layer: number | null;
  /** The deciding rule; null when a chain's default policy decided. */
  readonly rule: Rule | null;
  /** The chain whose default decided, when no rule did. */
  readonly chain: Chain | null;
  readonly limits: readonly Rule[];
}

interface Decided {
  readonly part: Part;
  readonly verdict: Verdict;
  readonly rule: Rule | null;
  readonly chain: Chain;
}

const MAX_DEPTH = 32;

function portsMatch(ports: readonly PortSpan[] | null, not: boolean, port: number): boolean {
  if (!ports) return true;
  const inside = ports.some((p) => port >= p.lo && port <= p.hi);
  return not ? !inside : inside;
}

function inSet(spans: readonly Span[], n: bigint): boolean {
  return spans.some((s) => n >= s.lo && n <= s.hi);
}

/** Whether a rule can match this query at all, before looking at the source address. */
export function ruleApplies(rule: Rule, q: Query): boolean {
  if (rule.never) return false;
  if (rule.family && rule.family !== q.family) return false;
  if (rule.proto !== 'any' && rule.proto !== q.proto) return false;
  if (!portsMatch(rule.ports, rule.portsNot, q.port)) return false;
  if (rule.dst && q.dst) {
    const mine = q.dst[q.family];
    if (mine.length > 0) {
      const hit = mine.some((s) => inSet(rule.dst![q.family], s.lo));
      if (hit === rule.dstNot) return false;
    } else if (!rule.dstNot && rule.dst[q.family].length === 0) return false;
  } else if (rule.dst && !rule.dstNot && rule.dst[q.family].length === 0) {
    // A destination of the other family only: never this query.
    return false;
  }
  return true;
}

/** Splits parts into what the spans match and what they do not (swapped when negated). */
function split(parts: readonly Part[], spans: readonly Span[], negate: boolean): [Part[], Part[]] {
  const hit: Part[] = [];
  const miss: Part[] = [];
  for (const p of parts) {
    let cursor = p.lo;
    for (const s of spans) {
      if (s.hi < cursor) continue;
      if (s.lo > p.hi) break;
      if (s.lo > cursor) miss.push({ ...p, lo: cursor, hi: s.lo - 1n });
      const hi = s.hi < p.hi ? s.hi : p.hi;
      hit.push({ ...p, lo: s.lo > cursor ? s.lo : cursor, hi });
      cursor = hi + 1n;
      if (cursor > p.hi) break;
    }
    if (cursor <= p.hi) miss.push({ ...p, lo: cursor, hi: p.hi });
  }
  return negate ? [miss, hit] : [hit, miss];
}

function byLo(a: Part, b: Part): number {
  return a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0;
}

/** Rules of a chain that can apply to a query, cached per chain and query shape. */
type RuleFilter = (chain: Chain) => readonly Rule[];

/** True when sorted spans touch [lo, hi] (binary search: ipsets hold thousands of spans). */
function touches(spans: readonly Span[], lo: bigint, hi: bigint): boolean {
  let a = 0;
  let b = spans.length - 1;
  while (a <= b) {
    const m = (a + b) >> 1;
    const s = spans[m]!;
    if (s.hi < lo) a = m + 1;
    else if (s.lo > hi) b = m - 1;
    else return true;
  }
  return false;
}

/**
 * The rules of a chain that can matter for this query and this range: the others are dropped once, so a chain of
 * 8,000 single-address bans costs a scan per range, not a split per ban and piece.
 */
function makeFilter(q: Query, span: Span): RuleFilter {
  const cache = new Map<Chain, readonly Rule[]>();
  return (chain) => {
    let rules = cache.get(chain);
    if (!rules) {
      rules = chain.rules.filter(
        (r) => ruleApplies(r, q) && (!r.src || r.srcNot || touches(r.src[q.family], span.lo, span.hi)),
      );
      cache.set(chain, rules);
    }
    return rules;
  };
}

/**
 * Walks one chain. Decided parts go to `out`; what falls off the end of a user chain (or RETURNs) comes back to
 * the caller. A built-in chain's default decides the rest.
 */
function walk(
  program: Program,
  chainName: string,
  start: Part[],
  q: Query,
  rulesOf: RuleFilter,
  depth: number,
  out: Decided[],
): Part[] {
  const chain = program.chains[chainName];
  if (!chain || depth > MAX_DEPTH) return start;
  let parts = start;
  const returned: Part[] = [];
  for (const rule of rulesOf(chain)) {
    if (parts.length === 0) break;
    const [hit, miss] = rule.src ? split(parts, rule.src[q.family], rule.srcNot) : [parts, []];
    if (hit.length === 0) continue;
    if (rule.rate) {
      // Some of this traffic passes, some does not, depending on volume: note the limit and keep walking.
      parts = [...miss, ...hit.map((p) => ({ ...p, limits: [...p.limits, rule] }))].sort(byLo);
      continue;
    }
    switch (rule.action) {
      case 'accept':
      case 'drop':
      case 'reject':
        for (const part of hit) out.push({ part, verdict: rule.action, rule, chain });
        parts = miss;
        break;
      case 'jump': {
        const back = walk(program, rule.target ?? '', hit, q, rulesOf, depth + 1, out);
        parts = [...miss, ...back].sort(byLo);
        break;
      }
      case 'goto':
        returned.push(...walk(program, rule.target ?? '', hit, q, rulesOf, depth + 1, out));
        parts = miss;
        break;
      case 'return':
        returned.push(...hit);
        parts = miss;
        break;
      case 'continue':
        break;
    }
  }
  if (chain.policy) {
    // A built-in (base) chain: what falls off its end, RETURNs from it, or ends a chain it went to with goto
    // meets its default.
    for (const part of [...returned, ...parts]) out.push({ part, verdict: chain.policy, rule: null, chain });
    return [];
  }
  return [...returned, ...parts];
}

/** Runs one program's base chains in order: a part must be accepted by each to pass. */
function runProgram(
  program: Program,
  parts: Part[],
  q: Query,
  rulesOf: RuleFilter,
  layer: number,
): Decided[] {
  let pending = parts;
  const decided: Decided[] = [];
  for (const [i, entry] of program.entry.entries()) {
    const out: Decided[] = [];
    const rest = walk(program, entry, pending, q, rulesOf, 0, out);
    // A base chain without a default (nftables' default is accept) lets the rest through.
    const chain = program.chains[entry];
    if (chain) for (const part of rest) out.push({ part, verdict: 'accept', rule: null, chain });
    const last = i === program.entry.length - 1;
    const accepted: Part[] = [];
    for (const d of out) {
      if (d.verdict !== 'accept') {
        decided.push(d);
        continue;
      }
      const part = d.rule ? { ...d.part, acceptedBy: { rule: d.rule, chain: d.chain, layer } } : d.part;
      accepted.push(part);
      if (last) decided.push({ ...d, part });
    }
    pending = accepted;
    if (pending.length === 0) break;
  }
  return decided;
}

/**
 * Evaluates one address span of one family through the layers in order (cloud group → host firewall → web server)
 * and returns the decided segments, sorted, adjacent equal ones merged.
 */
export function evaluateSpan(sets: readonly RuleSet[], span: Span, q: Query): Segment[] {
  let pending: Part[] = [{ lo: span.lo, hi: span.hi, limits: [] }];
  const final: Segment[] = [];
  let lastAllow: { layer: number; decided: Map<string, Decided> } | null = null;
  let spoke = false;
  for (const [layer, set] of sets.entries()) {
    const program = set.programs[q.family];
    if (!program || pending.length === 0) continue;
    spoke = true;
    const decided = runProgram(program, pending, q, makeFilter(q, span), layer);
    const next: Part[] = [];
    const allowInfo = new Map<string, Decided>();
    for (const d of decided) {
      if (d.verdict === 'accept') {
        next.push(d.part);
        allowInfo.set(`${d.part.lo}`, d);
      } else {
        final.push({
          lo: d.part.lo,
          hi: d.part.hi,
          outcome: d.rule?.http ? 'http_deny' : d.verdict,
          layer,
          rule: d.rule,
          chain: d.rule ? null : d.chain,
          limits: d.part.limits,
        });
      }
    }
    pending = next.sort(byLo);
    lastAllow = { layer, decided: allowInfo };
  }
  for (const p of pending) {
    const d = lastAllow?.decided.get(`${p.lo}`);
    // Show the explicit rule that let it in; a default accept only when no rule did.
    const by = p.acceptedBy;
    final.push({
      lo: p.lo,
      hi: p.hi,
      outcome: !spoke ? 'unknown' : p.limits.length > 0 ? 'limited' : 'allow',
      layer: by ? by.layer : spoke && lastAllow ? lastAllow.layer : null,
      rule: by ? by.rule : (d?.rule ?? null),
      chain: by ? null : d && !d.rule ? d.chain : null,
      limits: p.limits,
    });
  }
  return mergeSegments(final.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0)));
}

function sameDecision(a: Segment, b: Segment): boolean {
  return (
    a.outcome === b.outcome &&
    a.layer === b.layer &&
    a.rule === b.rule &&
    a.chain === b.chain &&
    a.limits.length === b.limits.length &&
    a.limits.every((l, i) => l === b.limits[i])
  );
}

function mergeSegments(segs: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segs) {
    const prev = out[out.length - 1];
    if (prev && prev.hi + 1n === s.lo && sameDecision(prev, s)) out[out.length - 1] = { ...prev, hi: s.hi };
    else out.push(s);
  }
  return out;
}
