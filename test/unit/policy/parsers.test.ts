import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { PROVIDERS } from '../../../shared/catalog/providers';
import { analysePolicy } from '../../../main/policy/analyse';
import { detectFormat, parsePolicies, parsePolicy } from '../../../main/policy/parse';
import type { PolicyData, PolicyRow } from '../../../shared/model/probe-data';

const dir = join(__dirname, '../../fixtures/policy');
const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
const CF = PROVIDERS.find((p) => p.id === 'cloudflare')!.ranges;

function analyse(files: string[], ports = [80, 443], ranges: readonly string[] = CF): PolicyData {
  const sets = parsePolicies(files.map((f) => ({ name: f, text: read(f), format: null })));
  if (!sets.ok) throw new Error(JSON.stringify(sets.error));
  return {
    ...analysePolicy({ sets: sets.value, ranges, ports, provider: 'Cloudflare', destinations: [] }),
    elapsedMs: 0,
  };
}

const row = (d: PolicyData, range: string, port: number): PolicyRow =>
  d.rows.find((r) => r.range === range && r.port === port)!;

/** One row as "outcome: range@file:line" per segment, for exact expectations. */
const segs = (r: PolicyRow): string[] =>
  r.segments.map((s) => `${s.outcome}: ${s.range}@${s.rule ? `${s.rule.file}:${s.rule.line}` : '-'}`);

describe('format detection', () => {
  test.each([
    ['iptables-ufw.rules', 'iptables'],
    ['ip6tables.rules', 'iptables'],
    ['nftables.conf', 'nftables'],
    ['ufw-status.txt', 'ufw'],
    ['firewalld-list-all.txt', 'firewalld'],
    ['firewalld-zone.xml', 'firewalld-xml'],
    ['aws-sg.json', 'aws-sg'],
    ['aliyun-sg.json', 'aliyun-sg'],
    ['tencent-sg.json', 'tencent-sg'],
    ['windows-rules.json', 'windows-json'],
    ['netsh-en.txt', 'windows-netsh'],
    ['netsh-zh.txt', 'windows-netsh'],
    ['nginx.conf', 'nginx'],
    ['ipset.save', 'ipset'],
  ])('%s is %s', (file, format) => {
    expect(detectFormat(read(file))).toBe(format);
  });

  test('unknown text names the supported formats', () => {
    const r = parsePolicy({ name: 'notes.txt', text: 'hello world\nnothing here', format: null });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.key).toBe('policy.format_unknown');
      expect(String(r.error.params.formats)).toContain('iptables');
      expect(String(r.error.params.formats)).toContain('aws-sg');
    }
  });

  test('a paste over the size limit is refused before parsing', () => {
    const r = parsePolicy({ name: 'big.rules', text: '#'.repeat(20 * 1024 * 1024), format: null });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toEqual({ key: 'policy.too_large', params: { name: 'big.rules', max: 8 } });
  });

  test('errors carry the line number', () => {
    const text = '*filter\n:INPUT DROP [0:0]\n-A INPUT -s 300.1.2.3/8 -j ACCEPT\nCOMMIT\n';
    const r = parsePolicy({ name: 'x.rules', text, format: null });
    expect(r).toEqual({
      ok: false,
      error: { key: 'policy.bad_address', params: { name: 'x.rules', line: 3, value: '300.1.2.3/8' } },
    });
  });

  test('XML with a DOCTYPE is refused: no entity is ever expanded', () => {
    const xxe =
      '<?xml version="1.0"?>\n<!DOCTYPE zone [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<zone><short>&x;</short></zone>';
    const r = parsePolicy({ name: 'evil.xml', text: xxe, format: null });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.key).toBe('policy.xml_doctype');
  });
});

