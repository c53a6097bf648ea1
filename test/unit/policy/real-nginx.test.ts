import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { diagnose } from '../../../main/diagnosis';
import { runPolicy } from '../../../main/policy';
import { PROVIDERS } from '../../../shared/catalog/providers';
import { createTranslator } from '../../../shared/i18n/translate';
import type { PolicyData } from '../../../shared/model/probe-data';
import type { ProbeRecord } from '../../../shared/model/report';
import { parseEndpoint } from '../../../shared/net/validate';
import { sessionInput } from '../../lab/session-input';

/**
 * `nginx -T` of real configurations (nginx 1.22.1), with what nginx really answered a connection from a Cloudflare
 * address carrying a visitor's address (see the folder's README.md).
 */
const dir = join(__dirname, '../../fixtures/policy/real/nginx');
const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
const CF = PROVIDERS.find((p) => p.id === 'cloudflare')!.ranges;
const OTHER = '198.51.100.0/24';

function run(file: string): { data: PolicyData; diagnosis: ReturnType<typeof diagnose> } {
  const ep = parseEndpoint('http://203.0.113.7:80');
  if (!ep.ok) throw new Error('endpoint');
  const input = sessionInput({ endpoints: [ep.value], provider: 'cloudflare' });
  const ranges = [...CF, OTHER];
  const r = runPolicy(
    { ...input, policies: [{ name: file, format: null, text: read(file) }] },
    ranges,
    () => 0,
  );
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  const probe: ProbeRecord = {
    id: 'policy-1',
    kind: 'policy',
    target: file,
    startedAt: '2026-11-28T10:00:00.000Z',
    durationMs: 1,
    status: 'fail',
    data: { ...r.data },
  };
  const diagnosis = diagnose(
    { input, probes: [probe], providerRanges: CF, providerName: 'Cloudflare' },
    createTranslator('en'),
  );
  return { data: r.data, diagnosis };
}

/** Per provider range on port 80: outcome and the deciding line. */
const perRange = (d: PolicyData): Record<string, string> =>
  Object.fromEntries(
    d.rows.map((r) => [r.range, `${r.outcome}@${r.segments.map((s) => s.rule?.line ?? '-').join(',')}`]),
  );

describe('nginx with real_ip: allow / deny judge the visitor', () => {
  test('allow the CDN ranges; deny all — every provider range answers 403 (nginx said 403 to every visitor)', () => {
    const { data, diagnosis } = run('real-ip-allow-cdn-deny-all.nginx-T.txt');
    const want = Object.fromEntries(CF.map((c) => [c, 'blocked@57']));
    expect(perRange(data)).toEqual({ ...want, [OTHER]: 'blocked@57' });
    for (const r of data.rows) expect(r.segments.map((s) => s.outcome)).toEqual(['http_deny']);
    expect(data.files[0]!.notes).toEqual([
      { key: 'policy.note_real_ip_cdn_allow_list', params: { line: 57, realIpLine: 8 } },
    ]);
    // set_real_ip_from lines are not allow rules, and an allow list before deny all is how one is written.
    expect(data.anomalyCounts).toEqual({});
    const finding = diagnosis.findings.find((f) => f.id === 'policy.real_ip_denies_visitors')!;
    expect(finding.target).toBe('real-ip-allow-cdn-deny-all.nginx-T.txt:57');
    expect(diagnosis.findings.map((f) => f.id)).not.toContain('policy.backorigin_blocked');
    const cause = diagnosis.causes.find((c) => c.findings.includes('policy.real_ip_denies_visitors'))!;
    expect(cause.id).toBe('cause.policy_conflict');
    expect(cause.fix[0]!.command).toContain('geo $realip_remote_addr $from_cdn {');
    expect(cause.fix[0]!.command).toContain('    173.245.48.0/20 1;');
    // The usual nginx fix (allow the ranges before deny all) is what is already there: never suggested here.
    expect(diagnosis.causes.flatMap((c) => c.fix.map((f) => f.command ?? ''))).not.toContainEqual(
      expect.stringContaining('allow 173.245.48.0/20;'),
    );
  });

  test('near miss: the same allow list without real_ip lets every provider range in (nginx said 200)', () => {
    const { data, diagnosis } = run('allow-cdn-deny-all.nginx-T.txt');
    const lines = (r: PolicyData['rows'][number]) => r.segments.map((s) => s.rule!.line);
    for (const r of data.rows.filter((x) => x.range !== OTHER)) {
      expect(r.outcome, r.range).toBe('allowed');
      expect(lines(r)[0]).toBeGreaterThanOrEqual(13);
    }
    expect(perRange(data)[OTHER]).toBe('blocked@35');
    // 22 allow lines before deny all are not 22 generalization anomalies.
    expect(data.anomalyCounts).toEqual({});
    expect(diagnosis.findings.map((f) => f.id)).not.toContain('policy.real_ip_denies_visitors');
  });

  test('near miss: real_ip with a visitor block list lets visitors in (nginx said 200, 403 for the listed one)', () => {
    const { data, diagnosis } = run('real-ip-deny-visitors.nginx-T.txt');
    for (const r of data.rows) expect(r.outcome, r.range).toBe('allowed');
    expect(data.files[0]!.notes.map((n) => n.key)).toEqual(['policy.note_real_ip']);
    expect(data.anomalyCounts).toEqual({});
    expect(diagnosis.findings.map((f) => f.id)).not.toContain('policy.real_ip_denies_visitors');
  });

  test('real_ip without an access list: allowed, nothing to say', () => {
    const { data } = run('real-ip-only.nginx-T.txt');
    for (const r of data.rows) expect(r.outcome, r.range).toBe('allowed');
    expect(data.files[0]!.notes).toEqual([]);
    expect(data.anomalyCounts).toEqual({});
  });
});
