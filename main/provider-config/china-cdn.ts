import { z } from 'zod';
import type { ImportedOrigin, ProviderConfig } from '../../shared/model/provider-config';
import type { Parsed } from '../../shared/net/validate';

/**
 * Alibaba Cloud CDN and Tencent Cloud CDN origin configurations, as their APIs return them. `invalid` words a
 * schema failure with the JSON path (shared with the other readers).
 */
export type Invalid = (
  file: string,
  error: z.ZodError,
  base: readonly PropertyKey[],
) => Parsed<ProviderConfig>;

const hostPort = (host: string, p: number): string => `${host.includes(':') ? `[${host}]` : host}:${p}`;

const blank = (id: string, host: string, endpoints: string[]): ImportedOrigin => ({
  id,
  host,
  endpoints,
  hostHeader: null,
  protocol: null,
  connectTimeoutS: null,
  readTimeoutS: null,
  keepaliveTimeoutS: null,
  tlsVersions: [],
  headerNames: [],
  enabled: true,
});

// DescribeCdnDomainDetail: GetDomainDetailModel.SourceModels.SourceModel[] — Content (address, name or OSS bucket
// domain), Type (ipaddr | domain | oss), Port (80 or 443), Enabled (online | offline).
const aliyunDetail = z.object({
  DomainName: z.string().min(1),
  SourceModels: z.object({
    SourceModel: z
      .array(
        z.object({
          Content: z.string().min(1),
          Type: z.string(),
          Port: z.number().int().min(1).max(65535),
          Enabled: z.string().optional(),
        }),
      )
      .min(1),
  }),
});

/** Alibaba sends back-to-origin requests over HTTP unless told otherwise; on port 443 it speaks HTTPS. */
export function aliyunDomainDetail(doc: unknown, file: string, invalid: Invalid): Parsed<ProviderConfig> {
  const r = aliyunDetail.safeParse((doc as { GetDomainDetailModel?: unknown }).GetDomainDetailModel);
  if (!r.success) return invalid(file, r.error, ['GetDomainDetailModel']);
  const origins = r.data.SourceModels.SourceModel.map((s, i): ImportedOrigin => {
    const scheme = s.Port === 443 ? 'https' : 'http';
    return {
      ...blank(`${r.data.DomainName}/${i + 1}`, s.Content, [`${scheme}://${hostPort(s.Content, s.Port)}`]),
      protocol: scheme,
      enabled: s.Enabled === undefined || s.Enabled === 'online',
    };
  });
  return { ok: true, value: { file, format: 'aliyun-domain-detail', origins, healthChecks: [] } };
}

// DescribeCdnDomainConfigs: DomainConfigs.DomainConfig[] — FunctionName with FunctionArgs.FunctionArg[] of
// ArgName / ArgValue. The back-to-origin ones: set_req_host_header (domain_name), https_origin_sni (enabled,
// https_origin_sni), forward_scheme (enable, scheme_origin: follow | http | https), forward_timeout.
const aliyunConfigs = z.object({
  DomainConfig: z.array(
    z.object({
      FunctionName: z.string().min(1),
      FunctionArgs: z.object({
        FunctionArg: z.array(z.object({ ArgName: z.string(), ArgValue: z.string() })),
      }),
    }),
  ),
});

export function aliyunDomainConfigs(doc: unknown, file: string, invalid: Invalid): Parsed<ProviderConfig> {
  const r = aliyunConfigs.safeParse((doc as { DomainConfigs?: unknown }).DomainConfigs);
  if (!r.success) return invalid(file, r.error, ['DomainConfigs']);
  const arg = (fn: string, name: string): string | null =>
    r.data.DomainConfig.find((c) => c.FunctionName === fn)?.FunctionArgs.FunctionArg.find(
      (a) => a.ArgName === name,
    )?.ArgValue ?? null;
  const sniOn = arg('https_origin_sni', 'enabled') === 'on';
  const schemeOn = arg('forward_scheme', 'enable') === 'on';
  const scheme = schemeOn ? arg('forward_scheme', 'scheme_origin') : null;
  const timeout = arg('forward_timeout', 'forward_timeout');
  return {
    ok: true,
    value: {
      file,
      format: 'aliyun-domain-configs',
      origins: [],
      healthChecks: [],
      domainSettings: {
        hostHeader: arg('set_req_host_header', 'domain_name'),
        sni: sniOn ? arg('https_origin_sni', 'https_origin_sni') : null,
        protocol: scheme === 'follow' ? 'match' : scheme === 'http' || scheme === 'https' ? scheme : null,
        readTimeoutS: timeout !== null && /^\d{1,4}$/.test(timeout) ? Number(timeout) : null,
      },
    },
  };
}

// DescribeDomainsConfig: Response.Domains[] (DetailDomain) — Domain, Origin { Origins ["host[:port[:weight]]"],
// ServerName (the origin Host), OriginPullProtocol (http | https | follow) }, OriginPullTimeout { ConnectTimeout,
// ReceiveTimeout }.
const tencentDomain = z.object({
  Domain: z.string().min(1),
  Origin: z.object({
    Origins: z.array(z.string().min(1)).min(1),
    ServerName: z.string().nullable().optional(),
    OriginPullProtocol: z.enum(['http', 'https', 'follow']).nullable().optional(),
  }),
  OriginPullTimeout: z
    .object({
      ConnectTimeout: z.number().int().nullable().optional(),
      ReceiveTimeout: z.number().int().nullable().optional(),
    })
    .nullable()
    .optional(),
});
const ORIGIN_ENTRY = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?(?::\d+)?$/;

export function tencentDomainsConfig(doc: unknown, file: string, invalid: Invalid): Parsed<ProviderConfig> {
  const domains = (doc as { Response?: { Domains?: unknown } }).Response?.Domains;
  const r = z.array(tencentDomain).min(1).safeParse(domains);
  if (!r.success) return invalid(file, r.error, ['Response', 'Domains']);
  const origins: ImportedOrigin[] = [];
  for (const [di, d] of r.data.entries()) {
    const policy = d.Origin.OriginPullProtocol ?? 'http';
    for (const [oi, entry] of d.Origin.Origins.entries()) {
      const m = ORIGIN_ENTRY.exec(entry);
      if (!m)
        return invalid(
          file,
          new z.ZodError([
            {
              code: 'custom',
              message: 'expected host[:port]',
              path: [di, 'Origin', 'Origins', oi],
              input: entry,
            },
          ]),
          ['Response', 'Domains'],
        );
      const host = m[1]!.replace(/^\[|\]$/g, '');
      const explicit = m[2] !== undefined ? Number(m[2]) : null;
      const schemes = policy === 'follow' ? ['http', 'https'] : [policy];
      origins.push({
        ...blank(
          `${d.Domain}/${oi + 1}`,
          host,
          schemes.map((s) => `${s}://${hostPort(host, explicit ?? (s === 'https' ? 443 : 80))}`),
        ),
        hostHeader: d.Origin.ServerName ?? null,
        protocol: policy === 'follow' ? 'match' : policy,
        connectTimeoutS: d.OriginPullTimeout?.ConnectTimeout ?? null,
        readTimeoutS: d.OriginPullTimeout?.ReceiveTimeout ?? null,
      });
    }
  }
  return { ok: true, value: { file, format: 'tencent-domains-config', origins, healthChecks: [] } };
}
