import { isIptablesListing, readIptablesListing, type Listing } from './iptables-list';
import { EMPTY_SET, parseRange, setOf, type AddrSet, type Family, type ParsedRange } from '../addr';
import {
  countRules,
  linesOf,
  makeRule,
  parsePortList,
  PolicyParseError,
  ruleText,
  words,
  type Chain,
  type ParseNote,
  type PortSpan,
  type Program,
  type RateLimit,
  type Rule,
  type RuleAction,
  type RuleSet,
} from '../model';
import { appendAll } from '../../../shared/util/arrays';

/**
 * `iptables-save` / `ip6tables-save` output (both may be pasted together, with `ipset save` output too). Only the
 * filter table decides whether a connection is accepted; the others are read past. Chains, jumps, RETURN and
 * goto are kept as written, so ufw's, fail2ban's and docker's chains evaluate as the kernel runs them.
 */

const TERMINAL: Record<string, RuleAction> = {
  ACCEPT: 'accept',
  DROP: 'drop',
  REJECT: 'reject',
  RETURN: 'return',
};

/** Chains of ban tools: what they drop is a ban, not a policy someone wrote. */
const BAN_CHAIN = /^(f2b-|fail2ban-|sshguard|crowdsec|denyhosts|CROWDSEC)/i;
const BAN_SET = /^(f2b-|fail2ban-|sshguard|crowdsec|blacklist|blocklist)/i;

/** Interfaces whose traffic never comes from a CDN node: loopback and container bridges. */
function internalInterface(name: string): boolean {
  return /^(lo|docker\d*|br-[0-9a-f]+|veth\w*|virbr\d*|cni\d*|flannel\.\d+|cali\w+)$/.test(name);
}

