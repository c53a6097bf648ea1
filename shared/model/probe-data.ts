import { z } from 'zod';

/**
 * The `data` each probe kind stores in its ProbeRecord, as zod schemas: the diagnosis reads stored or imported
 * data only through these, so a damaged record is left out instead of breaking the run.
 */

export const TCP_OUTCOMES = ['connected', 'refused', 'timeout', 'unreachable', 'reset', 'error'] as const;
export type TcpOutcome = (typeof TCP_OUTCOMES)[number];

const ms = z.number().nonnegative();

export const tcpAttemptSchema = z.object({
  seq: z.number().int(),
  outcome: z.enum(TCP_OUTCOMES),
  /** Time to SYN-ACK (connected) or to the failure, in milliseconds. */
  ms,
  /** The errno the kernel reported (ECONNREFUSED, EHOSTUNREACH …), when it reported one. */
  code: z.string().nullable(),
});
export type TcpAttempt = z.infer<typeof tcpAttemptSchema>;

export const tcpStatsSchema = z.object({
  sent: z.number().int().nonnegative(),
  connected: z.number().int().nonnegative(),
  lossPct: z.number(),
  minMs: ms.nullable(),
  avgMs: ms.nullable(),
  maxMs: ms.nullable(),
  stddevMs: ms.nullable(),
});
export type TcpStats = z.infer<typeof tcpStatsSchema>;

export const tcpDataSchema = z.object({
  address: z.string(),
  port: z.number().int(),
  family: z.union([z.literal(4), z.literal(6)]),
  url: z.string(),
  attempts: z.array(tcpAttemptSchema),
  stats: tcpStatsSchema,
});
export type TcpData = z.infer<typeof tcpDataSchema>;

export const DNS_OUTCOMES = [
  'ok',
  'nxdomain',
  'servfail',
  'timeout',
  'refused',
  'nodata',
  'error',
  'cancelled',
] as const;
export type DnsOutcome = (typeof DNS_OUTCOMES)[number];

export const dnsAnswerSchema = z.object({
  outcome: z.enum(DNS_OUTCOMES),
  code: z.string().nullable(),
  ms,
  values: z.array(z.string()),
  ttl: z.number().nullable(),
});
export type DnsAnswer = z.infer<typeof dnsAnswerSchema>;

export const dnsDataSchema = z.object({
  domain: z.string(),
  /** The resolver asked, or the system's resolvers. */
  server: z.string(),
  serverSource: z.enum(['system', 'requested']),
  outcome: z.enum(DNS_OUTCOMES),
  a: dnsAnswerSchema,
  aaaa: dnsAnswerSchema,
  /** The CNAME chain from the domain to the name that holds the addresses. */
  cnameChain: z.array(z.string()),
  addresses: z.array(z.string()),
});
export type DnsData = z.infer<typeof dnsDataSchema>;

export const traceProbeSchema = z.object({
  address: z.string().nullable(),
  rttMs: z.number().nullable(),
  /** Traceroute's annotation: `!H` host, `!N` net, `!X` / `!A` administratively prohibited, `!P` protocol … */
  annotation: z.string().nullable(),
});
export type TraceProbe = z.infer<typeof traceProbeSchema>;

export const traceHopSchema = z.object({ ttl: z.number().int(), probes: z.array(traceProbeSchema) });
export type TraceHop = z.infer<typeof traceHopSchema>;

export const traceDataSchema = z.object({
  target: z.string(),
  tool: z.string().nullable(),
  toolPath: z.string().nullable(),
  args: z.array(z.string()),
  /** Why the trace could not run or finish. */
  problem: z.enum(['not_installed', 'failed', 'killed_at_deadline', 'cancelled']).nullable(),
  exitCode: z.number().nullable(),
  hops: z.array(traceHopSchema),
  reached: z.boolean(),
  /** The last hop that answered, or null when none did. */
  lastResponder: z.string().nullable(),
  lastResponderTtl: z.number().nullable(),
  /** An unreachable annotation seen on the last responding hop (`!H`, `!N`, `!X` …). */
  stopAnnotation: z.string().nullable(),
});
export type TraceData = z.infer<typeof traceDataSchema>;

export const routeEntrySchema = z.object({
  destination: z.string(),
  prefix: z.number().int(),
  gateway: z.string().nullable(),
  iface: z.string(),
});
export type RouteEntry = z.infer<typeof routeEntrySchema>;

export const localDataSchema = z.object({
  os: z.string(),
  release: z.string(),
  arch: z.string(),
  hostname: z.string(),
  root: z.boolean(),
  interfaces: z.array(
    z.object({
      name: z.string(),
      address: z.string(),
      family: z.union([z.literal(4), z.literal(6)]),
      cidr: z.string().nullable(),
    }),
  ),
  /** Routes read from the kernel, or null when this platform's table could not be read. */
  routes: z.array(routeEntrySchema).nullable(),
  defaultGateways: z.array(z.string()),
  dnsServers: z.array(z.string()),
  proxy: z.record(z.string(), z.string()),
});
export type LocalData = z.infer<typeof localDataSchema>;
