import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  cidrContains,
  parseCidr,
  parseDnsServer,
  parseDomain,
  parseEndpoint,
  parsePort,
} from '../../../shared/net/validate';

const key = (r: { ok: boolean; error?: { key: string } }): string | undefined =>
  r.ok ? undefined : r.error!.key;

describe('endpoints', () => {
  test('IPv4 and IPv6 with default and explicit ports', () => {
    expect(parseEndpoint('https://203.0.113.7')).toEqual({
      ok: true,
      value: { url: 'https://203.0.113.7', scheme: 'https', address: '203.0.113.7', family: 4, port: 443 },
    });
    expect(parseEndpoint('http://[2001:DB8::7]:8080/')).toMatchObject({
      ok: true,
      value: { address: '2001:db8::7', family: 6, port: 8080 },
    });
    expect(parseEndpoint('HTTP://203.0.113.7:80')).toMatchObject({ ok: true, value: { scheme: 'http' } });
  });
  test('IPv4-mapped IPv6 is probed as IPv4', () => {
    expect(parseEndpoint('http://[::ffff:1.2.3.4]:80')).toMatchObject({
      ok: true,
      value: { address: '1.2.3.4', family: 4 },
    });
  });
  test.each([
    ['http://0177.0.0.1:80', 'input.ip_noncanonical'],
    ['http://1.2.3:80', 'input.ip_noncanonical'],
    ['http://256.1.1.1', 'input.ip_noncanonical'],
    ['http://203.0.113.7:0', 'input.port_range'],
    ['http://203.0.113.7:70000', 'input.port_range'],
    ['http://203.0.113.7:8o', 'input.port_invalid'],
    ['ftp://203.0.113.7', 'input.endpoint_scheme'],
    ['203.0.113.7:443', 'input.endpoint_format'],
    ['https://origin.example.com', 'input.endpoint_not_ip'],
    ['http://[fe80::1%eth0]:80', 'input.ip_zone'],
    ['http://2001:db8::7:80', 'input.endpoint_ipv6_brackets'],
    ['https://203.0.113.7/health', 'input.endpoint_path'],
    ['-n', 'input.looks_like_option'],
    ['', 'input.endpoint_empty'],
    ['http://203.0.113.7\u0000:80', 'input.endpoint_not_ip'],
  ])('%j is refused with %s', (raw, expected) => {
    expect(key(parseEndpoint(raw))).toBe(expected);
  });
});

describe('domains', () => {
  test('IDN becomes punycode; trailing dot and case normalised', () => {
    expect(parseDomain('Bücher.Example.')).toEqual({ ok: true, value: 'xn--bcher-kva.example' });
    expect(parseDomain('xn--bcher-kva.example')).toEqual({ ok: true, value: 'xn--bcher-kva.example' });
  });
  test.each([
    ['', 'input.domain_empty'],
    ['-n', 'input.looks_like_option'],
    ['www example.com', 'input.domain_chars'],
    ['www.exa\u0000mple.com', 'input.domain_chars'],
    ['localhost', 'input.domain_single_label'],
    [`${'a'.repeat(300)}.com`, 'input.domain_label'],
    ['bad-.example.com', 'input.domain_label'],
    ['203.0.113.7', 'input.domain_is_ip'],
    ['https://www.example.com', 'input.domain_chars'],
  ])('%j is refused with %s', (raw, expected) => {
    expect(key(parseDomain(raw))).toBe(expected);
  });
});

describe('resolvers, CIDRs and ports', () => {
  test('resolver forms', () => {
    expect(parseDnsServer('1.1.1.1')).toEqual({ ok: true, value: { address: '1.1.1.1', port: 53 } });
    expect(parseDnsServer('198.18.0.1:5353')).toEqual({
      ok: true,
      value: { address: '198.18.0.1', port: 5353 },
    });
    expect(parseDnsServer('[2001:db8::53]:53')).toEqual({
      ok: true,
      value: { address: '2001:db8::53', port: 53 },
    });
    expect(parseDnsServer('2001:db8::53')).toEqual({
      ok: true,
      value: { address: '2001:db8::53', port: 53 },
    });
    expect(key(parseDnsServer('dns.example'))).toBe('input.dns_server_invalid');
    expect(key(parseDnsServer('1.1.1.1:0'))).toBe('input.port_range');
  });
  test('CIDRs are strict', () => {
    expect(parseCidr('173.245.48.0/20')).toEqual({ ok: true, value: '173.245.48.0/20' });
    expect(parseCidr('2400:CB00::/32')).toEqual({ ok: true, value: '2400:cb00::/32' });
    expect(parseCidr('198.18.0.9')).toEqual({ ok: true, value: '198.18.0.9/32' });
    expect(parseCidr('10.0.0.1/8')).toEqual({
      ok: false,
      error: { key: 'input.cidr_host_bits', params: { value: '"10.0.0.1/8"', suggestion: '10.0.0.0/8' } },
    });
    expect(key(parseCidr('10.0.0.0/33'))).toBe('input.cidr_prefix');
    expect(key(parseCidr('010.0.0.0/8'))).toBe('input.cidr_invalid');
    expect(key(parseCidr('10.0.0.0/8/1'))).toBe('input.cidr_invalid');
  });
  test('ports', () => {
    expect(parsePort('443')).toEqual({ ok: true, value: 443 });
    expect(key(parsePort('0'))).toBe('input.port_range');
    expect(key(parsePort('-1'))).toBe('input.port_invalid');
  });
  test('containment', () => {
    expect(cidrContains('198.18.0.0/15', '198.19.5.5')).toBe(true);
    expect(cidrContains('198.18.0.0/15', '2001:db8::1')).toBe(false);
    expect(cidrContains('garbage', '1.1.1.1')).toBe(false);
  });
});

test('validators never throw, whatever the text', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      for (const r of [parseEndpoint(s), parseDomain(s), parseDnsServer(s), parseCidr(s), parsePort(s)]) {
        expect(typeof r.ok).toBe('boolean');
      }
    }),
    { numRuns: 500 },
  );
});