/** `ipset save` output: `create NAME hash:net family inet …` and `add NAME 1.2.3.0/24 [timeout N]`. */
export function parseIpsets(text: string, notes: ParseNote[]): Record<string, AddrSet> {
  const ranges = new Map<string, ParsedRange[]>();
  const lines = linesOf(text);
  lines.forEach((raw, i) => {
    const l = raw.trim();
    // Only `create` and `add` lines (perhaps quoted) matter: the rest of an iptables-save is not tokenised here.
    if (!/^(?:create|add|["'])/.test(l)) return;
    const w = words(l);
    if (w[0] === 'create' && w[1]) {
      if (!ranges.has(w[1])) ranges.set(w[1], []);
    } else if (w[0] === 'add' && w[1] && w[2]) {
      // hash:ip,port and hash:net,iface keep the address first.
      const r = parseRange(w[2].split(',')[0]!);
      if (!r) notes.push({ key: 'policy.note_skipped_line', params: { line: i + 1, text: ruleText(raw) } });
      else (ranges.get(w[1]) ?? ranges.set(w[1], []).get(w[1])!).push(r);
    }
  });
  return Object.fromEntries([...ranges].map(([name, list]) => [name, setOf(list)]));
}

interface RuleDraft {
  src: ParsedRange[] | null;
  srcSet: string | null;
  srcNot: boolean;
  dst: ParsedRange[] | null;
  dstNot: boolean;
  proto: string;
  protoNot: boolean;
  ports: PortSpan[] | null;
  portsNot: boolean;
  action: RuleAction;
  target?: string;
  rate?: RateLimit;
  never?: string;
  match?: string;
  assumed: string[];
}

function addrList(value: string, line: number): ParsedRange[] {
  return value.split(',').map((v) => {
    const r = parseRange(v);
    if (!r) throw new PolicyParseError('policy.bad_address', { line, value: ruleText(v) });
    return r;
  });
}

function ports(value: string, line: number): PortSpan[] {
  const p = parsePortList(value);
  if (!p) throw new PolicyParseError('policy.bad_port', { line, value: ruleText(value) });
  return p;
}

const PROTO_NUM: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'ipv6-icmp' };

/** One `-A CHAIN …` line into a draft. Unknown matches are assumed to match and said so. */
function parseRuleArgs(w: string[], line: number): RuleDraft {
  const d: RuleDraft = {
    src: null,
    srcSet: null,
    srcNot: false,
    dst: null,
    dstNot: false,
    proto: 'any',
    protoNot: false,
    ports: null,
    portsNot: false,
    action: 'continue',
    assumed: [],
  };
  let not = false;
  let module = '';
  let recentKind = '';
  for (let i = 2; i < w.length; i++) {
    const a = w[i]!;
    const next = (): string => {
      const v = w[++i];
      if (v === undefined) throw new PolicyParseError('policy.missing_value', { line, option: a });
      return v;
    };
    if (a === '!') {
      not = true;
      continue;
    }
    const negated = not;
    not = false;
    switch (a) {
      case '-s':
      case '--source':
        d.src = addrList(next(), line);
        d.srcNot = negated;
        break;
      case '-d':
      case '--destination':
        d.dst = addrList(next(), line);
        d.dstNot = negated;
        break;
      case '-p':
      case '--protocol': {
        const p = next().toLowerCase();
        d.proto = p === 'all' ? 'any' : (PROTO_NUM[p] ?? p);
        d.protoNot = negated;
        break;
      }
      case '-i':
      case '--in-interface': {
        const name = next();
        const internal = internalInterface(name.replace(/\+$/, ''));
        if (internal && !negated) d.never = name === 'lo' ? 'loopback' : 'container_bridge';
        // `! -i lo` is every packet from outside. Any other interface decides only if it is the way in from the
        // Internet, which the rules alone do not say (DROP on wlan0 and REJECT on ppp0 are a 522 and a 521).
        else if (!internal) d.assumed.push(`${negated ? '! ' : ''}-i ${name}`);
        break;
      }
      case '-o':
      case '--out-interface':
        // Not allowed on INPUT; on a chain reached from elsewhere it is not every packet either.
        d.assumed.push(`${negated ? '! ' : ''}-o ${next()}`);
        break;
      case '--icmp-type':
      case '--icmpv6-type':
        // Never a CDN's TCP connection, but rules for different types are different rules.
        d.match = `${negated ? '! ' : ''}${a.slice(2)} ${next()}`;
        break;
      case '-f':
      case '--fragment':
        // Second and later fragments: never a SYN.
        if (!negated) d.never = 'fragment';
        break;
      case '-m':
      case '--match':
        module = next();
        break;
      case '--dport':
      case '--destination-port':
      case '--dports':
      case '--destination-ports':
        d.ports = ports(next(), line);
        d.portsNot = negated;
        break;
      case '--ports':
        d.ports = ports(next(), line);
        d.portsNot = negated;
        break;
      case '--sport':
      case '--source-port':
      case '--sports':
      case '--source-ports': {
        const v = next();
        // A CDN connects from ephemeral ports: a rule for a fixed source port (DHCP, DNS replies) is not for it.
        if (!negated) d.never = 'source_port';
        void v;
        break;
      }
      case '--src-range':
        d.src = addrList(next(), line);
        d.srcNot = negated;
        break;
      case '--dst-range':
        d.dst = addrList(next(), line);
        d.dstNot = negated;
        break;
      case '--match-set': {
        const name = next();
        const dir = next();
        if (dir.split(',')[0] === 'src') {
          d.srcSet = name;
          d.srcNot = negated;
        } else d.assumed.push(`set ${name} ${dir}`);
        break;
      }
      case '--state':
      case '--ctstate': {
        const states = next().toUpperCase().split(',');
        const newOk = states.includes('NEW');
        if (newOk === negated) d.never = 'established_only';
        break;
      }
      case '--syn':
        if (negated) d.never = 'established_only';
        break;
      case '--limit':
        if (module === 'limit') d.rate = { kind: 'limit', perSource: false, detail: `limit ${next()}` };
        else next();
        break;
      case '--hashlimit':
      case '--hashlimit-upto':
      case '--hashlimit-above': {
        const v = next();
        d.rate = {
          kind: 'hashlimit',
          perSource: d.rate?.perSource ?? false,
          detail: `${a.slice(2)} ${v}`,
        };
        break;
      }
      case '--hashlimit-mode': {
        const mode = next();
        const perSource = /srcip/.test(mode);
        d.rate = { kind: 'hashlimit', perSource, detail: d.rate?.detail ?? `mode ${mode}` };
        break;
      }
      case '--connlimit-above':
      case '--connlimit-upto':
        d.rate = { kind: 'connlimit', perSource: true, detail: `${a.slice(2)} ${next()}` };
        break;
      case '--update':
      case '--rcheck':
        recentKind = a.slice(2);
        break;
      case '--set':
      case '--remove':
        recentKind = recentKind || a.slice(2);
        break;
      case '--hitcount':
      case '--seconds':
        if (module === 'recent') {
          const v = next();
          if (recentKind === 'update' || recentKind === 'rcheck')
            d.rate = {
              kind: 'recent',
              perSource: true,
              detail: `${d.rate?.detail ? `${d.rate.detail} ` : ''}${a.slice(2)} ${v}`,
            };
        } else next();
        break;
      case '--src-type': {
        const t = next().toUpperCase();
        if (!negated && t === 'LOCAL') d.never = 'loopback';
        break;
      }
      case '-j':
      case '--jump': {
        const t = next();
        d.action = TERMINAL[t] ?? 'jump';
        if (d.action === 'jump') d.target = t;
        break;
      }
      case '-g':
      case '--goto':
        d.action = 'goto';
        d.target = next();
        break;
      case '-c':
        next();
        next();
        break;
      default:
        if (a.startsWith('--')) {
          // A match option we do not evaluate (comments, icmp types, tcp flags, marks …): read its value.
          const v = w[i + 1];
          const takesValue = v !== undefined && !v.startsWith('-') && v !== '!';
          if (takesValue) i++;
          if (!IGNORED_OPTIONS.has(a) && !IGNORED_MODULES.has(module))
            d.assumed.push(`${a}${takesValue ? ` ${v}` : ''}`);
        }
    }
  }
  if (d.protoNot) {
    d.assumed.push(`! -p ${d.proto}`);
    d.proto = 'any';
  }
  if (recentKind === 'set' && d.action !== 'continue' && !d.rate) {
    // `-m recent --set -j ACCEPT` records and accepts.
  }
  if (d.rate && (recentKind === 'set' || recentKind === 'remove')) delete d.rate;
  return d;
}

/** Targets that log, mark or count and let the packet go on. */
const NON_DECIDING = new Set([
  'LOG',
  'NFLOG',
  'ULOG',
  'MARK',
  'CONNMARK',
  'TCPMSS',
  'CT',
  'NOTRACK',
  'TRACE',
  'AUDIT',
  'CLASSIFY',
  'DSCP',
  'TOS',
  'TTL',
  'HL',
  'SET',
  'CHECKSUM',
  'SECMARK',
  'CONNSECMARK',
  'TEE',
  'IDLETIMER',
  'LED',
  'RATEEST',
]);

/**
 * A `-j NAME` is a jump only when NAME is a chain of the same table; otherwise it is a target extension. Rate
 * matches only matter on rules that decide something (a rate-limited LOG changes nothing).
 */
function resolveTargets(chains: Record<string, Chain>, notes: ParseNote[]): void {
  for (const chain of Object.values(chains)) {
    chain.rules.forEach((r, i) => {
      let rule = r;
      if (rule.action === 'jump' && rule.target && !chains[rule.target]) {
        if (!NON_DECIDING.has(rule.target))
          notes.push({ key: 'policy.note_unknown_target', params: { line: rule.line, target: rule.target } });
        rule = { ...rule, action: 'continue' };
      }
      if (rule.action === 'continue' && rule.rate) {
        const { rate: _rate, ...rest } = rule;
        rule = rest;
      }
      chain.rules[i] = rule;
    });
  }
}

/** Chains a packet can reach from a base chain, through jumps and gotos. */
function reachable(chains: Record<string, Chain>, from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name) || !chains[name]) continue;
    seen.add(name);
    for (const r of chains[name]!.rules) if (r.target) todo.push(r.target);
  }
  return seen;
}

