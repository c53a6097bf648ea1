import 'reflect-metadata';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { classifyHttpError, clockSkewSeconds, keepAliveTimeout } from '../../../main/probes/http';
import { classifyTlsError } from '../../../main/probes/tls';
import { describeCert, signatureAlgorithmOid, verifyChain } from '../../../main/probes/tls-verify';
import { makePki, type TestPki } from '../../lab/certs';

const der = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');

describe('TLS error classification', () => {
  test.each([
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number', 'plain_http', null],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', '', 'alert', 'handshake_failure'],
    ['ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', '', 'alert', 'protocol_version'],
    ['ERR_SSL_TLSV1_UNRECOGNIZED_NAME', '', 'alert', 'unrecognized_name'],
    ['ECONNRESET', 'read ECONNRESET', 'reset', null],
    ['ECONNREFUSED', '', 'refused', null],
    [
      undefined,
      'Client network socket disconnected before secure TLS connection was established',
      'closed',
      null,
    ],
  ])('%s → %s', (code, message, outcome, alert) => {
    expect(classifyTlsError(code, message)).toEqual({ outcome, alert });
  });
});

describe('HTTP error classification', () => {
  const e = (code: string, message = ''): NodeJS.ErrnoException =>
    Object.assign(new Error(message), { code });
  test('TLS bytes on a plain port, plain text on a TLS port, hang-up, reset, header overflow', () => {
    expect(
      classifyHttpError(e('HPE_INVALID_CONSTANT'), Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02]), 'http'),
    ).toBe('tls_on_plain_port');
    expect(classifyHttpError(e('ERR_SSL_WRONG_VERSION_NUMBER'), null, 'https')).toBe('plain_on_tls_port');
    expect(classifyHttpError(e('ECONNRESET', 'socket hang up'), null, 'http')).toBe('empty_reply');
    expect(classifyHttpError(e('ECONNRESET', 'read ECONNRESET'), Buffer.from('HTTP/1.1'), 'http')).toBe(
      'reset',
    );
    expect(classifyHttpError(e('HPE_HEADER_OVERFLOW'), Buffer.from('HTTP/1.1'), 'http')).toBe(
      'headers_too_large',
    );
    expect(classifyHttpError(e('ECONNREFUSED'), null, 'http')).toBe('refused');
  });
  test('headers read by hand', () => {
    expect(keepAliveTimeout('timeout=5, max=100')).toBe(5);
    expect(keepAliveTimeout(undefined)).toBeNull();
    expect(clockSkewSeconds('Sat, 28 Nov 2026 15:00:00 GMT', new Date('2026-11-28T15:10:00Z'))).toBe(600);
    expect(clockSkewSeconds('garbage', new Date())).toBeNull();
  });
});

describe('certificates', () => {
  let pki: TestPki;
  // Taken after the certificates are made, so "expires in" counts from a moment later than their issue.
  let now = new Date();
  test('chains are verified against the anchors given', async () => {
    pki = await makePki('www.site.test');
    now = new Date();
    const anchors = [pki.root.pem];
    const chain = (leaf: { pem: string }, ...more: { pem: string }[]) =>
      [leaf, ...more].map((c) => der(c.pem));
    expect(verifyChain(chain(pki.good, pki.intermediate), anchors, 'www.site.test', now)).toEqual([]);
    expect(verifyChain(chain(pki.good), anchors, 'www.site.test', now).map((p) => p.kind)).toEqual([
      'chain_incomplete',
    ]);
    expect(
      verifyChain(chain(pki.good, pki.intermediate), [], 'www.site.test', now).map((p) => p.kind),
    ).toEqual(['chain_incomplete']);
    expect(
      verifyChain(chain(pki.good, pki.intermediate, pki.root), [], 'www.site.test', now).map((p) => p.kind),
    ).toEqual(['untrusted_root']);
    expect(verifyChain(chain(pki.selfSigned), anchors, 'www.site.test', now).map((p) => p.kind)).toEqual([
      'self_signed',
    ]);
    expect(
      verifyChain(chain(pki.wrongName, pki.intermediate), anchors, 'www.site.test', now).map((p) => p.kind),
    ).toEqual(['hostname_mismatch']);
    expect(
      verifyChain(chain(pki.expired, pki.intermediate), anchors, 'www.site.test', now).map((p) => p.kind),
    ).toEqual(['expired']);
    expect(verifyChain(chain(pki.expiringSoon, pki.intermediate), anchors, 'www.site.test', now)).toEqual([
      { kind: 'expiring_soon', index: 0, detail: '4' },
    ]);
    expect(verifyChain([], anchors, null, now)).toEqual([{ kind: 'no_certificate', index: 0, detail: '' }]);
  });
  test('what the report shows of a certificate', () => {
    const info = describeCert(der(pki.good.pem));
    expect(info).toMatchObject({
      subject: 'CN=www.site.test',
      issuer: 'CN=Origin Doctor Test Intermediate',
      keyType: 'ec',
      curve: 'prime256v1',
      signatureAlgorithm: 'ecdsa-with-SHA256',
      isCa: false,
      aiaIssuerUrl: 'http://pki.test/intermediate.crt',
    });
    expect(signatureAlgorithmOid(der(pki.root.pem))).toBe('1.2.840.10045.4.3.2');
  });
  test('the DER reader never throws on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = signatureAlgorithmOid(Buffer.from(bytes));
        expect(r === null || typeof r === 'string').toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
