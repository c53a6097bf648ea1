import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { expect, test } from 'vitest';
import { crlUrls, embeddedSctCount } from '../../main/probes/der';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const der = (tag: number, body: Buffer): Buffer => {
  if (body.length < 128) return Buffer.concat([Buffer.from([tag, body.length]), body]);
  return Buffer.concat([Buffer.from([tag, 0x81, body.length]), body]);
};

/** RFC 6962: the extension holds an OCTET STRING of the TLS-encoded list of SCTs (each length-prefixed). */
function sctList(count: number): Buffer {
  const scts = Array.from({ length: count }, (_, i) => {
    const body = Buffer.alloc(40 + i, i + 1);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(body.length);
    return Buffer.concat([len, body]);
  });
  const all = Buffer.concat(scts);
  const total = Buffer.alloc(2);
  total.writeUInt16BE(all.length);
  return der(0x04, Buffer.concat([total, all]));
}

function crlDp(uris: string[]): Buffer {
  const names = Buffer.concat(uris.map((u) => der(0x86, Buffer.from(u, 'latin1'))));
  return der(0x30, der(0x30, der(0xa0, der(0xa0, names))));
}

async function cert(extensions: x509.Extension[]): Promise<Buffer> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(alg, true, [
    'sign',
    'verify',
  ])) as unknown as webcrypto.CryptoKeyPair;
  const c = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=ct.test',
    notBefore: new Date('2026-01-01'),
    notAfter: new Date('2027-01-01'),
    keys,
    signingAlgorithm: alg,
    extensions,
  });
  return Buffer.from(c.rawData);
}

test('embedded SCTs are counted and CRL URLs read, from the certificate DER', async () => {
  const d = await cert([
    new x509.Extension('1.3.6.1.4.1.11129.2.4.2', false, sctList(3)),
    new x509.Extension('2.5.29.31', false, crlDp(['http://crl.example.test/ca.crl', 'ldap://ignored'])),
  ]);
  expect(embeddedSctCount(d)).toBe(3);
  expect(crlUrls(d)).toEqual(['http://crl.example.test/ca.crl']);
});

test('without the extensions: 0 SCTs, no CRL; garbage never throws', async () => {
  const d = await cert([]);
  expect(embeddedSctCount(d)).toBe(0);
  expect(crlUrls(d)).toEqual([]);
  expect(embeddedSctCount(Buffer.from([0x30, 0x82, 0xff]))).toBe(0);
  expect(crlUrls(Buffer.alloc(0))).toEqual([]);
  const broken = await cert([
    new x509.Extension('1.3.6.1.4.1.11129.2.4.2', false, der(0x04, Buffer.from([0x00, 0x50, 0x00]))),
  ]);
  expect(embeddedSctCount(broken)).toBeNull();
});
