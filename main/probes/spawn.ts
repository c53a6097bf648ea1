import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** Directories searched after PATH: system tools live in sbin, which a desktop app's PATH often lacks. */
const EXTRA_DIRS: Record<string, string[]> = {
  linux: ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/local/bin'],
  darwin: [
    '/usr/sbin',
    '/sbin',
    '/usr/bin',
    '/usr/local/sbin',
    '/usr/local/bin',
    '/opt/homebrew/sbin',
    '/opt/homebrew/bin',
  ],
  win32: ['C:\\Windows\\System32'],
};

/** The absolute path of an executable, or null when it is not installed. Never goes through a shell. */
export function findExecutable(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  systemDirs = true,
): string | null {
  const dirs = [
    ...(env.PATH ?? env.Path ?? '').split(path.delimiter),
    ...(systemDirs ? (EXTRA_DIRS[platform] ?? []) : []),
  ].filter((d) => d !== '' && path.isAbsolute(d));
  const names = platform === 'win32' ? [`${name}.exe`, name] : [name];
  for (const dir of dirs) {
    for (const n of names) {
      const candidate = path.join(dir, n);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

export interface SpawnOutcome {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly exitCode: number | null;
  /** Why the process was killed by us, if it was. */
  readonly killed: 'deadline' | 'cancelled' | null;
  readonly spawnError: string | null;
  /** The output passed the cap and was cut: what is in `stdout` is a part only, never to be read as the whole. */
  readonly truncated: boolean;
}

const MAX_OUTPUT = 1024 * 1024;

/**
 * Runs a tool with an argument array (no shell), a deadline and cancellation. On POSIX the child leads a
 * process group of its own, so killing the group also kills helpers it started; on Windows `taskkill /T`
 * kills the tree. Output is capped at `maxOutput` (1 MiB by default); a cut output says so (`truncated`).
 */
export function runTool(
  file: string,
  args: readonly string[],
  opts: {
    deadlineMs: number;
    signal: AbortSignal;
    env?: NodeJS.ProcessEnv;
    onLine?: (line: string) => void;
    maxOutput?: number;
  },
): Promise<SpawnOutcome> {
  const maxOutput = opts.maxOutput ?? MAX_OUTPUT;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let killed: SpawnOutcome['killed'] = null;
    let settled = false;
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(file, args, {
        env: opts.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: process.platform !== 'win32',
        windowsHide: true,
      });
    } catch (e) {
      // Some failures (a path through a file: ENOTDIR; a bad argument) are thrown, not emitted.
      const err = e as NodeJS.ErrnoException;
      resolve({
        stdout: Buffer.alloc(0),
        stderr: '',
        exitCode: null,
        killed: null,
        spawnError: err.code ?? err.message,
        truncated: false,
      });
      return;
    }
    const killTree = (why: 'deadline' | 'cancelled'): void => {
      if (killed || child.exitCode !== null || child.pid === undefined) return;
      killed = why;
      try {
        if (process.platform === 'win32') {
          spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
        } else {
          process.kill(-child.pid, 'SIGKILL');
        }
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => killTree('deadline'), opts.deadlineMs);
    const onAbort = (): void => killTree('cancelled');
    opts.signal.addEventListener('abort', onAbort, { once: true });
    let partial = '';
    child.stdout.on('data', (b: Buffer) => {
      if (size < maxOutput) chunks.push(b.subarray(0, maxOutput - size));
      size += b.length;
      if (opts.onLine) {
        partial += b.toString('utf8');
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) opts.onLine(l);
      }
    });
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += b.toString('utf8');
    });
    const done = (exitCode: number | null, spawnError: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      resolve({
        stdout: Buffer.concat(chunks),
        stderr,
        exitCode,
        killed,
        spawnError,
        truncated: size > maxOutput,
      });
    };
    child.on('error', (err: NodeJS.ErrnoException) => done(null, err.code ?? err.message));
    child.on('close', (code) => done(code, null));
    if (opts.signal.aborted) onAbort();
  });
}

/**
 * Decodes a tool's output. Windows tools print in the console code page (GBK / CP936 on a Chinese system),
 * not UTF-8, so text that is not valid UTF-8 is decoded as GB18030, a superset of GBK.
 */
export function decodeToolOutput(buf: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    try {
      return new TextDecoder('gb18030').decode(buf);
    } catch {
      return buf.toString('latin1');
    }
  }
}
