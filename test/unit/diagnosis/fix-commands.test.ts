import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { diagnose } from '../../../main/diagnosis';
import { allowCommands, fixesFor } from '../../../main/diagnosis/fixes';
import { addRouteSteps } from '../../../main/diagnosis/routes';
import { PLACEHOLDERS, hclString, psQuote, shQuote, yamlString } from '../../../main/diagnosis/shell';
import type { DiagnosisFacts, FixDraft } from '../../../main/diagnosis/types';
import { runPolicy } from '../../../main/policy';
import { CAUSE_IDS } from '../../../shared/catalog/ids';
import { PROVIDERS } from '../../../shared/catalog/providers';
import { createTranslator } from '../../../shared/i18n/translate';
import type { LocalData } from '../../../shared/model/probe-data';
import type { Endpoint, ProbeRecord } from '../../../shared/model/report';
import { sessionInput } from '../../lab/session-input';

/**
 * Every fix template against hostile values. A value that reaches a command must come out as exactly the word
 * (or part of a word) it was meant to be: each POSIX command is checked with `sh -n`, then run by dash with every
 * program replaced by a recorder of its argv, in a scratch directory, and its words are compared with the same
 * template filled with a harmless stand-in. A value that cannot be used leaves the command out with a
 * `fix.unsafe_*` step naming it.
 */

const SCRATCH = mkdtempSync(path.join(os.tmpdir(), 'od-fixcmd-'));
const BIN = path.join(SCRATCH, 'bin');
const WORK = path.join(SCRATCH, 'work');
mkdirSync(BIN);
mkdirSync(WORK);
afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

// Every program a POSIX template runs; each is a recorder here, so nothing real is ever executed.
const PROGRAMS = [
  'iptables', 'ip6tables', 'nft', 'ufw', 'firewall-cmd', 'aws', 'ss', 'curl', 'openssl', 'dig', 'certbot',
  'systemctl', 'acme.sh', 'ip', 'traceroute', 'tcpdump', 'fail2ban-client', 'sudo', 'nstat', 'sysctl',
  'dmesg', 'grep', 'nginx', 'tail', 'touch', 'rm', 'id', 'sh',
]; // prettier-ignore
for (const p of PROGRAMS) {
  const f = path.join(BIN, p);
  // argc, then the program name and each argument, NUL-terminated: arguments cannot hold a NUL.
  writeFileSync(f, `#!/bin/sh\nprintf '%s\\0' "$#" "${p}" "$@" >> "$WORDS"\n`);
  chmodSync(f, 0o755);
}

const POSIX_ENVS = new Set([
  'iptables', 'ip6tables', 'nftables', 'ufw', 'firewalld', 'aws', 'linux', 'curl', 'openssl', 'dig', 'certbot',
  'acme.sh', 'macos', 'systemd', 'fail2ban',
]); // prettier-ignore
const CONFIG_KEYS = new Set(['fix.fail2ban_ignoreip']);
// A placeholder (`<SECURITY_GROUP_ID>`) is a redirection to sh: such a command is written to be edited before it
// runs, so it is only syntax-checked here.
const isPosix = (s: FixDraft): boolean =>
  !!s.command && !!s.env && POSIX_ENVS.has(s.env) && !CONFIG_KEYS.has(s.key) && !hasPlaceholder(s.command);
const hasPlaceholder = (c: string): boolean => [...PLACEHOLDERS].some((p) => c.includes(p));

/** The argv of each program the command runs, as dash parses it (the programs are recorders). */
function wordsOf(command: string): string[][] {
  return wordsOfEach([command])[0]!;
}

const SEP = '\u0001next-command';

/**
 * `wordsOf` for many commands in one dash run (a separator invocation between them): a command that broke out
 * of its quoting would swallow or add a separator and so fail the comparison too.
 */
