import { EMPTY_SET, parseRange, setOf, unionSets, type AddrSet, type ParsedRange } from '../addr';
import {
  bothFamiliesSet,
  linesOf,
  makeRule,
  parsePortSpan,
  PolicyParseError,
  ruleText,
  type Chain,
  type ParseNote,
  type PortSpan,
  type RateLimit,
  type Rule,
  type RuleAction,
  type RuleSet,
  type Verdict,
} from '../model';
import { portOfName } from '../port-names';

/**
 * firewalld, from `firewall-cmd --list-all` / `--list-all-zones` text or a zone's XML file. Zones bound to
 * sources are checked first (their sources only), then the interface zone. Within a zone: rich rules by
 * priority, deny before allow at equal priority, then services, ports and the zone's target.
 */

/** Ports of firewalld's shipped service definitions most often seen on web origins. */
export const FIREWALLD_SERVICES: Record<string, string[]> = {
  ssh: ['22/tcp'],
  http: ['80/tcp'],
  https: ['443/tcp'],
  http3: ['443/udp'],
  'dhcpv6-client': ['546/udp'],
  cockpit: ['9090/tcp'],
  mysql: ['3306/tcp'],
  postgresql: ['5432/tcp'],
  redis: ['6379/tcp'],
  'ms-wbt': ['3389/tcp'],
  ftp: ['21/tcp'],
  smtp: ['25/tcp'],
  smtps: ['465/tcp'],
  dns: ['53/tcp', '53/udp'],
  mdns: ['5353/udp'],
  'samba-client': ['137/udp', '138/udp'],
  mongodb: ['27017/tcp'],
  elasticsearch: ['9200/tcp', '9300/tcp'],
  'http-alt': ['8080/tcp'],
};

interface RichRule {
  family: 4 | 6 | null;
  source: string | null;
  sourceIpset: string | null;
  invert: boolean;
  ports: { proto: string; ports: PortSpan[] | null } | null;
  /** A port name not in /etc/services: the rule may or may not match (worded for the report). */
  assumed: string | null;
  service: string | null;
  action: Verdict | null;
  limit: string | null;
  priority: number;
  line: number;
  text: string;
}

interface Zone {
  name: string;
  active: boolean;
  isDefault: boolean;
  target: Verdict;
  targetText: string;
  targetLine: number;
  interfaces: string[];
  sources: string[];
  services: { name: string; line: number }[];
  ports: { spec: string; line: number }[];
  rich: RichRule[];
}

function targetVerdict(t: string): Verdict {
  const u = t.toUpperCase();
  return u === 'ACCEPT' ? 'accept' : u === 'DROP' ? 'drop' : 'reject';
}

function attr(text: string, name: string): string | null {
  return new RegExp(`\\b${name}="([^"]*)"`).exec(text)?.[1] ?? null;
}

/**
 * A rich rule's `port port="…"`: a number, a range (`1000-2000`) or a service name, which firewalld resolves with
 * getservbyname (fail2ban's firewallcmd actions write `port="ssh"`). A name not in /etc/services leaves the port
 * unknown: the rule then may or may not match, named in `assumed` and in a note.
 */
function richPort(
  raw: string,
  proto: string,
  line: number,
  notes: ParseNote[],
): { ports: RichRule['ports']; assumed: string | null } {
  const span = parsePortSpan(raw);
  if (span) return { ports: { proto, ports: [span] }, assumed: null };
  const named = /^[A-Za-z][\w.+-]*$/.test(raw) ? portOfName(raw) : null;
  if (named !== null) return { ports: { proto, ports: [{ lo: named, hi: named }] }, assumed: null };
  if (!/^[A-Za-z][\w.+-]*$/.test(raw))
    throw new PolicyParseError('policy.bad_port', { line, value: ruleText(raw) });
  notes.push({ key: 'policy.note_firewalld_port_name', params: { line, port: ruleText(raw) } });
  return { ports: { proto, ports: null }, assumed: `port port="${ruleText(raw)}"` };
}

function portSpec(spec: string): { proto: string; ports: PortSpan[] | null } | null {
  const m = /^([\d:-]+)\/(tcp|udp|sctp|dccp)$/.exec(spec.trim());
  if (!m) return null;
  const p = parsePortSpan(m[1]!);
  return p ? { proto: m[2]!, ports: [p] } : null;
}

/**
 * A rich rule as `--list-all` prints it: `rule family="ipv4" source address="…" port port="443" protocol="tcp" accept`.
 * Quoted values are masked (same length) before keywords are looked for, so a log prefix saying "reject" is text.
 * A `limit` before the verdict belongs to `log` / `audit` and throttles the logging, not the traffic (fail2ban's
 * firewallcmd-rich-logging writes `log prefix="f2b-sshd" level="info" limit value="1/m" reject`).
 */
