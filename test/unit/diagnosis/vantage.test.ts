import { describe, expect, test } from 'vitest';
import { diagnose } from '../../../main/diagnosis';
import { runPolicy } from '../../../main/policy';
import { tcpStats } from '../../../main/probes/tcp';
import { createTranslator } from '../../../shared/i18n/translate';
import type { DnsData, LocalData, TcpAttempt, TcpOutcome } from '../../../shared/model/probe-data';
import type { Endpoint, ProbeRecord, SessionInput, Symptom } from '../../../shared/model/report';
import { sessionInput } from '../../lab/session-input';

/**
 * Issue 17 item 7: when the failure is this machine's, not the provider's. Rules that block this machine's
 * address but allow the provider's ranges make a timeout from here expected; a customer symptom that disagrees
 * with what this machine sees says the provider is treated differently.
 */

const en = createTranslator('en');
const zh = createTranslator('zh-CN');
const PROVIDER = '198.51.100.0/24';
const ME4 = '192.0.2.10';
const ME6 = '2001:db8:c::10';
const ep = (address: string, port = 443, scheme: 'https' | 'http' = 'https'): Endpoint => ({
  url: `${scheme}://${address.includes(':') ? `[${address}]` : address}:${port}`,
  scheme,
  address,
  family: address.includes(':') ? 6 : 4,
  port,
});
const record = (id: string, kind: ProbeRecord['kind'], target: string, data: object): ProbeRecord => ({
  id,
  kind,
  target,
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1,
  status: 'ok',
  data: data as Record<string, unknown>,
});
function tcp(id: string, e: Endpoint, outcome: TcpOutcome): ProbeRecord {
  const code = { connected: null, refused: 'ECONNREFUSED', timeout: null, unreachable: 'EHOSTUNREACH' }[
    outcome as 'connected'
  ];
  const attempts: TcpAttempt[] = [1, 2, 3, 4].map((seq) => ({ seq, outcome, ms: 1, code }));
  return record(id, 'tcp', e.url, {
    address: e.address,
    port: e.port,
    family: e.family,
    url: e.url,
    attempts,
    stats: tcpStats(attempts),
  });
}
const local = record('local', 'local', 'local', {
  os: 'linux',
  release: '',
  arch: 'x64',
  hostname: 'h',
  root: false,
  interfaces: [
    { name: 'lo', address: '127.0.0.1', family: 4, cidr: '127.0.0.1/8' },
    { name: 'eth0', address: ME4, family: 4, cidr: `${ME4}/24` },
    { name: 'eth0', address: ME6, family: 6, cidr: `${ME6}/64` },
    { name: 'eth0', address: 'fe80::1', family: 6, cidr: 'fe80::1/64' },
  ],
  routes: null,
  defaultGateways: [],
  dnsServers: [],
  proxy: {},
} satisfies LocalData);

const dns = record('dns-1', 'dns', 'system', {
  domain: 'www.example.com',
  server: '198.18.0.1',
  serverSource: 'system',
  outcome: 'ok',
  a: { outcome: 'ok', code: null, ms: 1, values: ['203.0.113.50'], ttl: 60 },
  aaaa: { outcome: 'ok', code: null, ms: 1, values: [], ttl: 60 },
  cnameChain: [],
  addresses: ['203.0.113.50'],
} satisfies DnsData);

/** The provider's range allowed on 443, everything else dropped by the chain default (line 2); one file per family. */
const rules = (family: 4 | 6): string =>
  [
    '*filter',
    ':INPUT DROP [0:0]',
    `-A INPUT -s ${family === 6 ? '2001:db8:cd::/48' : PROVIDER} -p tcp -m tcp --dport 443 -j ACCEPT`,
    'COMMIT',
    '',
  ].join('\n');
const RULES = rules(4);

function session(
  endpoints: Endpoint[],
  probes: ProbeRecord[],
  rules: string | null,
  extra: Partial<SessionInput> = {},
) {
  const ranges = [PROVIDER, '2001:db8:cd::/48'];
  const input = sessionInput({
    endpoints,
    sourceRanges: ranges,
    ...(rules ? { policies: [{ name: 'rules.txt', format: null, text: rules }] } : {}),
    ...extra,
  });
  const all = [...probes];
  if (rules) {
    const run = runPolicy(input, ranges, () => 0);
    if (!run.ok) throw new Error(JSON.stringify(run.error));
    all.push(record('policy-1', 'policy', 'rules.txt', run.data));
  }
  return { input, probes: all, providerRanges: ranges, providerName: null };
}

