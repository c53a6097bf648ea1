import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { diagnose } from '../../main/diagnosis';
import { sshVersionAdvice } from '../../main/diagnosis/mgmt';
import { runPolicy } from '../../main/policy';
import { createTranslator } from '../../shared/i18n/translate';
import type { MgmtData } from '../../shared/model/probe-data';
import type { ProbeRecord } from '../../shared/model/report';
import { sessionInput } from '../lab/session-input';

test('SSH answering while the security group opens port 22 to the world: mgmt.open_to_world with the rule', () => {
  const text = readFileSync(path.join(__dirname, '..', 'fixtures', 'policy', 'aws-sg.json'), 'utf8');
  const policy = runPolicy(
    { endpoints: [], policies: [{ name: 'aws-sg.json', format: null, text }], provider: null },
    [],
    () => 0,
  );
  if (!policy.ok) throw new Error('policy');
  const ssh: MgmtData = {
    service: 'ssh',
    address: '203.0.113.7',
    port: 22,
    outcome: 'answered',
    code: null,
    ms: 3,
    connectMs: 1,
    banner: 'SSH-2.0-OpenSSH_9.9',
    sshProtocol: '2.0',
    sshSoftware: 'OpenSSH_9.9',
    rdpSelected: null,
    rdpFailure: null,
  };
  const at = '2026-11-28T10:00:00.000Z';
  const probes: ProbeRecord[] = [
    {
      id: 'policy-1',
      kind: 'policy',
      target: 'aws-sg.json',
      startedAt: at,
      durationMs: 1,
      status: 'warn',
      data: { ...policy.data },
    },
    {
      id: 'mgmt-1',
      kind: 'mgmt',
      target: 'ssh://203.0.113.7:22',
      startedAt: at,
      durationMs: 3,
      status: 'ok',
      data: { ...ssh },
    },
  ];
  const d = diagnose(
    { input: sessionInput(), probes, providerRanges: [], providerName: null },
    createTranslator('en'),
  );
  const open = d.findings.find((f) => f.id === 'mgmt.open_to_world')!;
  expect(open.target).toBe('ssh://203.0.113.7:22');
  expect(open.evidence).toEqual(['mgmt-1', 'policy-1']);
  expect(open.message).toBe(
    'ssh on port 22 answers, and aws-sg.json line 22 opens it to the whole Internet: sg-0123456789abcdef0 ingress tcp 22 from 0.0.0.0/0',
  );
  expect(d.findings.map((f) => f.id)).not.toContain('mgmt.ssh_outdated');
});

test('SSH versions against the dated table: past end of life, known flaws, and the near misses just above', () => {
  const advice = (s: string) => {
    const a = sshVersionAdvice(s);
    return a ? `${a.reason} <${a.before}${a.cves.length ? ` ${a.cves.join(',')}` : ''}` : null;
  };
  expect(advice('OpenSSH_5.3')).toBe('eol <8.0');
  expect(advice('OpenSSH_7.4')).toBe('eol <8.0');
  expect(advice('OpenSSH_7.9p1')).toBe('eol <8.0');
  expect(advice('OpenSSH_8.0')).toBeNull();
  expect(advice('OpenSSH_9.9p2')).toBeNull();
  expect(advice('OpenSSH_10.0p2')).toBeNull();
  expect(advice('dropbear_0.52')).toBe('vulnerable <2018.76 CVE-2016-7406,CVE-2017-9078,CVE-2018-15599');
  expect(advice('dropbear_2017.75')).toMatch(/^vulnerable <2018.76/);
  expect(advice('dropbear_2018.76')).toBeNull();
  expect(advice('libssh_0.7.5')).toBe('vulnerable <0.7.6 CVE-2018-10933');
  expect(advice('libssh-0.8.3')).toBe('vulnerable <0.8.4 CVE-2018-10933');
  expect(advice('libssh_0.7.6')).toBeNull();
  expect(advice('libssh_0.8.4')).toBeNull();
  expect(advice('libssh_0.10.6')).toBeNull();
  // Software the table does not know, or a version it cannot read, is not judged.
  expect(advice('OpenSSH_for_Windows_7.7')).toBeNull();
  expect(advice('Cisco-1.25')).toBeNull();
});

test('every management port that did not say what it is becomes mgmt.no_answer, worded per outcome in both languages', () => {
  const outcomes = [
    'refused',
    'timeout',
    'unreachable',
    'silent',
    'closed',
    'reset',
    'not_ssh',
    'error',
  ] as const;
  const probes: ProbeRecord[] = outcomes.map((outcome, i) => ({
    id: `mgmt-${i + 1}`,
    kind: 'mgmt',
    target: `ssh://203.0.113.7:${2200 + i}`,
    startedAt: '2026-11-28T10:00:00.000Z',
    durationMs: 3,
    status: 'warn',
    data: {
      service: 'ssh',
      address: '203.0.113.7',
      port: 2200 + i,
      outcome,
      code: outcome === 'unreachable' ? 'EHOSTUNREACH' : null,
      ms: 3,
      connectMs: null,
      banner: null,
      sshProtocol: null,
      sshSoftware: null,
      rdpSelected: null,
      rdpFailure: null,
    } satisfies MgmtData,
  }));
  for (const lang of ['en', 'zh-CN'] as const) {
    const d = diagnose(
      { input: sessionInput(), probes, providerRanges: [], providerName: null },
      createTranslator(lang),
    );
    const found = d.findings.filter((f) => f.id === 'mgmt.no_answer');
    expect(found.map((f) => f.params.context)).toEqual([...outcomes]);
    expect(found.map((f) => f.evidence[0])).toEqual(outcomes.map((_, i) => `mgmt-${i + 1}`));
    // Each outcome has its own words (no fallback to the generic line).
    expect(new Set(found.map((f) => f.message.replace(/\d+/g, ''))).size).toBe(outcomes.length);
    for (const f of found) expect(f.message, `${lang} ${f.params.context}`).not.toMatch(/\{\{|finding\.mgmt/);
    expect(d.verdict).toBe('healthy');
  }
});
