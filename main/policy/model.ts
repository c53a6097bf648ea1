import type { AddrSet, Family } from './addr';

/**
 * One rule model for every format: iptables, nftables, ufw, firewalld, cloud security groups, Windows Firewall
 * and nginx all compile to ordered first-match chains. Formats whose own semantics are not first-match (Windows
 * "block overrides allow", Alibaba priorities, AWS allow-only) are ordered by their parser so that first-match
 * gives their answer.
 */

export const POLICY_FORMATS = [
  'iptables',
  'nftables',
  'ufw',
  'firewalld',
  'firewalld-xml',
  'aws-sg',
  'aliyun-sg',
  'tencent-sg',
  'windows-json',
  'windows-netsh',
  'nginx',
  'ipset',
] as const;
export type PolicyFormat = (typeof POLICY_FORMATS)[number];

/** Where a rule set sits on the way in: a cloud security group, then the host firewall, then the web server. */
export type LayerKind = 'cloud' | 'host' | 'web';

export interface PortSpan {
  readonly lo: number;
  readonly hi: number;
}

export type Verdict = 'accept' | 'drop' | 'reject';
export type RuleAction = Verdict | 'jump' | 'goto' | 'return' | 'continue';

/** A match that lets part of the traffic through: rate or connection limits, recent-list bans. */
export interface RateLimit {
  readonly kind: 'limit' | 'hashlimit' | 'recent' | 'connlimit' | 'ufw_limit' | 'limit_req' | 'limit_conn';
  /** Counted per source address: every CDN node is one source carrying many visitors, so this throttles it. */
  readonly perSource: boolean;
  readonly detail: string;
}

export interface Rule {
  /** Position among all rules of its file (stable order, for anomalies). */
  readonly index: number;
  readonly line: number;
  readonly text: string;
  readonly chain: string;
  /** Null: any source. */
  readonly src: AddrSet | null;
  readonly srcNot: boolean;
  readonly dst: AddrSet | null;
  readonly dstNot: boolean;
  /** tcp, udp, icmp … or `any`. */
  readonly proto: string;
  /** A further match that never concerns a CDN's TCP connection but tells rules apart (an ICMP type). */
  readonly match?: string;
  /** Destination ports; null: any. */
  readonly ports: readonly PortSpan[] | null;
  readonly portsNot: boolean;
  readonly action: RuleAction;
  readonly target?: string;
  /** Only packets of this family match (nftables `ip saddr` in an inet table). */
  readonly family?: 4 | 6;
  readonly rate?: RateLimit;
  /** Why this rule never matches a new inbound connection from a CDN node (loopback only, established only …). */
  readonly never?: string;
  /** The rule belongs to a ban list (fail2ban, sshguard, crowdsec …). */
  readonly ban?: boolean;
  /**
   * Matches the reader could not evaluate (the interface, a mark, a set it was not given …), worded for the
   * report. Such a rule may or may not match: the evaluator follows both branches, and where they end differently
   * the outcome is `unknown` naming this rule, never a guess.
   */
  readonly assumed?: string;
  /** The web server answers instead of the kernel (nginx `deny` is an HTTP 403, not a dropped SYN). */
  readonly http?: boolean;
  /** Stands for a default the output does not show (with `assumed`): not a rule of the customer's own. */
  readonly standIn?: boolean;
}

export interface Chain {
  readonly name: string;
  readonly rules: Rule[];
  /** The built-in chain's default; null for user chains (they return to their caller). */
  readonly policy: Verdict | null;
  readonly policyLine: number;
  readonly policyText: string;
}

/** A first-match program: its chains, and the base chains a packet passes in order (all must accept). */
export interface Program {
  readonly chains: Record<string, Chain>;
  readonly entry: readonly string[];
}

export interface ParseNote {
  readonly key: string;
  readonly params: Record<string, string | number>;
}

export interface RuleSet {
  readonly name: string;
  readonly format: PolicyFormat;
  readonly layer: LayerKind;
  /** The program deciding each family; a missing family means this file says nothing about it. */
  readonly programs: Partial<Record<Family, Program>>;
  readonly ruleCount: number;
  /** Assumptions and skipped lines, worded in the report. */
  readonly notes: ParseNote[];
  /** Named address sets the file defined (ipset, nft sets), for later files that reference them. */
  readonly sets: Record<string, AddrSet>;
}

export interface PolicyError {
  readonly key: string;
  readonly params: Record<string, string | number>;
}

export type ParseResult = { ok: true; value: RuleSet } | { ok: false; error: PolicyError };

/** Thrown inside a parser and turned into a ParseResult error at its edge. */
export class PolicyParseError extends Error {
  constructor(
    readonly key: string,
    readonly params: Record<string, string | number>,
  ) {
    super(key);
  }
}

/** A rule's source text as evidence: trimmed, control characters out, capped. */
export function ruleText(line: string): string {
  const t = line.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 297)}...` : t;
}

/** Parses `80`, `80:90`, `80-90` into a span; null when not a port or range. */
export function parsePortSpan(raw: string): PortSpan | null {
  const m = /^(\d{1,5})(?:\s*[-:]\s*(\d{1,5}))?$/.exec(raw.trim());
  if (!m) return null;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo > 65535 || hi > 65535 || lo > hi) return null;
  return { lo: Math.max(lo, 0), hi };
}

/** Parses a comma list of ports and ranges; null when any term is not one. */
export function parsePortList(raw: string, sep = /\s*,\s*/): PortSpan[] | null {
  const out: PortSpan[] = [];
  for (const part of raw.split(sep)) {
    if (part === '') continue;
    const s = parsePortSpan(part);
    if (!s) return null;
    out.push(s);
  }
  return out.length ? out : null;
}

/** Splits a line into words, keeping "quoted strings" together (quotes removed). */
export function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** Splits text into lines, CRLF and CR too. */
export function linesOf(text: string): string[] {
  // A string split is several times faster than a regex split on a file of a million short lines.
  return (text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text).split('\n');
}

type RuleCore = Pick<Rule, 'index' | 'line' | 'text' | 'chain' | 'action'>;

/** A rule with "any" for every match it does not set. */
export function makeRule(r: RuleCore & Partial<Rule>): Rule {
  return {
    src: null,
    srcNot: false,
    dst: null,
    dstNot: false,
    proto: 'any',
    ports: null,
    portsNot: false,
    ...r,
  };
}

/** A program of one chain ending in a default verdict (cloud groups, ufw, firewalld, Windows, nginx). */
export function singleChain(
  name: string,
  rules: Rule[],
  policy: Verdict | null,
  policyLine: number,
  policyText: string,
): Program {
  return { chains: { [name]: { name, rules, policy, policyLine, policyText } }, entry: [name] };
}

/** Counts rules in a program set, each chain once (both families may share one: an nftables inet table's). */
export function countRules(programs: Partial<Record<4 | 6, Program>>): number {
  const seen = new Set<Chain>();
  let n = 0;
  for (const p of [programs[4], programs[6]]) {
    if (!p) continue;
    for (const c of Object.values(p.chains)) {
      if (seen.has(c)) continue;
      seen.add(c);
      n += c.rules.length;
    }
  }
  return n;
}

/** A rule set whose one program decides both families (security groups, Windows, firewalld, nginx). */
export function bothFamiliesSet(
  name: string,
  format: PolicyFormat,
  layer: LayerKind,
  program: Program,
  notes: ParseNote[],
): RuleSet {
  const programs = { 4: program, 6: program };
  return { name, format, layer, programs, ruleCount: countRules(programs), notes, sets: {} };
}
