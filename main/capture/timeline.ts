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

/** Connections followed per address and port; SYNs past it are counted, their answers not read. */
export const MAX_FOLLOWED_CONNECTIONS = 1000;
/** Out-of-order segments held per direction while waiting for the gap before them. */
const MAX_PENDING_SEGMENTS = 32;
/** Bytes held per direction: a TLS record is at most 18 KiB; a capture taken before segmentation holds 64 KiB. */
const MAX_STREAM_BUFFER = 128 * 1024;
/** A handshake message read whole (ClientHello, ServerHello); larger ones are skipped. */
const MAX_HELLO = 64 * 1024;
/** The random of a HelloRetryRequest (RFC 8446 4.1.3): a ServerHello in form, not the server's choice. */
const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

/**
 * One direction of a connection, reassembled: the bytes are read in stream order whatever the segments were (a
 * ClientHello over two segments keeps its SNI), retransmissions add nothing, TLS records are walked one by one,
 * and what follows a ChangeCipherSpec (before TLS 1.3) is encrypted: shown as such, never decoded as a phantom
 * hello or alert.
 */
interface Stream {
  /** Sequence number of the stream's first byte (ISN + 1), once the SYN is seen. */
  base: number | null;
  mode: 'unknown' | 'tls' | 'plain' | 'done';
  /** Stream offset of the next byte expected; bytes before it have been taken into `buf`. */
  next: number;
  /** Bytes taken in but not yet parsed. */
  buf: Uint8Array;
  pending: Map<number, Uint8Array>;
  /** Bytes of the current record still to pass over unread (encrypted or not needed). */
  skip: number;
  /** A ChangeCipherSpec was sent in this direction. */
  ccs: boolean;
  /** Plaintext handshake bytes not yet parsed (a message may span records), and bytes to pass over. */
  hs: Uint8Array;
  hsSkip: number;
  appData: boolean;
  /** A segment was captured in part: the stream cannot be read past what it held. */
  cut: boolean;
}

interface Conn {
  readonly key: string;
  readonly address: string;
  readonly clientPort: number;
  readonly isn: number;
  readonly start: number;
  readonly events: CaptureEvent[];
  eventsDropped: number;
  lastSyn: number;
  synAcked: boolean;
  firstAnswer: 'syn_ack' | 'rst' | 'icmp' | null;
  /** The version the ServerHello chose, once seen. */
  version: number | null;
  readonly out: Stream;
  readonly in: Stream;
}

interface Group {
  readonly conns: Conn[];
  notFollowed: Set<string>;
  segmentsCut: number;
  segmentsUnreadable: number;
}

function newStream(): Stream {
  return {
    base: null,
    mode: 'unknown',
    next: 0,
    buf: new Uint8Array(0),
    pending: new Map(),
    skip: 0,
    ccs: false,
    hs: new Uint8Array(0),
    hsSkip: 0,
    appData: false,
    cut: false,
  };
}

