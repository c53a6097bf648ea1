import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { decodeErrorPage } from '../../../main/diagnosis/error-page';

const page = (name: string): string =>
  readFileSync(path.join(__dirname, '../../fixtures/error-pages', name), 'utf8');

test.each([
  [
    'cloudflare-522.html',
    { provider: 'cloudflare', code: 522, symptom: '522', layer: 'network', reference: '8f1c2d3e4a5b6c7d' },
  ],
  [
    'cloudflare-headers-521.txt',
    {
      provider: 'cloudflare',
      code: 521,
      symptom: '521',
      layer: 'network',
      reference: '8f1c2d3e4a5b6c7e-HKG',
    },
  ],
  [
    'akamai-504.html',
    {
      provider: 'akamai',
      code: 504,
      symptom: '504',
      layer: 'network',
      reference: '30.4f1a2b3c.1764316800.9a8b7c6d',
    },
  ],
  [
    'akamai-504-pasted.txt',
    {
      provider: 'akamai',
      code: 504,
      symptom: '504',
      layer: 'network',
      reference: '30.4f1a2b3c.1764316800.9a8b7c6d',
    },
  ],
  [
    'edgeone-502.txt',
    { provider: 'tencent', code: 502, symptom: '502', layer: 'network', reference: '1234567890123456789' },
  ],
  ['aliyun-502.html', { provider: 'aliyun', code: 502, symptom: '502', layer: 'network', reference: null }],
  [
    'nginx-origin-504.html',
    { provider: 'origin', code: 504, symptom: '504', layer: 'network', reference: null },
  ],
])('%s is decoded', (name, expected) => {
  expect(decodeErrorPage(page(name))).toEqual(expected);
});

test('a page without a provider mark and code is not recognised, never guessed', () => {
  expect(decodeErrorPage(page('unknown.html'))).toBeNull();
  expect(decodeErrorPage('Error 522 somewhere')).toBeNull();
  expect(decodeErrorPage('cloudflare error 418')).toBeNull();
  expect(decodeErrorPage('')).toBeNull();
});

test('TLS codes start at the protocol layer', () => {
  expect(
    decodeErrorPage(
      '<title>526: Invalid SSL certificate</title> Error code 526 Cloudflare Ray ID: 0123456789abcdef',
    ),
  ).toMatchObject({ symptom: '526', layer: 'protocol' });
});

test('the decoder never throws', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 500 }), (s) => void decodeErrorPage(s)),
    { numRuns: 500 },
  );
});
