import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analysePolicy } from '../../../main/policy/analyse';
import { jsonErrorOffset } from '../../../main/policy/json-error';
import { detectFormat, parsePolicies, parsePolicy } from '../../../main/policy/parse';
import type { PolicyData } from '../../../shared/model/probe-data';
import { segmentText } from './segment-text';

/** Cloud security group exports in the shapes the real AWS CLI prints (see the folder's README.md). */
const dir = join(__dirname, '../../fixtures/policy/real/cloud');
const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
const RANGES = ['173.245.48.0/20', '103.21.244.0/22', '2400:cb00::/32', '198.51.100.0/24'];

function analyse(file: string, ports = [443, 22]): PolicyData {
  const sets = parsePolicies([{ name: file, text: read(file), format: null }]);
  if (!sets.ok) throw new Error(JSON.stringify(sets.error));
  return {
    ...analysePolicy({ sets: sets.value, ranges: RANGES, ports, provider: null, destinations: [] }),
    elapsedMs: 0,
  };
}

const verdicts = (d: PolicyData): string[] =>
  d.rows.map((r) => `${r.range}:${r.port} ${r.segments.map(segmentText).join(',')}`);

describe('AWS: describe-security-group-rules and describe-security-groups', () => {
  test.each([
    'aws-describe-security-group-rules.json',
    'aws-describe-security-groups.json',
    'aws-describe-security-group-rules.skeleton.json',
    'aws-describe-security-groups.skeleton.json',
  ])('%s is detected as aws-sg', (f) => {
    expect(detectFormat(read(f))).toBe('aws-sg');
  });

  test('both shapes give the same verdict per range and port', () => {
    const rules = analyse('aws-describe-security-group-rules.json');
    expect(verdicts(rules)).toEqual(verdicts(analyse('aws-describe-security-groups.json')));
    expect(verdicts(rules)).toEqual([
      '173.245.48.0/20:443 allow[]',
      '173.245.48.0/20:22 drop[]',
      '103.21.244.0/22:443 allow[]',
      '103.21.244.0/22:22 drop[]',
      '2400:cb00::/32:443 allow[]',
      '2400:cb00::/32:22 drop[]',
      // Not in any listed CIDR: the prefix list may hold it; its entries are not in the export.
      '198.51.100.0/24:443 unknown{allow when prefix list pl-0cdn00000000000a1 | drop(default) when not prefix list pl-0cdn00000000000a1}',
      '198.51.100.0/24:22 drop[]',
    ]);
  });

  test('egress rules never open inbound traffic (near miss: the same 0.0.0.0/0 ingress would)', () => {
    const d = analyse('aws-describe-security-group-rules.json', [8080]);
    expect(d.rows.every((r) => r.outcome === 'blocked')).toBe(true);
    const text = read('aws-describe-security-group-rules.json').replace(
      '"IsEgress": true',
      '"IsEgress": false',
    );
    const sets = parsePolicies([{ name: 'x.json', text, format: null }]);
    if (!sets.ok) throw new Error('parse');
    const d2 = analysePolicy({
      sets: sets.value,
      ranges: RANGES,
      ports: [8080],
      provider: null,
      destinations: [],
    });
    expect(d2.rows.filter((r) => r.family === 4).every((r) => r.outcome === 'allowed')).toBe(true);
  });

  test.each(['aws-describe-security-group-rules.json', 'aws-describe-security-groups.json'])(
    '%s: several groups are reported as merged, and a rule is redundant only within its own group',
    (f) => {
      const d = analyse(f);
      expect(d.files[0]!.notes).toContainEqual({
        key: 'policy.note_aws_groups_merged',
        params: { count: 2, groups: 'sg-0web000000000000a, sg-0admin0000000000b' },
      });
      // 173.245.48.0/20 on 443 is in both groups: normal for groups that add up, not a redundant rule.
      expect(d.anomalies.filter((a) => a.kind === 'redundant')).toEqual([]);
    },
  );

  test('near miss: the same rule twice in one group is redundant', () => {
    const text = read('aws-describe-security-group-rules.json').replace(
      '"GroupId": "sg-0admin0000000000b",\n            "GroupOwnerId": "123456789012",\n            "IsEgress": false,\n            "IpProtocol": "tcp",\n            "FromPort": 443',
      '"GroupId": "sg-0web000000000000a",\n            "GroupOwnerId": "123456789012",\n            "IsEgress": false,\n            "IpProtocol": "tcp",\n            "FromPort": 443',
    );
    expect(text).not.toBe(read('aws-describe-security-group-rules.json'));
    const sets = parsePolicies([{ name: 'x.json', text, format: null }]);
    if (!sets.ok) throw new Error('parse');
    const d = analysePolicy({
      sets: sets.value,
      ranges: RANGES,
      ports: [443],
      provider: null,
      destinations: [],
    });
    expect(d.anomalies.filter((a) => a.kind === 'redundant').map((a) => a.rule.text)).toEqual([
      'sg-0web000000000000a ingress tcp 443 from 173.245.48.0/20',
    ]);
  });
});

