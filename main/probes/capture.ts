import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { CaptureData } from '../../shared/model/probe-data';
import { readCapture } from '../capture/pcap';
import { LINK_TYPES, normalizeAddress } from '../capture/packet';
import { buildTimeline, type TimelineTarget } from '../capture/timeline';
import { findExecutable } from './spawn';

/**
 * Packet capture of the session's own probe traffic: tcpdump (Linux, macOS) or Wireshark's dumpcap, started with an
 * argument array and a filter that admits only TCP to the probed endpoints and the ICMP errors that could be about
 * them. What it cannot do is said plainly (tool missing, no privileges), never papered over.
 */

/** Captures larger than this keep their timeline but not the file itself. */
export const MAX_PCAP_BYTES = 16 * 1024 * 1024;
/** Bytes read from the tool at most; the rest is drained and counted. */
const MAX_READ_BYTES = 64 * 1024 * 1024;

export interface CaptureOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly platform?: NodeJS.Platform;
  /** Interface to capture on; `any` on Linux and macOS by default. */
  readonly iface?: string;
  /** How long to wait for the tool to say it is listening. */
  readonly readyMs?: number;
  /** Finds a tool by name (PATH, then the system's sbin directories); injected by tests. */
  readonly find?: (name: string) => string | null;
}

export interface RunningCapture {
  /** Stops the tool, reads the file and returns the capture with its timeline. Safe to call once. */
  stop(): Promise<CaptureData>;
}

/** The BPF filter: TCP to the endpoints, plus ICMP / ICMPv6 unreachable and time-exceeded (they quote our SYNs). */
export function captureFilter(targets: readonly TimelineTarget[]): string {
  const pairs = [
    ...new Set(targets.map((t) => `host ${normalizeAddress(t.address)} and tcp port ${t.port}`)),
  ];
  const tcp = pairs.length > 0 ? `(${pairs.map((p) => `(${p})`).join(' or ')})` : 'tcp';
  const v4 = targets.some((t) => !t.address.includes(':'));
  const v6 = targets.some((t) => t.address.includes(':'));
  const icmp = [
    ...(v4 ? ['(icmp and (icmp[0] == 3 or icmp[0] == 11))'] : []),
    ...(v6 ? ['(icmp6 and (ip6[40] == 1 or ip6[40] == 3))'] : []),
  ];
  return [tcp, ...icmp].join(' or ');
}

function unavailable(
  filter: string,
  problem: CaptureData['problem'],
  detail: string | null,
  tool: string | null,
): CaptureData {
  return {
    tool,
    interface: null,
    filter,
    problem,
    detail,
    linkType: null,
    packets: 0,
    bytes: 0,
    sha256: null,
    pcap: null,
    endpoints: [],
  };
}

/** Starts a capture; when none is possible the returned capture's `stop()` says why. */
export async function startCapture(
  targets: readonly TimelineTarget[],
  options: CaptureOptions = {},
): Promise<RunningCapture> {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const filter = captureFilter(targets);
  const done = (data: CaptureData): RunningCapture => ({ stop: async () => data });
  const find = options.find ?? ((name: string) => findExecutable(name, env, platform));
  const tcpdump = platform === 'win32' ? null : find('tcpdump');
  const dumpcap = tcpdump ? null : find('dumpcap');
  const tool = tcpdump ?? dumpcap;
  if (!tool)
    return done(unavailable(filter, 'not_installed', platform === 'win32' ? 'dumpcap' : 'tcpdump', null));
  const iface = options.iface ?? (platform === 'win32' ? null : 'any');
  // The file goes to stdout: no temporary file for a tool that drops privileges (Debian's tcpdump runs as the
  // `tcpdump` user after opening the interface) to be unable to write.
  const args = tcpdump
    ? ['-i', iface ?? 'any', '--immediate-mode', '-U', '-n', '-s', '65535', '-w', '-', filter]
    : [...(iface ? ['-i', iface] : []), '-q', '-P', '-s', '65535', '-w', '-', '-f', filter];
  let child: ChildProcess;
  try {
    child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  } catch (err) {
    return done(unavailable(filter, 'failed', (err as Error).message, tool));
  }
  const chunks: Buffer[] = [];
  let size = 0;
  child.stdout?.on('data', (b: Buffer) => {
    if (size < MAX_READ_BYTES) chunks.push(b);
    size += b.length;
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    if (stderr.length < 8192) stderr += b.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      stderr += err.message;
      resolve();
    });
  });
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), options.readyMs ?? 3000);
    const check = (): void => {
      if (/listening on|Capturing on/i.test(stderr)) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stderr?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(/listening on|Capturing on/i.test(stderr));
    });
  });
  const name = path.basename(tool);
  if (!ready) {
    child.kill('SIGKILL');
    await exited;
    const denied = /permission|not permitted|privilege|access denied/i.test(stderr);
    return done(unavailable(filter, denied ? 'not_permitted' : 'failed', lastLine(stderr), name));
  }
  let stopped: Promise<CaptureData> | null = null;
  return {
    stop() {
      stopped ??= (async () => {
        // Late answers (an ICMP error, a retransmitted RST) get a moment to arrive, then the tool is asked to
        // finish its file; it is killed if it does not.
        await new Promise((r) => setTimeout(r, 200));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(timer);
        return captureData(Buffer.concat(chunks), size, { filter, tool: name, iface }, targets);
      })();
      return stopped;
    },
  };
}

/** A capture's bytes as the session's capture record: the timeline always, the bytes when small enough. */
export function captureData(
  bytes: Buffer,
  size: number,
  how: { filter: string; tool: string | null; iface: string | null },
  targets: readonly TimelineTarget[],
): CaptureData {
  const parsed = readCapture(bytes);
  const tooLarge = size > MAX_PCAP_BYTES;
  // A framing this reader does not know (macOS's PKTAP, say): the file is kept for Wireshark, and that is said.
  const linkType = parsed.frames[0]?.linkType ?? null;
  const unknownLink = linkType !== null && LINK_TYPES[linkType] === undefined;
  const unreadable = (parsed.problem !== null && parsed.frames.length === 0) || unknownLink;
  return {
    tool: how.tool,
    interface: how.iface,
    filter: how.filter,
    problem: tooLarge ? 'too_large' : unreadable ? 'unreadable' : null,
    detail: tooLarge
      ? String(size)
      : unknownLink
        ? `link type ${linkType} is not read here; open the pcap in Wireshark`
        : parsed.problem,
    linkType: parsed.frames[0]?.linkType ?? null,
    packets: parsed.frames.length,
    bytes: size,
    sha256: tooLarge ? null : createHash('sha256').update(bytes).digest('hex'),
    pcap: tooLarge ? null : bytes.toString('base64'),
    endpoints: buildTimeline(parsed.frames, targets),
    ...(parsed.framesNotRead > 0 ? { framesNotRead: parsed.framesNotRead } : {}),
  };
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? ''
  ).slice(0, 300);
}
