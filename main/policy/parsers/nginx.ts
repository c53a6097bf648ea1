import { EMPTY_SET, intersects, parseRange, setOf, unionSets, type AddrSet } from '../addr';
import {
  bothFamiliesSet,
  makeRule,
  PolicyParseError,
  ruleText,
  type Chain,
  type ParseNote,
  type PortSpan,
  type Rule,
  type RuleSet,
} from '../model';
import { appendAll } from '../../../shared/util/arrays';

/**
 * nginx `allow` / `deny` and `limit_req` / `limit_conn`, per server block and its listen ports. A server's own
 * access list replaces the one inherited from `http` (nginx inheritance); without one, `location /` speaks for
 * the site. `include` is never followed: the note asks for the included file. With `set_real_ip_from` and
 * `real_ip_header`, nginx judges the visitor's address, not the CDN node's, for connections from those ranges.
 */

/**
 * Where the answer for connections from `set_real_ip_from` ranges lives: judged on the visitor's address. Reports
 * and the diagnosis read a denial decided here as "the access list judges visitors", not as a CDN range denied.
 */
export const REAL_IP_CHAIN = 'nginx real_ip';

function intersects4or6(a: AddrSet | null, b: AddrSet): boolean {
  if (!a) return true;
  return intersects(a[4], b[4]) || intersects(a[6], b[6]);
}

interface Directive {
  readonly name: string;
  readonly args: string[];
  readonly line: number;
  readonly text: string;
  readonly block: Directive[] | null;
}

/** Tokenizes and nests directives; comments and quotes handled, braces must balance. */
function parseConfig(text: string): Directive[] {
  const root: Directive[] = [];
  const stack: Directive[][] = [root];
  let line = 1;
  let i = 0;
  let words: string[] = [];
  let startLine = 1;
  let startAt = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (words.length === 0) {
      startLine = line;
      startAt = i;
    }
    if (c === ';' || c === '{') {
      const [name, ...args] = words;
      if (name === undefined) throw new PolicyParseError('policy.nginx_syntax', { line });
      const d: Directive = {
        name,
        args,
        line: startLine,
        text: ruleText(text.slice(startAt, i + 1).replace(/\s+/g, ' ')),
        block: c === '{' ? [] : null,
      };
      stack[stack.length - 1]!.push(d);
      if (d.block) stack.push(d.block);
      words = [];
      i++;
      continue;
    }
    if (c === '}') {
      if (words.length > 0 || stack.length === 1) throw new PolicyParseError('policy.nginx_syntax', { line });
      stack.pop();
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new PolicyParseError('policy.nginx_syntax', { line });
      const w = text.slice(i + 1, end);
      line += (w.match(/\n/g) ?? []).length;
      words.push(w);
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s;{}#]/.test(text[j]!)) j++;
    words.push(text.slice(i, j));
    i = j;
  }
  if (stack.length !== 1 || words.length > 0) throw new PolicyParseError('policy.nginx_syntax', { line });
  return root;
}

interface Context {
  readonly access: Directive[];
  readonly limits: Directive[];
  readonly realIp: Directive[];
  readonly hasRealIpHeader: boolean;
}

function contextOf(ds: Directive[]): Context {
  return {
    access: ds.filter((d) => d.name === 'allow' || d.name === 'deny'),
    limits: ds.filter((d) => d.name === 'limit_req' || d.name === 'limit_conn'),
    realIp: ds.filter((d) => d.name === 'set_real_ip_from'),
    hasRealIpHeader: ds.some((d) => d.name === 'real_ip_header'),
  };
}

function listenPort(d: Directive): number | null {
  const a = d.args[0] ?? '';
  const m = /(?:^|:)(\d{1,5})$/.exec(a.replace(/^\[[^\]]*\]/, ''));
  if (m) return Number(m[1]);
  if (/^\d{1,5}$/.test(a)) return Number(a);
  return /^(\*|[\w.-]+|\[[^\]]*\])$/.test(a) ? 80 : null;
}

