import { parseRange, setOf, type Family } from '../addr';
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

/** Application profiles shipped with Ubuntu / Debian packages. */
export const UFW_APPS: Record<string, string> = {
  openssh: '22/tcp',
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
  samba: '137,138/udp',
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

export function parseUfw(text: string, name: string): RuleSet {
  const notes: ParseNote[] = [];
  const lines = linesOf(text);
  let active: boolean | null = null;
  let defaultIn: Verdict | null = null;
  let defaultLine = 0;
  let inTable = false;
  const rules: Record<Family, Rule[]> = { 4: [], 6: [] };
  let index = 0;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const l = raw.trim();
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
    const body = l.replace(/^\[\s*\d+\]\s*/, '');
    const [cols, comment] = body.split(/\s+#\s?/, 2) as [string, string | undefined];
    void comment;
    const parts = cols.split(/\s{2,}/);
    // The action column may be glued: "ALLOW IN", "DENY", "LIMIT IN".
    const actionIdx = parts.findIndex((p) => /^(ALLOW|DENY|REJECT|LIMIT)(\s+(IN|OUT|FWD))?$/i.test(p));
    if (actionIdx < 1 || actionIdx === parts.length - 1)
      throw new PolicyParseError('policy.bad_line', { line, text: ruleText(l) });
    const to = parts.slice(0, actionIdx).join(' ');
    const [verb, dir] = parts[actionIdx]!.toUpperCase().split(/\s+/) as [string, string | undefined];
    const from = parts.slice(actionIdx + 1).join(' ');
    if (dir === 'OUT' || dir === 'FWD') return;
    const v6 = /\(v6\)/.test(to) || /\(v6\)/.test(from);
    const toClean = to.replace(/\s*\(v6\)/, '').trim();
    const fromClean = from.replace(/\s*\(v6\)/, '').trim();
    let never: string | undefined;
    let spec: PortSpec = { proto: 'any', ports: null };
    let dst = null;
    // "To": Anywhere | PORT[/proto] | ADDRESS [PORT[/proto]] | App Profile | "Anywhere on eth0"
    const toWords = toClean.split(/\s+/);
    const onIface = /\bon\s+(\S+)$/.exec(toClean);
    if (onIface && /^(lo|docker\d*)$/.test(onIface[1]!)) never = 'loopback';
    const toCore = toClean.replace(/\s+on\s+\S+$/, '');
    if (/^anywhere$/i.test(toCore)) {
      // any port
    } else if (portSpec(toCore)) spec = portSpec(toCore)!;
    else if (parseRange(toWords[0]!)) {
      dst = setOf([parseRange(toWords[0]!)!]);
      const p = toWords[1] ? portSpec(toWords[1]) : null;
      if (p) spec = p;
    } else {
      const app = UFW_APPS[toCore.toLowerCase()];
      if (app) spec = portSpec(app)!;
      else {
        never = 'unknown_profile';
        notes.push({ key: 'policy.note_ufw_profile', params: { line, profile: ruleText(toCore) } });
      }
    }
    // "From": Anywhere | ADDRESS [PORT]
    const fromWords = fromClean.replace(/\s+on\s+\S+$/, '').split(/\s+/);
    let src = null;
    if (!/^anywhere$/i.test(fromWords[0] ?? '')) {
      const r = parseRange(fromWords[0] ?? '');
      if (!r) throw new PolicyParseError('policy.bad_address', { line, value: ruleText(fromWords[0] ?? '') });
      src = setOf([r]);
    }
    if (fromWords[1]) never = 'source_port';
    const family: Family = v6 || (src && src[6].length > 0) || (dst && dst[6].length > 0) ? 6 : 4;
    const rule = makeRule({
      index: index++,
      line,
      text: ruleText(l),
      chain: 'ufw',
      src,
      dst,
      proto: spec.proto,
      ports: spec.ports,
      action: VERDICT[verb] ?? 'drop',
      ...(verb === 'LIMIT'
        ? { rate: { kind: 'ufw_limit' as const, perSource: true, detail: '6 connections / 30 s per source' } }
        : {}),
      ...(never ? { never } : {}),
    });
    rules[family].push(rule);
  });
  if (active === null && !inTable) throw new PolicyParseError('policy.ufw_no_status', { line: 1 });
  const programs: Partial<Record<Family, Program>> = {};
  if (active === false) {
    notes.push({ key: 'policy.note_ufw_inactive', params: {} });
  } else {
    if (defaultIn === null) notes.push({ key: 'policy.note_ufw_default_assumed', params: {} });
    const policy = defaultIn ?? 'drop';
    const policyText = defaultLine ? ruleText(lines[defaultLine - 1]!) : 'Default: deny (incoming)';
    programs[4] = singleChain('ufw', rules[4], policy, defaultLine, policyText);
    programs[6] = singleChain('ufw', rules[6], policy, defaultLine, policyText);
  }
  return { name, format: 'ufw', layer: 'host', programs, ruleCount: countRules(programs), notes, sets: {} };
}
