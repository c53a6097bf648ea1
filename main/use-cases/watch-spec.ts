import { WATCH_LIMITS } from '../../shared/model/report';
import { quoteInput } from '../../shared/net/validate';

// Apart from watch.ts so the command line's argument parser reads a watch's spec without loading the probes.

export type WatchSpecResult =
  | { ok: true; value: { intervalS: number; durationS: number } }
  | { ok: false; error: { key: string; params: Record<string, string | number> } };

/**
 * A watch's interval and duration as typed (CLI options or the app's fields), bounded so a watch stays a
 * diagnostic: at least 1 s apart, at most a day, at most 2,000 rounds. `names` words the fields in errors.
 */
export function parseWatchSpec(
  raw: { intervalS?: string | undefined; durationS?: string | undefined },
  names: { intervalS: string; durationS: string },
): WatchSpecResult {
  const seconds = (
    field: 'intervalS' | 'durationS',
    dflt: number,
    min: number,
    max: number,
  ): number | { key: string; params: Record<string, string | number> } => {
    const v = raw[field];
    if (v === undefined || v.trim() === '') return dflt;
    const n = /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isFinite(n) || n < min || n > max)
      return { key: 'input.bad_seconds', params: { option: names[field], value: quoteInput(v), min, max } };
    return n;
  };
  const intervalS = seconds('intervalS', 5, WATCH_LIMITS.minIntervalS, WATCH_LIMITS.maxIntervalS);
  if (typeof intervalS !== 'number') return { ok: false, error: intervalS };
  const durationS = seconds('durationS', 60, 1, WATCH_LIMITS.maxDurationS);
  if (typeof durationS !== 'number') return { ok: false, error: durationS };
  if (durationS / intervalS > WATCH_LIMITS.maxRounds)
    return {
      ok: false,
      error: {
        key: 'cli.watch_too_many_rounds',
        params: { rounds: Math.floor(durationS / intervalS), max: WATCH_LIMITS.maxRounds },
      },
    };
  return { ok: true, value: { intervalS, durationS } };
}