export function parseNginx(text: string, name: string): RuleSet {
  const notes: ParseNote[] = [];
  const top = parseConfig(text);
  const http = top.find((d) => d.name === 'http')?.block ?? top;
  const servers = http.filter((d) => d.name === 'server' && d.block);
  if (top.some((d) => d.name === 'server' && d.block) && http !== top)
    appendAll(
      servers,
      top.filter((d) => d.name === 'server' && d.block),
    );
  const zones = new Map<string, Directive>();
  const walkAll = (ds: Directive[]): void => {
    for (const d of ds) {
      if (d.name === 'include')
        notes.push({ key: 'policy.note_include', params: { line: d.line, file: ruleText(d.args[0] ?? '') } });
      if (d.name === 'limit_req_zone' || d.name === 'limit_conn_zone') {
        const zone = d.args
          .find((a) => a.startsWith('zone='))
          ?.slice(5)
          .split(':')[0];
        if (zone) zones.set(zone, d);
      }
      if (d.block) walkAll(d.block);
    }
  };
  walkAll(top);
  const httpCtx = contextOf(http);
  let index = 0;
  const rules: Rule[] = [];
  const realIpRules: Rule[] = [];
  const addrOf = (d: Directive): AddrSet | null => {
    const a = d.args[0] ?? '';
    if (a === 'all') return null;
    if (a.startsWith('unix:')) return EMPTY_SET;
    const r = parseRange(a);
    if (!r) throw new PolicyParseError('policy.bad_address', { line: d.line, value: ruleText(a) });
    return setOf([r]);
  };
  const serverList =
    servers.length > 0 ? servers : [{ name: 'server', args: [], line: 1, text: 'http', block: http }];
  for (const server of serverList) {
    const body = server.block!;
    const ports: PortSpan[] = body
      .filter((d) => d.name === 'listen')
      .map(listenPort)
      .filter((p): p is number => p !== null)
      .map((p) => ({ lo: p, hi: p }));
    const portsOrDefault = ports.length ? ports : [{ lo: 80, hi: 80 }];
    const own = contextOf(body);
    const root = body.find((d) => d.name === 'location' && d.block && d.args.join(' ') === '/');
    const rootCtx = root ? contextOf(root.block!) : null;
    const access = own.access.length ? own.access : rootCtx?.access.length ? rootCtx.access : httpCtx.access;
    const limits = [...httpCtx.limits, ...own.limits, ...(rootCtx?.limits ?? [])];
    const realIpFrom = [...httpCtx.realIp, ...own.realIp];
    const realIp = realIpFrom.length > 0 && (httpCtx.hasRealIpHeader || own.hasRealIpHeader);
    const base = { chain: 'nginx', proto: 'tcp', ports: portsOrDefault };
    for (const l of limits) {
      const zoneName =
        l.name === 'limit_req' ? l.args.find((a) => a.startsWith('zone='))?.slice(5) : l.args[0];
      const zone = zoneName ? zones.get(zoneName) : undefined;
      const key = zone?.args[0] ?? '';
      const perSource = /\$(binary_)?remote_addr/.test(key) && !realIp;
      rules.push(
        makeRule({
          index: index++,
          line: l.line,
          text: l.text,
          ...base,
          action: 'accept',
          rate: {
            kind: l.name === 'limit_req' ? 'limit_req' : 'limit_conn',
            perSource,
            detail: zone ? zone.text : l.text,
          },
        }),
      );
    }
    if (realIp && access.length > 0) {
      const trusted = realIpFrom.reduce<AddrSet>((acc, d) => {
        const r = parseRange(d.args[0] ?? '');
        return r ? unionSets(acc, setOf([r])) : acc;
      }, EMPTY_SET);
      // From a trusted range, allow / deny judge the visitor's address (any address on the Internet), so what a
      // visitor meets is the list's catch-all (`deny all` / `allow all`), else nginx's default, allow. The rule
      // sits in a chain of its own: set_real_ip_from is not an allow rule to compare the access list with.
      const catchAll = access.find((d) => d.args[0] === 'all');
      const denied = catchAll?.name === 'deny';
      const at = denied ? catchAll! : realIpFrom[0]!;
      const cdnListed =
        denied &&
        access.some((d) => d.name === 'allow' && d.args[0] !== 'all' && intersects4or6(addrOf(d), trusted));
      notes.push(
        denied
          ? {
              key: cdnListed ? 'policy.note_real_ip_cdn_allow_list' : 'policy.note_real_ip_visitors_denied',
              params: { line: catchAll!.line, realIpLine: realIpFrom[0]!.line },
            }
          : { key: 'policy.note_real_ip', params: { line: realIpFrom[0]!.line } },
      );
      realIpRules.push(
        makeRule({
          index: index++,
          line: at.line,
          text: at.text,
          ...base,
          chain: REAL_IP_CHAIN,
          src: trusted,
          action: denied ? 'reject' : 'accept',
          ...(denied ? { http: true } : {}),
        }),
      );
      rules.push(
        makeRule({
          index: index++,
          line: at.line,
          text: at.text,
          ...base,
          action: 'jump',
          target: REAL_IP_CHAIN,
        }),
      );
    }
    for (const d of access) {
      rules.push(
        makeRule({
          index: index++,
          line: d.line,
          text: d.text,
          ...base,
          src: addrOf(d),
          action: d.name === 'allow' ? 'accept' : 'reject',
          ...(d.name === 'deny' ? { http: true } : {}),
        }),
      );
    }
  }
  const chain: Chain = {
    name: 'nginx',
    rules,
    policy: 'accept',
    policyLine: 0,
    policyText: 'nginx: allowed unless denied',
  };
  const realIpChain: Chain = {
    name: REAL_IP_CHAIN,
    rules: realIpRules,
    policy: null,
    policyLine: 0,
    policyText: '',
  };
  return bothFamiliesSet(
    name,
    'nginx',
    'web',
    { chains: { nginx: chain, [REAL_IP_CHAIN]: realIpChain }, entry: ['nginx'] },
    notes,
  );
}
