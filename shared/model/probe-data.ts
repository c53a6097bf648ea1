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
  /**
   * False when the chain was cut (a CNAME lookup timed out or failed, or the probe's time ran out) rather than
   * ended by the name holding the addresses: what lies past the cut is not known. Absent in older sessions.
   */
  cnameComplete: z.boolean().optional(),
  addresses: z.array(z.string()),
  /** The origin endpoint (as given) whose name this lookup resolved; absent for the protected domain's lookups. */
  origin: z.string().optional(),
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

/**
 * What the OS answered when asked which route a probe to one address takes (`ip route get`, `route -n get`,
 * `Find-NetRoute`). A reject route or a policy-routing rule decides before any packet leaves; a routing table read
 * from /proc shows neither, so this answer, when there is one, is the one that counts.
 */
export const routeCheckSchema = z.object({
  address: z.string(),
  /** route: a route was picked; reject: a reject route or rule refuses; no_route: nothing covers the address;
   * unknown: the question could not be asked or its answer not read (`problem` says why). */
  decision: z.enum(['route', 'reject', 'no_route', 'unknown']),
  /** The route's type where the OS says it: unicast, local, unreachable, blackhole, prohibit, throw. */
  kind: z.string().nullable(),
  iface: z.string().nullable(),
  gateway: z.string().nullable(),
  /** The routing table a policy rule chose (Linux), when not the main one. */
  table: z.string().nullable(),
  /** The route or rule that decides, as the OS prints it, when it could be told. */
  route: z.string().nullable(),
  /** Whether a route of a table or a policy-routing rule decided. */
  by: z.enum(['route', 'rule']).nullable(),
  /** The command lines run, for the evidence. */
  commands: z.array(z.string()),
  output: z.string(),
  problem: z.string().nullable(),
});
export type RouteCheck = z.infer<typeof routeCheckSchema>;

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
  /** The OS's own route decision for each endpoint address (absent in sessions recorded before it was asked). */
  routeChecks: z.array(routeCheckSchema).optional(),
  defaultGateways: z.array(z.string()),
  dnsServers: z.array(z.string()),
  proxy: z.record(z.string(), z.string()),
});
export type LocalData = z.infer<typeof localDataSchema>;

export const certInfoSchema = z.object({
  subject: z.string(),
  issuer: z.string(),
  sans: z.array(z.string()),
  validFrom: z.string(),
  validTo: z.string(),
  keyType: z.string(),
  keyBits: z.number().nullable(),
  curve: z.string().nullable(),
  signatureAlgorithm: z.string().nullable(),
  sha256: z.string(),
  sha1: z.string(),
  serial: z.string(),
  isCa: z.boolean(),
  selfIssued: z.boolean(),
  aiaIssuerUrl: z.string().nullable(),
  ocspUrl: z.string().nullable(),
  /** Embedded certificate-transparency SCTs (0 without the extension, null when unreadable). */
  sctCount: z.number().int().nullable().optional(),
  crlUrls: z.array(z.string()).optional(),
  /** The certificate itself (base64 DER), so a report can be re-checked later. */
  der: z.string(),
});
export type CertInfo = z.infer<typeof certInfoSchema>;

export const CERT_PROBLEMS = [
  'no_certificate',
  'expired',
  'not_yet_valid',
  'expiring_soon',
  'hostname_mismatch',
  'self_signed',
  'chain_incomplete',
  'untrusted_root',
] as const;
export const certProblemSchema = z.object({
  kind: z.enum(CERT_PROBLEMS),
  /** Which certificate of the served chain (0 is the leaf). */
  index: z.number().int(),
  detail: z.string(),
});
export type CertProblem = z.infer<typeof certProblemSchema>;

/** `stalled`: TCP connected but the handshake never finished (an MTU black hole, or a hung TLS server). */
export const TLS_OUTCOMES = [
  'ok',
  'alert',
  'reset',
  'closed',
  'timeout',
  'stalled',
  'plain_http',
  'refused',
  'unreachable',
  'error',
] as const;
export type TlsOutcome = (typeof TLS_OUTCOMES)[number];

