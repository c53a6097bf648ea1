import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { findExecutable, runTool } from '../../main/probes/spawn';
import { traceProbe } from '../../main/probes/trace';

/** Running, not a zombie waiting for a reaper (PID 1 in a container may never reap orphans). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

/** Starts a hung "tool" that has a child of its own, and returns the pids of both once they exist. */
function hungTree(marker: string) {
  return ['-c', `sleep 30 & echo child:$!; echo ${marker}; wait`];
}

test('a hung tool and its children are killed on cancel, without waiting for its deadline', async () => {
  const controller = new AbortController();
  const lines: string[] = [];
  const started = Date.now();
  const run = runTool('/bin/sh', hungTree('cancel-me'), {
    deadlineMs: 30000,
    signal: controller.signal,
    onLine: (l) => {
      lines.push(l);
      if (l === 'cancel-me') controller.abort();
    },
  });
  const out = await run;
  expect(out.killed).toBe('cancelled');
  expect(Date.now() - started).toBeLessThan(5000);
  const child = Number(/child:(\d+)/.exec(lines.join('\n'))![1]);
  await new Promise((r) => setTimeout(r, 100));
  expect(alive(child)).toBe(false);
});

test('a tool past its deadline is killed with its children and its output so far is kept', async () => {
  const out = await runTool('/bin/sh', hungTree('partial output'), {
    deadlineMs: 300,
    signal: new AbortController().signal,
  });
  expect(out.killed).toBe('deadline');
  const text = out.stdout.toString();
  expect(text).toContain('partial output');
  const child = Number(/child:(\d+)/.exec(text)![1]);
  await new Promise((r) => setTimeout(r, 100));
  expect(alive(child)).toBe(false);
}, 10000);

test('a missing tool gives a plain "not installed" result, not an error', async () => {
  const { data, raw } = await traceProbe(
    '127.0.0.1',
    4,
    { signal: new AbortController().signal, timeoutMs: 1000, onProgress: () => undefined },
    () => null,
  );
  expect(data.problem).toBe('not_installed');
  expect(data.hops).toEqual([]);
  expect(raw).toBe('');
});

test('a tool that cannot start is reported with its reason', async () => {
  const out = await runTool('/nonexistent/tool', [], {
    deadlineMs: 1000,
    signal: new AbortController().signal,
  });
  expect(out.spawnError).toBe('ENOENT');
  // A path through a regular file is thrown by spawn itself, not emitted: still a reason, not a crash.
  const throughFile = await runTool(`${process.execPath}/tool`, [], {
    deadlineMs: 1000,
    signal: new AbortController().signal,
  });
  expect(throughFile.spawnError).toBe('ENOTDIR');
  expect(findExecutable('definitely-not-a-tool-here')).toBeNull();
  expect(findExecutable('sh')).toMatch(/^\/.*\/sh$/);
});
