import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../lab/cli';

/**
 * Every real output under test/fixtures/policy/real through the whole built CLI (`origin-doctor policy`): read
 * from disk as saved (UTF-16, GBK, BOMs), detected, analysed, printed as JSON — or refused with one line saying
 * where. Needs `node scripts/build-cli.mjs` first, like the other CLI tests.
 */
const root = path.join(__dirname, '..', 'fixtures', 'policy', 'real');
const files = (dir: string): string[] =>
  readdirSync(path.join(root, dir))
    .filter((f) => !/^README\.md$|\.sh$|\.src$/.test(f)) // notes, the scripts that made them, their sources
    .sort();

interface Data {
  files: { format: string }[];
  rows: { range: string; port: number; outcome: string; segments: { outcome: string }[] }[];
}

async function policy(file: string): Promise<{ code: number | null; data: Data | null; stderr: string }> {
  const run = await runCli([
    'policy',
    '--rules',
    file,
    '--provider',
    'cloudflare',
    '--port',
    '443',
    '--json',
    '-',
  ]);
  let data: Data | null;
  try {
    data = JSON.parse(run.stdout) as Data;
  } catch {
    data = null;
  }
  return { code: run.code, data, stderr: run.stderr };
}

/** Per range: the outcome and its segments' outcomes (file names left out, so encodings compare). */
const shape = (d: Data): string[] =>
  d.rows.map((r) => `${r.range}:${r.port} ${r.outcome} ${r.segments.map((s) => s.outcome).join(',')}`);

const FORMATS: Record<string, string> = {
  iptables: 'iptables',
  nginx: 'nginx',
  nftables: 'nftables',
  ufw: 'ufw',
};

describe('every real output through the CLI', () => {
  for (const dir of ['iptables', 'nginx', 'windows', 'cloud', 'nftables', 'ufw', 'firewalld'])
    test.each(files(dir))(`${dir}/%s`, async (name) => {
      const r = await policy(path.join(root, dir, name));
      if (/\.(cut|edited)\.json$/.test(name)) {
        // A broken export: exit 2, one line naming the file, line and column.
        expect(r.code).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(
          new RegExp(`${name.replace(/\./g, '\\.')} line \\d+, column \\d+: not valid JSON`),
        );
        return;
      }
      if (name === 'aws-describe-security-groups.skeleton.json') {
        // The AWS CLI's own shape with placeholder values: read as AWS, refused at the first non-address.
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/CidrIp/);
        return;
      }
      if (name === 'aws-describe-security-group-rules.skeleton.json') {
        // Its one rule is an egress rule ("IsEgress": true): nothing inbound is allowed.
        expect(r.code).toBe(1);
        expect(r.data!.rows.every((row) => row.outcome === 'blocked')).toBe(true);
        return;
      }
      expect([0, 1], r.stderr).toContain(r.code);
      expect(r.data).not.toBeNull();
      const format =
        FORMATS[dir] ??
        (dir === 'firewalld'
          ? /\.xml$/.test(name)
            ? 'firewalld-xml'
            : 'firewalld'
          : dir === 'windows'
            ? /json$/.test(name)
              ? 'windows-json'
              : 'windows-netsh'
            : /^aws/.test(name)
              ? 'aws-sg'
              : 'tencent-sg');
      expect(r.data!.files[0]!.format).toBe(/ipset-save/.test(name) ? 'ipset' : format);
      expect(r.data!.rows).toHaveLength(22);
    });

  test.each([
    ['netsh-en.utf16le-nobom.txt', 'netsh-en.txt'],
    ['netsh-en-verbose.utf16le-bom.txt', 'netsh-en-verbose.txt'],
    ['netsh-en-verbose-with-profile.utf8-bom.txt', 'netsh-en-verbose-with-profile.txt'],
    ['netsh-zh.gbk.txt', 'netsh-zh.txt'],
    ['netsh-zh-verbose.utf16le-bom.txt', 'netsh-zh-verbose.txt'],
    ['netsh-zh-verbose-with-profile.gbk.txt', 'netsh-zh-verbose-with-profile.txt'],
    ['get-netfirewallrule.utf16le-bom.json', 'get-netfirewallrule.json'],
  ])('windows/%s reads as windows/%s does', async (encoded, plain) => {
    const a = await policy(path.join(root, 'windows', encoded));
    const b = await policy(path.join(root, 'windows', plain));
    expect(a.code).toBe(b.code);
    expect(shape(a.data!)).toEqual(shape(b.data!));
  });
});
