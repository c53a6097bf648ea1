import { parseRange, setOf, type Family, type ParsedRange } from '../addr';
import {
  countRules,
  linesOf,
  makeRule,
  parsePortList,
  PolicyParseError,
  ruleText,
  singleChain,
  type ParseNote,
  type PortSpan,
  type Program,
  type Rule,
  type RuleSet,
  type Verdict,
} from '../model';

/** `ufw status verbose` (or `ufw status numbered`): first match in listed order, then the incoming default. */

/** Application profiles shipped with Debian / Ubuntu packages and ufw itself (keys lower case; `|` joins specs). */
export const UFW_APPS: Record<string, string> = {
  openssh: '22/tcp',
  ssh: '22/tcp',
  'nginx full': '80,443/tcp',
  'nginx http': '80/tcp',
  'nginx https': '443/tcp',
  'nginx quic': '443/udp',
  apache: '80/tcp',
  'apache full': '80,443/tcp',
  'apache secure': '443/tcp',
  www: '80/tcp',
  'www full': '80,443/tcp',
  'www secure': '443/tcp',
  postfix: '25/tcp',
  'postfix smtps': '465/tcp',
  'postfix submission': '587/tcp',
  'dovecot imap': '143/tcp',
  'dovecot secure imap': '993/tcp',
  'dovecot pop3': '110/tcp',
  'dovecot secure pop3': '995/tcp',
  mysql: '3306/tcp',
  postgresql: '5432/tcp',
  samba: '137,138/udp|139,445/tcp',
  cifs: '137,138/udp|139,445/tcp',
  mdns: '5353/udp',
  bind9: '53',
};

interface PortSpec {
  proto: string;
  ports: PortSpan[] | null;
}

function portSpec(raw: string): PortSpec | null {
  const m = /^([\d,:]+)(?:\/(tcp|udp))?$/.exec(raw.trim());
  if (!m) return null;
  const ports = parsePortList(m[1]!);
  if (!ports) return null;
  return { proto: m[2] ?? 'any', ports };
}

const VERDICT: Record<string, Verdict> = { ALLOW: 'accept', DENY: 'drop', REJECT: 'reject', LIMIT: 'accept' };

/** Multicast and limited broadcast: never the address a CDN connects to. */
const NEVER_ORIGIN = [parseRange('224.0.0.0/4')!, parseRange('255.255.255.255')!, parseRange('ff00::/8')!];

function neverOrigin(r: ParsedRange): boolean {
  return NEVER_ORIGIN.some((n) => n.family === r.family && r.span.lo >= n.span.lo && r.span.hi <= n.span.hi);
}

/** An address, maybe with ufw's protocol suffix (`10.4.0.0/16/tcp`), or null when the word is not one. */
function addrWord(w: string): { range: ParsedRange; proto: string } | null {
  const whole = parseRange(w);
  if (whole) return { range: whole, proto: 'any' };
  const m = /^(.+)\/([a-z][a-z0-9]*)$/i.exec(w);
  const r = m ? parseRange(m[1]!) : null;
  return r ? { range: r, proto: m![2]!.toLowerCase() } : null;
}

/** One side of a rule: `Anywhere[/proto]`, an address, ports, an app profile, or combinations of them. */
interface Side {
  addr: ParsedRange | null;
  proto: string;
  specs: PortSpec[] | null;
  /** An app profile whose ports this tool does not know. */
  unknownApp: string | null;
}

/**
 * Reads a To or From column (`(v6)` and `on IFACE` already removed). `ufw status verbose` prints an app's ports
 * before its name (`80,443/tcp (Nginx Full)`); `status` and `status numbered` print the name alone (`Nginx Full`,
 * `224.0.0.251 mDNS`), resolved through the profiles Debian's packages ship.
 */
