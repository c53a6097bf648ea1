import { describe, expect, test } from 'vitest';
import { findOversize, SESSION_LIMITS } from '../../../shared/model/session-limits';

// The other version of the rule files (`policiesAfter`) is bounded like `policies`: as many files, as big each.
const reportWith = (input: Record<string, unknown>) => ({
  session: { input },
  probes: [],
  findings: [],
  causes: [],
});
const files = (n: number, text = '*filter\nCOMMIT\n') =>
  Array.from({ length: n }, (_, i) => ({ name: `f${i}.rules`, format: null, text }));

describe('session limits: the other version of the rules', () => {
  test('more files than `policies` may hold is refused by name', () => {
    const over = findOversize(reportWith({ policiesAfter: files(SESSION_LIMITS.policies + 1) }));
    expect(over).toMatchObject({ what: 'policies', path: 'session.input.policiesAfter' });
  });

  test('near miss: as many files as `policies` may hold, each a whole rule export past one MiB, pass', () => {
    const big = 'x'.repeat(SESSION_LIMITS.text + 1);
    expect(findOversize(reportWith({ policiesAfter: files(2, big) }))).toBeNull();
    expect(findOversize(reportWith({ policiesAfter: files(SESSION_LIMITS.policies) }))).toBeNull();
    // The same text anywhere else in the input is over the one-string limit.
    expect(findOversize(reportWith({ domain: big }))).toMatchObject({ what: 'text' });
  });
});
