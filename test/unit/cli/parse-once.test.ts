import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeEach, describe, expect, test, vi } from 'vitest';
import type * as Iptables from '../../../main/policy/parsers/iptables';

// The seam: every iptables text the policy engine reads goes through parseIptables; counting its calls per file
// name says how many times each `--rules` file was parsed in one command.
const parsed = vi.hoisted(() => new Map<string, number>());
vi.mock('../../../main/policy/parsers/iptables', async (importOriginal) => {
  const real = await importOriginal<typeof Iptables>();
  return {
    ...real,
    parseIptables: (...args: Parameters<typeof real.parseIptables>) => {
      parsed.set(args[1], (parsed.get(args[1]) ?? 0) + 1);
      return real.parseIptables(...args);
    },
  };
});

const { main } = await import('../../../main/cli/main');

const fixture = path.join(__dirname, '..', '..', 'fixtures', 'policy', 'iptables-ufw.rules');
const dir = mkdtempSync(path.join(tmpdir(), 'od-parse-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI in this process; returns the exit status and what it wrote. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await main(argv, {
    stdout,
    stderr,
    env: { LANG: 'en_US.UTF-8' },
    signal: new AbortController().signal,
  });
  return { code, stdout: out, stderr: err };
}

beforeEach(() => parsed.clear());

describe('each --rules file is parsed once per command', () => {
  test('policy --rules: one parse, and the run still reports the file line by line', async () => {
    const r = await run(['policy', '--rules', fixture, '--provider', 'cloudflare']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/shadowed +iptables-ufw\.rules:63/);
    expect(Object.fromEntries(parsed)).toEqual({ 'iptables-ufw.rules': 1 });
  });

  test('near miss: two files are two parses, one each — the count is per file, not per command', async () => {
    const copy = path.join(dir, 'second.rules');
    writeFileSync(copy, readFileSync(fixture));
    const r = await run(['policy', '--rules', fixture, '--rules', copy, '--provider', 'cloudflare']);
    expect(r.code).toBe(1);
    expect(Object.fromEntries(parsed)).toEqual({ 'iptables-ufw.rules': 1, 'second.rules': 1 });
  });

  test('a broken file is refused after its one parse, with its line', async () => {
    const broken = path.join(dir, 'broken.rules');
    writeFileSync(broken, '*filter\n:INPUT DROP [0:0]\n-A INPUT -s 300.1.1.1 -j ACCEPT\nCOMMIT\n');
    const r = await run(['policy', '--rules', broken]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.rules/);
    expect(Object.fromEntries(parsed)).toEqual({ 'broken.rules': 1 });
  });

  test('diagnose --rules: the policy step reuses the parse that refused bad input', async () => {
    const json = path.join(dir, 'report.json');
    const r = await run([
      'diagnose',
      '--endpoint',
      'http://127.0.0.1:1',
      '--provider',
      'cloudflare',
      '--rules',
      fixture,
      '--no-trace',
      '--no-dns',
      '--timeout',
      '500',
      '--attempts',
      '1',
      '--json',
      json,
    ]);
    expect(r.stderr).not.toMatch(/internal error/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      probes: { kind: string; data: { rows?: unknown[] } }[];
    };
    const policy = report.probes.find((p) => p.kind === 'policy');
    expect(policy?.data.rows?.length).toBeGreaterThan(0);
    expect(Object.fromEntries(parsed)).toEqual({ 'iptables-ufw.rules': 1 });
  });
});
