import { describe, expect, test } from 'vitest';
import { diagnose } from '../../../main/diagnosis';
import { compareHostAnswers } from '../../../main/diagnosis/vhost';
import { hostNeutralBody } from '../../../main/probes/http';
import { createTranslator } from '../../../shared/i18n/translate';
import type {
  CertInfo,
  CertProblem,
  HttpData,
  HttpExchange,
  TlsData,
} from '../../../shared/model/probe-data';
import type { Endpoint, ProbeRecord, SessionInput } from '../../../shared/model/report';
import { sessionInput } from '../../lab/session-input';

const en = createTranslator('en');
const zh = createTranslator('zh-CN');
const DOMAIN = 'www.site.test';
const FOREIGN = 'origin-doctor-probe.invalid';
const HTTPS: Endpoint = {
  url: 'https://203.0.113.7:443',
  scheme: 'https',
  address: '203.0.113.7',
  family: 4,
  port: 443,
};
const HTTP: Endpoint = { ...HTTPS, url: 'http://203.0.113.7:80', scheme: 'http', port: 80 };

const record = (id: string, kind: ProbeRecord['kind'], target: string, data: object): ProbeRecord => ({
  id,
  kind,
  target,
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1,
  status: 'ok',
  data: data as Record<string, unknown>,
});

const cert = (subject: string, issuer: string): CertInfo => ({
  subject,
  issuer,
  sans: [],
  validFrom: '2026-01-01T00:00:00.000Z',
  validTo: '2027-01-01T00:00:00.000Z',
  keyType: 'ec',
  keyBits: null,
  curve: 'prime256v1',
  signatureAlgorithm: 'ecdsa-with-SHA256',
  sha256: 'AA',
  sha1: 'BB',
  serial: '01',
  isCa: false,
  selfIssued: false,
  aiaIssuerUrl: null,
  ocspUrl: null,
  der: '',
});

function tls(chain: CertInfo[], problems: CertProblem[], providerCa?: TlsData['providerCa']): TlsData {
  const attempt = {
    servername: DOMAIN,
    outcome: 'ok' as const,
    code: null,
    alert: null,
    ms: 5,
    version: 'TLSv1.3',
    cipher: 'TLS_AES_128_GCM_SHA256',
    alpn: 'h2',
    leafSha256: 'AA',
    leafCoversDomain: true,
  };
  return {
    address: HTTPS.address,
    port: 443,
    url: HTTPS.url,
    domain: DOMAIN,
    main: attempt,
    noSni: attempt,
    foreignSni: attempt,
    versions: {},
    chain,
    problems,
    ocspStapled: null,
    ...(providerCa !== undefined ? { providerCa } : {}),
  };
}

/** An exchange as the probe records it: the body digest made by the probe's own function. */
function answer(
  host: string,
  status: number | null,
  body = '',
  headers: Record<string, string> = {},
): HttpExchange {
  const outcome = status === null ? 'empty_reply' : 'response';
  return {
    url: `http://${host}/`,
    host,
    outcome,
    code: status === null ? 'ECONNRESET' : null,
    status,
    headers,
    bodySample: body,
    bodyBytes: Buffer.byteLength(body),
    ...(status === null ? {} : hostNeutralBody(Buffer.from(body), host)),
    timing: { connectMs: 1, tlsMs: null, ttfbMs: status === null ? null : 3, totalMs: 4 },
    httpVersion: status === null ? null : '1.1',
  };
}

function failed(outcome: HttpExchange['outcome'], ttfbMs: number | null = null): HttpExchange {
  return {
    url: `http://${DOMAIN}/`,
    host: DOMAIN,
    outcome,
    code: 'ECONNRESET',
    status: null,
    headers: {},
    bodySample: '',
    bodyBytes: 0,
    timing: { connectMs: 1, tlsMs: null, ttfbMs, totalMs: 4 },
    httpVersion: null,
  };
}

function http(ours: HttpExchange[], foreign: HttpExchange | null): HttpData {
  return {
    url: HTTP.url,
    address: HTTP.address,
    port: 80,
    scheme: 'http',
    domain: DOMAIN,
    path: '/',
    chain: ours,
    redirectLoop: 'none',
    foreignHost: foreign,
    h2: null,
    h2Error: null,
    keepAliveTimeoutS: null,
    clockSkewS: null,
  };
}

function run(probes: ProbeRecord[], extra: Partial<SessionInput> = {}, providerName: string | null = null) {
  const input = sessionInput({ endpoints: [HTTPS, HTTP], domain: DOMAIN, ...extra });
  const facts = { input, probes, providerRanges: [], providerName };
  const d = diagnose(facts, en);
  return { ...d, zh: diagnose(facts, zh), ids: d.findings.map((f) => f.id).sort() };
}

const LEAF = cert(`CN=${DOMAIN}`, 'CN=Private Intermediate');
const INTERMEDIATE = cert('CN=Private Intermediate', 'CN=Private Root');

