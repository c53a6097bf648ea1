import { z } from 'zod';
import { routeEntrySchema } from './probe-data';

/**
 * The origin-check bundle: what `origin-doctor origin-check` collected on the origin server (or what was pasted
 * from it), as a schema-validated JSON file a desktop session or `diagnose --origin-bundle` imports.
 */

export const listenerSchema = z.object({
  /** The bound address as the tool printed it: 0.0.0.0, ::, 127.0.0.1, ::1, a specific address, or *. */
  address: z.string(),
  port: z.number().int().min(0).max(65535),
  family: z.union([z.literal(4), z.literal(6)]),
  process: z.string().nullable(),
  pid: z.number().int().nullable(),
  /** The line it was read from, as evidence. */
  line: z.string(),
});
export type Listener = z.infer<typeof listenerSchema>;

/**
 * A line of listener evidence that was not read fully: `unread` (its port is unknown, e.g. a service name not in
 * the shipped table), `no_tcp` (the output lists sockets but no TCP one), `address_cut` (netstat cut the address
 * to fit its column), `address_name` (the address is a host name the tool resolved).
 */
export const listenerNoteSchema = z.object({
  reason: z.enum(['unread', 'no_tcp', 'address_cut', 'address_name']),
  line: z.string(),
});
export type ListenerNote = z.infer<typeof listenerNoteSchema>;

export const errorLogSchema = z.object({
  file: z.string(),
  lines: z.number().int().nonnegative(),
  counts: z.record(z.string(), z.number().int().nonnegative()),
  /** One recent line per kind, as evidence. */
  samples: z.record(z.string(), z.string()),
});
export type ErrorLog = z.infer<typeof errorLogSchema>;

/** How one provider SYN (a connection attempt, its retransmissions included) was met at the origin. */
export const synOutcomeSchema = z.enum(['syn_ack', 'rst', 'icmp', 'unanswered', 'pending']);
export type SynOutcome = z.infer<typeof synOutcomeSchema>;

/** One packet of an example connection, at its offset from the first SYN: the handshake ladder. */
export const ladderStepSchema = z.object({
  t: z.number().nonnegative(),
  dir: z.enum(['in', 'out']),
  kind: z.enum(['syn', 'syn_retransmit', 'syn_ack', 'rst', 'icmp']),
  /** Who sent it (an ICMP error may come from a router, not the origin). */
  from: z.string(),
  /** ICMP type / code, for `icmp`. */
  icmp: z.object({ type: z.number().int(), code: z.number().int() }).optional(),
});
export type LadderStep = z.infer<typeof ladderStepSchema>;

export const synExampleSchema = z.object({
  src: z.string(),
  sport: z.number().int().min(0).max(65535),
  dst: z.string(),
  /** ISO time of the first SYN. */
  at: z.string(),
  outcome: synOutcomeSchema,
  ladder: z.array(ladderStepSchema),
});
export type SynExample = z.infer<typeof synExampleSchema>;

/**
 * Connection attempts to one port from one provider range (or, with `range` null, from everywhere outside the
 * ranges), by how the origin met them. `pending`: a single SYN too late in the window to tell silence from a
 * slow answer; never counted as unanswered.
 */
export const synRowSchema = z.object({
  port: z.number().int().min(1).max(65535),
  range: z.string().nullable(),
  attempted: z.number().int().nonnegative(),
  synAck: z.number().int().nonnegative(),
  rst: z.number().int().nonnegative(),
  icmp: z.number().int().nonnegative(),
  unanswered: z.number().int().nonnegative(),
  pending: z.number().int().nonnegative(),
  /** A few attempts as evidence, the first of each outcome first. */
  examples: z.array(synExampleSchema),
});
export type SynRow = z.infer<typeof synRowSchema>;

/** A firewall rule (or chain policy) whose packet counter rose during the window. */
export const counterRiseSchema = z.object({
  /** The command whose output it was read from (`iptables-save -c`, `ip6tables-save -c`, `nft -a list ruleset`). */
  source: z.string(),
  /** Line number in that output. */
  line: z.number().int().positive(),
  table: z.string(),
  chain: z.string(),
  /** Position in its chain, as `iptables -L --line-numbers` counts (0 for the chain policy). */
  position: z.number().int().nonnegative(),
  /** The rule without its counters. */
  rule: z.string(),
  verdict: z.enum(['drop', 'reject', 'log', 'accept', 'other']),
  packets: z.number().int().nonnegative(),
});
export type CounterRise = z.infer<typeof counterRiseSchema>;

/** A kernel firewall log line (iptables / nft LOG, ufw, firewalld), read for its addresses and prefix. */
export const firewallLogEntrySchema = z.object({
  /** ISO time when the line carries a wall-clock stamp, else null (dmesg's seconds since boot). */
  at: z.string().nullable(),
  prefix: z.string(),
  src: z.string(),
  dst: z.string(),
  proto: z.string().nullable(),
  dpt: z.number().int().nullable(),
  /** The prefix says the packet was refused (BLOCK, DROP, REJECT, DENY) rather than merely logged. */
  blocked: z.boolean(),
  line: z.string(),
});
export type FirewallLogEntry = z.infer<typeof firewallLogEntrySchema>;

