import type { ErrorLog, Listener } from '../../shared/model/origin-bundle';

/**
 * Parsers of what an origin server prints, for when nothing can be installed on it: listening sockets from
 * `ss -ltnp`, `netstat -tlnp`, Windows `netstat -ano` and `Get-NetTCPConnection -State Listen` (table or JSON),
 * `/proc/net/tcp{,6}`; web-server error logs counted by kind; kernel "conntrack table full" lines. Each returns
 * null when the text is not its format, and never throws.
 */

const cap = (s: string): string => {
  const t = s.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 297)}...` : t;
};

/** `127.0.0.53%lo:53`, `[::]:22`, `*:443`, `:::80`, `0.0.0.0:80` → address, port, family. */
export function splitHostPort(raw: string): { address: string; port: number; family: 4 | 6 } | null {
  const s = raw.trim();
  const i = s.lastIndexOf(':');
  if (i <= 0 && !s.startsWith(':')) return null;
  const portText = s.slice(i + 1);
  if (!/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port > 65535) return null;
  let address = s.slice(0, i).replace(/%[\w.-]+$/, '');
  if (address.startsWith('[') && address.endsWith(']'))
    address = address.slice(1, -1).replace(/%[\w.-]+$/, '');
  if (address === '') return null;
  // `*` in ss means every address of both families.
  const family = address === '*' ? 6 : address.includes(':') ? 6 : 4;
  if (address.startsWith('::ffff:') && /^::ffff:\d+\.\d+\.\d+\.\d+$/.test(address))
    return { address: address.slice(7), port, family: 4 };
  return { address, port, family };
}

/** True for a loopback-only bind: 127.0.0.0/8, ::1. */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || address === 'localhost';
}

/** True for a wildcard bind: every address of the host. */
export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '*' || address === '[::]';
}

function dedupe(list: Listener[]): Listener[] {
  const seen = new Set<string>();
  return list.filter((l) => {
    const k = `${l.address}|${l.port}|${l.pid ?? ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `ss -ltnp` (with or without the header, old and new `users:` formats). */
export function parseSs(text: string): Listener[] | null {
  const out: Listener[] = [];
  let recognised = false;
  for (const line of text.split(/\r?\n/)) {
    const l = line.trim();
    if (/^(State|Netid)\s+Recv-Q/i.test(l)) {
      recognised = true;
      continue;
    }
    const f = l.split(/\s+/);
    // [Netid] State Recv-Q Send-Q Local Peer [Process]
    const at = f[0] === 'tcp' || f[0] === 'tcp6' ? 1 : 0;
    if (f[at] !== 'LISTEN' || f.length < at + 5) continue;
    const local = splitHostPort(f[at + 3]!);
    if (!local) continue;
    recognised = true;
    const users = /users:\(\("([^"]+)",(?:pid=)?(\d+)/.exec(l);
    out.push({ ...local, process: users?.[1] ?? null, pid: users ? Number(users[2]) : null, line: cap(l) });
  }
  return recognised ? dedupe(out) : null;
}

/** Linux `netstat -tlnp` / `-tln`. */
export function parseNetstatLinux(text: string): Listener[] | null {
  const out: Listener[] = [];
  let recognised = false;
  for (const line of text.split(/\r?\n/)) {
    const l = line.trim();
    const f = l.split(/\s+/);
    if (!/^tcp6?$/.test(f[0] ?? '') || f[5] !== 'LISTEN') continue;
    const local = splitHostPort(f[3]!);
    if (!local) continue;
    recognised = true;
    const prog = /^(\d+)\/(.+)$/.exec(f.slice(6).join(' '));
    out.push({
      ...local,
      process: prog?.[2]?.trim() ?? null,
      pid: prog ? Number(prog[1]) : null,
      line: cap(l),
    });
  }
  return recognised ? dedupe(out) : null;
}

/** Windows `netstat -ano` (English or Chinese: LISTENING / 侦听). */
export function parseNetstatWindows(text: string): Listener[] | null {
  const out: Listener[] = [];
  let recognised = false;
  for (const line of text.split(/\r?\n/)) {
    const l = line.trim();
    const f = l.split(/\s+/);
    if (f[0] !== 'TCP' || !/^(LISTENING|侦听|监听)$/.test(f[3] ?? '')) continue;
    const local = splitHostPort(f[1]!);
    if (!local) continue;
    recognised = true;
    const pid = /^\d+$/.test(f[4] ?? '') ? Number(f[4]) : null;
    out.push({ ...local, process: null, pid, line: cap(l) });
  }
  return recognised ? dedupe(out) : null;
}

/** `Get-NetTCPConnection -State Listen`, as the default table or through ConvertTo-Json. */
export function parseGetNetTcpConnection(text: string): Listener[] | null {
  const t = text.replace(/^\uFEFF/, '').trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    let data: unknown;
    try {
      data = JSON.parse(t);
    } catch {
      return null;
    }
    const list = Array.isArray(data) ? data : [data];
    const out: Listener[] = [];
    for (const item of list) {
      if (!item || typeof item !== 'object') continue;
      const o = item as Record<string, unknown>;
      if (typeof o.LocalAddress !== 'string' || o.LocalPort === undefined) continue;
      const state = String(o.State ?? 'Listen');
      if (state !== 'Listen' && state !== '2') continue;
      const port = Number(o.LocalPort);
      if (!Number.isInteger(port) || port < 0 || port > 65535) continue;
      const address = o.LocalAddress;
      out.push({
        address,
        port,
        family: address.includes(':') ? 6 : 4,
        process: typeof o.ProcessName === 'string' ? o.ProcessName : null,
        pid: Number.isInteger(Number(o.OwningProcess)) ? Number(o.OwningProcess) : null,
        line: cap(`${address} ${port} pid ${String(o.OwningProcess ?? '-')}`),
      });
    }
    return out.length ? dedupe(out) : null;
  }
  if (!/LocalAddress\s+LocalPort/.test(t)) return null;
  const out: Listener[] = [];
  for (const line of t.split(/\r?\n/)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !/^\d+$/.test(f[1] ?? '') || !f.includes('Listen')) continue;
    const address = f[0]!;
    const pid = Number(f[f.length - 1]);
    out.push({
      address,
      port: Number(f[1]),
      family: address.includes(':') ? 6 : 4,
      process: null,
      pid: Number.isInteger(pid) ? pid : null,
      line: cap(line),
    });
  }
  return dedupe(out);
}