const ms = (s: number): number => Math.round(s * 1e6) / 1e3;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Builds the per-endpoint timeline from a capture's frames. */
export function buildTimeline(
  frames: readonly Frame[],
  targets: readonly TimelineTarget[],
): CaptureEndpoint[] {
  const norm = targets.map((t) => ({ ...t, key: `${normalizeAddress(t.address)}|${t.port}` }));
  // Endpoints that share an address and port (two names for one origin) share its connections.
  const groups = new Map<string, Group>(
    norm.map((t) => [
      t.key,
      { conns: [], notFollowed: new Set<string>(), segmentsCut: 0, segmentsUnreadable: 0 },
    ]),
  );
  const addressOf = new Map(norm.map((t) => [t.key, normalizeAddress(t.address)]));
  const conns = new Map<string, Conn>();
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
    if (p.tcpUnreadable) {
      // Its flags were cut off: whether it was a SYN, an answer or data is unknown, so it is counted apart.
      const u = p.tcpUnreadable;
      const group = groups.get(`${p.dst}|${u.dport}`) ?? groups.get(`${p.src}|${u.sport}`);
      if (group) group.segmentsUnreadable++;
      continue;
    }
    if (p.tcp) {
      const outKey = `${p.dst}|${p.tcp.dport}`;
      const inKey = `${p.src}|${p.tcp.sport}`;
      const outbound = groups.has(outKey);
      const key = outbound ? outKey : groups.has(inKey) ? inKey : null;
      if (key === null) continue;
      const group = groups.get(key)!;
      if (p.tcp.cut) group.segmentsCut++;
      const clientPort = outbound ? p.tcp.sport : p.tcp.dport;
      const connKey = `${key}|${clientPort}`;
      const f = p.tcp.flags;
      const dir = outbound ? 'out' : 'in';
      let c = conns.get(connKey);
      if (outbound && f & TCP_FLAGS.syn && !(f & TCP_FLAGS.ack)) {
        if (!c || c.isn !== p.tcp.seq) {
          if (group.conns.length >= MAX_FOLLOWED_CONNECTIONS) {
            if (group.notFollowed.size < MAX_FOLLOWED_CONNECTIONS * 100)
              group.notFollowed.add(`${clientPort}|${p.tcp.seq}`);
            conns.delete(connKey);
            continue;
          }
          c = {
            key,
            address: addressOf.get(key)!,
            clientPort,
            isn: p.tcp.seq,
            start: p.time,
            events: [],
            eventsDropped: 0,
            lastSyn: p.time,
            synAcked: false,
            firstAnswer: null,
            version: null,
            out: newStream(),
            in: newStream(),
          };
          c.out.base = (p.tcp.seq + 1) >>> 0;
          conns.set(connKey, c);
          group.conns.push(c);
          // Data in a SYN is TCP Fast Open: the request leaves before the handshake.
          push(c, p, {
            dir: 'out',
            kind: 'syn',
            from: p.src,
            ...(p.tcp.payload.length > 0 ? { bytes: p.tcp.payload.length } : {}),
          });
        } else {
          push(c, p, { dir: 'out', kind: 'syn_retransmit', from: p.src, gapMs: ms(p.time - c.lastSyn) });
          c.lastSyn = p.time;
        }
        if (p.tcp.payload.length > 0) feed(c, p, 'out', (p.tcp.seq + 1) >>> 0, push);
        continue;
      }
      if (!c) continue;
      if (!outbound && f & TCP_FLAGS.syn && f & TCP_FLAGS.ack) {
        if (!c.synAcked) {
          c.synAcked = true;
          c.firstAnswer ??= 'syn_ack';
          c.in.base = (p.tcp.seq + 1) >>> 0;
          push(c, p, { dir: 'in', kind: 'syn_ack', from: p.src });
          if (p.tcp.payload.length > 0) feed(c, p, 'in', (p.tcp.seq + 1) >>> 0, push);
        }
        continue;
      }
      if (f & TCP_FLAGS.rst) {
        if (!outbound) c.firstAnswer ??= 'rst';
        push(c, p, { dir, kind: 'rst', from: p.src, established: c.synAcked });
        continue;
      }
      if (p.tcp.payload.length > 0 || p.tcp.cut) feed(c, p, dir, p.tcp.seq, push);
      if (f & TCP_FLAGS.fin) push(c, p, { dir, kind: 'fin', from: p.src });
    } else if (p.icmp?.quoted) {
      const q = p.icmp.quoted;
      const key = `${q.dst}|${q.dport}`;
      if (!groups.has(key)) continue;
      const c = conns.get(`${key}|${q.sport}`);
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
        fromTarget: p.src === c.address,
      });
    }
  }

  return norm.map((t) => summarise(t, groups.get(t.key)!, t0));
}

type Push = (c: Conn, p: Packet, e: Omit<CaptureEvent, 't'>) => void;

/** Takes one segment's bytes into its direction's stream, in order, then reads what became complete. */
function feed(c: Conn, p: Packet, dir: 'in' | 'out', seq: number, push: Push): void {
  const s = dir === 'out' ? c.out : c.in;
  const seg = p.tcp!;
  if (s.base === null || s.mode === 'done' || s.mode === 'plain' || s.cut) return;
  const rel = (seq - s.base) >>> 0;
  // Before the stream's start (a wrapped difference) or a retransmission of what was read: nothing new.
  if (rel >= 0x80000000 || rel + seg.payload.length <= s.next) {
    if (seg.cut && rel <= s.next && rel < 0x80000000) s.cut = true;
    return;
  }
  if (rel > s.next) {
    // A gap: held until the bytes before it arrive; a capture that never has them ends the reading.
    if (s.pending.size >= MAX_PENDING_SEGMENTS) s.mode = 'done';
    else if (!s.pending.has(rel)) s.pending.set(rel, seg.cut ? seg.payload.slice() : seg.payload);
    return;
  }
  take(s, rel, seg.payload);
  if (seg.cut) s.cut = true;
  while (!s.cut && s.pending.size > 0) {
    const ready = [...s.pending.keys()].filter((k) => k <= s.next).sort((a, b) => a - b);
    if (ready.length === 0) break;
    for (const k of ready) {
      take(s, k, s.pending.get(k)!);
      s.pending.delete(k);
    }
  }
  if (s.buf.length > MAX_STREAM_BUFFER) {
    s.mode = 'done';
    return;
  }
  read(c, s, p, dir, push);
}

function take(s: Stream, rel: number, data: Uint8Array): void {
  if (rel + data.length <= s.next) return;
  s.buf = concat(s.buf, data.subarray(s.next - rel));
  s.next = rel + data.length;
}

