import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { policyChangeDataSchema, type PolicyChangeData } from '../../shared/model/policy-change';
import { runCli } from '../lab/cli';

/**
 * `origin-doctor policy --before … --after …` through the whole built CLI on before / after pairs captured from the
 * real tools in a namespace (test/fixtures/policy/change/README.md says how each was made). Needs
 * `node scripts/build-cli.mjs` first, like the other CLI tests.
 */
const dir = path.join(__dirname, '..', 'fixtures', 'policy', 'change');
const f = (name: string): string => path.join(dir, name);

async function change(
  before: string,
  after: string,
  extra: string[] = [],
): Promise<{ code: number | null; data: PolicyChangeData | null; stderr: string; stdout: string }> {
  const run = await runCli([
    'policy',
    '--before',
    f(before),
    '--after',
    f(after),
    '--provider',
    'cloudflare',
    '--port',
    '443',
    '--json',
    '-',
    ...extra,
  ]);
  let data: PolicyChangeData | null;
  try {
    data = policyChangeDataSchema.parse(JSON.parse(run.stdout));
  } catch {
    data = null;
  }
  return { code: run.code, data, stderr: run.stderr, stdout: run.stdout };
}

/** Changed rows as `range kind before→after lineBefore/lineAfter`, one per piece. */
const pieces = (d: PolicyChangeData): string[] =>
  d.rows.flatMap((r) =>
    r.changes.map(
      (p) =>
        `${p.range} ${p.kind} ${p.before.outcome}→${p.after.outcome} ${p.cause.before?.line ?? '-'}/${p.cause.after?.line ?? '-'}`,
    ),
  );

describe.each([
  ['iptables', 'base.save', 'drop-inserted.save', 'range-deleted.save', 'ssh-added.save', 8, 9, 2],
  ['nftables', 'base.nft', 'drop-inserted.nft', 'range-deleted.nft', 'ssh-added.nft', 7, 8, 3],
  ['ufw', 'base.txt', 'drop-inserted.txt', 'range-deleted.txt', 'ssh-added.txt', 8, 10, 3],
])(
  '%s: real before / after pairs',
  (tool, base, dropped, deleted, ssh, dropLine, deletedLine, policyLine) => {
    test('a DROP inserted above the allow list: the /24 is cut, by the new line', async () => {
      const r = await change(`${tool}/${base}`, `${tool}/${dropped}`);
      expect(r.code, r.stderr).toBe(1);
      expect(r.data!.verdict).toBe('cuts');
      expect(pieces(r.data!)).toEqual([
        `173.245.48.0/24 added allow→drop ${r.data!.rows[0]!.changes[0]!.cause.before!.line}/${dropLine}`,
      ]);
      expect(r.data!.rows[0]!.changes[0]!.cause.after!.file).toBe(dropped);
      expect(r.stderr).toMatch(/NOT safe for the CDN/);
      expect(r.stderr).toContain(`173.245.48.0/24 port 443 → drop: added: ${dropped}:${dropLine}`);
    });

    test('one provider range deleted: removed, the deleted line before and the default after', async () => {
      const r = await change(`${tool}/${base}`, `${tool}/${deleted}`);
      expect(r.code, r.stderr).toBe(1);
      expect(pieces(r.data!)).toEqual([`103.21.244.0/22 removed allow→drop ${deletedLine}/${policyLine}`]);
      expect(r.data!.rows[0]!.changes[0]!.cause.before!.text).toMatch(/103\.21\.244\.0\/22/);
      expect(r.data!.rows[0]!.changes[0]!.after.byDefault).toBe(true);
    });

    test('a harmless SSH rule: nothing taken away, exit 0', async () => {
      const r = await change(`${tool}/${base}`, `${tool}/${ssh}`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.data!.verdict).toBe('safe');
      expect(r.data!.rows).toEqual([]);
      expect(r.stderr).toMatch(
        /Safe for the CDN: the change takes nothing away from the 22 Cloudflare ranges/,
      );
    });

    test('the same file on both sides reports no change', async () => {
      const r = await change(`${tool}/${base}`, `${tool}/${base}`, ['--all']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.data!.rows).toHaveLength(22);
      expect(r.data!.rows.every((row) => row.effect === null && row.changes.length === 0)).toBe(true);
    });
  },
);