export const tlsAttemptSchema = z.object({
  servername: z.string().nullable(),
  outcome: z.enum(TLS_OUTCOMES),
  code: z.string().nullable(),
  /** The TLS alert the server sent, by name (handshake_failure, protocol_version, unrecognized_name …). */
  alert: z.string().nullable(),
  ms: ms,
  version: z.string().nullable(),
  cipher: z.string().nullable(),
  alpn: z.string().nullable(),
  leafSha256: z.string().nullable(),
  leafCoversDomain: z.boolean().nullable(),
});
export type TlsAttempt = z.infer<typeof tlsAttemptSchema>;

export const TLS_VERSIONS = ['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1'] as const;
export const VERSION_RESULTS = ['accepted', 'refused', 'not_testable'] as const;

/**
 * Where a provider origin-CA anchor came from: a shipped preset (with the date its roots were read from the
 * provider's publication) or a `--provider-ca` file (its name as given).
 */
export const providerCaSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('preset'), provider: z.string(), published: z.string() }),
  z.object({ kind: z.literal('file'), file: z.string() }),
]);
export type ProviderCaSource = z.infer<typeof providerCaSourceSchema>;

export const tlsDataSchema = z.object({
  address: z.string(),
  port: z.number().int(),
  url: z.string(),
  domain: z.string().nullable(),
  /** The handshake as the CDN makes it: SNI = the domain, ALPN h2 and http/1.1. */
  main: tlsAttemptSchema,
  noSni: tlsAttemptSchema.nullable(),
  foreignSni: tlsAttemptSchema.nullable(),
  versions: z.partialRecord(z.enum(TLS_VERSIONS), z.enum(VERSION_RESULTS)),
  chain: z.array(certInfoSchema),
  problems: z.array(certProblemSchema),
  ocspStapled: z.boolean().nullable(),
  /**
   * The provider's origin CA (`--provider` with a preset that ships one, and / or `--provider-ca` files): the root
   * the served chain leads to, or null when it leads to none of them, with where that root came from (`source`)
   * and every anchor source used (`anchors`). Absent when no provider origin CA was known for the run.
   */
  providerCa: z
    .object({
      provider: z.string(),
      root: z.string().nullable(),
      source: providerCaSourceSchema.nullable().optional(),
      anchors: z
        .array(z.intersection(providerCaSourceSchema, z.object({ roots: z.number().int() })))
        .optional(),
    })
    .nullable()
    .optional(),
});
export type TlsData = z.infer<typeof tlsDataSchema>;

export const HTTP_OUTCOMES = [
  'response',
  'empty_reply',
  'reset',
  'timeout',
  'tls_on_plain_port',
  'plain_on_tls_port',
  'refused',
  'unreachable',
  'headers_too_large',
  'error',
] as const;

export const httpExchangeSchema = z.object({
  url: z.string(),
  host: z.string(),
  outcome: z.enum(HTTP_OUTCOMES),
  code: z.string().nullable(),
  status: z.number().int().nullable(),
  /** The reason phrase as the origin sent it (`Service Unavailable`); absent in sessions stored before it was kept. */
  statusText: z.string().nullable().optional(),
  headers: z.record(z.string(), z.string()),
  /** The first bytes of the body (at most 64 KiB read, 2 KiB kept). */
  bodySample: z.string(),
  bodyBytes: z.number().int(),
  /**
   * SHA-256 of the body read (at most 64 KiB) with the request's Host name replaced by a fixed token, so the
   * answers to two Host names can be compared; and whether the body names the Host at all.
   */
  hostNeutralSha256: z.string().optional(),
  bodyNamesHost: z.boolean().optional(),
  /** Phases in milliseconds from the start, like curl -w: connect, tls, first byte, total. */
  timing: z.object({ connectMs: ms.nullable(), tlsMs: ms.nullable(), ttfbMs: ms.nullable(), totalMs: ms }),
  httpVersion: z.string().nullable(),
});
export type HttpExchange = z.infer<typeof httpExchangeSchema>;

export const httpDataSchema = z.object({
  url: z.string(),
  address: z.string(),
  port: z.number().int(),
  scheme: z.enum(['http', 'https']),
  domain: z.string().nullable(),
  path: z.string(),
  /** The request as the CDN sends it, and the redirects followed from it. */
  chain: z.array(httpExchangeSchema),
  redirectLoop: z.enum(['none', 'same_url', 'cycle', 'scheme_flip']),
  /** The same request with a Host the origin should not know: tells a missing vhost from a broken path. */
  foreignHost: httpExchangeSchema.nullable(),
  h2: z.enum(['not_offered', 'ok', 'broken']).nullable(),
  h2Error: z.string().nullable(),
  keepAliveTimeoutS: z.number().nullable(),
  clockSkewS: z.number().nullable(),
});
export type HttpData = z.infer<typeof httpDataSchema>;

