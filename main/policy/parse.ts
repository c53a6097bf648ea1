import type { AddrSet } from './addr';
import {
  POLICY_FORMATS,
  PolicyParseError,
  type ParseNote,
  type ParseResult,
  type PolicyFormat,
  type RuleSet,
} from './model';
import { jsonErrorOffset, placeOf } from './json-error';
import { parseAliyun, parseAws, parseTencent } from './parsers/cloud';
import { parseFirewalld } from './parsers/firewalld';
import { parseIpsets, parseIptables } from './parsers/iptables';
import { parseNft } from './parsers/nft';
import { parseNginx } from './parsers/nginx';
import { parseUfw } from './parsers/ufw';
import { parseWindowsJson, parseWindowsNetsh } from './parsers/windows';

/** The largest rule file accepted: a 10,000-rule iptables-save is about 1 MB. */
export const MAX_POLICY_BYTES = 8 * 1024 * 1024;

function tryJson(text: string): { ok: true; value: unknown } | { ok: false; line: number; column: number } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // V8 names a position for some errors only: find the place ourselves.
    const at = jsonErrorOffset(text) ?? text.length;
    return { ok: false, ...placeOf(text, at) };
  }
}

function jsonFormat(v: unknown): PolicyFormat | null {
  const first = Array.isArray(v) ? v[0] : v;
  if (!first || typeof first !== 'object') return null;
  const o = first as Record<string, unknown>;
  const keys = Object.keys(o);
  if ('SecurityGroups' in o || 'IpPermissions' in o || 'SecurityGroupRules' in o) return 'aws-sg';
  if ('Permissions' in o || ('PortRange' in o && 'Policy' in o)) return 'aliyun-sg';
  if ('SecurityGroupPolicySet' in o || 'Ingress' in o) return 'tencent-sg';
  if (
    'Response' in o &&
    o.Response &&
    typeof o.Response === 'object' &&
    'SecurityGroupPolicySet' in o.Response
  )
    return 'tencent-sg';
  if (keys.some((k) => k === 'DisplayName' || k === 'Direction') && 'Action' in o) return 'windows-json';
  return null;
}