/**
 * OUTPUT filters what the origin sends, never the SYN a CDN node sends to it (the origin's answers are
 * ESTABLISHED): its rules, and chains only it reaches, never decide back-to-origin traffic nor count as anomalies
 * of the inbound policy.
 */
function markOutbound(chains: Record<string, Chain>): void {
  const inbound = new Set([...reachable(chains, 'INPUT'), ...reachable(chains, 'FORWARD')]);
  for (const name of reachable(chains, 'OUTPUT')) {
    if (inbound.has(name)) continue;
    const chain = chains[name]!;
    chain.rules.forEach((r, i) => {
      chain.rules[i] = { ...r, never: 'outbound' };
    });
  }
}

/** Options that never change whether a new connection from a CDN node matches. */
const IGNORED_OPTIONS = new Set([
  '--comment',
  '--tcp-flags',
  '--reject-with',
  '--log-prefix',
  '--log-level',
  '--log-uid',
  '--log-tcp-options',
  '--log-ip-options',
  '--limit-burst',
  '--hashlimit-burst',
  '--hashlimit-name',
  '--hashlimit-htable-expire',
  '--hashlimit-htable-size',
  '--hashlimit-htable-max',
  '--hashlimit-srcmask',
  '--connlimit-mask',
  '--connlimit-saddr',
  '--name',
  '--mask',
  '--rsource',
  '--rdest',
  '--reap',
  '--dst-type',
  '--nflog-group',
  '--nflog-prefix',
  '--set-xmark',
  '--set-mark',
  '--uid-owner',
  '--to-destination',
  '--to-source',
  '--to-ports',
  '--clamp-mss-to-pmtu',
  '--set-mss',
  '--ulog-prefix',
  '--queue-num',
  '--timeout',
  '--exist',
  '--return-nomatch',
  '--update-counters',
  '--update-subcounters',
]);