function wordsOfEach(commands: readonly string[]): string[][][] {
  const script = commands.join(`\nid '${SEP}'\n`);
  execFileSync('/bin/dash', ['-n', '-c', script]); // syntax first: throws on a parse error
  const words = path.join(SCRATCH, 'words');
  writeFileSync(words, '');
  const run = spawnSync('/bin/dash', ['-c', script], {
    cwd: WORK,
    env: { PATH: BIN, WORDS: words, HOME: WORK },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(run.stderr.toString(), script).toBe('');
  expect(run.status).toBe(0);
  const fields = readFileSync(words, 'utf8').split('\0');
  const out: string[][][] = [[]];
  for (let i = 0; i + 1 < fields.length;) {
    const n = Number(fields[i]);
    const argv = fields.slice(i + 1, i + 2 + n);
    if (argv[0] === 'id' && argv[1] === SEP && n === 1) out.push([]);
    else out[out.length - 1]!.push(argv);
    i += n + 2;
  }
  expect(readdirSync(WORK)).toEqual([]); // nothing created by a redirection or an injected command
  return out;
}

const at = '2026-11-28T10:00:00.000Z';
const localProbe = (routes: LocalData['routes']): ProbeRecord => ({
  id: 'local',
  kind: 'local',
  target: 'local',
  startedAt: at,
  durationMs: 1,
  status: 'ok',
  data: {
    os: 'linux',
    release: '6.1',
    arch: 'x64',
    hostname: 'laptop',
    root: false,
    interfaces: [],
    routes,
    defaultGateways: [],
    dnsServers: [],
    proxy: {},
  } satisfies LocalData,
});

interface Values {
  domain: string;
  address: string;
  port: number;
  range: string;
  gateway: string;
  iface: string;
}

/** Harmless stand-ins, each appearing nowhere else in any template. */
const CANARY: Values = {
  domain: 'canary.example',
  address: '192.0.2.77',
  port: 4711,
  range: '198.51.100.0/24',
  gateway: '192.0.2.254',
  iface: 'canary0',
};

/** The stand-ins in the same address families as `v` (the templates differ by family: ip6tables, [v6]:port). */
const canaryFor = (v: Values): Values => ({
  ...CANARY,
  ...(v.address.includes(':') ? { address: '2001:db8::77' } : {}),
  ...(v.range.includes(':') ? { range: '2001:db8:77::/48' } : {}),
  ...(v.gateway.includes(':') ? { gateway: '2001:db8::fe' } : {}),
});

/** Every step of every template, filled with the given values (the ones an imported session could carry). */
function allSteps(v: Values): FixDraft[] {
  const ep: Endpoint = {
    url: `https://${v.address}:${v.port}`,
    scheme: 'https',
    address: v.address,
    family: v.address.includes(':') ? 6 : 4,
    port: v.port,
  };
  const facts: DiagnosisFacts = {
    input: sessionInput({ domain: v.domain, endpoints: [ep] }),
    probes: [localProbe([{ destination: '0.0.0.0', prefix: 0, gateway: v.gateway, iface: v.iface }])],
    providerRanges: [v.range],
    providerName: null,
  };
  const out: FixDraft[] = [];
  for (const id of CAUSE_IDS) {
    const { checks, fix } = fixesFor(id, { facts, endpoints: [ep] });
    out.push(...checks, ...fix);
  }
  out.push(...allowCommands([v.range], [v.port], true), ...addRouteSteps(facts, [v.address]));
  return out;
}

/** Replace one stand-in with its hostile value in a word list (the shape the value must keep). */
const substitute = (words: string[][], from: Values, to: Values): string[][] =>
  words.map((ws) =>
    ws.map((w) =>
      (Object.keys(from) as (keyof Values)[]).reduce(
        (acc, k) => acc.split(String(from[k])).join(String(to[k])),
        w,
      ),
    ),
  );

/** Strings a shell, PowerShell, HCL or Jinja would act on, glued to plausible values. */
const nasty = fc.constantFrom(
  ';touch${IFS}PWNED', '$(touch PWNED)', '`touch PWNED`', '|touch PWNED', '&& touch PWNED', '\ntouch PWNED',
  "'", '"', '\\', '*', '?', '[a]', '~', '#', '>PWNED', '<x', '{a,b}', '${x}', '%{x}', '{{ x }}', ' ', '\t',
  '--help', '-oProxyCommand=touch PWNED', '\u2018', '\u0000', '\u001b[31m', '$IFS', '!', '^', '&',
); // prettier-ignore
const mutate = (base: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: base, weight: 4 },
    fc.tuple(base, nasty).map(([b, n]) => b + n),
    fc.tuple(nasty, base).map(([n, b]) => n + b),
    fc
      .tuple(base, nasty, fc.nat())
      .map(([b, n, i]) => b.slice(0, i % (b.length + 1)) + n + b.slice(i % (b.length + 1))),
    fc.string({ maxLength: 24 }),
  );
const octet = fc.integer({ min: 0, max: 255 });
const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const v6 = fc.constantFrom('2001:db8::7', '2001:db8:0:1::', '::1', '2001:db8::a:b:c');
const values: fc.Arbitrary<Values> = fc.record({
  domain: mutate(
    fc.constantFrom('example.com', 'a-b.example.org', 'xn--fsqu00a.example', '_dmarc.example.net'),
  ),
  address: mutate(fc.oneof(v4, v6)),
  port: fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(0, -1, 65536, 1.5, Number.NaN)),
  range: mutate(
    fc.oneof(
      v4.map((a) => `${a}/32`),
      fc.constantFrom('173.245.48.0/20', '2400:cb00::/32'),
    ),
  ),
  gateway: mutate(fc.oneof(v4, v6)),
  iface: mutate(fc.constantFrom('eth0', 'wg0', 'enp0s31f6', 'br-1a2b.10', 'Ethernet 2')),
});

