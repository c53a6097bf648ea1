import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  parsePolicies,
  policyPorts,
  runParsedPolicy,
  runPolicy,
  samePolicyFiles,
} from '../../../main/policy';
import { findProvider } from '../../../shared/catalog/providers';

const text = readFileSync(
  path.join(__dirname, '..', '..', 'fixtures', 'policy', 'iptables-ufw.rules'),
  'utf8',
);
const files = [{ name: 'iptables-ufw.rules', format: null, text }];
const input = {
  endpoints: [
    {
      scheme: 'https' as const,
      address: '198.18.0.7',
      family: 4 as const,
      port: 443,
      url: 'https://198.18.0.7:443',
    },
  ],
  policies: files,
  provider: 'Cloudflare',
};
const ranges = findProvider('cloudflare')!.ranges;

describe('runParsedPolicy: the analysis of rule sets parsed once', () => {
  test('gives what runPolicy gives on the same files, and counts the parse time it is told', () => {
    const parsed = parsePolicies(files);
    if (!parsed.ok) throw new Error(parsed.error.key);
    const clock = () => 0;
    const whole = runPolicy(input, ranges, clock);
    const reused = runParsedPolicy(parsed.value, input, ranges, clock, policyPorts(input), 12.34);
    if (!whole.ok || !reused.ok) throw new Error('policy run failed');
    expect(reused.data.elapsedMs).toBe(12.3);
    expect({ ...reused.data, elapsedMs: 0 }).toEqual({ ...whole.data, elapsedMs: 0 });
  });

  test('samePolicyFiles: the same files match; another text, name, format or count does not', () => {
    expect(samePolicyFiles(input, files)).toBe(true);
    expect(samePolicyFiles(input, [{ ...files[0]!, text: text + '\n' }])).toBe(false);
    expect(samePolicyFiles(input, [{ ...files[0]!, name: 'other.rules' }])).toBe(false);
    expect(samePolicyFiles(input, [{ ...files[0]!, format: 'iptables' }])).toBe(false);
    expect(samePolicyFiles(input, [...files, ...files])).toBe(false);
    expect(samePolicyFiles({ policies: undefined }, [])).toBe(true);
  });
});
