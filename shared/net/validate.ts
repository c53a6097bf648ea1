import ipaddr from 'ipaddr.js';
import type { DnsServer, Endpoint, OriginName } from '../model/report';

/**
 * Validation of everything a person types: endpoints, domains, resolvers, CIDRs, ports.
 * Errors are message keys plus parameters so the app and the CLI word them in the person's language.
 */

export interface InputError {
  readonly key: string;
  readonly params: Record<string, string | number>;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: InputError };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(key: string, params: Record<string, string | number> = {}): Parsed<T> => ({
  ok: false,
  error: { key, params },
});

/** Shows an untrusted value in an error message: control (C0, C1) and bidi characters made visible, length capped. */
export function quoteInput(value: string): string {
  const visible = value.replace(
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => {
      const code = c.charCodeAt(0);
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
    },
  );
  return JSON.stringify(visible.length > 80 ? `${visible.slice(0, 77)}...` : visible);
}

/** An origin endpoint as typed: an address to probe, or a name the provider resolves first. */
export type OriginEndpoint =
  | { readonly kind: 'address'; readonly endpoint: Endpoint }
  | { readonly kind: 'name'; readonly origin: OriginName };

export interface ParsedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * Parses an IP literal strictly. Only canonical dotted-quad IPv4 is accepted: `0177.0.0.1` (octal),
 * `1.2.3` (short form) and `0x7f.1` mean different hosts to different tools, so we refuse to guess.
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is unwrapped to IPv4. Zone ids (`fe80::1%eth0`) are refused:
 * a link-local address is never what a CDN connects to.
 */
export function parseIpLiteral(raw: string): Parsed<ParsedAddress> {
  if (raw.includes('%')) return fail('input.ip_zone', { value: quoteInput(raw) });
  if (/^[0-9.]+$/.test(raw)) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(raw))
      return fail('input.ip_noncanonical', { value: quoteInput(raw) });
    return ok({ address: raw, family: 4 });
  }
  if (raw.includes(':') && ipaddr.IPv6.isValid(raw)) {
    const v6 = ipaddr.IPv6.parse(raw);
    if (v6.isIPv4MappedAddress()) return ok({ address: v6.toIPv4Address().toString(), family: 4 });
    return ok({ address: v6.toString(), family: 6 });
  }
  return fail('input.ip_invalid', { value: quoteInput(raw) });
}

/** Parses a TCP/UDP port given as text: digits only, 1–65535. */
export function parsePort(raw: string): Parsed<number> {
  if (!/^\d{1,6}$/.test(raw)) return fail('input.port_invalid', { value: quoteInput(raw) });
  const port = Number(raw);
  if (port < 1 || port > 65535) return fail('input.port_range', { value: port });
  return ok(port);
}

const ENDPOINT_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#[\]]*)(?::([^/?#]*))?(\/.*)?$/;

interface EndpointParts {
  readonly raw: string;
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly bracketed: boolean;
  readonly port: number;
}

/** Splits `scheme://host[:port][/]` and checks everything but the host itself. */
function splitEndpoint(input: string): Parsed<EndpointParts> {
  const raw = input.trim();
  if (raw === '') return fail('input.endpoint_empty');
  if (raw.startsWith('-')) return fail('input.looks_like_option', { value: quoteInput(raw) });
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(raw)?.[1] ?? '';
  if (!authority.startsWith('[') && (authority.match(/:/g) ?? []).length > 1) {
    return fail('input.endpoint_ipv6_brackets', { value: quoteInput(raw) });
  }
  const m = ENDPOINT_RE.exec(raw);
  if (!m) return fail('input.endpoint_format', { value: quoteInput(raw) });
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https')
    return fail('input.endpoint_scheme', { value: quoteInput(raw) });
  if (m[4] !== undefined && m[4] !== '/') return fail('input.endpoint_path', { value: quoteInput(raw) });
  let host = m[2]!;
  const bracketed = host.startsWith('[');
  if (bracketed) host = host.slice(1, -1);
  if (host === '') return fail('input.endpoint_format', { value: quoteInput(raw) });
  if (!bracketed && host.includes(':'))
    return fail('input.endpoint_ipv6_brackets', { value: quoteInput(raw) });
  if (bracketed && !host.includes(':')) return fail('input.endpoint_format', { value: quoteInput(raw) });
  let port = scheme === 'https' ? 443 : 80;
  if (m[3] !== undefined) {
    const p = parsePort(m[3]);
    if (!p.ok) return p;
    port = p.value;
  }
  return ok({ raw, scheme, host, bracketed, port });
}

function addressEndpoint(parts: EndpointParts): Parsed<Endpoint> {
  const addr = parseIpLiteral(parts.host);
  if (!addr.ok) return addr;
  const { raw: url, scheme, port } = parts;
  return ok({ url, scheme, address: addr.value.address, family: addr.value.family, port });
}

/** Parses an origin endpoint `scheme://address[:port]` (http or https, an IP literal, IPv6 in brackets). */
export function parseEndpoint(input: string): Parsed<Endpoint> {
  const parts = splitEndpoint(input);
  if (!parts.ok) return parts;
  // A name is refused here; parseOriginEndpoint takes names and says they are resolved as the provider would.
  if (!parts.value.bracketed && !/^[0-9.]+$/.test(parts.value.host))
    return fail('input.endpoint_not_ip', { value: quoteInput(parts.value.host) });
  return addressEndpoint(parts.value);
}

