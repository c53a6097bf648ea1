import type { CaptureConnection, CaptureEndpoint, CaptureEvent } from '../../shared/model/probe-data';
import { decodeFrame, normalizeAddress, TCP_FLAGS, type Packet } from './packet';
import type { Frame } from './pcap';

/**
 * The handshake timeline of every probe connection in a capture: SYNs and their retransmissions with the back-off,
 * SYN-ACK, RST (and who sent it), ICMP errors quoting the connection (and who sent them), TLS records
 * (ClientHello with SNI, ServerHello with the version, alerts with their description) and the first HTTP bytes,
 * each at its offset from the connection's first SYN. Then a summary per endpoint that the diagnosis reads.
 * Pure: packets in, timeline out.
 */

export interface TimelineTarget {
  readonly url: string;
  readonly address: string;
  readonly port: number;
}

/** Bounds: a diagnostic record, not a trace file (the pcap keeps everything). */
export const MAX_CONNECTIONS_PER_ENDPOINT = 40;
export const MAX_EVENTS_PER_CONNECTION = 40;

export const ICMP_NAMES_V4: Record<number, string> = {
  0: 'net_unreachable',
  1: 'host_unreachable',
  2: 'protocol_unreachable',
  3: 'port_unreachable',
  4: 'frag_needed',
  6: 'net_unknown',
  7: 'host_unknown',
  9: 'net_prohibited',
  10: 'host_prohibited',
  13: 'admin_prohibited',
};

export const ICMP_NAMES_V6: Record<number, string> = {
  0: 'no_route',
  1: 'admin_prohibited',
  3: 'address_unreachable',
  4: 'port_unreachable',
  5: 'policy_failed',
  6: 'reject_route',
};

/** RFC 8446 / 5246 alert descriptions. */
export const TLS_ALERTS: Record<number, string> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  22: 'record_overflow',
  40: 'handshake_failure',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

const TLS_VERSION_NAMES: Record<number, string> = {
  0x0304: 'TLSv1.3',
  0x0303: 'TLSv1.2',
  0x0302: 'TLSv1.1',
  0x0301: 'TLSv1',
};

interface Stream {
  /** Sequence number of the stream's first byte (ISN + 1), once the SYN is seen. */
  base: number | null;
  /** Offset of the next TLS record header, or -1 when the stream is not (or no longer) readable as TLS. */
  nextRecord: number;
  mode: 'unknown' | 'tls' | 'plain' | 'done';
  seen: Set<number>;
}

interface Conn {
  readonly target: TimelineTarget;
  readonly clientPort: number;
  readonly isn: number;
  readonly start: number;
  readonly events: CaptureEvent[];
  eventsDropped: number;
  lastSyn: number;
  synAcked: boolean;
  firstAnswer: 'syn_ack' | 'rst' | 'icmp' | null;
  readonly out: Stream;
  readonly in: Stream;
}

function newStream(): Stream {
  return { base: null, nextRecord: 0, mode: 'unknown', seen: new Set() };
}

const ms = (s: number): number => Math.round(s * 1e6) / 1e3;

