import { formatSpan, type AddrSet, type Family, type Span } from './addr';
import type { Chain, PortSpan, Program, Rule, RuleSet, Verdict } from './model';
import { appendAll } from '../../shared/util/arrays';

/**
 * The simulation: a provider range, a port and a protocol walk the rule sets in layer order; every rule splits
 * the part of the range it matches off the rest, so each sub-range ends with exactly the rule that decided it.
 * Work grows with rules × pieces, never with the number of addresses.
 */

export interface Query {
  readonly family: Family;
  readonly port: number;
  readonly proto: 'tcp' | 'udp';
  /**
   * The origin's own addresses, to evaluate destination matches; null when unknown (a rule limited to a
   * destination then may or may not match: it is uncertain).
   */
  readonly dst: AddrSet | null;
}

/** One branch taken at a rule the reader could not evaluate fully: it matched, or it did not. */
export interface Cond {
  readonly rule: Rule;
  readonly matched: boolean;
}

/**
 * A piece of the range on one possible path. Several parts may cover the same addresses when an uncertain rule
 * split the path in two (it matched / it did not); each carries the branches it took.
 */
interface Part {
  readonly lo: bigint;
  readonly hi: bigint;
  /** Rate or connection limits this traffic passed through on its way. */
  readonly limits: readonly Rule[];
  /** Limits whose rule the reader could not evaluate fully: the traffic may or may not pass through them. */
  readonly maybeLimits: readonly Rule[];
  /** The last explicit rule that accepted it (a later default accept does not hide it), and the jumps to it. */
  readonly acceptedBy?: {
    readonly rule: Rule;
    readonly chain: Chain;
    readonly layer: number;
    readonly via: readonly Rule[];
  };
  /** The last chain default that accepted it, when no explicit rule did. */
  readonly defaultBy?: { readonly chain: Chain; readonly layer: number };
  readonly conds: readonly Cond[];
}

export type Outcome = 'allow' | 'limited' | 'drop' | 'reject' | 'http_deny' | 'unknown';

/** One possible answer for an undecided segment, with the branches that lead to it. */
export interface Branch {
  readonly outcome: Exclude<Outcome, 'unknown'>;
  readonly layer: number | null;
  readonly rule: Rule | null;
  readonly chain: Chain | null;
  /** The jump and goto rules taken from the base chain to the deciding rule, outermost first. */
  readonly via: readonly Rule[];
  readonly limits: readonly Rule[];
  readonly conds: readonly Cond[];
}

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
  /**
   * The jump and goto rules taken from the base chain to the deciding rule, outermost first: empty when the rule
   * sits in the base chain itself, or a chain default decided.
   */
  readonly via: readonly Rule[];
  readonly limits: readonly Rule[];
  /**
   * When the answer depends on rules the reader could not evaluate (outcome `unknown`): every possible answer and
   * the branches leading to it. Empty for a confident answer, and for `unknown` because no file spoke.
   */
  readonly possible: readonly Branch[];
  /** The uncertain rules the answer depends on (empty unless `possible` is set). */
  readonly undecided: readonly Rule[];
}

