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
  type Chain,
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

/** An AWS rule's protocol and ports, from IpProtocol / FromPort / ToPort (-1: all). */
function awsPorts(perm: Record<string, Json>): { pr: string; ports: PortSpan[] | null; portText: string } {
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
  return { pr, ports, portText };
}

/**
 * AWS, in both shapes the CLI prints: `describe-security-groups` (`{"SecurityGroups":[{"GroupId","IpPermissions":
 * [{"IpProtocol","FromPort","ToPort","IpRanges":[{"CidrIp"}],"Ipv6Ranges":[{"CidrIpv6"}],"PrefixListIds"}]}]}`) and
 * the current `describe-security-group-rules` (`{"SecurityGroupRules":[{"GroupId","IsEgress","IpProtocol",
 * "FromPort","ToPort","CidrIpv4" | "CidrIpv6" | "PrefixListId" | "ReferencedGroupInfo"}]}`). Groups are allow-only
 * and add up on an instance; each group keeps its own chain, so a rule is compared only with its own group's.
 */
export function parseAws(data: Json, text: string, name: string): RuleSet {
  const notes: ParseNote[] = [];
  const root = obj(data);
  const find = lineFinder(text);
  const byGroup = new Map<string, Rule[]>();
  let index = 0;
  const add = (
    gid: string,
    perm: Record<string, Json>,
    value: string,
    line: number,
    kind: 'cidr' | 'prefix',
  ): void => {
    const { pr, ports, portText } = awsPorts(perm);
    const from = kind === 'prefix' ? `prefix list ${value}` : value;
    const rules = byGroup.get(gid) ?? byGroup.set(gid, []).get(gid)!;
    rules.push(
      makeRule({
        index: index++,
        line,
        text: ruleText(`${gid} ingress ${pr === 'any' ? 'all' : pr} ${portText} from ${from}`),
        chain: gid,
        // A prefix list's entries are not in the export: the rule may or may not match a provider range.
        src: kind === 'prefix' ? null : cidr(value, line),
        proto: pr,
        ports,
        action: 'accept',
        ...(kind === 'prefix' ? { assumed: `prefix list ${value}` } : {}),
      }),
    );
    if (kind === 'prefix') notes.push({ key: 'policy.note_prefix_list', params: { id: value } });
  };
  if (root && Array.isArray(root.SecurityGroupRules)) {
    for (const item of root.SecurityGroupRules) {
      const r = obj(item);
      if (!r) continue;
      if (r.IsEgress === true || str(r.IsEgress).toLowerCase() === 'true') continue;
      const gid = str(r.GroupId) || 'security group';
      const line = find(`"${str(r.SecurityGroupRuleId) || gid}"`);
      if (!byGroup.has(gid)) byGroup.set(gid, []);
      if (str(r.CidrIpv4)) add(gid, r, str(r.CidrIpv4), find(`"${str(r.CidrIpv4)}"`) || line, 'cidr');
      if (str(r.CidrIpv6)) add(gid, r, str(r.CidrIpv6), find(`"${str(r.CidrIpv6)}"`) || line, 'cidr');
      if (str(r.PrefixListId)) add(gid, r, str(r.PrefixListId), line, 'prefix');
      if (obj(r.ReferencedGroupInfo))
        notes.push({ key: 'policy.note_group_reference', params: { group: gid } });
    }
  } else {
    const groups = Array.isArray(data) ? data : root?.SecurityGroups ? arr(root.SecurityGroups) : [data];
    for (const g of groups) {
      const group = obj(g);
      if (!group) continue;
      const gid = str(group.GroupId) || str(group.GroupName) || 'security group';
      if (!byGroup.has(gid)) byGroup.set(gid, []);
      for (const p of arr(group.IpPermissions)) {
        const perm = obj(p);
        if (!perm) continue;
        for (const r of arr(perm.IpRanges))
          add(gid, perm, str(obj(r)?.CidrIp), find(`"${str(obj(r)?.CidrIp)}"`), 'cidr');
        for (const r of arr(perm.Ipv6Ranges))
          add(gid, perm, str(obj(r)?.CidrIpv6), find(`"${str(obj(r)?.CidrIpv6)}"`), 'cidr');
        for (const r of arr(perm.PrefixListIds)) {
          const id = str(obj(r)?.PrefixListId);
          add(gid, perm, id, find(`"${id}"`), 'prefix');
        }
        if (arr(perm.UserIdGroupPairs).length > 0)
          notes.push({ key: 'policy.note_group_reference', params: { group: gid } });
      }
    }
  }
  const policyText = 'AWS security groups: anything not allowed is dropped';
  if (byGroup.size <= 1)
    return bothFamiliesSet(
      name,
      'aws-sg',
      'cloud',
      singleChain('aws', [...byGroup.values()].flat(), 'drop', 0, policyText),
      notes,
    );
  // Several groups: read as attached together to one instance (a connection passes if any group allows it).
  const groups = [...byGroup.keys()];
  notes.push({
    key: 'policy.note_aws_groups_merged',
    params: { count: groups.length, groups: groups.join(', ') },
  });
  const chains: Record<string, Chain> = {};
  const jumps = groups.map((gid) =>
    makeRule({
      index: index++,
      line: byGroup.get(gid)![0]?.line ?? 0,
      text: ruleText(`${gid}: allowed if any rule of this group allows`),
      chain: 'aws',
      action: 'jump',
      target: gid,
    }),
  );
  chains.aws = { name: 'aws', rules: jumps, policy: 'drop', policyLine: 0, policyText };
  for (const [gid, rules] of byGroup)
    chains[gid] = { name: gid, rules, policy: null, policyLine: rules[0]?.line ?? 0, policyText: '' };
  return bothFamiliesSet(name, 'aws-sg', 'cloud', { chains, entry: ['aws'] }, notes);
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
    if (str(perm.SourcePrefixListId)) {
      const id = str(perm.SourcePrefixListId);
      notes.push({ key: 'policy.note_prefix_list', params: { id } });
      // Its entries are not in the export: the rule may or may not match a provider range.
      drafts.push({
        priority,
        drop: action === 'drop',
        rule: makeRule({
          index: drafts.length,
          line,
          text: ruleText(`priority ${priority} ${action} ${pr} ${range} from prefix list ${id}`),
          chain: 'aliyun',
          proto: pr,
          ports,
          action,
          assumed: `prefix list ${id}`,
        }),
      });
    }
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
    // Address and service templates are defined elsewhere (DescribeAddressTemplates / DescribeServiceTemplates):
    // the rule may or may not match, so it is kept with the template named, never dropped as if absent.
    const tmpl = obj(p.AddressTemplate);
    const addrId = tmpl ? str(tmpl.AddressId) || str(tmpl.AddressGroupId) : '';
    const svc = obj(p.ServiceTemplate);
    const svcId = svc ? str(svc.ServiceId) || str(svc.ServiceGroupId) : '';
    if (addrId) notes.push({ key: 'policy.note_prefix_list', params: { id: addrId } });
    if (svcId) notes.push({ key: 'policy.note_service_template', params: { id: svcId } });
    const hasCidr = str(p.CidrBlock) || str(p.Ipv6CidrBlock);
    if (addrId || (svcId && hasCidr)) {
      const assumed = [
        ...(addrId ? [`address template ${addrId}`] : []),
        ...(svcId ? [`service template ${svcId}`] : []),
      ].join(', ');
      const srcs = addrId ? [null] : [str(p.CidrBlock), str(p.Ipv6CidrBlock)].filter(Boolean);
      for (const value of srcs)
        rules.push(
          makeRule({
            index: rules.length,
            line,
            text: ruleText(
              `#${str(p.PolicyIndex)} ${action.toUpperCase()} ${svcId ? `service ${svcId}` : `${pr} ${portText}`} from ${addrId ? `address ${addrId}` : value}${p.PolicyDescription ? ` (${str(p.PolicyDescription)})` : ''}`,
            ),
            chain: 'tencent',
            src: value === null ? null : cidr(value, line),
            proto: svcId ? 'any' : pr,
            ports: svcId ? null : ports,
            action,
            assumed,
          }),
        );
      continue;
    }
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