function hexToV4(hex: string): string {
  // /proc/net/tcp prints the address as a little-endian 32-bit word.
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

function hexToV6(hex: string): string {
  const words: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = word.match(/../g)!.reverse().join('');
    words.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  const full = words.map((x) => x.replace(/^0+(?=.)/, '')).join(':');
  // Shorten the longest run of zero groups, as addresses are usually written.
  const m = full.match(/(^|:)0(:0)+(:|$)/g);
  if (!m) return full;
  const longest = m.reduce((a, b) => (b.length > a.length ? b : a));
  return full.replace(longest, '::').replace(/^:::/, '::').replace(/:::$/, '::');
}

/** `/proc/net/tcp` or `/proc/net/tcp6`: state 0A is LISTEN; returns the socket inode for process lookup. */
export function parseProcNetTcp(text: string): (Listener & { inode: number })[] | null {
  const out: (Listener & { inode: number })[] = [];
  let recognised = false;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'sl') {
      recognised = true;
      continue;
    }
    if (f.length < 10 || f[3] !== '0A') continue;
    const [addrHex, portHex] = f[1]!.split(':') as [string, string];
    const v6 = addrHex.length === 32;
    const address = v6 ? hexToV6(addrHex) : hexToV4(addrHex);
    out.push({
      address,
      port: parseInt(portHex, 16),
      family: v6 ? 6 : 4,
      process: null,
      pid: null,
      line: cap(line),
      inode: Number(f[9]),
    });
  }
  return recognised ? out : null;
}

