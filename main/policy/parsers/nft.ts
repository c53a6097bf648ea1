import { parseRange, setOf, type AddrSet, type Family, type ParsedRange } from '../addr';
import {
  countRules,
  linesOf,
  makeRule,
  parsePortSpan,
  PolicyParseError,
  ruleText,
  type Chain,
  type ParseNote,
  type PortSpan,
  type Program,
  type RateLimit,
  type Rule,
  type RuleAction,
  type RuleSet,
  type Verdict,
} from '../model';

/**
 * `nft list ruleset` output: ip / ip6 / inet tables, named sets (multi-line elements too), base chains on the
 * input hook ordered by priority (a packet must be accepted by every one), jumps, gotos and verdicts.
 */

const SERVICES: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  pop3: 110,
  imap: 143,
  https: 443,
  smtps: 465,
  submission: 587,
  imaps: 993,
  pop3s: 995,
  'ms-sql-s': 1433,
  mysql: 3306,
  'ms-wbt-server': 3389,
  postgresql: 5432,
  'http-alt': 8080,
};

const PRIORITY: Record<string, number> = {
  raw: -300,
  mangle: -150,
  dstnat: -100,
  filter: 0,
  security: 50,
  srcnat: 100,
};

interface TableChain {
  readonly key: string;
  readonly table: string;
  readonly families: Family[];
  chain: Chain;
  hook: string | null;
  priority: number;
}

function tokens(line: string): string[] {
  return line.match(/"[^"]*"|!=|==|[{}]|,|[^\s{},]+/g) ?? [];
}