/**
 * Parses an origin endpoint that may hold a name (`https://origin.example.com:443`), the way a provider's console
 * holds one: an IP literal gives an endpoint, a name an origin name to resolve before probing. Digits and dots
 * alone are an address (`10.1` is refused as non-canonical, never looked up as a name).
 */
export function parseOriginEndpoint(input: string): Parsed<OriginEndpoint> {
  const parts = splitEndpoint(input);
  if (!parts.ok) return parts;
  const { raw: url, scheme, host, bracketed, port } = parts.value;
  if (bracketed || /^[0-9.]+$/.test(host)) {
    const e = addressEndpoint(parts.value);
    return e.ok ? ok({ kind: 'address', endpoint: e.value }) : e;
  }
  const name = parseDomain(host);
  if (!name.ok) return name;
  return ok({ kind: 'name', origin: { url, scheme, name: name.value, port } });
}

/**
 * Parses a domain name (the protected site). IDN input is converted to punycode the way browsers do;
 * labels are LDH, 1–63 characters, 253 in all; a trailing dot is allowed and dropped.
 */
export function parseDomain(input: string): Parsed<string> {
  const raw = input.trim();
  if (raw === '') return fail('input.domain_empty');
  if (raw.startsWith('-')) return fail('input.looks_like_option', { value: quoteInput(raw) });
  if (/[\s\u0000-\u001f\u007f/\\?#@:[\]]/.test(raw))
    return fail('input.domain_chars', { value: quoteInput(raw) });
  let ascii: string;
  try {
    ascii = new URL(`http://${raw}/`).hostname;
  } catch {
    return fail('input.domain_invalid', { value: quoteInput(raw) });
  }
  ascii = ascii.replace(/\.$/, '');
  const labels = ascii.split('.');
  if (labels.length < 2) return fail('input.domain_single_label', { value: quoteInput(raw) });
  for (const label of labels) {
    if (label.length === 0 || label.length > 63 || !/^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/.test(label)) {
      return fail('input.domain_label', { value: quoteInput(raw), label: quoteInput(label.slice(0, 70)) });
    }
  }
  if (ascii.length > 253) return fail('input.domain_too_long', { value: quoteInput(raw) });
  if (/^[0-9.]+$/.test(ascii)) return fail('input.domain_is_ip', { value: quoteInput(raw) });
  return ok(ascii);
}

/** Parses a resolver `IP`, `IP:PORT` or `[IPv6]:PORT` (port 53 by default). */
export function parseDnsServer(input: string): Parsed<DnsServer> {
  const raw = input.trim();
  if (raw === '') return fail('input.dns_server_empty');
  if (raw.startsWith('-')) return fail('input.looks_like_option', { value: quoteInput(raw) });
  let host = raw;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(raw);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if ((raw.match(/:/g) ?? []).length === 1) {
    [host, portText] = raw.split(':') as [string, string];
  }
  const addr = parseIpLiteral(host);
  if (!addr.ok) return fail('input.dns_server_invalid', { value: quoteInput(raw) });
  let port = 53;
  if (portText !== undefined) {
    const p = parsePort(portText);
    if (!p.ok) return p;
    port = p.value;
  }
  return ok({ address: addr.value.address, port });
}

/**
 * Parses a CIDR strictly: a canonical address, a prefix within the family, and no host bits set
 * (`10.0.0.1/8` is refused with the network it probably meant, as a typo there changes what is allowed).
 * A bare address is taken as a /32 or /128.
 */
export function parseCidr(input: string): Parsed<string> {
  const raw = input.trim();
  if (raw === '') return fail('input.cidr_empty');
  if (raw.startsWith('-')) return fail('input.looks_like_option', { value: quoteInput(raw) });
  const [addrText, prefixText, extra] = raw.split('/');
  if (extra !== undefined) return fail('input.cidr_invalid', { value: quoteInput(raw) });
  const addr = parseIpLiteral(addrText ?? '');
  if (!addr.ok) return fail('input.cidr_invalid', { value: quoteInput(raw) });
  const max = addr.value.family === 4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
      return fail('input.cidr_prefix', { value: quoteInput(raw), max });
    }
    prefix = Number(prefixText);
  }
  const parsed = ipaddr.parse(addr.value.address);
  const network =
    parsed.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.value.address}/${prefix}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${addr.value.address}/${prefix}`);
  const networkText = network.toString();
  if (networkText !== addr.value.address) {
    return fail('input.cidr_host_bits', { value: quoteInput(raw), suggestion: `${networkText}/${prefix}` });
  }
  return ok(`${networkText}/${prefix}`);
}

/** True when `address` lies inside `cidr` (both already validated; families may differ). */
export function cidrContains(cidr: string, address: string): boolean {
  try {
    const range = ipaddr.parseCIDR(cidr);
    const addr = ipaddr.parse(address);
    if (addr.kind() !== range[0].kind()) return false;
    return addr.match(range);
  } catch {
    return false;
  }
}
