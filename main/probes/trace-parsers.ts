import type { TraceHop, TraceProbe } from '../../shared/model/probe-data';

/**
 * Pure parsers of the platforms' trace tools into hops. Each takes the tool's text as printed and never
 * throws: lines it does not understand are ignored (they are kept in the raw evidence).
 */

const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/;
const isAddress = (t: string): boolean => IPV4.test(t) || (IPV6.test(t) && t.includes(':'));
const toNumber = (t: string): number | null => {
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
};

/**
 * Linux (iputils / Dmitry Butskoy) and BSD / macOS `traceroute -n`:
 * ` 3  198.18.1.2  0.104 ms !H  198.18.1.9  0.2 ms *` — the ttl, then for each probe either `*` or an
 * address (printed only when it changes) with its time and an optional `!` annotation.
 */
export function parseTraceroute(text: string): TraceHop[] {
  const hops: TraceHop[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const ttl = Number(m[1]);
    const tokens = m[2]!.trim().split(/\s+/);
    const probes: TraceProbe[] = [];
    let current: string | null = null;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t === '*') {
        probes.push({ address: null, rttMs: null, annotation: null });
      } else if (isAddress(t)) {
        current = t;
      } else if (t.startsWith('(') && t.endsWith(')') && isAddress(t.slice(1, -1))) {
        current = t.slice(1, -1); // without -n: `name (address)`
      } else if (toNumber(t) !== null && tokens[i + 1] === 'ms') {
        let annotation: string | null = null;
        if (tokens[i + 2]?.startsWith('!')) annotation = tokens[i + 2]!;
        probes.push({ address: current, rttMs: toNumber(t), annotation });
        i += annotation ? 2 : 1;
      } else if (t.startsWith('!') && probes.length > 0) {
        const last = probes[probes.length - 1]!;
        probes[probes.length - 1] = { ...last, annotation: t };
      }
    }
    if (probes.length > 0) hops.push({ ttl, probes });
  }
  return hops;
}

/**
 * `tracepath -n`: one line per reply, ` 2:  198.18.1.2   0.083ms reached`, ` 3:  no reply`, and a
 * `1?: [LOCALHOST]` line for the local MTU that is not a hop.
 */
export function parseTracepath(text: string): TraceHop[] {
  const byTtl = new Map<number, TraceProbe[]>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\d+)(\??):\s+(.*)$/.exec(line);
    if (!m || m[3]!.startsWith('[LOCALHOST]')) continue;
    const ttl = Number(m[1]);
    const rest = m[3]!.trim();
    const list = byTtl.get(ttl) ?? [];
    if (rest.startsWith('no reply')) {
      list.push({ address: null, rttMs: null, annotation: null });
    } else {
      const parts = rest.split(/\s+/);
      const address = parts[0] && isAddress(parts[0]) ? parts[0] : null;
      // (?<!\d): a match never starts inside a run of digits. Without it a long run with no `ms` after it was
      // rescanned from each of its digits (quadratic: 64K digits took 9 s); the leftmost match is the same, as
      // one starting inside a run also matches from the run's first digit.
      const rtt = /(?<!\d)(\d+(?:\.\d+)?)ms/.exec(rest);
      const annotation = /!\S+/.exec(rest);
      list.push({
        address,
        rttMs: rtt ? Number(rtt[1]) : null,
        annotation: annotation ? annotation[0] : null,
      });
    }
    byTtl.set(ttl, list);
  }
  return [...byTtl.entries()].sort((a, b) => a[0] - b[0]).map(([ttl, probes]) => ({ ttl, probes }));
}

/**
 * Windows `tracert -d`, in any display language. A hop line is the ttl, three time cells (`<1 ms`,
 * `12 ms`, `*`; Chinese Windows prints `毫秒` for ms) and then the address or a message such as
 * `Request timed out.` / `请求超时。`. A line like `4  192.168.1.1  reports: Destination host unreachable.`
 * (Chinese: `报告: 无法访问目标主机。`) is a router's ICMP unreachable.
 */
export function parseTracert(text: string): TraceHop[] {
  const hops: TraceHop[] = [];
  const cell = String.raw`(\*|<?\d+\s*(?:ms|毫秒))`;
  const hopLine = new RegExp(String.raw`^\s*(\d+)\s+${cell}\s+${cell}\s+${cell}\s+(.*)$`);
  const reportLine = /^\s*(\d+)\s+(\S+)\s+(?:reports|报告)\s*[:：]\s*(.*)$/i;
  for (const line of text.split(/\r?\n/)) {
    const r = reportLine.exec(line);
    if (r && isAddress(r[2]!)) {
      const message = r[3]!;
      const annotation = /net|网络/i.test(message) ? '!N' : '!H';
      hops.push({ ttl: Number(r[1]), probes: [{ address: r[2]!, rttMs: null, annotation }] });
      continue;
    }
    const m = hopLine.exec(line);
    if (!m) continue;
    const target = m[5]!.trim().replace(/^\[|\]$/g, '');
    const address = isAddress(target) ? target : null;
    const probes: TraceProbe[] = [m[2]!, m[3]!, m[4]!].map((c) => {
      if (c === '*') return { address: null, rttMs: null, annotation: null };
      const n = /(\d+)/.exec(c);
      // `<1 ms` means under a millisecond; 0.5 stands for it.
      const rtt = c.startsWith('<') ? 0.5 : n ? Number(n[1]) : null;
      return { address, rttMs: rtt, annotation: null };
    });
    hops.push({ ttl: Number(m[1]), probes });
  }
  return hops;
}

interface MtrHub {
  count?: number | string;
  host?: string;
  'Loss%'?: number;
  Avg?: number;
  Last?: number;
}

/** `mtr --report --json`: `report.hubs[]`, where host `???` is a hop that never answered. */
export function parseMtrJson(text: string): TraceHop[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const hubs = (doc as { report?: { hubs?: unknown } })?.report?.hubs;
  if (!Array.isArray(hubs)) return [];
  const hops: TraceHop[] = [];
  for (const raw of hubs as MtrHub[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const ttl = Number(raw.count);
    if (!Number.isInteger(ttl)) continue;
    const host = typeof raw.host === 'string' ? raw.host : '???';
    const answered = host !== '???' && raw['Loss%'] !== 100;
    const rtt = typeof raw.Avg === 'number' ? raw.Avg : null;
    hops.push({
      ttl,
      probes: [{ address: answered ? host : null, rttMs: answered ? rtt : null, annotation: null }],
    });
  }
  return hops;
}

/** Where the path stops: reached or not, the last hop that answered, and its unreachable annotation. */
export function summariseHops(
  hops: readonly TraceHop[],
  target: string,
): {
  reached: boolean;
  lastResponder: string | null;
  lastResponderTtl: number | null;
  stopAnnotation: string | null;
} {
  const norm = (a: string): string => a.toLowerCase();
  let lastResponder: string | null = null;
  let lastResponderTtl: number | null = null;
  let stopAnnotation: string | null = null;
  let reached = false;
  for (const hop of hops) {
    const answered = hop.probes.find((p) => p.address !== null);
    if (!answered) continue;
    lastResponder = answered.address;
    lastResponderTtl = hop.ttl;
    stopAnnotation = hop.probes.find((p) => p.annotation && p.annotation !== '!')?.annotation ?? null;
    if (hop.probes.some((p) => p.address !== null && norm(p.address) === norm(target))) reached = true;
  }
  return { reached, lastResponder, lastResponderTtl, stopAnnotation };
}
