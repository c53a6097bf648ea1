import { parseRange, setOf, type AddrSet } from '../addr';
import {
  bothFamiliesSet,
  linesOf,
  makeRule,
  parsePortList,
  parsePortSpan,
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
 * Cloud security groups exported as JSON: AWS (describe-security-groups; allow-only, several groups add up),
 * Alibaba Cloud (DescribeSecurityGroupAttribute; priority 1 first, Drop before Accept at equal priority) and
 * Tencent Cloud (DescribeSecurityGroupPolicies; first match in PolicyIndex order). All deny what no rule allows,
 * silently: the CDN sees a timeout (522), not a refusal.
 */

type Json = unknown;
const obj = (v: Json): Record<string, Json> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, Json>) : null;
const arr = (v: Json): Json[] => (Array.isArray(v) ? v : []);
const str = (v: Json): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** Finds the line of successive needles in the text, so each rule points at where it is written. */
function lineFinder(text: string): (needle: string) => number {
  const starts: number[] = [0];
  for (const l of linesOf(text)) starts.push(starts[starts.length - 1]! + l.length + 1);
  let cursor = 0;
  return (needle) => {
    const at = needle ? text.indexOf(needle, cursor) : -1;
    if (at < 0) return lineOfOffset(starts, cursor);
    cursor = at + needle.length;
    return lineOfOffset(starts, at);
  };
}

