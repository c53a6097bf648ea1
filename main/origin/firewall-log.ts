import type { FirewallLog, FirewallLogEntry } from '../../shared/model/origin-bundle';
import { normalizeAddress } from '../capture/packet';
import { rangeOf, parseRangeList } from '../capture/observe';

/**
 * Kernel firewall log lines: what iptables / ip6tables `LOG`, nft `log`, ufw (`[UFW BLOCK]`) and firewalld
 * (`FINAL_REJECT:`, `filter_IN_public_REJECT:`) write through the kernel log, as `journalctl -k`, `dmesg`,
 * `/var/log/kern.log` or `/var/log/ufw.log` show them. The kernel's format is fixed: the rule's prefix, then
 * `IN= OUT= … SRC= DST= … PROTO= SPT= DPT=`. Pure: text in, entries out.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Provider lines kept as evidence (the most recent). */
const MAX_PROVIDER_ENTRIES = 20;
/** Lines read from one text (the last ones win: a log is read for its recent past). */
const MAX_LINES = 200_000;

/** A log line's wall-clock time (ISO, syslog, `dmesg -T`); null for dmesg's seconds since boot. */
function lineTime(head: string, now: Date): { at: string | null; rest: string } {
  const iso = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:[.,](\d+))?(Z|[+-]\d\d:?\d\d)?\s*/.exec(head);
  if (iso) {
    const zone = iso[4] ? (iso[4] === 'Z' ? 'Z' : iso[4].replace(/^([+-]\d\d)(\d\d)$/, '$1:$2')) : 'Z';
    const d = new Date(`${iso[1]}T${iso[2]}.${(iso[3] ?? '0').padEnd(3, '0').slice(0, 3)}${zone}`);
    return { at: Number.isNaN(d.getTime()) ? null : d.toISOString(), rest: head.slice(iso[0].length) };
  }
  const human = /^\[\w{3} (\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})\]\s*/.exec(head);
  if (human) {
    const m = MONTHS.indexOf(human[1]!);
    const d = new Date(Date.UTC(+human[6]!, m, +human[2]!, +human[3]!, +human[4]!, +human[5]!));
    return { at: m < 0 ? null : d.toISOString(), rest: head.slice(human[0].length) };
  }
  const syslog = /^(\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)\s+/.exec(head);
  if (syslog) {
    const m = MONTHS.indexOf(syslog[1]!);
    if (m >= 0) {
      // Syslog lines carry no year: this year's, unless that lies ahead (a December line read in January).
      let d = new Date(Date.UTC(now.getUTCFullYear(), m, +syslog[2]!, +syslog[3]!, +syslog[4]!, +syslog[5]!));
      if (d.getTime() > now.getTime() + 86_400_000)
        d = new Date(
          Date.UTC(now.getUTCFullYear() - 1, m, +syslog[2]!, +syslog[3]!, +syslog[4]!, +syslog[5]!),
        );
      return { at: d.toISOString(), rest: head.slice(syslog[0].length) };
    }
  }
  return { at: null, rest: head };
}

function field(body: string, name: string): string | null {
  const m = new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(body);
  return m ? m[1]! : null;
}

/** One firewall log line, or null when the line is something else. */
export function parseFirewallLogLine(raw: string, now: Date): (FirewallLogEntry & { id: string }) | null {
  const line = raw.trimEnd();
  const at = line.search(/(?:^|[\s:\]])IN=\S*\s+OUT=/);
  if (at < 0) return null;
  const inAt = line.indexOf('IN=', at);
  const body = line.slice(inAt);
  const src = field(body, 'SRC');
  const dst = field(body, 'DST');
  if (!src || !dst) return null;
  const t = lineTime(line.slice(0, inAt), now);
  // What is left before IN=: `host kernel: [ 123.456] PREFIX` or just `PREFIX`.
  const prefix = t.rest
    .replace(/^\S+\s+kernel:\s*/, '')
    .replace(/^kernel:\s*/, '')
    .replace(/^\[\s*\d+\.\d+\]\s*/, '')
    .trim()
    .replace(/:$/, '')
    .slice(0, 64);
  const dpt = field(body, 'DPT');
  return {
    at: t.at,
    prefix,
    src: normalizeAddress(src),
    dst: normalizeAddress(dst),
    proto: field(body, 'PROTO'),
    dpt: dpt && /^\d+$/.test(dpt) ? Number(dpt) : null,
    blocked: /BLOCK|DROP|REJECT|DENY/i.test(prefix),
    line: line.slice(0, 400),
    id: `${t.at ?? ''}|${src}|${field(body, 'SPT') ?? ''}|${dst}|${dpt ?? ''}|${field(body, 'ID') ?? ''}|${prefix}`,
  };
}

/** Every firewall log line in a text, or null when it has none (so a paste can be told apart). */
export function parseFirewallLog(text: string, now: Date): (FirewallLogEntry & { id: string })[] | null {
  const lines = text.split('\n');
  const out: (FirewallLogEntry & { id: string })[] = [];
  for (const l of lines.slice(-MAX_LINES)) {
    const e = parseFirewallLogLine(l, now);
    if (e) out.push(e);
  }
  return out.length ? out : null;
}

/**
 * The firewall log as the diagnosis reads it: lines since `since` (all when null), the same line seen in two
 * sources (journal and kern.log) once, and those from the provider's ranges counted per prefix.
 */
export function summariseFirewallLog(
  sources: readonly { name: string; entries: readonly (FirewallLogEntry & { id: string })[] }[],
  ranges: readonly string[],
  since: Date | null,
): FirewallLog {
  const parsed = parseRangeList(ranges);
  const seen = new Set<string>();
  const kept: FirewallLogEntry[] = [];
  for (const s of sources)
    for (const { id, ...e } of s.entries) {
      if (seen.has(id)) continue;
      seen.add(id);
      if (since && e.at !== null && Date.parse(e.at) < since.getTime()) continue;
      kept.push(e);
    }
  const times = kept
    .map((e) => e.at)
    .filter((a): a is string => a !== null)
    .sort();
  const provider = kept.filter((e) => rangeOf(e.src, parsed) !== null);
  const byPrefix = new Map<string, { count: number; blocked: boolean; sample: string }>();
  for (const e of provider) {
    const p = byPrefix.get(e.prefix) ?? { count: 0, blocked: e.blocked, sample: e.line };
    p.count++;
    byPrefix.set(e.prefix, p);
  }
  return {
    sources: sources.map((s) => s.name),
    lines: kept.length,
    from: times[0] ?? null,
    to: times.at(-1) ?? null,
    providerByPrefix: [...byPrefix]
      .map(([prefix, p]) => ({ prefix, ...p }))
      .sort((a, b) => b.count - a.count),
    providerEntries: provider.slice(-MAX_PROVIDER_ENTRIES),
  };
}