interface Decided {
  readonly part: Part;
  readonly verdict: Verdict;
  readonly rule: Rule | null;
  readonly chain: Chain;
  readonly via: readonly Rule[];
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

/**
 * Why a rule that applies may still not match this query, or null when it surely matches (its source aside):
 * matches the parser could not evaluate, or a destination while the origin's addresses are not known.
 */
export function uncertainty(rule: Rule, q: Query): string | null {
  const what: string[] = [];
  if (rule.assumed) what.push(rule.assumed);
  if (rule.dst && (!q.dst || q.dst[q.family].length === 0)) {
    const spans = rule.dst[q.family];
    const shown = spans.slice(0, 3).map((sp) => formatSpan(sp, q.family));
    what.push(`${rule.dstNot ? '! ' : ''}dst ${shown.join(',')}${spans.length > 3 ? ',...' : ''}`);
  }
  return what.length ? what.join(' ') : null;
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

/** A stable id per rule object, for the state keys of merged parts. */
const ids = new WeakMap<Rule, number>();
let nextId = 0;
function idOf(r: Rule): number {
  let id = ids.get(r);
  if (id === undefined) ids.set(r, (id = nextId++));
  return id;
}

/** What decides a part's future: two parts of the same addresses with the same key end the same way. */
function stateKey(p: Part): string {
  return `${p.limits.map(idOf).join(',')}|${p.maybeLimits.map(idOf).join(',')}`;
}

function matchedCount(conds: readonly Cond[]): number {
  let n = 0;
  for (const c of conds) if (c.matched) n++;
  return n;
}

/** The branches both lists took: what still holds for a part standing for either path. */
function commonConds(a: readonly Cond[], b: readonly Cond[]): Cond[] {
  return a.filter((c) => b.some((d) => d.rule === c.rule && d.matched === c.matched));
}

/**
 * Parts of one program point, sorted; overlapping parts on different paths are cut at each other's edges and
 * those in the same state merged (their futures are the same), so uncertain rules add paths, never multiply them.
 */
function normalize(parts: Part[]): Part[] {
  parts.sort(byLo);
  let overlap = false;
  for (let i = 1; i < parts.length && !overlap; i++) if (parts[i]!.lo <= parts[i - 1]!.hi) overlap = true;
  if (!overlap) return parts;
  const edges = [...new Set(parts.flatMap((p) => [p.lo, p.hi + 1n]))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const merged = new Map<string, Part>();
  for (const p of parts) {
    let lo = p.lo;
    for (const e of edges) {
      if (e <= lo) continue;
      if (e > p.hi + 1n) break;
      const piece: Part = { ...p, lo, hi: e - 1n };
      const key = `${lo}:${piece.hi}:${stateKey(p)}`;
      const prev = merged.get(key);
      if (!prev) merged.set(key, piece);
      else {
        // Keep the evidence of the path that assumed least.
        const base = matchedCount(piece.conds) < matchedCount(prev.conds) ? piece : prev;
        merged.set(key, { ...base, conds: commonConds(prev.conds, piece.conds) });
      }
      lo = e;
    }
  }
  return [...merged.values()].sort(byLo);
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
 * Splits the parts a rule's addresses hit by whether an uncertain rule matches: a part that already took a branch
 * at this rule (a second pass through the same chain) keeps it; the others go both ways.
 */
function branch(hit: readonly Part[], rule: Rule): [Part[], Part[]] {
  const yes: Part[] = [];
  const no: Part[] = [];
  for (const p of hit) {
    const taken = p.conds.find((c) => c.rule === rule);
    if (taken) (taken.matched ? yes : no).push(p);
    else {
      yes.push({ ...p, conds: [...p.conds, { rule, matched: true }] });
      no.push({ ...p, conds: [...p.conds, { rule, matched: false }] });
    }
  }
  return [yes, no];
}

interface WalkCtx {
  readonly program: Program;
  readonly q: Query;
  readonly rulesOf: RuleFilter;
  readonly unsure: (rule: Rule) => boolean;
  readonly out: Decided[];
}

/**
 * Walks one chain. Decided parts go to `out`; what falls off the end of a user chain (or RETURNs) comes back to
 * the caller. A built-in chain's default decides the rest. `via` holds the jump and goto rules that led here.
 */
function walk(ctx: WalkCtx, chainName: string, start: Part[], via: readonly Rule[]): Part[] {
  const { program, q } = ctx;
  const chain = program.chains[chainName];
  if (!chain || via.length > MAX_DEPTH) return start;
  let parts = start;
  const returned: Part[] = [];
  for (const rule of ctx.rulesOf(chain)) {
    if (parts.length === 0) break;
    const [all, miss] = rule.src ? split(parts, rule.src[q.family], rule.srcNot) : [parts, []];
    if (all.length === 0) continue;
    const unsure = ctx.unsure(rule);
    if (rule.rate) {
      // Some of this traffic passes, some does not, depending on volume: note the limit and keep walking.
      const limited = all.map((p) =>
        unsure ? { ...p, maybeLimits: [...p.maybeLimits, rule] } : { ...p, limits: [...p.limits, rule] },
      );
      parts = [...miss, ...limited].sort(byLo);
      continue;
    }
    if (rule.action === 'continue') continue;
    // An uncertain rule: the matching path follows its action, the other walks on as if it were not there.
    const [hit, stay] = unsure ? branch(all, rule) : [all, []];
    const rest = stay.length ? [...miss, ...stay].sort(byLo) : miss;
    switch (rule.action) {
      case 'accept':
      case 'drop':
      case 'reject':
        for (const part of hit) ctx.out.push({ part, verdict: rule.action, rule, chain, via });
        parts = rest;
        break;
      case 'jump': {
        const back = hit.length ? walk(ctx, rule.target ?? '', hit, [...via, rule]) : [];
        parts = normalize([...rest, ...back]);
        break;
      }
      case 'goto':
        if (hit.length) appendAll(returned, [...walk(ctx, rule.target ?? '', hit, [...via, rule])]);
        parts = rest;
        break;
      case 'return':
        appendAll(returned, hit);
        parts = rest;
        break;
    }
  }
  if (chain.policy) {
    // A built-in (base) chain: what falls off its end, RETURNs from it, or ends a chain it went to with goto
    // meets its default.
    for (const part of [...returned, ...parts])
      ctx.out.push({ part, verdict: chain.policy, rule: null, chain, via: [] });
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
  const unsure = (rule: Rule): boolean => uncertainty(rule, q) !== null;
  for (const [i, entry] of program.entry.entries()) {
    const out: Decided[] = [];
    const rest = walk({ program, q, rulesOf, unsure, out }, entry, pending, []);
    // A base chain without a default (nftables' default is accept) lets the rest through.
    const chain = program.chains[entry];
    if (chain) for (const part of rest) out.push({ part, verdict: 'accept', rule: null, chain, via: [] });
    const last = i === program.entry.length - 1;
    const accepted: Part[] = [];
    for (const d of out) {
      if (d.verdict !== 'accept') {
        decided.push(d);
        continue;
      }
      const part: Part = d.rule
        ? { ...d.part, acceptedBy: { rule: d.rule, chain: d.chain, layer, via: d.via } }
        : last
          ? { ...d.part, defaultBy: { chain: d.chain, layer } }
          : d.part;
      accepted.push(part);
      if (last) decided.push({ ...d, part });
    }
    pending = normalize(accepted);
    if (pending.length === 0) break;
  }
  return decided;
}

/** One path's end for some addresses, before the paths covering the same addresses are compared. */
interface End extends Branch {
  readonly lo: bigint;
  readonly hi: bigint;
}

/** How a part that passed every layer ends: allowed, limited, or either when a limit's rule is uncertain. */
function passedEnds(p: Part, spoke: boolean): End[] {
  const by = p.acceptedBy;
  const base = {
    lo: p.lo,
    hi: p.hi,
    // Show the explicit rule that let it in; a default accept only when no rule did.
    layer: by ? by.layer : (p.defaultBy?.layer ?? null),
    rule: by ? by.rule : null,
    chain: by ? null : (p.defaultBy?.chain ?? null),
    via: by ? by.via : [],
  };
  if (!spoke) return [];
  if (p.limits.length > 0 || p.maybeLimits.length === 0)
    return [{ ...base, outcome: p.limits.length ? 'limited' : 'allow', limits: p.limits, conds: p.conds }];
  // Uncertain limits: limited if any of them matches, allowed if none does.
  return [
    {
      ...base,
      outcome: 'allow',
      limits: [],
      conds: [...p.conds, ...p.maybeLimits.map((rule) => ({ rule, matched: false }))],
    },
    ...p.maybeLimits.map((rule): End => ({
      ...base,
      outcome: 'limited',
      limits: [rule],
      conds: [...p.conds, { rule, matched: true }],
    })),
  ];
}

function bySpanLo(a: { lo: bigint }, b: { lo: bigint }): number {
  return a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0;
}

/** The segment for addresses every one of `ends` covers: confident when all paths agree, else `unknown`. */
function combine(lo: bigint, hi: bigint, ends: readonly End[]): Segment {
  const first = ends[0]!;
  if (ends.every((e) => e.outcome === first.outcome)) {
    // Several paths, one answer: show the one that assumed least.
    let best = first;
    for (const e of ends) if (matchedCount(e.conds) < matchedCount(best.conds)) best = e;
    const { outcome, layer, rule, chain, via, limits } = best;
    return { lo, hi, outcome, layer, rule, chain, via, limits, possible: [], undecided: [] };
  }
  const possible = new Map<string, Branch>();
  for (const e of ends) {
    // The same rule reached through another jump is another answer: the path is part of its evidence.
    const key = `${e.outcome}:${e.layer}:${e.rule ? idOf(e.rule) : ''}:${e.chain?.name ?? ''}:${e.via.map(idOf).join(',')}`;
    const prev = possible.get(key);
    if (!prev || matchedCount(e.conds) < matchedCount(prev.conds)) {
      const { outcome, layer, rule, chain, via, limits, conds } = e;
      possible.set(key, { outcome, layer, rule, chain, via, limits, conds });
    }
  }
  const undecided = [...new Set(ends.flatMap((e) => e.conds.map((c) => c.rule)))];
  return {
    lo,
    hi,
    outcome: 'unknown',
    layer: null,
    rule: null,
    chain: null,
    via: [],
    limits: [],
    possible: [...possible.values()],
    undecided,
  };
}

/** Cuts path ends at each other's edges and combines the ends over each piece. */
function sweep(ends: End[], span: Span): Segment[] {
  ends.sort(bySpanLo);
  let overlap = false;
  for (let i = 1; i < ends.length && !overlap; i++) if (ends[i]!.lo <= ends[i - 1]!.hi) overlap = true;
  if (!overlap) return ends.map((e) => combine(e.lo, e.hi, [e]));
  const edges = [...new Set(ends.flatMap((e) => [e.lo, e.hi + 1n]))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const out: Segment[] = [];
  let active: End[] = [];
  let next = 0;
  for (let i = 0; i < edges.length - 1; i++) {
    const lo = edges[i]!;
    const hi = edges[i + 1]! - 1n;
    if (lo > span.hi) break;
    active = active.filter((e) => e.hi >= lo);
    while (next < ends.length && ends[next]!.lo <= lo) active.push(ends[next++]!);
    if (active.length) out.push(combine(lo, hi, active));
  }
  return out;
}

/**
 * Evaluates one address span of one family through the layers in order (cloud group → host firewall → web server)
 * and returns the decided segments, sorted, adjacent equal ones merged. Where a rule the reader could not evaluate
 * fully changes the answer, the segment is `unknown` with every possible answer; where it does not, it is confident.
 */
export function evaluateSpan(sets: readonly RuleSet[], span: Span, q: Query): Segment[] {
  let pending: Part[] = [{ lo: span.lo, hi: span.hi, limits: [], maybeLimits: [], conds: [] }];
  const ends: End[] = [];
  let spoke = false;
  for (const [layer, set] of sets.entries()) {
    const program = set.programs[q.family];
    if (!program || pending.length === 0) continue;
    spoke = true;
    const decided = runProgram(program, pending, q, makeFilter(q, span), layer);
    const next: Part[] = [];
    for (const d of decided) {
      if (d.verdict === 'accept') next.push(d.part);
      else
        ends.push({
          lo: d.part.lo,
          hi: d.part.hi,
          outcome: d.rule?.http ? 'http_deny' : d.verdict,
          layer,
          rule: d.rule,
          chain: d.rule ? null : d.chain,
          via: d.via,
          limits: d.part.limits,
          conds: d.part.conds,
        });
    }
    pending = normalize(next);
  }
  if (!spoke)
    return [
      {
        ...span,
        outcome: 'unknown',
        layer: null,
        rule: null,
        chain: null,
        via: [],
        limits: [],
        possible: [],
        undecided: [],
      },
    ];
  for (const p of pending) appendAll(ends, passedEnds(p, spoke));
  return mergeSegments(sweep(ends, span));
}

function sameRules(a: readonly Rule[], b: readonly Rule[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}

function sameBranches(a: readonly Branch[], b: readonly Branch[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i]!;
      return (
        x.outcome === y.outcome &&
        x.layer === y.layer &&
        x.rule === y.rule &&
        x.chain === y.chain &&
        sameRules(x.via, y.via) &&
        sameRules(x.limits, y.limits) &&
        x.conds.length === y.conds.length &&
        x.conds.every((c, j) => c.rule === y.conds[j]!.rule && c.matched === y.conds[j]!.matched)
      );
    })
  );
}

function sameDecision(a: Segment, b: Segment): boolean {
  return (
    a.outcome === b.outcome &&
    a.layer === b.layer &&
    a.rule === b.rule &&
    a.chain === b.chain &&
    sameRules(a.via, b.via) &&
    sameRules(a.limits, b.limits) &&
    sameBranches(a.possible, b.possible) &&
    sameRules(a.undecided, b.undecided)
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
