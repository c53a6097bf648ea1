import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { withProviderConfigs } from '../../main/provider-config/apply';
import { parseProviderConfig } from '../../main/provider-config/parse';
import { providerConfigSchema } from '../../shared/model/provider-config';
import { createTranslator } from '../../shared/i18n/translate';
import { sessionInput } from '../lab/session-input';
import { diagnose } from '../../main/diagnosis';

const DIR = path.join(__dirname, '..', 'fixtures', 'provider-config');
const read = (name: string): string => readFileSync(path.join(DIR, name), 'utf8');
const t = createTranslator('en');

describe('--provider-config: the providers documented examples', () => {
  test('CloudFront get-distribution-config: S3 and custom origins, protocol policy, ports, timeouts, header names', () => {
    const r = parseProviderConfig(read('cloudfront-get-distribution-config.json'), 'cf.json', null);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(providerConfigSchema.parse(r.value)).toEqual(r.value);
    expect(r.value.format).toBe('cloudfront');
    const [s3, web] = r.value.origins;
    expect(s3).toMatchObject({
      id: 'amzn-s3-demo-bucket.s3.amazonaws.com-cli-example',
      endpoints: ['https://amzn-s3-demo-bucket.s3.amazonaws.com:443'],
      protocol: 'https',
    });
    expect(web).toEqual({
      id: 'origin-web',
      host: 'origin.example.com',
      endpoints: ['https://origin.example.com:8443'],
      hostHeader: null,
      protocol: 'https',
      connectTimeoutS: 10,
      readTimeoutS: 30,
      keepaliveTimeoutS: 5,
      tlsVersions: ['TLSv1.2'],
      // The value (a shared secret, often) is not kept.
      headerNames: ['X-Origin-Verify'],
      enabled: true,
    });
    expect(JSON.stringify(r.value)).not.toContain('example-shared-secret');
  });

  test('CloudFront match-viewer gives both schemes on their ports; http-only the HTTP port alone', () => {
    const doc = JSON.parse(read('cloudfront-get-distribution-config.json'));
    const custom = doc.DistributionConfig.Origins.Items[1].CustomOriginConfig;
    custom.OriginProtocolPolicy = 'match-viewer';
    let r = parseProviderConfig(JSON.stringify(doc), 'cf.json', null);
    expect(r.ok && r.value.origins[1]!.endpoints).toEqual([
      'http://origin.example.com:80',
      'https://origin.example.com:8443',
    ]);
    custom.OriginProtocolPolicy = 'http-only';
    r = parseProviderConfig(JSON.stringify(doc), 'cf.json', null);
    expect(r.ok && r.value.origins[1]!.endpoints).toEqual(['http://origin.example.com:80']);
  });

  test('Cloudflare pools: the origin, its Host override, its pool disabled; the scheme from --ssl-mode', () => {
    const r = parseProviderConfig(read('cloudflare-pools.json'), 'pools.json', 'strict');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.origins).toEqual([
      {
        id: 'primary-dc-1/app-server-1',
        host: '203.0.113.10',
        endpoints: ['https://203.0.113.10:443'],
        hostHeader: 'example.com',
        protocol: 'https',
        connectTimeoutS: null,
        readTimeoutS: null,
        keepaliveTimeoutS: null,
        tlsVersions: [],
        headerNames: ['Host'],
        // The documented example's pool is disabled: kept, not probed.
        enabled: false,
      },
    ]);
    const flexible = parseProviderConfig(read('cloudflare-pools.json'), 'pools.json', 'flexible');
    expect(flexible.ok && flexible.value.origins[0]!.endpoints).toEqual(['http://203.0.113.10:80']);
  });

  test('Cloudflare pools without --ssl-mode: the scheme is asked for, not guessed', () => {
    const r = parseProviderConfig(read('cloudflare-pools.json'), 'pools.json', null);
    expect(r).toMatchObject({ ok: false, error: { key: 'input.provider_config_needs' } });
    expect(t(r.ok ? '' : r.error.key, { ...(r.ok ? {} : r.error.params), option: '--provider-config' })).toBe(
      '--provider-config: "pools.json" does not say how the provider speaks to the origins; give --ssl-mode flexible|full|strict',
    );
  });

  test('Cloudflare monitors: type, path, expected codes, Host', () => {
    const r = parseProviderConfig(read('cloudflare-monitors.json'), 'monitors.json', null);
    expect(r.ok && r.value.healthChecks).toEqual([
      {
        id: 'f1aba936b94213e5b8dca0c0dbf1f9cc',
        type: 'https',
        path: '/health',
        port: null,
        expectedCodes: '2xx',
        intervalS: 0,
        timeoutS: 0,
        retries: 0,
        hostHeader: 'example.com',
      },
    ]);
  });
});

