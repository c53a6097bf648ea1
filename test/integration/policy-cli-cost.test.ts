import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { CLI } from '../lab/cli';
import { bigIptablesSave } from '../lab/policy-gen';

const run = promisify(execFile);
const fixture = path.join(__dirname, '..', 'fixtures', 'policy', 'iptables-ufw.rules');
const dir = mkdtempSync(path.join(tmpdir(), 'od-policy-cost-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the built CLI inside a Node that, on exit, lists the built-in modules and packages the run loaded (on fd 3,
 * apart from the command's own output).
 */
async function loadedBy(args: string[]): Promise<{ builtins: string[]; packages: string[] }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run node scripts/build-cli.mjs first`);
  const out = path.join(dir, `loaded-${args[0]}.json`);
  const probe = `
    const before = new Set(process.moduleLoadList);
    process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({
      builtins: process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13)),
      packages: Object.keys(require.cache).filter((k) => k.includes('node_modules')),
    })));
    process.argv = [process.argv[0], ${JSON.stringify(CLI)}, ...${JSON.stringify(args)}];
    require(${JSON.stringify(CLI)});`;
  await run(process.execPath, ['-e', probe]).catch((e: { code?: number }) => {
    if (typeof e.code !== 'number' || e.code > 1) throw e; // 1: problems found, the fixture has some
  });
  const { readFileSync } = await import('node:fs');
  return JSON.parse(readFileSync(out, 'utf8')) as { builtins: string[]; packages: string[] };
}

describe('the policy command loads and holds only what it needs', () => {
  test('policy loads neither the probes, the store nor the report writers', async () => {
    const loaded = await loadedBy(['policy', '--rules', fixture, '--provider', 'cloudflare']);
    // The probes' and reports' modules: none of them reads a rule file.
    // (net is not among them: a piped stdout is a net.Socket.)
    for (const heavy of ['tls', 'http', 'https', 'http2', 'dgram', 'dns', 'child_process'])
      expect(loaded.builtins, heavy).not.toContain(heavy);
    expect(loaded.packages.filter((p) => /better-sqlite3|playwright/.test(p))).toEqual([]);
  });

  test('near miss: diagnose still loads the probes and the store it needs', async () => {
    const loaded = await loadedBy([
      'diagnose',
      '--endpoint',
      'http://127.0.0.1:1',
      '--no-trace',
      '--no-dns',
      '--attempts',
      '1',
      '--json',
      path.join(dir, 'r.json'),
    ]);
    expect(loaded.builtins).toEqual(expect.arrayContaining(['tls', 'http', 'child_process']));
    expect(loaded.packages.some((p) => p.includes('better-sqlite3'))).toBe(true);
  });

  test('10,000 rules: peak resident memory under 150 MB (printed)', async () => {
    const file = path.join(dir, 'big.rules');
    writeFileSync(file, bigIptablesSave(10_000));
    const r = await run(
      process.execPath,
      [
        CLI,
        'policy',
        '--rules',
        file,
        '--provider',
        'cloudflare',
        '--port',
        '80',
        '--port',
        '443',
        '--json',
        '/dev/null',
      ],
      { env: { ...process.env, ORIGIN_DOCTOR_REPORT_RSS: '1' }, maxBuffer: 64 * 1024 * 1024 },
    ).catch((e: { code?: number; stderr?: string; stdout?: string }) => {
      if (e.code !== 1) throw e;
      return { stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    });
    const kb = Number(/peak-rss-kb: (\d+)/.exec(r.stderr)?.[1]);
    console.log(`policy, 10,000 rules: peak RSS ${(kb / 1024).toFixed(1)} MB`);
    expect(kb).toBeGreaterThan(0);
    expect(kb / 1024).toBeLessThan(150);
  }, 60_000);
});
