import { describe, expect, test } from 'vitest';
import { diagnose } from '../../../main/diagnosis';
import { analysePolicy } from '../../../main/policy/analyse';
import { parsePolicies } from '../../../main/policy/parse';
import { tcpStats } from '../../../main/probes/tcp';
import { createTranslator } from '../../../shared/i18n/translate';
import type { TcpAttempt } from '../../../shared/model/probe-data';
import type { Endpoint, ProbeRecord } from '../../../shared/model/report';
import { sessionInput } from '../../lab/session-input';

/**
 * Rules that let every provider range in on a port make "a firewall drops the provider" less likely — but only for
 * the family those rows are about. IPv4 rows all allowed say nothing of the IPv6 rules an IPv6 origin meets.
 */
const t = createTranslator('en');
const at = '2026-11-29T10:00:00.000Z';
const endpoint = (address: string): Endpoint => ({
  url: `https://${address.includes(':') ? `[${address}]` : address}:443`,
  scheme: 'https',
  address,
  family: address.includes(':') ? 6 : 4,
  port: 443,
});

function timeout(e: Endpoint): ProbeRecord {
  const attempts: TcpAttempt[] = [1, 2, 3, 4].map((seq) => ({
    seq,
    outcome: 'timeout',
    ms: 3000,
    code: null,
  }));
  return {
    id: `tcp-${e.family}`,
    kind: 'tcp',
    target: e.url,
    startedAt: at,
    durationMs: 12000,
    status: 'fail',
    data: {
      address: e.address,
      port: e.port,
      family: e.family,
      url: e.url,
      attempts,
      stats: tcpStats(attempts),
    },
  };
}

/** A real analysis: iptables-save allowing 443 from the given IPv4 ranges, ranges IPv4 only. */
function policyProbe(ranges: string[]): ProbeRecord {
  const text = [
    '*filter',
    ':INPUT DROP [0:0]',
    ...ranges.map((r) => `-A INPUT -s ${r} -p tcp -m tcp --dport 443 -j ACCEPT`),
    'COMMIT',
    '',
  ].join('\n');
  const parsed = parsePolicies([{ name: 'rules.v4', text, format: null }]);
  if (!parsed.ok) throw new Error(parsed.error.key);
  const data = analysePolicy({ sets: parsed.value, ranges, ports: [443], provider: null, destinations: [] });
  return {
    id: 'policy-1',
    kind: 'policy',
    target: 'rules.v4',
    startedAt: at,
    durationMs: 1,
    status: 'ok',
    data: { ...data, elapsedMs: 0 },
  };
}

function dropConfidence(e: Endpoint, withPolicy: boolean): number {
  const probes = [timeout(e), ...(withPolicy ? [policyProbe(['198.51.100.0/24', '203.0.113.0/24'])] : [])];
  const d = diagnose(
    { input: sessionInput({ endpoints: [e] }), probes, providerRanges: [], providerName: null },
    t,
  );
  return d.causes.find((c) => c.id === 'cause.firewall_drop')?.confidence ?? 0;
}

describe('policy rows temper a firewall cause only for their own address family', () => {
  test('IPv6 origin timing out: IPv4 rows all allowed leave the firewall cause as strong as without rules', () => {
    const e = endpoint('2001:db8::7');
    expect(dropConfidence(e, false)).toBeGreaterThan(0);
    expect(dropConfidence(e, true)).toBe(dropConfidence(e, false));
  });

  test('near miss: an IPv4 origin timing out with its IPv4 rows all allowed is tempered', () => {
    const e = endpoint('203.0.113.7');
    expect(dropConfidence(e, false)).toBeGreaterThan(0);
    expect(dropConfidence(e, true)).toBeLessThan(dropConfidence(e, false));
  });
});