export const POLICY_OUTCOMES = ['allow', 'limited', 'drop', 'reject', 'http_deny', 'unknown'] as const;
export type PolicyOutcome = (typeof POLICY_OUTCOMES)[number];
export const POLICY_ROW_OUTCOMES = ['allowed', 'limited', 'blocked', 'partial', 'unknown'] as const;
export type PolicyRowOutcome = (typeof POLICY_ROW_OUTCOMES)[number];
export const POLICY_ANOMALIES = [
  'shadowed',
  'redundant',
  'correlated',
  'generalization',
  'overly_permissive',
] as const;

/** A rule as evidence: the file, line and text it was written as. */
export const policyRuleRefSchema = z.object({
  file: z.string(),
  line: z.number().int().nonnegative(),
  text: z.string(),
  chain: z.string(),
});
export type PolicyRuleRef = z.infer<typeof policyRuleRefSchema>;

/**
 * How the packet got to the deciding rule: the jump and goto rules taken from the base chain (INPUT line 7
 * `-j ufw-before-input`, …), then the deciding rule itself, so one element when the base chain decided. Absent in
 * sessions recorded before paths were kept.
 */
export const policyPathSchema = z.array(policyRuleRefSchema).optional();

export const policyLimitSchema = policyRuleRefSchema.extend({
  kind: z.string(),
  perSource: z.boolean(),
  detail: z.string(),
});

/** A rule the reader could not evaluate fully, and the part of it that could not be evaluated. */
export const policyUndecidedSchema = policyRuleRefSchema.extend({ what: z.string() });
export type PolicyUndecided = z.infer<typeof policyUndecidedSchema>;

/** One possible answer for a segment whose outcome depends on rules the reader could not evaluate. */
export const policyBranchSchema = z.object({
  outcome: z.enum(POLICY_OUTCOMES),
  layer: z.enum(['cloud', 'host', 'web']).nullable(),
  rule: policyRuleRefSchema.nullable(),
  byDefault: z.boolean(),
  path: policyPathSchema,
  /** The uncertain rules on the way to this answer: whether each matched (true) or not (false). */
  when: z.array(policyUndecidedSchema.extend({ matched: z.boolean() })),
});
export type PolicyBranch = z.infer<typeof policyBranchSchema>;

export const policySegmentSchema = z.object({
  /** `first-last` or one CIDR. */
  range: z.string(),
  /** The same as CIDR blocks (the first 16; `cidrCount` says how many). */
  cidrs: z.array(z.string()),
  cidrCount: z.number().int().nonnegative(),
  addresses: z.string(),
  outcome: z.enum(POLICY_OUTCOMES),
  layer: z.enum(['cloud', 'host', 'web']).nullable(),
  /** The deciding rule, or the chain default that decided (byDefault). */
  rule: policyRuleRefSchema.nullable(),
  byDefault: z.boolean(),
  path: policyPathSchema,
  ban: z.boolean(),
  assumed: z.string().nullable(),
  limits: z.array(policyLimitSchema),
  /** Outcome `unknown` because of rules the reader could not evaluate: each possible answer (empty otherwise). */
  possible: z.array(policyBranchSchema).default([]),
  /** The rules that answer depends on. */
  undecided: z.array(policyUndecidedSchema).default([]),
});
export type PolicySegment = z.infer<typeof policySegmentSchema>;

export const policyRowSchema = z.object({
  range: z.string(),
  family: z.union([z.literal(4), z.literal(6)]),
  port: z.number().int(),
  proto: z.enum(['tcp', 'udp']),
  outcome: z.enum(POLICY_ROW_OUTCOMES),
  /** Share of this range's addresses allowed (limited counts as allowed), 0–1. */
  allowedShare: z.number().min(0).max(1),
  segments: z.array(policySegmentSchema),
  moreSegments: z.number().int().nonnegative(),
});
export type PolicyRow = z.infer<typeof policyRowSchema>;

