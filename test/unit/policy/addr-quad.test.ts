import ipaddr from 'ipaddr.js';
import { describe, expect, test } from 'vitest';
import { parseRange } from '../../../main/policy/addr';

/** What the reader gave before it read dotted quads itself: ipaddr's four-part-decimal check and parse. */
function byIpaddr(s: string): bigint | null {
  if (!ipaddr.IPv4.isValidFourPartDecimal(s)) return null;
  return ipaddr.IPv4.parse(s)
    .toByteArray()
    .reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

describe('dotted-quad IPv4 read directly', () => {
  const cases = [
    '0.0.0.0',
    '255.255.255.255',
    '1.2.3.4',
    '198.18.0.7',
    '10.0.0.1',
    '100.200.250.99',
    // near misses, each refused both ways
    '256.1.1.1',
    '1.2.3.256',
    '01.2.3.4',
    '1.2.3.04',
    '1.2.3',
    '1.2.3.4.5',
    '1..3.4',
    '1.2.3.',
    '.1.2.3',
    '1234.1.1.1',
    '999.999.999.999',
  ];
  test.each(cases)('%s: the same as ipaddr', (s) => {
    const r = parseRange(s);
    expect(r ? r.span.lo : null).toBe(byIpaddr(s));
    if (r) expect(r).toEqual({ family: 4, span: { lo: byIpaddr(s), hi: byIpaddr(s) } });
  });
  test('prefixes and ranges keep working on top of it', () => {
    expect(parseRange('198.18.0.0/15')).toEqual({ family: 4, span: { lo: 0xc6120000n, hi: 0xc613ffffn } });
    expect(parseRange('10.0.0.0/255.0.0.0')).toEqual({
      family: 4,
      span: { lo: 0x0a000000n, hi: 0x0affffffn },
    });
    expect(parseRange('1.2.3.4-1.2.3.9')).toEqual({ family: 4, span: { lo: 0x01020304n, hi: 0x01020309n } });
    expect(parseRange('1.2.3.4/33')).toBeNull();
  });
});
