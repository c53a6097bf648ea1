import { parseRange, setOf, type AddrSet, type ParsedRange } from '../addr';
import {
  bothFamiliesSet,
  linesOf,
  makeRule,
  parsePortList,
  PolicyParseError,
  ruleText,
  singleChain,
  type ParseNote,
  type PortSpan,
  type Rule,
  type RuleSet,
  type Verdict,
} from '../model';

/**
 * Windows Defender Firewall, from `Get-NetFirewallRule` joined with its address and port filters and exported
 * with ConvertTo-Json, or from `netsh advfirewall firewall show rule name=all` (English or Chinese Windows).
 * Windows has no rule order: an enabled inbound Block rule wins over any Allow rule, and what no rule allows is
 * blocked (the default inbound action), so Block rules are placed first.
 */

interface WinRule {
  name: string;
  enabled: boolean;
  inbound: boolean;
  action: Verdict | null;
  protocol: string;
  localPort: string;
  remote: string;
  /** Profiles the rule is active in (`Domain,Private,Public`, `Any`); '' when not shown. */
  profiles: string;
  /** Program / service the rule is scoped to; null when the output does not show it (netsh without verbose). */
  program: string | null;
  service: string | null;
  line: number;
}

/** What the export says beyond the rules: the active profile (from `show currentprofile`), when given. */
interface WinContext {
  readonly activeProfile: Profile | null;
  readonly format: 'windows-json' | 'windows-netsh';
}

type Profile = 'domain' | 'private' | 'public';

/** Profile names as netsh and PowerShell print them, English and Chinese; Get-NetFirewallRule's flags as numbers. */
function profilesOf(value: string): Set<Profile> | null {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'any' || v === '任何' || v === '0') return null;
  const out = new Set<Profile>();
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n & 1) out.add('domain');
    if (n & 2) out.add('private');
    if (n & 4) out.add('public');
    return out.size === 3 ? null : out;
  }
  for (const part of v.split(/\s*[,，]\s*/)) {
    if (part === 'domain' || part === '域') out.add('domain');
    else if (part === 'private' || part === '专用') out.add('private');
    else if (part === 'public' || part === '公用') out.add('public');
  }
  return out.size === 3 || out.size === 0 ? null : out;
}

/**
 * Programs and services that are the web server: a rule scoped to one of them opens what the web server listens
 * on. IIS listens through http.sys, in the System process.
 */
const WEB_PROGRAMS =
  /(^|\\)(nginx|httpd|apache|caddy|w3wp|tomcat\d*|java|node|php-cgi|openresty)\.exe$|^system$/i;
const WEB_SERVICES = /^(w3svc|was|http|nginx|apache\d*(\.\d+)?|tomcat\d*|caddy)$/i;

/** The scope a rule has beyond addresses and ports, as assumptions for the report; null when it has none. */
function scopeOf(r: WinRule, ctx: WinContext): { assumed: string[]; never?: string } {
  const assumed: string[] = [];
  const profiles = profilesOf(r.profiles);
  if (profiles) {
    if (ctx.activeProfile && !profiles.has(ctx.activeProfile)) return { assumed, never: 'profile_inactive' };
    if (!ctx.activeProfile) assumed.push(`profiles ${r.profiles}`);
  }
  const program = r.program?.trim() ?? '';
  const service = r.service?.trim() ?? '';
  const isAny = (v: string): boolean => v === '' || /^(any|任何|\*)$/i.test(v);
  if (r.program === null && protoOf(r.protocol) === 'any') {
    // netsh without `verbose` hides the program: a "protocol Any" rule is usually one program's, not every port.
    assumed.push(
      ctx.format === 'windows-netsh' ? 'program not shown (netsh without verbose)' : 'program not exported',
    );
  } else if (!isAny(program) && !WEB_PROGRAMS.test(program)) assumed.push(`program ${program}`);
  if (!isAny(service) && !WEB_SERVICES.test(service)) assumed.push(`service ${service}`);
  return { assumed };
}

const KEYWORDS = new Set([
  'any',
  '*',
  'internet',
  'intranet',
  'localsubnet',
  'dns',
  'dhcp',
  'wins',
  'defaultgateway',
  'remotecorpnetwork',
  'playtodevice',
]);