export const policyNoteSchema = z.object({
  key: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
});

export const policyFileSchema = z.object({
  name: z.string(),
  format: z.string(),
  layer: z.enum(['cloud', 'host', 'web']),
  ruleCount: z.number().int().nonnegative(),
  families: z.array(z.union([z.literal(4), z.literal(6)])),
  notes: z.array(policyNoteSchema),
});
export type PolicyFile = z.infer<typeof policyFileSchema>;

export const policyAnomalySchema = z.object({
  kind: z.enum(POLICY_ANOMALIES),
  rule: policyRuleRefSchema,
  action: z.string(),
  other: policyRuleRefSchema.nullable(),
  otherAction: z.string().nullable(),
  /** The clash touches the provider's ranges on the origin's ports. */
  relevant: z.boolean(),
  /** For a rule open to the world: the management and database ports it opens. */
  openPorts: z.array(z.number().int()).optional(),
});
export type PolicyAnomaly = z.infer<typeof policyAnomalySchema>;

export const policyDataSchema = z.object({
  files: z.array(policyFileSchema),
  provider: z.string().nullable(),
  ranges: z.array(z.string()),
  ports: z.array(z.number().int()),
  /** Share of provider address space × ports allowed, per family; null where no range of that family was asked. */
  coverage: z.object({ v4: z.number().nullable(), v6: z.number().nullable() }),
  /**
   * Share of the same space whose outcome depends on rules the reader could not evaluate (counted in neither
   * allowed nor blocked), per family; null where no range of that family was asked.
   */
  undecided: z
    .object({ v4: z.number().nullable(), v6: z.number().nullable() })
    .default({ v4: null, v6: null }),
  rows: z.array(policyRowSchema),
  anomalies: z.array(policyAnomalySchema),
  anomalyCounts: z.record(z.string(), z.number().int()),
  anomaliesComplete: z.boolean(),
  elapsedMs: z.number().nonnegative(),
});
export type PolicyData = z.infer<typeof policyDataSchema>;

export const MGMT_OUTCOMES = [
  'answered',
  'silent',
  'closed',
  'not_ssh',
  'not_rdp',
  'refused',
  'timeout',
  'unreachable',
  'reset',
  'error',
  'cancelled',
] as const;

/** A management-port probe: SSH's identification line, or RDP's negotiation answer. Never authenticates. */
export const mgmtDataSchema = z.object({
  service: z.enum(['ssh', 'rdp']),
  address: z.string(),
  port: z.number().int(),
  outcome: z.enum(MGMT_OUTCOMES),
  code: z.string().nullable(),
  ms,
  connectMs: ms.nullable(),
  banner: z.string().nullable(),
  sshProtocol: z.string().nullable(),
  sshSoftware: z.string().nullable(),
  rdpSelected: z.string().nullable(),
  rdpFailure: z.string().nullable(),
});
export type MgmtData = z.infer<typeof mgmtDataSchema>;

export const CAPTURE_EVENT_KINDS = [
  'syn',
  'syn_retransmit',
  'syn_ack',
  'rst',
  'fin',
  'icmp_unreachable',
  'icmp_time_exceeded',
  'tls_client_hello',
  'tls_server_hello',
  'tls_alert',
  /** A handshake message or alert sent after ChangeCipherSpec: encrypted, so its type is not known. */
  'tls_encrypted',
  'tls_app_data',
  'http_request',
  'http_response',
  'data',
] as const;

/** One packet-level event of a probe connection, at its offset (ms) from the connection's first SYN. */
export const captureEventSchema = z.object({
  t: z.number(),
  dir: z.enum(['in', 'out']),
  kind: z.enum(CAPTURE_EVENT_KINDS),
  /** The address that sent the packet (an ICMP error's sender may be a router on the way). */
  from: z.string(),
  gapMs: z.number().optional(),
  established: z.boolean().optional(),
  icmpType: z.number().int().optional(),
  icmpCode: z.number().int().optional(),
  /** ICMP reason or TLS alert description, as protocol names (`admin_prohibited`, `handshake_failure`). */
  name: z.string().optional(),
  fromTarget: z.boolean().optional(),
  level: z.enum(['warning', 'fatal']).optional(),
  /** SNI of a ClientHello, version of a ServerHello, first line of HTTP. */
  text: z.string().optional(),
  /** Bytes of data: a `data` event's, or those a SYN carried (TCP Fast Open). */
  bytes: z.number().int().optional(),
});
export type CaptureEvent = z.infer<typeof captureEventSchema>;

