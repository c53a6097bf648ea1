import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Endpoint } from '../../shared/model/report';
import type { TcpAttempt, TcpData, TcpOutcome, TcpStats } from '../../shared/model/probe-data';
import { delay, remainingMs, type ProbeContext } from './types';
import { maxOf, minOf } from '../../shared/util/arrays';

export interface TcpOptions {
  readonly attempts: number;
  /** Time between the starts of two attempts, like ping: attempts overlap when the target is silent. */
  readonly intervalMs: number;
  /** How long a connected socket is held to see whether the peer resets it at once. */
  readonly holdMs: number;
}

export const DEFAULT_TCP_OPTIONS: TcpOptions = { attempts: 4, intervalMs: 150, holdMs: 100 };

/**
 * Maps the errno of a failed connect to what happened on the wire.
 * - ECONNREFUSED: an RST answered the SYN (nothing listening, or REJECT --reject-with tcp-reset), or an
 *   ICMP port-unreachable, which Linux reports the same way.
 * - EHOSTUNREACH / ENETUNREACH: an ICMP unreachable from a router or the host (including REJECT with
 *   icmp-host-unreachable or icmp-admin-prohibited), or no local route at all.
 * - EACCES: Linux's errno for ICMPv6 "administratively prohibited" (ip6tables REJECT icmp6-adm-prohibited).
 * - EPERM: our own kernel refused to send (a local firewall's OUTPUT rule): an error here, not there.
 * - ETIMEDOUT: the kernel gave up retransmitting SYNs: silence, which is what a DROP looks like.
 */
export function classifyConnectError(code: string | undefined): TcpOutcome {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
    case 'EACCES':
      return 'unreachable';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    default:
      return 'error';
  }
}

/** One TCP connect: the outcome is what the socket really did within the deadline. */
export function tcpAttempt(
  ep: Pick<Endpoint, 'address' | 'port' | 'family'>,
  seq: number,
  timeoutMs: number,
  holdMs: number,
  signal: AbortSignal,
): Promise<TcpAttempt> {
  return new Promise((resolve) => {
    let start = performance.now();
    const elapsed = (): number => Math.round((performance.now() - start) * 1000) / 1000;
    let connectedMs: number | null = null;
    let settled = false;
    const socket = new net.Socket();
    const finish = (outcome: TcpOutcome, code: string | null, ms: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(hold);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ seq, outcome, ms, code });
    };
    const onAbort = (): void =>
      finish(
        connectedMs === null ? 'error' : 'connected',
        connectedMs === null ? 'ECANCELLED' : null,
        connectedMs ?? elapsed(),
      );
    let hold: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      if (connectedMs === null) finish('timeout', null, elapsed());
      else finish('connected', null, connectedMs);
    }, timeoutMs);
    socket.once('connect', () => {
      connectedMs = elapsed();
      hold = setTimeout(() => finish('connected', null, connectedMs!), holdMs);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (connectedMs !== null) {
        // Accepted, then reset before we closed: a middlebox or the service killing the connection.
        finish(
          classifyConnectError(err.code) === 'reset' ? 'reset' : 'connected',
          err.code ?? null,
          connectedMs,
        );
      } else {
        finish(classifyConnectError(err.code), err.code ?? null, elapsed());
      }
    });
    socket.on('data', () => undefined); // Banners are read and dropped; the protocol probes look at them.
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    start = performance.now(); // the clock starts at connect(), as curl's time_connect does
    socket.connect({ host: ep.address, port: ep.port, family: ep.family, autoSelectFamily: false });
  });
}

/** min / avg / max / population stddev of the connected attempts, and the loss in percent. */
export function tcpStats(attempts: readonly TcpAttempt[]): TcpStats {
  const rtts = attempts.filter((a) => a.outcome === 'connected').map((a) => a.ms);
  const sent = attempts.length;
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  if (rtts.length === 0) {
    return {
      sent,
      connected: 0,
      lossPct: sent === 0 ? 0 : 100,
      minMs: null,
      avgMs: null,
      maxMs: null,
      stddevMs: null,
    };
  }
  const avg = rtts.reduce((s, v) => s + v, 0) / rtts.length;
  const variance = rtts.reduce((s, v) => s + (v - avg) ** 2, 0) / rtts.length;
  return {
    sent,
    connected: rtts.length,
    lossPct: round(((sent - rtts.length) / sent) * 100),
    minMs: round(minOf(rtts)),
    avgMs: round(avg),
    maxMs: round(maxOf(rtts)),
    stddevMs: round(Math.sqrt(variance)),
  };
}

/**
 * A tcping series against one endpoint: attempts start every interval and each has the full timeout, or what
 * remains of the caller's deadline when it set one (a watch round).
 */
export async function tcpProbe(ep: Endpoint, options: TcpOptions, ctx: ProbeContext): Promise<TcpData> {
  const pending: Promise<TcpAttempt>[] = [];
  for (let i = 0; i < options.attempts && !ctx.signal.aborted; i++) {
    if (i > 0) await delay(options.intervalMs, ctx.signal);
    if (ctx.signal.aborted) break;
    pending.push(
      tcpAttempt(ep, i + 1, remainingMs(ctx), options.holdMs, ctx.signal).then((a) => {
        ctx.onProgress({
          kind: 'attempt',
          index: a.seq,
          total: options.attempts,
          outcome: a.outcome,
          ms: a.ms,
        });
        return a;
      }),
    );
  }
  const attempts = await Promise.all(pending);
  return {
    address: ep.address,
    port: ep.port,
    family: ep.family,
    url: ep.url,
    attempts,
    stats: tcpStats(attempts),
  };
}

/** Text like tcping's for the raw evidence. */
export function formatTcpRaw(data: TcpData): string {
  const host = data.family === 6 ? `[${data.address}]` : data.address;
  const lines = data.attempts.map(
    (a) =>
      `seq=${a.seq} ${host}:${data.port} ${a.outcome}${a.code ? ` (${a.code})` : ''} ${a.ms.toFixed(3)} ms`,
  );
  const s = data.stats;
  lines.push(
    `${s.sent} attempts, ${s.connected} connected, ${s.lossPct}% failed` +
      (s.avgMs === null
        ? ''
        : `, rtt min/avg/max/stddev = ${s.minMs}/${s.avgMs}/${s.maxMs}/${s.stddevMs} ms`),
  );
  return lines.join('\n');
}
