import { describe, expect, test } from 'vitest';
import { runProbes, type RunnerEvent } from '../../../main/probes/runner';
import { delay, type ProbeTask } from '../../../main/probes/types';

function task(
  id: string,
  key: string,
  ms: number,
  log: { running: number; max: number; perKey: Map<string, number>; maxPerKey: number },
): ProbeTask {
  return {
    id,
    kind: 'tcp',
    target: key,
    key,
    run: async (ctx) => {
      log.running++;
      log.max = Math.max(log.max, log.running);
      log.perKey.set(key, (log.perKey.get(key) ?? 0) + 1);
      log.maxPerKey = Math.max(log.maxPerKey, log.perKey.get(key)!);
      await delay(ms, ctx.signal);
      log.running--;
      log.perKey.set(key, log.perKey.get(key)! - 1);
      return { status: ctx.signal.aborted ? 'error' : 'ok', data: { id } };
    },
  };
}

const newLog = () => ({ running: 0, max: 0, perKey: new Map<string, number>(), maxPerKey: 0 });

describe('probe runner', () => {
  test('independent probes run together, within the global and per-target limits, results in task order', async () => {
    const log = newLog();
    const tasks = Array.from({ length: 12 }, (_, i) => task(`t${i}`, `k${i % 3}`, 30, log));
    const events: RunnerEvent[] = [];
    const records = await runProbes(tasks, {
      timeoutMs: 1000,
      signal: new AbortController().signal,
      limits: { concurrency: 5, perTarget: 2 },
      onEvent: (e) => events.push(e),
    });
    expect(records.map((r) => r.id)).toEqual(tasks.map((t) => t.id));
    expect(log.max).toBe(5);
    expect(log.maxPerKey).toBe(2);
    expect(events.filter((e) => e.type === 'probe-started')).toHaveLength(12);
    expect(events.filter((e) => e.type === 'probe-finished')).toHaveLength(12);
  });

  test('a probe that throws becomes an error record; the others still finish', async () => {
    const boom: ProbeTask = {
      id: 'boom',
      kind: 'dns',
      target: 'x',
      key: 'x',
      run: async () => {
        throw new Error('kaput');
      },
    };
    const records = await runProbes([boom, task('ok', 'y', 1, newLog())], {
      timeoutMs: 100,
      signal: new AbortController().signal,
    });
    expect(records[0]).toMatchObject({
      id: 'boom',
      status: 'error',
      data: { reason: 'internal_error', message: 'kaput' },
    });
    expect(records[1]!.status).toBe('ok');
  });

  test('cancelling stops running probes and skips the ones not started', async () => {
    const log = newLog();
    const controller = new AbortController();
    const tasks = Array.from({ length: 6 }, (_, i) => task(`t${i}`, 'same', 10_000, log));
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const records = await runProbes(tasks, {
      timeoutMs: 10_000,
      signal: controller.signal,
      limits: { concurrency: 8, perTarget: 2 },
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(records.filter((r) => r.status === 'error')).toHaveLength(2);
    expect(records.filter((r) => r.status === 'skipped')).toHaveLength(4);
    expect(log.running).toBe(0);
  });

  test('no tasks, no wait', async () => {
    expect(await runProbes([], { timeoutMs: 10, signal: new AbortController().signal })).toEqual([]);
  });
});
