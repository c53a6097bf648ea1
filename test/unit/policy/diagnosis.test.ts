import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { diagnose } from '../../../main/diagnosis';
import { runPolicy } from '../../../main/policy';
import { PROVIDERS } from '../../../shared/catalog/providers';
import { createTranslator } from '../../../shared/i18n/translate';
import type { ProbeRecord } from '../../../shared/model/report';
import { parseEndpoint } from '../../../shared/net/validate';
import { sessionInput } from '../../lab/session-input';

const CF = PROVIDERS.find((p) => p.id === 'cloudflare')!.ranges;
const fixture = (n: string): string =>
  readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'policy', n), 'utf8');

/** The diagnosis of one rules text for an HTTPS origin, as the run use-case would make it. */
function diagnoseRules(name: string, text: string, ranges: readonly string[] = CF) {
  const ep = parseEndpoint('https://203.0.113.7:443');
  if (!ep.ok) throw new Error('endpoint');
  const input = sessionInput({ endpoints: [ep.value], provider: 'cloudflare' });
  const run = runPolicy({ ...input, policies: [{ name, format: null, text }] }, ranges, () => 0);
  if (!run.ok) throw new Error(JSON.stringify(run.error));
  const probe: ProbeRecord = {
    id: 'policy-1',
    kind: 'policy',
    target: name,
    startedAt: '2026-11-28T10:00:00.000Z',
    durationMs: 1,
    status: 'fail',
    data: { ...run.data },
  };
  return diagnose(
    { input, probes: [probe], providerRanges: ranges, providerName: 'Cloudflare' },
    createTranslator('en'),
  );
}

const ALLOW_ALL = '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT\n';

describe('policy causes: what produces each, and the near miss that must not', () => {
  test("backorigin_not_allowed from a chain default, with fixes for the blocked blocks in the file's own tool first", () => {
    const d = diagnoseRules('ip6tables.rules', fixture('ip6tables.rules'));
    const cause = d.causes.find((c) => c.id === 'cause.backorigin_not_allowed')!;
    expect(cause.findings.sort()).toEqual(['policy.backorigin_blocked']);
    expect(cause.fix[0]!.env).toBe('iptables');
    expect(cause.fix[0]!.command).toContain(
      'ip6tables -I INPUT -p tcp -s 2803:f800::/32 --dport 443 -j ACCEPT',
    );
    expect(cause.fix[0]!.command).not.toContain('2400:cb00::/32'); // already allowed: not in the fix
  });

  test('near miss: every range allowed on the port gives no back-to-origin cause', () => {
    const d = diagnoseRules('allow.rules', ALLOW_ALL);
    expect(d.causes.map((c) => c.id)).not.toContain('cause.backorigin_not_allowed');
    expect(d.findings.filter((f) => f.id.startsWith('policy.backorigin'))).toEqual([]);
  });

  test('policy_conflict: an allow for the provider shadowed by an earlier deny, with the reorder step', () => {
    const d = diagnoseRules('tencent-sg.json', fixture('tencent-sg.json'));
    const shadowed = d.findings.find((f) => f.id === 'policy.shadowed_rule')!;
    expect(shadowed.severity).toBe('error');
    const cause = d.causes.find((c) => c.id === 'cause.policy_conflict')!;
    expect(cause.confidence).toBeGreaterThanOrEqual(0.8);
    expect(cause.fix[0]!.text).toBe(
      'In tencent-sg.json, move line 8 (#2 ACCEPT tcp 443 from 103.21.244.0/22 (too late)) above line 7 (#1 DROP tcp 443 from 0.0.0.0/0 (deny https)), or narrow line 7 so it no longer covers it.',
    );
  });

  test('near miss: "allow these, deny the rest" is a generalization, not a conflict', () => {
    const d = diagnoseRules('ip6tables.rules', fixture('ip6tables.rules'));
    expect(d.causes.map((c) => c.id)).not.toContain('cause.policy_conflict');
    expect(d.findings.map((f) => f.id)).not.toContain('policy.conflict');
  });

  test('rate_limiting from a per-source limit on back-to-origin traffic; a global LOG limit is not one', () => {
    const d = diagnoseRules('nginx.conf', fixture('nginx.conf'));
    const f = d.findings.find((x) => x.id === 'policy.rate_limit_backorigin')!;
    expect(f.params.context).toBe('per_source');
    expect(d.causes.find((c) => c.id === 'cause.rate_limiting')!.confidence).toBeGreaterThanOrEqual(0.55);
    const logOnly =
      '*filter\n:INPUT DROP [0:0]\n-A INPUT -m limit --limit 3/min -j LOG --log-prefix "x "\n-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT\n';
    expect(diagnoseRules('log.rules', logOnly).causes.map((c) => c.id)).not.toContain('cause.rate_limiting');
  });
});
