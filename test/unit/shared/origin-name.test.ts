import { describe, expect, test } from 'vitest';
import { diagnose } from '../../../main/diagnosis';
import { createTranslator } from '../../../shared/i18n/translate';
import type { DnsData } from '../../../shared/model/probe-data';
import type { ProbeRecord, SessionInput } from '../../../shared/model/report';
import {
  addressScope,
  endpointsFromNames,
  MAX_ADDRESSES_PER_NAME,
  ORIGIN_DNS_PREFIX,
  viewOriginNames,
  withResolvedEndpoints,
} from '../../../shared/net/origin-name';
import { buildSessionInput, recheckStoredInput } from '../../../shared/net/session-input';
import { parseOriginEndpoint } from '../../../shared/net/validate';
import { sessionInput } from '../../lab/session-input';

const URL = 'https://origin.example.com:443';
const NAME = { url: URL, scheme: 'https' as const, name: 'origin.example.com', port: 443 };

function lookup(
  n: number,
  server: string,
  outcome: DnsData['outcome'],
  addresses: string[],
  extra: Partial<DnsData> = {},
): ProbeRecord {
  const v4 = addresses.filter((a) => !a.includes(':'));
  const v6 = addresses.filter((a) => a.includes(':'));
  const answer = (values: string[]): DnsData['a'] => ({
    outcome: values.length ? 'ok' : outcome === 'ok' ? 'nodata' : outcome,
    code: null,
    ms: 1,
    values,
    ttl: values.length ? (extra.a?.ttl ?? 300) : null,
  });
  const data: DnsData = {
    domain: NAME.name,
    server,
    serverSource: server === 'system' ? 'system' : 'requested',
    outcome,
    a: answer(v4),
    aaaa: answer(v6),
    cnameChain: [],
    cnameComplete: true,
    addresses,
    origin: URL,
    ...extra,
  };
  return {
    id: `${ORIGIN_DNS_PREFIX}${n}`,
    kind: 'dns',
    target: URL,
    startedAt: '2026-11-29T00:00:00.000Z',
    durationMs: 1,
    status: outcome === 'ok' ? 'ok' : 'fail',
    data: { ...data },
  };
}

const input = (extra: Partial<SessionInput> = {}): SessionInput =>
  sessionInput({ endpoints: [], originNames: [NAME], ...extra });

const ids = (i: SessionInput, probes: ProbeRecord[], ranges: string[] = []): string[] =>
  diagnose({ input: i, probes, providerRanges: ranges, providerName: null }, createTranslator('en'))
    .findings.filter((f) => f.target === URL)
    .map((f) => f.id)
    .sort();

describe('origin endpoints by name: parsing', () => {
  test('a name is an origin name, an IP literal an endpoint, digits never a name', () => {
    expect(parseOriginEndpoint('https://Origin.Example.com')).toEqual({
      ok: true,
      value: {
        kind: 'name',
        origin: { url: 'https://Origin.Example.com', scheme: 'https', name: 'origin.example.com', port: 443 },
      },
    });
    expect(parseOriginEndpoint('http://203.0.113.7:8080')).toMatchObject({
      ok: true,
      value: { kind: 'address', endpoint: { address: '203.0.113.7', port: 8080 } },
    });
    // Near misses: a non-canonical address is refused as one, not looked up as a name; a bad label is named.
    expect(parseOriginEndpoint('http://10.1:80')).toMatchObject({
      ok: false,
      error: { key: 'input.ip_noncanonical' },
    });
    expect(parseOriginEndpoint('http://origin:80')).toMatchObject({
      ok: false,
      error: { key: 'input.domain_single_label' },
    });
    expect(parseOriginEndpoint('http://bad-.example.com')).toMatchObject({
      ok: false,
      error: { key: 'input.domain_label' },
    });
    expect(parseOriginEndpoint('https://origin.example.com/path')).toMatchObject({
      ok: false,
      error: { key: 'input.endpoint_path' },
    });
  });

  test('the session keeps names apart from addresses, refuses the same name twice, and a re-test resolves again', () => {
    const r = buildSessionInput(
      { endpoints: ['https://origin.example.com:443', 'http://203.0.113.7:80'] },
      (f) => f,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.endpoints.map((e) => e.url)).toEqual(['http://203.0.113.7:80']);
    expect(r.value.originNames).toEqual([NAME]);
    const dup = buildSessionInput(
      { endpoints: ['https://origin.example.com', 'https://ORIGIN.example.com:443'] },
      (f) => f,
    );
    expect(dup).toMatchObject({ ok: false, error: { key: 'input.duplicate_endpoint' } });
    // A stored report holds the addresses its run resolved (labelled): a re-test drops them and keeps the name.
    const stored: SessionInput = {
      ...r.value,
      endpoints: [
        ...r.value.endpoints,
        {
          url: 'https://198.51.100.9:443',
          scheme: 'https',
          address: '198.51.100.9',
          family: 4,
          port: 443,
          name: 'origin.example.com',
        },
      ],
    };
    const again = recheckStoredInput(stored);
    expect(again.ok && again.value.endpoints.map((e) => e.url)).toEqual(['http://203.0.113.7:80']);
    expect(again.ok && again.value.originNames).toEqual([NAME]);
  });
});

