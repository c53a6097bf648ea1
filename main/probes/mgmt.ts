import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { MgmtData } from '../../shared/model/probe-data';
import { classifyConnectError } from './tcp';
import type { ProbeContext } from './types';

/**
 * Management paths, read-only and bounded: SSH's identification line (RFC 4253 §4.2) and RDP's X.224 connection
 * confirm with its negotiation response (MS-RDPBCGR 2.2.1.2). No authentication is ever attempted; the socket is
 * closed as soon as the server has said what it speaks.
 */

const MAX_BANNER = 255;

/** The X.224 Connection Request with an RDP negotiation request for TLS, CredSSP and CredSSP with early auth. */
export const RDP_CONNECTION_REQUEST = Buffer.from([
  0x03,
  0x00,
  0x00,
  0x13, // TPKT: version 3, length 19
  0x0e,
  0xe0,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00, // X.224 CR TPDU: length 14, CR, dst-ref, src-ref, class 0
  0x01,
  0x00,
  0x08,
  0x00,
  0x0b,
  0x00,
  0x00,
  0x00, // RDP_NEG_REQ: type 1, flags 0, length 8, SSL|HYBRID|HYBRID_EX
]);

const PROTOCOLS: Record<number, string> = {
  0: 'rdp',
  1: 'tls',
  2: 'credssp',
  4: 'rdstls',
  8: 'credssp_early_auth',
};
const FAILURES: Record<number, string> = {
  1: 'ssl_required_by_server',
  2: 'ssl_not_allowed_by_server',
  3: 'ssl_cert_not_on_server',
  4: 'inconsistent_flags',
  5: 'hybrid_required_by_server',
  6: 'ssl_with_user_auth_required_by_server',
};

/** Parses an SSH identification line: `SSH-protoversion-softwareversion SP comments`. */
export function parseSshBanner(
  line: string,
): { protocol: string; software: string; comments: string | null } | null {
  const m = /^SSH-([\d.]+)-(\S+)(?: (.*))?$/.exec(line.replace(/\r?\n$/, ''));
  if (!m) return null;
  return { protocol: m[1]!, software: m[2]!, comments: m[3] ?? null };
}

/** Parses the server's answer to RDP_CONNECTION_REQUEST. */
export function parseRdpConfirm(buf: Buffer): { selected: string | null; failure: string | null } | null {
  if (buf.length < 11 || buf[0] !== 0x03 || (buf[5]! & 0xf0) !== 0xd0) return null;
  if (buf.length < 19) return { selected: 'rdp', failure: null }; // no negotiation data: standard RDP security
  const type = buf[11];
  const value = buf.readUInt32LE(15);
  if (type === 0x02) return { selected: PROTOCOLS[value] ?? `0x${value.toString(16)}`, failure: null };
  if (type === 0x03) return { selected: null, failure: FAILURES[value] ?? `0x${value.toString(16)}` };
  return null;
}

/** Connects, optionally writes, and collects what the server sends until `enough` says so or the deadline. */
function exchange(
  address: string,
  port: number,
  send: Buffer | null,
  enough: (buf: Buffer) => boolean,
  ctx: ProbeContext,
): Promise<{
  outcome: MgmtData['outcome'];
  code: string | null;
  ms: number;
  connectMs: number | null;
  data: Buffer;
}> {
  return new Promise((resolve) => {
    const start = performance.now();
    let connectMs: number | null = null;
    let data = Buffer.alloc(0);
    let settled = false;
    const socket = net.connect({ host: address, port, noDelay: true });
    const finish = (outcome: MgmtData['outcome'], code: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ outcome, code, ms: Math.round((performance.now() - start) * 1000) / 1000, connectMs, data });
    };
    const timer = setTimeout(() => finish(connectMs === null ? 'timeout' : 'silent', null), ctx.timeoutMs);
    const onAbort = (): void => finish('cancelled', null);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('connect', () => {
      connectMs = Math.round((performance.now() - start) * 1000) / 1000;
      if (send) socket.write(send);
    });
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]).subarray(0, 4096);
      if (enough(data)) finish('answered', null);
    });
    socket.on('end', () => finish(connectMs === null ? 'error' : data.length ? 'answered' : 'closed', null));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      const c = classifyConnectError(e.code);
      finish(
        connectMs !== null && c === 'reset' ? 'closed' : c === 'connected' ? 'error' : c,
        e.code ?? null,
      );
    });
    if (ctx.signal.aborted) onAbort();
  });
}

export async function sshProbe(address: string, port: number, ctx: ProbeContext): Promise<MgmtData> {
  const r = await exchange(address, port, null, (b) => b.includes(0x0a) || b.length >= MAX_BANNER, ctx);
  // Servers may send other lines before the identification line (RFC 4253): take the first SSH- line.
  const lines = r.data.toString('latin1').split('\n');
  const line = lines.find((l) => l.startsWith('SSH-')) ?? null;
  const banner = line ? line.replace(/\r$/, '').slice(0, MAX_BANNER) : null;
  const parsed = banner ? parseSshBanner(banner) : null;
  return {
    service: 'ssh',
    address,
    port,
    outcome: r.outcome === 'answered' && !parsed ? 'not_ssh' : r.outcome,
    code: r.code,
    ms: r.ms,
    connectMs: r.connectMs,
    banner,
    sshProtocol: parsed?.protocol ?? null,
    sshSoftware: parsed?.software ?? null,
    rdpSelected: null,
    rdpFailure: null,
  };
}

export async function rdpProbe(address: string, port: number, ctx: ProbeContext): Promise<MgmtData> {
  const r = await exchange(
    address,
    port,
    RDP_CONNECTION_REQUEST,
    (b) => b.length >= 4 && b.length >= b.readUInt16BE(2),
    ctx,
  );
  const parsed = r.outcome === 'answered' ? parseRdpConfirm(r.data) : null;
  return {
    service: 'rdp',
    address,
    port,
    outcome: r.outcome === 'answered' && !parsed ? 'not_rdp' : r.outcome,
    code: r.code,
    ms: r.ms,
    connectMs: r.connectMs,
    banner: null,
    sshProtocol: null,
    sshSoftware: null,
    rdpSelected: parsed?.selected ?? null,
    rdpFailure: parsed?.failure ?? null,
  };
}