/** macOS (and any BSD): `lsof -nP -iTCP -sTCP:LISTEN`. `*:80` on an IPv4 line is every IPv4 address. */
export function parseLsof(text: string): Listener[] | null {
  const out: Listener[] = [];
  let recognised = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^COMMAND\s+PID\s+USER/.test(line)) {
      recognised = true;
      continue;
    }
    const m = /^(\S+)\s+(\d+)\s+\S+\s+\S+\s+(IPv4|IPv6)\s.*\bTCP\s+(\S+)\s+\(LISTEN\)/.exec(line);
    if (!m) continue;
    const local = splitHostPort(m[4]!);
    if (!local) continue;
    recognised = true;
    const v6 = m[3] === 'IPv6';
    const address = local.address === '*' ? (v6 ? '::' : '0.0.0.0') : local.address;
    // lsof escapes unusual bytes in command names as \xNN; shown as printed.
    out.push({
      address,
      port: local.port,
      family: v6 ? 6 : 4,
      process: m[1]!,
      pid: Number(m[2]),
      line: cap(line),
    });
  }
  return recognised ? dedupe(out) : null;
}

/** Tries every listener format; the first that recognises the text wins. */
export function parseListeners(text: string): { source: string; listeners: Listener[] } | null {
  const tries: [string, (t: string) => Listener[] | null][] = [
    ['ss', parseSs],
    ['netstat', parseNetstatLinux],
    ['lsof', parseLsof],
    ['netstat-windows', parseNetstatWindows],
    ['Get-NetTCPConnection', parseGetNetTcpConnection],
    ['/proc/net/tcp', (t) => parseProcNetTcp(t)?.map(({ inode: _inode, ...l }) => l) ?? null],
  ];
  for (const [source, parse] of tries) {
    const listeners = parse(text);
    if (listeners) return { source, listeners };
  }
  return null;
}

// `.{0,512}`, not `.*`: a line repeating "attempt to connect to" would otherwise be rescanned to its end from each
// repetition (quadratic); the address and host name between the two phrases are far shorter.
const LOG_PATTERNS: [string, RegExp][] = [
  ['connect_failed', /connect\(\) failed|AH00957|AH01114|attempt to connect to .{0,512} failed/i],
  ['upstream_timeout', /upstream timed out|AH01102|The timeout specified has expired|AH01110/i],
  ['ssl_handshake', /SSL_do_handshake\(\) failed|SSL handshake|AH02008|AH02039/i],
  ['limiting_requests', /limiting (requests|connections)/i],
  ['too_many_open_files', /Too many open files|\(24\)/i],
  ['worker_connections', /worker_connections are not enough|MaxRequestWorkers|server reached MaxClients/i],
];

/** An nginx or Apache error log (or its tail), lines counted by what went wrong. */
export function parseErrorLog(text: string, file: string): ErrorLog | null {
  const counts: Record<string, number> = {};
  const samples: Record<string, string> = {};
  let lines = 0;
  let recognised = false;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    lines++;
    if (/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[\w+\]|^\[[A-Z][a-z]{2} [A-Z][a-z]{2} .*\] \[/.test(line))
      recognised = true;
    for (const [kind, re] of LOG_PATTERNS)
      if (re.test(line)) {
        counts[kind] = (counts[kind] ?? 0) + 1;
        samples[kind] = cap(line);
        break;
      }
  }
  return recognised ? { file, lines, counts, samples } : null;
}

/** Kernel log lines saying the conntrack table was full; null when the text is not a kernel log. */
export function countConntrackFull(text: string): number | null {
  // [ \t], not \s: a \s* at a line start would run over all following blank lines from each one (quadratic).
  if (!/^[ \t]*(\[[ \t]*\d+\.\d+\]|\w{3}[ \t]+\d+ \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT)/m.test(text)) return null;
  return (text.match(/nf_conntrack: (nf_conntrack: )?table full, dropping packet/g) ?? []).length;
}

/** nginx's keepalive_timeout as it applies to the site: the last one at http or server level; 75 s when unset. */
export function nginxKeepaliveSeconds(config: string): number | null {
  if (!/\b(http|server)\s*\{/.test(config)) return null;
  // Statement by statement (split at `;`, the part after the last brace): a regex looking for the `;` after each
  // directive would rescan the rest of the file for every unterminated one.
  const statements = config.replace(/#.*$/gm, '').split(';').slice(0, -1);
  const values: number[] = [];
  for (const s of statements) {
    const m = /^\s*keepalive_timeout\s+(\d+)(ms|s|m)?\b/.exec(
      s.slice(Math.max(s.lastIndexOf('{'), s.lastIndexOf('}')) + 1),
    );
    if (!m) continue;
    const n = Number(m[1]);
    values.push(m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n);
  }
  return values.length ? values[values.length - 1]! : 75;
}
