import { z } from 'zod';
import type {
  ImportedHealthCheck,
  ImportedOrigin,
  ProviderConfig,
  ProviderConfigFormat,
} from '../../shared/model/provider-config';
import type { SslMode } from '../../shared/model/report';
import { quoteInput, type Parsed } from '../../shared/net/validate';
import { jsonErrorOffset, placeOf } from '../policy/json-error';
import { aliyunDomainConfigs, aliyunDomainDetail, tencentDomainsConfig } from './china-cdn';

/**
 * Readers of the provider's own origin configuration, as its CLI / API returns it. Each format has a zod schema of
 * the fields we use; every other field is ignored (providers add fields all the time). A file that lacks a field we
 * need is refused with the JSON path of the gap, so the person knows what to export or fill in.
 */

const port = z.number().int().min(1).max(65535);
const seconds = z.number().int().min(1).max(3600);

// `aws cloudfront get-distribution-config --id ID` prints {"ETag": …, "DistributionConfig": {…}}; the API's
// GetDistribution wraps it in Distribution.DistributionConfig. Both are read.
const cloudFrontOrigin = z.object({
  Id: z.string().min(1),
  DomainName: z.string().min(1),
  CustomHeaders: z
    .object({
      Items: z.array(z.object({ HeaderName: z.string(), HeaderValue: z.string() })).optional(),
    })
    .optional(),
  S3OriginConfig: z.object({}).optional(),
  CustomOriginConfig: z
    .object({
      HTTPPort: port,
      HTTPSPort: port,
      OriginProtocolPolicy: z.enum(['http-only', 'match-viewer', 'https-only']),
      OriginSslProtocols: z.object({ Items: z.array(z.string()) }).optional(),
      OriginReadTimeout: seconds.optional(),
      OriginKeepaliveTimeout: seconds.optional(),
    })
    .optional(),
  ConnectionTimeout: z.number().int().min(1).max(10).optional(),
});
const cloudFrontConfig = z.object({
  Origins: z.object({ Quantity: z.number().int().min(0), Items: z.array(cloudFrontOrigin).min(1) }),
});

const hostPort = (host: string, p: number): string => `${host.includes(':') ? `[${host}]` : host}:${p}`;

function cloudFront(doc: unknown, file: string): Parsed<ProviderConfig> {
  const root = doc as { DistributionConfig?: unknown; Distribution?: { DistributionConfig?: unknown } };
  const [config, base] =
    root.DistributionConfig !== undefined
      ? [root.DistributionConfig, ['DistributionConfig']]
      : [root.Distribution?.DistributionConfig, ['Distribution', 'DistributionConfig']];
  const r = cloudFrontConfig.safeParse(config);
  if (!r.success) return invalid(file, r.error, base);
  const origins = r.data.Origins.Items.map((o): ImportedOrigin => {
    const c = o.CustomOriginConfig;
    // An S3 (REST) origin is reached over HTTPS on 443; a custom origin by its protocol policy and ports.
    const policy = c ? c.OriginProtocolPolicy : 'https-only';
    const endpoints = [
      ...(policy !== 'https-only' ? [`http://${hostPort(o.DomainName, c?.HTTPPort ?? 80)}`] : []),
      ...(policy !== 'http-only' ? [`https://${hostPort(o.DomainName, c?.HTTPSPort ?? 443)}`] : []),
    ];
    return {
      id: o.Id,
      host: o.DomainName,
      endpoints,
      // CloudFront sends the origin's domain name as Host unless the viewer's Host is forwarded by a policy.
      hostHeader: null,
      protocol: policy === 'http-only' ? 'http' : policy === 'https-only' ? 'https' : 'match',
      connectTimeoutS: o.ConnectionTimeout ?? null,
      readTimeoutS: c?.OriginReadTimeout ?? null,
      keepaliveTimeoutS: c?.OriginKeepaliveTimeout ?? null,
      tlsVersions: c?.OriginSslProtocols?.Items ?? [],
      headerNames: (o.CustomHeaders?.Items ?? []).map((h) => h.HeaderName),
      enabled: true,
    };
  });
  return { ok: true, value: { file, format: 'cloudfront', origins, healthChecks: [] } };
}

// Cloudflare's v4 API: GET /accounts/{id}/load_balancers/pools → {"success": true, "result": [pool…]}.
const cloudflarePool = z.object({
  id: z.string().min(1),
  name: z.string(),
  enabled: z.boolean().optional(),
  origins: z
    .array(
      z.object({
        name: z.string().optional(),
        address: z.string().min(1),
        enabled: z.boolean().optional(),
        port: z.number().int().min(0).max(65535).optional(),
        header: z.object({ Host: z.array(z.string()).optional() }).optional(),
      }),
    )
    .min(1),
});
const cloudflareMonitor = z.object({
  id: z.string().min(1),
  type: z.enum(['http', 'https', 'tcp', 'udp_icmp', 'icmp_ping', 'smtp']),
  path: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  expected_codes: z.string().optional(),
  interval: z.number().int().optional(),
  timeout: z.number().int().optional(),
  retries: z.number().int().optional(),
  header: z.object({ Host: z.array(z.string()).optional() }).optional(),
});

/**
 * A pool says where its origins are, not how Cloudflare speaks to them: that is the zone's SSL mode (Flexible: HTTP
 * on 80; Full / Strict: HTTPS on 443), or the origin's own port. Without `--ssl-mode` the scheme is asked for.
 */
