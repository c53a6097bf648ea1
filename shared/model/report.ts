import { z } from 'zod';
import { LAYERS, SEVERITIES } from '../catalog/ids';
import { originBundleSchema } from './origin-bundle';
import { providerConfigSchema } from './provider-config';

/** Report JSON, schemaVersion 1: the stable contract between the engine, the app, the CLI and reports. */

export const PROBE_KINDS = [
  'dns',
  'tcp',
  'tls',
  'http',
  'trace',
  'local',
  'policy',
  'origin',
  'mgmt',
  'capture',
  'watch',
] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

export const PROBE_STATUSES = ['ok', 'warn', 'fail', 'error', 'skipped'] as const;
export type ProbeStatus = (typeof PROBE_STATUSES)[number];

export const SYMPTOMS = [
  '502',
  '504',
  '520',
  '521',
  '522',
  '523',
  '524',
  '525',
  '526',
  'refused',
  'timeout',
  'tls',
] as const;
export type Symptom = (typeof SYMPTOMS)[number];

export const SSL_MODES = ['flexible', 'full', 'strict'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export const LANGS = ['en', 'zh-CN'] as const;

/** Bounds of a watch: it is a diagnostic, not a monitoring system. */
export const WATCH_LIMITS = {
  minIntervalS: 1,
  maxIntervalS: 3600,
  maxDurationS: 24 * 3600,
  maxRounds: 2000,
} as const;
export type Lang = (typeof LANGS)[number];

const findingIdPattern = /^[a-z]+\.[a-z0-9_]+$/;
const causeIdPattern = /^cause\.[a-z0-9_]+$/;
const isoTime = z.string().datetime({ offset: true });
const params = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));

export const endpointSchema = z.object({
  url: z.string(),
  scheme: z.enum(['http', 'https']),
  address: z.string(),
  family: z.union([z.literal(4), z.literal(6)]),
  port: z.number().int().min(1).max(65535),
  /**
   * The origin name this address came from (an `--endpoint` given by name, resolved at run time); absent for an
   * address typed in. A re-test resolves the name again instead of reusing these addresses.
   */
  name: z.string().optional(),
});
export type Endpoint = z.infer<typeof endpointSchema>;

/** An origin endpoint given by name (`https://origin.example.com:443`): resolved as the provider would, then probed. */
export const originNameSchema = z.object({
  url: z.string(),
  scheme: z.enum(['http', 'https']),
  name: z.string(),
  port: z.number().int().min(1).max(65535),
});
export type OriginName = z.infer<typeof originNameSchema>;

export const dnsServerSchema = z.object({
  address: z.string(),
  port: z.number().int().min(1).max(65535),
});
export type DnsServer = z.infer<typeof dnsServerSchema>;

/** Bounds on `--provider-ca`: files per session, certificates per file, bytes per file (the `--ca` reader's). */
export const PROVIDER_CA_LIMITS = { files: 8, certs: 64, bytes: 1024 * 1024 } as const;

