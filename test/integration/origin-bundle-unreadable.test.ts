import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { emptyOriginBundle } from '../../main/origin/paste';
import type { OriginBundle } from '../../shared/model/origin-bundle';
import { diagnose } from '../lab/cli';

/**
 * `diagnose --origin-bundle` with a firewall dump the policy reader cannot read (a real `iptables-save -t nat`:
 * no *filter table): the text, the JSON and the reports name it, and the verdict is not healthy. The near miss is
 * the same bundle with a real, readable `iptables-save` that lets the provider range in: healthy.
 */
const fixture = (n: string): string =>
  readFileSync(path.join(__dirname, '..', 'fixtures', 'origin', 'firewall', n), 'utf8');

describe('an origin bundle whose firewall dump cannot be read', () => {
  let server: http.Server;
  let port: number;
  let dir: string;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('ok\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    dir = mkdtempSync(path.join(tmpdir(), 'od-bundle-unreadable-'));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (name: string, dump: string) => {
    const bundle: OriginBundle = {
      ...emptyOriginBundle([port], new Date('2026-11-29T06:36:00.000Z')),
      host: { hostname: 'origin-1', os: 'linux', kernel: '6.1' },
      privileged: true,
      listenersSource: 'ss -ltnp',
      listeners: [
        {
          address: '0.0.0.0',
          port,
          family: 4,
          process: 'node',
          pid: 1,
          line: `LISTEN 0 511 0.0.0.0:${port}`,
        },
      ],
      firewall: [{ name: 'iptables-save', format: 'iptables', text: dump }],
    };
    const file = path.join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(bundle));
    const md = path.join(dir, `${name}.md`);
    const html = path.join(dir, `${name}.html`);
    const r = await diagnose([
      '--endpoint',
      `http://127.0.0.1:${port}`,
      '--source-range',
      '198.18.0.0/15',
      '--no-trace',
      '--no-dns',
      '--attempts',
      '1',
      '--origin-bundle',
      file,
      '--md',
      md,
      '--html',
      html,
    ]);
    return { ...r, md: readFileSync(md, 'utf8'), html: readFileSync(html, 'utf8') };
  };

  test('iptables-save -t nat only: named in text, JSON, Markdown and HTML; the verdict is not healthy', async () => {
    const r = await run('nat-only', fixture('iptables-save-nat-only.txt'));
    const f = r.report.findings.find((x) => x.id === 'policy.unreadable');
    expect(f, r.stderr).toBeDefined();
    expect(f!.message).toMatch(/origin's firewall dump iptables-save could not be read .*\*filter/);
    expect(r.report.verdict).not.toBe('healthy');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[policy\.unreadable\] iptables-save/);
    expect(r.md).toMatch(/policy\.unreadable/);
    expect(r.md).not.toMatch(/Policy: not checked/);
    expect(r.html).toMatch(/could not be read/);
  });

  test('near miss: a readable iptables-save that lets the range in is healthy, with no such finding', async () => {
    const r = await run('allow', fixture('iptables-save-allow.txt'));
    expect(r.report.findings.map((x) => x.id)).not.toContain('policy.unreadable');
    expect(r.report.verdict, JSON.stringify(r.report.findings.map((x) => x.id))).toBe('healthy');
    expect(r.code).toBe(0);
  });
});