describe('rules that block this machine but allow the provider: the timeout from here is expected', () => {
  for (const address of ['203.0.113.7', '2001:db8:7::7']) {
    const e = ep(address);
    const me = address.includes(':') ? ME6 : ME4;
    const text = rules(e.family);
    test(`names this machine's address and the blocking line, no firewall or DNS cause above 0.5 (IPv${e.family})`, () => {
      for (const symptom of [null, '522'] as (Symptom | null)[]) {
        const d = diagnose(
          session([e], [local, dns, tcp('tcp-1', e, 'timeout')], text, {
            domain: 'www.example.com',
            provider: 'cloudflare',
            symptom,
          }),
          en,
        );
        const f = d.findings.find((x) => x.id === 'vantage.rules_block_this_machine');
        expect(f?.target).toBe(e.url);
        expect(f?.message).toContain(me);
        expect(f?.message).toContain('rules.txt:2');
        expect(f?.evidence).toEqual(expect.arrayContaining(['policy-1', 'local', 'tcp-1']));
        // The domain does not resolve through Cloudflare (a weak DNS finding, 0.55 on its own): capped too.
        expect(d.findings.map((x) => x.id)).toContain('dns.not_via_provider');
        for (const c of d.causes)
          if (['cause.firewall_drop', 'cause.firewall_reject', 'cause.dns_misconfigured'].includes(c.id))
            expect(c.confidence).toBeLessThanOrEqual(0.5);
        expect(
          diagnose(session([e], [local, tcp('tcp-1', e, 'timeout')], text), zh).findings.find(
            (x) => x.id === 'vantage.rules_block_this_machine',
          )?.message,
        ).toContain(me);
      }
    });
  }

  test('near miss: rules that block the provider too are not about this machine', () => {
    const e = ep('203.0.113.7', 8443);
    const d = diagnose(session([e], [local, tcp('tcp-1', e, 'timeout')], RULES), en);
    expect(d.findings.map((f) => f.id)).not.toContain('vantage.rules_block_this_machine');
  });
  test('near miss: rules that allow this machine, and no rules at all, say nothing of vantage', () => {
    const e = ep('203.0.113.7');
    const open = RULES.replace(`-s ${PROVIDER} `, '');
    for (const rules of [open, null]) {
      const d = diagnose(session([e], [local, tcp('tcp-1', e, 'timeout')], rules), en);
      expect(d.findings.map((f) => f.id)).not.toContain('vantage.rules_block_this_machine');
    }
  });
});

describe('the customer symptom disagrees with what this machine sees', () => {
  const e = ep('203.0.113.7');
  const tlsOk = record('tls-1', 'tls', e.url, {
    address: e.address,
    port: e.port,
    url: e.url,
    domain: 'www.example.com',
    main: {
      servername: 'www.example.com',
      outcome: 'ok',
      code: null,
      alert: null,
      ms: 5,
      version: 'TLSv1.3',
      cipher: 'TLS_AES_128_GCM_SHA256',
      alpn: 'h2',
      leafSha256: null,
      leafCoversDomain: true,
    },
    noSni: null,
    foreignSni: null,
    versions: {},
    chain: [],
    problems: [],
    ocspStapled: null,
  });
  const cases: [Symptom, ProbeRecord[], string, RegExp][] = [
    ['522', [tcp('tcp-1', e, 'refused')], 'timeout_rst', /source address/],
    ['522', [tcp('tcp-1', e, 'connected')], 'timeout_connected', /source address/],
    ['521', [tcp('tcp-1', e, 'connected')], 'refused_connected', /origin address/],
    ['521', [tcp('tcp-1', e, 'timeout')], 'refused_timeout', /source address/],
    ['523', [tcp('tcp-1', e, 'connected')], 'unreachable_connected', /origin address/],
  ];
  for (const [symptom, probes, context, pointsTo] of cases)
    test(`customer ${symptom}, this machine ${context.split('_')[1]}`, () => {
      const d = diagnose(session([e], [local, ...probes], null, { symptom }), en);
      const f = d.findings.find((x) => x.id === 'vantage.symptom_mismatch');
      expect(f?.params.context).toBe(context);
      expect(f?.target).toBe(e.url);
      expect(f?.message).toMatch(pointsTo);
      expect(f?.message).toContain(symptom);
    });

  test('customer 525 / 526, this machine completes the TLS handshake: SNI / Host or another origin address', () => {
    for (const symptom of ['525', '526'] as const) {
      const d = diagnose(
        session([e], [local, tcp('tcp-1', e, 'connected'), tlsOk], null, {
          symptom,
          domain: 'www.example.com',
        }),
        en,
      );
      const f = d.findings.find((x) => x.id === 'vantage.symptom_mismatch');
      expect(f?.params.context).toBe('tls_ok');
      expect(f?.message).toMatch(/SNI/);
      expect(f?.evidence).toEqual(expect.arrayContaining(['tls-1']));
    }
  });

  test('near miss: a 526 and an expired certificate seen here agree', () => {
    const expired = record('tls-1', 'tls', e.url, {
      ...(tlsOk.data as object),
      problems: [{ kind: 'expired', index: 0, detail: 'notAfter 2021-01-01' }],
    });
    const d = diagnose(
      session([e], [local, tcp('tcp-1', e, 'connected'), expired], null, { symptom: '526' }),
      en,
    );
    expect(d.findings.map((f) => f.id)).not.toContain('vantage.symptom_mismatch');
  });

  test('near miss: symptom and this machine agree (522 and a timeout here, 521 and an RST here)', () => {
    for (const [symptom, outcome] of [
      ['522', 'timeout'],
      ['521', 'refused'],
    ] as const) {
      const d = diagnose(session([e], [local, tcp('tcp-1', e, outcome)], null, { symptom }), en);
      expect(d.findings.map((f) => f.id)).not.toContain('vantage.symptom_mismatch');
    }
  });
});
