import { z } from 'zod';

/** The provider configuration files `--provider-config` reads (the JSON each provider's CLI / API returns). */
export const PROVIDER_CONFIG_FORMATS = [
  'cloudfront',
  'cloudflare-pools',
  'cloudflare-monitors',
  'aliyun-domain-detail',
  'aliyun-domain-configs',
  'tencent-domains-config',
] as const;
export type ProviderConfigFormat = (typeof PROVIDER_CONFIG_FORMATS)[number];

/** One origin as the provider's configuration holds it, with the back-to-origin settings that apply to it. */
export const importedOriginSchema = z.object({
  /** The provider's own id or name for the origin (CloudFront's Origin Id, a pool's origin name). */
  id: z.string(),
  /** The origin's name or address, as configured. */
  host: z.string(),
  /** The endpoints the provider connects to (`scheme://host:port`), which the session probes. */
  endpoints: z.array(z.string()),
  /** The Host header the provider sends to this origin, when the configuration overrides it. */
  hostHeader: z.string().nullable(),
  /** http-only, https-only or match-viewer (the visitor's scheme). */
  protocol: z.enum(['http', 'https', 'match']).nullable(),
  connectTimeoutS: z.number().nullable(),
  readTimeoutS: z.number().nullable(),
  keepaliveTimeoutS: z.number().nullable(),
  /** TLS versions the provider offers the origin (CloudFront's OriginSslProtocols). */
  tlsVersions: z.array(z.string()),
  /** Names of the custom headers sent to the origin; their values (often a shared secret) are not kept. */
  headerNames: z.array(z.string()),
  enabled: z.boolean(),
});
export type ImportedOrigin = z.infer<typeof importedOriginSchema>;

/** A health check as the provider runs it (Cloudflare monitors). */
export const importedHealthCheckSchema = z.object({
  id: z.string(),
  type: z.string(),
  path: z.string().nullable(),
  port: z.number().nullable(),
  expectedCodes: z.string().nullable(),
  intervalS: z.number().nullable(),
  timeoutS: z.number().nullable(),
  retries: z.number().nullable(),
  hostHeader: z.string().nullable(),
});
export type ImportedHealthCheck = z.infer<typeof importedHealthCheckSchema>;

/** What a `--provider-config` file said: its name and format, its origins and health checks. */
export const providerConfigSchema = z.object({
  file: z.string(),
  format: z.enum(PROVIDER_CONFIG_FORMATS),
  origins: z.array(importedOriginSchema),
  healthChecks: z.array(importedHealthCheckSchema),
  /**
   * Back-to-origin settings for every origin of the domain, where the file holds them apart from the origins
   * (Alibaba's DescribeCdnDomainConfigs): Host, SNI, protocol, read timeout.
   */
  domainSettings: z
    .object({
      hostHeader: z.string().nullable(),
      sni: z.string().nullable(),
      protocol: z.enum(['http', 'https', 'match']).nullable(),
      readTimeoutS: z.number().nullable(),
    })
    .optional(),
});
export type ProviderConfig = z.infer<typeof providerConfigSchema>;