function remoteSet(value: string, line: number, notes: ParseNote[]): AddrSet | null {
  const parts = value.split(/\s*,\s*/).filter(Boolean);
  if (parts.length === 0 || parts.some((p) => /^(any|\*)$/i.test(p))) return null;
  const ranges: ParsedRange[] = [];
  for (const p of parts) {
    if (KEYWORDS.has(p.toLowerCase())) {
      // LocalSubnet and friends are never a CDN node on the Internet; Internet is any public address.
      if (/^internet$/i.test(p)) return null;
      notes.push({ key: 'policy.note_windows_keyword', params: { line, keyword: p } });
      continue;
    }
    const r = parseRange(p);
    if (!r) throw new PolicyParseError('policy.bad_address', { line, value: ruleText(p) });
    ranges.push(r);
  }
  return setOf(ranges);
}

function protoOf(p: string): string {
  const l = p.toLowerCase();
  if (l === '' || l === 'any' || l === '256') return 'any';
  if (l === '6') return 'tcp';
  if (l === '17') return 'udp';
  return l;
}

function toRules(list: WinRule[], notes: ParseNote[], ctx: WinContext): Rule[] {
  const inbound = list.filter((r) => r.enabled && r.inbound && r.action);
  const ordered = [
    ...inbound.filter((r) => r.action !== 'accept'),
    ...inbound.filter((r) => r.action === 'accept'),
  ];
  return ordered.map((r, index) => {
    let ports: PortSpan[] | null = null;
    const lp = r.localPort.trim();
    let never: string | undefined;
    if (lp !== '' && !/^any$/i.test(lp)) {
      ports = parsePortList(lp);
      if (!ports) {
        // RPC, RPC-EPMap, IPHTTPS …: dynamic ports, never the web ports a CDN uses.
        never = 'special_port';
      }
    }
    const scope = scopeOf(r, ctx);
    if (scope.never) never ??= scope.never;
    return makeRule({
      index,
      line: r.line,
      text: ruleText(
        `${r.action === 'accept' ? 'Allow' : 'Block'} "${r.name}" ${r.protocol || 'Any'} ${lp || 'Any'} from ${r.remote || 'Any'}`,
      ),
      chain: 'windows',
      src: remoteSet(r.remote, r.line, notes),
      proto: protoOf(r.protocol),
      ports,
      action: r.action!,
      ...(never ? { never } : {}),
      ...(scope.assumed.length ? { assumed: scope.assumed.join(', ') } : {}),
    });
  });
}

function finish(
  name: string,
  format: 'windows-json' | 'windows-netsh',
  rules: Rule[],
  notes: ParseNote[],
): RuleSet {
  notes.push({ key: 'policy.note_windows_default', params: {} });
  if (rules.some((r) => r.assumed?.includes('program not shown')))
    notes.push({ key: 'policy.note_windows_ask_verbose', params: {} });
  if (rules.some((r) => r.assumed?.includes('program not exported')))
    notes.push({ key: 'policy.note_windows_json_no_program', params: {} });
  if (rules.some((r) => r.assumed?.includes('profiles ')))
    notes.push({ key: 'policy.note_windows_profile_unknown', params: {} });
  const program = singleChain('windows', rules, 'drop', 0, 'Windows Firewall default inbound action: Block');
  return bothFamiliesSet(name, format, 'host', program, notes);
}

const asList = (v: unknown): string =>
  Array.isArray(v) ? v.map(String).join(',') : v === null || v === undefined ? '' : String(v);

/** JSON: one object or an array, with DisplayName, Enabled, Direction, Action, Protocol, LocalPort, RemoteAddress. */
export function parseWindowsJson(data: unknown, text: string, name: string): RuleSet {
  const notes: ParseNote[] = [];
  const list = Array.isArray(data) ? data : [data];
  const lines = linesOf(text);
  let cursor = 0;
  const lineOf = (needle: string): number => {
    for (let i = cursor; i < lines.length; i++)
      if (lines[i]!.includes(needle)) {
        cursor = i + 1;
        return i + 1;
      }
    return cursor || 1;
  };
  const rules: WinRule[] = [];
  for (const item of list) {
    if (!item || typeof item !== 'object') continue;
    const o = item as Record<string, unknown>;
    const display = asList(o.DisplayName ?? o.Name);
    const action = asList(o.Action).toLowerCase();
    const direction = asList(o.Direction).toLowerCase();
    const enabled = asList(o.Enabled).toLowerCase();
    rules.push({
      name: display,
      enabled: enabled === 'true' || enabled === '1' || enabled === '',
      inbound: direction === 'inbound' || direction === '1' || direction === 'in',
      action:
        action === 'allow' || action === '2'
          ? 'accept'
          : action === 'block' || action === '4'
            ? 'drop'
            : null,
      protocol: asList(o.Protocol),
      localPort: asList(o.LocalPort),
      remote: asList(o.RemoteAddress),
      profiles: asList(o.Profile ?? o.Profiles),
      program: 'Program' in o ? asList(o.Program) : null,
      service: 'Service' in o ? asList(o.Service) : null,
      line: lineOf(JSON.stringify(display).slice(1, -1) || '{'),
    });
  }
  // PowerShell's export has no active profile; Get-NetConnectionProfile would say, but is not part of it.
  const ctx: WinContext = { activeProfile: null, format: 'windows-json' };
  return finish(name, 'windows-json', toRules(rules, notes, ctx), notes);
}