describe('origin endpoints by name: which addresses the provider can reach', () => {
  test.each([
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['fd00::1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.10.10', 'link_local'],
    ['fe80::1', 'link_local'],
    ['100.64.0.1', 'cgnat'],
    ['0.0.0.0', 'unspecified'],
    ['::ffff:10.0.0.1', 'private'],
    // Near misses: the addresses just outside those ranges are public.
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    ['172.32.0.1', 'public'],
    ['203.0.113.7', 'public'],
    ['198.18.1.2', 'public'],
    ['2001:db8::7', 'public'],
  ])('%s is %s', (address, scope) => {
    expect(addressScope(address)).toBe(scope);
  });

  test('private answers are reported, not probed; with --probe-private they are probed', () => {
    const probes = [lookup(1, 'system', 'ok', ['198.51.100.9', '10.0.0.9'])];
    const v = viewOriginNames(
      input(),
      probes.map((p) => ({ probeId: p.id, data: p.data as DnsData })),
      { provider: null, ranges: [] },
    );
    expect(v[0]!.addresses.map((a) => [a.address, a.scope, a.probe])).toEqual([
      ['198.51.100.9', 'public', true],
      ['10.0.0.9', 'private', false],
    ]);
    expect(withResolvedEndpoints(input(), probes, []).endpoints.map((e) => [e.url, e.name])).toEqual([
      ['https://198.51.100.9:443', 'origin.example.com'],
    ]);
    expect(
      withResolvedEndpoints(input({ probePrivate: true }), probes, []).endpoints.map((e) => e.url),
    ).toEqual(['https://198.51.100.9:443', 'https://10.0.0.9:443']);
    expect(ids(input(), probes)).toEqual(['dns.origin_name_private', 'dns.origin_name_resolved']);
  });

  test('an address already typed in is not probed twice; at most MAX_ADDRESSES_PER_NAME per name', () => {
    const many = Array.from({ length: MAX_ADDRESSES_PER_NAME + 2 }, (_, i) => `198.51.100.${i + 1}`);
    const probes = [lookup(1, 'system', 'ok', many)];
    const typed = {
      url: 'https://198.51.100.1:443',
      scheme: 'https' as const,
      address: '198.51.100.1',
      family: 4 as const,
      port: 443,
    };
    const views = viewOriginNames(
      input(),
      probes.map((p) => ({ probeId: p.id, data: p.data as DnsData })),
      { provider: null, ranges: [] },
    );
    const eps = endpointsFromNames([typed], views);
    expect(eps).toHaveLength(MAX_ADDRESSES_PER_NAME - 1);
    expect(views[0]!.addresses.filter((a) => a.capped).map((a) => a.address)).toEqual(
      many.slice(MAX_ADDRESSES_PER_NAME),
    );
    const d = diagnose(
      { input: input(), probes, providerRanges: [], providerName: null },
      createTranslator('en'),
    );
    const resolved = d.findings.find((f) => f.id === 'dns.origin_name_resolved')!;
    expect(resolved.params.notProbed).toBe(many.slice(MAX_ADDRESSES_PER_NAME).join(', '));
    expect(resolved.message).toContain('not probed');
  });
});