describe('certificate chains: untrusted root, missing intermediate, no AIA', () => {
  test('a complete chain to an untrusted root names the root and is tls_untrusted, not an incomplete chain', () => {
    const d = run([
      record(
        'tls-1',
        'tls',
        HTTPS.url,
        tls([LEAF, INTERMEDIATE], [{ kind: 'untrusted_root', index: 1, detail: 'CN=Private Root' }]),
      ),
    ]);
    expect(d.ids).toEqual(['tls.ok', 'tls.untrusted_root']);
    expect(d.findings.find((f) => f.id === 'tls.untrusted_root')!.message).toContain('CN=Private Root');
    expect(d.causes[0]!.id).toBe('cause.tls_untrusted');
  });
  test('a missing intermediate without an AIA URL says it has none, never an empty placeholder', () => {
    const d = run([
      record('tls-1', 'tls', HTTPS.url, tls([LEAF], [{ kind: 'chain_incomplete', index: 0, detail: '' }])),
    ]);
    const f = d.findings.find((x) => x.id === 'tls.chain_incomplete')!;
    expect(f.message).not.toMatch(/;\s+is where/);
    expect(f.message).toContain('no AIA URL');
    expect(f.message).toContain('CN=Private Intermediate');
    expect(d.zh.findings.find((x) => x.id === 'tls.chain_incomplete')!.message).toContain('AIA');
    expect(d.causes[0]!.id).toBe('cause.tls_chain_incomplete');
    // the near miss: with an AIA URL the place is printed
    const withAia = run([
      record(
        'tls-1',
        'tls',
        HTTPS.url,
        tls([LEAF], [{ kind: 'chain_incomplete', index: 0, detail: 'http://pki.test/i.crt' }]),
      ),
    ]);
    expect(withAia.findings.find((x) => x.id === 'tls.chain_incomplete')!.message).toContain(
      'http://pki.test/i.crt is where',
    );
  });
});

describe("a provider's origin CA in strict mode", () => {
  const ORIGIN_CA = 'C=US, O=Origin Doctor Test, OU=Origin Doctor Test Origin SSL Certificate Authority';
  const caLeaf = cert(`CN=${DOMAIN}`, ORIGIN_CA);
  const problems: CertProblem[] = [{ kind: 'chain_incomplete', index: 0, detail: '' }];
  test('valid for the provider and not publicly trusted: two facts, no tls cause', () => {
    const d = run(
      [
        record(
          'tls-1',
          'tls',
          HTTPS.url,
          tls([caLeaf], problems, { provider: 'cloudflare', root: ORIGIN_CA }),
        ),
      ],
      { provider: 'cloudflare', sslMode: 'strict' },
      'Cloudflare',
    );
    expect(d.ids).toEqual(['tls.not_publicly_trusted', 'tls.ok', 'tls.provider_origin_ca']);
    expect(d.findings.find((f) => f.id === 'tls.provider_origin_ca')!.message).toContain('Cloudflare');
    expect(d.findings.every((f) => f.severity === 'info')).toBe(true);
    expect(d.causes.map((c) => c.id)).not.toContain('cause.tls_untrusted');
    expect(d.causes.map((c) => c.id)).not.toContain('cause.tls_chain_incomplete');
    expect(d.verdict).toBe('healthy');
  });
  test('near miss: the chain leads to none of the provider roots → still a trust problem and its cause', () => {
    const d = run(
      [record('tls-1', 'tls', HTTPS.url, tls([LEAF], problems, { provider: 'cloudflare', root: null }))],
      { provider: 'cloudflare', sslMode: 'strict' },
      'Cloudflare',
    );
    expect(d.ids).toEqual(['tls.chain_incomplete', 'tls.ok']);
    expect(d.causes[0]!.id).toBe('cause.tls_chain_incomplete');
  });
});