describe('fix and check commands are copy-paste safe', () => {
  test('a fail2ban chain named f2b-x;touch${IFS}/tmp/PWNED (accepted by real iptables) never reaches a command', () => {
    // The fixture is iptables-save 1.8.9 output from a namespace where that chain was created with iptables -N.
    const text = readFileSync(
      path.join(__dirname, '..', '..', 'fixtures', 'policy', 'iptables-hostile-chain.rules'),
      'utf8',
    );
    const cf = PROVIDERS.find((p) => p.id === 'cloudflare')!.ranges;
    const input = sessionInput({ provider: 'cloudflare' });
    const run = runPolicy(
      { ...input, policies: [{ name: 'hostile.rules', format: null, text }] },
      cf,
      () => 0,
    );
    if (!run.ok) throw new Error(JSON.stringify(run.error));
    const probe: ProbeRecord = {
      id: 'policy-1',
      kind: 'policy',
      target: 'hostile.rules',
      startedAt: at,
      durationMs: 1,
      status: 'fail',
      data: { ...run.data },
    };
    const t = createTranslator('en');
    const d = diagnose({ input, probes: [probe], providerRanges: cf, providerName: 'Cloudflare' }, t);
    const cause = d.causes.find((c) => c.id === 'cause.backorigin_not_allowed')!;
    expect(cause).toBeDefined();
    const steps = [...cause.checks, ...cause.fix];
    for (const s of steps) expect(s.command ?? '').not.toContain('PWNED');
    // The step says which value it could not use, and the unban step itself stays, without its command.
    expect(steps.map((s) => s.text).join('\n')).toContain('f2b-x;touch${IFS}/tmp/PWNED');
    const unban = steps.find((s) => s.text === t('fix.fail2ban_unban'))!;
    expect(unban).toBeDefined();
    expect(unban.command).toBeUndefined();
    // Near miss: the rest of the fix still carries its commands (the ranges and ports were fine).
    expect(steps.some((s) => s.command?.startsWith('iptables -I INPUT -p tcp -s '))).toBe(true);
  });

  test('near miss: a real jail name gives the unban command with the values', () => {
    const steps = allSteps(CANARY);
    expect(steps.filter((s) => s.key.startsWith('fix.unsafe_'))).toEqual([]);
    for (const s of steps.filter(isPosix)) expect(wordsOf(s.command!).length).toBeGreaterThan(0);
  });

  test('property: any value either keeps the exact words of the template or leaves the command out', () => {
    const canaryWords = new Map<string, Map<string, string[][][]>>();
    const canaryText = new Map<string, Set<string>>();
    // The programs of a pipeline run at once, so their records may come in either order.
    const sorted = (ws: string[][]): string[] => ws.map((w) => JSON.stringify(w)).sort();
    /** The canary commands' words by key and environment, for the families of `v`. */
    const expected = (c: Values): Map<string, string[][][]> => {
      const id = JSON.stringify(c);
      const hit = canaryWords.get(id);
      if (hit) return hit;
      const steps = allSteps(c).filter(isPosix);
      const words = wordsOfEach(steps.map((s) => s.command!));
      const byKey = new Map<string, string[][][]>();
      steps.forEach((s, i) => {
        const k = `${s.key}|${s.env}`;
        byKey.set(k, [...(byKey.get(k) ?? []), words[i]!]);
      });
      canaryWords.set(id, byKey);
      canaryText.set(id, new Set(steps.map((s) => s.command!)));
      return byKey;
    };
    const stats = { used: 0, refused: 0 };
    fc.assert(
      fc.property(values, (v) => {
        const steps = allSteps(v);
        const c = canaryFor(v);
        const byKey = expected(c);
        // A command with the very text of a canary one was checked with the canary; the others run here.
        const known = canaryText.get(JSON.stringify(c))!;
        const posix = steps.filter((s) => isPosix(s) && !known.has(s.command!));
        const got = wordsOfEach(posix.map((s) => s.command!));
        posix.forEach((s, i) => {
          const candidates = (byKey.get(`${s.key}|${s.env}`) ?? []).map((w) => sorted(substitute(w, c, v)));
          expect(candidates, s.command).toContainEqual(sorted(got[i]!));
        });
        for (const s of steps.filter((x) => x.command))
          expect(s.command).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
        stats.refused += steps.filter((s) => s.key.startsWith('fix.unsafe_')).length;
        stats.used += posix.length;
      }),
      { seed: 190001, numRuns: 60 },
    );
    // Both paths were exercised: hostile values refused, plausible ones used.
    expect(stats.refused).toBeGreaterThan(50);
    expect(stats.used).toBeGreaterThan(50);
    // Each run is one dash with a program per command: about 20 s alone, 150 s on a loaded machine.
  }, 300_000);

  test('quoting helpers: sh words round-trip through dash; PowerShell, HCL and YAML strings are well-formed', () => {
    // 200 arbitrary strings, their sh words checked in one dash run (one dash per string took a minute on a
    // loaded machine); the other quoting forms checked string by string.
    const strings = fc.sample(
      fc
        .string({ unit: 'grapheme', maxLength: 30 })
        .filter((s) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s)),
      { seed: 19_0002, numRuns: 200 },
    );
    const words = wordsOfEach(strings.map((s) => `id ${shQuote(s)}`));
    strings.forEach((s, i) => {
      expect(words[i], JSON.stringify(s)).toEqual([['id', s]]);
      expect(psQuote(s)).toMatch(/^'(?:[^'\u2018-\u201b]|['\u2018-\u201b]{2})*'$/);
      const h = hclString(s);
      expect(h).not.toMatch(/(^|[^$])\$\{|(^|[^%])%\{/);
      if (!/\{[{%#]/.test(s)) expect(JSON.parse(yamlString(s))).toBe(s);
    });
    expect(() => shQuote('a\nb')).toThrow();
    expect(() => yamlString('{{ lookup("pipe", "id") }}')).toThrow();
  }, 60_000);
});