function lineOfOffset(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function cidr(value: string, line: number): AddrSet {
  const r = parseRange(value);
  if (!r) throw new PolicyParseError('policy.bad_address', { line, value: ruleText(value) });
  return setOf([r]);
}

function proto(p: string): string {
  const l = p.toLowerCase();
  if (l === '-1' || l === 'all' || l === '') return 'any';
  if (l === '6') return 'tcp';
  if (l === '17') return 'udp';
  if (l === '1') return 'icmp';
  return l;
}

/** AWS: `{"SecurityGroups":[{"IpPermissions":[{"IpProtocol","FromPort","ToPort","IpRanges":[{"CidrIp"}],"Ipv6Ranges":[{"CidrIpv6"}]}]}]}`. */
export function parseAws(data: Json, text: string, name: string): RuleSet {
  const notes: ParseNote[] = [];
  const root = obj(data);
  const groups = Array.isArray(data) ? data : root?.SecurityGroups ? arr(root.SecurityGroups) : [data];
  const find = lineFinder(text);
  const rules: Rule[] = [];
  for (const g of groups) {
    const group = obj(g);
    if (!group) continue;
    const gid = str(group.GroupId) || str(group.GroupName) || 'security group';
    for (const p of arr(group.IpPermissions)) {
      const perm = obj(p);
      if (!perm) continue;
      const pr = proto(str(perm.IpProtocol));
      const from = Number(perm.FromPort);
      const to = Number(perm.ToPort);
      const ports: PortSpan[] | null =
        pr === 'any' || !(Number.isInteger(from) && from >= 0)
          ? null
          : [{ lo: from, hi: to >= from ? to : from }];
      const portText = ports
        ? `${ports[0]!.lo}${ports[0]!.hi !== ports[0]!.lo ? `-${ports[0]!.hi}` : ''}`
        : 'all';
      const add = (value: string): void => {
        const line = find(`"${value}"`);
        rules.push(
          makeRule({
            index: rules.length,
            line,
            text: ruleText(`${gid} ingress ${pr === 'any' ? 'all' : pr} ${portText} from ${value}`),
            chain: gid,
            src: cidr(value, line),
            proto: pr,
            ports,
            action: 'accept',
          }),
        );
      };
      for (const r of arr(perm.IpRanges)) add(str(obj(r)?.CidrIp));
      for (const r of arr(perm.Ipv6Ranges)) add(str(obj(r)?.CidrIpv6));
      for (const r of arr(perm.PrefixListIds))
        notes.push({ key: 'policy.note_prefix_list', params: { id: str(obj(r)?.PrefixListId) } });
      if (arr(perm.UserIdGroupPairs).length > 0)
        notes.push({ key: 'policy.note_group_reference', params: { group: gid } });
    }
  }
  return bothFamiliesSet(
    name,
    'aws-sg',
    'cloud',
    singleChain('aws', rules, 'drop', 0, 'AWS security groups: anything not allowed is dropped'),
    notes,
  );
}

/** Alibaba Cloud: `{"Permissions":{"Permission":[{"IpProtocol","PortRange":"443/443","SourceCidrIp","Policy","Priority","Direction"}]}}`. */
export function parseAliyun(data: Json, text: string, name: string): RuleSet {
  const root = obj(data);
  const perms = obj(root?.Permissions)
    ? arr(obj(root!.Permissions)!.Permission)
    : arr(root?.Permissions ?? data);
  const find = lineFinder(text);
  const notes: ParseNote[] = [];
  const drafts: { rule: Rule; priority: number; drop: boolean }[] = [];
  for (const p of perms) {
    const perm = obj(p);
    if (!perm) continue;
    if ((str(perm.Direction) || 'ingress').toLowerCase() !== 'ingress') continue;
    const pr = proto(str(perm.IpProtocol));
    const range = str(perm.PortRange) || '-1/-1';
    const line = find(`"${range}"`);
    let ports: PortSpan[] | null = null;
    if (range !== '-1/-1') {
      const m = /^(\d+)\/(\d+)$/.exec(range);
      const span = m ? parsePortSpan(`${m[1]}-${m[2]}`) : null;
      if (!span) throw new PolicyParseError('policy.bad_port', { line, value: ruleText(range) });
      ports = [span];
    }
    const policy = (str(perm.Policy) || 'Accept').toLowerCase();
    const action: Verdict = policy === 'drop' ? 'drop' : 'accept';
    const priority = Number(str(perm.Priority) || 1);
    for (const key of ['SourceCidrIp', 'Ipv6SourceCidrIp'] as const) {
      const value = str(perm[key]);
      if (!value) continue;
      drafts.push({
        priority,
        drop: action === 'drop',
        rule: makeRule({
          index: drafts.length,
          line,
          text: ruleText(`priority ${priority} ${action} ${pr} ${range} from ${value}`),
          chain: 'aliyun',
          src: cidr(value, line),
          proto: pr,
          ports,
          action,
        }),
      });
    }
    if (str(perm.SourceGroupId))
      notes.push({ key: 'policy.note_group_reference', params: { group: str(perm.SourceGroupId) } });
    if (str(perm.SourcePrefixListId))
      notes.push({ key: 'policy.note_prefix_list', params: { id: str(perm.SourcePrefixListId) } });
  }
  drafts.sort(
    (a, b) => a.priority - b.priority || Number(b.drop) - Number(a.drop) || a.rule.index - b.rule.index,
  );
  const program = singleChain(
    'aliyun',
    drafts.map((d) => d.rule),
    'drop',
    0,
    'Alibaba Cloud security group: anything not allowed is dropped',
  );
  return bothFamiliesSet(name, 'aliyun-sg', 'cloud', program, notes);
}

/** Tencent Cloud: `{"SecurityGroupPolicySet":{"Ingress":[{"PolicyIndex","Protocol","Port","CidrBlock","Action"}]}}`. */
export function parseTencent(data: Json, text: string, name: string): RuleSet {
  const root = obj(obj(data)?.Response) ?? obj(data);
  const set = obj(root?.SecurityGroupPolicySet) ?? root;
  const ingress = arr(set?.Ingress);
  const find = lineFinder(text);
  const notes: ParseNote[] = [];
  const rules: Rule[] = [];
  const ordered = ingress
    .map((p, i) => ({ p: obj(p), i }))
    .filter((x): x is { p: Record<string, Json>; i: number } => x.p !== null)
    .sort((a, b) => (Number(a.p.PolicyIndex ?? a.i) || 0) - (Number(b.p.PolicyIndex ?? b.i) || 0));
  for (const { p } of ordered) {
    const pr = proto(str(p.Protocol));
    const portText = str(p.Port) || 'ALL';
    const line = find(`"${portText}"`);
    let ports: PortSpan[] | null = null;
    if (portText.toUpperCase() !== 'ALL') {
      ports = parsePortList(portText);
      if (!ports) throw new PolicyParseError('policy.bad_port', { line, value: ruleText(portText) });
    }
    const action: Verdict = str(p.Action).toUpperCase() === 'DROP' ? 'drop' : 'accept';
    for (const key of ['CidrBlock', 'Ipv6CidrBlock'] as const) {
      const value = str(p[key]);
      if (!value) continue;
      rules.push(
        makeRule({
          index: rules.length,
          line,
          text: ruleText(
            `#${str(p.PolicyIndex)} ${action.toUpperCase()} ${pr} ${portText} from ${value}${p.PolicyDescription ? ` (${str(p.PolicyDescription)})` : ''}`,
          ),
          chain: 'tencent',
          src: cidr(value, line),
          proto: pr,
          ports,
          action,
        }),
      );
    }
    const tmpl = obj(p.AddressTemplate);
    if (tmpl && (str(tmpl.AddressId) || str(tmpl.AddressGroupId)))
      notes.push({
        key: 'policy.note_prefix_list',
        params: { id: str(tmpl.AddressId) || str(tmpl.AddressGroupId) },
      });
    if (str(p.SecurityGroupId))
      notes.push({ key: 'policy.note_group_reference', params: { group: str(p.SecurityGroupId) } });
  }
  return bothFamiliesSet(
    name,
    'tencent-sg',
    'cloud',
    singleChain('tencent', rules, 'drop', 0, 'Tencent Cloud security group: anything not allowed is dropped'),
    notes,
  );
}
