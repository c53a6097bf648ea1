import { describe, expect, test } from 'vitest';
import { rangesDrift } from '../../../main/policy/drift';
import { parsePolicies } from '../../../main/policy/parse';
import { findProvider } from '../../../shared/catalog/providers';

/** Provider list drift: which published list the customer copied, what changed since, what the rules miss. */
const cf = findProvider('cloudflare')!;
const v4 = cf.ranges.filter((r) => !r.includes(':'));
const v6 = cf.ranges.filter((r) => r.includes(':'));
const old4 = cf.rangesHistory!.find((h) => h.family === 4 && h.until === '2021-04-08')!.ranges;

function allowOnly(ranges: readonly string[]) {
  const text = [
    '*filter',
    ':INPUT DROP [0:0]',
    ...ranges.map((r) => `-A INPUT -s ${r} -p tcp -m multiport --dports 80,443 -j ACCEPT`),
    'COMMIT',
    '',
  ].join('\n');
  const r = parsePolicies([{ name: 'rules.v4', text, format: null }]);
  if (!r.ok) throw new Error(r.error.key);
  return r.value;
}

const drift = (customer: readonly string[]) =>
  rangesDrift({
    customer,
    current: cf.ranges,
    currentDate: cf.rangesCheckedOn,
    history: cf.rangesHistory!,
    sets: allowOnly(customer),
    ports: [443],
  });

describe('provider list drift', () => {
  test('the IPv4 list from before 2021-04-08 is recognised; 104.28.0.0/14 is no longer Cloudflare', () => {
    const d = drift(old4);
    expect(d.families).toEqual([
      { family: 4, match: { until: '2021-04-08', source: expect.stringMatching(/cf-ip-rewrite\/pull\/19/) } },
    ]);
    expect(d.removed).toEqual(['104.28.0.0/14']);
    // The IPv6 list was never copied: all of it is missing, and an IPv4-only iptables-save says nothing for it.
    expect([...d.added].sort()).toEqual([...v6].sort());
    expect(d.notAllowed.map((n) => [n.range, n.outcome]).sort()).toEqual(
      v6.map((r) => [r, 'unknown']).sort(),
    );
  });

  test('the current list is recognised as current, nothing added or removed', () => {
    const d = drift(v4);
    expect(d.families).toEqual([{ family: 4, match: { until: null, source: cf.rangesCheckedOn } }]);
    expect(d.removed).toEqual([]);
    expect([...d.added].sort()).toEqual([...v6].sort());
  });

  test('near miss: a list missing one range matches no published list, and names that range as not allowed', () => {
    const d = drift(v4.filter((r) => r !== '131.0.72.0/22'));
    expect(d.families).toEqual([{ family: 4, match: null }]);
    expect(d.added).toContain('131.0.72.0/22');
    expect(d.notAllowed).toContainEqual({ range: '131.0.72.0/22', port: 443, outcome: 'blocked' });
    expect(d.known).toEqual([{ family: 4, until: '2021-04-08' }]);
  });

  test('an added range the rules already allow (a broader rule) is not listed as missing', () => {
    const d = rangesDrift({
      customer: v4.filter((r) => r !== '131.0.72.0/22'),
      current: cf.ranges,
      currentDate: cf.rangesCheckedOn,
      history: cf.rangesHistory!,
      sets: allowOnly([...v4.filter((r) => r !== '131.0.72.0/22'), '131.0.0.0/16']),
      ports: [443],
    });
    expect(d.notAllowed.filter((n) => n.range === '131.0.72.0/22')).toEqual([]);
  });
});