describe('iptables-save with ufw, fail2ban and docker chains', () => {
  const d = analyse(['iptables-ufw.rules']);

  test('jumps through ufw chains to the allowing line', () => {
    expect(segs(row(d, '173.245.48.0/20', 443))).toEqual(['allow: 173.245.48.0/20@iptables-ufw.rules:58']);
  });

  test('the chain policy decides what no rule allows', () => {
    const r = row(d, '103.22.200.0/22', 443);
    expect(segs(r)).toEqual(['drop: 103.22.200.0/22@iptables-ufw.rules:18']);
    expect(r.segments[0]!.byDefault).toBe(true);
  });

  test('a fail2ban ban splits a provider range at the banned address', () => {
    const r = row(d, '162.158.0.0/15', 80);
    expect(r.outcome).toBe('partial');
    expect(segs(r)).toEqual([
      'allow: 162.158.0.0-162.158.90.16@iptables-ufw.rules:60',
      'reject: 162.158.90.17/32@iptables-ufw.rules:44',
      'allow: 162.158.90.18-162.159.255.255@iptables-ufw.rules:60',
    ]);
    expect(r.segments[1]!.ban).toBe(true);
    expect(r.allowedShare).toBeCloseTo(1 - 1 / 131072, 6);
  });

  test('a broader DROP after a narrower ACCEPT decides the rest', () => {
    expect(segs(row(d, '104.24.0.0/14', 443))).toEqual(['drop: 104.24.0.0/14@iptables-ufw.rules:62']);
    expect(segs(row(d, '104.16.0.0/13', 443))).toEqual(['allow: 104.16.0.0/13@iptables-ufw.rules:61']);
  });

  test('the filter table of IPv4 says nothing about IPv6', () => {
    expect(row(d, '2400:cb00::/32', 443).outcome).toBe('unknown');
    expect(d.coverage.v6).toBeNull();
  });

  test('anomalies: shadowed, redundant, generalization and open management ports', () => {
    const kinds = d.anomalies.map((a) => `${a.kind}:${a.rule.line}${a.other ? `<${a.other.line}` : ''}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'shadowed:63<58',
        'redundant:64<60',
        'generalization:62<61',
        'overly_permissive:65',
      ]),
    );
  });

  test('RETURN in a built-in chain meets its policy, as in the kernel', () => {
    const text =
      '*filter\n:INPUT DROP [0:0]\n-A INPUT -s 173.245.48.0/21 -j RETURN\n-A INPUT -j ACCEPT\nCOMMIT\n';
    const sets = parsePolicies([{ name: 'ret.rules', text, format: null }]);
    if (!sets.ok) throw new Error('parse');
    const d = analysePolicy({
      sets: sets.value,
      ranges: ['173.245.48.0/20'],
      ports: [443],
      provider: null,
      destinations: [],
    });
    expect(segs(d.rows[0]!)).toEqual([
      'drop: 173.245.48.0/21@ret.rules:2',
      'allow: 173.245.56.0/21@ret.rules:4',
    ]);
  });

  test('CRLF line endings give the same answer', () => {
    const crlf = read('iptables-ufw.rules').replace(/\n/g, '\r\n');
    const sets = parsePolicies([{ name: 'iptables-ufw.rules', text: crlf, format: null }]);
    expect(sets.ok).toBe(true);
    if (!sets.ok) return;
    const again = analysePolicy({
      sets: sets.value,
      ranges: CF,
      ports: [80, 443],
      provider: 'Cloudflare',
      destinations: [],
    });
    expect(again.rows).toEqual(d.rows);
  });
});

describe('other formats', () => {
  test('ipset sets and a per-source hashlimit', () => {
    const d = analyse(['iptables-ipset.rules', 'ipset.save']);
    expect(segs(row(d, '103.21.244.0/22', 443))).toEqual(['allow: 103.21.244.0/22@iptables-ipset.rules:7']);
    const r = row(d, '141.101.64.0/18', 443);
    expect(r.outcome).toBe('limited');
    expect(r.segments[0]!.limits.map((l) => [l.line, l.kind, l.perSource])).toEqual([[8, 'hashlimit', true]]);
    expect(segs(row(d, '104.16.0.0/13', 443))[1]).toBe('reject: 104.16.5.9/32@iptables-ipset.rules:5');
  });

  test('ip6tables-save: IPv6 only', () => {
    const d = analyse(['ip6tables.rules'], [443]);
    expect(segs(row(d, '2400:cb00::/32', 443))).toEqual(['allow: 2400:cb00::/32@ip6tables.rules:9']);
    expect(segs(row(d, '2a06:98c0::/29', 443))).toEqual(['reject: 2a06:98c0::/29@ip6tables.rules:11']);
    expect(d.coverage.v4).toBeNull();
    expect(d.coverage.v6).toBeCloseTo(2 / 14, 5);
  });

  test('nftables: named sets over several lines, vmap, a ban set, a second base chain with a meter', () => {
    const d = analyse(['nftables.conf']);
    expect(segs(row(d, '173.245.48.0/20', 80))).toEqual(['allow: 173.245.48.0/20@nftables.conf:22']);
    expect(row(d, '173.245.48.0/20', 443).outcome).toBe('limited');
    expect(segs(row(d, '141.101.64.0/18', 80))[1]).toBe('drop: 141.101.70.5/32@nftables.conf:20');
    expect(segs(row(d, '162.158.0.0/15', 443))).toEqual(['reject: 162.158.0.0/15@nftables.conf:25']);
    expect(segs(row(d, '2400:cb00::/32', 443))).toEqual(['allow: 2400:cb00::/32@nftables.conf:23']);
  });

  test('ufw status verbose: order, deny before allow, app profiles, the default', () => {
    const d = analyse(['ufw-status.txt']);
    expect(segs(row(d, '103.21.244.0/22', 443))).toEqual([
      'drop: 103.21.244.0/24@ufw-status.txt:10',
      'allow: 103.21.245.0-103.21.247.255@ufw-status.txt:11',
    ]);
    expect(segs(row(d, '141.101.64.0/18', 80))).toEqual(['allow: 141.101.64.0/18@ufw-status.txt:12']);
    expect(segs(row(d, '141.101.64.0/18', 443))).toEqual(['drop: 141.101.64.0/18@ufw-status.txt:3']);
    expect(segs(row(d, '2400:cb00::/32', 443))).toEqual(['allow: 2400:cb00::/32@ufw-status.txt:15']);
  });

  test('firewalld: a source zone first, rich rules deny before allow, the zone target', () => {
    const d = analyse(['firewalld-list-all.txt']);
    expect(segs(row(d, '173.245.48.0/20', 443))).toEqual(['allow: 173.245.48.0/20@firewalld-list-all.txt:6']);
    expect(segs(row(d, '173.245.48.0/20', 80))).toEqual(['reject: 173.245.48.0/20@firewalld-list-all.txt:2']);
    expect(segs(row(d, '141.101.64.0/18', 443))).toEqual([
      'reject: 141.101.64.0/24@firewalld-list-all.txt:30',
      'allow: 141.101.65.0-141.101.127.255@firewalld-list-all.txt:29',
    ]);
  });

  test('firewalld zone XML: priority, ports, DROP target', () => {
    const d = analyse(['firewalld-zone.xml']);
    expect(segs(row(d, '173.245.48.0/20', 443))).toEqual([
      'drop: 173.245.48.0/24@firewalld-zone.xml:12',
      'allow: 173.245.49.0-173.245.63.255@firewalld-zone.xml:7',
    ]);
    expect(row(d, '104.16.0.0/13', 80).outcome).toBe('allowed');
    expect(segs(row(d, '104.16.0.0/13', 443))).toEqual(['drop: 104.16.0.0/13@firewalld-zone.xml:2']);
  });

  test('AWS security groups: allow-only, silent drop otherwise', () => {
    const d = analyse(['aws-sg.json'], [443]);
    expect(segs(row(d, '103.21.244.0/22', 443))).toEqual(['allow: 103.21.244.0/22@aws-sg.json:12']);
    expect(row(d, '2400:cb00::/32', 443).outcome).toBe('allowed');
    expect(row(d, '162.158.0.0/15', 443).segments[0]!.outcome).toBe('drop');
    expect(d.anomalies.map((a) => a.kind)).toContain('overly_permissive');
  });

  test('Alibaba Cloud: priority 1 first, Drop before Accept at the same priority', () => {
    const d = analyse(['aliyun-sg.json'], [443]);
    expect(segs(row(d, '173.245.48.0/20', 443))).toEqual([
      'drop: 173.245.48.0/21@aliyun-sg.json:8',
      'allow: 173.245.56.0/21@aliyun-sg.json:7',
    ]);
    expect(row(d, '104.16.0.0/13', 443).outcome).toBe('allowed');
  });

  test('Tencent Cloud: first match by PolicyIndex; a later allow is shadowed', () => {
    const d = analyse(['tencent-sg.json'], [443]);
    expect(segs(row(d, '103.21.244.0/22', 443))).toEqual(['drop: 103.21.244.0/22@tencent-sg.json:7']);
    expect(d.anomalies.find((a) => a.kind === 'shadowed')?.rule.line).toBe(8);
  });

  test('Windows Firewall JSON: block overrides allow, disabled rules ignored, masks and ranges', () => {
    const d = analyse(['windows-rules.json'], [443]);
    expect(segs(row(d, '173.245.48.0/20', 443))).toEqual([
      'allow: 173.245.48.0/32@windows-rules.json:3',
      'drop: 173.245.48.1-173.245.48.20@windows-rules.json:12',
      'allow: 173.245.48.21-173.245.63.255@windows-rules.json:3',
    ]);
    expect(row(d, '162.158.0.0/15', 443).outcome).toBe('blocked');
  });

  test('netsh in English and in Chinese', () => {
    const en = analyse(['netsh-en.txt'], [443]);
    // "Block scanner" has protocol Any and netsh without verbose hides its program: it may be one program's.
    expect(segs(row(en, '103.21.244.0/22', 443))).toEqual([
      'unknown: 103.21.244.0/24@-',
      'allow: 103.21.245.0-103.21.247.255@netsh-en.txt:2',
    ]);
    expect(
      row(en, '103.21.244.0/22', 443).segments[0]!.possible.map((b) => [b.outcome, b.rule?.line]),
    ).toEqual(
      expect.arrayContaining([
        ['drop', 16],
        ['allow', 2],
      ]),
    );
    const zh = analyse(['netsh-zh.txt'], [443]);
    expect(segs(row(zh, '173.245.48.0/20', 443))).toEqual(['allow: 173.245.48.0/20@netsh-zh.txt:2']);
  });

  test('nginx: location / access list, deny is HTTP 403, limit_req per remote address', () => {
    const d = analyse(['nginx.conf'], [443]);
    const r = row(d, '173.245.48.0/20', 443);
    expect(r.outcome).toBe('limited');
    expect(r.segments[0]!.limits[0]!.perSource).toBe(true);
    expect(segs(row(d, '162.158.0.0/15', 443))).toEqual(['http_deny: 162.158.0.0/15@nginx.conf:19']);
    expect(d.files[0]!.notes.map((n) => n.key)).toContain('policy.note_include');
  });

  test('layers stack: the first layer that denies is named', () => {
    const d = analyse(['aws-sg.json', 'iptables-ufw.rules', 'ip6tables.rules', 'nginx.conf'], [443]);
    // The security group drops it before the host firewall sees it.
    expect(segs(row(d, '162.158.0.0/15', 443))).toEqual(['drop: 162.158.0.0/15@aws-sg.json:0']);
    // Allowed by the group and the firewall, then 403 from nginx.
    expect(segs(row(d, '2400:cb00::/32', 443))).toEqual(['http_deny: 2400:cb00::/32@nginx.conf:19']);
    expect(row(d, '173.245.48.0/20', 443).outcome).toBe('limited');
  });
});
