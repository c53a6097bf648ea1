import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { comparePolicies, ruleIdentityText } from '../../../main/policy/compare';
import { formatPolicyChangeText } from '../../../main/policy/compare-format';
import type { RuleSet } from '../../../main/policy/model';
import { parsePolicies } from '../../../main/policy/parse';
import { createTranslator } from '../../../shared/i18n/translate';
import type { PolicyChangeData } from '../../../shared/model/policy-change';

/**
 * Change impact on hand-written iptables-save pairs, one per kind of change, each with the near miss that must not
 * count; then properties on random rule sets: a set compared with itself changes nothing, and A→B mirrors B→A.
 */

function sets(name: string, text: string): RuleSet[] {
  const r = parsePolicies([{ name, text, format: null }]);
  if (!r.ok) throw new Error(`${name}: ${r.error.key} ${JSON.stringify(r.error.params)}`);
  return r.value;
}

const save = (policy: string, rules: string[]): string =>
  [
    '*filter',
    `:INPUT ${policy} [0:0]`,
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...rules,
    'COMMIT',
    '',
  ].join('\n');

const ALLOW = [
  '-A INPUT -i lo -j ACCEPT',
  '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
  '-A INPUT -s 173.245.48.0/20 -p tcp -m multiport --dports 80,443 -j ACCEPT',
  '-A INPUT -s 103.21.244.0/22 -p tcp -m multiport --dports 80,443 -j ACCEPT',
];
const RANGES = ['173.245.48.0/20', '103.21.244.0/22'];

function compare(before: string, after: string, all = false): Omit<PolicyChangeData, 'elapsedMs' | 'drift'> {
  return comparePolicies({
    before: sets('v1.rules', before),
    after: sets('v2.rules', after),
    ranges: RANGES,
    ports: [443],
    provider: 'Cloudflare',
    destinations: [],
    all,
  });
}