function parseRich(text: string, line: number, notes: ParseNote[]): RichRule {
  const family = attr(text, 'family');
  const masked = text.replace(/"[^"]*"/g, (q) => `"${'x'.repeat(q.length - 2)}"`);
  const src =
    /source\s+([^]*?)(?=\s(?:destination|service|port|protocol|icmp|forward-port|source-port|masquerade|log|audit|nflog|accept|reject|drop|mark)\b|$)/.exec(
      text,
    )?.[1] ?? '';
  const portM = /\bport\s+port="([^"]+)"\s+protocol="(\w+)"/.exec(text);
  const actionM = /\b(accept|reject|drop)\b/.exec(masked);
  const action = actionM?.[1] as Verdict | undefined;
  const limit = actionM ? (/\blimit\s+value="([^"]+)"/.exec(text.slice(actionM.index))?.[1] ?? null) : null;
  const port = portM ? richPort(portM[1]!, portM[2]!, line, notes) : { ports: null, assumed: null };
  return {
    family: family === 'ipv4' ? 4 : family === 'ipv6' ? 6 : null,
    source: attr(src, 'address'),
    sourceIpset: attr(src, 'ipset'),
    invert: /invert="(?:yes|true)"/i.test(src),
    ports: port.ports,
    assumed: port.assumed,
    service: /\bservice\s+name="([^"]+)"/.exec(text)?.[1] ?? null,
    action: action ?? null,
    limit,
    priority: Number(attr(text, 'priority') ?? 0) || 0,
    line,
    text: ruleText(text),
  };
}

function newZone(name: string, line: number): Zone {
  return {
    name,
    active: false,
    isDefault: false,
    target: 'reject',
    targetText: `${name}: target default`,
    targetLine: line,
    interfaces: [],
    sources: [],
    services: [],
    ports: [],
    rich: [],
  };
}

/** Zones from `firewall-cmd --list-all[-zones]` text. */
function zonesFromText(text: string, notes: ParseNote[]): Zone[] {
  const zones: Zone[] = [];
  let zone: Zone | null = null;
  let inRich = false;
  linesOf(text).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const header = /^(\S+)(?:\s+\(([^)]*)\))?\s*$/.exec(raw);
    if (header && !/^\s/.test(raw)) {
      zone = newZone(header[1]!, line);
      const flags = (header[2] ?? '').split(/,\s*/);
      zone.active = flags.includes('active');
      zone.isDefault = flags.includes('default');
      zones.push(zone);
      inRich = false;
      return;
    }
    if (!zone) throw new PolicyParseError('policy.firewalld_no_zone', { line });
    const z: Zone = zone;
    const kv = /^\s+([a-z- ]+):\s*(.*)$/.exec(raw);
    if (kv && !/^\s+rule\b/.test(raw)) {
      const key = kv[1]!.trim();
      const value = kv[2]!.trim();
      inRich = key === 'rich rules';
      const list = value === '' ? [] : value.split(/\s+/);
      if (key === 'target') {
        z.target = value === 'default' ? 'reject' : targetVerdict(value.replace(/%/g, ''));
        z.targetText = ruleText(raw);
        z.targetLine = line;
      } else if (key === 'interfaces') z.interfaces = list;
      else if (key === 'sources') z.sources = list;
      else if (key === 'services') z.services = list.map((name) => ({ name, line }));
      else if (key === 'ports') z.ports = list.map((spec) => ({ spec, line }));
      return;
    }
    if (inRich && /^\s+rule\b/.test(raw)) {
      z.rich.push(parseRich(raw.trim(), line, notes));
      return;
    }
  });
  if (zones.length === 0) throw new PolicyParseError('policy.firewalld_no_zone', { line: 1 });
  return zones;
}