export const captureConnectionSchema = z.object({
  clientPort: z.number().int(),
  startMs: z.number(),
  /** What first answered the SYN: a SYN-ACK, an RST, an ICMP error, or nothing at all. */
  answer: z.enum(['syn_ack', 'rst', 'icmp', 'none']),
  events: z.array(captureEventSchema),
  eventsDropped: z.number().int(),
});
export type CaptureConnection = z.infer<typeof captureConnectionSchema>;

/** Every probe connection to one endpoint, and what they add up to. */
export const captureEndpointSchema = z.object({
  url: z.string(),
  address: z.string(),
  port: z.number().int(),
  connections: z.array(captureConnectionSchema),
  connectionsTotal: z.number().int(),
  answered: z.number().int(),
  refused: z.number().int(),
  icmp: z.number().int(),
  unanswered: z.number().int(),
  synRetransmits: z.number().int(),
  /** Gaps between the SYNs of the connection that waited longest unanswered: the kernel's back-off. */
  backoffMs: z.array(z.number()),
  /** Who answered a SYN with an RST. */
  rstFrom: z.array(z.string()),
  icmpFrom: z.array(z.object({ from: z.string(), name: z.string(), fromTarget: z.boolean() })),
  tlsAlerts: z.array(z.object({ dir: z.enum(['in', 'out']), name: z.string(), level: z.string() })),
  /** Connections past the per-endpoint bound: their SYNs counted in connectionsTotal, their answers not read. */
  connectionsNotFollowed: z.number().int().optional(),
  /** Segments captured only in part (snap length, first fragment): counted, their data not read. */
  segmentsCut: z.number().int().optional(),
  /** Segments cut before their TCP flags: not counted as SYN, answer or data, since which they were is unknown. */
  segmentsUnreadable: z.number().int().optional(),
});
export type CaptureEndpoint = z.infer<typeof captureEndpointSchema>;

export const CAPTURE_PROBLEMS = [
  'not_installed',
  'not_permitted',
  'failed',
  'unsupported_platform',
  'too_large',
  'unreadable',
] as const;

/** A packet capture of the session's own probe traffic, with the timeline read from it. */
export const captureDataSchema = z.object({
  tool: z.string().nullable(),
  interface: z.string().nullable(),
  filter: z.string(),
  /** Why there is no capture (or no usable one), in a word the app words: the tool, privileges … */
  problem: z.enum(CAPTURE_PROBLEMS).nullable(),
  detail: z.string().nullable(),
  linkType: z.number().int().nullable(),
  packets: z.number().int(),
  bytes: z.number().int(),
  sha256: z.string().nullable(),
  /** The capture file itself, base64, for Wireshark (absent when it was too large to keep). */
  pcap: z.string().nullable(),
  endpoints: z.array(captureEndpointSchema),
  /** Frames past the reader's bound: counted, not read (the pcap itself keeps them). */
  framesNotRead: z.number().int().optional(),
});
export type CaptureData = z.infer<typeof captureDataSchema>;

/** One round of a watch: a few TCP connects and one request per endpoint, as the CDN would send it. */
export const watchEndpointSchema = z.object({
  url: z.string(),
  sent: z.number().int(),
  connected: z.number().int(),
  /** Mean connect time of the successful attempts. */
  connectMs: ms.nullable(),
  /** The most telling failed TCP outcome of the round, if any attempt failed. */
  tcpFailure: z.enum(TCP_OUTCOMES).nullable(),
  httpOutcome: z.enum(HTTP_OUTCOMES),
  httpStatus: z.number().int().nullable(),
  ttfbMs: ms.nullable(),
  ok: z.boolean(),
});
export type WatchEndpoint = z.infer<typeof watchEndpointSchema>;

export const watchRoundSchema = z.object({
  round: z.number().int().positive(),
  /** Seconds since the watch began. */
  atS: z.number().nonnegative(),
  endpoints: z.array(watchEndpointSchema),
  ok: z.boolean(),
});
export type WatchRound = z.infer<typeof watchRoundSchema>;
