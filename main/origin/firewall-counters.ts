import type { CounterRise } from '../../shared/model/origin-bundle';

/**
 * Packet counters of firewall rules, read twice (at the start and the end of an observation) so the rules that
 * matched during the window can be named with their line. Pure parsers for `iptables-save -c` (and ip6tables-save)
 * and `nft -a list ruleset`; rules without a counter (nft rules lacking the `counter` statement) are not seen.
 */

export interface RuleCounter {
  readonly source: string;
  readonly line: number;
  readonly table: string;
  readonly chain: string;
  readonly position: number;
  readonly rule: string;
  readonly verdict: CounterRise['verdict'];
  readonly packets: number;
  /** What identifies the same rule in the second reading. */
  readonly key: string;
}

function iptablesVerdict(rule: string): CounterRise['verdict'] {
  const m = /(?:^|\s)-j\s+(\S+)/.exec(rule);
  switch (m?.[1]) {
    case 'DROP':
      return 'drop';
    case 'REJECT':
      return 'reject';
    case 'LOG':
    case 'NFLOG':
      return 'log';
    case 'ACCEPT':
      return 'accept';
    default:
      return 'other';
  }
}

/**
 * `iptables-save -c`: `[packets:bytes] -A CHAIN …` per rule and `:CHAIN POLICY [packets:bytes]` per built-in chain
 * (its policy counter: packets that fell through every rule). Position counts rules per chain from 1, the way
 * `iptables -L --line-numbers` numbers them; the policy is position 0.
 */
export function parseIptablesCounters(text: string, source: string): RuleCounter[] | null {
  if (!/^\*\w+/m.test(text)) return null;
  const out: RuleCounter[] = [];
  let table = '';
  const positions = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    const t = /^\*(\S+)/.exec(line);
    if (t) {
      table = t[1]!;
      positions.clear();
      return;
    }
    const policy = /^:(\S+)\s+(ACCEPT|DROP)\s+\[(\d+):\d+\]/.exec(line);
    if (policy) {
      const chain = policy[1]!;
      out.push({
        source,
        line: i + 1,
        table,
        chain,
        position: 0,
        rule: `:${chain} ${policy[2]}`,
        verdict: policy[2] === 'DROP' ? 'drop' : 'accept',
        packets: Number(policy[3]),
        key: `${source}|${table}|${chain}|policy`,
      });
      return;
    }
    const rule = /^\[(\d+):\d+\]\s+(-A\s+(\S+).*)$/.exec(line);
    if (!rule) return;
    const chain = rule[3]!;
    const position = (positions.get(chain) ?? 0) + 1;
    positions.set(chain, position);
    out.push({
      source,
      line: i + 1,
      table,
      chain,
      position,
      rule: rule[2]!,
      verdict: iptablesVerdict(rule[2]!),
      packets: Number(rule[1]),
      key: `${source}|${table}|${chain}|${position}|${rule[2]}`,
    });
  });
  return out;
}

/**
 * `nft -a list ruleset`: rules carrying `counter packets N bytes M`, in `table FAMILY NAME { chain NAME { … } }`,
 * each ending in `# handle H` (the handle identifies the rule in both readings even when others are inserted).
 */
export function parseNftCounters(text: string, source: string): RuleCounter[] | null {
  if (!/^\s*table\s+\S+\s+\S+\s*\{/m.test(text)) return null;
  const out: RuleCounter[] = [];
  let table = '';
  let chain = '';
  let position = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const t = /^table\s+(\S+)\s+(\S+)\s*\{/.exec(line);
    if (t) {
      table = `${t[1]} ${t[2]}`;
      return;
    }
    const c = /^chain\s+(\S+)\s*\{/.exec(line);
    if (c) {
      chain = c[1]!;
      position = 0;
      return;
    }
    if (!chain || line === '}' || /^(type|policy)\s/.test(line) || line === '') return;
    position++;
    const counter = /\bcounter packets (\d+) bytes \d+/.exec(line);
    if (!counter) return;
    const handle = /#\s*handle\s+(\d+)\s*$/.exec(line)?.[1];
    const rule = line
      .replace(/\s*#\s*handle\s+\d+\s*$/, '')
      .replace(/counter packets \d+ bytes \d+/, 'counter')
      .trim();
    const words = new Set(rule.split(/\s+/));
    const verdict: CounterRise['verdict'] = words.has('drop')
      ? 'drop'
      : words.has('reject')
        ? 'reject'
        : words.has('accept')
          ? 'accept'
          : words.has('log')
            ? 'log'
            : 'other';
    out.push({
      source,
      line: i + 1,
      table,
      chain,
      position,
      rule,
      verdict,
      packets: Number(counter[1]),
      key: `${source}|${table}|${chain}|${handle ?? rule}`,
    });
  });
  return out;
}

/** The rules whose packet counter rose between the two readings, largest rise first; both readings' lines kept. */
export function counterRises(before: readonly RuleCounter[], after: readonly RuleCounter[]): CounterRise[] {
  const start = new Map(before.map((r) => [r.key, r.packets]));
  const out: CounterRise[] = [];
  for (const r of after) {
    const was = start.get(r.key);
    // A rule added during the window has no first reading: its counter is not a rise we can vouch for.
    if (was === undefined || r.packets <= was) continue;
    out.push({
      source: r.source,
      line: r.line,
      table: r.table,
      chain: r.chain,
      position: r.position,
      rule: r.rule,
      verdict: r.verdict,
      packets: r.packets - was,
    });
  }
  return out.sort((a, b) => b.packets - a.packets || a.source.localeCompare(b.source) || a.line - b.line);
}