function readSide(col: string): Side | null {
  let head = col.trim();
  let app: string | null = null;
  const named = /^(.*?\S)\s+\(([^()]+)\)$/.exec(head);
  if (named) {
    head = named[1]!;
    app = named[2]!;
  }
  const ws = head.split(/\s+/);
  const side: Side = { addr: null, proto: 'any', specs: null, unknownApp: null };
  let i = 0;
  const any = /^anywhere(?:\/([a-z][a-z0-9]*))?$/i.exec(ws[0]!);
  if (any) {
    side.proto = any[1]?.toLowerCase() ?? 'any';
    i = 1;
  } else {
    const a = addrWord(ws[0]!);
    if (a) {
      side.addr = a.range;
      side.proto = a.proto;
      i = 1;
    }
  }
  const rest = ws.slice(i).join(' ');
  if (rest === '') return side;
  const ps = portSpec(rest);
  if (ps) {
    side.specs = [ps];
    return side;
  }
  if (app !== null || i === 0 || !/^\d/.test(rest)) {
    const known = UFW_APPS[(app === null ? rest : app).toLowerCase()];
    if (app !== null) return null; // `PORTS (App)` whose PORTS did not read
    if (known) side.specs = known.split('|').map((k) => portSpec(k)!);
    else side.unknownApp = rest;
    return side;
  }
  return null;
}

/** A CDN node connects from an ephemeral port: a rule on source ports below 1024 never matches it. */
const EPHEMERAL_LOW = 1024;

