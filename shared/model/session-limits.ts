import type { Report } from './report';

/**
 * How big one stored or imported session may be. The biggest sessions the product makes stay far below these:
 * 16 endpoints × 20 attempts, a watch of 2000 rounds (one probe each), a capture of 16 MiB (22 Mi characters of
 * base64), rule files of 8 MiB, an origin bundle's tool outputs. A crafted file past them (150k attempts, a
 * million probes, a 100 MB string, lists nested 100 000 deep) would freeze or crash the app that draws it, so it is
 * refused with words that name what is too big.
 */
export const SESSION_LIMITS = {
  /** Characters of text in the whole session (every string together). */
  bytes: 64 * 1024 * 1024,
  endpoints: 64,
  dnsServers: 64,
  sourceRanges: 20_000,
  policies: 64,
  probes: 20_000,
  /** TCP attempts in one probe (a session makes at most 20). */
  attempts: 1_000,
  findings: 5_000,
  causes: 1_000,
  /** Check and fix steps of one cause together. */
  steps: 500,
  /** Items in any other list (watch endpoints, evidence, trace hops, rule rows, DNS values…). */
  list: 20_000,
  /** Characters in one string, outside the fields that carry whole outputs. */
  text: 1024 * 1024,
  /** Characters in one string that carries a whole output: raw probe output, probe data, rule files, origin data, notes. */
  bigText: 32 * 1024 * 1024,
  /** Nesting of objects and lists inside a session. */
  depth: 64,
} as const;

export type SessionLimit = keyof typeof SESSION_LIMITS;

/** What is too big, where (a path such as `probes.3.data.attempts`), how big it is, and the limit. */
export interface Oversize {
  readonly what: SessionLimit;
  readonly path: string;
  readonly count: number;
  readonly max: number;
}

/** Where whole outputs live: the strings under these paths may be `bigText` long. */
function bigTextPath(path: readonly (string | number)[]): boolean {
  const [a, b, c, d] = path;
  if (a === 'notes') return true;
  if (a === 'probes') return c === 'raw' || c === 'data';
  return (
    a === 'session' &&
    b === 'input' &&
    (c === 'policies' || c === 'policiesAfter' || c === 'origin' || d === 'pems')
  );
}

/** The named lists and their limits, by path shape. */
function listLimit(path: readonly (string | number)[]): SessionLimit {
  const key = path.join('.');
  if (path.length === 1 && (key === 'probes' || key === 'findings' || key === 'causes')) return key;
  if (key === 'session.input.endpoints') return 'endpoints';
  if (key === 'session.input.dnsServers') return 'dnsServers';
  if (key === 'session.input.sourceRanges' || key === 'session.input.rangesOverride') return 'sourceRanges';
  if (key === 'session.input.policies' || key === 'session.input.policiesAfter') return 'policies';
  if (path[0] === 'causes' && path.length === 3 && (path[2] === 'checks' || path[2] === 'fix'))
    return 'steps';
  if (path[0] === 'probes' && path[2] === 'data' && path[3] === 'attempts' && path.length === 4)
    return 'attempts';
  return 'list';
}

/**
 * The first thing in a session (its report, and its notes when given) that is over SESSION_LIMITS, or null. It
 * walks the value without recursion, so nesting of any depth is measured rather than crashing the walk, and stops
 * at the first problem: its cost is linear in the size of what it reads.
 */
export function findOversize(report: Report | unknown, notes?: string): Oversize | null {
  const root: Record<string, unknown> =
    notes === undefined ? { ...(report as object) } : { ...(report as object), notes };
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: root, path: [] }];
  let chars = 0;
  const over = (what: SessionLimit, path: (string | number)[], count: number): Oversize => ({
    what,
    path: path.join('.') || '-',
    count,
    max: SESSION_LIMITS[what],
  });
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const limit = bigTextPath(path) ? 'bigText' : 'text';
      if (value.length > SESSION_LIMITS[limit]) return over(limit, path, value.length);
      chars += value.length;
      if (chars > SESSION_LIMITS.bytes) return over('bytes', [], chars);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= SESSION_LIMITS.depth) return over('depth', path.slice(0, 8), path.length);
    if (Array.isArray(value)) {
      const limit = listLimit(path);
      if (value.length > SESSION_LIMITS[limit]) return over(limit, path, value.length);
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const entries = Object.entries(value);
    if (entries.length > SESSION_LIMITS.list) return over('list', path, entries.length);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, v] = entries[i]!;
      chars += k.length;
      stack.push({ value: v, path: [...path, k] });
    }
  }
  return null;
}
