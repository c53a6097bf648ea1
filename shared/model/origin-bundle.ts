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

export const originBundleSchema = z.object({
  format: z.literal('origin-doctor-origin-check'),
  version: z.literal(1),
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
});
export type OriginBundle = z.infer<typeof originBundleSchema>;
