import { MAX, type AddrSet, type Family } from './addr';
import { ruleApplies, type Outcome, type Query } from './evaluate';
import type { Program, Rule, RuleSet, Verdict } from './model';

/**
 * The naive evaluator: one address at a time, rule by rule, exactly as the kernel walks a packet. Slow on
 * purpose and written without any interval arithmetic, so the tests and the benchmark can hold the real
 * evaluator against it.
 */

function contains(set: AddrSet, family: Family, n: bigint): boolean {
  for (const s of set[family]) if (n >= s.lo && n <= s.hi) return true;
  return false;
}

interface Walk {
  verdict: Verdict | null;
  rule: Rule | null;
  limited: boolean;
}

function walk(program: Program, name: string, n: bigint, q: Query, depth: number, limited: boolean): Walk {
  const chain = program.chains[name];
  if (!chain || depth > 32) return { verdict: null, rule: null, limited };
  for (const rule of chain.rules) {
    if (!ruleApplies(rule, q)) continue;
    if (rule.src && contains(rule.src, q.family, n) === rule.srcNot) continue;
    if (rule.rate) {
      limited = true;
      continue;
    }
    if (rule.action === 'accept' || rule.action === 'drop' || rule.action === 'reject')
      return { verdict: rule.action, rule, limited };
    if (rule.action === 'return') return { verdict: null, rule: null, limited };
    if (rule.action === 'jump' || rule.action === 'goto') {
      const sub = walk(program, rule.target ?? '', n, q, depth + 1, limited);
      limited = sub.limited;
      if (sub.verdict) return sub;
      if (rule.action === 'goto') return { verdict: null, rule: null, limited };
    }
  }
  return { verdict: chain.policy, rule: null, limited };
}

/** The outcome for one address, through every layer in order. */
export function evaluateAddress(sets: readonly RuleSet[], n: bigint, q: Query): Outcome {
  if (n < 0n || n > MAX[q.family]) throw new RangeError('address outside its family');
  let limited = false;
  let spoke = false;
  for (const set of sets) {
    const program = set.programs[q.family];
    if (!program) continue;
    spoke = true;
    for (const entry of program.entry) {
      const w = walk(program, entry, n, q, 0, limited);
      limited = w.limited;
      // RETURN (or a goto's end) in a base chain meets its default; a base chain without one accepts.
      const verdict = w.verdict ?? program.chains[entry]?.policy ?? 'accept';
      if (verdict !== 'accept') return w.rule?.http ? 'http_deny' : verdict;
    }
  }
  if (!spoke) return 'unknown';
  return limited ? 'limited' : 'allow';
}
