import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { diagnose as diagnoseFacts } from '../../main/diagnosis';
import { tlsProbe, tlsStatus, trustAnchors } from '../../main/probes/tls';
import { createTranslator } from '../../shared/i18n/translate';
import type { HttpData, TlsData } from '../../shared/model/probe-data';
import type { Endpoint } from '../../shared/model/report';
import { sessionInput } from '../lab/session-input';
import { causesFor, diagnose, idsFor } from '../lab/cli';
import { makePki, type TestPki } from '../lab/certs';
import { startProtocolServers, type Servers } from '../lab/protocol-servers';

const DOMAIN = 'www.site.test';
let pki: TestPki;
let servers: Servers;
let caFile: string;

beforeAll(async () => {
  pki = await makePki(DOMAIN);
  servers = await startProtocolServers(pki);
  caFile = path.join(mkdtempSync(path.join(tmpdir(), 'od-ca-')), 'root.pem');
  writeFileSync(caFile, pki.root.pem);
});
afterAll(() => servers?.close());

async function run(name: string, scheme: 'http' | 'https', extra: string[] = []) {
  const url = `${scheme}://127.0.0.1:${servers.ports[name]}`;
  // No DNS step: www.site.test exists only here, and tests never ask an outside resolver.
  const r = await diagnose([
    '--endpoint',
    url,
    '--domain',
    DOMAIN,
    '--ca',
    caFile,
    '--no-dns',
    '--no-trace',
    '--timeout',
    '5000',
    '--attempts',
    '1',
    ...extra,
  ]);
  expect(r.report.probes.some((p) => p.kind === 'dns')).toBe(false);
  const ids = idsFor(r.report, url);
  return { ...r, url, ids, causes: causesFor(r.report, url) };
}

