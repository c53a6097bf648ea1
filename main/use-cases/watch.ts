import { performance } from 'node:perf_hooks';
import type { Endpoint, ProbeRecord, SessionInput } from '../../shared/model/report';
import { WATCH_LIMITS } from '../../shared/model/report';
import type { WatchEndpoint, WatchRound } from '../../shared/model/probe-data';
import { exchange, requestSpecFor } from '../probes/http';
import { tcpProbe } from '../probes/tcp';
import { delay, remainingMs, stageContext, withDeadline, type ProbeContext } from '../probes/types';
import type { RunnerEvent } from '../probes/runner';
import { dominantFailure } from '../diagnosis/network';
import { watchEndpointFailed } from '../diagnosis/watch';

/**
 * Watch mode: the same short probe of every endpoint, round after round — a few TCP connects and one request as
 * the CDN sends it (its Host, its SNI) — so a failure that comes and goes shows its pattern. Each round becomes a
 * probe record of kind `watch` the moment it ends (the history stores it then); the diagnosis classifies them.
 */

/** TCP connects per endpoint and round. */
export const WATCH_ATTEMPTS = 3;

export interface WatchDeps {
  readonly signal: AbortSignal;
  readonly now: () => Date;
  readonly onEvent?: (event: RunnerEvent) => void;
}

export { parseWatchSpec, type WatchSpecResult } from './watch-spec';

/** Rounds a watch makes: one at the start and one per interval while the duration lasts. */
export function watchRounds(w: { intervalS: number; durationS: number }): number {
  return Math.min(WATCH_LIMITS.maxRounds, Math.max(1, Math.floor(w.durationS / w.intervalS)));
}

async function probeEndpoint(ep: Endpoint, input: SessionInput, ctx: ProbeContext): Promise<WatchEndpoint> {
  const [tcp, http] = await Promise.all([
    tcpProbe(ep, { attempts: Math.min(input.attempts, WATCH_ATTEMPTS), intervalMs: 150, holdMs: 0 }, ctx),
    exchange(requestSpecFor(ep, input.domain, input.healthPath), stageContext(ctx)),
  ]);
  const connected = tcp.attempts.filter((a) => a.outcome === 'connected');
  const failures = tcp.attempts.filter((a) => a.outcome !== 'connected').map((a) => a.outcome);
  const seen = {
    url: ep.url,
    sent: tcp.attempts.length,
    connected: connected.length,
    connectMs: connected.length
      ? Math.round((connected.reduce((s, a) => s + a.ms, 0) / connected.length) * 1000) / 1000
      : null,
    tcpFailure: dominantFailure(failures),
    httpOutcome: http.outcome,
    httpStatus: http.status,
    ttfbMs: http.timing.ttfbMs,
  };
  return { ...seen, ok: !watchEndpointFailed(seen) };
}

/** Runs every round of a watch and returns one probe record per round (fewer when cancelled). */
export async function watchProbes(input: SessionInput, deps: WatchDeps): Promise<ProbeRecord[]> {
  const w = input.watch;
  if (!w) return [];
  const total = watchRounds(w);
  const records: ProbeRecord[] = [];
  const t0 = performance.now();
  // --for bounds the whole watch: no round starts after it, and none runs past it.
  const end = t0 + w.durationS * 1000;
  for (let n = 1; n <= total && !deps.signal.aborted; n++) {
    // Rounds keep their schedule; a round that overruns its interval is followed at once.
    const due = (n - 1) * w.intervalS * 1000;
    const wait = due - (performance.now() - t0);
    if (wait > 0) await delay(wait, deps.signal);
    if (deps.signal.aborted || performance.now() >= end) break;
    const id = `round-${n}`;
    const startedAt = deps.now().toISOString();
    const started = performance.now();
    deps.onEvent?.({ type: 'probe-started', id, kind: 'watch', target: 'watch' });
    const ctx: ProbeContext = withDeadline(
      { signal: deps.signal, timeoutMs: input.timeoutMs, onProgress: () => undefined },
      end - performance.now(),
    );
    // A round the end of the watch cut short had less than --timeout: a timeout in it may be ours, not the origin's
    // (a refusal or an HTTP status is still the origin's answer).
    const cut = remainingMs(ctx) < input.timeoutMs;
    const endpoints = await Promise.all(input.endpoints.map((ep) => probeEndpoint(ep, input, ctx)));
    const round: WatchRound = {
      round: n,
      atS: Math.round((started - t0) / 10) / 100,
      endpoints,
      ok: endpoints.every((e) => e.ok),
    };
    const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    const record: ProbeRecord =
      cut && endpoints.some((e) => e.httpOutcome === 'timeout' || e.tcpFailure === 'timeout')
        ? {
            // Not a round the diagnosis may count: what failed may only have run out of the watch's time.
            id,
            kind: 'watch',
            target: 'watch',
            startedAt,
            durationMs,
            status: 'skipped',
            data: { reason: 'watch_ended', round: n, atS: round.atS },
            raw: formatRound(round),
          }
        : {
            id,
            kind: 'watch',
            target: 'watch',
            startedAt,
            durationMs,
            status: round.ok ? 'ok' : endpoints.some((e) => e.ok) ? 'warn' : 'fail',
            data: { ...round },
            raw: formatRound(round),
          };
    records.push(record);
    deps.onEvent?.({ type: 'probe-finished', record });
  }
  return records;
}

export function formatRound(r: WatchRound): string {
  return r.endpoints
    .map(
      (e) =>
        `#${r.round} +${r.atS}s ${e.url}: tcp ${e.connected}/${e.sent}${e.connectMs !== null ? ` ${e.connectMs} ms` : ''}${e.tcpFailure ? ` (${e.tcpFailure})` : ''}, http ${e.httpStatus ?? e.httpOutcome}${e.ttfbMs !== null ? ` ttfb ${e.ttfbMs} ms` : ''} → ${e.ok ? 'ok' : 'FAIL'}`,
    )
    .join('\n');
}
