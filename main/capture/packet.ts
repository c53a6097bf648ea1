import ipaddr from 'ipaddr.js';
import type { Frame } from './pcap';

/**
 * One frame decoded down to what the timeline needs: addresses, TCP (ports, flags, sequence numbers, payload) or
 * ICMP / ICMPv6 errors with the connection they quote. Link framings: Ethernet (with 802.1Q tags), Linux cooked
 * v1 / v2 (`tcpdump -i any`), BSD loopback (either byte order) and raw IP. Anything else is skipped, not guessed.
 */

export const LINK_TYPES: Record<number, string> = {
  0: 'BSD loopback',
  1: 'Ethernet',
  12: 'raw IP',
  101: 'raw IP',
  108: 'OpenBSD loopback',
  113: 'Linux cooked',
  228: 'raw IPv4',
  229: 'raw IPv6',
  276: 'Linux cooked v2',
};

export const TCP_FLAGS = { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10 } as const;

export interface TcpSegment {
  readonly sport: number;
  readonly dport: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  /** The payload bytes captured; fewer than were sent when `cut`. */
  readonly payload: Uint8Array;
  /**
   * True when the capture holds less than the whole segment: the snap length cut the TCP options or the payload,
   * or the packet is the first fragment of a fragmented datagram. Ports, sequence numbers and flags are still read.
   */
  readonly cut: boolean;
}

/** An ICMP / ICMPv6 error and the start of the packet it is about (RFC 792 / 4443). */
export interface IcmpError {
  readonly type: number;
  readonly code: number;
  readonly kind: 'unreachable' | 'time_exceeded';
  readonly quoted: { src: string; dst: string; sport: number; dport: number } | null;
}

export interface Packet {
  readonly time: number;
  readonly family: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly ttl: number;
  readonly tcp?: TcpSegment;
  /** A TCP segment cut before its flags (fewer than 14 bytes kept): only its ports are known. */
  readonly tcpUnreadable?: { sport: number; dport: number };
  readonly icmp?: IcmpError;
}

/** The IP packet inside a frame, or null for framings and protocols this reader does not know. */
export function linkPayload(frame: Frame): Uint8Array | null {
  const d = frame.data;
  const at = (off: number): Uint8Array | null => (off <= d.length ? d.subarray(off) : null);
  switch (frame.linkType) {
    case 1: {
      let off = 12;
      let type = u16(d, off);
      while (type === 0x8100 || type === 0x88a8) {
        off += 4;
        type = u16(d, off);
      }
      return type === 0x0800 || type === 0x86dd ? at(off + 2) : null;
    }
    case 113:
      return isIpEtherType(u16(d, 14)) ? at(16) : null;
    case 276:
      return isIpEtherType(u16(d, 0)) ? at(20) : null;
    case 0:
    case 108:
      return at(4);
    case 12:
    case 101:
    case 228:
    case 229:
      return d;
    default:
      return null;
  }
}

function isIpEtherType(t: number): boolean {
  return t === 0x0800 || t === 0x86dd;
}

/** Decodes one frame; null when it is not IPv4 / IPv6 carrying TCP or an ICMP error. */
export function decodeFrame(frame: Frame): Packet | null {
  const ip = linkPayload(frame);
  if (!ip || ip.length < 1) return null;
  const decoded = decodeIp(ip);
  if (!decoded) return null;
  const { family, src, dst, ttl, proto, body } = decoded;
  const base = { time: frame.time, family, src, dst, ttl };
  if (proto === 6) {
    const tcp = decodeTcp(body, decoded.wireLength, decoded.fragment);
    if (tcp) return { ...base, tcp };
    return body.length >= 4 ? { ...base, tcpUnreadable: { sport: u16(body, 0), dport: u16(body, 2) } } : null;
  }
  if ((proto === 1 && family === 4) || (proto === 58 && family === 6)) {
    const icmp = decodeIcmp(body, family);
    return icmp ? { ...base, icmp } : null;
  }
  return null;
}

interface IpHeader {
  family: 4 | 6;
  src: string;
  dst: string;
  ttl: number;
  proto: number;
  body: Uint8Array;
  /** Length of the transport part as sent (from the IP header), whatever the snap length kept. */
  wireLength: number;
  /** The first fragment of a fragmented datagram: the transport part continues in packets not read here. */
  fragment: boolean;
}