/** Match modules whose options only refine logging or marking. */
const IGNORED_MODULES = new Set([
  'comment',
  'tcp',
  'udp',
  'icmp',
  'icmp6',
  'icmpv6',
  'addrtype',
  'multiport',
]);

function detectFamily(lines: string[], start: number): Family | null {
  // Header comment from the tool, else the first address seen before the next table.
  const header = lines.slice(Math.max(0, start - 3), start).join(' ');
  if (/Generated by ip6tables/.test(header)) return 6;
  if (/Generated by iptables/.test(header)) return 4;
  // The scan ends at COMMIT or at the next table header: each line is looked at for one table only, so many tables
  // without COMMIT stay linear (before, each `*filter` scanned to the end of the file).
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith('COMMIT') || l.trimStart().startsWith('*') || l.startsWith('-P INPUT ')) break;
    if (/icmp6|ipv6-icmp|icmpv6/.test(l)) return 6;
    const m = /\s-[sd]\s+(\S+)/.exec(l);
    if (m) return m[1]!.includes(':') ? 6 : 4;
  }
  return null;
}

/** One rule from its save arguments (`-A CHAIN …`), with the set names resolved. */
function buildRule(
  w: string[],
  line: number,
  text: string,
  index: number,
  sets: Record<string, AddrSet>,
  unknownSets: Set<string>,
  extraAssumed: readonly string[] = [],
): Rule {
  const chainName = w[1]!;
  const d = parseRuleArgs(w, line);
  appendAll(d.assumed, extraAssumed);
  let src: AddrSet | null = d.src ? setOf(d.src) : null;
  if (d.srcSet) {
    const known = sets[d.srcSet];
    if (!known) unknownSets.add(d.srcSet);
    src = known ?? EMPTY_SET;
  }
  const ban = BAN_CHAIN.test(chainName) || (d.srcSet !== null && BAN_SET.test(d.srcSet));
  return makeRule({
    index,
    line,
    text,
    chain: chainName,
    src,
    srcNot: d.srcNot,
    dst: d.dst ? setOf(d.dst) : null,
    dstNot: d.dstNot,
    proto: d.proto,
    ports: d.ports,
    portsNot: d.portsNot,
    action: d.action,
    ...(d.target ? { target: d.target } : {}),
    ...(d.rate ? { rate: d.rate } : {}),
    ...(d.never ? { never: d.never } : {}),
    ...(d.match ? { match: d.match } : {}),
    ...(ban ? { ban } : {}),
    ...(d.assumed.length ? { assumed: d.assumed.join(' ') } : {}),
  });
}

