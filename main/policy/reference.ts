import { MAX, type AddrSet, type Family } from './addr';
import { ruleApplies, uncertainty, type Outcome, type Query } from './evaluate';
import type { Program, Rule, RuleSet, Verdict } from './model';

/**
 * The naive evaluator: one address at a time, rule by rule, exactly as the kernel walks a packet. Slow on
 * purpose and written without any interval arithmetic, so the tests and the benchmark can hold the real
 * evaluator against it. A rule the reader could not evaluate fully matches or not as `decide` says; the answer for an
 * address is confident only when every way of deciding those rules gives it.
 */

/** Whether an uncertain rule matches, in one possible world. */
type Decide = (rule: Rule) => boolean;

function contains(set: AddrSet, family: Family, n: bigint): boolean {
  for (const s of set[family]) if (n >= s.lo && n <= s.hi) return true;
  return false;
}

interface Walk {
  verdict: Verdict | null;
  rule: Rule | null;
  limited: boolean;
}

function walk(
  program: Program,
  name: string,
  n: bigint,
  q: Query,
  depth: number,
  limited: boolean,
  decide: Decide,
): Walk {
  const chain = program.chains[name];
  if (!chain || depth > 32) return { verdict: null, rule: null, limited };
  for (const rule of chain.rules) {
    if (!ruleApplies(rule, q)) continue;
    if (rule.src && contains(rule.src, q.family, n) === rule.srcNot) continue;
    if (uncertainty(rule, q) !== null && !decide(rule)) continue;
    if (rule.rate) {
      limited = true;
      continue;
    }
    if (rule.action === 'accept' || rule.action === 'drop' || rule.action === 'reject')
      return { verdict: rule.action, rule, limited };
    if (rule.action === 'return') return { verdict: null, rule: null, limited };
    if (rule.action === 'jump' || rule.action === 'goto') {
      const sub = walk(program, rule.target ?? '', n, q, depth + 1, limited, decide);
      limited = sub.limited;
      if (sub.verdict) return sub;
      if (rule.action === 'goto') return { verdict: null, rule: null, limited };
    }
  }
  return { verdict: chain.policy, rule: null, limited };
}

/** The outcome for one address in one world: every uncertain rule matching or not as `decide` says. */
export function evaluateAddressIn(sets: readonly RuleSet[], n: bigint, q: Query, decide: Decide): Outcome {
  if (n < 0n || n > MAX[q.family]) throw new RangeError('address outside its family');
  let limited = false;
  let spoke = false;
  for (const set of sets) {
    const program = set.programs[q.family];
    if (!program) continue;
    spoke = true;
    for (const entry of program.entry) {
      const w = walk(program, entry, n, q, 0, limited, decide);
      limited = w.limited;
      // RETURN (or a goto's end) in a base chain meets its default; a base chain without one accepts.
      const verdict = w.verdict ?? program.chains[entry]?.policy ?? 'accept';
      if (verdict !== 'accept') return w.rule?.http ? 'http_deny' : verdict;
    }
  }
  if (!spoke) return 'unknown';
  return limited ? 'limited' : 'allow';
}

/** Uncertain rules are enumerated up to this many; beyond, the reference refuses (it is for tests and benches). */
const MAX_UNCERTAIN = 14;

/** Every outcome one address can have, over every way of deciding the uncertain rules that could touch it. */
export function possibleOutcomes(sets: readonly RuleSet[], n: bigint, q: Query): Set<Outcome> {
  const unsure: Rule[] = [];
  for (const set of sets) {
    const program = set.programs[q.family];
    if (!program) continue;
    for (const c of Object.values(program.chains))
      for (const r of c.rules)
        if (
          ruleApplies(r, q) &&
          uncertainty(r, q) !== null &&
          (!r.src || contains(r.src, q.family, n) !== r.srcNot) &&
          !unsure.includes(r)
        )
          unsure.push(r);
  }
  if (unsure.length > MAX_UNCERTAIN) throw new RangeError('too many uncertain rules for the reference');
  const out = new Set<Outcome>();
  for (let mask = 0; mask < 2 ** unsure.length; mask++)
    out.add(evaluateAddressIn(sets, n, q, (r) => ((mask >> unsure.indexOf(r)) & 1) === 1));
  return out;
}

/** The outcome for one address, through every layer in order: `unknown` when it depends on an uncertain rule. */
export function evaluateAddress(sets: readonly RuleSet[], n: bigint, q: Query): Outcome {
  const all = possibleOutcomes(sets, n, q);
  return all.size === 1 ? [...all][0]! : 'unknown';
}