describe('origin endpoints by name: findings', () => {
  test('no address anywhere: a definite "no such name" is unresolved; only silence is unknown', () => {
    expect(
      ids(input(), [lookup(1, 'system', 'nxdomain', []), lookup(2, '198.51.100.53', 'timeout', [])]),
    ).toEqual(['dns.origin_name_unresolved']);
    // Near miss: nobody answered at all — whether the name resolves is not known, and the finding says so.
    expect(
      ids(input(), [lookup(1, 'system', 'timeout', []), lookup(2, '198.51.100.53', 'servfail', [])]),
    ).toEqual(['dns.origin_name_lookup_failed']);
  });

  test('resolvers that disagree, and a resolver that could not say (not a disagreement)', () => {
    expect(
      ids(input(), [
        lookup(1, 'system', 'ok', ['198.51.100.9']),
        lookup(2, '198.51.100.53', 'ok', ['198.51.100.10']),
      ]),
    ).toEqual(['dns.origin_name_mismatch', 'dns.origin_name_resolved']);
    expect(
      ids(input(), [lookup(1, 'system', 'ok', ['198.51.100.9']), lookup(2, '198.51.100.53', 'timeout', [])]),
    ).toEqual(['dns.origin_name_resolved']);
  });

  test('a loop: the name is the protected domain, or its CNAME is the provider, or its address lies in the ranges', () => {
    const asDomain = input({ domain: 'origin.example.com' });
    expect(ids(asDomain, [lookup(1, 'system', 'ok', ['198.51.100.9'])])).toContain('dns.origin_name_loop');
    const viaCname = [
      lookup(1, 'system', 'ok', ['198.51.100.9'], { cnameChain: ['www.example.com.cdn.cloudflare.net'] }),
    ];
    expect(ids(input({ provider: 'cloudflare' }), viaCname)).toContain('dns.origin_name_loop');
    expect(withResolvedEndpoints(input({ provider: 'cloudflare' }), viaCname, []).endpoints).toEqual([]);
    const inRange = [lookup(1, 'system', 'ok', ['198.18.200.10'])];
    expect(ids(input(), inRange, ['198.18.200.0/24'])).toContain('dns.origin_name_loop');
    // Near misses: another provider's CNAME (a CDN in front of another CDN), or an address outside the ranges.
    expect(ids(input({ provider: 'akamai' }), viaCname)).not.toContain('dns.origin_name_loop');
    expect(ids(input(), [lookup(1, 'system', 'ok', ['198.18.201.10'])], ['198.18.200.0/24'])).not.toContain(
      'dns.origin_name_loop',
    );
  });

  test('a short TTL over several addresses says each was probed; one address or a long TTL does not', () => {
    const short = { a: { outcome: 'ok' as const, code: null, ms: 1, values: [], ttl: 20 } };
    expect(ids(input(), [lookup(1, 'system', 'ok', ['198.51.100.9', '198.51.100.10'], short)])).toContain(
      'dns.origin_name_changing',
    );
    expect(ids(input(), [lookup(1, 'system', 'ok', ['198.51.100.9'], short)])).not.toContain(
      'dns.origin_name_changing',
    );
    expect(ids(input(), [lookup(1, 'system', 'ok', ['198.51.100.9', '198.51.100.10'])])).not.toContain(
      'dns.origin_name_changing',
    );
  });

  test("an origin name's lookups say nothing about the protected domain's DNS", () => {
    const i = input({ domain: 'www.example.com' });
    const d = diagnose(
      { input: i, probes: [lookup(1, 'system', 'nxdomain', [])], providerRanges: [], providerName: null },
      createTranslator('en'),
    );
    expect(d.findings.map((f) => f.id)).toEqual(['dns.origin_name_unresolved']);
    expect(d.causes.map((c) => c.id)).toEqual(['cause.origin_dns_error']);
  });
});

describe('origin endpoints by name: the command line', () => {
  test('--endpoint takes a name, --probe-private is off unless given', async () => {
    const { parseDiagnoseArgs } = await import('../../../main/cli/args');
    const on = parseDiagnoseArgs(['--endpoint', 'https://origin.example.com', '--probe-private']);
    expect(on.input.originNames).toEqual([{ ...NAME, url: 'https://origin.example.com' }]);
    expect(on.input.probePrivate).toBe(true);
    expect(
      parseDiagnoseArgs(['--endpoint', 'https://origin.example.com']).input.probePrivate,
    ).toBeUndefined();
  });
});

describe("origin endpoints by name: the app's Setup step", () => {
  test('the form goes through the same validator: a name is an origin name, a bad one the same words', async () => {
    const { formToInput } = await import('../../../main/use-cases/desktop-handlers');
    const now = new Date('2026-11-29T00:00:00Z');
    const input = await formToInput({ endpoints: ['https://origin.example.com'], lang: 'en' }, now);
    expect(input.originNames).toEqual([{ ...NAME, url: 'https://origin.example.com' }]);
    expect(input.endpoints).toEqual([]);
    await expect(formToInput({ endpoints: ['https://origin'], lang: 'en' }, now)).rejects.toThrow(
      'input.domain_single_label',
    );
  });
});