describe('--provider-config: a broken file per format gets one line with the JSON path', () => {
  const message = (file: string, sslMode: 'strict' | null = 'strict'): string => {
    const r = parseProviderConfig(read(file), file, sslMode);
    expect(r.ok).toBe(false);
    return r.ok ? '' : t(r.error.key, { ...r.error.params, option: '--provider-config' });
  };
  test('CloudFront: an origin without DomainName', () => {
    expect(message('cloudfront-missing-domain.json')).toBe(
      '--provider-config: "cloudfront-missing-domain.json" lacks $.DistributionConfig.Origins.Items[0].DomainName, which is needed; export the full configuration, or add it',
    );
  });
  test('CloudFront: not JSON, with the line and column', () => {
    expect(message('cloudfront-truncated.json')).toBe(
      '--provider-config: "cloudfront-truncated.json" is not valid JSON (line 4, column 33); save the provider CLI\'s output as it printed it',
    );
  });
  test('Cloudflare pools: an address that is not a string', () => {
    expect(message('cloudflare-pools-bad-origin.json')).toMatch(
      /^--provider-config: "cloudflare-pools-bad-origin.json" at \$\.result\[0\]\.origins\[0\]\.address: /,
    );
  });
  test('Cloudflare monitors: a type Cloudflare does not have', () => {
    expect(message('cloudflare-monitors-bad-type.json', null)).toMatch(
      /^--provider-config: "cloudflare-monitors-bad-type.json" at \$\.result\[0\]\.type: /,
    );
  });
  test('something else entirely is named as such (near miss: valid JSON, not a provider config)', () => {
    const r = parseProviderConfig('{"Origins": []}', 'x.json', null);
    expect(r).toMatchObject({ ok: false, error: { key: 'input.provider_config_unknown' } });
  });
});

describe('--provider-config: the origins join the session', () => {
  test('enabled origins become endpoints (names resolved like any), disabled ones are kept but not probed', () => {
    const cf = parseProviderConfig(read('cloudfront-get-distribution-config.json'), 'cf.json', null);
    const pools = parseProviderConfig(read('cloudflare-pools.json'), 'pools.json', 'strict');
    if (!cf.ok || !pools.ok) throw new Error('fixtures must parse');
    const r = withProviderConfigs(sessionInput({ endpoints: [] }), [cf.value, pools.value]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.endpoints).toEqual([]);
    expect(r.value.originNames!.map((o) => o.url)).toEqual([
      'https://amzn-s3-demo-bucket.s3.amazonaws.com:443',
      'https://origin.example.com:8443',
    ]);
    expect(r.value.providerConfigs!.map((c) => c.file)).toEqual(['cf.json', 'pools.json']);
  });
});

