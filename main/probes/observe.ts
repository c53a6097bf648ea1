import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Observation } from '../../shared/model/origin-bundle';
import { readBounded, readTailBounded } from '../adapters/bounded-read';
import { observeFilter, observeSyns } from '../capture/observe';
import { readCapture } from '../capture/pcap';
import {
  counterRises,
  parseIptablesCounters,
  parseNftCounters,
  type RuleCounter,
} from '../origin/firewall-counters';
import { parseFirewallLog, summariseFirewallLog } from '../origin/firewall-log';
import { countConntrackFull } from '../origin/parsers';
import { parseProcNetstat } from './origin-collect';
import { decodeToolOutput, findExecutable, runTool } from './spawn';
import { appendAll } from '../../shared/util/arrays';

/**
 * `origin-check --observe SECONDS`: watches the provider's own connection attempts on the origin for a bounded
 * window. tcpdump records the handshakes (SYN, SYN-ACK, RST, ICMP errors only); the firewall's packet counters,
 * the kernel's conntrack "table full" messages and TcpExt ListenOverflows / ListenDrops are read at the start and
 * at the end; the kernel firewall log is read at the end for the window and the hour before it. Read-only. The
 * caller's signal (Ctrl-C) ends the window early and keeps what was seen; the closing reads still run (each under
 * its own short deadline), so the run never exceeds its bound by more than a few seconds.
 */

export interface ObserveOptions {
  readonly seconds: number;
  readonly ports: readonly number[];
  readonly ranges: readonly string[];
  /** Ends the window early (Ctrl-C); what was seen is kept. */
  readonly signal: AbortSignal;
  readonly now: () => Date;
  readonly env?: NodeJS.ProcessEnv;
  readonly procRoot?: string;
  /** Interface to capture on (`any` by default). */
  readonly iface?: string;
  /** Reports that the window is open (tests start their traffic then). */
  readonly onWindowOpen?: () => void;
}

/** Each closing read (iptables-save, nft, dmesg, journalctl) gets at most this long. */
const READ_DEADLINE_MS = 5000;
/** tcpdump must say it listens within this long. */
const READY_MS = 5000;
/** The capture bytes read at most; the rest is counted as frames not followed. */
const MAX_CAPTURE_BYTES = 64 * 1024 * 1024;
/** Late answers (an ICMP error, a retransmitted RST) get this long after the window before tcpdump stops. */
const LATE_ANSWER_MS = 300;
const LOG_FILES = ['/var/log/kern.log', '/var/log/ufw.log'];
const LOG_TAIL = 4 * 1024 * 1024;

interface Collected {
  needsRoot: Set<string>;
  unavailable: { part: string; reason: string }[];
}

