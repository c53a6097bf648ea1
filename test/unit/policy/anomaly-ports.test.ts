import { describe, expect, test } from 'vitest';
import { findAnomalies } from '../../../main/policy/anomalies';
import { parsePolicies } from '../../../main/policy/parse';

/** The anomalies of an iptables-save INPUT chain made of `rules`, as kind and line pairs. */
function anomaliesOf(rules: string[]): string[] {
  const text = ['*filter', ':INPUT DROP [0:0]', ...rules.map((r) => `-A INPUT ${r}`), 'COMMIT', ''].join(
    '\n',
  );
  const parsed = parsePolicies([{ name: 't.rules', text, format: 'iptables' }]);
  if (!parsed.ok) throw new Error(parsed.error.key);
  return findAnomalies(parsed.value).anomalies.map((a) => `${a.kind} ${a.rule.line}<${a.other?.line ?? '-'}`);
}

describe('same-action pairs: the ports decide before the addresses are compared', () => {
  test('a later rule inside an earlier one of the same action is redundant, ports equal or narrower', () => {
    expect(
      anomaliesOf([
        '-s 198.18.0.0/16 -p tcp -m tcp --dport 443 -j ACCEPT',
        '-s 198.18.1.0/24 -p tcp -m tcp --dport 443 -j ACCEPT',
        '-s 198.18.0.0/16 -p tcp -m multiport --dports 80,443 -j DROP',
        '-s 198.18.2.0/24 -p tcp -m tcp --dport 80 -j DROP',
      ]),
    ).toEqual(['redundant 4<3', 'redundant 6<5', 'generalization 5<3', 'generalization 5<4']);
  });

  test('an earlier rule over every port covers a later rule without ports', () => {
    expect(
      anomaliesOf([
        '-s 198.18.0.0/16 -p tcp -m tcp --dport 0:65535 -j ACCEPT',
        '-s 198.18.1.0/24 -p tcp -j ACCEPT',
      ]),
    ).toEqual(['redundant 4<3']);
  });

  test('near miss: a later rule with wider ports is not redundant, and a different action still clashes', () => {
    expect(
      anomaliesOf([
        '-s 198.18.0.0/16 -p tcp -m tcp --dport 443 -j ACCEPT',
        '-s 198.18.1.0/24 -p tcp -m multiport --dports 80,443 -j ACCEPT',
        '-s 198.18.2.0/24 -p tcp -j ACCEPT',
        '-s 198.18.3.0/24 -p tcp -m multiport --dports 80,443 -j DROP',
      ]),
    ).toEqual(['correlated 6<3']);
  });
});
