import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseRange, spanToCidrs, type Family } from '../../../main/policy/addr';
import { evaluateSpan, type Query } from '../../../main/policy/evaluate';
import { POLICY_FORMATS } from '../../../main/policy/model';
import { parsePolicies, parsePolicy } from '../../../main/policy/parse';
import { evaluateAddress, evaluateAddressIn } from '../../../main/policy/reference';

/**
 * The interval evaluator against the naive per-address reference, on random iptables rule sets with user chains,
 * RETURN, rate limits and negations; and every parser against garbage.
 */

const octet = fc.integer({ min: 0, max: 255 });
// A small address neighbourhood so random rules overlap often.
const cidr = fc
  .tuple(fc.constantFrom(10, 172), octet, fc.integer({ min: 8, max: 32 }))
  .map(([a, b, p]) => `${a}.${b % 4}.${(b * 7) % 256}.${(b * 13) % 256}/${p}`);
const port = fc.constantFrom(22, 80, 443, 8443);
const action = fc.constantFrom('ACCEPT', 'DROP', 'REJECT', 'RETURN', 'sub', 'LOG');

interface RandomRule {
  chain: string;
  src?: string | undefined;
  not: boolean;
  port?: number | undefined;
  action: string;
  limit: boolean;
  /** A `-m mark` match: nothing in a rule file tells whether it matches. */
  mark: boolean;
}

const rule = fc.record({
  chain: fc.constantFrom('INPUT', 'INPUT', 'sub'),
  src: fc.option(cidr, { nil: undefined }),
  not: fc.boolean(),
  port: fc.option(port, { nil: undefined }),
  action,
  limit: fc.boolean(),
  mark: fc.constantFrom(false, false, false, false, false, true),
});

