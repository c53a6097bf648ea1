import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readTextFile } from '../../main/cli/ca-files';
import { originBundleSchema, type OriginBundle } from '../../shared/model/origin-bundle';
import { CLI } from '../lab/cli';

/**
 * Issue 19, item 5: size caps apply to what is read, not to `stat`. `/dev/zero`, a FIFO and a file that grows all
 * report a size that says nothing about how much `read` returns; each must stop at the cap with a clear line, and
 * quickly (the old code grew to 7 GB in 15 s). Each CLI run is killed after KILL_MS so a regression fails, not hangs.
 */
const KILL_MS = 15_000;
const PROC = path.join(__dirname, '..', 'fixtures', 'origin', 'proc');
const dir = mkdtempSync(path.join(os.tmpdir(), 'od-bounded-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly killed: boolean;
  /** The child's peak resident memory (VmHWM), as last seen while it ran, in kB. */
  readonly peakKb: number;
  readonly ms: number;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(process.execPath, ['--max-old-space-size=512', CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    let killed = false;
    let peakKb = 0;
    const poll = setInterval(() => {
      try {
        const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // exited between polls
      }
    }, 10);
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, KILL_MS);
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ code, stdout, stderr, killed, peakKb, ms: Date.now() - start });
    });
  });
}

function needs(tool: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
    throw new Error(
      `this test needs \`${tool}\` (Debian package ${pkg}); install it with apt-get install ${pkg}`,
    );
}

/** A writer that never stops: `yes` into a FIFO or a file, until the reader closes or the test kills it. */
function endlessWriter(target: string, append = false): ChildProcess {
  const w = spawn(
    'sh',
    ['-c', `exec yes 'deny tcp from any to any port 443' ${append ? '>>' : '>'} "$1"`, 'sh', target],
    {
      stdio: 'ignore',
    },
  );
  children.push(w);
  return w;
}

describe.runIf(process.platform === 'linux')('bounded reads (issue 19 item 5)', () => {
  test('/dev/zero as --rules stops at the cap with the cap in the message', { timeout: 30_000 }, async () => {
    const r = await run(['policy', '--rules', '/dev/zero', '--provider', 'cloudflare']);
    expect(r.killed).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/dev\/zero.*more than 8 MiB/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('/dev/zero as import stops at the cap, nothing imported', { timeout: 30_000 }, async () => {
    const r = await run(['import', '/dev/zero', '--db', path.join(dir, 'zero.db')]);
    expect(r.killed).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/dev\/zero.*more than 200 MiB/);
  });

  test('a FIFO with a writer that never stops, as --rules', { timeout: 30_000 }, async () => {
    needs('mkfifo', 'coreutils');
    const fifo = path.join(dir, 'rules.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = endlessWriter(fifo);
    const r = await run(['policy', '--rules', fifo, '--provider', 'cloudflare']);
    writer.kill('SIGKILL');
    expect(r.killed).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rules\.fifo.*more than 8 MiB/);
  });

  test('a file that grows while read never yields more than the cap', { timeout: 30_000 }, async () => {
    const file = path.join(dir, 'growing.txt');
    writeFileSync(file, '');
    const writer = endlessWriter(file, true);
    try {
      // Give the writer a head start, then read repeatedly while it keeps writing: each read either refuses with
      // the cap or returns at most the cap — never a larger text than the cap allows.
      await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < 5; i++) {
        try {
          expect(Buffer.byteLength(readTextFile(file, '--rules', 64 * 1024))).toBeLessThanOrEqual(64 * 1024);
        } catch (e) {
          expect(String((e as Error).message)).toMatch(/input\.file_too_big|more than/);
        }
      }
    } finally {
      writer.kill('SIGKILL');
    }
  });

  const originCheck = async (log: string): Promise<Run & { bundle: OriginBundle | null }> => {
    const r = await run(['origin-check', '--proc-root', PROC, '--log', log, '--json', '-']);
    return { ...r, bundle: r.code === 0 ? originBundleSchema.parse(JSON.parse(r.stdout)) : null };
  };

  test(
    'a sparse 200 MB log is read from its end with bounded memory; the tail is parsed',
    { timeout: 60_000 },
    async () => {
      needs('truncate', 'coreutils');
      const line = '2026/11/29 08:00:00 [error] 12#12: *1 upstream timed out (110: Connection timed out)\n';
      const small = path.join(dir, 'small.log');
      writeFileSync(small, line);
      const big = path.join(dir, 'error.log');
      expect(spawnSync('truncate', ['-s', '200M', big]).status).toBe(0);
      appendFileSync(big, '\n' + line);
      // The least of three peaks each: a loaded machine only ever adds to a peak.
      const peak = async (log: string): Promise<number> => {
        const peaks: number[] = [];
        for (let i = 0; i < 3; i++) {
          const r = await originCheck(log);
          expect(r.killed).toBe(false);
          expect(r.bundle?.errorLogs.find((l) => l.file === log)?.lines).toBe(1);
          peaks.push(r.peakKb);
        }
        return Math.min(...peaks);
      };
      const base = await peak(small);
      const grewKb = (await peak(big)) - base;
      // Reading the whole log would add ~200 MB; the tail is 1 MiB. 64 MB leaves room for a busy, loaded machine.
      expect(base).toBeGreaterThan(0);
      expect(grewKb).toBeLessThan(64 * 1024);
    },
  );

  test('a log that is not a regular file is skipped and named', { timeout: 30_000 }, async () => {
    const r = await originCheck('/dev/zero');
    expect(r.killed).toBe(false);
    expect(r.bundle?.unavailable).toContainEqual({ part: '/dev/zero', reason: 'ENOTREG' });
  });

  test('near miss: a normal file under the cap reads whole', () => {
    const file = path.join(dir, 'small.txt');
    const text = 'x'.repeat(1024 * 1024 - 1) + '\n';
    writeFileSync(file, text);
    expect(readTextFile(file, '--rules')).toBe(text);
    writeFileSync(file, text + 'y');
    expect(() => readTextFile(file, '--rules')).toThrow();
  });
});