export function parseUfw(text: string, name: string): RuleSet {
  const notes: ParseNote[] = [];
  const lines = linesOf(text);
  let active: boolean | null = null;
  let defaultIn: Verdict | null = null;
  let defaultLine = 0;
  let inTable = false;
  const rules: Record<Family, Rule[]> = { 4: [], 6: [] };
  const otherProto: number[] = [];
  let index = 0;
  lines.forEach((raw, i) => {
    const line = i + 1;
    // Runs of blanks become one space: columns are split on blanks anyway, and the unanchored \s+ patterns below
    // would otherwise rescan a long run from each of its characters (quadratic).
    const l = raw.trim().replace(/\s+/g, ' ');
    if (l === '') return;
    let m = /^Status:\s*(\w+)/i.exec(l);
    if (m) {
      active = m[1]!.toLowerCase() === 'active';
      return;
    }
    m = /^Default:\s*(\w+)\s*\(incoming\)/i.exec(l);
    if (m) {
      const d = m[1]!.toLowerCase();
      defaultIn = d === 'allow' ? 'accept' : d === 'reject' ? 'reject' : 'drop';
      defaultLine = line;
      return;
    }
    if (/^To\s+Action\s+From/i.test(l)) {
      inTable = true;
      return;
    }
    if (!inTable || /^-+\s+-+/.test(l) || /^(Logging|New profiles):/i.test(l)) return;
    const body = l
      .replace(/^\[\s*\d+\]\s*/, '')
      .replace(/\s+#\s.*$|\s+#$/, '')
      .replace(/\s+\((?:out|fwd)\)$/i, '');
    // The To column is padded to 26 characters, but a longer one leaves a single space before the action.
    const cols = /^(.*?\S)\s+(ALLOW|DENY|REJECT|LIMIT)(?:\s+(IN|OUT|FWD))?(?:\s+(\S.*))?$/.exec(body);
    if (!cols || cols[4] === undefined)
      throw new PolicyParseError('policy.bad_line', { line, text: ruleText(l) });
    const verb = cols[2]!;
    const dir = cols[3];
    if (dir === 'OUT' || dir === 'FWD') return;
    let to = cols[1]!;
    let from = cols[4];
    const v6 = /\(v6\)/.test(to) || /\(v6\)/.test(from);
    let iface: string | null = null;
    const onTo = /\s+on\s+(\S+)$/.exec(to);
    if (onTo) {
      iface = onTo[1]!;
      to = to.slice(0, onTo.index);
    }
    to = to.replace(/\s*\(v6\)/g, '').trim();
    from = from
      .replace(/\s+on\s+\S+$/, '')
      .replace(/\s*\(v6\)/g, '')
      .trim();
    const dst = readSide(to);
    const src = readSide(from);
    if (!dst || !src) throw new PolicyParseError('policy.bad_line', { line, text: ruleText(l) });
    let never: string | undefined;
    const assumed: string[] = [];
    if (iface && /^(lo|docker\d*)$/.test(iface)) never = 'loopback';
    else if (iface) assumed.push(`in on ${iface}`);
    if (dst.addr && neverOrigin(dst.addr)) never = 'not_origin';
    if (src.unknownApp !== null || src.specs) {
      // From with ports: source ports (`Anywhere  LIMIT  24/udp`, or an app as source).
      const spans = src.specs?.flatMap((sp) => sp.ports ?? [{ lo: 0, hi: 65535 }]) ?? [{ lo: 0, hi: 65535 }];
      if (spans.every((sp) => sp.hi < EPHEMERAL_LOW)) never = 'source_port';
      else
        assumed.push(
          `from port ${src.unknownApp ?? src.specs!.map((sp) => sp.ports?.map((p) => (p.lo === p.hi ? p.lo : `${p.lo}:${p.hi}`)).join(',')).join('|')}`,
        );
      notes.push({ key: 'policy.note_ufw_source_port', params: { line } });
    }
    if (dst.unknownApp !== null) {
      assumed.push(`app ${dst.unknownApp}`);
      notes.push({ key: 'policy.note_ufw_profile', params: { line, profile: ruleText(dst.unknownApp) } });
    }
    const proto =
      [dst.proto, src.proto, ...(src.specs ?? []).map((sp) => sp.proto)].find((p) => p !== 'any') ?? 'any';
    const specs: PortSpec[] = dst.specs ?? [{ proto, ports: null }];
    // A rule for UDP or another protocol only never meets a CDN's TCP connection.
    if (specs.every((sp) => !['tcp', 'any'].includes(sp.proto !== 'any' ? sp.proto : proto)))
      otherProto.push(line);
    const family: Family = v6 || src.addr?.family === 6 || dst.addr?.family === 6 ? 6 : 4;
    // LIMIT accepts what its rate allows: a limit mark the traffic passes, then the accept.
    for (const sp of specs)
      for (const limitMark of verb === 'LIMIT' ? [true, false] : [false])
        rules[family].push(
          makeRule({
            index: index++,
            line,
            text: ruleText(l),
            chain: 'ufw',
            src: src.addr ? setOf([src.addr]) : null,
            dst: dst.addr ? setOf([dst.addr]) : null,
            proto: sp.proto !== 'any' ? sp.proto : proto,
            ports: sp.ports,
            action: VERDICT[verb] ?? 'drop',
            ...(limitMark
              ? {
                  rate: {
                    kind: 'ufw_limit' as const,
                    perSource: true,
                    detail: '6 connections / 30 s per source',
                  },
                }
              : {}),
            ...(never ? { never } : {}),
            ...(assumed.length && !never ? { assumed: assumed.join(' ') } : {}),
          }),
        );
  });
  if (otherProto.length)
    notes.push({ key: 'policy.note_ufw_not_tcp', params: { lines: otherProto.join(', ') } });
  if (active === null && !inTable) throw new PolicyParseError('policy.ufw_no_status', { line: 1 });
  const programs: Partial<Record<Family, Program>> = {};
  if (active === false) {
    notes.push({ key: 'policy.note_ufw_inactive', params: {} });
  } else {
    if (defaultIn === null) {
      // Without `ufw status verbose` the incoming default is not in the output: `ufw default allow` is as
      // possible as ufw's own deny. A connection no listed rule decides meets this stand-in, which the
      // evaluator follows both ways, so its outcome is unknown, naming the missing default, never a guess.
      notes.push({ key: 'policy.note_ufw_default_assumed', params: {} });
      for (const family of [4, 6] as const)
        rules[family].push(
          makeRule({
            index: index++,
            line: 1,
            text: 'Default: ? (incoming)',
            chain: 'ufw',
            action: 'accept',
            assumed: 'the incoming default (not shown without ufw status verbose)',
            standIn: true,
          }),
        );
    }
    const policy = defaultIn ?? 'drop';
    const policyText = defaultLine ? ruleText(lines[defaultLine - 1]!) : 'Default: ? (incoming)';
    programs[4] = singleChain('ufw', rules[4], policy, defaultLine, policyText);
    programs[6] = singleChain('ufw', rules[6], policy, defaultLine, policyText);
  }
  return { name, format: 'ufw', layer: 'host', programs, ruleCount: countRules(programs), notes, sets: {} };
}
