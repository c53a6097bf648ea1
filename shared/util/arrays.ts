/**
 * Largest and smallest of a list, and appending one list to another, without spreading the list into call
 * arguments: `Math.max(...xs)` and `out.push(...xs)` throw RangeError once a list has more elements than the engine
 * takes as arguments (about 120 000 in V8), and an imported session or a pasted file can hold that many.
 */

/** The largest value, or `floor` when the list is empty or every value is below it. NaN values are skipped. */
export function maxOf(values: Iterable<number>, floor = -Infinity): number {
  let max = floor;
  for (const v of values) if (v > max) max = v;
  return max;
}

/** The smallest value, or `ceiling` when the list is empty or every value is above it. NaN values are skipped. */
export function minOf(values: Iterable<number>, ceiling = Infinity): number {
  let min = ceiling;
  for (const v of values) if (v < min) min = v;
  return min;
}

/** Appends every item of `items` to `out` (what `out.push(...items)` does, for lists of any length). */
export function appendAll<T>(out: T[], items: Iterable<T>): T[] {
  for (const item of items) out.push(item);
  return out;
}