/** Builds the per-endpoint timeline from a capture's frames. */
export function buildTimeline(
  frames: readonly Frame[],
  targets: readonly TimelineTarget[],
): CaptureEndpoint[] {
  const norm = targets.map((t) => ({ ...t, key: `${normalizeAddress(t.address)}|${t.port}` }));
  const byKey = new Map(norm.map((t) => [t.key, t]));
  const conns = new Map<string, Conn>();
  const all = new Map<string, Conn[]>(norm.map((t) => [t.url, []]));
  const t0 = frames[0]?.time ?? 0;

  const push = (c: Conn, p: Packet, e: Omit<CaptureEvent, 't'>): void => {
    if (c.events.length >= MAX_EVENTS_PER_CONNECTION) {
      c.eventsDropped++;
      return;
    }
    c.events.push({ t: ms(p.time - c.start), ...e });
  };

  for (const frame of frames) {
    const p = decodeFrame(frame);
    if (!p) continue;
    if (p.tcp) {
      const outKey = `${p.dst}|${p.tcp.dport}`;
      const inKey = `${p.src}|${p.tcp.sport}`;
      const outTarget = byKey.get(outKey);
      const inTarget = outTarget ? undefined : byKey.get(inKey);
      const target = outTarget ?? inTarget;
      if (!target) continue;
      const clientPort = outTarget ? p.tcp.sport : p.tcp.dport;
      const connKey = `${target.url}|${clientPort}`;
      const f = p.tcp.flags;
      let c = conns.get(connKey);
      if (outTarget && f & TCP_FLAGS.syn && !(f & TCP_FLAGS.ack)) {
        if (!c || c.isn !== p.tcp.seq) {
          c = {
            target,
            clientPort,
            isn: p.tcp.seq,
            start: p.time,
            events: [],
            eventsDropped: 0,
            lastSyn: p.time,
            synAcked: false,
            firstAnswer: null,
            out: newStream(),
            in: newStream(),
          };
          c.out.base = (p.tcp.seq + 1) >>> 0;
          conns.set(connKey, c);
          all.get(target.url)!.push(c);
          push(c, p, { dir: 'out', kind: 'syn', from: p.src });
        } else {
          push(c, p, { dir: 'out', kind: 'syn_retransmit', from: p.src, gapMs: ms(p.time - c.lastSyn) });
          c.lastSyn = p.time;
        }
        continue;
      }
      if (!c) continue;
      if (inTarget && f & TCP_FLAGS.syn && f & TCP_FLAGS.ack) {
        if (!c.synAcked) {
          c.synAcked = true;
          c.firstAnswer ??= 'syn_ack';
          c.in.base = (p.tcp.seq + 1) >>> 0;
          push(c, p, { dir: 'in', kind: 'syn_ack', from: p.src });
        }
        continue;
      }
      if (f & TCP_FLAGS.rst) {
        if (inTarget) c.firstAnswer ??= 'rst';
        push(c, p, { dir: inTarget ? 'in' : 'out', kind: 'rst', from: p.src, established: c.synAcked });
        continue;
      }
      if (p.tcp.payload.length > 0) readPayload(c, p, inTarget ? 'in' : 'out', push);
      if (f & TCP_FLAGS.fin) push(c, p, { dir: inTarget ? 'in' : 'out', kind: 'fin', from: p.src });
    } else if (p.icmp?.quoted) {
      const q = p.icmp.quoted;
      const target = byKey.get(`${q.dst}|${q.dport}`);
      if (!target) continue;
      const c = conns.get(`${target.url}|${q.sport}`);
      if (!c) continue;
      if (!c.synAcked) c.firstAnswer ??= 'icmp';
      const names = p.family === 4 ? ICMP_NAMES_V4 : ICMP_NAMES_V6;
      push(c, p, {
        dir: 'in',
        kind: p.icmp.kind === 'unreachable' ? 'icmp_unreachable' : 'icmp_time_exceeded',
        from: p.src,
        icmpType: p.icmp.type,
        icmpCode: p.icmp.code,
        name: p.icmp.kind === 'unreachable' ? (names[p.icmp.code] ?? 'other') : 'ttl_exceeded',
        fromTarget: p.src === normalizeAddress(target.address),
      });
    }
  }

  return norm.map((t) => summarise(t, all.get(t.url) ?? [], t0));
}

type Push = (c: Conn, p: Packet, e: Omit<CaptureEvent, 't'>) => void;

function readPayload(c: Conn, p: Packet, dir: 'in' | 'out', push: Push): void {
  const s = dir === 'out' ? c.out : c.in;
  const seg = p.tcp!;
  if (s.base === null || s.mode === 'done' || s.mode === 'plain') return;
  const rel = (seg.seq - s.base) >>> 0;
  // A retransmitted segment adds nothing new.
  if (s.seen.has(rel)) return;
  s.seen.add(rel);
  const data = seg.payload;
  if (s.mode === 'unknown') {
    if (rel !== 0) return;
    const b0 = data[0]!;
    if (b0 >= 20 && b0 <= 23 && data[1] === 3) {
      s.mode = 'tls';
    } else {
      s.mode = 'plain';
      const line = firstLine(data);
      if (dir === 'out' && /^[A-Z]{3,10} \S+ HTTP\/\d/.test(line))
        push(c, p, { dir, kind: 'http_request', from: p.src, text: line });
      else if (dir === 'in' && /^HTTP\/\d/.test(line))
        push(c, p, { dir, kind: 'http_response', from: p.src, text: line });
      else push(c, p, { dir, kind: 'data', from: p.src, bytes: data.length });
      return;
    }
  }
  // TLS: walk the record headers that start inside this segment.
  while (s.nextRecord >= rel && s.nextRecord < rel + data.length) {
    const off = s.nextRecord - rel;
    if (off + 5 > data.length) {
      s.mode = 'done';
      return;
    }
    const type = data[off]!;
    const length = (data[off + 3]! << 8) | data[off + 4]!;
    const body = data.subarray(off + 5, Math.min(data.length, off + 5 + length));
    if (type === 22) {
      const hs = tlsHandshake(body);
      if (hs) push(c, p, { dir, kind: hs.kind, from: p.src, ...(hs.text ? { text: hs.text } : {}) });
    } else if (type === 21 && body.length >= 2) {
      push(c, p, {
        dir,
        kind: 'tls_alert',
        from: p.src,
        level: body[0] === 2 ? 'fatal' : 'warning',
        name: TLS_ALERTS[body[1]!] ?? `alert_${body[1]}`,
      });
    } else if (type === 23) {
      // Encrypted from here on: nothing more to read in this direction.
      push(c, p, { dir, kind: 'tls_app_data', from: p.src });
      s.mode = 'done';
      return;
    } else if (type !== 20) {
      s.mode = 'done';
      return;
    }
    s.nextRecord += 5 + length;
  }
}