/** Firewall log lines from the provider's ranges, counted per prefix, with the time they cover. */
export const firewallLogSchema = z.object({
  /** Where the lines came from (`journalctl -k`, `dmesg`, `/var/log/kern.log`, a pasted file's name). */
  sources: z.array(z.string()),
  /** Firewall log lines read, from any address. */
  lines: z.number().int().nonnegative(),
  /** The times the lines read cover (null when no line carries a wall-clock stamp). */
  from: z.string().nullable(),
  to: z.string().nullable(),
  /** Per prefix, the lines whose source is inside a provider range (empty prefix: none was set). */
  providerByPrefix: z.array(
    z.object({
      prefix: z.string(),
      count: z.number().int().positive(),
      blocked: z.boolean(),
      sample: z.string(),
    }),
  ),
  /** The first provider lines, as evidence. */
  providerEntries: z.array(firewallLogEntrySchema),
});
export type FirewallLog = z.infer<typeof firewallLogSchema>;

/**
 * `origin-check --observe SECONDS`: the provider's own connections as the origin saw them during a window, with
 * the firewall counters that rose, the kernel's drop counters and the firewall log. Each part that could not be
 * read is null and named in `needsRoot` or `unavailable`.
 */
export const observationSchema = z.object({
  startedAt: z.string(),
  /** Seconds asked for, and how long it really ran (less when Ctrl-C ended it early). */
  seconds: z.number().int().min(1).max(600),
  durationMs: z.number().int().nonnegative(),
  endedEarly: z.boolean(),
  ranges: z.array(z.string()),
  ports: z.array(z.number().int().min(1).max(65535)),
  capture: z.object({
    tool: z.string().nullable(),
    interface: z.string().nullable(),
    filter: z.string(),
    problem: z.enum(['not_installed', 'not_permitted', 'failed', 'unreadable']).nullable(),
    detail: z.string().nullable(),
    packets: z.number().int().nonnegative(),
    /** Frames past the reader's bound, or attempts past the per-row bound: counted, not followed. */
    notFollowed: z.number().int().nonnegative(),
  }),
  /** Per port × provider range, then per port the attempts from outside the ranges (`range` null). */
  rows: z.array(synRowSchema),
  /** Firewall rules whose counters rose during the window; null when the counters could not be read. */
  counters: z.object({ sources: z.array(z.string()), rose: z.array(counterRiseSchema) }).nullable(),
  /** "table full" kernel messages that appeared during the window; null when the kernel log was not readable. */
  conntrackFullDelta: z.number().int().nonnegative().nullable(),
  /** TcpExt ListenOverflows / ListenDrops deltas over the window. */
  listenQueueDelta: z.object({ overflows: z.number().int(), drops: z.number().int() }).nullable(),
  firewallLog: firewallLogSchema.nullable(),
  needsRoot: z.array(z.string()),
  unavailable: z.array(z.object({ part: z.string(), reason: z.string() })),
});
export type Observation = z.infer<typeof observationSchema>;

/** The bundle's schema version: 2 added `observation` (and `firewallLog` for pasted logs); 1 still loads. */
export const ORIGIN_BUNDLE_VERSION = 2;

export const originBundleSchema = z.object({
  format: z.literal('origin-doctor-origin-check'),
  version: z.union([z.literal(1), z.literal(2)]),
  collectedAt: z.string(),
  host: z.object({ hostname: z.string(), os: z.string(), kernel: z.string() }),
  /** Collected as root; otherwise some parts are partial and `needsRoot` names them. */
  privileged: z.boolean(),
  needsRoot: z.array(z.string()),
  /** Parts that could not be collected at all here (tool missing, platform), each with the reason. */
  unavailable: z.array(z.object({ part: z.string(), reason: z.string() })),
  /** The ports the session expects a listener on. */
  ports: z.array(z.number().int().min(1).max(65535)),
  /** Where the listeners came from (ss, netstat, /proc/net/tcp, a paste), null when nothing could be read. */
  listenersSource: z.string().nullable(),
  listeners: z.array(listenerSchema),
  /** Lines of the listener evidence that could not be read fully; absent in bundles from before it was kept. */
  listenerNotes: z.array(listenerNoteSchema).optional(),
  /** Firewall dumps to feed the policy analyser. */
  firewall: z.array(z.object({ name: z.string(), format: z.string().nullable(), text: z.string() })),
  /** The web server's idle keep-alive timeout, read from its configuration (nginx -T or a pasted nginx.conf). */
  webServer: z
    .object({ kind: z.string(), keepaliveTimeoutS: z.number().nullable(), source: z.string() })
    .nullable()
    .optional(),
  /** The origin's routing table (replies to the provider leave by it). */
  routes: z.array(routeEntrySchema).nullable().optional(),
  conntrack: z.object({ count: z.number().int(), max: z.number().int() }).nullable(),
  /** "nf_conntrack: table full, dropping packet" lines in the kernel log. */
  conntrackFullMessages: z.number().int().nonnegative().nullable(),
  listenQueue: z.object({ overflows: z.number().int(), drops: z.number().int() }).nullable(),
  sysctl: z.record(z.string(), z.number()),
  processes: z.array(
    z.object({
      pid: z.number().int(),
      name: z.string(),
      openFiles: z.number().int().nullable(),
      maxOpenFiles: z.number().int().nullable(),
    }),
  ),
  disks: z.array(z.object({ mount: z.string(), usedPct: z.number() })),
  memory: z.object({ totalKb: z.number(), availableKb: z.number() }).nullable(),
  load: z.array(z.number()).nullable(),
  cpus: z.number().int().nullable(),
  errorLogs: z.array(errorLogSchema),
  /** What `--observe` saw of the provider's connections (version 2; absent without `--observe`). */
  observation: observationSchema.optional(),
  /** Kernel firewall log lines pasted with `--from` (version 2), without an observation window. */
  firewallLog: firewallLogSchema.optional(),
});
export type OriginBundle = z.infer<typeof originBundleSchema>;
