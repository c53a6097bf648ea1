/**
 * Just enough DER to read a certificate's extensions (Node's X509Certificate does not expose them): the
 * embedded SCT list (1.3.6.1.4.1.11129.2.4.2) and the CRL distribution points (2.5.29.31). Anything malformed
 * gives "not found", never an exception.
 */

interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

function tlv(buf: Buffer, pos: number, limit = buf.length): Tlv | null {
  const tag = buf[pos];
  const first = buf[pos + 1];
  if (tag === undefined || first === undefined) return null;
  let len = first;
  let start = pos + 2;
  if (first >= 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  return end <= limit ? { tag, start, end } : null;
}

function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.start;
  while (pos < parent.end) {
    const t = tlv(buf, pos, parent.end);
    if (!t) return out;
    out.push(t);
    pos = t.end;
  }
  return out;
}

export function oidText(bytes: Buffer): string {
  if (bytes.length === 0) return '';
  const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let value = 0;
  for (const b of bytes.subarray(1)) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** Extension OID → the bytes inside its extnValue OCTET STRING. */
export function certExtensions(der: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const cert = tlv(der, 0);
  if (!cert || cert.tag !== 0x30) return out;
  const tbs = children(der, cert)[0];
  if (!tbs || tbs.tag !== 0x30) return out;
  const explicit = children(der, tbs).find((c) => c.tag === 0xa3);
  if (!explicit) return out;
  const list = children(der, explicit)[0];
  if (!list || list.tag !== 0x30) return out;
  for (const ext of children(der, list)) {
    const parts = children(der, ext);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (!id || id.tag !== 0x06 || !value || value.tag !== 0x04) continue;
    out.set(oidText(der.subarray(id.start, id.end)), der.subarray(value.start, value.end));
  }
  return out;
}

/** How many SCTs the certificate embeds (RFC 6962 §3.3); 0 without the extension, null when unreadable. */
export function embeddedSctCount(der: Buffer): number | null {
  const ext = certExtensions(der).get('1.3.6.1.4.1.11129.2.4.2');
  if (!ext) return 0;
  // The extension value is an OCTET STRING holding the TLS-encoded SignedCertificateTimestampList.
  const inner = tlv(ext, 0);
  if (!inner || inner.tag !== 0x04) return null;
  const list = ext.subarray(inner.start, inner.end);
  if (list.length < 2) return null;
  const total = list.readUInt16BE(0);
  if (total + 2 > list.length) return null;
  let count = 0;
  let pos = 2;
  while (pos + 2 <= 2 + total) {
    const len = list.readUInt16BE(pos);
    pos += 2 + len;
    if (pos > 2 + total) return null;
    count++;
  }
  return count;
}

/** The http(s) URIs of the CRL distribution points (GeneralName uniformResourceIdentifier, tag [6]). */
export function crlUrls(der: Buffer): string[] {
  const ext = certExtensions(der).get('2.5.29.31');
  if (!ext) return [];
  const out: string[] = [];
  const walk = (t: Tlv): void => {
    if (t.tag === 0x86) {
      const uri = ext.subarray(t.start, t.end).toString('latin1');
      if (/^https?:\/\//i.test(uri)) out.push(uri);
      return;
    }
    if (t.tag & 0x20) for (const c of children(ext, t)) walk(c);
  };
  const root = tlv(ext, 0);
  if (root) walk(root);
  return out;
}
