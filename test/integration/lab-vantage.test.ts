import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makePki, type TestPki } from '../lab/certs';
import { causesFor, diagnose, idsFor } from '../lab/cli';
import { createLab, LAB, labAvailable, PORTS, startDns, startOrigin, warmUp, type Lab } from '../lab/lab';

/**
 * Issue 17 items 5–7 end to end through the CLI in the namespace lab: this machine's own routing (reject routes,
 * a policy rule, a VPN interface, all added inside the client namespace), back-to-origin ranges that are not the
 * edge's addresses, and the vantage point (rules that shut the client out, a symptom that disagrees with it).
 */

const available = labAvailable();
const T = '1500';

/** Addresses on the origin's link that only the client's own routes decide about (nothing answers there). */
const ROUTED = {
  unreachable: '198.18.1.20',
  prohibitRule: '198.18.1.21',
  blackhole: '198.18.1.22',
  tun: '198.18.1.23',
  unreachable6: '2001:db8:1::20',
  tun6: '2001:db8:1::23',
} as const;
/** The port the origin really filters by source: the provider's ranges allowed, everything else dropped. */
const KEYED_PORT = 85;
const PROVIDER6 = '2001:db8:200::/48';

describe('vantage, local routing and edge ranges in the namespace lab', () => {
  let lab: Lab;
  let pki: TestPki;
  let caFile: string;
  let rules4: string;
  let rules6: string;
  beforeAll(async () => {
    if (!available.ok)
      throw new Error(`namespace lab unavailable: ${available.why} (run the tests as root, as CI does)`);
    if (!existsSync('/dev/net/tun'))
      throw new Error(
        'the VPN case needs /dev/net/tun (load the tun module; in a container pass --device /dev/net/tun)',
      );
    lab = createLab();
    pki = await makePki('www.site.test');
    const dir = mkdtempSync(path.join(tmpdir(), 'od-lab-vantage-'));
    caFile = path.join(dir, 'root.pem');
    writeFileSync(caFile, pki.root.pem);
    await startOrigin(lab, { certPem: pki.good.pem + pki.intermediate.pem, keyPem: pki.good.keyPem });
    await startDns(lab);
    warmUp(lab);
    const ipc = (...args: string[]): string => lab.exec(lab.client, 'ip', args);
    // This machine's own routing: reject routes, a policy-routing rule, and a tun interface some rules lead into.
    ipc('route', 'add', 'unreachable', `${ROUTED.unreachable}/32`);
    ipc('route', 'add', 'blackhole', `${ROUTED.blackhole}/32`);
    ipc('rule', 'add', 'to', `${ROUTED.prohibitRule}/32`, 'prohibit');
    ipc('tuntap', 'add', 'tun0', 'mode', 'tun');
    ipc('link', 'set', 'tun0', 'up');
    ipc('addr', 'add', '10.8.0.2/24', 'dev', 'tun0');
    ipc('route', 'add', `${ROUTED.tun}/32`, 'via', '10.8.0.1', 'dev', 'tun0', 'table', '100');
    ipc('rule', 'add', 'to', `${ROUTED.tun}/32`, 'table', '100');
    ipc('-6', 'route', 'add', 'unreachable', `${ROUTED.unreachable6}/128`);
    ipc('-6', 'route', 'add', `${ROUTED.tun6}/128`, 'dev', 'tun0');
    // The origin filters one port by source, for real; the rules file is its own export.
    const keyed = (tool: string, provider: string): void => {
      const p = String(KEYED_PORT);
      lab.exec(lab.origin, tool, ['-A', 'INPUT', '-p', 'tcp', '--dport', p, '-s', provider, '-j', 'ACCEPT']);
      lab.exec(lab.origin, tool, ['-A', 'INPUT', '-p', 'tcp', '--dport', p, '-j', 'DROP']);
    };
    keyed('iptables', LAB.providerRange);
    keyed('ip6tables', PROVIDER6);
    rules4 = path.join(dir, 'origin.rules');
    rules6 = path.join(dir, 'origin6.rules');
    writeFileSync(rules4, lab.exec(lab.origin, 'iptables-save', []));
    writeFileSync(rules6, lab.exec(lab.origin, 'ip6tables-save', []));
  }, 60000);
  afterAll(() => lab?.teardown());

  test("item 5: this machine's reject routes, policy rule and VPN decide, IPv4 and IPv6: local.* with the route, cause.routing on top", async () => {
    const url = (a: string): string => `http://${a.includes(':') ? `[${a}]` : a}:80`;
    for (const [address, id, route] of [
      [ROUTED.unreachable, 'local.no_route', `unreachable ${ROUTED.unreachable}`],
      [ROUTED.prohibitRule, 'local.no_route', `from all to ${ROUTED.prohibitRule} prohibit`],
      [ROUTED.blackhole, 'local.no_route', `blackhole ${ROUTED.blackhole}`],
      [ROUTED.tun, 'local.route_detour', 'dev tun0 table 100'],
      [ROUTED.unreachable6, 'local.no_route', `unreachable ${ROUTED.unreachable6}`],
      [ROUTED.tun6, 'local.route_detour', 'dev tun0'],
    ] as const) {
      const u = url(address);
      const { report, code } = await diagnose(['--endpoint', u, '--timeout', T, '--no-trace'], lab.client);
      expect(code).toBe(1);
      const target = id === 'local.route_detour' ? address : u;
      const f = report.findings.find((x) => x.id === id && x.target === target);
      expect([address, f?.message]).toEqual([address, expect.stringContaining(route)]);
      expect([address, report.causes[0]?.id]).toEqual([address, 'cause.routing']);
      expect([address, causesFor(report, u)[0]]).toEqual([address, 'cause.routing']);
    }
  }, 60000);

  test('item 5 near miss: a route through the gateway to a live origin: no local finding, no routing cause', async () => {
    const u = `http://${LAB.origin}:80`;
    const { report, code } = await diagnose(['--endpoint', u, '--timeout', T, '--no-trace'], lab.client);
    expect(code).toBe(0);
    expect(report.findings.filter((f) => f.id.startsWith('local.'))).toEqual([]);
    const check = (
      report.probes.find((p) => p.kind === 'local')!.data.routeChecks as { decision: string }[]
    )[0];
    expect(check?.decision).toBe('route');
  });

  test('item 6: back-to-origin ranges alone say nothing about bypass; a preset with edge ranges does', async () => {
    const closed = `http://${LAB.origin}:${PORTS.closed}`;
    const common = [
      '--domain',
      'exposed.test',
      '--endpoint',
      closed,
      '--dns-server',
      LAB.dns,
      '--timeout',
      T,
    ];
    const egress = await diagnose([...common, '--source-range', LAB.providerRange, '--no-trace'], lab.client);
    expect(idsFor(egress.report, 'exposed.test')).not.toContain('dns.not_via_provider');
    expect(egress.report.findings.map((f) => f.message).join('\n')).not.toMatch(/through -/);
    expect(egress.report.causes[0]!.id).toBe('cause.service_down');
    // Near miss: Cloudflare's preset names its edge; the address is not in it and no CNAME leads there.
    const preset = await diagnose([...common, '--provider', 'cloudflare', '--no-trace'], lab.client);
    const f = preset.report.findings.find((x) => x.id === 'dns.not_via_provider');
    expect(f?.message).toContain('through Cloudflare');
  });

  test('item 7: rules that shut this machine out but let the provider in, IPv4 and IPv6', async () => {
    const v4 = `http://${LAB.origin}:${KEYED_PORT}`;
    const v6 = `http://[${LAB.origin6}]:${KEYED_PORT}`;
    const { report, code } = await diagnose(
      [
        ...['--endpoint', v4, '--endpoint', v6],
        ...['--source-range', LAB.providerRange, '--source-range', PROVIDER6],
        ...['--rules', rules4, '--rules', rules6, '--symptom', '522', '--timeout', T, '--no-trace'],
      ],
      lab.client,
    );
    expect(code).toBe(1);
    for (const [u, me] of [
      [v4, LAB.client],
      [v6, '2001:db8::2'],
    ] as const) {
      expect(idsFor(report, u)).toEqual(['tcp.timeout', 'vantage.rules_block_this_machine']);
      const f = report.findings.find((x) => x.id === 'vantage.rules_block_this_machine' && x.target === u)!;
      expect(f.message).toContain(me);
      expect(f.params.rule).toBe(`-A INPUT -p tcp -m tcp --dport ${KEYED_PORT} -j DROP`);
    }
    for (const c of report.causes)
      if (['cause.firewall_drop', 'cause.dns_misconfigured'].includes(c.id))
        expect(c.confidence).toBeLessThanOrEqual(0.5);
  }, 30000);

  test('item 7: the symptom disagrees with this machine (522 vs an RST, 525 vs a handshake), IPv4 and IPv6', async () => {
    const rst4 = `http://${LAB.origin}:${PORTS.rejectReset}`;
    const rst6 = `http://[${LAB.origin6}]:${PORTS.rejectReset}`;
    const timeout = await diagnose(
      ['--endpoint', rst4, '--endpoint', rst6, '--symptom', '522', '--timeout', T, '--no-trace'],
      lab.client,
    );
    for (const u of [rst4, rst6]) {
      const f = timeout.report.findings.find((x) => x.id === 'vantage.symptom_mismatch' && x.target === u);
      expect([u, f?.params.context]).toEqual([u, 'timeout_rst']);
    }
    const https = `https://${LAB.origin}:443`;
    const tls = await diagnose(
      ['--domain', 'www.site.test', '--endpoint', https, '--ca', caFile, '--symptom', '525', '--timeout', T],
      lab.client,
    );
    const f = tls.report.findings.find((x) => x.id === 'vantage.symptom_mismatch' && x.target === https);
    expect(f?.params.context).toBe('tls_ok');
    expect(f?.message).toContain('SNI');
    // Near miss: a 521 and an RST here agree.
    const agree = await diagnose(
      ['--endpoint', rst4, '--symptom', '521', '--timeout', T, '--no-trace'],
      lab.client,
    );
    expect(agree.report.findings.map((x) => x.id)).not.toContain('vantage.symptom_mismatch');
  }, 30000);
});
