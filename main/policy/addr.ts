import ipaddr from 'ipaddr.js';

/**
 * Address sets as sorted, merged, inclusive spans of integers per family: IPv4 in 0…2³²−1, IPv6 in 0…2¹²⁸−1.
 * Every rule match and every provider range becomes one of these, so splitting a range by a rule is interval
 * arithmetic, not per-address work.
 */

export type Family = 4 | 6;
export interface Span {
  readonly lo: bigint;
  readonly hi: bigint;
}
export interface AddrSet {
  readonly 4: readonly Span[];
  readonly 6: readonly Span[];
}

export const EMPTY_SET: AddrSet = { 4: [], 6: [] };
export const MAX: Record<Family, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };
export const ANY_SET: AddrSet = { 4: [{ lo: 0n, hi: MAX[4] }], 6: [{ lo: 0n, hi: MAX[6] }] };

function toBig(bytes: number[]): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** Dotted-quad IPv4 as firewalls print it: four decimal parts, no leading zeros (a leading zero would be octal). */
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

function parseAddr(raw: string): { family: Family; n: bigint } | null {
  const s = raw.trim();
  if (/^[0-9.]+$/.test(s)) {
    // What ipaddr's isValidFourPartDecimal + parse accept, read directly: a 10,000-rule file has tens of
    // thousands of these, and ipaddr validates and parses each twice over with several regular expressions.
    const m = DOTTED_QUAD.exec(s);
    if (!m) return null;
    let n = 0;
    for (let i = 1; i <= 4; i++) {
      const part = Number(m[i]);
      if (part > 255) return null;
      n = n * 256 + part;
    }
    return { family: 4, n: BigInt(n) };
  }
  if (s.includes(':') && ipaddr.IPv6.isValid(s)) {
    const a = ipaddr.IPv6.parse(s);
    if (a.isIPv4MappedAddress()) return { family: 4, n: toBig(a.toIPv4Address().toByteArray()) };
    return { family: 6, n: toBig(a.toByteArray()) };
  }
  return null;
}

function maskToPrefix(mask: string): number | null {
  const m = parseAddr(mask);
  if (!m || m.family !== 4) return null;
  const bits = m.n.toString(2).padStart(32, '0');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : null;
}

export interface ParsedRange {
  readonly family: Family;
  readonly span: Span;
}

/**
 * One address term as firewalls write it: `1.2.3.4`, `1.2.3.0/24`, `1.2.3.0/255.255.255.0`, `2001:db8::/32`,
 * or a range `1.2.3.4-1.2.3.9`. Host bits set under the prefix are ignored (as iptables does). Null when the
 * text is not an address.
 */
export function parseRange(raw: string): ParsedRange | null {
  const s = raw.trim();
  if (s.length === 0 || s.length > 100) return null;
  const dash = s.indexOf('-');
  if (dash > 0 && !s.includes('/')) {
    const a = parseAddr(s.slice(0, dash));
    const b = parseAddr(s.slice(dash + 1));
    if (!a || !b || a.family !== b.family || a.n > b.n) return null;
    return { family: a.family, span: { lo: a.n, hi: b.n } };
  }
  const slash = s.indexOf('/');
  const a = parseAddr(slash < 0 ? s : s.slice(0, slash));
  if (!a) return null;
  const bitsTotal = a.family === 4 ? 32 : 128;
  let prefix = bitsTotal;
  // An IPv4-mapped block (`::ffff:0.0.0.0/96`, in firewalld's nftables rules) is the IPv4 block it maps.
  const mapped = a.family === 4 && s.slice(0, slash < 0 ? s.length : slash).includes(':');
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (mapped && /^\d{1,3}$/.test(p)) prefix = Number(p) - 96;
    else if (/^\d{1,3}$/.test(p)) prefix = Number(p);
    else if (a.family === 4) prefix = maskToPrefix(p) ?? -1;
    else return null;
    if (prefix < 0 || prefix > bitsTotal) return null;
  }
  const hostBits = BigInt(bitsTotal - prefix);
  const lo = (a.n >> hostBits) << hostBits;
  return { family: a.family, span: { lo, hi: lo + (1n << hostBits) - 1n } };
}

/** Sorts and merges spans (touching spans join). */
export function normalize(spans: readonly Span[]): Span[] {
  if (spans.length < 2) return [...spans];
  const sorted = [...spans].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Span[] = [];
  let cur = sorted[0]!;
  for (let i = 1; i < sorted.length; i++) {
    const s = sorted[i]!;
    if (s.lo <= cur.hi + 1n) {
      if (s.hi > cur.hi) cur = { lo: cur.lo, hi: s.hi };
    } else {
      out.push(cur);
      cur = s;
    }
  }
  out.push(cur);
  return out;
}

/** Builds a set from parsed ranges. */
export function setOf(ranges: readonly ParsedRange[]): AddrSet {
  return {
    4: normalize(ranges.filter((r) => r.family === 4).map((r) => r.span)),
    6: normalize(ranges.filter((r) => r.family === 6).map((r) => r.span)),
  };
}

export function unionSets(a: AddrSet, b: AddrSet): AddrSet {
  return { 4: normalize([...a[4], ...b[4]]), 6: normalize([...a[6], ...b[6]]) };
}

export function intersects(a: readonly Span[], b: readonly Span[]): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x.hi < y.lo) i++;
    else if (y.hi < x.lo) j++;
    else return true;
  }
  return false;
}

/** True when every address of `inner` is in `outer` (both normalized). */
export function covers(outer: readonly Span[], inner: readonly Span[]): boolean {
  let j = 0;
  for (const s of inner) {
    while (j < outer.length && outer[j]!.hi < s.lo) j++;
    const o = outer[j];
    if (!o || o.lo > s.lo || o.hi < s.hi) return false;
  }
  return true;
}

export function sizeOf(spans: readonly Span[]): bigint {
  let n = 0n;
  for (const s of spans) n += s.hi - s.lo + 1n;
  return n;
}

function formatAddr(n: bigint, family: Family): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((sh) => Number((n >> sh) & 255n)).join('.');
  const bytes: number[] = [];
  for (let i = 15; i >= 0; i--) bytes.push(Number((n >> BigInt(i * 8)) & 255n));
  return ipaddr.fromByteArray(bytes).toString();
}

/** The fewest CIDR blocks that exactly cover a span, e.g. 10.0.0.1–10.0.0.6 → .1/32 .2/31 .4/31 .6/32. */
export function spanToCidrs(span: Span, family: Family): string[] {
  const bits = family === 4 ? 32 : 128;
  const out: string[] = [];
  let lo = span.lo;
  while (lo <= span.hi) {
    let size = 0;
    while (size < bits) {
      const next = size + 1;
      const block = 1n << BigInt(next);
      if (lo % block !== 0n || lo + block - 1n > span.hi) break;
      size = next;
    }
    out.push(`${formatAddr(lo, family)}/${bits - size}`);
    lo += 1n << BigInt(size);
  }
  return out;
}

/** A span written the short way: one CIDR when it is one, else `first-last`. */
export function formatSpan(span: Span, family: Family): string {
  const cidrs = spanToCidrs(span, family);
  if (cidrs.length === 1) return cidrs[0]!;
  return `${formatAddr(span.lo, family)}-${formatAddr(span.hi, family)}`;
}