describe('firewalld: real before / after pairs (firewall-offline-cmd --list-all)', () => {
  const fw = (name: string): string => `firewalld/${name}`;

  test('a drop rich rule of higher priority: the /24 is cut, by the new line', async () => {
    const r = await change(fw('base.txt'), fw('drop-inserted.txt'));
    expect(r.code, r.stderr).toBe(1);
    expect(pieces(r.data!)).toEqual(['173.245.48.0/24 added allow→drop 15/15']);
    expect(r.data!.rows[0]!.changes[0]!.cause.after!.text).toContain('priority="-10"');
  });

  test("one provider range's rich rule removed: the zone's default target now rejects it", async () => {
    const r = await change(fw('base.txt'), fw('range-deleted.txt'));
    expect(r.code, r.stderr).toBe(1);
    // firewalld's `target: default` rejects (icmp-host-prohibited), unlike iptables' and nft's DROP policies.
    expect(pieces(r.data!)).toEqual(['103.21.244.0/22 removed allow→reject 16/2']);
    expect(r.data!.rows[0]!.changes[0]!.after.byDefault).toBe(true);
  });

  test('a harmless rich rule for another port: nothing taken away, exit 0', async () => {
    const r = await change(fw('base.txt'), fw('ssh-added.txt'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.data!.verdict).toBe('safe');
    expect(r.data!.rows).toEqual([]);
  });

  test('the zone target set to ACCEPT gives; the way back takes away, by the target line', async () => {
    const given = await change(fw('base.txt'), fw('target-accept.txt'));
    expect(given.code, given.stderr).toBe(0);
    expect(new Set(given.data!.rows.map((r) => r.effect))).toEqual(new Set(['given']));
    const taken = await change(fw('target-accept.txt'), fw('base.txt'));
    expect(taken.code, taken.stderr).toBe(1);
    expect(taken.data!.changedRows).toBe(given.data!.changedRows);
    expect(taken.data!.rows[0]!.changes[0]).toMatchObject({ kind: 'default_policy', effect: 'taken' });
  });
});

describe('the other kinds of change', () => {
  test('iptables: a chain policy changed from ACCEPT to DROP cuts every range the allow list lacks', async () => {
    const r = await change('iptables/policy-accept.save', 'iptables/policy-drop.save');
    expect(r.code).toBe(1);
    // 15 IPv4 ranges, two allowed by rules: 13 cut, each by the policy line. iptables-save says nothing about
    // IPv6: its 7 ranges stay unknown on both sides, which is no change.
    expect(r.data!.changedRows).toBe(13);
    expect(r.data!.rows.every((row) => row.family === 4)).toBe(true);
    for (const row of r.data!.rows)
      expect(row.changes.map((p) => [p.kind, p.cause.before?.text, p.cause.after?.text])).toEqual([
        ['default_policy', ':INPUT ACCEPT [0:0]', ':INPUT DROP [0:0]'],
      ]);
  });

  test('nftables: the policy set to accept gives, and the way back takes away', async () => {
    const given = await change('nftables/base.nft', 'nftables/policy-accept.nft');
    expect(given.code).toBe(0);
    expect(new Set(given.data!.rows.map((r) => r.effect))).toEqual(new Set(['given']));
    const taken = await change('nftables/policy-accept.nft', 'nftables/base.nft');
    expect(taken.code).toBe(1);
    expect(taken.data!.changedRows).toBe(given.data!.changedRows);
    expect(taken.data!.rows[0]!.changes[0]).toMatchObject({
      kind: 'default_policy',
      effect: 'taken',
      cause: { before: { line: 3 }, after: { line: 3 } },
    });
  });

  test('ufw: the way back from default allow incoming takes away, by the two Default lines', async () => {
    const r = await change('ufw/policy-allow.txt', 'ufw/base.txt');
    expect(r.code).toBe(1);
    const p = r.data!.rows.find((row) => row.range === '103.31.4.0/22')!.changes[0]!;
    expect(p).toMatchObject({ kind: 'default_policy', effect: 'taken' });
    expect(p.cause.before!.text).toMatch(/^Default: allow \(incoming\)/);
    expect(p.cause.after!.text).toMatch(/^Default: deny \(incoming\)/);
  });

  test('iptables: a rule moved to the top is reordered, with its old and new line', async () => {
    const r = await change('iptables/move-before.save', 'iptables/move-after.save');
    expect(r.code).toBe(1);
    expect(pieces(r.data!)).toEqual(['103.21.244.0/24 reordered allow→drop 23/5']);
    // The rule was shadowed before; moved, it no longer is, and now overrides the allow.
    expect(r.data!.anomalies.removed.some((a) => a.rule.line === 23)).toBe(true);
  });

  test.each([
    ['iptables/base.save', 'iptables/limit-added.save', 8],
    ['ufw/base.txt', 'ufw/limit-added.txt', 8],
  ])('%s → %s: a per-source limit added turns allowed into limited', async (before, after, line) => {
    const r = await change(before, after);
    expect(r.code).toBe(1);
    const cut = r.data!.rows.filter((row) => row.effect === 'taken');
    expect(cut.length).toBeGreaterThan(0);
    for (const row of cut) {
      expect([row.before, row.after]).toEqual(['allowed', 'limited']);
      expect(row.changes[0]).toMatchObject({ kind: 'added', cause: { after: { line } } });
    }
  });
});

describe('dry run: the file about to be loaded', () => {
  test('an iptables-restore file with a DROP: the cut range and port with the line', async () => {
    const r = await change('iptables/base.save', 'iptables/drop-inserted.restore');
    expect(r.code).toBe(1);
    expect(pieces(r.data!)).toEqual(['173.245.48.0/24 added allow→drop 8/9']);
    expect(r.stderr).toContain('173.245.48.0/24 port 443 → drop: added: drop-inserted.restore:9');
  });

  test('an nft -f script: the unchanged script is safe, the edited one cuts (flush ruleset read, not refused)', async () => {
    const same = await change('nftables/base.nft', 'nftables/base.nft.src');
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).toMatch(/Safe for the CDN/);
    const cut = await change('nftables/base.nft', 'nftables/drop-inserted.nft.src');
    expect(cut.code, cut.stderr).toBe(1);
    expect(pieces(cut.data!)).toEqual(['173.245.48.0/24 added allow→drop 7/11']);
  });

  test('the verdict in Chinese', async () => {
    const r = await change('iptables/base.save', 'iptables/drop-inserted.restore', ['--lang', 'zh-CN']);
    expect(r.stderr).toMatch(/对 CDN 不安全/);
    const ok = await change('iptables/base.save', 'iptables/ssh-added.save', ['--lang', 'zh-CN']);
    expect(ok.stderr).toMatch(/对 CDN 安全/);
  });
});

