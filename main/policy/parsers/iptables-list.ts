import { linesOf, PolicyParseError, ruleText } from '../model';
import { appendAll } from '../../../shared/util/arrays';

/**
 * `iptables -L -n -v [--line-numbers]` (and ip6tables'), the listing most how-tos show, read back into the
 * arguments `iptables-save` would have printed, so one reader evaluates both. What the listing cannot show is
 * named: without `-v` the interface columns are missing (`-i lo -j ACCEPT` prints as "ACCEPT all from anywhere"),
 * without `-n` addresses are names, and a match printed in a shape we do not know is kept as an assumption.
 */

export interface ListedRule {
  readonly line: number;
  readonly text: string;
  /** The rule as `iptables-save` arguments, starting `-A CHAIN`. */
  readonly args: string[];
  /** Parts of the match column that could not be translated, verbatim. */
  readonly unread: string[];
}

export interface ListedChain {
  readonly name: string;
  /** The built-in chain's policy (`ACCEPT` / `DROP`); null for a user chain. */
  readonly policy: string | null;
  readonly line: number;
  readonly text: string;
  readonly rules: ListedRule[];
}

export interface ListedBlock {
  readonly chains: ListedChain[];
  /** From the address columns (`0.0.0.0/0` or `::/0`); null when no rule shows one. */
  family: 4 | 6 | null;
}

export interface Listing {
  /** One entry per `Chain INPUT` seen: an iptables listing, then maybe the ip6tables one. */
  readonly blocks: ListedBlock[];
  /** False when the `in` / `out` columns are missing (no `-v`). */
  readonly interfaces: boolean;
}

const CHAIN_HEAD = /^Chain\s+(\S+)\s+\((?:policy\s+(\S+)[^)]*|\d+\s+references?)\)\s*$/;

