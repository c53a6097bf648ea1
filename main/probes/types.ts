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
  readonly timeoutMs: number;
  readonly onProgress: (event: ProbeProgress) => void;
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