function unquote(t: string): string {
  return t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

interface Value {
  readonly neg: boolean;
  readonly values: string[];
  readonly setRef: string | null;
  readonly next: number;
}

/** Reads `[!=|==] (x | { a, b } | @set)` from position i. */
function readValue(t: string[], i: number): Value {
  let neg = false;
  if (t[i] === '!=') {
    neg = true;
    i++;
  } else if (t[i] === '==') i++;
  const v = t[i];
  if (v === '{') {
    const values: string[] = [];
    i++;
    while (i < t.length && t[i] !== '}') {
      if (t[i] !== ',') values.push(unquote(t[i]!));
      i++;
    }
    return { neg, values, setRef: null, next: i + 1 };
  }
  if (v?.startsWith('@')) return { neg, values: [], setRef: v.slice(1), next: i + 1 };
  return { neg, values: v === undefined ? [] : [unquote(v)], setRef: null, next: i + 1 };
}

/** Skips a `{ … }` block starting at i (which must be `{`), returning its tokens and the index after it. */
function block(t: string[], i: number): [string[], number] {
  let depth = 0;
  const start = i;
  for (; i < t.length; i++) {
    if (t[i] === '{') depth++;
    else if (t[i] === '}' && --depth === 0) return [t.slice(start + 1, i), i + 1];
  }
  return [t.slice(start + 1), t.length];
}

function portOf(v: string): PortSpan | null {
  const named = SERVICES[v];
  if (named !== undefined) return { lo: named, hi: named };
  return parsePortSpan(v);
}

/** nftables protocol names and numbers for TCP and UDP; anything else never carries a CDN's TCP connection. */
const L4: Record<string, 'tcp' | 'udp'> = { tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp' };

/**
 * What a protocol match (`ip protocol`, `ip6 nexthdr`, `meta l4proto`, with a value, a set or `!=`) lets through,
 * in the rule model's one word: `tcp`, `udp`, `any` (both), or the first other protocol (neither: never a CDN's
 * TCP connection). Null when it names a set the reader does not have.
 */
function protoOf(v: Value): string | null {
  if (v.setRef) return null;
  const named = new Set(v.values.map((x) => L4[x.toLowerCase()] ?? 'other'));
  const tcp = named.has('tcp') !== v.neg;
  const udp = named.has('udp') !== v.neg;
  if (tcp && udp) return 'any';
  if (tcp) return 'tcp';
  if (udp) return 'udp';
  return v.values.find((x) => !L4[x.toLowerCase()]) ?? 'other';
}

/** Protocol words that open a header match on a protocol other than TCP and UDP (`icmp type echo-request`). */
const OTHER_L4 = new Set(['icmp', 'icmpv6', 'icmpx', 'igmp', 'esp', 'ah', 'comp', 'dccp', 'udplite', 'gre']);

const INTERNAL_IF = /^(lo|docker\d*|br-[0-9a-f]+|veth\w*|virbr\d*|cni\d*)$/;
const LOG_OPTIONS = new Set(['prefix', 'level', 'flags', 'group', 'snaplen', 'queue-threshold']);

interface SetDef {
  elements: string[];
  line: number;
}

/** Parses nft list ruleset text. */
export function parseNft(text: string, name: string, externalSets: Record<string, AddrSet>): RuleSet {
  const notes: ParseNote[] = [];
  const lines = linesOf(text);
  const tableChains: TableChain[] = [];
  const setDefs = new Map<string, SetDef>(); // key: table key + name
  let table: { family: string; name: string } | null = null;
  let current: TableChain | null = null;
  let inSet: { key: string; buf: string[]; depth: number; line: number } | null = null;
  let index = 0;
  let sawTable = false;

  const tableKey = (): string => `${table!.family} ${table!.name}`;
  const familiesOf = (f: string): Family[] =>
    f === 'ip' ? [4] : f === 'ip6' ? [6] : f === 'inet' ? [4, 6] : [];

  const pendingRules: { tc: TableChain; toks: string[]; line: number; raw: string }[] = [];

  lines.forEach((raw, i) => {
    const line = i + 1;
    // The handle comment is cut at the last `#`; a `\s+#…$` regex would be cubic on a long line of spaces.
    const hash = raw.lastIndexOf('#');
    const l = (
      hash > 0 && /^#\s*handle\s+\d+\s*$/.test(raw.slice(hash)) && /\s/.test(raw[hash - 1]!)
        ? raw.slice(0, hash)
        : raw
    ).trim();
    if (inSet) {
      inSet.buf.push(l);
      for (const c of l) {
        if (c === '{') inSet.depth++;
        else if (c === '}') inSet.depth--;
      }
      if (inSet.depth <= 0) {
        const body = inSet.buf.join(' ');
        const m = /elements\s*=\s*\{([^}]*)\}/.exec(body);
        const elements = m
          ? m[1]!
              .split(',')
              .map((e) => e.trim().split(/\s+/)[0]!)
              .filter(Boolean)
          : [];
        setDefs.set(inSet.key, { elements, line: inSet.line });
        inSet = null;
      }
      return;
    }
    if (l === '' || l.startsWith('#')) return;
    let m = /^table\s+(ip|ip6|inet|arp|bridge|netdev)\s+(\S+)\s*\{$/.exec(l);
    if (m) {
      table = { family: m[1]!, name: m[2]! };
      sawTable = true;
      return;
    }
    // A script for `nft -f` (the file about to be loaded) starts by emptying the ruleset: what follows is all of it.
    // Other commands outside a table (add rule, flush table …) change a ruleset this file does not show: refused.
    if (!table && /^flush\s+ruleset\s*;?$/.test(l)) return;
    if (!table) throw new PolicyParseError('policy.nft_outside_table', { line, text: ruleText(l) });
    m = /^(set|map)\s+(\S+)\s*\{(.*)$/.exec(l);
    if (m) {
      inSet = { key: `${tableKey()} ${m[2]}`, buf: [m[3]!], depth: 1, line };
      for (const c of m[3]!) {
        if (c === '{') inSet.depth++;
        else if (c === '}') inSet.depth--;
      }
      if (inSet.depth <= 0) {
        const body = inSet.buf.join(' ');
        const em = /elements\s*=\s*\{([^}]*)\}/.exec(body);
        setDefs.set(inSet.key, {
          elements: em
            ? em[1]!
                .split(',')
                .map((e) => e.trim().split(/\s+/)[0]!)
                .filter(Boolean)
            : [],
          line,
        });
        inSet = null;
      }
      return;
    }
    m = /^chain\s+(\S+)\s*\{$/.exec(l);
    if (m) {
      current = {
        key: `${tableKey()} ${m[1]}`,
        table: tableKey(),
        families: familiesOf(table.family),
        chain: { name: m[1]!, rules: [], policy: null, policyLine: line, policyText: '' },
        hook: null,
        priority: 0,
      };
      tableChains.push(current);
      return;
    }
    if (/^(flowtable|counter|quota|limit|ct\s+\w+|secmark|synproxy)\s+\S+.*\{$/.test(l)) {
      // Stateful objects: read past their body.
      inSet = { key: `${tableKey()} #object${line}`, buf: [], depth: 1, line };
      return;
    }
    if (l === '}') {
      if (current) current = null;
      else table = null;
      return;
    }
    if (!current) return;
    if (/^type\s+\w+\s+hook\s+/.test(l)) {
      const hook = /hook\s+(\w+)/.exec(l)?.[1] ?? null;
      const pm = /priority\s+([a-z]+|-?\d+)(?:\s*([+-])\s*(\d+))?/.exec(l);
      let priority = 0;
      if (pm) {
        priority = PRIORITY[pm[1]!] ?? Number(pm[1]);
        if (pm[2]) priority += (pm[2] === '-' ? -1 : 1) * Number(pm[3]);
      }
      const pol = /policy\s+(accept|drop)/.exec(l)?.[1] as Verdict | undefined;
      current.hook = hook;
      current.priority = Number.isFinite(priority) ? priority : 0;
      current.chain = {
        ...current.chain,
        policy: pol ?? 'accept',
        policyLine: line,
        policyText: ruleText(l),
      };
      return;
    }
    pendingRules.push({ tc: current, toks: tokens(l), line, raw: l });
  });
  if (!sawTable) throw new PolicyParseError('policy.nft_no_table', { line: 1 });

  const resolveSet = (tc: TableChain, ref: string): string[] | null => {
    const def = setDefs.get(`${tc.table} ${ref}`);
    if (def) return def.elements;
    return null;
  };

  // A DNAT or redirect statement anywhere (`dnat to …`, `dnat ip to …`, `redirect to :8080`).
  const hasDnat = pendingRules.some(({ toks }) =>
    toks.some(
      (x, j) => (x === 'dnat' || x === 'redirect') && toks[j - 1] !== 'status' && toks[j - 1] !== ',',
    ),
  );
  for (const { tc, toks, line, raw } of pendingRules) {
    const rule = parseNftRule(toks, line, raw, tc, index++, resolveSet, externalSets, notes, hasDnat);
    tc.chain.rules.push(rule);
  }

  // Jump targets are chain names within the table: rename them to the table-qualified key. One chain object per
  // table chain, shared by both families of an inet table, so its rules are counted and compared once.
  const qualified = new Map<TableChain, Chain>(
    tableChains.map((tc) => [
      tc,
      {
        ...tc.chain,
        rules: tc.chain.rules.map((r) => (r.target ? { ...r, target: `${tc.table} ${r.target}` } : r)),
      },
    ]),
  );
  const programs: Partial<Record<Family, Program>> = {};
  for (const f of [4, 6] as const) {
    const mine = tableChains.filter((tc) => tc.families.includes(f));
    const entry = mine
      .filter((tc) => tc.hook === 'input' && tc.chain.policy !== null)
      .sort((a, b) => a.priority - b.priority)
      .map((tc) => tc.key);
    if (entry.length === 0) continue;
    const chains: Record<string, Chain> = {};
    for (const tc of mine) chains[tc.key] = qualified.get(tc)!;
    programs[f] = { chains, entry };
  }
  return {
    name,
    format: 'nftables',
    layer: 'host',
    programs,
    ruleCount: countRules(programs),
    notes,
    sets: {},
  };
}

function parseNftRule(
  t: string[],
  line: number,
  raw: string,
  tc: TableChain,
  index: number,
  resolveSet: (tc: TableChain, ref: string) => string[] | null,
  externalSets: Record<string, AddrSet>,
  notes: ParseNote[],
  hasDnat: boolean,
): Rule {
  let src: AddrSet | null = null;
  let srcNot = false;
  let dst: AddrSet | null = null;
  let dstNot = false;
  let proto = 'any';
  let ports: PortSpan[] | null = null;
  let portsNot = false;
  let action: RuleAction = 'continue';
  let target: string | undefined;
  let rate: RateLimit | undefined;
  let never: string | undefined;
  let family: Family | undefined;
  const assumed: string[] = [];

  const addrValues = (v: Value): AddrSet => {
    const list = v.setRef ? (resolveSet(tc, v.setRef) ?? null) : v.values;
    if (list === null) {
      const ext = v.setRef ? externalSets[v.setRef] : undefined;
      if (ext) return ext;
      notes.push({ key: 'policy.note_unknown_set', params: { set: v.setRef ?? '' } });
      return { 4: [], 6: [] };
    }
    const ranges: ParsedRange[] = [];
    for (const x of list) {
      const r = parseRange(x);
      if (!r) throw new PolicyParseError('policy.bad_address', { line, value: ruleText(x) });
      ranges.push(r);
    }
    return setOf(ranges);
  };
  const portValues = (v: Value): PortSpan[] => {
    const list = v.setRef ? (resolveSet(tc, v.setRef) ?? []) : v.values;
    return list.map((x) => {
      const p = portOf(x);
      if (!p) throw new PolicyParseError('policy.bad_port', { line, value: ruleText(x) });
      return p;
    });
  };
  const meterRate = (body: string[]): RateLimit | undefined => {
    const joined = body.join(' ');
    if (!/\blimit\b|\bct count\b/.test(joined)) return undefined;
    return {
      kind: /ct count/.test(joined) ? 'connlimit' : 'hashlimit',
      perSource: /saddr/.test(joined),
      detail: joined,
    };
  };

  let i = 0;
  while (i < t.length) {
    const w = t[i]!;
    if (w === '#' || w.startsWith('#')) break;
    if (w === 'ip' || w === 'ip6') {
      const field = t[i + 1];
      const fam: Family = w === 'ip' ? 4 : 6;
      family = fam;
      if (field === 'saddr' || field === 'daddr') {
        const v = readValue(t, i + 2);
        const set = addrValues(v);
        if (field === 'saddr') {
          src = set;
          srcNot = v.neg;
        } else {
          dst = set;
          dstNot = v.neg;
        }
        i = v.next;
      } else if (field === 'protocol' || field === 'nexthdr') {
        const v = readValue(t, i + 2);
        const p = protoOf(v);
        if (p === null) assumed.push(`${w} ${field} @${v.setRef}`);
        else proto = p;
        i = v.next;
      } else {
        const v = readValue(t, i + 2);
        assumed.push(`${w} ${field ?? ''}`);
        i = v.next;
      }
      continue;
    }
    if (w === 'tcp' || w === 'udp' || w === 'th' || w === 'sctp') {
      const field = t[i + 1];
      if (w !== 'th') proto = w;
      if (field === 'dport') {
        const v = readValue(t, i + 2);
        ports = portValues(v);
        portsNot = v.neg;
        i = v.next;
      } else if (field === 'sport') {
        const v = readValue(t, i + 2);
        if (!v.neg) never = 'source_port';
        i = v.next;
      } else if (field === 'flags') {
        // `tcp flags syn`, `tcp flags & (fin|syn|rst|ack) == syn`: all match a new connection's SYN.
        i += 2;
        while (
          i < t.length &&
          !/^(accept|drop|reject|jump|goto|return|counter|log|limit|ct|meta|ip|ip6|tcp|comment)$/.test(t[i]!)
        )
          i++;
      } else i += 1;
      continue;
    }
    if (OTHER_L4.has(w)) {
      // `icmp type …`, `icmpv6 type …`, `esp spi …`: a match on another protocol's header, never a TCP SYN.
      proto = w === 'icmpv6' ? 'ipv6-icmp' : w;
      i = t[i + 1] !== undefined && /^[a-z-]+$/.test(t[i + 1]!) ? readValue(t, i + 2).next : i + 1;
      continue;
    }
    if (w === 'meta') {
      const field = t[i + 1];
      const v = readValue(t, i + 2);
      if (field === 'l4proto') {
        const p = protoOf(v);
        if (p === null) assumed.push(`meta l4proto @${v.setRef}`);
        else proto = p;
      } else if (field === 'nfproto' && !v.neg && v.values.length === 1)
        family = v.values[0] === 'ipv6' ? 6 : 4;
      else if (field === 'iif' || field === 'iifname') {
        if (!v.neg && v.values.every((x) => INTERNAL_IF.test(x)))
          never = v.values[0] === 'lo' ? 'loopback' : 'container_bridge';
      } else if (field !== 'oif' && field !== 'oifname' && field !== 'pkttype') assumed.push(`meta ${field}`);
      i = v.next;
      continue;
    }
    if (w === 'iif' || w === 'iifname') {
      const v = readValue(t, i + 1);
      if (!v.neg && v.values.length > 0 && v.values.every((x) => INTERNAL_IF.test(x)))
        never = v.values[0] === 'lo' ? 'loopback' : 'container_bridge';
      i = v.next;
      continue;
    }
    if (w === 'oif' || w === 'oifname') {
      i = readValue(t, i + 1).next;
      continue;
    }
    if (w === 'ct') {
      const field = t[i + 1];
      if (field === 'state' && t[i + 2] === 'vmap') {
        const [body, next] = block(t, i + 3);
        const idx = body.indexOf('new');
        if (idx >= 0 && body[idx + 1] === ':') {
          const verdict = body[idx + 2];
          if (verdict === 'accept' || verdict === 'drop' || verdict === 'reject') action = verdict;
        } else never = 'established_only';
        i = next;
        continue;
      }
      if (field === 'state') {
        const v = readValue(t, i + 2);
        const states = v.values.flatMap((x) => x.split(','));
        if (states.includes('new') === v.neg) never = 'established_only';
        i = v.next;
        continue;
      }
      if (field === 'count') {
        let j = i + 2;
        if (t[j] === 'over') j++;
        rate = { kind: 'connlimit', perSource: false, detail: `ct count ${t[j] ?? ''}` };
        i = j + 1;
        continue;
      }
      if (field === 'status') {
        // `ct status dnat accept` (firewalld): only connections a DNAT rule rewrote. With no DNAT statement in
        // the whole ruleset none exists; with one, a CDN connection may be one.
        const v = readValue(t, i + 2);
        if (!v.neg && v.values.length === 1 && v.values[0] === 'dnat' && !hasDnat) never = 'not_dnat';
        else assumed.push(`ct status ${v.neg ? '!= ' : ''}${v.values.join(',')}`);
        i = v.next;
        continue;
      }
      const v = readValue(t, i + 2);
      assumed.push(`ct ${field ?? ''} ${v.neg ? '!= ' : ''}${v.values.join(',')}`.trim());
      i = v.next;
      continue;
    }
    if (w === 'limit') {
      let j = i + 1;
      if (t[j] === 'rate') j++;
      const over = t[j] === 'over';
      if (over) j++;
      const detail = t.slice(i, Math.min(t.length, j + 3)).join(' ');
      rate = { kind: 'limit', perSource: false, detail };
      j++;
      if (t[j] === 'burst') j += 3;
      i = j;
      continue;
    }
    if (w === 'meter' || w === 'add' || w === 'update') {
      let j = i + 1;
      while (j < t.length && t[j] !== '{') j++;
      const [body, next] = block(t, j);
      const r = meterRate(body);
      if (r) rate = r;
      i = next;
      continue;
    }
    if (w === 'counter') {
      i++;
      if (t[i] === 'packets') i += 4;
      continue;
    }
    if (w === 'log') {
      i++;
      while (i < t.length && LOG_OPTIONS.has(t[i]!)) {
        i += t[i] === 'flags' ? 2 : 2;
      }
      continue;
    }
    if (w === 'comment') {
      i += 2;
      continue;
    }
    if (w === 'accept' || w === 'drop') {
      action = w;
      i++;
      continue;
    }
    if (w === 'reject') {
      action = 'reject';
      i++;
      if (t[i] === 'with') i += t[i + 1] === 'tcp' ? 3 : 4;
      continue;
    }
    if (w === 'jump' || w === 'goto') {
      action = w === 'jump' ? 'jump' : 'goto';
      target = t[i + 1];
      i += 2;
      continue;
    }
    if (w === 'return') {
      action = 'return';
      i++;
      continue;
    }
    if (w === 'continue' || w === 'notrack') {
      i++;
      continue;
    }
    if (w === 'fib') {
      // rpfilter (`fib saddr . iif oif missing drop`): spoofed sources only, never a CDN node.
      never = 'rpfilter';
      i++;
      while (i < t.length && !/^(accept|drop|reject|counter|log)$/.test(t[i]!)) i++;
      continue;
    }
    assumed.push(w);
    i++;
  }
  if (action === 'continue' && rate) rate = undefined;
  return makeRule({
    index,
    line,
    text: ruleText(raw),
    chain: tc.chain.name,
    src,
    srcNot,
    dst,
    dstNot,
    proto,
    ports,
    portsNot,
    action,
    ...(target ? { target } : {}),
    ...(rate ? { rate } : {}),
    ...(never ? { never } : {}),
    ...(family ? { family } : {}),
    ...(assumed.length ? { assumed: assumed.join(' ') } : {}),
  });
}
