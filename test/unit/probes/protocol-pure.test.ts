import 'reflect-metadata';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import {
  classifyHttpError,
  clockSkewSeconds,
  hostNeutralBody,
  keepAliveTimeout,
} from '../../../main/probes/http';
import { classifyTlsError } from '../../../main/probes/tls';
import {
  describeCert,
  providerRootOf,
  signatureAlgorithmOid,
  verifyChain,
} from '../../../main/probes/tls-verify';
import { findProvider, PROVIDERS } from '../../../shared/catalog/providers';
import { makeOriginCa, makePki, type TestPki } from '../../lab/certs';

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
  test('an RST before any reply is a reset, not an empty reply; a bare FIN is the empty reply', () => {
    expect(classifyHttpError(e('ECONNRESET', 'read ECONNRESET'), null, 'http')).toBe('reset');
    expect(classifyHttpError(e('EPIPE', 'write EPIPE'), null, 'https')).toBe('reset');
    // the near miss: a close without a byte of reply stays an empty reply
    expect(classifyHttpError(e('ECONNRESET', 'socket hang up'), null, 'https')).toBe('empty_reply');
  });
  test('the body digest ignores the Host name it answered, and says whether it named it', () => {
    const a = hostNeutralBody(Buffer.from('<h1>Welcome to www.site.test</h1>'), 'www.site.test');
    const b = hostNeutralBody(Buffer.from('<h1>Welcome to OTHER.invalid</h1>'), 'other.invalid');
    expect(a.hostNeutralSha256).toBe(b.hostNeutralSha256);
    expect(a.bodyNamesHost).toBe(true);
    const c = hostNeutralBody(Buffer.from('<h1>Welcome to www.site.test</h1>'), 'other.invalid');
    expect(c.hostNeutralSha256).not.toBe(a.hostNeutralSha256);
    expect(c.bodyNamesHost).toBe(false);
    // a dot in the name is a dot, not "any character"
    expect(hostNeutralBody(Buffer.from('wwwxsite.test'), 'www.site.test').bodyNamesHost).toBe(false);
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
    // Leaf + intermediate up to a root this machine does not trust: complete, untrusted, the root named.
    expect(verifyChain(chain(pki.good, pki.intermediate), [], 'www.site.test', now)).toEqual([
      { kind: 'untrusted_root', index: 1, detail: 'CN=Origin Doctor Test Root' },
    ]);
    // The near miss: the leaf's own issuer is absent — the intermediate is missing, AIA says where it is.
    expect(verifyChain(chain(pki.good), [], 'www.site.test', now)).toEqual([
      { kind: 'chain_incomplete', index: 0, detail: 'http://pki.test/intermediate.crt' },
    ]);
    // Without AIA the detail is empty, and the finding says so (see the diagnosis tests).
    expect(verifyChain(chain(pki.noAia), anchors, 'www.site.test', now)).toEqual([
      { kind: 'chain_incomplete', index: 0, detail: '' },
    ]);
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

describe("a provider's origin CA as a trust anchor of its own", () => {
  test('a leaf issued by the origin CA leads to it; a chain to another private root does not', async () => {
    const ca = await makeOriginCa('www.site.test');
    const other = await makeOriginCa('www.site.test', 'Some Private Root');
    const now = new Date();
    const root = 'C=US, O=Origin Doctor Test, OU=Origin Doctor Test Origin SSL Certificate Authority';
    expect(providerRootOf([der(ca.leaf.pem)], [ca.root.pem], now)).toBe(root);
    // the public view of the same chain: not trusted (the leaf's issuer is nowhere)
    expect(verifyChain([der(ca.leaf.pem)], [], 'www.site.test', now).map((p) => p.kind)).toEqual([
      'chain_incomplete',
    ]);
    expect(providerRootOf([der(other.leaf.pem)], [ca.root.pem], now)).toBeNull();
    expect(providerRootOf([der(ca.leaf.pem)], [], now)).toBeNull();
  });

  test("Cloudflare's shipped Origin CA roots parse, are self-signed CAs named CloudFlare Origin, dated", () => {
    const cf = findProvider('cloudflare')!.originCa!;
    expect(cf.checkedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(cf.source).toContain('developers.cloudflare.com');
    expect(cf.roots).toHaveLength(2);
    const kinds = new Set<string>();
    for (const r of cf.roots) {
      const x = new X509Certificate(r.pem);
      expect(x.ca).toBe(true);
      expect(x.checkIssued(x) && x.verify(x.publicKey)).toBe(true);
      expect(x.subject).toMatch(/OU=CloudFlare Origin SSL (ECC )?Certificate Authority/);
      expect(x.fingerprint256).toBe(r.sha256);
      kinds.add(x.publicKey.asymmetricKeyType!);
    }
    expect([...kinds].sort()).toEqual(['ec', 'rsa']);
    // The JSON file is what ships: the preset reads it, nothing else.
    const file = JSON.parse(
      readFileSync(path.join(__dirname, '../../../shared/catalog/origin-ca/cloudflare.json'), 'utf8'),
    ) as { roots: { pem: string }[] };
    expect(file.roots.map((r) => r.pem)).toEqual(cf.roots.map((r) => r.pem));
    // No other preset claims an origin CA: none of those providers documents one.
    expect(PROVIDERS.filter((p) => p.originCa).map((p) => p.id)).toEqual(['cloudflare']);
  });
});
