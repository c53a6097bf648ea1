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
  line: number;
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

function toRules(list: WinRule[], notes: ParseNote[]): Rule[] {
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
      line: lineOf(JSON.stringify(display).slice(1, -1) || '{'),
    });
  }
  return finish(name, 'windows-json', toRules(rules, notes), notes);
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
};

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
  });
  if (rules.length === 0) throw new PolicyParseError('policy.netsh_no_rule', { line: 1 });
  return finish(name, 'windows-netsh', toRules(rules, notes), notes);
}
