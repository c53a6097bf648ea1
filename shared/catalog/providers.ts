/**
 * Protection providers the app knows: the CNAME suffixes that show a domain resolves through them, and their
 * published back-to-origin ranges where the provider publishes one (with its source and the date it was checked).
 */
export interface ProviderPreset {
  readonly id: string;
  readonly name: string;
  readonly cnameSuffixes: readonly string[];
  readonly ranges: readonly string[];
  readonly rangesSource: string | null;
  readonly rangesCheckedOn: string | null;
}

export const PROVIDERS: readonly ProviderPreset[] = [
  {
    id: 'cloudflare',
    name: 'Cloudflare',
    cnameSuffixes: ['cdn.cloudflare.net'],
    ranges: [
      '173.245.48.0/20',
      '103.21.244.0/22',
      '103.22.200.0/22',
      '103.31.4.0/22',
      '141.101.64.0/18',
      '108.162.192.0/18',
      '190.93.240.0/20',
      '188.114.96.0/20',
      '197.234.240.0/22',
      '198.41.128.0/17',
      '162.158.0.0/15',
      '104.16.0.0/13',
      '104.24.0.0/14',
      '172.64.0.0/13',
      '131.0.72.0/22',
      '2400:cb00::/32',
      '2606:4700::/32',
      '2803:f800::/32',
      '2405:b500::/32',
      '2405:8100::/32',
      '2a06:98c0::/29',
      '2c0f:f248::/32',
    ],
    rangesSource: 'https://www.cloudflare.com/ips-v4 and https://www.cloudflare.com/ips-v6',
    rangesCheckedOn: '2025-06-01',
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
