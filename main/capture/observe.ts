import ipaddr from 'ipaddr.js';
import type { LadderStep, SynExample, SynOutcome, SynRow } from '../../shared/model/origin-bundle';
import { decodeFrame, normalizeAddress, TCP_FLAGS, type Packet } from './packet';
import type { Frame } from './pcap';

/**
 * The provider's connection attempts as the origin saw them: every incoming SYN to a watched port, followed to its
 * answer (SYN-ACK, RST, an ICMP error quoting it) or to silence, and counted per port × provider range. Attempts
 * from outside the ranges are counted apart (other clients, scanners, the support laptop). Pure: frames in, rows out.
 *
 * An attempt is one client port and initial sequence number; its retransmissions (same ISN) belong to it. Silence
 * counts as "unanswered" only when it is certain: the SYN was retransmitted (the client waited ~1 s and tried again)
 * or the window went on for UNANSWERED_AFTER after it. A lone SYN at the very end of the window is `pending`.
 */

/** Silence after a single SYN for this long counts as unanswered: Linux retransmits after 1 s, Windows after 3 s. */
export const UNANSWERED_AFTER_S = 3;
/** Attempts followed per port and source range; more are counted in `notFollowed`, their answers not read. */
export const MAX_ATTEMPTS_PER_ROW = 5000;
/** Examples kept per row. */
export const EXAMPLES_PER_ROW = 4;
const MAX_LADDER = 12;

interface Attempt {
  readonly src: string;
  readonly sport: number;
  readonly dst: string;
  readonly dport: number;
  readonly isn: number;
  readonly first: number;
  retransmits: number;
  outcome: SynOutcome | null;
  readonly ladder: LadderStep[];
}

export interface SynObservation {
  readonly rows: SynRow[];
  readonly notFollowed: number;
}

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** The ranges as ipaddr.js CIDRs, once, for many look-ups. */
export function parseRangeList(ranges: readonly string[]): { text: string; cidr: Cidr }[] {
  const out: { text: string; cidr: Cidr }[] = [];
  for (const r of ranges) {
    try {
      out.push({ text: r, cidr: ipaddr.parseCIDR(r) });
    } catch {
      // Validated by the caller; a range that does not parse matches nothing.
    }
  }
  return out;
}

/** The first range that holds `address`, or null. IPv4-mapped IPv6 addresses count as IPv4. */
export function rangeOf(address: string, ranges: readonly { text: string; cidr: Cidr }[]): string | null {
  let a: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    a = ipaddr.parse(normalizeAddress(address));
  } catch {
    return null;
  }
  for (const r of ranges) {
    if (r.cidr[0].kind() !== a.kind()) continue;
    if (a.match(r.cidr)) return r.text;
  }
  return null;
}

/**
 * Builds the per-port × range table from a capture taken on the origin. `windowEnd` (seconds since the epoch) is
 * when the capture stopped, to tell a lone unanswered SYN from one sent too late to judge.
 */