describe('the default virtual host: our Host answered like a made-up one', () => {
  const page404 = '<html><body><h1>404 Not Found</h1><hr>nginx</body></html>';
  const other = '<html><title>Shop of another customer</title></html>';
  test.each([
    ['the same 404 page', answer(DOMAIN, 404, page404), answer(FOREIGN, 404, page404)],
    ['the same 200 page of another site', answer(DOMAIN, 200, other), answer(FOREIGN, 200, other)],
    ['nginx return 444 (empty reply) for both', answer(DOMAIN, null), answer(FOREIGN, null)],
    ['a 421 for both', answer(DOMAIN, 421), answer(FOREIGN, 421)],
    [
      'a redirect to another domain for both',
      answer(DOMAIN, 301, '', { location: 'https://main.example/' }),
      answer(FOREIGN, 301, '', { location: 'https://main.example/' }),
    ],
  ])('%s → http.vhost_missing, cause.vhost_missing first', (_name, ours, foreign) => {
    const d = run([record('http-1', 'http', HTTP.url, http([ours], foreign))]);
    expect(d.ids).toContain('http.vhost_missing');
    expect(d.ids).not.toContain('http.ok');
    expect(d.causes[0]!.id).toBe('cause.vhost_missing');
    const f = d.findings.find((x) => x.id === 'http.vhost_missing')!;
    expect(f.severity).toBe('error');
    // every variant is worded with its own values: no empty or "-" placeholder left in the sentence
    expect(f.message).not.toMatch(/\{\{|location -|\(-\)/);
  });
  test('the redirect variant names where the default server sends everyone', () => {
    const d = run([
      record(
        'http-1',
        'http',
        HTTP.url,
        http(
          [answer(DOMAIN, 301, '', { location: 'https://main.example/' })],
          answer(FOREIGN, 301, '', { location: 'https://main.example/' }),
        ),
      ),
    ]);
    expect(d.findings.find((x) => x.id === 'http.vhost_missing')!.message).toContain('https://main.example/');
    expect(d.zh.findings.find((x) => x.id === 'http.vhost_missing')!.message).toContain(
      'https://main.example/',
    );
  });
  test('near miss: a catch-all app whose page names our domain → a warning that every Host is answered alike', () => {
    const ours = answer(DOMAIN, 200, `<h1>Welcome to ${DOMAIN}</h1>`, { 'content-type': 'text/html' });
    const foreign = answer(FOREIGN, 200, `<h1>Welcome to ${FOREIGN}</h1>`, { 'content-type': 'text/html' });
    const d = run([record('http-1', 'http', HTTP.url, http([ours], foreign))]);
    expect(d.ids).toEqual(['http.ok', 'http.vhost_catch_all']);
    expect(d.findings.find((f) => f.id === 'http.vhost_catch_all')!.severity).toBe('warn');
    expect(d.findings.find((f) => f.id === 'http.vhost_catch_all')!.message).toMatch(/every Host alike/);
    expect(d.causes.map((c) => c.id)).not.toContain('cause.vhost_missing');
  });
  test('near miss: different answers, or the same 5xx for every Host, are not a missing site', () => {
    const site = run([
      record(
        'http-1',
        'http',
        HTTP.url,
        http([answer(DOMAIN, 200, 'our shop')], answer(FOREIGN, 404, page404)),
      ),
    ]);
    expect(site.ids).toEqual(['http.ok']);
    const down = run([
      record(
        'http-1',
        'http',
        HTTP.url,
        http([answer(DOMAIN, 502, 'Bad Gateway')], answer(FOREIGN, 502, 'Bad Gateway')),
      ),
    ]);
    expect(down.ids).toEqual(['http.5xx']);
    // the same content type, a different page: different
    expect(compareHostAnswers(answer(DOMAIN, 200, 'a'), answer(FOREIGN, 200, 'b'))).toBe('different');
    // an http → https redirect on whatever Host was asked, followed for ours: judged on the final answer
    const redirect = run([
      record(
        'http-1',
        'http',
        HTTP.url,
        http(
          [answer(DOMAIN, 301, '', { location: `https://${DOMAIN}/` }), answer(DOMAIN, 200, 'our shop')],
          answer(FOREIGN, 301, '', { location: `https://${FOREIGN}/` }),
        ),
      ),
    ]);
    expect(redirect.ids).toEqual(['http.ok']);
  });
  test('data recorded without a digest: a cut sample cannot be compared → unknown, never "alike"', () => {
    const strip = (e: HttpExchange): HttpExchange => {
      const { hostNeutralSha256: _a, bodyNamesHost: _b, ...rest } = e;
      return { ...rest, bodyBytes: 50_000 };
    };
    expect(compareHostAnswers(strip(answer(DOMAIN, 200, other)), strip(answer(FOREIGN, 200, other)))).toBe(
      'unknown',
    );
  });
});

describe('a reset after the request is not an empty reply', () => {
  test('RST right after the request → http.reset, WAF/IPS or crashing worker, not http.empty_reply', () => {
    const d = run([
      record('http-1', 'http', HTTP.url, http([failed('reset')], answer(FOREIGN, 200, 'default'))),
    ]);
    expect(d.ids).toEqual(['http.reset']);
    const f = d.findings.find((x) => x.id === 'http.reset')!;
    expect(f.params).toMatchObject({ how: 'reset', when: 'after_request' });
    expect(f.message).toMatch(/reset \(TCP RST\)/);
    expect(d.causes.map((c) => c.id).slice(0, 2)).toEqual([
      'cause.firewall_reject',
      'cause.origin_app_error',
    ]);
    const mid = run([record('http-1', 'http', HTTP.url, http([failed('reset', 4)], null))]);
    expect(mid.findings[0]!.params.when).toBe('mid_reply');
    expect(mid.findings[0]!.message).toMatch(/middle of the reply/);
  });
  test('near miss: a bare FIN without a reply (while other Hosts get pages) is the empty reply', () => {
    const d = run([
      record('http-1', 'http', HTTP.url, http([failed('empty_reply')], answer(FOREIGN, 200, 'default'))),
    ]);
    expect(d.ids).toEqual(['http.empty_reply']);
    expect(d.findings[0]!.params.how).toBe('empty_reply');
    expect(d.causes[0]!.id).toBe('cause.origin_overloaded');
  });
});