describe('Tencent templates', () => {
  test('an address template is unknown with its id, never "blocked"; a service template likewise', () => {
    const d = analyse('tencent-templates.json', [443, 22]);
    const at = (range: string, port: number) =>
      d.rows.find((r) => r.range === range && r.port === port)!.segments.map(segmentText);
    expect(at('198.51.100.0/24', 443)).toEqual([
      'unknown{allow when address template ipm-cdn0001 | drop when not address template ipm-cdn0001}',
    ]);
    // Port 22 is not the address-template rule's: the service template rule (any port, from 103.21.244.0/22)
    // and then DROP ALL speak.
    expect(at('103.21.244.0/22', 22)).toEqual([
      'unknown{allow when service template ppm-web0001 | drop when not service template ppm-web0001}',
    ]);
    expect(at('198.51.100.0/24', 22)).toEqual(['drop[]']);
    expect(d.files[0]!.notes.map((n) => [n.key, n.params.id])).toEqual([
      ['policy.note_prefix_list', 'ipm-cdn0001'],
      ['policy.note_service_template', 'ppm-web0001'],
    ]);
  });
});

describe('invalid JSON says where', () => {
  test.each([
    ['aws-describe-security-group-rules.cut.json', 31, 36],
    ['aws-describe-security-groups.edited.json', 6, 13],
  ])('%s: line %i column %i, not "format not recognised"', (f, line, column) => {
    const r = parsePolicy({ name: f, text: read(f), format: null });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toEqual({ key: 'policy.bad_json', params: { name: f, line, column } });
  });

  test('near miss: valid JSON of another kind is named as such', () => {
    const r = parsePolicy({ name: 'x.json', text: '{"Reservations": []}', format: null });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.key).toBe('policy.json_unknown');
  });

  test('a forced format with broken JSON gives the place too', () => {
    const f = 'aws-describe-security-groups.edited.json';
    const r = parsePolicy({ name: f, text: read(f), format: 'aws-sg' });
    if (!r.ok) expect(r.error.params).toMatchObject({ line: 6, column: 13 });
    expect(r.ok).toBe(false);
  });
});

describe('jsonErrorOffset agrees with JSON.parse', () => {
  test.each([
    '{}',
    '[]',
    '[1,2,{"a":[true,false,null,-1.5e3,"x\\u00e9\\n"]}]',
    ' {"a":{"b":[[],[{}]]}} ',
    '"s"',
    '0',
    `${'['.repeat(50000)}${']'.repeat(50000)}`,
    ...['aws-describe-security-group-rules.json', 'tencent-templates.json'].map(read),
  ])('valid: %#', (t) => {
    expect(() => JSON.parse(t)).not.toThrow();
    expect(jsonErrorOffset(t)).toBeNull();
  });

  test.each([
    ['{"a": 1,\n "b": }', 15],
    ['{"a":1', 6],
    ['[1,]', 3],
    ['{"a":1,}', 7],
    ['{"a" 1}', 5],
    ['[01]', 2],
    ['{"a":"\t"}', 6],
    ['[1] x', 4],
    ['', 0],
    ['{"a":tru}', 5],
  ])('invalid: %j breaks at %i', (t, at) => {
    expect(() => JSON.parse(t)).toThrow();
    expect(jsonErrorOffset(t)).toBe(at);
  });
});