describe('provider list drift (--ranges-before)', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'od-drift-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test('the customer copied the IPv4 list of before 2021-04-08: named with its date, what changed since', async () => {
    const list = path.join(tmp, 'cloudflare-ips-v4.txt');
    writeFileSync(
      list,
      '# copied from cloudflare.com/ips-v4 years ago\n173.245.48.0/20\n103.21.244.0/22\n103.22.200.0/22\n103.31.4.0/22\n141.101.64.0/18\n108.162.192.0/18\n190.93.240.0/20\n188.114.96.0/20\n197.234.240.0/22\n198.41.128.0/17\n162.158.0.0/15\n104.16.0.0/12\n172.64.0.0/13\n131.0.72.0/22\n',
    );
    const r = await change('iptables/base.save', 'iptables/ssh-added.save', ['--ranges-before', list]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.data!.drift!.families).toEqual([
      { family: 4, match: { until: '2021-04-08', source: expect.stringContaining('2021-04-08') } },
    ]);
    expect(r.data!.drift!.removed).toEqual(['104.28.0.0/14']);
    expect(r.stderr).toMatch(/Your Cloudflare IPv4 list is the one published until 2021-04-08/);
    expect(r.stderr).toMatch(/no longer in the current list .*: 104\.28\.0\.0\/14/);
    // The IPv6 list was never copied, and the iptables-save says nothing about IPv6: unknown, never "allowed".
    expect(r.stderr).toMatch(/not fully allow: 2400:cb00::\/32:443 \(unknown\)/);
  });

  test('a bad line in the ranges file: exit 2, the option, file and line', async () => {
    const list = path.join(tmp, 'bad.txt');
    writeFileSync(list, '173.245.48.0/20\n173.245.48.0/40\n');
    const r = await change('iptables/base.save', 'iptables/ssh-added.save', ['--ranges-before', list]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--ranges-before/);
    expect(r.stderr).toMatch(/line 2/);
  });
});

describe('bad input', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'od-change-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test('a broken after file: exit 2, one line naming the file and line', async () => {
    const bad = path.join(tmp, 'rules.v4');
    writeFileSync(bad, '*filter\n:INPUT DROP [0:0]\n-A INPUT -s 300.1.2.3 -j ACCEPT\nCOMMIT\n');
    const r = await runCli([
      'policy',
      '--before',
      f('iptables/base.save'),
      '--after',
      bad,
      '--provider',
      'cloudflare',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/rules\.v4 line 3: 300\.1\.2\.3 is not an address/);
  });

  test('the same base name on both sides is shown with its path', async () => {
    const bad = path.join(tmp, 'base.save');
    writeFileSync(bad, '*filter\n:INPUT DROP [0:0]\n-A INPUT -s 10.0.0.256 -j DROP\nCOMMIT\n');
    const r = await runCli(['policy', '--before', f('iptables/base.save'), '--after', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad} line 3`);
  });

  test.each([
    [['--before', 'x'], /needs --after too/],
    [['--after', 'x'], /needs --after too/],
    [['--rules', 'x', '--before', 'x', '--after', 'y'], /--rules cannot be combined/],
    [['--rules', 'x', '--all'], /--all only applies/],
  ])('%j: exit 2 with one line', async (args, message) => {
    const r = await runCli(['policy', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