function rulesText(rules: RandomRule[], policy: string): string {
  const lines = ['*filter', `:INPUT ${policy} [0:0]`, ':sub - [0:0]'];
  let marks = 0;
  for (const r of rules) {
    // A sub-chain jumping to itself would only test the depth cap.
    const target = r.chain === 'sub' && r.action === 'sub' ? 'ACCEPT' : r.action;
    const parts = [`-A ${r.chain}`];
    if (r.src) parts.push(`${r.not ? '! ' : ''}-s ${r.src}`);
    if (r.port) parts.push(`-p tcp -m tcp --dport ${r.port}`);
    // At most six uncertain rules: the reference enumerates every way of deciding them.
    if (r.mark && marks < 6) parts.push(`-m mark --mark 0x${++marks}`);
    if (r.limit && target !== 'LOG')
      parts.push('-m hashlimit --hashlimit-above 5/sec --hashlimit-mode srcip --hashlimit-name x');
    parts.push(`-j ${target}`);
    lines.push(parts.join(' '));
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

describe('evaluator agrees with the per-address reference', () => {
  test('on random rule sets and sampled addresses', () => {
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 25 }),
        fc.constantFrom('DROP', 'ACCEPT'),
        cidr,
        port,
        fc.array(fc.integer({ min: 0, max: 2 ** 24 }), { minLength: 1, maxLength: 30 }),
        (rules, policy, rangeText, p, offsets) => {
          const text = rulesText(rules, policy);
          const parsed = parsePolicies([{ name: 'r', text, format: 'iptables' }]);
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          const range = parseRange(rangeText)!;
          const q: Query = { family: range.family as Family, port: p, proto: 'tcp', dst: null };
          const segments = evaluateSpan(parsed.value, range.span, q);
          // The segments tile the range exactly.
          expect(segments[0]!.lo).toBe(range.span.lo);
          expect(segments[segments.length - 1]!.hi).toBe(range.span.hi);
          for (let i = 1; i < segments.length; i++) expect(segments[i]!.lo).toBe(segments[i - 1]!.hi + 1n);
          const size = range.span.hi - range.span.lo + 1n;
          // Sample addresses, plus every segment's edges (where an off-by-one would hide).
          const samples = [
            ...offsets.map((o) => range.span.lo + (BigInt(o) % size)),
            ...segments.flatMap((s) => [s.lo, s.hi]),
          ];
          for (const n of samples) {
            const seg = segments.find((s) => n >= s.lo && n <= s.hi)!;
            expect([n, seg.outcome]).toEqual([n, evaluateAddress(parsed.value, n, q)]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('an unknown rule never turns into a confident outcome', () => {
    fc.assert(
      fc.property(
        fc.array(
          rule.map((r) => ({ ...r, mark: r.mark || r.action === 'sub' })),
          { minLength: 1, maxLength: 12 },
        ),
        fc.constantFrom('DROP', 'ACCEPT'),
        cidr,
        port,
        fc.array(fc.integer({ min: 0, max: 2 ** 24 }), { minLength: 1, maxLength: 10 }),
        (rules, policy, rangeText, p, offsets) => {
          const parsed = parsePolicies([{ name: 'r', text: rulesText(rules, policy), format: 'iptables' }]);
          if (!parsed.ok) return;
          const sets = parsed.value;
          const range = parseRange(rangeText)!;
          const q: Query = { family: range.family as Family, port: p, proto: 'tcp', dst: null };
          const segments = evaluateSpan(sets, range.span, q);
          const uncertain = Object.values(sets[0]!.programs[4]!.chains).flatMap((c) =>
            c.rules.filter((r) => r.assumed),
          );
          const size = range.span.hi - range.span.lo + 1n;
          for (const n of offsets.map((o) => range.span.lo + (BigInt(o) % size))) {
            const seg = segments.find((s) => n >= s.lo && n <= s.hi)!;
            // Every uncertain rule alone flipped against all matching and all not matching.
            for (const base of [true, false])
              for (const flip of uncertain) {
                const a = evaluateAddressIn(sets, n, q, () => base);
                const b = evaluateAddressIn(sets, n, q, (r) => (r === flip ? !base : base));
                if (a !== b) expect([n, seg.outcome]).toEqual([n, 'unknown']);
                if (seg.outcome !== 'unknown') expect([n, seg.outcome]).toEqual([n, a]);
              }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('CIDR blocks of a span cover it exactly', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 20n }),
        (lo, len) => {
          const hi = lo + len > 2n ** 32n - 1n ? 2n ** 32n - 1n : lo + len;
          const blocks = spanToCidrs({ lo, hi }, 4).map((c) => parseRange(c)!.span);
          expect(blocks[0]!.lo).toBe(lo);
          expect(blocks[blocks.length - 1]!.hi).toBe(hi);
          for (let i = 1; i < blocks.length; i++) expect(blocks[i]!.lo).toBe(blocks[i - 1]!.hi + 1n);
        },
      ),
    );
  });
});

describe('parsers never throw on garbage', () => {
  const garbage = fc.oneof(
    fc.string({ maxLength: 400 }),
    fc
      .array(
        fc.oneof(
          fc.constantFrom(
            '*filter',
            'COMMIT',
            ':INPUT DROP [0:0]',
            '-A INPUT',
            'table inet f {',
            '}',
            'chain input {',
            'Status: active',
            'To Action From',
            '  target: default',
            '<zone>',
            '<rule>',
            'server {',
            'allow',
            'deny all;',
            '{',
            '"',
            "'",
            'Rule Name: x',
            '__proto__',
            '{"__proto__":{"x":1}}',
            '[{"Action":"Allow"}]',
            '-s',
            '--dport',
            '!',
            '-j',
          ),
          fc.string({ maxLength: 40 }),
        ),
        { maxLength: 30 },
      )
      .map((ws) => ws.join(fc.sample(fc.constantFrom(' ', '\n', '\r\n', '\t'), 1)[0]!)),
  );
  test.each([...POLICY_FORMATS, null])('format %s', (format) => {
    fc.assert(
      fc.property(garbage, (text) => {
        const r = parsePolicy({ name: 'g', text, format });
        if (!r.ok) {
          expect(typeof r.error.key).toBe('string');
          if ('line' in r.error.params) expect(Number(r.error.params.line)).toBeGreaterThanOrEqual(0);
        }
        // Prototype keys in JSON stay data.
        expect(({} as Record<string, unknown>).x).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });
});
