import { X509Certificate } from 'node:crypto';
import type { CertInfo, CertProblem } from '../../shared/model/probe-data';
import { crlUrls, embeddedSctCount, oidText } from './der';

/** Certificates expiring within this many days are reported (every certificate in the chain). */
export const EXPIRY_WARNING_DAYS = 30;

const DAY = 86_400_000;

/**
 * The signature algorithm OID of a DER certificate: Certificate ::= SEQUENCE { tbsCertificate SEQUENCE,
 * signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }. Node's X509Certificate does not expose it
 * (before Node 23), so the outer structure is read by hand; anything unexpected gives null.
 */
export function signatureAlgorithmOid(der: Buffer): string | null {
  const readLen = (pos: number): { len: number; next: number } | null => {
    const first = der[pos];
    if (first === undefined) return null;
    if (first < 0x80) return { len: first, next: pos + 1 };
    const n = first & 0x7f;
    if (n === 0 || n > 4 || pos + n >= der.length) return null;
    let len = 0;
    for (let i = 1; i <= n; i++) len = len * 256 + der[pos + i]!;
    return { len, next: pos + 1 + n };
  };
  if (der[0] !== 0x30) return null;
  const outer = readLen(1);
  if (!outer || der[outer.next] !== 0x30) return null;
  const tbs = readLen(outer.next + 1);
  if (!tbs) return null;
  const algPos = tbs.next + tbs.len;
  if (der[algPos] !== 0x30) return null;
  const alg = readLen(algPos + 1);
  if (!alg || der[alg.next] !== 0x06) return null;
  const oid = readLen(alg.next + 1);
  if (!oid || oid.next + oid.len > der.length) return null;
  return oidText(der.subarray(oid.next, oid.next + oid.len));
}

const SIGNATURE_NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'ed25519',
};

function firstLine(dn: string): string {
  // Node prints distinguished names one attribute per line; show them comma-separated.
  return dn.split('\n').filter(Boolean).join(', ');
}

function infoAccessUrl(info: string | undefined, kind: 'CA Issuers' | 'OCSP'): string | null {
  const m = new RegExp(`${kind} - URI:(\\S+)`).exec(info ?? '');
  return m ? m[1]! : null;
}

