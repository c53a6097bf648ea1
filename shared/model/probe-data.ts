/**
 * The `data` each probe kind stores in its ProbeRecord. The diagnosis reads these; the app and reports show them.
 * Plain values only (they are stored as JSON).
 */

export const TCP_OUTCOMES = ['connected', 'refused', 'timeout', 'unreachable', 'reset', 'error'] as const;
export type TcpOutcome = (typeof TCP_OUTCOMES)[number];

export interface TcpAttempt {
  readonly seq: number;
  readonly outcome: TcpOutcome;
  /** Time to SYN-ACK (connected) or to the failure, in milliseconds. */
  readonly ms: number;
  /** The errno the kernel reported (ECONNREFUSED, EHOSTUNREACH …), when it reported one. */
  readonly code: string | null;
}

export interface TcpStats {
  readonly sent: number;
  readonly connected: number;
  readonly lossPct: number;
  readonly minMs: number | null;
  readonly avgMs: number | null;
  readonly maxMs: number | null;
  readonly stddevMs: number | null;
}

export interface TcpData {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  readonly url: string;
  readonly attempts: TcpAttempt[];
  readonly stats: TcpStats;
}

export const DNS_OUTCOMES = ['ok', 'nxdomain', 'servfail', 'timeout', 'refused', 'nodata', 'error', 'cancelled'] as const;
export type DnsOutcome = (typeof DNS_OUTCOMES)[number];

export interface DnsAnswer {
  readonly outcome: DnsOutcome;
  readonly code: string | null;
  readonly ms: number;
  readonly values: string[];
  readonly ttl: number | null;
}

export interface DnsData {
  readonly domain: string;
  /** `system` when the operating system's resolvers were used. */
  readonly server: string;
  readonly serverSource: 'system' | 'requested';
  readonly outcome: DnsOutcome;
  readonly a: DnsAnswer;
  readonly aaaa: DnsAnswer;
  /** The CNAME chain from the domain to the name that holds the addresses. */
  readonly cnameChain: string[];
  readonly addresses: string[];
}

export interface TraceProbe {
  readonly address: string | null;
  readonly rttMs: number | null;
  /** Traceroute's annotation: `!H` host, `!N` net, `!X` / `!A` administratively prohibited, `!P` protocol … */
  readonly annotation: string | null;
}

export interface TraceHop {
  readonly ttl: number;
  readonly probes: TraceProbe[];
}

export interface TraceData {
  readonly target: string;
  readonly tool: string | null;
  readonly toolPath: string | null;
  readonly args: string[];
  /** Why the trace could not run or finish: `not_installed`, `failed`, `killed_at_deadline`, `cancelled`. */
  readonly problem: 'not_installed' | 'failed' | 'killed_at_deadline' | 'cancelled' | null;
  readonly exitCode: number | null;
  readonly hops: TraceHop[];
  readonly reached: boolean;
  /** The last hop that answered, or null when none did. */
  readonly lastResponder: string | null;
  readonly lastResponderTtl: number | null;
  /** An unreachable annotation seen on the last responding hop (`!H`, `!N`, `!X` …). */
  readonly stopAnnotation: string | null;
}

export interface RouteEntry {
  readonly destination: string;
  readonly prefix: number;
  readonly gateway: string | null;
  readonly iface: string;
}

export interface LocalData {
  readonly os: string;
  readonly release: string;
  readonly arch: string;
  readonly hostname: string;
  readonly root: boolean;
  readonly interfaces: { name: string; address: string; family: 4 | 6; cidr: string | null }[];
  /** Routes read from the kernel, or null when this platform's table could not be read. */
  readonly routes: RouteEntry[] | null;
  readonly defaultGateways: string[];
  readonly dnsServers: string[];
  readonly proxy: Record<string, string>;
}
