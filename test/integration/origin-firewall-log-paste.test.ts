import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { originBundleSchema } from '../../shared/model/origin-bundle';
import { diagnose, runCli } from '../lab/cli';

/**
 * The seed's firewall-log query for logs pasted from another machine: `origin-check --from` reads kernel firewall
 * log lines (real ones, test/fixtures/origin/observe/dmesg-iso.txt) for the provider's addresses, and `diagnose`
 * names them with their counts per prefix and the time range the lines cover.
 */
const fixture = path.join(__dirname, '..', 'fixtures', 'origin', 'observe', 'dmesg-iso.txt');
const dir = mkdtempSync(path.join(tmpdir(), 'od-fwlog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('origin-check --from with kernel firewall log lines', () => {
  test('provider lines counted per prefix with their time range, then origin.firewall_log_blocks in diagnose', async () => {
    const file = path.join(dir, 'b.json');
    const run = await runCli([
      'origin-check',
      '--from',
      fixture,
      '--source-range',
      '198.18.200.0/24',
      '--json',
      file,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /firewall log \(dmesg-iso\.txt; 2026-.* to 2026-.*\): \d+ lines; from the provider's ranges: .*\[UFW BLOCK\] ×\d+/,
    );
    const bundle = originBundleSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(bundle.version).toBe(2);
    const log = bundle.firewallLog!;
    expect(log.providerByPrefix.map((p) => p.prefix).sort()).toEqual(
      ['FINAL_REJECT', '[UFW BLOCK]', 'filter_IN_public_REJECT', 'nft-drop'].sort(),
    );
    // The paste is a kernel log too: its conntrack count is read as before.
    expect(bundle.conntrackFullMessages).toBe(0);

    const { report } = await diagnose([
      '--endpoint',
      'http://127.0.0.1:1',
      '--no-trace',
      '--timeout',
      '1000',
      '--origin-bundle',
      file,
    ]);
    const f = report.findings.find((x) => x.id === 'origin.firewall_log_blocks')!;
    expect(f.severity).toBe('error');
    expect(f.params.from).toBe(log.from);
    expect(f.params.to).toBe(log.to);
    expect(String(f.params.prefixes)).toMatch(/\[UFW BLOCK\] ×\d+/);
  });

  test('near miss: a range the lines are not from gives no finding; without ranges it says why instead of guessing', async () => {
    const other = path.join(dir, 'other.json');
    expect(
      (await runCli(['origin-check', '--from', fixture, '--source-range', '203.0.113.0/24', '--json', other]))
        .code,
    ).toBe(0);
    expect(
      originBundleSchema.parse(JSON.parse(readFileSync(other, 'utf8'))).firewallLog!.providerByPrefix,
    ).toEqual([]);
    const none = path.join(dir, 'none.json');
    const run = await runCli(['origin-check', '--from', fixture, '--json', none]);
    expect(run.code).toBe(0);
    const b = originBundleSchema.parse(JSON.parse(readFileSync(none, 'utf8')));
    expect(b.unavailable.map((u) => u.part)).toContain('firewall log');
    expect(run.stdout).toMatch(/not collected: firewall log \(no provider ranges given/);
  });
});
