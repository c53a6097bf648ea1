import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { reportSchema } from '../../shared/model/report';
import type { TraceData } from '../../shared/model/probe-data';
import { makePki, type TestPki } from '../lab/certs';
import { causesFor, CLI, diagnose, idsFor } from '../lab/cli';
import { createLab, LAB, labAvailable, PORTS, startDns, startOrigin, warmUp, type Lab } from '../lab/lab';

// The lab needs root and the network tools; CI provides both. Without them this fails and says why.
const available = labAvailable();

describe('network layer in the namespace lab', () => {
  let lab: Lab;
  let pki: TestPki;
  let caFile: string;
  beforeAll(async () => {
    if (!available.ok)
      throw new Error(`namespace lab unavailable: ${available.why} (run the tests as root, as CI does)`);
    lab = createLab();
    pki = await makePki('www.site.test');
    caFile = path.join(mkdtempSync(path.join(tmpdir(), 'od-lab-ca-')), 'root.pem');
    writeFileSync(caFile, pki.root.pem);
    await startOrigin(lab, { certPem: pki.good.pem + pki.intermediate.pem, keyPem: pki.good.keyPem });
    await startDns(lab);
    warmUp(lab);
  });
  afterAll(() => lab?.teardown());

  const T = '1500';

  // First: the router's ICMP budget is per peer and shared with time-exceeded replies; start with a full one.
  test('an unrouted address: ICMP net unreachable from the router, path stops there → routing', async () => {
    const url = `http://${LAB.unrouted}:80`;
    const { report, code } = await diagnose(['--endpoint', url, '--timeout', T], lab.client);
    expect(code).toBe(1);
    expect(idsFor(report, url)).toEqual(['path.incomplete', 'tcp.unreachable']);
    const path = report.findings.find((f) => f.id === 'path.incomplete')!;
    expect(path.params.lastHop).toBe(LAB.router);
    expect(path.params.annotation).toBe(', !N');
    expect(report.causes[0]!.id).toBe('cause.routing');
  });

  test('every port case, IPv4 and IPv6, in one parallel run', async () => {
    const o = LAB.origin;
    const v6 = `[${LAB.origin6}]`;
    const urls = {
      open: `http://${o}:${PORTS.open}`,
      drop: `http://${o}:${PORTS.drop}`,
      rst: `http://${o}:${PORTS.rejectReset}`,
      icmp: `http://${o}:${PORTS.rejectIcmp}`,
      closed: `http://${o}:${PORTS.closed}`,
      open6: `http://${v6}:${PORTS.open}`,
      drop6: `http://${v6}:${PORTS.drop}`,
      icmp6: `http://${v6}:${PORTS.rejectIcmp}`,
      noRoute6: `http://[${LAB.noRoute6}]:80`,
    };
    const args = Object.values(urls).flatMap((u) => ['--endpoint', u]);
    const { report, code } = await diagnose([...args, '--timeout', T], lab.client);
    expect(code).toBe(1);
    expect(report.verdict).toBe('broken');
    expect(idsFor(report, urls.open)).toEqual(['http.ok', 'tcp.ok']);
    expect(idsFor(report, urls.drop)).toEqual(['tcp.timeout']);
    expect(idsFor(report, urls.rst)).toEqual(['tcp.refused']);
    expect(idsFor(report, urls.icmp)).toEqual(['tcp.unreachable']);
    expect(idsFor(report, urls.closed)).toEqual(['tcp.refused']);
    expect(idsFor(report, urls.open6)).toEqual(['http.ok', 'tcp.ok']);
    expect(idsFor(report, urls.drop6)).toEqual(['tcp.timeout']);
    expect(idsFor(report, urls.icmp6)).toEqual(['tcp.unreachable']);
    expect(idsFor(report, urls.noRoute6)).toEqual(['local.no_route', 'tcp.unreachable']);

    // The two-hop path: router, then origin.
    const trace = report.probes.find((p) => p.kind === 'trace' && p.target === o)!
      .data as unknown as TraceData;
    expect(trace.reached).toBe(true);
    expect(trace.hops.map((h) => h.probes.find((p) => p.address)?.address)).toEqual([LAB.router, o]);

    const causeFor = (url: string): string[] => causesFor(report, url);
    expect(causeFor(urls.drop)[0]).toBe('cause.firewall_drop');
    expect(causeFor(urls.icmp)[0]).toBe('cause.firewall_reject');
    expect(causeFor(urls.icmp6)[0]).toBe('cause.firewall_reject');
    expect(causeFor(urls.rst)).toContain('cause.service_down');
    expect(causeFor(urls.noRoute6)).toContain('cause.routing');
    // Every finding's evidence points at probes in the report.
    const probeIds = new Set(report.probes.map((p) => p.id));
    for (const f of report.findings) for (const e of f.evidence) expect(probeIds.has(e)).toBe(true);
  });

  test('a black-holed host: silence and a trace that goes dark, in about one timeout', async () => {
    const url = `http://${LAB.blackhole}:80`;
    const { report, ms } = await diagnose(['--endpoint', url, '--timeout', T], lab.client);
    expect(idsFor(report, url)).toEqual(['path.incomplete', 'tcp.timeout']);
    expect(report.causes[0]!.id).toBe('cause.firewall_drop');
    expect(report.causes.map((c) => c.id)).toContain('cause.routing');
    // Attempts overlap and the trace runs beside them: far less than attempts × timeout (4 × 1.5 s).
    expect(ms).toBeLessThan(4 * Number(T));
  });

  test('Ctrl-C stops every probe at once, kills the trace tool and still prints what finished', async () => {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        lab.client,
        process.execPath,
        CLI,
        'diagnose',
        '--endpoint',
        `http://${LAB.blackhole}:80`,
        '--endpoint',
        `http://${LAB.origin}:80`,
        '--timeout',
        '20000',
        '--json',
        '-',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // Ctrl-C once the run is under way: the trace tool is running beside the CLI in the namespace (a fixed
    // delay raced a slow start on a loaded machine, and the signal came before the CLI's handler existed).
    const waitUntil = Date.now() + 20000;
    const pids = () =>
      execFileSync('ip', ['netns', 'pids', lab.client], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .filter(Boolean);
    while (pids().length < 2 && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 50));
    expect(pids().length).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    // Well inside the 20 s timeout the probes were given (a loaded machine takes a while to flush and exit).
    expect(Date.now() - started, stderr).toBeLessThan(5000);
    expect(code, stderr).toBe(1);
    expect(stderr).toContain('Cancelled');
    const report = reportSchema.parse(JSON.parse(stdout));
    const healthy = report.probes.find((p) => p.kind === 'tcp' && p.target === `http://${LAB.origin}:80`)!;
    expect(healthy.status).toBe('ok');
    const dark = report.probes.find((p) => p.kind === 'tcp' && p.target === `http://${LAB.blackhole}:80`)!;
    expect((dark.data.attempts as { code: string }[]).every((a) => a.code === 'ECANCELLED')).toBe(true);
    // Nothing of the run is left in the namespace: no traceroute, no node.
    expect(execFileSync('ip', ['netns', 'pids', lab.client], { encoding: 'utf8' }).trim()).toBe('');
  });

  test('DNS: NXDOMAIN, origin exposed, resolvers that disagree, a resolver that never answers', async () => {
    const nx = await diagnose(['--domain', 'nx.test', '--dns-server', LAB.dns, '--timeout', T], lab.client);
    expect(idsFor(nx.report, 'nx.test')).toEqual(['dns.nxdomain']);
    expect(nx.report.causes[0]!.id).toBe('cause.dns_misconfigured');

    const exposed = await diagnose(
      [
        '--domain',
        'exposed.test',
        '--endpoint',
        `http://${LAB.origin}:80`,
        '--dns-server',
        LAB.dns,
        '--dns-server',
        LAB.dnsOther,
        '--dns-server',
        LAB.blackhole,
        // The preset's CNAME suffixes and edge ranges say where the name should resolve (back-to-origin
        // ranges alone do not: see lab-vantage.test.ts).
        '--provider',
        'cloudflare',
        '--timeout',
        T,
        '--no-trace',
      ],
      lab.client,
    );
    const ids = idsFor(exposed.report, 'exposed.test');
    expect(ids).toContain('dns.origin_exposed');
    expect(ids).toContain('dns.not_via_provider');
    expect(ids).toContain('dns.resolver_mismatch');
    expect(ids).toContain('dns.timeout');
    expect(exposed.report.findings.find((f) => f.id === 'dns.origin_exposed')!.params.server).toBe(LAB.dns);
  });

  test('a healthy origin behind the provider, every layer, as the CDN reaches it: exit 0', async () => {
    const https = `https://${LAB.origin}:443`;
    const plain = `http://${LAB.origin}:80`;
    const run = await diagnose(
      [
        '--domain',
        'www.site.test',
        '--endpoint',
        https,
        '--endpoint',
        plain,
        '--dns-server',
        LAB.dns,
        '--provider',
        'cloudflare',
        '--ca',
        caFile,
        '--ssl-mode',
        'strict',
        '--timeout',
        T,
      ],
      lab.client,
    );
    expect(idsFor(run.report, https)).toEqual(['http.ok', 'tcp.ok', 'tls.ct_revocation', 'tls.ok']);
    expect(idsFor(run.report, plain)).toEqual(['http.ok', 'tcp.ok']);
    expect(run.report.verdict).toBe('healthy');
    expect(run.code).toBe(0);
    const http = run.report.probes.find((p) => p.kind === 'http' && p.target === https)!;
    expect((http.data.chain as { status: number }[])[0]!.status).toBe(200);
  });

  test('HTTPS to a port that drops: the TCP finding alone, no TLS or HTTP noise', async () => {
    const url = `https://${LAB.origin}:${PORTS.drop}`;
    const { report } = await diagnose(
      [
        '--domain',
        'www.site.test',
        '--no-dns',
        '--endpoint',
        url,
        '--ca',
        caFile,
        '--timeout',
        T,
        '--attempts',
        '2',
      ],
      lab.client,
    );
    expect(idsFor(report, url)).toEqual(['tcp.timeout']);
  });

  test('DNS through the provider: a CNAME to cdn.cloudflare.net is not flagged', async () => {
    const { report } = await diagnose(
      ['--domain', 'www.site.test', '--dns-server', LAB.dns, '--provider', 'cloudflare', '--timeout', T],
      lab.client,
    );
    expect(idsFor(report, 'www.site.test')).toEqual([]);
    const dns = report.probes.find((p) => p.kind === 'dns')!;
    expect(dns.data.cnameChain).toEqual(['edge.site.test.cdn.cloudflare.net']);
    expect(dns.data.addresses).toEqual(['198.18.200.10']);
    expect(report.verdict).toBe('healthy');
  });

  test("the origin's own iptables-save and ip6tables-save: the rule that drops the provider is named, above a bare firewall drop", async () => {
    // The rules the origin's kernel really runs, exported as an ops team would.
    const dir = mkdtempSync(path.join(tmpdir(), 'od-lab-rules-'));
    const v4 = path.join(dir, 'origin.rules');
    const v6 = path.join(dir, 'origin6.rules');
    writeFileSync(v4, lab.exec(lab.origin, 'iptables-save', []));
    writeFileSync(v6, lab.exec(lab.origin, 'ip6tables-save', []));
    const open = `http://${LAB.origin}:${PORTS.open}`;
    const drop = `http://${LAB.origin}:${PORTS.drop}`;
    // The client's own networks stand in for the provider's back-to-origin ranges.
    const { report, code } = await diagnose(
      [
        '--endpoint',
        open,
        '--endpoint',
        drop,
        '--source-range',
        '198.18.0.0/24',
        '--source-range',
        '2001:db8::/64',
        '--rules',
        v4,
        '--rules',
        v6,
        '--no-trace',
        '--timeout',
        T,
        '--attempts',
        '2',
      ],
      lab.client,
    );
    expect(code).toBe(1);
    const policy = report.probes.find((p) => p.kind === 'policy')!;
    expect(policy.status).toBe('fail');
    const rows = (policy.data as { rows: { range: string; port: number; outcome: string }[] }).rows;
    expect(rows.map((r) => `${r.range}:${r.port}:${r.outcome}`)).toEqual([
      '198.18.0.0/24:80:allowed',
      '198.18.0.0/24:81:blocked',
      '2001:db8::/64:80:allowed',
      '2001:db8::/64:81:blocked',
    ]);
    const blocked = report.findings.filter((f) => f.id === 'policy.backorigin_blocked');
    expect(blocked.map((f) => [f.params.file, f.params.rule])).toEqual([
      ['origin.rules', '-A INPUT -p tcp -m tcp --dport 81 -j DROP'],
      ['origin6.rules', '-A INPUT -p tcp -m tcp --dport 81 -j DROP'],
    ]);
    // The SYNs to 81 time out from here too, and the rules say which line drops them.
    expect(causesFor(report, drop)[0]).toBe('cause.backorigin_not_allowed');
    const cause = report.causes.find((c) => c.id === 'cause.backorigin_not_allowed')!;
    expect(cause.targetConfidence[drop]).toBeGreaterThan(
      report.causes.find((c) => c.id === 'cause.firewall_drop')?.targetConfidence[drop] ?? 0,
    );
    const iptablesFix = cause.fix.find((f) => f.env === 'iptables')!;
    expect(iptablesFix.command).toContain('iptables -I INPUT -p tcp -s 198.18.0.0/24 --dport 81 -j ACCEPT');
    expect(idsFor(report, open)).toEqual(['http.ok', 'tcp.ok']);
  });
});