/** Jumps resolved, outbound chains marked, each family's INPUT as its program. */
function finishChains(
  chainsByFamily: Partial<Record<Family, Record<string, Chain>>>,
  notes: ParseNote[],
  unknownSets: Set<string>,
): Partial<Record<Family, Program>> {
  const programs: Partial<Record<Family, Program>> = {};
  for (const f of [4, 6] as const) {
    const chains = chainsByFamily[f];
    if (chains) resolveTargets(chains, notes);
    if (chains) markOutbound(chains);
    if (chains && chains.INPUT) programs[f] = { chains, entry: ['INPUT'] };
  }
  for (const s of unknownSets) notes.push({ key: 'policy.note_unknown_set', params: { set: s } });
  return programs;
}

/**
 * An `iptables -L` listing. Without `-v` no rule can be trusted to apply to every interface, so each deciding rule
 * is an assumption and the note asks for `iptables-save`; matches printed in shapes we do not read are named too.
 */
function fromListing(listing: Listing, name: string, externalSets: Record<string, AddrSet>): RuleSet {
  const notes: ParseNote[] = [];
  const unknownSets = new Set<string>();
  const chainsByFamily: Partial<Record<Family, Record<string, Chain>>> = {};
  let index = 0;
  let unreadLines = 0;
  for (const block of listing.blocks) {
    let family: Family = block.family ?? (chainsByFamily[4] ? 6 : 4);
    if (chainsByFamily[family]) family = family === 4 ? 6 : 4;
    const chains: Record<string, Chain> = {};
    chainsByFamily[family] = chains;
    for (const c of block.chains) {
      const policy = c.policy === null ? null : c.policy === 'ACCEPT' ? 'accept' : 'drop';
      chains[c.name] = { name: c.name, rules: [], policy, policyLine: c.line, policyText: c.text };
    }
    for (const c of block.chains)
      for (const r of c.rules) {
        const extra = [
          ...(listing.interfaces ? [] : ['in-interface not shown (iptables -L without -v)']),
          ...r.unread.map((u) => `"${u}"`),
        ];
        if (r.unread.length) {
          unreadLines++;
          notes.push({
            key: 'policy.note_iptables_list_unread',
            params: { line: r.line, text: ruleText(r.unread.join(' ')) },
          });
        }
        chains[c.name]!.rules.push(
          buildRule(r.args, r.line, r.text, index++, externalSets, unknownSets, extra),
        );
      }
  }
  if (!listing.interfaces) notes.push({ key: 'policy.note_iptables_list_no_interfaces', params: {} });
  else if (unreadLines === 0) notes.push({ key: 'policy.note_iptables_list', params: {} });
  const programs = finishChains(chainsByFamily, notes, unknownSets);
  return {
    name,
    format: 'iptables',
    layer: 'host',
    programs,
    ruleCount: countRules(programs),
    notes,
    sets: externalSets,
  };
}

/**
 * Parses iptables-save / ip6tables-save text (with optional `ipset save` lines), `iptables -S` or an
 * `iptables -L -n -v` listing into a rule set.
 */