describe('TLS as the CDN makes it (SNI = the domain), certificates generated for this run', () => {
  test('a good chain: handshake, version, ALPN offered, chain as served, no problems', async () => {
    const { ids, report, url } = await run('good', 'https');
    expect(ids).toEqual(['http.ok', 'tcp.ok', 'tls.ct_revocation', 'tls.ok']);
    const tlsData = report.probes.find((p) => p.kind === 'tls' && p.target === url)!
      .data as unknown as TlsData;
    expect(tlsData.chain.map((c) => c.subject)).toEqual([
      `CN=${DOMAIN}`,
      'CN=Origin Doctor Test Intermediate',
    ]);
    expect(tlsData.chain[0]).toMatchObject({
      keyType: 'ec',
      curve: 'prime256v1',
      signatureAlgorithm: 'ecdsa-with-SHA256',
      sans: [`DNS:${DOMAIN}`],
    });
    expect(tlsData.versions).toMatchObject({ 'TLSv1.3': 'accepted', 'TLSv1.2': 'accepted' });
    expect(tlsData.ocspStapled).toBe(false);
  });
  test.each([
    [
      'expired',
      ['http.ok', 'tcp.ok', 'tls.cert_expired', 'tls.ct_revocation', 'tls.ok'],
      'cause.tls_cert_expired',
    ],
    [
      'notYetValid',
      ['http.ok', 'tcp.ok', 'tls.cert_not_yet_valid', 'tls.ct_revocation', 'tls.ok'],
      'cause.tls_cert_expired',
    ],
    [
      'wrongName',
      ['http.ok', 'tcp.ok', 'tls.ct_revocation', 'tls.hostname_mismatch', 'tls.ok'],
      'cause.tls_hostname_mismatch',
    ],
    [
      'selfSigned',
      ['http.ok', 'tcp.ok', 'tls.ct_revocation', 'tls.ok', 'tls.self_signed'],
      'cause.tls_untrusted',
    ],
    [
      'noIntermediate',
      ['http.ok', 'tcp.ok', 'tls.chain_incomplete', 'tls.ct_revocation', 'tls.ok'],
      'cause.tls_chain_incomplete',
    ],
  ])('%s certificate → the exact findings and the cause', async (name, expected, cause) => {
    const { ids, causes } = await run(name, 'https');
    expect(ids).toEqual(expected);
    expect(causes[0]).toBe(cause);
  });
  test('OCSP stapling is reported when the origin staples', async () => {
    const { report, url } = await run('stapling', 'https');
    const tlsData = report.probes.find((p) => p.kind === 'tls' && p.target === url)!
      .data as unknown as TlsData;
    expect(tlsData.ocspStapled).toBe(true);
  });
  test('a certificate expiring within 30 days is a warning, not a failure', async () => {
    const { ids, report } = await run('expiringSoon', 'https');
    expect(ids).toEqual(['http.ok', 'tcp.ok', 'tls.cert_expiring_soon', 'tls.ct_revocation', 'tls.ok']);
    expect(report.verdict).toBe('degraded');
  });
  test('in full SSL mode a certificate problem is a warning that names strict mode', async () => {
    const { ids, report } = await run('expired', 'https', ['--ssl-mode', 'full']);
    expect(ids).toContain('tls.cert_expired');
    const f = report.findings.find((x) => x.id === 'tls.cert_expired')!;
    expect(f.severity).toBe('warn');
    expect(f.message).toMatch(/full mode/);
  });
  test('leaf + intermediate up to a root not in the trust store → tls.untrusted_root naming it, not an incomplete chain', async () => {
    const { ids, causes, report } = await run('untrustedRoot', 'https');
    expect(ids).toEqual(['http.ok', 'tcp.ok', 'tls.ct_revocation', 'tls.ok', 'tls.untrusted_root']);
    expect(causes[0]).toBe('cause.tls_untrusted');
    expect(report.findings.find((x) => x.id === 'tls.untrusted_root')!.message).toContain(
      'CN=Origin Doctor Test Root',
    );
  });
  test('a missing intermediate without AIA says the certificate names no place to fetch it', async () => {
    const { ids, causes, report } = await run('noAia', 'https');
    expect(ids).toEqual(['http.ok', 'tcp.ok', 'tls.chain_incomplete', 'tls.ct_revocation', 'tls.ok']);
    expect(causes[0]).toBe('cause.tls_chain_incomplete');
    const message = report.findings.find((x) => x.id === 'tls.chain_incomplete')!.message;
    expect(message).toContain('no AIA URL');
    expect(message).not.toMatch(/;\s+is where/);
  });
  test("a leaf from the provider's origin CA, the CA injected as the preset's anchor: valid for it, not public", async () => {
    const ep: Endpoint = {
      url: `https://127.0.0.1:${servers.ports.originCa}`,
      scheme: 'https',
      address: '127.0.0.1',
      family: 4,
      port: servers.ports.originCa!,
    };
    const ctx = { signal: new AbortController().signal, timeoutMs: 5000, onProgress: () => undefined };
    const probe = (anchor: string) =>
      tlsProbe(ep, DOMAIN, trustAnchors([]), () => new Date(), ctx, {
        provider: 'cloudflare',
        pems: [anchor],
      });
    const judge = async (anchor: string) => {
      const data = await probe(anchor);
      const record = {
        id: 'tls-1',
        kind: 'tls' as const,
        target: ep.url,
        startedAt: new Date().toISOString(),
        durationMs: 1,
        status: 'ok' as const,
        data: { ...data },
      };
      const input = sessionInput({
        endpoints: [ep],
        domain: DOMAIN,
        provider: 'cloudflare',
        sslMode: 'strict',
      });
      const d = diagnoseFacts(
        { input, probes: [record], providerRanges: [], providerName: 'Cloudflare' },
        createTranslator('en'),
      );
      return { data, ids: d.findings.map((f) => f.id).sort(), causes: d.causes.map((c) => c.id) };
    };
    const valid = await judge(servers.originCa.root.pem);
    expect(valid.data.providerCa).toEqual({
      provider: 'cloudflare',
      root: 'C=US, O=Origin Doctor Test, OU=Origin Doctor Test Origin SSL Certificate Authority',
    });
    expect(valid.ids).toEqual([
      'tls.ct_revocation',
      'tls.not_publicly_trusted',
      'tls.ok',
      'tls.provider_origin_ca',
    ]);
    expect(valid.causes).not.toContain('cause.tls_untrusted');
    expect(valid.causes).not.toContain('cause.tls_chain_incomplete');
    expect(tlsStatus(valid.data)).toBe('ok');
    // Near miss: the preset's anchor is another root → the leaf is an ordinary trust problem.
    const other = await judge(pki.root.pem);
    expect(other.data.providerCa).toEqual({ provider: 'cloudflare', root: null });
    expect(other.ids).toContain('tls.chain_incomplete');
    expect(other.causes[0]).toBe('cause.tls_chain_incomplete');
    expect(tlsStatus(other.data)).toBe('fail');
  });
  test('the chain incomplete finding shows where the intermediate can be downloaded', async () => {
    const { report } = await run('noIntermediate', 'https');
    expect(report.findings.find((x) => x.id === 'tls.chain_incomplete')!.message).toContain(
      'http://pki.test/intermediate.crt',
    );
  });
  test("SNI: the default certificate is another site's → tls.sni_required", async () => {
    const { ids, causes } = await run('sniDefault', 'https');
    expect(ids).toEqual(['http.ok', 'tcp.ok', 'tls.ct_revocation', 'tls.ok', 'tls.sni_required']);
    expect(causes[0]).toBe('cause.sni_required');
  });
  test('SNI: no certificate at all without SNI → tls.sni_required', async () => {
    const { ids, report } = await run('sniStrict', 'https');
    expect(ids).toEqual(['http.ok', 'tcp.ok', 'tls.ct_revocation', 'tls.ok', 'tls.sni_required']);
    expect(report.findings.find((f) => f.id === 'tls.sni_required')!.params.withoutSni).not.toBe('ok');
  });
  test('HTTP spoken on the TLS port → tls.plain_http_on_tls_port, protocol/port mismatch', async () => {
    const { ids, causes } = await run('plainHttp', 'https');
    expect(ids).toEqual(['tcp.ok', 'tls.plain_http_on_tls_port']);
    expect(causes[0]).toBe('cause.protocol_port_mismatch');
  });
});