describe('--provider-config: an origin the provider cannot reach', () => {
  const pools = (address: string): string =>
    JSON.stringify({
      success: true,
      result: [{ id: 'p1', name: 'pool', origins: [{ name: 'o1', address, enabled: true }] }],
    });
  const run = (address: string, probePrivate = false) => {
    const c = parseProviderConfig(pools(address), 'pools.json', 'full');
    if (!c.ok) throw new Error('must parse');
    const r = withProviderConfigs(sessionInput({ endpoints: [], probePrivate }), [c.value]);
    if (!r.ok) throw new Error('must apply');
    const d = diagnose({ input: r.value, probes: [], providerRanges: [], providerName: null }, t);
    return { input: r.value, ids: d.findings.map((f) => f.id), causes: d.causes.map((c) => c.id) };
  };
  test('a private address in the file is reported, not probed; with --probe-private it is probed', () => {
    const r = run('10.0.0.5');
    expect(r.input.endpoints).toEqual([]);
    expect(r.ids).toEqual(['config.origin_private']);
    expect(r.causes).toEqual(['cause.origin_private_address']);
    expect(run('10.0.0.5', true).input.endpoints.map((e) => e.url)).toEqual(['https://10.0.0.5:443']);
  });
  test('near miss: a public address is probed and says nothing', () => {
    const r = run('203.0.113.10');
    expect(r.input.endpoints.map((e) => e.url)).toEqual(['https://203.0.113.10:443']);
    expect(r.ids).toEqual([]);
  });
});

test('--provider-config alone is enough input: its origins are read later (near miss: nothing at all is refused)', async () => {
  const { parseDiagnoseArgs } = await import('../../main/cli/args');
  expect(parseDiagnoseArgs(['--provider-config', 'cf.json']).providerConfigFiles).toEqual(['cf.json']);
  expect(() => parseDiagnoseArgs([])).toThrow('input.nothing_to_do');
});

describe('--provider-config: Alibaba Cloud CDN and Tencent Cloud CDN', () => {
  test('Alibaba DescribeCdnDomainDetail: each source on its port, HTTPS on 443', () => {
    const r = parseProviderConfig(read('aliyun-describe-cdn-domain-detail.json'), 'detail.json', null);
    expect(r.ok && r.value.origins.map((o) => [o.id, o.endpoints, o.protocol, o.enabled])).toEqual([
      ['example.com/1', ['http://203.0.113.20:80'], 'http', true],
      ['example.com/2', ['https://origin.example.com:443'], 'https', true],
    ]);
  });
  test('Alibaba DescribeCdnDomainConfigs: back-to-origin Host, SNI, protocol follow, timeout', () => {
    const r = parseProviderConfig(read('aliyun-describe-cdn-domain-configs.json'), 'configs.json', null);
    expect(r.ok && r.value.domainSettings).toEqual({
      hostHeader: 'example.com',
      sni: 'origin.example.com',
      protocol: 'match',
      readTimeoutS: 30,
    });
  });
  test('near miss: an SNI function that is off gives no SNI', () => {
    const doc = JSON.parse(read('aliyun-describe-cdn-domain-configs.json'));
    doc.DomainConfigs.DomainConfig[1].FunctionArgs.FunctionArg[0].ArgValue = 'off';
    const r = parseProviderConfig(JSON.stringify(doc), 'configs.json', null);
    expect(r.ok && r.value.domainSettings?.sni).toBeNull();
  });
  test('Tencent DescribeDomainsConfig: origins with and without a port, ServerName as Host, timeouts', () => {
    const r = parseProviderConfig(read('tencent-describe-domains-config.json'), 'tencent.json', null);
    expect(
      r.ok &&
        r.value.origins.map((o) => [o.host, o.endpoints, o.hostHeader, o.connectTimeoutS, o.readTimeoutS]),
    ).toEqual([
      ['203.0.113.30', ['https://203.0.113.30:8080'], 'www.example.com', 5, 10],
      ['origin.example.com', ['https://origin.example.com:443'], 'www.example.com', 5, 10],
    ]);
  });
  test.each([
    [
      'aliyun-describe-cdn-domain-detail-bad-port.json',
      '$.GetDomainDetailModel.SourceModels.SourceModel[0].Port',
    ],
    [
      'aliyun-describe-cdn-domain-configs-bad-args.json',
      '$.DomainConfigs.DomainConfig[0].FunctionArgs.FunctionArg',
    ],
    ['tencent-describe-domains-config-no-origins.json', '$.Response.Domains[0].Origin.Origins'],
  ])('a broken %s names %s', (file, jsonPathText) => {
    const r = parseProviderConfig(read(file), file, null);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(t(r.error.key, { ...r.error.params, option: '--provider-config' })).toContain(jsonPathText);
  });
});
