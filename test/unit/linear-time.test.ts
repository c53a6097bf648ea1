import { describe, expect, test } from 'vitest';
import { splitPemBlocks } from '../../main/cli/ca-files';
import { decodeErrorPage } from '../../main/diagnosis/error-page';
import {
  countConntrackFull,
  nginxKeepaliveSeconds,
  parseErrorLog,
  parseLsof,
} from '../../main/origin/parsers';
import { bundleFromPastes } from '../../main/origin/paste';
import { parseMacRouteGet } from '../../main/probes/route-query-parsers';
import { detectFormat, parsePolicy } from '../../main/policy/parse';

/**
 * Hostile input (issue 19, item 2): the readers that were quadratic or cubic on a long line, many blank lines or
 * repeated near-matches, each on the input that blew it up. Before the fix each case took from 0.8 s to minutes
 * (measured on the old code: netsh 3 KB line 51 s, nginx detection on 30,000 blank lines 35 s, pasted 64K blank
 * lines 49 s); now each takes milliseconds. The budget is far from both, and the minimum of three runs is taken,
 * so a loaded machine does not make it flaky. The doubling check says the time grows about linearly, not 4×.
 */
const BUDGET_MS = 400;

type Case = { name: string; make: (n: number) => string; read: (text: string) => unknown; n: number };

const CASES: Case[] = [
  {
    name: 'netsh export: one long line of spaces',
    make: (n) => `Rule Name: x\n${' '.repeat(n)}`,
    read: (t) => parsePolicy({ name: 'x', text: t, format: 'windows-netsh' }),
    n: 8_000,
  },
  {
    name: 'format detection: a server line, then blank lines',
    make: (n) => `server \n${'\n'.repeat(n)}`,
    read: detectFormat,
    n: 60_000,
  },
  {
    name: 'iptables: many *filter tables without COMMIT (family detection scanned to the end each time)',
    make: (n) => '*filter\n'.repeat(n),
    read: (t) => parsePolicy({ name: 'x', text: t, format: 'iptables' }),
    n: 8_000,
  },
  {
    name: 'iptables near miss: many complete tables, each with COMMIT',
    make: (n) => '*filter\n:INPUT DROP [0:0]\nCOMMIT\n'.repeat(n),
    read: (t) => parsePolicy({ name: 'x', text: t, format: 'iptables' }),
    n: 8_000,
  },
  {
    name: 'nftables: a line of spaces (the handle comment)',
    make: (n) => `table inet f {\n${' '.repeat(n)}`,
    read: (t) => parsePolicy({ name: 'x', text: t, format: 'nftables' }),
    n: 32_000,
  },
  {
    // Found by the fuzz run (test/integration/fuzz.test.ts): a README with 85,000 newlines took 4.7 s.
    name: 'iptables (forced): blank lines before the implicit-filter check',
    make: (n) => `x\n${'\n'.repeat(n)}y`,
    read: (t) => parsePolicy({ name: 'x', text: t, format: 'iptables' }),
    n: 32_000,
  },
  {
    // Found by the fuzz run: netsh-en.txt with 90,000 blank lines inserted took 9.5 s.
    name: 'netsh: a rule, then blank lines before the current-profile check',
    make: (n) => `Rule Name: x\nEnabled: Yes\nDirection: In\nAction: Allow\n${'\n'.repeat(n)}`,
    read: (t) => parsePolicy({ name: 'x', text: t, format: 'windows-netsh' }),
    n: 32_000,
  },
  {
    // Found by the fuzz run (another seed): status-numbered.txt with 54,000 tabs inside a rule line took 10.8 s.
    name: 'ufw: a rule line with a long run of tabs',
    make: (n) =>
      `Status: active\n\nTo Action From\n-- ------ ----\n443/tcp DENY IN 198.18.0.0/15${'\t'.repeat(n)}x\n`,
    read: (t) => parsePolicy({ name: 'x', text: t, format: 'ufw' }),
    n: 10_000,
  },
  {
    // Found by the fuzz run (another seed): 58,000 spaces and 86,000 newlines took the macOS `route get` reader 9 s.
    name: 'macOS route get: a line of spaces',
    make: (n) => `   route to: 198.18.0.1\ndestination: default\n${' '.repeat(n)}x`,
    read: parseMacRouteGet,
    n: 30_000,
  },
  {
    name: 'pasted origin output: an error-log line, then blank lines',
    make: (n) => `2026/11/29 06:00:00 [error] x\n${'\n'.repeat(n)}`,
    read: (t) => bundleFromPastes([{ name: 'p', text: t }], [443], new Date(0)),
    n: 32_000,
  },
  {
    name: 'error log: one line repeating "attempt to connect to"',
    make: (n) => 'attempt to connect to '.repeat(n),
    read: (t) => parseErrorLog(t, 'error.log'),
    n: 6_000,
  },
  {
    name: 'keep-alive: many unterminated keepalive_timeout directives',
    make: (n) => `http {\n${'keepalive_timeout 5 '.repeat(n)}`,
    read: nginxKeepaliveSeconds,
    n: 6_000,
  },
  {
    name: 'kernel log detection: blank lines',
    make: (n) => '\n'.repeat(n),
    read: countConntrackFull,
    n: 32_000,
  },
  {
    name: 'lsof: a listener line padded with spaces',
    make: (n) => `COMMAND PID USER\nnginx 1 root 6u IPv4 ${' '.repeat(n)}`,
    read: parseLsof,
    n: 32_000,
  },
  {
    name: '--ca: BEGIN lines without END',
    make: (n) => '-----BEGIN CERTIFICATE-----\nMIIB\n'.repeat(n),
    read: splitPemBlocks,
    n: 20_000,
  },
  {
    name: 'error page: 1 MiB',
    make: (n) => `cloudflare Ray ID: ${'<b>'.repeat(n)}`,
    read: decodeErrorPage,
    n: 350_000,
  },
];

const best = (read: (t: string) => unknown, text: string): number =>
  Math.min(
    ...[0, 1, 2].map(() => {
      const t0 = performance.now();
      read(text);
      return performance.now() - t0;
    }),
  );

describe('readers that were super-linear run in linear time on the input that blew them up', () => {
  for (const c of CASES)
    test(c.name, () => {
      const t1 = best(c.read, c.make(c.n));
      expect(t1, `${c.n} units took ${t1.toFixed(0)} ms`).toBeLessThan(BUDGET_MS);
      // Doubled input: linear gives 2×, quadratic 4×; judged only when the time is large enough to measure.
      const t2 = best(c.read, c.make(2 * c.n));
      expect(t2).toBeLessThan(2 * BUDGET_MS);
      if (t2 > 50) expect(t2 / Math.max(t1, 1)).toBeLessThan(3.5);
    });
});