function cloudflarePools(results: unknown[], file: string, sslMode: SslMode | null): Parsed<ProviderConfig> {
  const r = z.array(cloudflarePool).safeParse(results);
  if (!r.success) return invalid(file, r.error, ['result']);
  if (sslMode === null)
    return {
      ok: false,
      error: {
        key: 'input.provider_config_needs',
        params: { file: quoteInput(file), what: '--ssl-mode flexible|full|strict' },
      },
    };
  const scheme = sslMode === 'flexible' ? 'http' : 'https';
  const origins = r.data.flatMap((pool) =>
    pool.origins.map((o): ImportedOrigin => {
      const p = o.port && o.port > 0 ? o.port : scheme === 'http' ? 80 : 443;
      return {
        id: `${pool.name}/${o.name ?? o.address}`,
        host: o.address,
        endpoints: [`${scheme}://${hostPort(o.address, p)}`],
        hostHeader: o.header?.Host?.[0] ?? null,
        protocol: scheme,
        connectTimeoutS: null,
        readTimeoutS: null,
        keepaliveTimeoutS: null,
        tlsVersions: [],
        headerNames: o.header?.Host ? ['Host'] : [],
        enabled: pool.enabled !== false && o.enabled !== false,
      };
    }),
  );
  return { ok: true, value: { file, format: 'cloudflare-pools', origins, healthChecks: [] } };
}

function cloudflareMonitors(results: unknown[], file: string): Parsed<ProviderConfig> {
  const r = z.array(cloudflareMonitor).safeParse(results);
  if (!r.success) return invalid(file, r.error, ['result']);
  const healthChecks = r.data.map((m): ImportedHealthCheck => ({
    id: m.id,
    type: m.type,
    path: m.path ?? null,
    port: m.port && m.port > 0 ? m.port : null,
    expectedCodes: m.expected_codes ?? null,
    intervalS: m.interval ?? null,
    timeoutS: m.timeout ?? null,
    retries: m.retries ?? null,
    hostHeader: m.header?.Host?.[0] ?? null,
  }));
  return { ok: true, value: { file, format: 'cloudflare-monitors', origins: [], healthChecks } };
}

/** A JSON path as people read it: `$.DistributionConfig.Origins.Items[0].DomainName`. */
export function jsonPath(parts: readonly PropertyKey[]): string {
  return (
    '$' +
    parts
      .map((p) =>
        typeof p === 'number'
          ? `[${p}]`
          : /^[A-Za-z_$][\w$]*$/.test(String(p))
            ? `.${String(p)}`
            : `[${JSON.stringify(String(p))}]`,
      )
      .join('')
  );
}

function invalid(file: string, error: z.ZodError, base: readonly PropertyKey[]): Parsed<ProviderConfig> {
  const issue = error.issues[0]!;
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  return {
    ok: false,
    error: {
      key: missing ? 'input.provider_config_missing' : 'input.provider_config_invalid',
      params: {
        file: quoteInput(file),
        path: jsonPath([...base, ...issue.path]),
        problem: quoteInput(issue.message),
      },
    },
  };
}

/** Which format a parsed document is, from the keys each provider's output has at its top. */
export function detectProviderConfig(doc: unknown): ProviderConfigFormat | null {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
  const d = doc as Record<string, unknown>;
  if ('DistributionConfig' in d || (typeof d.Distribution === 'object' && d.Distribution !== null))
    return 'cloudfront';
  if (typeof d.GetDomainDetailModel === 'object' && d.GetDomainDetailModel !== null)
    return 'aliyun-domain-detail';
  if (typeof d.DomainConfigs === 'object' && d.DomainConfigs !== null) return 'aliyun-domain-configs';
  const response = d.Response as Record<string, unknown> | undefined;
  if (typeof response === 'object' && response !== null && 'Domains' in response)
    return 'tencent-domains-config';
  if (Array.isArray(d.result)) {
    const first = d.result[0] as Record<string, unknown> | undefined;
    if (first && 'origins' in first) return 'cloudflare-pools';
    if (first && ('expected_codes' in first || 'type' in first)) return 'cloudflare-monitors';
  }
  return null;
}

/**
 * Reads one provider configuration file's text. `sslMode` is the session's (`--ssl-mode`): a Cloudflare pool needs
 * it to know the scheme. Errors name the file and, for a field, its JSON path.
 */
export function parseProviderConfig(
  text: string,
  file: string,
  sslMode: SslMode | null,
): Parsed<ProviderConfig> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const at = placeOf(text, jsonErrorOffset(text) ?? 0);
    return {
      ok: false,
      error: {
        key: 'input.provider_config_json',
        params: { file: quoteInput(file), line: at.line, column: at.column },
      },
    };
  }
  const format = detectProviderConfig(doc);
  const results = (doc as { result?: unknown[] }).result ?? [];
  switch (format) {
    case 'cloudfront':
      return cloudFront(doc, file);
    case 'cloudflare-pools':
      return cloudflarePools(results, file, sslMode);
    case 'cloudflare-monitors':
      return cloudflareMonitors(results, file);
    case 'aliyun-domain-detail':
      return aliyunDomainDetail(doc, file, invalid);
    case 'aliyun-domain-configs':
      return aliyunDomainConfigs(doc, file, invalid);
    case 'tencent-domains-config':
      return tencentDomainsConfig(doc, file, invalid);
    case null:
      return {
        ok: false,
        error: { key: 'input.provider_config_unknown', params: { file: quoteInput(file) } },
      };
  }
}
