/**
 * Fewer points for drawing: a chart a few hundred pixels wide cannot show more bars than it has pixels, and a
 * watch of 2000 rounds or an imported session with many attempts would otherwise draw (and lay out) each one.
 * Consecutive items are merged into at most `max` buckets, in order; `merge` decides what one bar shows for a
 * bucket (for failures: failed when any item failed, the slowest time — a failure is never averaged away).
 */
export function downsample<T, B>(
  items: readonly T[],
  max: number,
  merge: (bucket: readonly T[], first: number) => B,
): B[] {
  const buckets = Math.max(1, Math.floor(max));
  if (items.length <= buckets) return items.map((item, i) => merge([item], i));
  const out: B[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * items.length) / buckets);
    const to = Math.floor(((b + 1) * items.length) / buckets);
    if (to > from) out.push(merge(items.slice(from, to), from));
  }
  return out;
}