export function parseIptables(text: string, name: string, externalSets: Record<string, AddrSet>): RuleSet {
  if (isIptablesListing(text)) return fromListing(readIptablesListing(text), name, externalSets);
  const notes: ParseNote[] = [];
  const sets = { ...externalSets, ...parseIpsets(text, notes) };
  const lines = linesOf(text);
  const chainsByFamily: Partial<Record<Family, Record<string, Chain>>> = {};
  let table: string | null = null;
  let family: Family = 4;
  let index = 0;
  let sawFilter = false;
  const unknownSets = new Set<string>();
  const openFilter = (i: number): void => {
    sawFilter = true;
    // Without a header, a second filter table after a first one is the ip6tables half of a combined paste.
    const detected = detectFamily(lines, i);
    family = detected ?? (chainsByFamily[4] ? 6 : 4);
    if (chainsByFamily[family]) family = family === 4 ? 6 : 4;
    chainsByFamily[family] = {};
  };
  // `iptables -S` prints the filter table's rules in the same syntax, without `*filter` and COMMIT; a second
  // `-P INPUT` starts the `ip6tables -S` half of a combined paste. [ \t]*, not \s*: from every line start a \s*
  // would run over all the blank lines after it, quadratic in their number.
  const implicitFilter = !/^[ \t]*\*\w/m.test(text);
  lines.forEach((rawLine, i) => {
    const line = i + 1;
    const l = rawLine.trim().replace(/^\[\d+:\d+\]\s+/, '');
    if (l === '' || l.startsWith('#')) return;
    if (
      implicitFilter &&
      /^-[PNA] /.test(l) &&
      (table === null || (l.startsWith('-P INPUT ') && chainsByFamily[family]?.INPUT))
    ) {
      table = 'filter';
      openFilter(i);
    }
    if (l.startsWith('*')) {
      table = l.slice(1).trim();
      if (table === 'filter') openFilter(i);
      return;
    }
    if (l === 'COMMIT') {
      table = null;
      return;
    }
    if (/^(create|add) \S+ /.test(l)) return; // ipset lines, read above
    if (table !== 'filter') {
      if (table === null && (l.startsWith('-A ') || l.startsWith(':')))
        throw new PolicyParseError('policy.iptables_no_table', { line });
      return;
    }
    const chains = chainsByFamily[family]!;
    if (l.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)/.exec(l);
      if (!m) throw new PolicyParseError('policy.bad_line', { line, text: ruleText(l) });
      const policy = m[2] === 'ACCEPT' ? 'accept' : m[2] === 'DROP' ? 'drop' : m[2] === '-' ? null : 'drop';
      chains[m[1]!] = { name: m[1]!, rules: [], policy, policyLine: line, policyText: ruleText(l) };
      return;
    }
    if (l.startsWith('-A ') || l.startsWith('-I ')) {
      const w = words(l);
      const chainName = w[1];
      if (!chainName) throw new PolicyParseError('policy.bad_line', { line, text: ruleText(l) });
      const chain =
        chains[chainName] ??
        (chains[chainName] = { name: chainName, rules: [], policy: null, policyLine: line, policyText: '' });
      const rule = buildRule(w, line, ruleText(l), index++, sets, unknownSets);
      if (l.startsWith('-I ')) chain.rules.unshift(rule);
      else chain.rules.push(rule);
      return;
    }
    if (l.startsWith('-N ') || l.startsWith('-P ')) {
      const w = words(l);
      const n = w[1] ?? '';
      const c =
        chains[n] ?? (chains[n] = { name: n, rules: [], policy: null, policyLine: line, policyText: '' });
      if (l.startsWith('-P '))
        chains[n] = {
          ...c,
          policy: w[2] === 'ACCEPT' ? 'accept' : 'drop',
          policyLine: line,
          policyText: ruleText(l),
        };
      return;
    }
    throw new PolicyParseError('policy.bad_line', { line, text: ruleText(l) });
  });
  if (!sawFilter) throw new PolicyParseError('policy.iptables_no_filter', { line: 1 });
  const programs = finishChains(chainsByFamily, notes, unknownSets);
  return {
    name,
    format: 'iptables',
    layer: 'host',
    programs,
    ruleCount: countRules(programs),
    notes,
    sets,
  };
}