function decodeIp(ip: Uint8Array): IpHeader | null {
  const version = ip[0]! >> 4;
  if (version === 4) {
    if (ip.length < 20) return null;
    const ihl = (ip[0]! & 0x0f) * 4;
    const total = u16(ip, 2);
    const fragOffset = u16(ip, 6) & 0x1fff;
    const moreFragments = (u16(ip, 6) & 0x2000) !== 0;
    if (ihl < 20 || ip.length < ihl) return null;
    // Only first fragments carry the transport header.
    if (fragOffset !== 0) return null;
    return {
      family: 4,
      ttl: ip[8]!,
      proto: ip[9]!,
      src: addr(ip.subarray(12, 16)),
      dst: addr(ip.subarray(16, 20)),
      body: ip.subarray(ihl, Math.max(ihl, Math.min(ip.length, total || ip.length))),
      // A TSO / GRO super-packet captured before segmentation says 0; then the captured length is all there is.
      wireLength: Math.max(0, (total || ip.length) - ihl),
      fragment: moreFragments,
    };
  }
  if (version === 6) {
    if (ip.length < 40) return null;
    let next = ip[6]!;
    let off = 40;
    let fragment = false;
    const end = Math.min(ip.length, 40 + u16(ip, 4));
    // Hop-by-hop, routing and destination options are skipped; a non-first fragment ends the walk.
    while (next === 0 || next === 43 || next === 60 || next === 44) {
      if (off + 8 > end) return null;
      if (next === 44) {
        if ((u16(ip, off + 2) & 0xfff8) !== 0) return null;
        fragment = (u16(ip, off + 2) & 1) !== 0;
        next = ip[off]!;
        off += 8;
      } else {
        const len = (ip[off + 1]! + 1) * 8;
        next = ip[off]!;
        off += len;
      }
    }
    return {
      family: 6,
      ttl: ip[7]!,
      proto: next,
      src: addr(ip.subarray(8, 24)),
      dst: addr(ip.subarray(24, 40)),
      body: ip.subarray(Math.min(off, end), end),
      wireLength: Math.max(0, (u16(ip, 4) || ip.length - 40) + 40 - off),
      fragment,
    };
  }
  return null;
}

/**
 * The TCP header needs 14 bytes for ports, sequence numbers and flags; the options after them are often cut by
 * a small snap length (`tcpdump -s 64`: a SYN's 20 bytes of options do not fit) or sit past a first fragment's
 * end. Such a segment is still a SYN, SYN-ACK or RST and is counted; its payload is marked cut.
 */
function decodeTcp(b: Uint8Array, wireLength: number, fragment: boolean): TcpSegment | null {
  if (b.length < 14) return null;
  const dataOffset = (b[12]! >> 4) * 4;
  if (dataOffset < 20) return null;
  const headerCut = dataOffset > b.length;
  const payload = headerCut ? b.subarray(b.length) : b.subarray(dataOffset);
  return {
    sport: u16(b, 0),
    dport: u16(b, 2),
    seq: u32(b, 4),
    ack: u32(b, 8),
    flags: b[13]!,
    payload,
    cut: headerCut || fragment || dataOffset + payload.length < wireLength,
  };
}

function decodeIcmp(b: Uint8Array, family: 4 | 6): IcmpError | null {
  if (b.length < 8) return null;
  const type = b[0]!;
  const code = b[1]!;
  const kind =
    family === 4
      ? type === 3
        ? 'unreachable'
        : type === 11
          ? 'time_exceeded'
          : null
      : type === 1
        ? 'unreachable'
        : type === 3
          ? 'time_exceeded'
          : null;
  if (!kind) return null;
  // The quoted packet: its IP header and at least the first 8 bytes of its transport header.
  const inner = decodeIp(b.subarray(8));
  const quoted =
    inner && inner.proto === 6 && inner.body.length >= 4
      ? { src: inner.src, dst: inner.dst, sport: u16(inner.body, 0), dport: u16(inner.body, 2) }
      : null;
  return { type, code, kind, quoted };
}

function addr(bytes: Uint8Array): string {
  return ipaddr.fromByteArray([...bytes]).toString();
}

function u16(b: Uint8Array, off: number): number {
  return off + 2 <= b.length ? (b[off]! << 8) | b[off + 1]! : -1;
}

function u32(b: Uint8Array, off: number): number {
  return off + 4 <= b.length
    ? ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0
    : 0;
}

/** The same address the way ipaddr.js prints it, so captured and typed addresses compare equal. */
export function normalizeAddress(address: string): string {
  try {
    const parsed = ipaddr.parse(address.replace(/^\[|\]$/g, ''));
    return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
      ? (parsed as ipaddr.IPv6).toIPv4Address().toString()
      : parsed.toString();
  } catch {
    return address;
  }
}
