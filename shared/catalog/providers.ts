import cloudflare from './ranges/cloudflare.json';
import cloudflareHistory from './ranges/cloudflare-history.json';
import cloudflareOriginCa from './origin-ca/cloudflare.json';

/**
 * Protection providers the app knows: the CNAME suffixes that show a domain resolves through them, and their
 * published back-to-origin ranges where the provider publishes one, shipped as data files under ranges/ (each with
 * its source and the date it was checked). Providers that assign ranges per customer have none here.
 */
export interface ProviderPreset {
  readonly id: string;
  readonly name: string;
  readonly cnameSuffixes: readonly string[];
  readonly ranges: readonly string[];
  readonly rangesSource: string | null;
  readonly rangesCheckedOn: string | null;
  /**
   * Earlier published lists, one family each, with the date they were replaced and the source that says so; only
   * changes documented with a date are shipped (what is older is unknown).
   */
  readonly rangesHistory?: readonly RangesHistoryEntry[];
  /**
   * Published addresses of the provider's edge (where a protected name resolves), when the provider publishes them.
   * Back-to-origin (egress) ranges say nothing about this; only Cloudflare documents one list for both.
   */
  readonly edgeRanges?: readonly string[];
  /**
   * How long the provider keeps an idle connection to the origin open for reuse, in seconds, with its source; an
   * origin that closes idle connections sooner races the provider's reuse (an occasional 520 / 502).
   */
  readonly idleTimeoutS?: { readonly seconds: number; readonly source: string };
  /**
   * The provider's own origin CA, where it documents one: roots it trusts in strict mode although no public
   * store does (shipped under origin-ca/ with their source and the date they were read).
   */
  readonly originCa?: {
    readonly roots: readonly { readonly name: string; readonly sha256: string; readonly pem: string }[];
    readonly source: string;
    readonly checkedOn: string;
  };
}

/** One earlier published list of one family: in force until `until` (the day the provider replaced it). */
export interface RangesHistoryEntry {
  readonly family: 4 | 6;
  readonly until: string;
  readonly source: string;
  readonly ranges: readonly string[];
}

export const PROVIDERS: readonly ProviderPreset[] = [
  {
    id: 'cloudflare',
    name: 'Cloudflare',
    cnameSuffixes: ['cdn.cloudflare.net'],
    ranges: [...cloudflare.ipv4, ...cloudflare.ipv6],
    rangesSource: cloudflare.source,
    rangesCheckedOn: cloudflare.checkedOn,
    rangesHistory: cloudflareHistory.lists.map((l) => ({ ...l, family: l.family === 6 ? 6 : 4 })),
    edgeRanges: [...cloudflare.ipv4, ...cloudflare.ipv6],
    idleTimeoutS: {
      seconds: 900,
      source:
        'https://developers.cloudflare.com/fundamentals/reference/connection-limits/ (Proxy Idle Timeout)',
    },
    originCa: {
      roots: cloudflareOriginCa.roots,
      source: cloudflareOriginCa.source,
      checkedOn: cloudflareOriginCa.checkedOn,
    },
  },
  {
    id: 'akamai',
    name: 'Akamai',
    cnameSuffixes: ['akamaiedge.net', 'akamai.net', 'edgekey.net', 'edgesuite.net'],
    ranges: [],
    rangesSource: null,
    rangesCheckedOn: null,
  },
  {
    id: 'aliyun',
    name: 'Alibaba Cloud CDN / WAF',
    cnameSuffixes: [
      'alikunlun.com',
      'kunlunsl.com',
      'kunlungr.com',
      'kunlunca.com',
      'yundunwaf1.com',
      'yundunwaf2.com',
      'yundunwaf3.com',
      'yundunwaf4.com',
      'yundunwaf5.com',
    ],
    ranges: [],
    rangesSource: null,
    rangesCheckedOn: null,
  },
  {
    id: 'tencent',
    name: 'Tencent Cloud CDN / EdgeOne',
    cnameSuffixes: ['cdn.dnsv1.com', 'dsa.dnsv1.com', 'cdn.dnsv1.com.cn'],
    ranges: [],
    rangesSource: null,
    rangesCheckedOn: null,
  },
  {
    id: 'huawei',
    name: 'Huawei Cloud CDN / WAF',
    cnameSuffixes: ['cdnhwc1.com', 'cdnhwc2.com', 'huaweicloudwaf.com'],
    ranges: [],
    rangesSource: null,
    rangesCheckedOn: null,
  },
  {
    id: 'fastly',
    name: 'Fastly',
    cnameSuffixes: ['fastly.net', 'fastlylb.net'],
    ranges: [],
    rangesSource: null,
    rangesCheckedOn: null,
  },
  {
    id: 'cloudfront',
    name: 'Amazon CloudFront',
    cnameSuffixes: ['cloudfront.net'],
    ranges: [],
    rangesSource: null,
    rangesCheckedOn: null,
  },
];

/** The preset with this id (case-insensitive), or undefined. */
export function findProvider(id: string): ProviderPreset | undefined {
  return PROVIDERS.find((p) => p.id === id.toLowerCase());
}

/** The provider whose CNAME suffix a name ends with, if any. */
export function providerOfName(name: string): ProviderPreset | undefined {
  const n = name.toLowerCase().replace(/\.$/, '');
  return PROVIDERS.find((p) => p.cnameSuffixes.some((s) => n === s || n.endsWith(`.${s}`)));
}