export async function runObservation(opts: ObserveOptions): Promise<Observation> {
  const env = opts.env ?? process.env;
  const procRoot = opts.procRoot ?? '/proc';
  const c: Collected = { needsRoot: new Set(), unavailable: [] };
  const filter = observeFilter(opts.ports);
  const startedAt = opts.now();

  const countersBefore = await readCounters(env, c);
  const netstatBefore = readNetstat(procRoot);
  const dmesgBefore = await readDmesg(env, c);

  const tcpdump = findExecutable('tcpdump', env);
  const iface = opts.iface ?? 'any';
  let capture: Observation['capture'] = {
    tool: tcpdump ? 'tcpdump' : null,
    interface: tcpdump ? iface : null,
    filter,
    problem: tcpdump ? null : 'not_installed',
    detail: tcpdump ? null : 'tcpdump',
    packets: 0,
    notFollowed: 0,
  };
  const started = tcpdump ? await startTcpdump(tcpdump, iface, filter) : null;
  if (started && 'problem' in started) {
    capture = { ...capture, problem: started.problem, detail: started.detail };
    if (started.problem === 'not_permitted') c.needsRoot.add('packet capture (tcpdump)');
  }
  const t0 = Date.now();
  opts.onWindowOpen?.();
  const endedEarly = await waitWindow(opts.seconds * 1000, opts.signal);
  const durationMs = Date.now() - t0;

  let rows: Observation['rows'] = [];
  if (started && 'child' in started) {
    const bytes = await started.stop();
    const parsed = readCapture(bytes.data);
    const syns = observeSyns(parsed.frames, opts.ranges, opts.ports, Date.now() / 1000);
    rows = syns.rows;
    capture = {
      ...capture,
      packets: parsed.frames.length,
      notFollowed: syns.notFollowed + parsed.framesNotRead,
      ...(parsed.problem && parsed.frames.length === 0 && bytes.data.length > 0
        ? { problem: 'unreadable' as const, detail: parsed.problem }
        : {}),
    };
    if (bytes.cut) capture = { ...capture, detail: `capture cut at ${MAX_CAPTURE_BYTES} bytes` };
  }

  const countersAfter = countersBefore ? await readCounters(env, c) : null;
  const netstatAfter = readNetstat(procRoot);
  const dmesgAfter = dmesgBefore !== null ? await readDmesg(env, c) : null;
  const firewallLog = await readFirewallLogs(env, c, opts, startedAt);

  return {
    startedAt: startedAt.toISOString(),
    seconds: opts.seconds,
    durationMs,
    endedEarly,
    ranges: [...opts.ranges],
    ports: [...opts.ports],
    capture,
    rows,
    counters:
      countersBefore && countersAfter
        ? {
            sources: [...new Set(countersAfter.map((r) => r.source))],
            rose: counterRises(countersBefore, countersAfter),
          }
        : null,
    conntrackFullDelta:
      dmesgBefore !== null && dmesgAfter !== null
        ? Math.max(0, (countConntrackFull(dmesgAfter) ?? 0) - (countConntrackFull(dmesgBefore) ?? 0))
        : null,
    listenQueueDelta:
      netstatBefore && netstatAfter
        ? {
            overflows: netstatAfter.overflows - netstatBefore.overflows,
            drops: netstatAfter.drops - netstatBefore.drops,
          }
        : null,
    firewallLog,
    needsRoot: [...c.needsRoot],
    unavailable: c.unavailable,
  };
}

async function tool(
  env: NodeJS.ProcessEnv,
  name: string,
  args: string[],
): Promise<{ out: string; code: number | null; stderr: string } | null> {
  const file = findExecutable(name, env);
  if (!file) return null;
  // Not the caller's signal: Ctrl-C ends the window, and the closing reads must still run.
  const r = await runTool(file, args, {
    deadlineMs: READ_DEADLINE_MS,
    signal: new AbortController().signal,
    env: { ...env, LC_ALL: 'C' },
    maxOutput: 32 * 1024 * 1024,
  });
  if (r.spawnError || r.truncated || r.killed) return null;
  return { out: decodeToolOutput(r.stdout), code: r.exitCode, stderr: r.stderr };
}

/** iptables-save -c / ip6tables-save -c when they hold rules, else nft -a list ruleset; null when unreadable. */
async function readCounters(env: NodeJS.ProcessEnv, c: Collected): Promise<RuleCounter[] | null> {
  if (process.platform !== 'linux') {
    c.unavailable.push({ part: 'firewall counters', reason: 'read on Linux only (iptables, nftables)' });
    return null;
  }
  const out: RuleCounter[] = [];
  let denied = false;
  let read = false;
  for (const [name, source] of [
    ['iptables-save', 'iptables-save -c'],
    ['ip6tables-save', 'ip6tables-save -c'],
  ] as const) {
    const r = await tool(env, name, ['-c']);
    if (!r) continue;
    if (r.code !== 0) {
      denied = true;
      continue;
    }
    read = true;
    const rules = parseIptablesCounters(r.out, source);
    if (rules && rules.some((x) => x.position > 0)) appendAll(out, rules);
  }
  if (out.length === 0) {
    const r = await tool(env, 'nft', ['-a', 'list', 'ruleset']);
    if (r && r.code !== 0) denied = true;
    else if (r) {
      read = true;
      appendAll(out, parseNftCounters(r.out, 'nft -a list ruleset') ?? []);
    }
  }
  if (denied && out.length === 0) {
    c.needsRoot.add('firewall counters');
    return null;
  }
  if (!read) {
    c.unavailable.push({ part: 'firewall counters', reason: 'no iptables-save or nft' });
    return null;
  }
  return out;
}

function readNetstat(procRoot: string): { overflows: number; drops: number } | null {
  try {
    const r = readBounded(path.join(procRoot, 'net', 'netstat'), 1024 * 1024, 1000);
    return r.kind === 'ok' ? parseProcNetstat(r.bytes.toString('utf8')) : null;
  } catch {
    return null;
  }
}