/** True when the text is an `iptables -L` listing. */
export function isIptablesListing(text: string): boolean {
  return /^Chain\s+\S+\s+\((policy\s+\S+|\d+\s+references?)/m.test(text);
}

const PROTO_NAMES = /^!?(all|tcp|udp|udplite|icmp|ipv6-icmp|icmpv6|esp|ah|sctp|gre|\d{1,3})$/;
const OPT = /^(--|-f|!f)$/;
const ANY = new Set(['0.0.0.0/0', '::/0']);

/** An address column value as save arguments; names (no `-n`) cannot be evaluated. */
function addr(value: string, flag: string, line: number): string[] {
  const not = value.startsWith('!');
  const v = not ? value.slice(1) : value;
  if (ANY.has(v)) return [];
  if (!/^[0-9a-fA-F.:]+(\/\d{1,3}|\/[0-9.]+)?$/.test(v))
    throw new PolicyParseError('policy.iptables_list_names', { line, value: ruleText(v) });
  return [...(not ? ['!'] : []), flag, v];
}

/** `dpt:22`, `dpts:1000:2000`, `dpt:!22` → save arguments. */
function portArg(tok: string, out: string[]): boolean {
  const m = /^(dpts?|spts?):(!?)(\d+(?::\d+)?)$/.exec(tok);
  if (!m) return false;
  if (m[2]) out.push('!');
  out.push(m[1]!.startsWith('d') ? '--dport' : '--sport', m[3]!);
  return true;
}

/**
 * The match column, token by token, into save arguments. Each recognised shape is the one iptables' extensions
 * print (libxt_tcp, multiport, conntrack, state, icmp, set, limit, iprange, addrtype, recent, comment).
 */
function matches(extra: string, out: string[], unread: string[]): void {
  const body = extra.replace(/\/\*.*?\*\//g, ' ').trim();
  const t = body.split(/\s+/).filter(Boolean);
  let not = false;
  const neg = (): void => {
    if (not) out.push('!');
    not = false;
  };
  for (let i = 0; i < t.length; i++) {
    const w = t[i]!;
    if (w === '!') {
      not = true;
      continue;
    }
    if ((w === 'tcp' || w === 'udp') && t[i + 1] && /^(dpts?|spts?|flags):/.test(t[i + 1]!)) continue;
    if (portArg(w, out)) continue;
    if (w === 'flags:0x17/0x02' || w === 'flags:!0x17/0x02') {
      appendAll(out, [...(w.includes('!') || not ? ['!'] : []), '--syn']);
      not = false;
      continue;
    }
    if (w === 'multiport' && t[i + 1] && t[i + 2]) {
      const kind = t[++i]!;
      let v = t[++i]!;
      if (v === '!') {
        not = true;
        v = t[++i] ?? '';
      }
      neg();
      out.push(kind === 'sports' ? '--sports' : kind === 'ports' ? '--ports' : '--dports', v);
      continue;
    }
    if ((w === 'state' || w === 'ctstate') && t[i + 1]) {
      neg();
      out.push('--ctstate', t[++i]!);
      continue;
    }
    if ((w === 'icmptype' || w === 'ipv6-icmptype') && t[i + 1]) {
      neg();
      out.push(w === 'icmptype' ? '--icmp-type' : '--icmpv6-type', t[++i]!);
      if (t[i + 1] === 'code' && t[i + 2]) i += 2;
      continue;
    }
    if (w === 'reject-with' && t[i + 1]) {
      i++;
      continue;
    }
    if (w === 'match-set' && t[i + 1] && t[i + 2]) {
      neg();
      out.push('--match-set', t[i + 1]!, t[i + 2]!);
      i += 2;
      continue;
    }
    if (w === 'limit:' && t[i + 1] === 'avg' && t[i + 2]) {
      out.push('-m', 'limit', '--limit', t[i + 2]!);
      i += 2;
      if (t[i + 1] === 'burst' && t[i + 2]) i += 2;
      continue;
    }
    if ((w === 'source' || w === 'destination') && t[i + 1] === 'IP' && t[i + 2] === 'range' && t[i + 3]) {
      neg();
      out.push(w === 'source' ? '--src-range' : '--dst-range', t[i + 3]!);
      i += 3;
      continue;
    }
    if (w === 'ADDRTYPE' && t[i + 1] === 'match' && t[i + 2] && t[i + 3]) {
      const kind = t[i + 2]!;
      const v = t[i + 3]!;
      i += 3;
      if (kind === 'src-type') {
        neg();
        out.push('--src-type', v);
      }
      continue;
    }
    if (w === 'recent:' && t[i + 1]) {
      // `recent: UPDATE seconds: 60 hit_count: 20 name: DEFAULT side: source mask: 255.255.255.255`
      const op = t[++i]!;
      const flag = { SET: '--set', UPDATE: '--update', CHECK: '--rcheck', REMOVE: '--remove' }[op];
      if (!flag) {
        unread.push(t.slice(i - 1).join(' '));
        break;
      }
      neg();
      out.push('-m', 'recent', flag);
      while (t[i + 1] && /^(seconds|hit_count|name|side|mask|reap|rttl):$/.test(t[i + 1]!) && t[i + 2]) {
        const key = t[i + 1]!;
        if (key === 'seconds:') out.push('--seconds', t[i + 2]!);
        if (key === 'hit_count:') out.push('--hitcount', t[i + 2]!);
        i += 2;
      }
      continue;
    }
    if (w === '#conn' && t[i + 1] && t[i + 2] && t[i + 3]) {
      // connlimit: `#conn src/32 > 20` (above) or `<= 20` (up to).
      const cmp = t[i + 2]!;
      out.push('-m', 'connlimit', cmp === '>' ? '--connlimit-above' : '--connlimit-upto', t[i + 3]!);
      i += 3;
      continue;
    }
    if (w === 'LOG' && t[i + 1] === 'flags') break; // the LOG target's own settings: it decides nothing
    // A shape we do not read: kept whole, so the rule is named and its answer stays open.
    unread.push(t.slice(i).join(' '));
    break;
  }
}

/** Reads the listing; a row that fits no column layout is an error with its line. */
export function readIptablesListing(text: string): Listing {
  const blocks: ListedBlock[] = [];
  let chain: ListedChain | null = null;
  let cols: { num: boolean; counters: boolean; ifaces: boolean } | null = null;
  let interfaces = true;
  linesOf(text).forEach((raw, i) => {
    const line = i + 1;
    const l = raw.trim();
    if (l === '') return;
    const head = CHAIN_HEAD.exec(l);
    if (head) {
      if (head[1] === 'INPUT' || blocks.length === 0) blocks.push({ chains: [], family: null });
      chain = { name: head[1]!, policy: head[2] ?? null, line, text: ruleText(l), rules: [] };
      blocks[blocks.length - 1]!.chains.push(chain);
      cols = null;
      return;
    }
    if (!chain) throw new PolicyParseError('policy.bad_line', { line, text: ruleText(l) });
    const w = l.split(/\s+/);
    if (w.includes('target') && w.includes('prot') && w.includes('source')) {
      cols = { num: w[0] === 'num', counters: w.includes('pkts'), ifaces: w.includes('in') };
      if (!cols.ifaces) interfaces = false;
      return;
    }
    if (!cols) throw new PolicyParseError('policy.bad_line', { line, text: ruleText(l) });
    const c: { num: boolean; counters: boolean; ifaces: boolean } = cols;
    let k = (c.num ? 1 : 0) + (c.counters ? 2 : 0);
    // The target column is blank for a rule without -j: then the protocol comes first.
    const optAt = w.findIndex((x, j) => j > k && OPT.test(x));
    if (optAt < 0 || optAt - k > 2 || !PROTO_NAMES.test(w[optAt - 1]!))
      throw new PolicyParseError('policy.bad_line', { line, text: ruleText(l) });
    const target = optAt - k === 2 ? w[k]! : '';
    const prot = w[optAt - 1]!;
    const opt = w[optAt]!;
    k = optAt + 1;
    const args = ['-A', chain.name];
    const protNot = prot.startsWith('!');
    const p = protNot ? prot.slice(1) : prot;
    if (p !== '0' && p !== 'all') appendAll(args, [...(protNot ? ['!'] : []), '-p', p]);
    if (opt !== '--') appendAll(args, [...(opt.startsWith('!') ? ['!'] : []), '-f']);
    if (c.ifaces) {
      for (const flag of ['-i', '-o']) {
        const v = w[k++] ?? '*';
        if (v !== '*') appendAll(args, [...(v.startsWith('!') ? ['!', flag, v.slice(1)] : [flag, v])]);
      }
    }
    const src = w[k++];
    const dst = w[k++];
    if (src === undefined || dst === undefined)
      throw new PolicyParseError('policy.bad_line', { line, text: ruleText(l) });
    appendAll(appendAll(args, addr(src, '-s', line)), addr(dst, '-d', line));
    const block = blocks[blocks.length - 1]!;
    block.family ??= src.includes(':') ? 6 : 4;
    // The match column starts after the destination column; find it in the raw line to keep its spacing.
    const extra = w.slice(k).join(' ');
    const unread: string[] = [];
    const goto = /\[goto\]/.test(extra);
    matches(extra.replace(/\[goto\]/, ''), args, unread);
    if (target) args.push(goto ? '-g' : '-j', target);
    chain.rules.push({ line, text: ruleText(l), args, unread });
  });
  if (blocks.length === 0) throw new PolicyParseError('policy.iptables_no_filter', { line: 1 });
  return { blocks, interfaces };
}
