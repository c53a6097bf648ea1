import { readdirSync, readlinkSync, statfsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ORIGIN_BUNDLE_VERSION,
  type ErrorLog,
  type Listener,
  type ListenerNote,
  type OriginBundle,
} from '../../shared/model/origin-bundle';
import { detectFormat } from '../policy/parse';
import {
  countConntrackFull,
  parseErrorLog,
  parseNetstatLinux,
  parseNetstatWindows,
  parseProcNetTcp,
  parseLsof,
  parseSs,
  nginxKeepaliveSeconds,
} from '../origin/parsers';
import { readBounded, readTailBounded } from '../adapters/bounded-read';
import { decodeToolOutput, findExecutable, runTool } from './spawn';
import { parseProcNetIpv6Route, parseProcNetRoute } from './route-parsers';

/**
 * `origin-doctor origin-check`: reads the origin's side of the story and changes nothing. Every part is
 * optional: what cannot be read unprivileged is named in `needsRoot`, what this machine lacks in `unavailable`.
 * The proc root is injectable so tests can point it at fixture trees.
 */

export interface CollectOptions {
  readonly ports: readonly number[];
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** Where /proc is (fixture trees in tests). */
  readonly procRoot?: string;
  /** Run ss, iptables-save … (false: files only, as in fixture tests). */
  readonly tools?: boolean;
  /** Extra error logs to read, besides the usual nginx / Apache locations. */
  readonly logFiles?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** The most a tool may print (tests lower it); more is named in `unavailable`, never read as the whole. */
  readonly maxToolOutput?: number;
}

/**
 * What real outputs reach: an iptables-save of 100,000 rules is about 10 MB, `nginx -T` of a large site a few MB.
 * Above it the output is not used at all: a rule past the cut would turn "allowed" into "no rule allows".
 */
const MAX_TOOL_OUTPUT = 32 * 1024 * 1024;

const DEFAULT_LOGS = ['/var/log/nginx/error.log', '/var/log/apache2/error.log', '/var/log/httpd/error_log'];
const LOG_TAIL = 1024 * 1024;

/** A /proc file, or null. Bounded too: `--proc-root` may point anywhere, and /proc files report size 0. */
function readText(file: string): string | null {
  try {
    const r = readBounded(file, MAX_TOOL_OUTPUT, 1000);
    return r.kind === 'ok' ? r.bytes.toString('utf8') : null;
  } catch {
    return null;
  }
}

function readNumber(file: string): number | null {
  const t = readText(file);
  return t !== null && /^\s*\d+\s*$/.test(t) ? Number(t.trim()) : null;
}

/**
 * The last MiB of a log, read from its end: recent lines are what matter, and a 1.5 GB log must cost a MiB of
 * memory, not 1.5 GB. A FIFO or device has no end to read from and is refused (ENOTREG).
 */
function readTail(file: string): { text: string } | { error: string } {
  try {
    return { text: readTailBounded(file, LOG_TAIL).bytes.toString('utf8') };
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? 'error' };
  }
}

/** TcpExt ListenOverflows / ListenDrops from /proc/net/netstat (a header line, then a value line). */
export function parseProcNetstat(text: string): { overflows: number; drops: number } | null {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.startsWith('TcpExt:') || !lines[i + 1]!.startsWith('TcpExt:')) continue;
    const keys = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    const get = (k: string): number | null => {
      const j = keys.indexOf(k);
      return j > 0 && /^\d+$/.test(values[j] ?? '') ? Number(values[j]) : null;
    };
    const overflows = get('ListenOverflows');
    const drops = get('ListenDrops');
    if (overflows === null || drops === null) return null;
    return { overflows, drops };
  }
  return null;
}

/** Soft "Max open files" from /proc/PID/limits. */
export function parseLimits(text: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (!m) return null;
  return m[1] === 'unlimited' ? null : Number(m[1]);
}