export const sessionInputSchema = z.object({
  domain: z.string().nullable(),
  endpoints: z.array(endpointSchema),
  /** Origin endpoints given by name; their addresses join `endpoints` (with `name`) when a run resolves them. */
  originNames: z.array(originNameSchema).optional(),
  /**
   * Probe the private, loopback, link-local and CGNAT addresses an origin name resolves to (`--probe-private`);
   * without it they are reported and not probed, as the provider cannot reach them over the Internet.
   */
  probePrivate: z.boolean().optional(),
  /** `--provider-config` files: the provider's own origin settings; their origins are among the endpoints. */
  providerConfigs: z.array(providerConfigSchema).max(8).optional(),
  dnsServers: z.array(dnsServerSchema),
  sourceRanges: z.array(z.string()),
  provider: z.string().nullable(),
  symptom: z.enum(SYMPTOMS).nullable(),
  sslMode: z.enum(SSL_MODES).nullable(),
  timeoutMs: z.number().int().positive(),
  attempts: z.number().int().positive(),
  healthPath: z.string(),
  lang: z.enum(LANGS),
  /** Names of the extra CA files trusted for this session (`--ca`). */
  caFiles: z.array(z.string()),
  /**
   * The `--ca` files' certificates (PEM), by file, so a re-test trusts exactly what the first run trusted even when
   * the files are gone; bounded like `--provider-ca`. Absent in sessions stored before it existed.
   */
  extraCa: z
    .array(
      z.object({
        name: z.string().max(4096),
        pems: z.array(z.string().max(PROVIDER_CA_LIMITS.bytes)).min(1).max(PROVIDER_CA_LIMITS.certs),
      }),
    )
    .max(PROVIDER_CA_LIMITS.files)
    .optional(),
  /**
   * `--provider-ca` files: the CA(s) the provider trusts for origin certificates (an uploaded origin CA, a custom
   * provider's own), each with its PEM text so a re-test judges the chain against the same anchors. Bounded like
   * `--ca`: at most PROVIDER_CA_LIMITS.files files of PROVIDER_CA_LIMITS.bytes each.
   */
  providerCa: z
    .array(
      z.object({
        name: z.string().max(4096),
        pems: z.array(z.string().max(PROVIDER_CA_LIMITS.bytes)).min(1).max(PROVIDER_CA_LIMITS.certs),
      }),
    )
    .max(PROVIDER_CA_LIMITS.files)
    .optional(),
  /**
   * Firewall, security-group and web-server rule files given for the policy layer, in layer order (cloud →
   * host → web server), with their text so a re-test analyses exactly the same rules.
   */
  policies: z
    .array(z.object({ name: z.string(), format: z.string().nullable(), text: z.string() }))
    .optional(),
  /**
   * Another version of the rule files to compare with the ones the policy step analyses (the set about to be
   * loaded, or an older one), whole and in layer order; the run stores the change impact in the policy probe's
   * data (`change`). Bounded like `policies`; absent in sessions stored before it existed.
   */
  policiesAfter: z
    .array(z.object({ name: z.string(), format: z.string().nullable(), text: z.string() }))
    .optional(),
  /**
   * Back-to-origin ranges that replace the provider preset's for this session (a newer published list, or the
   * ranges a provider assigned to this customer); null or absent: the preset's.
   */
  rangesOverride: z.array(z.string()).nullable().optional(),
  /** The optional management step: SSH and RDP ports to ask on each endpoint address (off unless asked). */
  management: z
    .object({
      ssh: z.array(z.number().int().min(1).max(65535)),
      rdp: z.array(z.number().int().min(1).max(65535)),
    })
    .nullable()
    .optional(),
  /** What origin-check collected on the origin server (or what was pasted from it), when it was given. */
  origin: originBundleSchema.nullable().optional(),
  /**
   * A watch instead of a one-off run: the TCP and HTTP probes repeated every `intervalS` seconds for `durationS`
   * seconds, each round stored, the pattern of failures classified.
   */
  watch: z
    .object({
      intervalS: z.number().min(WATCH_LIMITS.minIntervalS).max(WATCH_LIMITS.maxIntervalS),
      durationS: z.number().positive().max(WATCH_LIMITS.maxDurationS),
    })
    .nullable()
    .optional(),
  /** What a pasted provider error page said (provider, code, its request reference), when one was given. */
  symptomDetail: z
    .object({
      provider: z.string(),
      code: z.number().int(),
      reference: z.string().nullable(),
      layer: z.enum(LAYERS),
    })
    .nullable()
    .optional(),
});
export type SessionInput = z.infer<typeof sessionInputSchema>;

export const environmentSchema = z
  .object({
    os: z.string(),
    release: z.string(),
    arch: z.string(),
    node: z.string(),
    root: z.boolean(),
  })
  .catchall(z.unknown());
export type Environment = z.infer<typeof environmentSchema>;

export const probeSchema = z.object({
  id: z.string(),
  kind: z.enum(PROBE_KINDS),
  target: z.string(),
  startedAt: isoTime,
  durationMs: z.number().nonnegative(),
  status: z.enum(PROBE_STATUSES),
  data: z.record(z.string(), z.unknown()),
  raw: z.string().optional(),
});
export type ProbeRecord = z.infer<typeof probeSchema>;

export const findingSchema = z.object({
  id: z.string().regex(findingIdPattern),
  severity: z.enum(SEVERITIES),
  layer: z.enum(LAYERS),
  target: z.string(),
  message: z.string(),
  evidence: z.array(z.string()),
  params: params,
});
export type Finding = z.infer<typeof findingSchema>;

export const fixStepSchema = z.object({
  /** The message key and values the text was worded from, so the step can be shown in either language. */
  key: z.string(),
  params: params,
  text: z.string(),
  /** A copyable command with real values filled in, and the environment it is for (iptables, ufw …). */
  command: z.string().optional(),
  env: z.string().optional(),
});
export type FixStep = z.infer<typeof fixStepSchema>;

export const causeSchema = z.object({
  id: z.string().regex(causeIdPattern),
  confidence: z.number().min(0).max(1),
  targets: z.array(z.string()),
  /** The confidence for each target on its own (the cause's confidence is the highest of these). */
  targetConfidence: z.record(z.string(), z.number().min(0).max(1)),
  findings: z.array(z.string().regex(findingIdPattern)),
  summary: z.string(),
  /** What would confirm or disprove this cause: the next thing to check. */
  checks: z.array(fixStepSchema),
  fix: z.array(fixStepSchema),
  params: params,
});
export type Cause = z.infer<typeof causeSchema>;

export const VERDICTS = ['healthy', 'degraded', 'broken'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const reportSchema = z.object({
  schemaVersion: z.literal(1),
  tool: z.object({ name: z.literal('origin-doctor'), version: z.string() }),
  session: z.object({
    id: z.string(),
    createdAt: isoTime,
    finishedAt: isoTime,
    input: sessionInputSchema,
    environment: environmentSchema,
  }),
  probes: z.array(probeSchema),
  findings: z.array(findingSchema),
  causes: z.array(causeSchema),
  verdict: z.enum(VERDICTS),
});
export type Report = z.infer<typeof reportSchema>;
