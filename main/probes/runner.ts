import { performance } from 'node:perf_hooks';
import type { ProbeRecord } from '../../shared/model/report';
import type { ProbeProgress, ProbeTask } from './types';

export interface RunnerLimits {
  /** Probes running at once in all. */
  readonly concurrency: number;
  /** Probes running at once against one target (the task's key): a diagnostic tool, not a flood. */
  readonly perTarget: number;
}

export const DEFAULT_LIMITS: RunnerLimits = { concurrency: 24, perTarget: 8 };

export type RunnerEvent =
  | {
      readonly type: 'probe-started';
      readonly id: string;
      readonly kind: ProbeRecord['kind'];
      readonly target: string;
    }
  | { readonly type: 'probe-progressed'; readonly id: string; readonly progress: ProbeProgress }
  | { readonly type: 'probe-finished'; readonly record: ProbeRecord };

export interface RunnerOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly limits?: RunnerLimits;
  readonly onEvent?: (event: RunnerEvent) => void;
  /** Wall clock for `startedAt`; passed in so tests control it. */
  readonly now?: () => Date;
}

/**
 * Runs independent probes in parallel under a global and a per-target limit. Every task ends in a record:
 * a task that throws becomes status `error` (a programmer error, kept visible rather than lost), and tasks
 * not started when the run is cancelled become `skipped`. Records come back in task order.
 */
export async function runProbes(tasks: readonly ProbeTask[], options: RunnerOptions): Promise<ProbeRecord[]> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const now = options.now ?? (() => new Date());
  const emit = options.onEvent ?? (() => undefined);
  const results: ProbeRecord[] = new Array(tasks.length);
  const perKey = new Map<string, number>();
  let running = 0;
  const queue = tasks.map((task, index) => ({ task, index }));

  return new Promise((resolve) => {
    let finished = 0;
    const finish = (index: number, record: ProbeRecord): void => {
      results[index] = record;
      emit({ type: 'probe-finished', record });
      finished++;
      if (finished === tasks.length) resolve(results);
    };
    const pump = (): void => {
      if (options.signal.aborted) {
        for (const { task, index } of queue.splice(0)) {
          finish(index, {
            id: task.id,
            kind: task.kind,
            target: task.target,
            startedAt: now().toISOString(),
            durationMs: 0,
            status: 'skipped',
            data: { reason: 'cancelled' },
          });
        }
        return;
      }
      for (let i = 0; i < queue.length && running < limits.concurrency;) {
        const { task, index } = queue[i]!;
        const busy = perKey.get(task.key) ?? 0;
        if (busy >= limits.perTarget) {
          i++;
          continue;
        }
        queue.splice(i, 1);
        running++;
        perKey.set(task.key, busy + 1);
        void start(task, index);
      }
    };
    const start = async (task: ProbeTask, index: number): Promise<void> => {
      const startedAt = now().toISOString();
      const t0 = performance.now();
      emit({ type: 'probe-started', id: task.id, kind: task.kind, target: task.target });
      const base = { id: task.id, kind: task.kind, target: task.target, startedAt };
      let record: ProbeRecord;
      try {
        const r = await task.run({
          signal: options.signal,
          timeoutMs: options.timeoutMs,
          onProgress: (progress) => emit({ type: 'probe-progressed', id: task.id, progress }),
        });
        record = { ...base, durationMs: elapsed(t0), ...r };
      } catch (err) {
        record = {
          ...base,
          durationMs: elapsed(t0),
          status: 'error',
          data: { reason: 'internal_error', message: err instanceof Error ? err.message : String(err) },
        };
      }
      running--;
      perKey.set(task.key, (perKey.get(task.key) ?? 1) - 1);
      finish(index, record);
      pump();
    };
    if (tasks.length === 0) return resolve([]);
    options.signal.addEventListener('abort', pump, { once: true });
    pump();
  });
}

function elapsed(t0: number): number {
  return Math.round((performance.now() - t0) * 1000) / 1000;
}
