import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { diagnose } from '../../main/diagnosis';
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
