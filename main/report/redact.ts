import ipaddr from 'ipaddr.js';
import type { Report } from '../../shared/model/report';

/**
 * Redaction before a report leaves the building: private and internal addresses, hostnames under internal
 * suffixes, cookies, authorization headers and tokens become stable pseudonyms (the same value always gets the
 * same one, everywhere in the report), and the report says how many of each were replaced.
 */

export const REDACTION_KINDS = [
  'private_address',
  'internal_host',
  'cookie',
  'authorization',
  'token',
] as const;
export type RedactionKind = (typeof REDACTION_KINDS)[number];

export interface Redaction {
  readonly report: Report;
  /** The extra texts given (notes, pasted configs), redacted with the same pseudonyms. */
  readonly extra: string[];
  readonly counts: Record<RedactionKind, number>;
}

const INTERNAL_SUFFIXES = [
  'local',
  'internal',
  'intranet',
  'corp',
  'lan',
  'home',
  'localdomain',
  'home.arpa',
  'private',
];
const PRIVATE_RANGES = ['private', 'loopback', 'linkLocal', 'uniqueLocal', 'carrierGradeNat'];

const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
const IPV6 =
  /(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{0,4}(?![\w:])|(?<![\w:])[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4})*::(?:[0-9a-fA-F]{1,4}:?)*/g;
const HOST = new RegExp(
  `\\b(?:[a-z0-9-]+\\.)+(?:${INTERNAL_SUFFIXES.map((s) => s.replace('.', '\\.')).join('|')})\\b`,
  'gi',
);
const AUTH =
  /\b(authorization|proxy-authorization)(["']?\s*[:=]\s*["']?)((?:bearer|basic|digest|token)\s+)?([^\s"',;]+)/gi;
const COOKIE = /\b(cookie|set-cookie)(["']?\s*[:=]\s*["']?)((?:[^\s;=",]+=[^\s;",]*(?:;\s*)?)+)/gi;
const TOKEN =
  /\b((?:api[_-]?key|access[_-]?token|token|secret|password|passwd|session[_-]?id)["']?\s*[:=]\s*["']?)[^\s"'&,;]+/gi;

function isPrivate(address: string): boolean {
  try {
    const a = ipaddr.parse(address);
    const kind =
      a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()
        ? (a as ipaddr.IPv6).toIPv4Address().range()
        : a.range();
    return PRIVATE_RANGES.includes(kind);
  } catch {
    return false;
  }
}

/** Replaces what must not leave, in every string of the report (keys included), consistently. */
export function redactReport(report: Report, extra: readonly string[] = []): Redaction {
  const counts: Record<RedactionKind, number> = {
    private_address: 0,
    internal_host: 0,
    cookie: 0,
    authorization: 0,
    token: 0,
  };
  const names = new Map<string, string>();
  const pseudonym = (kind: RedactionKind, value: string, label: string): string => {
    const key = `${kind}\u0000${value.toLowerCase()}`;
    let name = names.get(key);
    if (!name) {
      counts[kind]++;
      name = `[${label}-${counts[kind]}]`;
      names.set(key, name);
    }
    return name;
  };
  const redactString = (s: string): string =>
    s
      .replace(
        AUTH,
        (_m, header: string, sep: string, scheme: string | undefined, value: string) =>
          `${header}${sep}${scheme ?? ''}${pseudonym('authorization', value, 'credential')}`,
      )
      .replace(
        COOKIE,
        (_m, header: string, sep: string, value: string) =>
          `${header}${sep}${pseudonym('cookie', value, 'cookie')}`,
      )
      .replace(
        TOKEN,
        (_m, prefix: string) => `${prefix}${pseudonym('token', _m.slice(prefix.length), 'token')}`,
      )
      .replace(HOST, (h) => pseudonym('internal_host', h, 'internal-host'))
      .replace(IPV6, (a) => (isPrivate(a) ? pseudonym('private_address', a, 'private-ip') : a))
      .replace(IPV4, (a) => (isPrivate(a) ? pseudonym('private_address', a, 'private-ip') : a));
  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') {
      // A header map: the value of a cookie or authorization header is redacted as a whole.
      if (key && /^(set-)?cookie$/i.test(key)) return pseudonym('cookie', v, 'cookie');
      if (key && /^(proxy-)?authorization$/i.test(key)) return pseudonym('authorization', v, 'credential');
      return redactString(v);
    }
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[redactString(k)] = walk(x, k);
      return out;
    }
    return v;
  };
  // A capture file cannot be redacted: it holds every address and byte as it was. It does not leave at all.
  const withoutPcap: Report = {
    ...report,
    probes: report.probes.map((p) =>
      p.kind === 'capture' && typeof p.data.pcap === 'string' ? { ...p, data: { ...p.data, pcap: null } } : p,
    ),
  };
  return { report: walk(withoutPcap) as Report, extra: extra.map((s) => redactString(s)), counts };
}