function read(c: Conn, s: Stream, p: Packet, dir: 'in' | 'out', push: Push): void {
  if (s.mode === 'unknown') {
    if (s.buf.length < 2) return;
    const b0 = s.buf[0]!;
    if (b0 >= 20 && b0 <= 23 && s.buf[1] === 3) {
      s.mode = 'tls';
    } else {
      s.mode = 'plain';
      const line = firstLine(s.buf);
      if (dir === 'out' && /^[A-Z]{3,10} \S+ HTTP\/\d/.test(line))
        push(c, p, { dir, kind: 'http_request', from: p.src, text: line });
      else if (dir === 'in' && /^HTTP\/\d/.test(line))
        push(c, p, { dir, kind: 'http_response', from: p.src, text: line });
      else push(c, p, { dir, kind: 'data', from: p.src, bytes: s.buf.length });
      s.buf = new Uint8Array(0);
      return;
    }
  }
  let off = 0;
  const buf = s.buf;
  while (s.mode === 'tls') {
    if (s.skip > 0) {
      const n = Math.min(s.skip, buf.length - off);
      s.skip -= n;
      off += n;
      if (s.skip > 0) break;
    }
    if (buf.length - off < 5) break;
    const type = buf[off]!;
    const length = (buf[off + 3]! << 8) | buf[off + 4]!;
    if (type < 20 || type > 23 || buf[off + 1] !== 3) {
      s.mode = 'done';
      break;
    }
    // After ChangeCipherSpec (TLS 1.2 and older) handshake and alert records are encrypted; a plaintext alert is
    // exactly two bytes, so a longer one is encrypted whatever the version.
    const encrypted =
      type === 23 ||
      ((type === 22 || type === 21) && s.ccs && c.version !== 0x0304) ||
      (type === 21 && length !== 2);
    if (encrypted) {
      if (type === 23) {
        if (!s.appData) push(c, p, { dir, kind: 'tls_app_data', from: p.src });
        s.appData = true;
      } else {
        push(c, p, { dir, kind: 'tls_encrypted', from: p.src, name: type === 21 ? 'alert' : 'handshake' });
      }
      off += 5;
      s.skip = length;
      continue;
    }
    if (type === 20) {
      s.ccs = true;
      off += 5;
      s.skip = length;
      continue;
    }
    if (buf.length - off < 5 + length) break;
    const body = buf.subarray(off + 5, off + 5 + length);
    off += 5 + length;
    if (type === 21) {
      push(c, p, {
        dir,
        kind: 'tls_alert',
        from: p.src,
        level: body[0] === 2 ? 'fatal' : 'warning',
        name: TLS_ALERTS[body[1]!] ?? `alert_${body[1]}`,
      });
    } else {
      handshake(c, s, p, dir, body, push);
    }
  }
  s.buf = off >= buf.length ? new Uint8Array(0) : buf.slice(off);
}

/** Plaintext handshake messages, which may span records: ClientHello and ServerHello are read, the rest passed. */
function handshake(c: Conn, s: Stream, p: Packet, dir: 'in' | 'out', body: Uint8Array, push: Push): void {
  let data = body;
  if (s.hsSkip > 0) {
    const n = Math.min(s.hsSkip, data.length);
    s.hsSkip -= n;
    data = data.subarray(n);
  }
  let hs = concat(s.hs, data);
  while (hs.length >= 4) {
    const type = hs[0]!;
    const length = (hs[1]! << 16) | (hs[2]! << 8) | hs[3]!;
    if ((type === 1 || type === 2) && length <= MAX_HELLO) {
      if (hs.length < 4 + length) break;
      const msg = hs.subarray(4, 4 + length);
      if (type === 1) {
        const sni = clientHelloSni(msg);
        push(c, p, { dir, kind: 'tls_client_hello', from: p.src, ...(sni ? { text: sni } : {}) });
      } else {
        const hello = serverHello(msg);
        if (dir === 'in' && hello.version !== null && !hello.retry) c.version = hello.version;
        const text = hello.retry ? 'HelloRetryRequest' : hello.name;
        push(c, p, { dir, kind: 'tls_server_hello', from: p.src, ...(text ? { text } : {}) });
      }
      hs = hs.subarray(4 + length);
      continue;
    }
    if (hs.length >= 4 + length) {
      hs = hs.subarray(4 + length);
      continue;
    }
    s.hsSkip = 4 + length - hs.length;
    hs = new Uint8Array(0);
  }
  s.hs = hs.slice();
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

function serverHello(b: Uint8Array): { version: number | null; name: string | null; retry: boolean } {
  if (b.length < 34) return { version: null, name: null, retry: false };
  let version = (b[0]! << 8) | b[1]!;
  const retry = Buffer.from(b.subarray(2, 34)).toString('hex') === HRR_RANDOM;
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
  return { version, name: TLS_VERSION_NAMES[version] ?? `0x${version.toString(16)}`, retry };
}

function firstLine(data: Uint8Array): string {
  const text = Buffer.from(data.subarray(0, 200)).toString('latin1');
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.replace(/[^\x20-\x7e]/g, '?');
}

function summarise(t: TimelineTarget, group: Group, t0: number): CaptureEndpoint {
  const conns = group.conns;
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
    connectionsTotal: conns.length + group.notFollowed.size,
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
    ...(group.notFollowed.size > 0 ? { connectionsNotFollowed: group.notFollowed.size } : {}),
    ...(group.segmentsCut > 0 ? { segmentsCut: group.segmentsCut } : {}),
    ...(group.segmentsUnreadable > 0 ? { segmentsUnreadable: group.segmentsUnreadable } : {}),
  };
}