describe('HTTP as the CDN asks (Host = the domain)', () => {
  test('TLS spoken on the HTTP port → http.tls_on_plain_port', async () => {
    const { ids, causes } = await run('tlsPort', 'http');
    expect(ids).toEqual(['http.tls_on_plain_port', 'tcp.ok']);
    expect(causes[0]).toBe('cause.protocol_port_mismatch');
  });
  test.each([
    ['redirectSelf', [], 'same_url'],
    ['redirectAB', [], 'cycle'],
    ['redirectToHttps', ['--ssl-mode', 'flexible'], 'scheme_flip'],
  ])('redirect loop %s → http.redirect_loop (%s)', async (name, extra, kind) => {
    const { ids, report, causes } = await run(name, 'http', extra);
    expect(ids).toEqual(['http.redirect_loop', 'tcp.ok']);
    expect(report.findings.find((f) => f.id === 'http.redirect_loop')!.params.kind).toBe(kind);
    expect(causes[0]).toBe('cause.redirect_loop');
  });
  test('HTTP → HTTPS without a flexible CDN is not a loop', async () => {
    const { ids } = await run('redirectToHttps', 'http');
    expect(ids).not.toContain('http.redirect_loop');
  });
  test('429 with Retry-After → http.rate_limited', async () => {
    const { ids, report, causes } = await run('rateLimited', 'http');
    expect(ids).toEqual(['http.rate_limited', 'tcp.ok']);
    expect(report.findings.find((f) => f.id === 'http.rate_limited')!.params.retryAfter).toBe('30');
    expect(causes[0]).toBe('cause.rate_limiting');
  });
  test('a slow first byte → http.slow_ttfb with the phases measured', async () => {
    const { ids, report, url, causes } = await run('slow', 'http');
    expect(ids).toEqual(['http.ok', 'http.slow_ttfb', 'tcp.ok']);
    const h = report.probes.find((p) => p.kind === 'http' && p.target === url)!.data as unknown as HttpData;
    expect(h.chain[0]!.timing.ttfbMs).toBeGreaterThan(2400);
    expect(h.chain[0]!.timing.connectMs).toBeLessThan(500);
    expect(causes[0]).toBe('cause.origin_slow');
  });
  test('5xx from the origin itself → http.5xx', async () => {
    const { ids, causes } = await run('serverError', 'http');
    expect(ids).toEqual(['http.5xx', 'tcp.ok']);
    expect(causes[0]).toBe('cause.origin_app_error');
  });
  test('reset right after accept → tcp.reset and a reset, not an empty reply', async () => {
    const { ids } = await run('resetAfterAccept', 'http');
    expect(ids).toEqual(['http.reset', 'tcp.reset']);
  });
  test('RST right after the request → http.reset (WAF / IPS or a crashing worker), how: reset', async () => {
    const { ids, report, causes } = await run('resetAfterRequest', 'http');
    expect(ids).toEqual(['http.reset', 'tcp.ok']);
    expect(report.findings.find((f) => f.id === 'http.reset')!.params).toMatchObject({
      how: 'reset',
      when: 'after_request',
    });
    expect(causes.slice(0, 2)).toEqual(['cause.firewall_reject', 'cause.origin_app_error']);
  });
  test('closed (FIN) without a reply while other Hosts get a page → http.empty_reply (520)', async () => {
    const { ids, report } = await run('emptyReply', 'http');
    expect(ids).toEqual(['http.empty_reply', 'tcp.ok']);
    expect(report.findings.find((f) => f.id === 'http.empty_reply')!.params).toMatchObject({
      how: 'empty_reply',
      providerError: '520',
    });
  });
  test.each([
    ['default444', ['http.empty_reply', 'http.vhost_missing', 'tcp.ok']],
    ['defaultSame404', ['http.vhost_missing', 'tcp.ok']],
    ['defaultOtherSite', ['http.vhost_missing', 'tcp.ok']],
    ['defaultRedirect', ['http.vhost_missing', 'tcp.ok']],
  ])('the domain falls through to the default server (%s) → http.vhost_missing', async (name, expected) => {
    const { ids, causes } = await run(name, 'http');
    expect(ids).toEqual(expected);
    expect(causes[0]).toBe('cause.vhost_missing');
  });
  test('a catch-all site naming whichever Host is asked → a warning, not a missing vhost', async () => {
    const { ids, report, causes } = await run('catchAll', 'http');
    expect(ids).toEqual(['http.ok', 'http.vhost_catch_all', 'tcp.ok']);
    expect(report.verdict).toBe('degraded');
    expect(causes).not.toContain('cause.vhost_missing');
  });
  test('a vhost that answers only another Host → http.vhost_missing; 421 too', async () => {
    const a = await run('vhostMissing', 'http');
    expect(a.ids).toEqual(['http.vhost_missing', 'tcp.ok']);
    expect(a.causes[0]).toBe('cause.vhost_missing');
    const b = await run('misdirected', 'http');
    expect(b.ids).toEqual(['http.vhost_missing', 'tcp.ok']);
  });
  test('h2 offered but broken while HTTP/1.1 works → http.h2_broken', async () => {
    const { ids, causes } = await run('h2Broken', 'https');
    expect(ids).toEqual(['http.h2_broken', 'http.ok', 'tcp.ok', 'tls.ct_revocation', 'tls.ok']);
    expect(causes[0]).toBe('cause.h2_broken');
  });
  test('a Date header ten minutes off → local.clock_skew', async () => {
    const { ids, report } = await run('skewed', 'http');
    expect(ids).toEqual(['http.ok', 'local.clock_skew', 'tcp.ok']);
    expect(
      Number(report.findings.find((f) => f.id === 'local.clock_skew')!.params.skewSeconds),
    ).toBeGreaterThan(590);
  });
});
