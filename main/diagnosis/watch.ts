import { watchRoundSchema, type WatchEndpoint, type WatchRound } from '../../shared/model/probe-data';
import type { DiagnosisFacts, FindingDraft } from './types';
import { maxOf } from '../../shared/util/arrays';

/**
 * The pattern of a watch, per endpoint: stable, always failing, failing in bursts, failing here and there
 * (intermittent), recovering during the watch, or starting to fail during it. Pure: rounds in, findings out.
 */

export const WATCH_PATTERNS = [
  'stable',
  'always_failing',
  'intermittent',
  'bursts',
  'recovering',
  'started_failing',
] as const;
export type WatchPattern = (typeof WATCH_PATTERNS)[number];

export interface WatchShape {
  readonly pattern: WatchPattern;
  readonly failed: number;
  /** Lengths of the runs of consecutive failed rounds, in order. */
  readonly runs: number[];
}

/**
 * Whether the CDN would have served its visitor an error in this round: a connect that failed (refused, timed out,
 * unreachable, reset), or a request that got no proper answer (timeout, empty reply, reset, wrong protocol) or
 * answered 5xx or 429 — the CDN passes both on (or maps them to its own 52x). A 404 or a redirect is the
 * origin's answer, passed on as it is: not a failure of the connection to the origin.
 */
export function watchEndpointFailed(
  e: Pick<WatchEndpoint, 'sent' | 'connected' | 'tcpFailure' | 'httpOutcome' | 'httpStatus'>,
): boolean {
  if (e.tcpFailure !== null || e.connected < e.sent) return true;
  if (e.httpOutcome !== 'response' || e.httpStatus === null) return true;
  return e.httpStatus >= 500 || e.httpStatus === 429;
}

/** Classifies a sequence of round results (true: the round succeeded). */
export function classifyWatch(oks: readonly boolean[]): WatchShape {
  const n = oks.length;
  const runs: number[] = [];
  let current = 0;
  for (const ok of oks) {
    if (!ok) current++;
    else if (current > 0) {
      runs.push(current);
      current = 0;
    }
  }
  if (current > 0) runs.push(current);
  const failed = runs.reduce((s, r) => s + r, 0);
  const shape = (pattern: WatchPattern): WatchShape => ({ pattern, failed, runs });
  if (failed === 0) return shape('stable');
  if (failed === n) return shape('always_failing');
  const firstOk = oks.indexOf(true);
  const lastOk = oks.lastIndexOf(true);
  // One change of state only, and the new state held for at least two rounds.
  if (runs.length === 1 && !oks[0] && n - firstOk >= 2 && oks.slice(firstOk).every(Boolean))
    return shape('recovering');
  if (runs.length === 1 && !oks[n - 1] && n - 1 - lastOk >= 2 && oks.slice(0, lastOk + 1).every(Boolean))
    return shape('started_failing');
  const longest = maxOf(runs);
  const mean = failed / runs.length;
  if (longest >= 2 && mean >= 2) return shape('bursts');
  return shape('intermittent');
}

function rounds(facts: DiagnosisFacts): { id: string; round: WatchRound }[] {
  const out: { id: string; round: WatchRound }[] = [];
  for (const p of facts.probes) {
    if (p.kind !== 'watch') continue;
    const parsed = watchRoundSchema.safeParse(p.data);
    if (parsed.success) out.push({ id: p.id, round: parsed.data });
  }
  return out.sort((a, b) => a.round.round - b.round.round);
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

export function watchFindings(facts: DiagnosisFacts): FindingDraft[] {
  const all = rounds(facts);
  if (all.length === 0) return [];
  const out: FindingDraft[] = [];
  const duration = Math.round(all.at(-1)!.round.atS - all[0]!.round.atS);
  for (const ep of facts.input.endpoints) {
    const seen = all.flatMap(({ id, round }) => {
      const e = round.endpoints.find((x) => x.url === ep.url);
      return e ? [{ id, e }] : [];
    });
    if (seen.length === 0) continue;
    // Judged again from what each round saw, not from its stored flag: sessions stored before 429 counted keep
    // their rounds, and read right.
    const oks = seen.map((s) => !watchEndpointFailed(s.e));
    const shape = classifyWatch(oks);
    const failures = seen.filter((_, i) => !oks[i]).map((s) => s.e);
    const counts = new Map<string, number>();
    for (const f of failures) {
      const what = f.tcpFailure && f.connected === 0 ? `tcp ${f.tcpFailure}` : httpFailure(f);
      counts.set(what, (counts.get(what) ?? 0) + 1);
    }
    const common = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    const latency = median(seen.flatMap((s) => (s.e.connectMs !== null ? [s.e.connectMs] : [])));
    const firstOk = oks.indexOf(true);
    const lastOk = oks.lastIndexOf(true);
    out.push({
      id: `watch.${shape.pattern}`,
      target: ep.url,
      evidence: (shape.failed > 0 ? seen.filter((_, i) => !oks[i]) : seen).slice(0, 12).map((s) => s.id),
      params: {
        rounds: seen.length,
        failed: shape.failed,
        duration: `${duration} s`,
        failure: common ? common[0] : '-',
        tcpFailure: failures.find((f) => f.tcpFailure && f.connected === 0)?.tcpFailure ?? null,
        httpStatus: failures.find((f) => f.httpStatus !== null)?.httpStatus ?? null,
        bursts: shape.runs.length,
        longest: shape.runs.length ? maxOf(shape.runs) : 0,
        partial: seen.filter((s) => s.e.connected > 0 && s.e.connected < s.e.sent).length,
        latency: latency === null ? '-' : `${latency} ms`,
        okHead: firstOk === 0 ? oks.indexOf(false) : 0,
        okTail: lastOk === oks.length - 1 ? oks.length - 1 - oks.lastIndexOf(false) : 0,
      },
    });
  }
  return out;
}

function httpFailure(e: WatchRound['endpoints'][number]): string {
  if (e.httpStatus !== null) return `HTTP ${e.httpStatus}`;
  if (e.tcpFailure) return `tcp ${e.tcpFailure} (${e.sent - e.connected}/${e.sent})`;
  return `http ${e.httpOutcome}`;
}