/** Guesses a format from the text itself; null when nothing fits. */
export function detectFormat(text: string): PolicyFormat | null {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    const j = tryJson(t);
    return j.ok ? jsonFormat(j.value) : null;
  }
  if (/^\s*<\?xml|^\s*<zone\b/.test(t)) return 'firewalld-xml';
  // iptables-save, `iptables -S` (-P / -N / -A lines) and `iptables -L -n -v` listings.
  // Multi-line patterns indent with [ \t], never \s: a \s* at a line start would run over every following blank
  // line from every line start, quadratic in the number of blank lines.
  if (/^\*filter\b|^:INPUT\s|^-A[ \t]+\S+|^-P[ \t]+INPUT\s/m.test(t)) return 'iptables';
  if (/^Chain[ \t]+\S+[ \t]+\((policy[ \t]+\S+|\d+[ \t]+references?)/m.test(t)) return 'iptables';
  if (/^[ \t]*table[ \t]+(inet|ip|ip6|arp|bridge|netdev)[ \t]+\S+\s*\{/m.test(t)) return 'nftables';
  if (/^Status:[ \t]*(active|inactive)/im.test(t) || /^[ \t]*To[ \t]+Action[ \t]+From[ \t]*$/m.test(t))
    return 'ufw';
  if (/^[ \t]+target:\s/m.test(t) && /^[ \t]+services:/m.test(t)) return 'firewalld';
  if (/^[ \t]*(Rule Name|规则名称)[ \t]*[:：]/m.test(t)) return 'windows-netsh';
  if (/^create\s+\S+\s+(hash|bitmap|list):/m.test(t)) return 'ipset';
  // A block opener looks on its own line and the next only (`server\n{`), never through the rest of the file.
  if (
    /^[ \t]*(server|http|location)\b[^;{\n]*(?:\n[ \t]*)?\{|^[ \t]*(allow|deny)[ \t]+\S+[ \t]*;|^[ \t]*limit_req(_zone)?\s/m.test(
      t,
    )
  )
    return 'nginx';
  return null;
}

export interface PolicyFileInput {
  readonly name: string;
  readonly text: string;
  /** Forced format (`--rules-format`); null: detect. */
  readonly format: PolicyFormat | null;
}

/** Parses one file; never throws: a problem comes back as a message key with the line number. */
export function parsePolicy(file: PolicyFileInput, sets: Record<string, AddrSet> = {}): ParseResult {
  if (file.text.length > MAX_POLICY_BYTES)
    return {
      ok: false,
      error: { key: 'policy.too_large', params: { name: file.name, max: MAX_POLICY_BYTES / 1024 / 1024 } },
    };
  const text = file.text.replace(/^\uFEFF/, '');
  if (text.trim() === '') return { ok: false, error: { key: 'policy.empty', params: { name: file.name } } };
  if (/\u0000/.test(text)) return { ok: false, error: { key: 'policy.binary', params: { name: file.name } } };
  const format = file.format ?? detectFormat(text);
  if (!format && /^\s*[[{]/.test(text)) {
    // JSON that does not parse is a broken export, not an unknown format: say where it breaks.
    const j = tryJson(text);
    return j.ok
      ? { ok: false, error: { key: 'policy.json_unknown', params: { name: file.name } } }
      : {
          ok: false,
          error: { key: 'policy.bad_json', params: { name: file.name, line: j.line, column: j.column } },
        };
  }
  if (!format)
    return {
      ok: false,
      error: {
        key: 'policy.format_unknown',
        params: { name: file.name, formats: POLICY_FORMATS.join(', ') },
      },
    };
  try {
    return { ok: true, value: parseAs(format, text, file.name, sets) };
  } catch (e) {
    if (e instanceof PolicyParseError)
      return { ok: false, error: { key: e.key, params: { name: file.name, ...e.params } } };
    // A bug of ours on odd input: say where, never crash the run.
    return {
      ok: false,
      error: {
        key: 'policy.parse_failed',
        params: { name: file.name, format, detail: String((e as Error).message).slice(0, 200) },
      },
    };
  }
}

function parseAs(format: PolicyFormat, text: string, name: string, sets: Record<string, AddrSet>): RuleSet {
  const json = (): unknown => {
    const j = tryJson(text);
    if (!j.ok) throw new PolicyParseError('policy.bad_json', { line: j.line, column: j.column });
    return j.value;
  };
  switch (format) {
    case 'iptables':
      return parseIptables(text, name, sets);
    case 'nftables':
      return parseNft(text, name, sets);
    case 'ufw':
      return parseUfw(text, name);
    case 'firewalld':
      return parseFirewalld(text, name, false, sets);
    case 'firewalld-xml':
      return parseFirewalld(text, name, true, sets);
    case 'aws-sg':
      return parseAws(json(), text, name);
    case 'aliyun-sg':
      return parseAliyun(json(), text, name);
    case 'tencent-sg':
      return parseTencent(json(), text, name);
    case 'windows-json':
      return parseWindowsJson(json(), text, name);
    case 'windows-netsh':
      return parseWindowsNetsh(text, name);
    case 'nginx':
      return parseNginx(text, name);
    case 'ipset': {
      const notes: ParseNote[] = [];
      return {
        name,
        format,
        layer: 'host',
        programs: {},
        ruleCount: 0,
        notes,
        sets: parseIpsets(text, notes),
      };
    }
  }
}

/**
 * Parses files in layer order; sets defined by one file (ipset save, nft sets) are visible to the files after
 * it. Returns the rule sets, or the first error.
 */
export function parsePolicies(
  files: readonly PolicyFileInput[],
):
  | { ok: true; value: RuleSet[] }
  | { ok: false; error: { key: string; params: Record<string, string | number> } } {
  let sets: Record<string, AddrSet> = {};
  // ipset files first, wherever they were given: they only define sets.
  const ordered = [...files].sort(
    (a, b) =>
      Number((b.format ?? detectFormat(b.text)) === 'ipset') -
      Number((a.format ?? detectFormat(a.text)) === 'ipset'),
  );
  const out: RuleSet[] = [];
  for (const f of ordered) {
    const r = parsePolicy(f, sets);
    if (!r.ok) return r;
    sets = { ...sets, ...r.value.sets };
    out.push(r.value);
  }
  return { ok: true, value: out };
}