function tlsHandshake(b: Uint8Array): { kind: CaptureEvent['kind']; text?: string } | null {
  if (b.length < 4) return null;
  const type = b[0]!;
  if (type === 1) {
    const sni = clientHelloSni(b.subarray(4));
    return sni ? { kind: 'tls_client_hello', text: sni } : { kind: 'tls_client_hello' };
  }
  if (type === 2) {
    const v = serverHelloVersion(b.subarray(4));
    return v ? { kind: 'tls_server_hello', text: v } : { kind: 'tls_server_hello' };
  }
  return null;
}

function clientHelloSni(b: Uint8Array): string | null {
  let off = 2 + 32;
  off += 1 + (b[off] ?? 0);
  off += 2 + (((b[off] ?? 0) << 8) | (b[off + 1] ?? 0));
  off += 1 + (b[off] ?? 0);
  const end = Math.min(b.length, off + 2 + (((b[off] ?? 0) << 8) | (b[off + 1] ?? 0)));
  off += 2;
  while (off + 4 <= end) {
    const type = (b[off]! << 8) | b[off + 1]!;
    const len = (b[off + 2]! << 8) | b[off + 3]!;
    if (type === 0 && off + 9 <= end) {
      const nameLen = (b[off + 7]! << 8) | b[off + 8]!;
      const name = b.subarray(off + 9, Math.min(end, off + 9 + nameLen));
      return Buffer.from(name).toString('latin1');
    }
    off += 4 + len;
  }
  return null;
}

function serverHelloVersion(b: Uint8Array): string | null {
  if (b.length < 2) return null;
  let version = (b[0]! << 8) | b[1]!;
  let off = 2 + 32;
  off += 1 + (b[off] ?? 0);
  off += 3;
  const end = Math.min(b.length, off + 2 + (((b[off] ?? 0) << 8) | (b[off + 1] ?? 0)));
  off += 2;
  while (off + 4 <= end) {
    const type = (b[off]! << 8) | b[off + 1]!;
    const len = (b[off + 2]! << 8) | b[off + 3]!;
    if (type === 43 && len === 2 && off + 6 <= end) version = (b[off + 4]! << 8) | b[off + 5]!;
    off += 4 + len;
  }
  return TLS_VERSION_NAMES[version] ?? `0x${version.toString(16)}`;
}

function firstLine(data: Uint8Array): string {
  const text = Buffer.from(data.subarray(0, 200)).toString('latin1');
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.replace(/[^\x20-\x7e]/g, '?');
}

function summarise(t: TimelineTarget, conns: readonly Conn[], t0: number): CaptureEndpoint {
  const connections: CaptureConnection[] = conns.slice(0, MAX_CONNECTIONS_PER_ENDPOINT).map((c) => ({
    clientPort: c.clientPort,
    startMs: ms(c.start - t0),
    answer: c.firstAnswer ?? 'none',
    events: c.events,
    eventsDropped: c.eventsDropped,
  }));
  const allEvents = conns.flatMap((c) => c.events);
  const distinct = <T>(items: T[], key: (x: T) => string): T[] => [
    ...new Map(items.map((x) => [key(x), x])).values(),
  ];
  // The back-off of the connection that waited longest without an answer, as the kernel retransmitted it.
  const unanswered = conns.filter((c) => c.firstAnswer === null);
  const longest = unanswered.reduce<Conn | null>(
    (best, c) => (c.events.length > (best?.events.length ?? 0) ? c : best),
    null,
  );
  return {
    url: t.url,
    address: t.address,
    port: t.port,
    connections,
    connectionsTotal: conns.length,
    answered: conns.filter((c) => c.firstAnswer === 'syn_ack').length,
    refused: conns.filter((c) => c.firstAnswer === 'rst').length,
    icmp: conns.filter((c) => c.firstAnswer === 'icmp').length,
    unanswered: unanswered.length,
    synRetransmits: allEvents.filter((e) => e.kind === 'syn_retransmit').length,
    backoffMs: (longest?.events ?? []).filter((e) => e.kind === 'syn_retransmit').map((e) => e.gapMs ?? 0),
    rstFrom: distinct(
      allEvents.filter((e) => e.kind === 'rst' && e.dir === 'in' && !e.established),
      (e) => e.from,
    ).map((e) => e.from),
    icmpFrom: distinct(
      allEvents.filter((e) => e.kind === 'icmp_unreachable'),
      (e) => `${e.from}|${e.name}`,
    ).map((e) => ({ from: e.from, name: e.name ?? 'other', fromTarget: e.fromTarget === true })),
    tlsAlerts: distinct(
      allEvents.filter((e) => e.kind === 'tls_alert'),
      (e) => `${e.dir}|${e.name}`,
    ).map((e) => ({ dir: e.dir, name: e.name ?? '', level: e.level ?? 'fatal' })),
  };
}