export function observeSyns(
  frames: readonly Frame[],
  ranges: readonly string[],
  ports: readonly number[],
  windowEnd: number,
): SynObservation {
  const parsed = parseRangeList(ranges);
  const watched = new Set(ports);
  const attempts = new Map<string, Attempt>();
  // The attempt currently open on a 4-tuple (a new ISN on the same tuple starts a new attempt).
  const open = new Map<string, Attempt>();
  const perRow = new Map<string, number>();
  let notFollowed = 0;
  const tuple = (src: string, sport: number, dst: string, dport: number): string =>
    `${src}|${sport}|${dst}|${dport}`;
  const rowKey = (port: number, range: string | null): string => `${port}|${range ?? ''}`;

  for (const frame of frames) {
    const p: Packet | null = decodeFrame(frame);
    if (!p) continue;
    const src = normalizeAddress(p.src);
    const dst = normalizeAddress(p.dst);
    if (p.tcp) {
      const { sport, dport, flags, seq, ack } = p.tcp;
      const syn = (flags & TCP_FLAGS.syn) !== 0;
      const isAck = (flags & TCP_FLAGS.ack) !== 0;
      if (syn && !isAck && watched.has(dport)) {
        const key = tuple(src, sport, dst, dport);
        const current = open.get(key);
        if (current && current.isn === seq) {
          current.retransmits++;
          if (current.ladder.length < MAX_LADDER)
            current.ladder.push({
              t: ms(p.time - current.first),
              dir: 'in',
              kind: 'syn_retransmit',
              from: src,
            });
          continue;
        }
        const range = rangeOf(src, parsed);
        const rk = rowKey(dport, range);
        const n = perRow.get(rk) ?? 0;
        perRow.set(rk, n + 1);
        if (n >= MAX_ATTEMPTS_PER_ROW) {
          notFollowed++;
          continue;
        }
        const a: Attempt = {
          src,
          sport,
          dst,
          dport,
          isn: seq,
          first: p.time,
          retransmits: 0,
          outcome: null,
          ladder: [{ t: 0, dir: 'in', kind: 'syn', from: src }],
        };
        attempts.set(`${key}|${seq}|${p.time}`, a);
        open.set(key, a);
        continue;
      }
      // Answers travel the other way: from the watched port back to the client.
      if (!watched.has(sport)) continue;
      const a = open.get(tuple(dst, dport, src, sport));
      if (!a) continue;
      const answersIt = ack === (a.isn + 1) >>> 0;
      if (syn && isAck && answersIt)
        settle(a, 'syn_ack', { t: ms(p.time - a.first), dir: 'out', kind: 'syn_ack', from: src });
      else if ((flags & TCP_FLAGS.rst) !== 0 && (answersIt || !isAck))
        settle(a, 'rst', { t: ms(p.time - a.first), dir: 'out', kind: 'rst', from: src });
    } else if (p.icmp?.quoted) {
      const q = p.icmp.quoted;
      const a = open.get(tuple(normalizeAddress(q.src), q.sport, normalizeAddress(q.dst), q.dport));
      if (!a) continue;
      settle(a, 'icmp', {
        t: ms(p.time - a.first),
        dir: 'out',
        kind: 'icmp',
        from: src,
        icmp: { type: p.icmp.type, code: p.icmp.code },
      });
    }
  }

  const rows = new Map<string, SynRow>();
  for (const port of [...watched].sort((x, y) => x - y))
    for (const r of [...parsed.map((x) => x.text), null]) rows.set(rowKey(port, r), emptyRow(port, r));
  const examples = new Map<string, SynExample[]>();
  for (const a of attempts.values()) {
    const outcome: SynOutcome =
      a.outcome ??
      (a.retransmits > 0 || windowEnd - a.first >= UNANSWERED_AFTER_S ? 'unanswered' : 'pending');
    const range = rangeOf(a.src, parsed);
    const key = rowKey(a.dport, range);
    const row = rows.get(key)!;
    row.attempted++;
    if (outcome === 'syn_ack') row.synAck++;
    else if (outcome === 'rst') row.rst++;
    else if (outcome === 'icmp') row.icmp++;
    else if (outcome === 'unanswered') row.unanswered++;
    else row.pending++;
    const list = examples.get(key) ?? [];
    list.push({
      src: a.src,
      sport: a.sport,
      dst: a.dst,
      at: new Date(a.first * 1000).toISOString(),
      outcome,
      ladder: a.ladder,
    });
    examples.set(key, list);
  }
  for (const [key, list] of examples) {
    // The first attempt of each outcome, then the earliest others: every kind of answer has an example.
    const firsts = new Map<SynOutcome, SynExample>();
    for (const e of list) if (!firsts.has(e.outcome)) firsts.set(e.outcome, e);
    const chosen = [...firsts.values()];
    for (const e of list) if (chosen.length < EXAMPLES_PER_ROW && !chosen.includes(e)) chosen.push(e);
    rows.get(key)!.examples = chosen.slice(0, EXAMPLES_PER_ROW);
  }
  // Ranges nobody connected from are kept: "0 attempts from this range" is the absent finding's evidence.
  return { rows: [...rows.values()], notFollowed };

  function settle(a: Attempt, outcome: SynOutcome, step: LadderStep): void {
    if (a.ladder.length < MAX_LADDER) a.ladder.push(step);
    // The first answer decides; a later RST after a SYN-ACK is the client's business, not the handshake's.
    a.outcome ??= outcome;
  }
}

function emptyRow(port: number, range: string | null): SynRow {
  return { port, range, attempted: 0, synAck: 0, rst: 0, icmp: 0, unanswered: 0, pending: 0, examples: [] };
}

function ms(seconds: number): number {
  return Math.max(0, Math.round(seconds * 1000));
}

/**
 * The BPF filter for an observation: TCP segments to or from the ports that carry SYN or RST (the handshake only:
 * a busy origin's data never reaches the reader), and ICMP / ICMPv6 destination-unreachable (a REJECT's answer).
 * `tcp[13]` is IPv4-only in libpcap, so IPv6 reads the flags at their fixed offset (40 + 13), which holds when the
 * segment carries no extension header — the case for every SYN a CDN sends.
 */
export function observeFilter(ports: readonly number[]): string {
  const portExpr = ports.map((p) => `port ${p}`).join(' or ');
  return [
    `(ip and tcp and (${portExpr}) and tcp[13] & 6 != 0)`,
    `(ip6 and tcp and (${portExpr}) and ip6[53] & 6 != 0)`,
    '(icmp and icmp[0] == 3)',
    '(icmp6 and ip6[40] == 1)',
  ].join(' or ');
}
