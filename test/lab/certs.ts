import 'reflect-metadata'; // @peculiar/x509 needs the Reflect metadata polyfill
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * Certificates made at test time (never committed): a root, an intermediate and leaves with the flaws a
 * support engineer meets — expired, not yet valid, wrong name, self-signed, served without the intermediate.
 */
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface Issued {
  readonly cert: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly pem: string;
  readonly keyPem: string;
}

let serial = 1;

async function keyPem(keys: webcrypto.CryptoKeyPair): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
}

async function issue(opts: {
  name: string;
  /** A whole distinguished name instead of `CN=name` (a root shaped like a provider's origin CA has no CN). */
  subject?: string;
  issuer?: Issued;
  ca?: boolean;
  sans?: string[];
  from?: Date;
  to?: Date;
  aia?: string;
}): Promise<Issued> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, [
    'sign',
    'verify',
  ])) as unknown as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(opts.ca ?? false, undefined, true),
  ];
  if (opts.sans)
    extensions.push(
      new x509.SubjectAlternativeNameExtension(opts.sans.map((value) => ({ type: 'dns' as const, value }))),
    );
  if (opts.ca)
    extensions.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    );
  if (opts.aia)
    extensions.push(
      new x509.AuthorityInfoAccessExtension({ caIssuers: [new x509.GeneralName('url', opts.aia)] }),
    );
  const common = {
    serialNumber: (serial++).toString(16).padStart(4, '0'),
    notBefore: opts.from ?? new Date(now - DAY),
    notAfter: opts.to ?? new Date(now + 365 * DAY),
    signingAlgorithm: ALG,
    extensions,
  };
  const cert = opts.issuer
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject: opts.subject ?? `CN=${opts.name}`,
        issuer: opts.issuer.cert.subject,
        publicKey: keys.publicKey,
        signingKey: opts.issuer.keys.privateKey,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({
        ...common,
        name: opts.subject ?? `CN=${opts.name}`,
        keys,
      });
  return { cert, keys, pem: cert.toString('pem') + '\n', keyPem: await keyPem(keys) };
}

export interface TestPki {
  readonly root: Issued;
  readonly intermediate: Issued;
  readonly good: Issued;
  readonly expired: Issued;
  readonly notYetValid: Issued;
  readonly wrongName: Issued;
  readonly selfSigned: Issued;
  readonly expiringSoon: Issued;
  readonly otherSite: Issued;
  /** Served without its intermediate, and naming no place to fetch it (no AIA extension). */
  readonly noAia: Issued;
}

/** A whole PKI for one domain; `good` chains leaf → intermediate → root. */
export async function makePki(domain: string): Promise<TestPki> {
  const now = Date.now();
  const root = await issue({ name: 'Origin Doctor Test Root', ca: true, to: new Date(now + 3650 * DAY) });
  const intermediate = await issue({
    name: 'Origin Doctor Test Intermediate',
    ca: true,
    issuer: root,
    aia: 'http://pki.test/root.crt',
  });
  const leaf = (o: Partial<Parameters<typeof issue>[0]> = {}) =>
    issue({
      name: domain,
      sans: [domain],
      issuer: intermediate,
      aia: 'http://pki.test/intermediate.crt',
      ...o,
    });
  return {
    root,
    intermediate,
    good: await leaf(),
    expired: await leaf({ from: new Date(now - 400 * DAY), to: new Date(now - 10 * DAY) }),
    notYetValid: await leaf({ from: new Date(now + 10 * DAY), to: new Date(now + 400 * DAY) }),
    wrongName: await leaf({ name: 'other.test', sans: ['other.test'] }),
    selfSigned: await issue({ name: domain, sans: [domain] }),
    expiringSoon: await leaf({ to: new Date(now + 5 * DAY) }),
    otherSite: await leaf({ name: 'default.test', sans: ['default.test'] }),
    noAia: await leaf({ aia: undefined }),
  };
}

export interface OriginCaPki {
  readonly root: Issued;
  readonly leaf: Issued;
}

/**
 * A root shaped like a provider's origin CA (Cloudflare's: a self-signed CA named by O and OU, no CN, that
 * issues the origin's leaf directly, with no intermediate and no AIA), made here with our own key.
 */
export async function makeOriginCa(
  domain: string,
  name = 'Origin Doctor Test Origin SSL Certificate Authority',
): Promise<OriginCaPki> {
  const root = await issue({
    name,
    subject: `C=US, O=Origin Doctor Test, OU=${name}`,
    ca: true,
    to: new Date(Date.now() + 3650 * DAY),
  });
  const leaf = await issue({ name: domain, sans: [domain], issuer: root });
  return { root, leaf };
}

export interface OriginCaChainPki extends OriginCaPki {
  readonly intermediate: Issued;
}

/**
 * An origin CA with an intermediate, the way an uploaded or custom origin CA often issues: root → intermediate →
 * leaf for the domain. The origin serves leaf + intermediate; the root is what the provider trusts.
 */
export async function makeOriginCaChain(
  domain: string,
  name = 'Origin Doctor Test Custom Origin CA',
): Promise<OriginCaChainPki> {
  const root = await issue({
    name,
    subject: `C=CN, O=Origin Doctor Test, OU=${name}`,
    ca: true,
    to: new Date(Date.now() + 3650 * DAY),
  });
  const intermediate = await issue({ name: `${name} Intermediate`, ca: true, issuer: root });
  const leaf = await issue({ name: domain, sans: [domain], issuer: intermediate });
  return { root, intermediate, leaf };
}