/** netsh keys in English and in Simplified Chinese Windows. */
const NETSH_KEYS: Record<string, keyof WinRule | 'name'> = {
  'rule name': 'name',
  规则名称: 'name',
  enabled: 'enabled',
  已启用: 'enabled',
  direction: 'inbound',
  方向: 'inbound',
  protocol: 'protocol',
  协议: 'protocol',
  localport: 'localPort',
  本地端口: 'localPort',
  remoteip: 'remote',
  '远程 ip': 'remote',
  远程ip: 'remote',
  action: 'action',
  操作: 'action',
  profiles: 'profiles',
  配置文件: 'profiles',
  program: 'program',
  程序: 'program',
  service: 'service',
  服务: 'service',
};

/**
 * `netsh advfirewall show currentprofile`: "Public Profile Settings:" / "公用配置文件 设置:". The line start takes
 * [ \t]*, not \s*: a \s* would run from every line start over all the blank lines after it (quadratic).
 */
const CURRENT_PROFILE =
  /^[ \t]*(Domain|Private|Public|域|专用|公用)\s*(?:Profile Settings|配置文件\s*设置)\s*[:：]/im;

export function parseWindowsNetsh(text: string, name: string): RuleSet {
  const notes: ParseNote[] = [];
  const rules: WinRule[] = [];
  let cur: WinRule | null = null;
  linesOf(text).forEach((raw, i) => {
    // `Key: value` (or the full-width colon): split at the first colon, no backtracking regex on a long line.
    const colon = raw.search(/[:：]/);
    if (colon <= 0) return;
    const label = raw.slice(0, colon).trim();
    if (label === '') return;
    const key = NETSH_KEYS[label.toLowerCase()];
    // Chinese Windows says 任何 for Any.
    const value = raw
      .slice(colon + 1)
      .trim()
      .replace(/^任何$/, 'Any');
    if (!key) return;
    if (key === 'name') {
      cur = {
        name: value,
        enabled: true,
        inbound: true,
        action: null,
        protocol: '',
        localPort: '',
        remote: '',
        profiles: '',
        program: null,
        service: null,
        line: i + 1,
      };
      rules.push(cur);
      return;
    }
    if (!cur) throw new PolicyParseError('policy.netsh_no_rule', { line: i + 1 });
    const c: WinRule = cur;
    const v = value.toLowerCase();
    if (key === 'enabled') c.enabled = v === 'yes' || v === '是';
    else if (key === 'inbound') c.inbound = v === 'in' || v === '入';
    else if (key === 'action')
      c.action = v === 'allow' || v === '允许' ? 'accept' : v === 'block' || v === '阻止' ? 'drop' : null;
    else if (key === 'protocol') c.protocol = value;
    else if (key === 'localPort') c.localPort = value;
    else if (key === 'remote') c.remote = value;
    else if (key === 'profiles') c.profiles = value;
    else if (key === 'program') c.program = value;
    else if (key === 'service') c.service = value;
  });
  if (rules.length === 0) throw new PolicyParseError('policy.netsh_no_rule', { line: 1 });
  const current = CURRENT_PROFILE.exec(text)?.[1]?.toLowerCase();
  const activeProfile = current === undefined ? null : ([...(profilesOf(current) ?? [])][0] ?? null);
  return finish(
    name,
    'windows-netsh',
    toRules(rules, notes, { activeProfile, format: 'windows-netsh' }),
    notes,
  );
}