const decodeXml = (s: string): string =>
  s.replace(
    /&(lt|gt|quot|apos|amp);/g,
    (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!,
  );

/**
 * A zone XML file (/etc/firewalld/zones/NAME.xml). Read as tags only: a DOCTYPE or entity declaration is
 * refused, so no external entity is ever resolved.
 */
function zoneFromXml(text: string, name: string, notes: ParseNote[]): Zone {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new PolicyParseError('policy.xml_doctype', { line: 1 });
  const lineAt = (offset: number): number => text.slice(0, offset).split(/\r\n|\r|\n/).length;
  const zoneTag = /<zone\b([^>]*)>/.exec(text);
  if (!zoneTag) throw new PolicyParseError('policy.firewalld_no_zone', { line: 1 });
  const zone = newZone(name.replace(/\.xml$/i, ''), lineAt(zoneTag.index));
  const t = attr(zoneTag[1]!, 'target');
  zone.target = t && t !== 'default' ? targetVerdict(t.replace(/%/g, '')) : 'reject';
  zone.targetText = ruleText(zoneTag[0]);
  zone.active = true;
  // Rules first (their inner tags must not count as zone-level ones), then the zone's own elements.
  const withoutRules = text.replace(/<rule\b[^>]*>[^]*?<\/rule>/g, (m) => ' '.repeat(m.length));
  for (const m of text.matchAll(/<rule\b([^>]*)>([^]*?)<\/rule>/g)) {
    const a = m[1]!;
    const body = m[2]!;
    const srcTag = /<source\b([^>]*)\/?>/.exec(body)?.[1] ?? '';
    const portTag = /<port\b([^>]*)\/?>/.exec(body)?.[1] ?? null;
    const line = lineAt(m.index);
    const port = portTag
      ? richPort(decodeXml(attr(portTag, 'port') ?? ''), attr(portTag, 'protocol') ?? 'tcp', line, notes)
      : { ports: null, assumed: null };
    // The verdict element, and a limit inside it (a limit inside <log> throttles the logging only).
    const actionM = /<(accept|reject|drop)\b[^>]*?(\/>|>([^]*?)<\/\1>)/.exec(body);
    const action = actionM?.[1] as Verdict | undefined;
    zone.rich.push({
      family: attr(a, 'family') === 'ipv4' ? 4 : attr(a, 'family') === 'ipv6' ? 6 : null,
      source: srcTag ? attr(srcTag, 'address') : null,
      sourceIpset: srcTag ? attr(srcTag, 'ipset') : null,
      invert: /invert="(?:yes|true)"/i.test(srcTag),
      ports: port.ports,
      assumed: port.assumed,
      service: /<service\b[^>]*name="([^"]+)"/.exec(body)?.[1] ?? null,
      action: action ?? null,
      limit: /<limit\b[^>]*value="([^"]+)"/.exec(actionM?.[3] ?? '')?.[1] ?? null,
      priority: Number(attr(a, 'priority') ?? 0) || 0,
      line,
      text: ruleText(decodeXml(m[0].replace(/\s+/g, ' '))),
    });
  }
  for (const m of withoutRules.matchAll(/<service\b([^>]*)\/?>/g))
    zone.services.push({ name: attr(m[1]!, 'name') ?? '', line: lineAt(m.index) });
  for (const m of withoutRules.matchAll(/<port\b([^>]*)\/?>/g))
    zone.ports.push({ spec: `${attr(m[1]!, 'port')}/${attr(m[1]!, 'protocol')}`, line: lineAt(m.index) });
  for (const m of withoutRules.matchAll(/<source\b([^>]*)\/?>/g)) {
    const addr = attr(m[1]!, 'address');
    if (addr) zone.sources.push(decodeXml(addr));
  }
  for (const m of withoutRules.matchAll(/<interface\b([^>]*)\/?>/g))
    zone.interfaces.push(attr(m[1]!, 'name') ?? '');
  return zone;
}

function addrSet(list: string[], line: number): AddrSet {
  const ranges: ParsedRange[] = list.map((a) => {
    const r = parseRange(a);
    if (!r) throw new PolicyParseError('policy.bad_address', { line, value: ruleText(a) });
    return r;
  });
  return setOf(ranges);
}

function zoneChain(zone: Zone, sets: Record<string, AddrSet>, notes: ParseNote[], next: () => number): Chain {
  const rules: Rule[] = [];
  const ordered = [...zone.rich].sort(
    (a, b) =>
      a.priority - b.priority ||
      (a.action === 'accept' ? 1 : 0) - (b.action === 'accept' ? 1 : 0) ||
      a.line - b.line,
  );
  const serviceRules = (
    svc: string,
    base: Partial<Rule>,
    line: number,
    text: string,
    action: RuleAction,
    rate?: RateLimit,
  ) => {
    const specs = FIREWALLD_SERVICES[svc];
    if (!specs) {
      notes.push({ key: 'policy.note_firewalld_service', params: { line, service: svc } });
      return;
    }
    for (const s of specs) {
      const ps = portSpec(s)!;
      rules.push(
        makeRule({
          index: next(),
          line,
          text,
          chain: zone.name,
          action,
          proto: ps.proto,
          ports: ps.ports,
          ...base,
          ...(rate ? { rate } : {}),
        }),
      );
    }
  };
  for (const r of ordered) {
    if (!r.action) continue; // log / audit only
    let src: AddrSet | null = null;
    if (r.source) src = addrSet([r.source], r.line);
    else if (r.sourceIpset) {
      src = sets[r.sourceIpset] ?? EMPTY_SET;
      if (!sets[r.sourceIpset])
        notes.push({ key: 'policy.note_unknown_set', params: { set: r.sourceIpset } });
    }
    const base: Partial<Rule> = {
      src,
      srcNot: r.invert,
      ...(r.family ? { family: r.family } : {}),
      ...(r.assumed ? { assumed: r.assumed } : {}),
    };
    const rate: RateLimit | undefined = r.limit
      ? { kind: 'limit', perSource: false, detail: `limit value="${r.limit}"` }
      : undefined;
    if (r.service) serviceRules(r.service, base, r.line, r.text, r.action, rate);
    else
      rules.push(
        makeRule({
          index: next(),
          line: r.line,
          text: r.text,
          chain: zone.name,
          action: r.action,
          proto: r.ports?.proto ?? 'any',
          ports: r.ports?.ports ?? null,
          ...base,
          ...(rate ? { rate } : {}),
        }),
      );
  }
  for (const s of zone.services)
    serviceRules(s.name, {}, s.line, `${zone.name}: service ${s.name}`, 'accept');
  for (const p of zone.ports) {
    const ps = portSpec(p.spec);
    if (!ps) throw new PolicyParseError('policy.bad_port', { line: p.line, value: ruleText(p.spec) });
    rules.push(
      makeRule({
        index: next(),
        line: p.line,
        text: `${zone.name}: port ${p.spec}`,
        chain: zone.name,
        action: 'accept',
        proto: ps.proto,
        ports: ps.ports,
      }),
    );
  }
  return {
    name: zone.name,
    rules,
    policy: zone.target,
    policyLine: zone.targetLine,
    policyText: zone.targetText,
  };
}