/** The kernel log with wall-clock times; null when it may not be read (kernel.dmesg_restrict). */
async function readDmesg(env: NodeJS.ProcessEnv, c: Collected): Promise<string | null> {
  const r = await tool(env, 'dmesg', ['--time-format=iso']);
  if (!r) return null;
  if (r.code !== 0) {
    c.needsRoot.add('kernel log (dmesg)');
    return null;
  }
  return r.out;
}

/**
 * Firewall log lines of the window and the hour before it: from the journal's kernel messages, else dmesg, else
 * kern.log / ufw.log (the same lines, so the first source that has any is used).
 */
async function readFirewallLogs(
  env: NodeJS.ProcessEnv,
  c: Collected,
  opts: ObserveOptions,
  startedAt: Date,
): Promise<Observation['firewallLog']> {
  const now = opts.now();
  const since = new Date(startedAt.getTime() - 3600_000);
  const readable: string[] = [];
  const candidates: { name: string; read: () => Promise<string | null> }[] = [
    {
      name: 'journalctl -k',
      read: async () => {
        const r = await tool(env, 'journalctl', [
          '-k',
          '-q',
          '--no-pager',
          '-o',
          'short-iso',
          '--since',
          '-1h',
        ]);
        return r && r.code === 0 ? r.out : null;
      },
    },
    { name: 'dmesg', read: () => readDmesg(env, c) },
    ...LOG_FILES.map((file) => ({
      name: file,
      read: async () => {
        try {
          return readTailBounded(file, LOG_TAIL).bytes.toString('utf8');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EACCES') c.needsRoot.add(`kernel log ${file}`);
          return null;
        }
      },
    })),
  ];
  for (const cand of candidates) {
    const text = await cand.read();
    if (text === null) continue;
    readable.push(cand.name);
    const entries = parseFirewallLog(text, now);
    if (entries) return summariseFirewallLog([{ name: cand.name, entries }], opts.ranges, since);
  }
  if (readable.length === 0) {
    c.unavailable.push({ part: 'firewall log', reason: 'no kernel log could be read' });
    return null;
  }
  return summariseFirewallLog(
    readable.map((name) => ({ name, entries: [] })),
    opts.ranges,
    since,
  );
}

/** Resolves true when the signal ended the window early. */
function waitWindow(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

type Started =
  | { child: ChildProcess; stop: () => Promise<{ data: Uint8Array; cut: boolean }> }
  | { problem: 'not_permitted' | 'failed'; detail: string };

/**
 * tcpdump writing pcap to its stdout (no file for a tool that drops privileges to write), a short snap length
 * (headers are all that is read), and the filter above. Stopped with SIGTERM, killed if it does not finish.
 */
async function startTcpdump(file: string, iface: string, filter: string): Promise<Started> {
  let child: ChildProcess;
  try {
    child = spawn(file, ['-i', iface, '--immediate-mode', '-U', '-n', '-s', '256', '-w', '-', filter], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    return { problem: 'failed', detail: (e as Error).message };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  child.stdout!.on('data', (b: Buffer) => {
    if (size < MAX_CAPTURE_BYTES) chunks.push(b.subarray(0, MAX_CAPTURE_BYTES - size));
    size += b.length;
  });
  let stderr = '';
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', (e) => {
      stderr += e.message;
      resolve();
    });
  });
  child.stderr!.on('data', (b: Buffer) => {
    if (stderr.length < 8192) stderr += b.toString();
  });
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), READY_MS);
    const check = (): void => {
      if (/listening on/i.test(stderr)) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stderr!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(/listening on/i.test(stderr));
    });
  });
  if (!ready) {
    child.kill('SIGKILL');
    await exited;
    const last =
      stderr
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .at(-1) ?? '';
    return {
      problem: /permission|not permitted|privilege/i.test(stderr) ? 'not_permitted' : 'failed',
      detail: last.slice(0, 300),
    };
  }
  return {
    child,
    stop: async () => {
      await new Promise((r) => setTimeout(r, LATE_ANSWER_MS));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
      return { data: Buffer.concat(chunks), cut: size > MAX_CAPTURE_BYTES };
    },
  };
}