/** What the report shows of one certificate, read from its DER. */
export function describeCert(der: Buffer): CertInfo {
  const x = new X509Certificate(der);
  const key = x.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const oid = signatureAlgorithmOid(der);
  return {
    subject: firstLine(x.subject),
    issuer: firstLine(x.issuer),
    sans: (x.subjectAltName ?? '')
      .split(/,\s*/)
      .filter(Boolean)
      .map((s) => s.trim()),
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: new Date(x.validTo).toISOString(),
    keyType: key.asymmetricKeyType ?? 'unknown',
    keyBits: typeof details.modulusLength === 'number' ? details.modulusLength : null,
    curve: typeof details.namedCurve === 'string' ? details.namedCurve : null,
    signatureAlgorithm: oid ? (SIGNATURE_NAMES[oid] ?? oid) : null,
    sha256: x.fingerprint256,
    sha1: x.fingerprint,
    serial: x.serialNumber,
    isCa: x.ca,
    selfIssued: x.checkIssued(x),
    aiaIssuerUrl: infoAccessUrl(x.infoAccess, 'CA Issuers'),
    ocspUrl: infoAccessUrl(x.infoAccess, 'OCSP'),
    sctCount: embeddedSctCount(der),
    crlUrls: crlUrls(der),
    der: der.toString('base64'),
  };
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

/**
 * Validates a chain as served against trust anchors, the way a strict CDN does: validity of every certificate,
 * the hostname on the leaf, and a path from the leaf through served certificates to a trusted root. A missing
 * intermediate is not fetched (AIA): CDNs and many clients do not, which is exactly the failure to report.
 */
export function verifyChain(
  servedDer: readonly Buffer[],
  anchorsPem: readonly string[],
  domain: string | null,
  now: Date,
): CertProblem[] {
  const problems: CertProblem[] = [];
  if (servedDer.length === 0) return [{ kind: 'no_certificate', index: 0, detail: '' }];
  const served = servedDer.map((d) => new X509Certificate(d));
  served.forEach((x, index) => {
    const from = Date.parse(x.validFrom);
    const to = Date.parse(x.validTo);
    if (to < now.getTime()) problems.push({ kind: 'expired', index, detail: new Date(to).toISOString() });
    else if (from > now.getTime())
      problems.push({ kind: 'not_yet_valid', index, detail: new Date(from).toISOString() });
    else if (to - now.getTime() < EXPIRY_WARNING_DAYS * DAY) {
      problems.push({ kind: 'expiring_soon', index, detail: String(Math.floor((to - now.getTime()) / DAY)) });
    }
  });
  const leaf = served[0]!;
  if (domain && leaf.checkHost(domain) === undefined)
    problems.push({ kind: 'hostname_mismatch', index: 0, detail: domain });

  const anchors: X509Certificate[] = [];
  for (const pem of anchorsPem) {
    try {
      anchors.push(new X509Certificate(pem));
    } catch {
      // an unreadable anchor cannot vouch for anything
    }
  }
  const isAnchor = (x: X509Certificate): boolean =>
    anchors.some((a) => a.fingerprint256 === x.fingerprint256);
  // Walk up from the leaf through the served certificates.
  let current = leaf;
  const used = new Set<number>([0]);
  for (;;) {
    if (isAnchor(current)) return problems;
    const anchor = anchors.find((a) => issuedBy(current, a));
    if (anchor) return problems;
    const next = served.findIndex((x, i) => !used.has(i) && issuedBy(current, x));
    if (next === -1) break;
    used.add(next);
    current = served[next]!;
  }
  // Where the walk stopped tells the three cases apart. A self-signed certificate at the top: sent alone, a
  // self-signed leaf; sent above others, a root nobody here trusts. The leaf itself with its issuer absent: the
  // intermediate is missing (AIA may say where to fetch it). A served CA whose issuer is absent: the chain is
  // complete up to a root the server need not send — one this machine does not trust (a private or provider CA).
  if (issuedBy(current, current)) {
    problems.push({
      kind: served.length === 1 ? 'self_signed' : 'untrusted_root',
      index: served.indexOf(current),
      detail: firstLine(current.subject),
    });
  } else if (current === leaf) {
    problems.push({
      kind: 'chain_incomplete',
      index: 0,
      detail: infoAccessUrl(current.infoAccess, 'CA Issuers') ?? '',
    });
  } else {
    problems.push({
      kind: 'untrusted_root',
      index: served.indexOf(current),
      detail: firstLine(current.issuer),
    });
  }
  return problems;
}

/** True for the problems that mean "no path to a trusted root", as opposed to dates or the name. */
export const TRUST_PROBLEMS: ReadonlySet<CertProblem['kind']> = new Set([
  'self_signed',
  'chain_incomplete',
  'untrusted_root',
]);

/**
 * The subject of the provider's origin-CA root the served chain leads to, or null. A provider in strict mode
 * trusts its own origin CA (Cloudflare's Origin CA), which is in no public store: such a chain is valid for that
 * provider and still not publicly trusted — two separate facts.
 */
export function providerRootOf(
  servedDer: readonly Buffer[],
  providerPems: readonly string[],
  now: Date,
): string | null {
  return providerAnchorOf(servedDer, providerPems, now)?.subject ?? null;
}

/** As providerRootOf, with the position of that root among the anchors (to name where it came from). */
export function providerAnchorOf(
  servedDer: readonly Buffer[],
  providerPems: readonly string[],
  now: Date,
): { readonly subject: string; readonly index: number } | null {
  if (servedDer.length === 0 || providerPems.length === 0) return null;
  const trust = verifyChain(servedDer, providerPems, null, now).filter((p) => TRUST_PROBLEMS.has(p.kind));
  if (trust.length > 0) return null;
  const served = servedDer.map((d) => new X509Certificate(d));
  for (const [index, pem] of providerPems.entries()) {
    let anchor: X509Certificate;
    try {
      anchor = new X509Certificate(pem);
    } catch {
      continue;
    }
    if (served.some((x) => x.fingerprint256 === anchor.fingerprint256 || issuedBy(x, anchor)))
      return { subject: firstLine(anchor.subject), index };
  }
  return null;
}
