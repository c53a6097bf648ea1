import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { originBundleSchema } from '../../shared/model/origin-bundle';
import { causesFor, diagnose, idsFor, runCli } from '../lab/cli';
import { createLab, LAB, labAvailable, PORTS, startOrigin, warmUp, type Lab } from '../lab/lab';

const available = labAvailable();
const LOOPBACK_PORT = 8080;

/** Both sides of a refused port: the probes from the client, origin-check inside the origin namespace. */
describe('origin side in the namespace lab', () => {
  let lab: Lab;
  let dir: string;
  let bundleFile: string;
  beforeAll(async () => {
    if (!available.ok)
      throw new Error(`namespace lab unavailable: ${available.why} (run the tests as root, as CI does)`);
    lab = createLab();
    await startOrigin(lab);
    // A service that only listens on the origin's loopback, as a freshly installed app server often does.
    const app = lab.spawnIn(lab.origin, process.execPath, [
      '-e',
      `require('node:net').createServer((s) => s.end('hi\\n')).listen(${LOOPBACK_PORT}, '127.0.0.1', () => console.log('ready'))`,
    ]);
    await new Promise<void>((resolve, reject) => {
      app.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
      app.on('exit', (c) => reject(new Error(`loopback app exited ${c}`)));
    });
    warmUp(lab);
    dir = mkdtempSync(path.join(tmpdir(), 'od-lab-origin-'));
    bundleFile = path.join(dir, 'origin.json');
    const run = await runCli(
      [
        'origin-check',
        '--port',
        String(LOOPBACK_PORT),
        '--port',
        String(PORTS.closed),
        '--port',
        String(PORTS.open),
        '--port',
        String(PORTS.rejectReset),
        '--json',
        bundleFile,
      ],
      { ns: lab.origin },
    );
    if (run.code !== 0) throw new Error(`origin-check failed: ${run.stderr}`);
  });
  afterAll(() => lab?.teardown());

  test('origin-check reads the listeners with their bound address and process, and the firewall, as root', () => {
    const bundle = originBundleSchema.parse(JSON.parse(readFileSync(bundleFile, 'utf8')));
    expect(bundle.privileged).toBe(true);
    expect(bundle.needsRoot).toEqual([]);
    expect(bundle.listenersSource).toBe('ss -ltnp');
    const on = (port: number) => bundle.listeners.filter((l) => l.port === port);
    expect(on(LOOPBACK_PORT).map((l) => [l.address, l.process])).toEqual([['127.0.0.1', 'node']]);
    expect(on(PORTS.open).length).toBeGreaterThan(0);
    expect(on(PORTS.closed)).toEqual([]);
    // The web server's config (`nginx -T`) joins the dumps when nginx is installed on the machine running the test.
    expect(bundle.firewall.map((f) => f.name).filter((n) => !n.startsWith('nginx'))).toEqual([
      'iptables-save',
      'ip6tables-save',
    ]);
    expect(bundle.listenQueue).not.toBeNull();
  });

  test('refused from outside: alone the probes say "refused"; with the bundle, bound to loopback, with the listener as evidence', async () => {
    const url = `http://${LAB.origin}:${LOOPBACK_PORT}`;
    const alone = await diagnose(['--endpoint', url, '--no-trace', '--timeout', '1500'], lab.client);
    expect(idsFor(alone.report, url)).toEqual(['tcp.refused']);
    expect(alone.report.causes[0]!.id).toBe('cause.service_down');

    const both = await diagnose(
      ['--endpoint', url, '--no-trace', '--timeout', '1500', '--origin-bundle', bundleFile],
      lab.client,
    );
    expect(causesFor(both.report, url)[0]).toBe('cause.bound_to_loopback');
    const cause = both.report.causes.find((c) => c.id === 'cause.bound_to_loopback')!;
    expect(cause.targetConfidence[url]).toBe(0.95);
    expect(cause.findings).toEqual(['origin.bound_loopback', 'tcp.refused']);
    expect(cause.checks[0]!.text).toMatch(/127\.0\.0\.1:8080.*node/);
    const finding = both.report.findings.find((f) => f.id === 'origin.bound_loopback')!;
    expect(finding.params).toMatchObject({ port: LOOPBACK_PORT, address: '127.0.0.1', process: 'node' });
    expect(finding.evidence).toEqual(['origin-1']);
  });

  test('a stopped service: confirmed from the origin', async () => {
    const url = `http://${LAB.origin}:${PORTS.closed}`;
    const { report } = await diagnose(
      ['--endpoint', url, '--no-trace', '--timeout', '1500', '--origin-bundle', bundleFile],
      lab.client,
    );
    expect(causesFor(report, url)[0]).toBe('cause.service_down');
    const cause = report.causes.find((c) => c.id === 'cause.service_down')!;
    expect([...cause.findings].sort()).toEqual(['origin.not_listening', 'tcp.refused']);
    expect(cause.targetConfidence[url]).toBe(0.95);
  });

  test('refused while the origin listens on every address: a REJECT rule, named by the firewall dump the bundle carries', async () => {
    const url = `http://${LAB.origin}:${PORTS.rejectReset}`;
    const { report } = await diagnose(
      [
        '--endpoint',
        url,
        '--no-trace',
        '--timeout',
        '1500',
        '--origin-bundle',
        bundleFile,
        '--source-range',
        '198.18.0.0/24',
      ],
      lab.client,
    );
    const ranked = causesFor(report, url);
    expect(ranked.indexOf('cause.service_down')).toBeGreaterThan(ranked.indexOf('cause.firewall_reject'));
    expect(ranked[0]).toBe('cause.backorigin_not_allowed');
    const blocked = report.findings.find((f) => f.id === 'policy.backorigin_blocked')!;
    expect(blocked.params.file).toBe('iptables-save');
    expect(blocked.params.rule).toMatch(/--dport 82 -j REJECT --reject-with tcp-reset/);
  });
});

describe('origin-check without root', () => {
  test('partial results, and it says which parts needed root', async () => {
    // A listener owned by root (this test), seen by an unprivileged origin-check: its process stays unknown.
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const out = await runCli(['origin-check', '--port', String(port), '--json', '-'], { asNobody: true });
      expect(out.code).toBe(0);
      const bundle = originBundleSchema.parse(JSON.parse(out.stdout));
      expect(bundle.privileged).toBe(false);
      const mine = bundle.listeners.find((l) => l.port === port)!;
      expect([mine.address, mine.process]).toEqual(['127.0.0.1', null]);
      expect(bundle.needsRoot).toEqual(expect.arrayContaining(['listener processes', 'firewall rules']));
      expect(bundle.firewall.filter((f) => !f.name.startsWith('nginx'))).toEqual([]);
      expect(out.stderr).toMatch(/partial without root: .*listener processes/);
    } finally {
      server.close();
    }
  });
});