/** Socket inode → pid, by reading every process's fd links (others' need root). */
function socketOwners(procRoot: string): Map<number, number> {
  const owners = new Map<number, number>();
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const pid of list(procRoot).filter((d) => /^\d+$/.test(d))) {
    for (const fd of list(path.join(procRoot, pid, 'fd'))) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(path.join(procRoot, pid, 'fd', fd)));
        if (m) owners.set(Number(m[1]), Number(pid));
      } catch {
        // gone, or not ours
      }
    }
  }
  return owners;
}

export async function collectOrigin(opts: CollectOptions): Promise<OriginBundle> {
  const procRoot = opts.procRoot ?? '/proc';
  const env = opts.env ?? process.env;
  const useTools = opts.tools !== false;
  const privileged = typeof process.getuid === 'function' ? process.getuid() === 0 : false;
  const needsRoot = new Set<string>();
  const unavailable: { part: string; reason: string }[] = [];

  const tool = async (name: string, args: string[]): Promise<{ out: string; code: number | null } | null> => {
    if (!useTools) return null;
    const file = findExecutable(name, env);
    if (!file) return null;
    const max = opts.maxToolOutput ?? MAX_TOOL_OUTPUT;
    const r = await runTool(file, args, {
      deadlineMs: 10_000,
      signal: opts.signal,
      env: { ...env, LC_ALL: 'C' },
      maxOutput: max,
    });
    if (r.spawnError) return null;
    if (r.truncated) {
      unavailable.push({
        part: [name, ...args].join(' '),
        reason: `printed more than ${Math.floor(max / 1024)} KiB: not read, since a part would give wrong verdicts`,
      });
      return null;
    }
    return { out: decodeToolOutput(r.stdout), code: r.exitCode };
  };

  // Listening sockets: ss, else netstat, else /proc/net/tcp{,6} with owners from /proc/*/fd.
  let listeners: Listener[] = [];
  let listenersSource: string | null = null;
  // What each tool's output could not read fully; only the notes of the source used are kept.
  let listenerNotes: ListenerNote[] = [];
  const lsofNotes: ListenerNote[] = [];
  const ssNotes: ListenerNote[] = [];
  const lsof = process.platform === 'darwin' ? await tool('lsof', ['-nP', '-iTCP', '-sTCP:LISTEN']) : null;
  const fromLsof = lsof ? parseLsof(lsof.out, lsofNotes) : null;
  const ss = process.platform === 'linux' ? await tool('ss', ['-Hltnp']) : null;
  const ssHeader =
    ss && ss.code === 0 ? parseSs(`State Recv-Q Send-Q Local Peer Process\n${ss.out}`, ssNotes) : null;
  if (fromLsof) {
    listeners = fromLsof;
    listenerNotes = lsofNotes;
    listenersSource = 'lsof -iTCP -sTCP:LISTEN';
  } else if (ssHeader) {
    listeners = ssHeader;
    listenerNotes = ssNotes;
    listenersSource = 'ss -ltnp';
  } else {
    const netstat = await tool('netstat', process.platform === 'win32' ? ['-ano', '-p', 'TCP'] : ['-tlnp']);
    const netstatNotes: ListenerNote[] = [];
    const parsed = netstat
      ? process.platform === 'win32'
        ? parseNetstatWindows(netstat.out, netstatNotes)
        : parseNetstatLinux(netstat.out, netstatNotes)
      : null;
    if (parsed) {
      listeners = parsed;
      listenerNotes = netstatNotes;
      listenersSource = process.platform === 'win32' ? 'netstat -ano' : 'netstat -tlnp';
    } else {
      const v4 = readText(path.join(procRoot, 'net', 'tcp'));
      const v6 = readText(path.join(procRoot, 'net', 'tcp6'));
      const socks = [...(v4 ? (parseProcNetTcp(v4) ?? []) : []), ...(v6 ? (parseProcNetTcp(v6) ?? []) : [])];
      if (v4 !== null || v6 !== null) {
        const owners = socketOwners(procRoot);
        listeners = socks.map(({ inode, ...l }) => {
          const pid = owners.get(inode) ?? null;
          const comm =
            pid !== null ? (readText(path.join(procRoot, String(pid), 'comm'))?.trim() ?? null) : null;
          return { ...l, pid, process: comm };
        });
        listenersSource = '/proc/net/tcp';
      } else unavailable.push({ part: 'listeners', reason: 'no ss, netstat or /proc/net/tcp' });
    }
  }
  if (!privileged && listeners.some((l) => l.pid === null)) needsRoot.add('listener processes');

  if (process.platform === 'darwin')
    unavailable.push({
      part: 'firewall rules',
      reason: 'pf is not read yet: export its rules with pfctl -sr and paste them',
    });
  if (process.platform === 'win32')
    unavailable.push({
      part: 'firewall rules',
      reason: 'export them with Get-NetFirewallRule (see the README) and give the file with --rules',
    });
  // Firewall: iptables-save (and ip6tables-save) when it holds rules, else the nftables ruleset, else ufw.
  const firewall: OriginBundle['firewall'] = [];
  if (process.platform === 'linux' && useTools) {
    const v4 = await tool('iptables-save', []);
    const v6 = await tool('ip6tables-save', []);
    const denied = (r: { out: string; code: number | null } | null): boolean => r !== null && r.code !== 0;
    if (denied(v4) || denied(v6)) needsRoot.add('firewall rules');
    const hasRules = (r: { out: string; code: number | null } | null): r is { out: string; code: number } =>
      r !== null && r.code === 0 && /^-A /m.test(r.out) && /^\*filter/m.test(r.out);
    if (hasRules(v4)) firewall.push({ name: 'iptables-save', format: 'iptables', text: v4.out });
    if (hasRules(v6)) firewall.push({ name: 'ip6tables-save', format: 'iptables', text: v6.out });
    if (firewall.length === 0) {
      const nft = await tool('nft', ['list', 'ruleset']);
      if (denied(nft)) needsRoot.add('firewall rules');
      if (nft && nft.code === 0 && detectFormat(nft.out) === 'nftables')
        firewall.push({ name: 'nft list ruleset', format: 'nftables', text: nft.out });
    }
    if (firewall.length === 0) {
      const ufw = await tool('ufw', ['status', 'verbose']);
      if (denied(ufw)) needsRoot.add('firewall rules');
      if (ufw && ufw.code === 0 && /Status:\s*active/.test(ufw.out))
        firewall.push({ name: 'ufw status verbose', format: 'ufw', text: ufw.out });
    }
  }

  // The web server's configuration: its keep-alive timeout, and its allow / deny / limit rules for the policy.
  let webServer: OriginBundle['webServer'] = null;
  const nginx = useTools ? await tool('nginx', ['-T']) : null;
  if (nginx && nginx.code === 0 && nginx.out.trim()) {
    webServer = { kind: 'nginx', keepaliveTimeoutS: nginxKeepaliveSeconds(nginx.out), source: 'nginx -T' };
    firewall.push({ name: 'nginx -T', format: 'nginx', text: nginx.out });
  } else if (nginx) needsRoot.add('web server configuration (nginx -T)');

  // The routing table: a broad route covering a provider range sends the replies astray.
  const routeV4 = readText(path.join(procRoot, 'net', 'route'));
  const routeV6 = readText(path.join(procRoot, 'net', 'ipv6_route'));
  const routes =
    routeV4 !== null || routeV6 !== null
      ? [
          ...(routeV4 ? parseProcNetRoute(routeV4, os.endianness() === 'LE') : []),
          ...(routeV6 ? parseProcNetIpv6Route(routeV6) : []),
        ]
      : null;

  // Kernel counters and limits.
  const count = readNumber(path.join(procRoot, 'sys/net/netfilter/nf_conntrack_count'));
  const max = readNumber(path.join(procRoot, 'sys/net/netfilter/nf_conntrack_max'));
  const netstatText = readText(path.join(procRoot, 'net', 'netstat'));
  const sysctl: Record<string, number> = {};
  for (const [key, file] of [
    ['net.core.somaxconn', 'sys/net/core/somaxconn'],
    ['net.ipv4.tcp_max_syn_backlog', 'sys/net/ipv4/tcp_max_syn_backlog'],
    ['fs.file-max', 'sys/fs/file-max'],
  ] as const) {
    const v = readNumber(path.join(procRoot, file));
    if (v !== null) sysctl[key] = v;
  }
  let conntrackFullMessages: number | null = null;
  const dmesg = await tool('dmesg', []);
  if (dmesg && dmesg.code === 0) conntrackFullMessages = countConntrackFull(dmesg.out) ?? 0;
  else if (dmesg) needsRoot.add('kernel log (dmesg)');

  // The processes behind the expected ports: open files against their limit.
  const processes: OriginBundle['processes'] = [];
  const pids = [
    ...new Set(listeners.filter((l) => opts.ports.includes(l.port) && l.pid !== null).map((l) => l.pid!)),
  ];
  for (const pid of pids) {
    const limits = readText(path.join(procRoot, String(pid), 'limits'));
    let openFiles: number | null = null;
    try {
      openFiles = readdirSync(path.join(procRoot, String(pid), 'fd')).length;
    } catch {
      if (!privileged) needsRoot.add('open files of the web server');
    }
    processes.push({
      pid,
      name:
        listeners.find((l) => l.pid === pid)?.process ??
        readText(path.join(procRoot, String(pid), 'comm'))?.trim() ??
        '',
      openFiles,
      maxOpenFiles: limits ? parseLimits(limits) : null,
    });
  }

  const disks: OriginBundle['disks'] = [];
  const seenDevices = new Set<number>();
  for (const mount of ['/', '/var', '/var/log', '/tmp']) {
    try {
      // One line per file system: /var on the root file system is the same disk as /.
      const dev = statSync(mount).dev;
      if (seenDevices.has(dev)) continue;
      seenDevices.add(dev);
      const s = statfsSync(mount);
      const used = s.blocks - s.bfree;
      const pct = used + s.bavail > 0 ? (used / (used + s.bavail)) * 100 : 0;
      disks.push({ mount, usedPct: Math.round(pct * 10) / 10 });
    } catch {
      // not here
    }
  }
  const meminfo = readText(path.join(procRoot, 'meminfo'));
  const kb = (k: string): number | null => {
    const m = meminfo ? new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(meminfo) : null;
    return m ? Number(m[1]) : null;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  const loadText = readText(path.join(procRoot, 'loadavg'));

  const errorLogs: ErrorLog[] = [];
  for (const file of [...DEFAULT_LOGS, ...(opts.logFiles ?? [])]) {
    const r = readTail(file);
    if ('error' in r) {
      // Only a usual location that does not exist is passed over in silence; any other skip names the file.
      if (r.error === 'EACCES') needsRoot.add(`web server error log ${file}`);
      else if (r.error !== 'ENOENT' || opts.logFiles?.includes(file))
        unavailable.push({ part: file, reason: r.error });
      continue;
    }
    const parsed = parseErrorLog(r.text, file);
    if (parsed) errorLogs.push(parsed);
    else unavailable.push({ part: file, reason: 'not an nginx or Apache error log' });
  }

  return {
    format: 'origin-doctor-origin-check',
    version: ORIGIN_BUNDLE_VERSION,
    collectedAt: opts.now().toISOString(),
    host: { hostname: os.hostname(), os: process.platform, kernel: os.release() },
    privileged,
    needsRoot: [...needsRoot],
    unavailable,
    ports: [...opts.ports],
    listenersSource,
    listeners,
    ...(listenerNotes.length > 0 ? { listenerNotes } : {}),
    firewall,
    routes,
    webServer,
    conntrack: count !== null && max !== null ? { count, max } : null,
    conntrackFullMessages,
    listenQueue: netstatText ? parseProcNetstat(netstatText) : null,
    sysctl,
    processes,
    disks,
    memory: total !== null && available !== null ? { totalKb: total, availableKb: available } : null,
    load: loadText ? loadText.trim().split(/\s+/).slice(0, 3).map(Number) : null,
    cpus: os.cpus().length || null,
    errorLogs,
  };
}
