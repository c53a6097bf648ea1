import type { PolicySegment } from '../../../shared/model/probe-data';

/**
 * A segment as one line for exact expectations: its outcome and assumption, or for `unknown` each possible answer
 * with the uncertain matches it depends on (sorted, so the order the evaluator lists them in does not matter).
 */
export function segmentText(s: PolicySegment): string {
  if (s.outcome !== 'unknown') return `${s.outcome}[${s.assumed ?? ''}]`;
  const branches = s.possible.map(
    (b) =>
      `${b.outcome}${b.byDefault ? '(default)' : ''} when ${b.when.map((w) => `${w.matched ? '' : 'not '}${w.what}`).join(' & ')}`,
  );
  return `unknown{${branches.sort().join(' | ')}}`;
}