/** The uncertain match of a candidate zone, as firewalld's own words for it. */
function whichZone(z: Zone): string {
  return z.interfaces.length > 0
    ? `interface ${z.interfaces.join(',')} (zone ${z.name})`
    : `DefaultZone=${z.name}`;
}

/**
 * The zone(s) that may handle a provider connection that no source zone claims. An interface bound to a zone makes
 * it active; one such zone decides. Several: which interface the provider's traffic arrives on is not in the output.
 * None: the default zone decides, but firewalld 1.x prints no `(default)` mark in `--list-all-zones` (`--list-all`
 * prints the default zone alone, so a single zone is it); the zones without sources are then each possible.
 */
function interfaceZones(zones: readonly Zone[], notes: ParseNote[]): Zone[] {
  const bound = zones.filter((z) => z.interfaces.length > 0);
  if (bound.length === 1) return bound;
  if (bound.length > 1) {
    notes.push({
      key: 'policy.note_firewalld_interfaces',
      params: { zones: bound.map((z) => z.name).join(', ') },
    });
    return bound;
  }
  const marked = zones.find((z) => z.isDefault);
  if (marked) return [marked];
  const open = zones.filter((z) => z.sources.length === 0);
  if (open.length <= 1) return open.length ? open : [zones[0]!];
  notes.push({
    key: 'policy.note_firewalld_default_zone',
    params: { zones: open.map((z) => z.name).join(', ') },
  });
  return open;
}

export function parseFirewalld(
  text: string,
  name: string,
  xml: boolean,
  externalSets: Record<string, AddrSet>,
): RuleSet {
  const notes: ParseNote[] = [];
  const zones = xml ? [zoneFromXml(text, name, notes)] : zonesFromText(text, notes);
  let index = 0;
  const next = (): number => index++;
  const chains: Record<string, Chain> = {};
  const dispatch: Rule[] = [];
  const sourceZones = zones.filter((z) => z.sources.length > 0);
  const candidates = interfaceZones(zones, notes);
  for (const z of sourceZones) {
    chains[z.name] = zoneChain(z, externalSets, notes, next);
    const set = z.sources.reduce<AddrSet>((acc, s) => {
      const r = parseRange(s);
      if (!r) {
        notes.push({ key: 'policy.note_firewalld_source', params: { zone: z.name, source: ruleText(s) } });
        return acc;
      }
      return unionSets(acc, setOf([r]));
    }, EMPTY_SET);
    dispatch.push(
      makeRule({
        index: next(),
        line: z.targetLine,
        text: `zone ${z.name} sources: ${z.sources.join(' ')}`,
        chain: 'zones',
        src: set,
        action: 'goto',
        target: z.name,
      }),
    );
  }
  // One zone handles the traffic; when the output does not say which, each but the last may or may not be it.
  candidates.forEach((z, i) => {
    if (!chains[z.name]) chains[z.name] = zoneChain(z, externalSets, notes, next);
    const last = i === candidates.length - 1;
    dispatch.push(
      makeRule({
        index: next(),
        line: z.targetLine,
        text: `zone ${z.name}`,
        chain: 'zones',
        action: 'goto',
        target: z.name,
        ...(last ? {} : { assumed: whichZone(z) }),
      }),
    );
  });
  chains.zones = { name: 'zones', rules: dispatch, policy: 'reject', policyLine: 0, policyText: '' };
  return bothFamiliesSet(
    name,
    xml ? 'firewalld-xml' : 'firewalld',
    'host',
    { chains, entry: ['zones'] },
    notes,
  );
}
