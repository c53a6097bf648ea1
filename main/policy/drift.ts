import type { RangesHistoryEntry } from '../../shared/catalog/providers';
import type { PolicyRangesDrift } from '../../shared/model/policy-change';
import { appendAll } from '../../shared/util/arrays';
import { parseRange, setOf, spanToCidrs, type AddrSet, type Family, type Span } from './addr';
import { parseAll, rowOutcome } from './analyse';
import { evaluateSpan } from './evaluate';
import type { RuleSet } from './model';

/**
 * Provider list drift: the back-to-origin list a customer copied into the rules once, beside the list published
 * now — which dated list it is, what was added since, and which of the added ranges the rules do not let in.
 */

export interface DriftInput {
  /** The customer's copy (`--ranges-before`). */
  readonly customer: readonly string[];
  /** The list in force now (the preset's, or `--ranges-file`). */
  readonly current: readonly string[];
  readonly currentDate: string | null;
  readonly history: readonly RangesHistoryEntry[];
  /** The rules to check the added ranges against (the after version). */
  readonly sets: readonly RuleSet[];
  readonly ports: readonly number[];
}

/** `a` minus `b`, both sorted and merged. */
function subtract(a: readonly Span[], b: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const s of a) {
    let lo = s.lo;
    for (const x of b) {
      if (x.hi < lo) continue;
      if (x.lo > s.hi) break;
      if (x.lo > lo) out.push({ lo, hi: x.lo - 1n });
      lo = x.hi + 1n;
      if (lo > s.hi) break;
    }
    if (lo <= s.hi) out.push({ lo, hi: s.hi });
  }
  return out;
}

const same = (a: readonly Span[], b: readonly Span[]): boolean =>
  a.length === b.length && a.every((s, i) => s.lo === b[i]!.lo && s.hi === b[i]!.hi);

const cidrs = (spans: readonly Span[], f: Family): string[] => spans.flatMap((s) => spanToCidrs(s, f));

/** Compares the customer's list with the current one and the dated earlier ones, family by family. */
export function rangesDrift(input: DriftInput): PolicyRangesDrift {
  const mine: AddrSet = setOf(parseAll(input.customer));
  const now: AddrSet = setOf(parseAll(input.current));
  const families: PolicyRangesDrift['families'] = [];
  const added: string[] = [];
  const removed: string[] = [];
  const notAllowed: PolicyRangesDrift['notAllowed'] = [];
  for (const f of [4, 6] as const) {
    if (mine[f].length > 0) {
      const dated = input.history.find((h) => h.family === f && same(setOf(parseAll(h.ranges))[f], mine[f]));
      families.push({
        family: f,
        match: same(mine[f], now[f])
          ? { until: null, source: input.currentDate ?? '' }
          : dated
            ? { until: dated.until, source: dated.source }
            : null,
      });
    }
    const plus = subtract(now[f], mine[f]);
    appendAll(added, cidrs(plus, f));
    appendAll(removed, cidrs(subtract(mine[f], now[f]), f));
    for (const range of cidrs(plus, f)) {
      const span = parseRange(range)!.span;
      for (const port of input.ports) {
        const outcome = rowOutcome(
          evaluateSpan(input.sets, span, { family: f, port, proto: 'tcp', dst: null }),
        );
        if (outcome !== 'allowed') notAllowed.push({ range, port, outcome });
      }
    }
  }
  return {
    families,
    known: input.history.map((h) => ({ family: h.family, until: h.until })),
    currentDate: input.currentDate,
    added,
    removed,
    notAllowed,
  };
}
