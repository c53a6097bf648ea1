import { performance } from 'node:perf_hooks';
import type { ProbeKind, ProbeRecord } from '../../shared/model/report';

/** A progress event from a running probe; the runner adds the probe id. */
export type ProbeProgress =
  | {
      readonly kind: 'attempt';
      readonly index: number;
      readonly total: number;
      readonly outcome: string;
      readonly ms: number;
    }
  | { readonly kind: 'line'; readonly text: string };

/** What every probe gets: a deadline, a way to be cancelled and a place to report progress. */
export interface ProbeContext {
  readonly signal: AbortSignal;
  /** What one stage (connect, handshake, one request) may take at most. */
  readonly timeoutMs: number;
  /** When the probe as a whole must end (performance.now() ms); each stage gets what remains of it. */
  readonly deadline?: number;
  readonly onProgress: (event: ProbeProgress) => void;
}

/**
 * The context with a deadline `ms` from now (or the one it has, when that is sooner): a probe that chains
 * stages — redirect hops, CNAME links, rounds — ends within its bound rather than one timeout per stage.
 */
export function withDeadline(ctx: ProbeContext, ms: number = ctx.timeoutMs): ProbeContext {
  const at = performance.now() + ms;
  return { ...ctx, deadline: ctx.deadline === undefined ? at : Math.min(ctx.deadline, at) };
}

/** Milliseconds the next stage may take: its timeout, or less when the probe's deadline is nearer. */
export function remainingMs(ctx: ProbeContext): number {
  if (ctx.deadline === undefined) return ctx.timeoutMs;
  return Math.max(0, Math.min(ctx.timeoutMs, ctx.deadline - performance.now()));
}

/** The context for the next stage: its timeout is what remains of the probe's budget. */
export function stageContext(ctx: ProbeContext): ProbeContext {
  return { ...ctx, timeoutMs: remainingMs(ctx) };
}

/** A unit of work for the runner: one probe of one target. */
export interface ProbeTask {
  readonly id: string;
  readonly kind: ProbeKind;
  readonly target: string;
  /** Probes of the same key share the per-target limit: the endpoint URL for TCP / TLS / HTTP, the address for a trace. */
  readonly key: string;
  readonly run: (
    ctx: ProbeContext,
  ) => Promise<Omit<ProbeRecord, 'id' | 'kind' | 'target' | 'startedAt' | 'durationMs'>>;
}

/** A promise that settles after `ms`, or at once when the signal aborts. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
