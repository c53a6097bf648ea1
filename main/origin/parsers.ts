import ipaddr from 'ipaddr.js';
import type { ErrorLog, Listener, ListenerNote, OriginBundle } from '../../shared/model/origin-bundle';
import { contentLines } from './lines';
import { servicePort } from './services';

/**
 * Parsers of what an origin server prints, for when nothing can be installed on it: listening sockets from
 * `ss -ltnp` / `ss -a`, `netstat -tlnp` / `netstat -l`, `lsof -i`, Windows `netstat -ano` and
 * `Get-NetTCPConnection -State Listen` (table or JSON), `/proc/net/tcp{,6}`; web-server error logs counted by kind;
 * kernel "conntrack table full" lines. Each returns null when the text is not its format, and never throws.
 * A listener parser given a `notes` array adds to it every line it could not read fully (a port printed as a
 * service name this project does not know, an address netstat cut off), so "nothing listens" is never said on
 * evidence that could not have shown the port.
 */

const cap = (s: string): string => {
  const t = s.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 297)}...` : t;
};

/** At most this many notes are kept per text: enough to name the problem, bounded for a huge paste. */
export const MAX_LISTENER_NOTES = 20;

function note(notes: ListenerNote[] | undefined, reason: ListenerNote['reason'], line: string): void {
  if (notes && notes.length < MAX_LISTENER_NOTES) notes.push({ reason, line: cap(line) });
}

/**
 * An address as one form: IPv6 in canonical lower case (RFC 5952, as ipaddr.js prints it), an IPv4-mapped IPv6
 * address as the IPv4 address it is; names (`localhost`, a host name netstat resolved) and `*` as printed.
 */
export function canonicalAddress(address: string): { address: string; family: 4 | 6 } {
  if (address === '*') return { address, family: 6 };
  // Four-part decimal only: ipaddr.js would also take `127.1` or a bare number, which no tool prints.
  if (ipaddr.IPv4.isValidFourPartDecimal(address) || ipaddr.IPv6.isValid(address)) {
    const parsed = ipaddr.parse(address);
    if (parsed.kind() === 'ipv6') {
      const v6 = parsed as ipaddr.IPv6;
      if (v6.isIPv4MappedAddress()) return { address: v6.toIPv4Address().toString(), family: 4 };
      return { address: v6.toString(), family: 6 };
    }
    return { address: parsed.toString(), family: 4 };
  }
  return { address, family: address.includes(':') ? 6 : 4 };
}

/**
 * `127.0.0.53%lo:53`, `[::]:22`, `*:443`, `:::80`, `0.0.0.0:80`, and the same with the port as a service name
 * (`0.0.0.0:ssh`, `*:https`, `localhost:domain`, as ss, netstat and lsof print without -n / -P) → address, port,
 * family. Null when the port is neither a number nor a name in the shipped services table.
 */
export function splitHostPort(raw: string): { address: string; port: number; family: 4 | 6 } | null {
  const s = raw.trim();
  const i = s.lastIndexOf(':');
  if (i <= 0 && !s.startsWith(':')) return null;
  const portText = s.slice(i + 1);
  let port: number | null;
  if (/^\d{1,5}$/.test(portText)) port = Number(portText);
  else if (/^[A-Za-z][\w.+-]*$/.test(portText)) port = servicePort(portText);
  else port = null;
  if (port === null || port > 65535) return null;
  let address = s.slice(0, i).replace(/%[\w.-]+$/, '');
  if (address.startsWith('[') && address.endsWith(']'))
    address = address.slice(1, -1).replace(/%[\w.-]+$/, '');
  if (address === '') return null;
  // `*` in ss means every address of both families.
  return { ...canonicalAddress(address), port };
}

/** True for a loopback-only bind: 127.0.0.0/8, ::1, ::ffff:127.x (an IPv4-mapped loopback), `localhost`. */
export function isLoopback(address: string): boolean {
  const a = canonicalAddress(address).address;
  return /^127\./.test(a) || a === '::1' || a.toLowerCase() === 'localhost';
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

/**
 * The local address field of a listener line, or null (and an `unread` note) when its port cannot be read. A
 * listener whose port is known but whose address is a host name the tool resolved gets an `address_name` note.
 */
function readLocal(
  field: string,
  line: string,
  notes: ListenerNote[] | undefined,
  cut = false,
): { address: string; port: number; family: 4 | 6 } | null {
  const local = splitHostPort(field);
  if (!local) {
    note(notes, 'unread', line);
    return null;
  }
  const a = local.address;
  if (cut) note(notes, 'address_cut', line);
  else if (a !== '*' && a.toLowerCase() !== 'localhost' && !ipaddr.isValid(a))
    note(notes, 'address_name', line);
  return local;
}

/** ss's socket kinds (Netid column) that are TCP. */
const SS_TCP = new Set(['tcp', 'tcp6']);

/**
 * `ss -ltnp`, `ss -lt`, `ss -a` (with or without the header, with or without the Netid column, old and new `users:`
 * formats). Output that holds sockets but no TCP one (`ss -lx`, `ss -lu`) could not have shown a TCP port: a note.
 */
export function parseSs(text: string, notes?: ListenerNote[]): Listener[] | null {
  const out: Listener[] = [];
  let recognised = false;
  let tcpRows = 0;
  let otherRow: string | null = null;
  for (const line of contentLines(text)) {
    const l = line.trim();
    if (/^(Netid\s+)?State\s+Recv-Q/i.test(l)) {
      recognised = true;
      continue;
    }
    const f = l.split(/\s+/);
    // [Netid] State Recv-Q Send-Q Local Peer [Process]
    const netid = /^[a-z][a-z0-9_]*$/.test(f[0] ?? '') && /^[A-Z][A-Z0-9-]+$/.test(f[1] ?? '') ? f[0]! : null;
    const at = netid ? 1 : 0;
    if (netid && !SS_TCP.has(netid)) {
      otherRow ??= l;
      continue;
    }
    if (/^[A-Z][A-Z0-9-]+$/.test(f[at] ?? '') && /^\d+$/.test(f[at + 1] ?? '')) tcpRows++;
    if (f[at] !== 'LISTEN' || f.length < at + 5) continue;
    recognised = true;
    const local = readLocal(f[at + 3]!, l, notes);
    if (!local) continue;
    const users = /users:\(\("([^"]+)",(?:pid=)?(\d+)/.exec(l);
    out.push({ ...local, process: users?.[1] ?? null, pid: users ? Number(users[2]) : null, line: cap(l) });
  }
  if (recognised && tcpRows === 0 && otherRow !== null) note(notes, 'no_tcp', otherRow);
  return recognised ? dedupe(out) : null;
}

/**
 * netstat's Local Address column is 23 characters wide: without -W it cuts the address (never the port) so that
 * address and port fit, and an IPv6 or host-name address that filled the column may be cut short.
 */
const NETSTAT_COLUMN = 23;

/** Linux `netstat -tlnp` / `-tln` / `-l` / `-tl` (service names and host names resolved or not). */
export function parseNetstatLinux(text: string, notes?: ListenerNote[]): Listener[] | null {
  const out: Listener[] = [];
  let recognised = false;
  for (const line of contentLines(text)) {
    const l = line.trim();
    const f = l.split(/\s+/);
    if (!/^tcp6?$/.test(f[0] ?? '') || f[5] !== 'LISTEN') continue;
    recognised = true;
    const local = readLocal(f[3]!, l, notes, f[3]!.length >= NETSTAT_COLUMN);
    if (!local) continue;
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
export function parseNetstatWindows(text: string, notes?: ListenerNote[]): Listener[] | null {
  const out: Listener[] = [];
  let recognised = false;
  for (const line of contentLines(text)) {
    const l = line.trim();
    const f = l.split(/\s+/);
    if (f[0] !== 'TCP' || !/^(LISTENING|侦听|监听)$/.test(f[3] ?? '')) continue;
    recognised = true;
    const local = readLocal(f[1]!, l, notes);
    if (!local) continue;
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
        ...canonicalAddress(address),
        port,
        process: typeof o.ProcessName === 'string' ? o.ProcessName : null,
        pid: Number.isInteger(Number(o.OwningProcess)) ? Number(o.OwningProcess) : null,
        line: cap(`${address} ${port} pid ${String(o.OwningProcess ?? '-')}`),
      });
    }
    return out.length ? dedupe(out) : null;
  }
  if (!/LocalAddress\s+LocalPort/.test(t)) return null;
  const out: Listener[] = [];
  for (const line of contentLines(t)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !/^\d+$/.test(f[1] ?? '') || !f.includes('Listen')) continue;
    const pid = Number(f[f.length - 1]);
    out.push({
      ...canonicalAddress(f[0]!),
      port: Number(f[1]),
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
  for (const line of contentLines(text)) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'sl') {
      recognised = true;
      continue;
    }
    if (f.length < 10 || f[3] !== '0A') continue;
    const [addrHex, portHex] = f[1]!.split(':') as [string, string];
    const v6 = addrHex.length === 32;
    // The kernel prints IPv6 in upper-case hex, and a dual-stack socket's IPv4 peer as ::ffff:a.b.c.d.
    const address = canonicalAddress(v6 ? hexToV6(addrHex) : hexToV4(addrHex)).address;
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

/**
 * macOS (and any BSD): `lsof -nP -iTCP -sTCP:LISTEN`, and `lsof -i` without -n / -P (`*:https`, `localhost:domain`).
 * `*:80` on an IPv4 line is every IPv4 address.
 */
export function parseLsof(text: string, notes?: ListenerNote[]): Listener[] | null {
  const out: Listener[] = [];
  let recognised = false;
  for (const line of contentLines(text)) {
    if (/^COMMAND\s+PID\s+USER/.test(line)) {
      recognised = true;
      continue;
    }
    const m = /^(\S+)\s+(\d+)\s+\S+\s+\S+\s+(IPv4|IPv6)\s.*\bTCP\s+(\S+)\s+\(LISTEN\)/.exec(line);
    if (!m) continue;
    recognised = true;
    const local = readLocal(m[4]!, line, notes);
    if (!local) continue;
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

/**
 * True when the listener evidence holds a line whose port could not be read (or no TCP socket at all): then a port
 * without a listener may still have one, and "nothing listens" cannot be said.
 */
export function listenersUnread(b: Pick<OriginBundle, 'listenerNotes'>): boolean {
  return (b.listenerNotes ?? []).some((n) => n.reason === 'unread' || n.reason === 'no_tcp');
}

/** Tries every listener format; the first that recognises the text wins, with the notes on what it could not read. */
export function parseListeners(
  text: string,
): { source: string; listeners: Listener[]; notes: ListenerNote[] } | null {
  const tries: [string, (t: string, notes: ListenerNote[]) => Listener[] | null][] = [
    ['ss', parseSs],
    ['netstat', parseNetstatLinux],
    ['lsof', parseLsof],
    ['netstat-windows', parseNetstatWindows],
    ['Get-NetTCPConnection', parseGetNetTcpConnection],
    ['/proc/net/tcp', (t) => parseProcNetTcp(t)?.map(({ inode: _inode, ...l }) => l) ?? null],
  ];
  for (const [source, parse] of tries) {
    const notes: ListenerNote[] = [];
    const listeners = parse(text, notes);
    if (listeners) return { source, listeners, notes };
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
  for (const line of contentLines(text)) {
    if (line.trim() === '') continue;
    lines++;
    // nginx `2026/11/29 06:00:00 [error]`; Apache `[Sun Nov 29 06:00:00.123456 2026] [core:error]` (2.4) or
    // `[…] [error]` (2.2). A kernel line from dmesg -T (`[Sun Nov 29 …] [UFW BLOCK] …`) is not one.
    if (
      /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[\w+\]|^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [^\]]*\] \[(\w+:)?\w+\]/.test(
        line,
      )
    )
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
  // dmesg (`[ 8123.456789]`), dmesg -T (`[Sun Nov 29 05:55:45 2026]`), syslog and journalctl short / ISO stamps.
  // [ \t], not \s: a \s* at a line start would run over all following blank lines from each one (quadratic).
  if (
    !/^[ \t]*(\[[ \t]*\d+\.\d+\]|\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\]|\w{3}[ \t]+\d+ \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT)/m.test(
      text,
    )
  )
    return null;
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