describe('each kind of change, with its lines', () => {
  test('a DROP inserted above the allow list: added, taken away, the new line named', () => {
    const d = compare(
      save('DROP', ALLOW),
      save('DROP', [ALLOW[0]!, '-A INPUT -s 173.245.48.0/24 -j DROP', ...ALLOW.slice(1)]),
    );
    expect(d.verdict).toBe('cuts');
    expect(d.rows).toHaveLength(1);
    const row = d.rows[0]!;
    expect([row.range, row.before, row.after, row.effect]).toEqual([
      '173.245.48.0/20',
      'allowed',
      'partial',
      'taken',
    ]);
    expect(row.changes).toHaveLength(1);
    const p = row.changes[0]!;
    expect([p.range, p.kind, p.before.outcome, p.after.outcome]).toEqual([
      '173.245.48.0/24',
      'added',
      'allow',
      'drop',
    ]);
    expect(p.cause.after).toMatchObject({
      file: 'v2.rules',
      line: 6,
      text: '-A INPUT -s 173.245.48.0/24 -j DROP',
    });
    expect(p.cause.before).toMatchObject({ file: 'v1.rules', line: 7 });
    expect(d.after.coverage.v4).toBeLessThan(d.before.coverage.v4!);
  });

  test('near miss: a DROP inserted above the allow list for addresses outside the provider changes nothing', () => {
    const d = compare(
      save('DROP', ALLOW),
      save('DROP', [ALLOW[0]!, '-A INPUT -s 198.51.100.0/24 -j DROP', ...ALLOW.slice(1)]),
    );
    expect(d.verdict).toBe('safe');
    expect(d.rows).toEqual([]);
    expect(d.changedRows).toBe(0);
  });

  test('one provider range deleted: removed, the deleted line on the before side, the default on the after side', () => {
    const d = compare(save('DROP', ALLOW), save('DROP', ALLOW.slice(0, 3)));
    expect(d.verdict).toBe('cuts');
    const p = d.rows.find((r) => r.range === '103.21.244.0/22')!.changes[0]!;
    expect(p.kind).toBe('removed');
    expect(p.cause.before).toMatchObject({ file: 'v1.rules', line: 8, text: ALLOW[3] });
    expect(p.after).toMatchObject({ outcome: 'drop', byDefault: true });
    expect(p.cause.after).toMatchObject({ file: 'v2.rules', line: 2 });
  });

  test('a chain policy changed: default_policy with both policy lines', () => {
    const rules = ['-A INPUT -i lo -j ACCEPT', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT'];
    const d = compare(save('ACCEPT', rules), save('DROP', rules));
    expect(d.verdict).toBe('cuts');
    expect(d.rows).toHaveLength(2);
    for (const r of d.rows) {
      const p = r.changes[0]!;
      expect(p.kind).toBe('default_policy');
      expect(p.cause.before).toMatchObject({ line: 2, text: ':INPUT ACCEPT [0:0]' });
      expect(p.cause.after).toMatchObject({ line: 2, text: ':INPUT DROP [0:0]' });
    }
  });

  test('near miss: a policy change that the allow list shields changes nothing', () => {
    expect(compare(save('ACCEPT', ALLOW), save('DROP', ALLOW)).verdict).toBe('safe');
  });

  test('a rule moved above the allow: reordered, with where it was and where it is', () => {
    const drop = '-A INPUT -s 103.21.244.0/24 -p tcp -j DROP';
    const d = compare(save('DROP', [...ALLOW, drop]), save('DROP', [drop, ...ALLOW]));
    expect(d.verdict).toBe('cuts');
    expect(d.rows).toHaveLength(1);
    const p = d.rows[0]!.changes[0]!;
    expect([p.range, p.kind]).toEqual(['103.21.244.0/24', 'reordered']);
    expect(p.cause.before).toMatchObject({ file: 'v1.rules', line: 9, text: drop });
    expect(p.cause.after).toMatchObject({ file: 'v2.rules', line: 5, text: drop });
  });

  test('near miss: two allow rules swapped, and every line moved by a comment, change nothing', () => {
    const swapped = [ALLOW[0]!, ALLOW[1]!, ALLOW[3]!, ALLOW[2]!];
    const d = compare(save('DROP', ALLOW), `# a comment\n# another\n${save('DROP', swapped)}`);
    expect(d.verdict).toBe('safe');
    expect(d.rows).toEqual([]);
    expect(d.anomalies.introducedCount + d.anomalies.removedCount).toBe(0);
  });

  test('a per-source limit added: added, allow → limited, taken away', () => {
    const limit =
      '-A INPUT -p tcp -m tcp --dport 443 -m hashlimit --hashlimit-above 20/sec --hashlimit-mode srcip --hashlimit-name web -j DROP';
    const d = compare(save('DROP', ALLOW), save('DROP', [ALLOW[0]!, limit, ...ALLOW.slice(1)]));
    expect(d.verdict).toBe('cuts');
    expect(d.rows).toHaveLength(2);
    for (const r of d.rows) {
      expect([r.before, r.after, r.effect]).toEqual(['allowed', 'limited', 'taken']);
      expect(r.changes[0]).toMatchObject({ kind: 'added', cause: { after: { line: 6, text: limit } } });
    }
  });

  test('a harmless change (an SSH rule): nothing taken away, and --all still lists every row unchanged', () => {
    const after = save('DROP', [...ALLOW, '-A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 2222 -j ACCEPT']);
    const d = compare(save('DROP', ALLOW), after);
    expect(d.verdict).toBe('safe');
    expect(d.rows).toEqual([]);
    const all = compare(save('DROP', ALLOW), after, true);
    expect(all.rows.map((r) => [r.range, r.effect, r.changes.length])).toEqual([
      ['173.245.48.0/20', null, 0],
      ['103.21.244.0/22', null, 0],
    ]);
    expect(formatPolicyChangeText({ ...d, drift: null, elapsedMs: 0 }, createTranslator('en'))).toMatch(
      /Safe for the CDN: the change takes nothing away/,
    );
  });

  test('unknown stays unknown: an allow bound to an interface the file does not resolve cannot be called safe', () => {
    // -i eth0: the reader cannot know which interface the provider arrives on.
    const after = save('DROP', [
      ALLOW[0]!,
      ALLOW[1]!,
      '-A INPUT -i eth0 -s 173.245.48.0/20 -p tcp -j ACCEPT',
      ALLOW[3]!,
    ]);
    const d = compare(save('DROP', ALLOW), after);
    const row = d.rows.find((r) => r.range === '173.245.48.0/20')!;
    expect(row.after).toBe('unknown');
    expect(row.effect).toBe('unknown');
    expect(d.verdict).toBe('undecided');
    // The other way round nothing can be taken away: it was unknown, it is surely allowed now.
    const back = compare(after, save('DROP', ALLOW));
    expect(back.verdict).toBe('safe');
    expect(back.rows[0]!.effect).toBe('maybe_given');
  });

  test('anomalies introduced and removed are told apart by rule identity, not line', () => {
    const shadowed = '-A INPUT -s 173.245.48.0/24 -p tcp -m multiport --dports 80,443 -j DROP';
    const d = compare(save('DROP', ALLOW), save('DROP', [...ALLOW, shadowed]));
    expect(d.verdict).toBe('safe');
    expect(d.anomalies.introduced.map((a) => [a.kind, a.rule.line, a.other?.line])).toEqual([
      ['shadowed', 9, 7],
    ]);
    const back = compare(save('DROP', [...ALLOW, shadowed]), save('DROP', ALLOW));
    expect(back.anomalies.removed.map((a) => [a.kind, a.rule.line])).toEqual([['shadowed', 9]]);
    expect(back.anomalies.introducedCount).toBe(0);
  });
});

test('rule identity ignores counters, list numbers and handles, not the rule', () => {
  expect(
    ruleIdentityText(
      'iptables',
      '1        0     0 ACCEPT     0    --  lo     *       0.0.0.0/0            0.0.0.0/0',
    ),
  ).toBe(
    ruleIdentityText(
      'iptables',
      '7     12K  3456 ACCEPT     0    --  lo     *       0.0.0.0/0            0.0.0.0/0',
    ),
  );
  expect(ruleIdentityText('ufw', '[ 1] 443/tcp DENY IN 103.21.244.0/22')).toBe(
    '443/tcp DENY IN 103.21.244.0/22',
  );
  expect(
    ruleIdentityText('nftables', 'ip saddr 1.2.3.0/24 counter packets 5 bytes 300 accept # handle 7'),
  ).toBe('ip saddr 1.2.3.0/24 counter accept');
  expect(ruleIdentityText('iptables', '-A INPUT -s 10.0.0.0/8 -j ACCEPT')).not.toBe(
    ruleIdentityText('iptables', '-A INPUT -s 10.0.0.0/16 -j ACCEPT'),
  );
});

describe('properties on random rule sets', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const cidr = fc
    .tuple(fc.constantFrom(173, 103), octet, fc.integer({ min: 16, max: 28 }))
    .map(([a, b, p]) => (a === 173 ? `173.245.${48 + (b % 16)}.0/${p}` : `103.21.${244 + (b % 4)}.0/${p}`));
  const rule = fc.record({
    src: fc.option(cidr, { nil: undefined }),
    port: fc.option(fc.constantFrom(22, 80, 443), { nil: undefined }),
    action: fc.constantFrom('ACCEPT', 'DROP', 'REJECT'),
    limit: fc.constantFrom(false, false, false, true),
    iface: fc.constantFrom(false, false, false, false, true),
  });
  const ruleSet = fc.record({
    policy: fc.constantFrom('ACCEPT', 'DROP'),
    rules: fc.array(rule, { maxLength: 12 }),
  });
  type R = {
    src?: string | undefined;
    port?: number | undefined;
    action: string;
    limit: boolean;
    iface: boolean;
  };
  const text = (s: { policy: string; rules: R[] }): string =>
    save(
      s.policy,
      s.rules.map((r) =>
        [
          '-A INPUT',
          r.iface ? '-i eth0' : '',
          r.src ? `-s ${r.src}` : '',
          r.port ? `-p tcp -m tcp --dport ${r.port}` : '',
          r.limit ? '-m hashlimit --hashlimit-above 5/sec --hashlimit-mode srcip --hashlimit-name x' : '',
          `-j ${r.action}`,
        ]
          .filter(Boolean)
          .join(' '),
      ),
    );
  const run = (a: string, b: string) =>
    comparePolicies({
      before: sets('a', a),
      after: sets('b', b),
      ranges: RANGES,
      ports: [80, 443],
      provider: null,
      destinations: [],
      all: true,
    });

  test('a set compared with itself reports no change', () => {
    fc.assert(
      fc.property(ruleSet, (s) => {
        const d = run(text(s), text(s));
        expect(d.changedRows).toBe(0);
        expect(d.verdict).toBe('safe');
        expect(d.rows.every((r) => r.changes.length === 0 && r.before === r.after)).toBe(true);
        expect(d.anomalies.introducedCount + d.anomalies.removedCount).toBe(0);
      }),
      { numRuns: 150, seed: 22 },
    );
  });

  test('A→B and B→A give mirrored rows', () => {
    const mirror: Record<string, string> = {
      taken: 'given',
      given: 'taken',
      neutral: 'neutral',
    };
    fc.assert(
      fc.property(ruleSet, ruleSet, (x, y) => {
        const ab = run(text(x), text(y));
        const ba = run(text(y), text(x));
        expect(ba.changedRows).toBe(ab.changedRows);
        expect(ba.rows.map((r) => [r.range, r.port, r.after, r.before, r.afterShare, r.beforeShare])).toEqual(
          ab.rows.map((r) => [r.range, r.port, r.before, r.after, r.beforeShare, r.afterShare]),
        );
        // Pieces may be cut differently (the causes differ: added one way, removed the other), so compare the
        // addresses per outcome pair and per effect.
        const tallyOf = (
          changes: PolicyChangeData['rows'][number]['changes'],
          flip: boolean,
        ): Record<string, bigint> => {
          const t: Record<string, bigint> = {};
          for (const p of changes) {
            const [x, y] = flip ? [p.after, p.before] : [p.before, p.after];
            // Where one side is unknown the effect is not symmetric (allow → unknown may take away, unknown →
            // allow cannot): the outcomes say it all.
            const effect = mirror[p.effect] ? (flip ? mirror[p.effect] : p.effect) : '?';
            const k = `${x.outcome}>${y.outcome} ${effect}`;
            t[k] = (t[k] ?? 0n) + BigInt(p.addresses);
          }
          return t;
        };
        for (const [i, r] of ab.rows.entries()) {
          expect(r.moreChanges + ba.rows[i]!.moreChanges).toBe(0);
          expect(tallyOf(ba.rows[i]!.changes, true)).toEqual(tallyOf(r.changes, false));
        }
        expect(ba.anomalies.introducedCount).toBe(ab.anomalies.removedCount);
        expect(ba.anomalies.removedCount).toBe(ab.anomalies.introducedCount);
      }),
      { numRuns: 150, seed: 22 },
    );
  });
});

test('an nft -f script may start with flush ruleset (the dry run of the file about to be loaded); other commands are refused', () => {
  const body =
    'table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\ttcp dport 443 accept\n\t}\n}\n';
  const ok = parsePolicies([
    { name: 'rules.nft', text: `#!/usr/sbin/nft -f\nflush ruleset\n\n${body}`, format: null },
  ]);
  expect(ok.ok).toBe(true);
  const partial = parsePolicies([
    { name: 'rules.nft', text: `flush table inet filter\n${body}`, format: null },
  ]);
  expect(partial).toMatchObject({
    ok: false,
    error: { key: 'policy.nft_outside_table', params: { line: 1 } },
  });
});
