import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../shared/model/report';
import { diagnose, idsFor, runCli } from '../lab/cli';
import { createLab, LAB, labAvailable, startOrigin, waitFor, warmUp, type Lab } from '../lab/lab';

// Origin endpoints given by name, resolved in the namespace lab by its own dnsmasq. The client namespace's system
// resolver is the lab's too (/etc/netns/<ns>/resolv.conf, which `ip netns exec` mounts over /etc/resolv.conf), so
// no lookup leaves the lab; and the client counts every packet it sends towards a private range, which must stay 0.
const available = labAvailable();

const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'];
const PRIVATE_V6 = ['fc00::/7', 'fe80::/10', '::1/128'];
const CHAIN = 'ODPRIVATE';

/** Starts the lab's DNS for origin names on the router (198.18.0.1:53, zone "test"). */
function startOriginNameDns(lab: Lab): Promise<void> {
  const child = lab.spawnIn(lab.router, 'dnsmasq', [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    '--user=root',
    '--log-facility=-',
    '--local=/test/',
    '--listen-address=198.18.0.1',
    '--port=53',
    '--pid-file=',
    // One address, with an ordinary TTL.
    '--host-record=one.origin.test,198.18.1.2,3600',
    // Two addresses behind a short TTL (a load balancer): one answers, one is the lab's black hole.
    '--host-record=two.origin.test,198.18.1.2,20',
    '--host-record=two.origin.test,198.18.1.3,20',
    // The protected domain goes through the provider (as it should); an origin name that does too is a loop.
    '--host-record=edge.site.test.cdn.cloudflare.net,198.18.200.10',
    '--cname=www.site.test,edge.site.test.cdn.cloudflare.net',
    '--cname=loop.origin.test,edge.site.test.cdn.cloudflare.net',
    // An internal address published under the origin name (never probed: nothing is sent there).
    '--host-record=private.origin.test,10.20.30.40,fd00::40,3600',
  ]);
  return waitFor(child, /started|compile time/, 'dnsmasq');
}

/**
 * Counts (and drops) everything the client sends towards a private, link-local or loopback-v6 range, before it
 * leaves the namespace. A canary rule counts (and lets through) TCP to the lab's black hole, port 9, so a test can
 * show the counters count without sending anything to a private range itself.
 */
function guardPrivate(lab: Lab): void {
  for (const [tool, ranges] of [
    ['iptables', PRIVATE_V4],
    ['ip6tables', PRIVATE_V6],
  ] as const) {
    lab.exec(lab.client, tool, ['-N', CHAIN]);
    lab.exec(lab.client, tool, ['-I', 'OUTPUT', '-j', CHAIN]);
    // TCP and UDP only: what the tool sends (probes, DNS). The kernel's own neighbour discovery to fe80:: is not it.
    for (const r of ranges)
      for (const proto of ['tcp', 'udp'])
        lab.exec(lab.client, tool, ['-A', CHAIN, '-d', r, '-p', proto, '-j', 'DROP']);
  }
  lab.exec(lab.client, 'iptables', [
    '-A',
    CHAIN,
    '-d',
    LAB.blackhole,
    '-p',
    'tcp',
    '--dport',
    '9',
    '-j',
    'RETURN',
  ]);
}

/** Packets the guard counted, per rule target: `DROP` (towards a private range) or `RETURN` (the canary). */
function guardCounts(lab: Lab): { DROP: number; RETURN: number } {
  const n = { DROP: 0, RETURN: 0 };
  for (const tool of ['iptables', 'ip6tables']) {
    const out = lab.exec(lab.client, tool, ['-L', CHAIN, '-n', '-v', '-x']);
    for (const line of out.split('\n').slice(2)) {
      const [pkts, , target] = line.trim().split(/\s+/);
      if (target === 'DROP' || target === 'RETURN') n[target] += Number(pkts);
    }
  }
  return n;
}

const probeTargets = (report: Report): string[] =>
  report.probes.filter((p) => p.kind !== 'dns' && p.kind !== 'local').map((p) => p.target);

describe('origin endpoints by name in the namespace lab', () => {
  let lab: Lab;
  let netnsDir = '';
  // /etc/netns itself is removed at the end only when this test made it (and it is empty again).
  let madeNetnsRoot = false;
  beforeAll(async () => {
    if (!available.ok)
      throw new Error(`namespace lab unavailable: ${available.why} (run the tests as root, as CI does)`);
    lab = createLab();
    netnsDir = `/etc/netns/${lab.client}`;
    madeNetnsRoot = !existsSync('/etc/netns');
    mkdirSync(netnsDir, { recursive: true });
    writeFileSync(`${netnsDir}/resolv.conf`, `nameserver ${LAB.dns}\n`);
    guardPrivate(lab);
    await startOrigin(lab);
    await startOriginNameDns(lab);
    warmUp(lab);
  });
  afterAll(() => {
    if (netnsDir) rmSync(netnsDir, { recursive: true, force: true });
    if (madeNetnsRoot)
      try {
        rmdirSync('/etc/netns');
      } catch {
        // another lab's directory is in it: left for that lab to remove
      }
    lab?.teardown();
  });

  const T = '1500';
  const common = ['--dns-server', LAB.dns, '--timeout', T, '--no-trace'];

  test('a name with one address: resolved through each resolver, the address probed and labelled', async () => {
    const url = 'http://one.origin.test:80';
    const { report, code } = await diagnose(['--endpoint', url, ...common], lab.client);
    expect(code).toBe(0);
    const lookups = report.probes.filter((p) => p.kind === 'dns');
    expect(lookups.map((p) => p.data.server).sort()).toEqual([LAB.dns, LAB.dns].sort());
    expect(lookups.every((p) => p.target === url && p.data.origin === url)).toBe(true);
    expect(idsFor(report, url)).toEqual(['dns.origin_name_resolved']);
    const ep = report.session.input.endpoints;
    expect(ep).toEqual([
      {
        url: `http://${LAB.origin}:80`,
        scheme: 'http',
        address: LAB.origin,
        family: 4,
        port: 80,
        name: 'one.origin.test',
      },
    ]);
    expect(idsFor(report, `http://${LAB.origin}:80`)).toEqual(['http.ok', 'tcp.ok']);
    expect(report.session.input.originNames).toEqual([
      { url, scheme: 'http', name: 'one.origin.test', port: 80 },
    ]);
    expect(report.causes).toEqual([]);
  });

  test('a name with two addresses and a short TTL: both probed, the black-holed one fails', async () => {
    const url = 'http://two.origin.test:80';
    const { report, code } = await diagnose(['--endpoint', url, ...common], lab.client);
    expect(code).toBe(1);
    expect(idsFor(report, url)).toEqual(['dns.origin_name_changing', 'dns.origin_name_resolved']);
    expect(idsFor(report, `http://${LAB.origin}:80`)).toEqual(['http.ok', 'tcp.ok']);
    expect(idsFor(report, `http://${LAB.blackhole}:80`)).toContain('tcp.timeout');
    expect(report.causes[0]!.id).toBe('cause.firewall_drop');
    expect(report.causes[0]!.targets).toEqual([`http://${LAB.blackhole}:80`]);
    // One timeout at most to resolve, one to probe (attempts overlap): far from one per address or per resolver.
    // Measured inside the run (from before the lookups to the end), so a loaded machine's slow start does not count.
    const ms = Date.parse(report.session.finishedAt) - Date.parse(report.session.createdAt);
    expect(ms).toBeLessThan(4 * Number(T));
  });

  test('a name whose CNAME leads to the provider: a back-to-origin loop, the edge not probed', async () => {
    const url = 'https://loop.origin.test:443';
    const { report, code } = await diagnose(
      ['--endpoint', url, '--domain', 'www.site.test', '--provider', 'cloudflare', ...common],
      lab.client,
    );
    expect(code).toBe(1);
    expect(idsFor(report, url)).toEqual(['dns.origin_name_loop', 'dns.origin_name_resolved']);
    const loop = report.findings.find((f) => f.id === 'dns.origin_name_loop')!;
    expect(loop.params.via).toBe('edge.site.test.cdn.cloudflare.net');
    expect(report.causes[0]!.id).toBe('cause.origin_loop');
    expect(report.session.input.endpoints).toEqual([]);
    expect(probeTargets(report).some((t) => t.includes('198.18.200.10'))).toBe(false);
  });

  test('a name resolving to private addresses: reported, never probed, no packet sent there', async () => {
    const before = guardCounts(lab).DROP;
    const url = 'http://private.origin.test:80';
    const { report, code } = await diagnose(['--endpoint', url, ...common], lab.client);
    expect(code).toBe(1);
    expect(idsFor(report, url)).toEqual(['dns.origin_name_private', 'dns.origin_name_resolved']);
    const f = report.findings.find((x) => x.id === 'dns.origin_name_private')!;
    expect(f.params.addresses).toBe('10.20.30.40 (private), fd00::40 (private)');
    expect(report.causes[0]!.id).toBe('cause.origin_private_address');
    expect(report.session.input.endpoints).toEqual([]);
    expect(probeTargets(report).filter((t) => /10\.20\.30\.40|fd00::40/.test(t))).toEqual([]);
    expect(guardCounts(lab).DROP - before).toBe(0);
  });

  test('a name that does not exist: the provider has nowhere to connect', async () => {
    const url = 'http://gone.origin.test:80';
    const { report, code } = await diagnose(['--endpoint', url, ...common], lab.client);
    expect(code).toBe(1);
    expect(idsFor(report, url)).toEqual(['dns.origin_name_unresolved']);
    expect(report.causes[0]!.id).toBe('cause.origin_dns_error');
  });

  test('the guard counts what passes it (checked on the canary, a lab address, not a private one)', async () => {
    const before = guardCounts(lab).RETURN;
    const url = `http://${LAB.blackhole}:9`;
    await diagnose(['--endpoint', url, '--timeout', '300', '--no-trace', '--attempts', '1'], lab.client);
    expect(guardCounts(lab).RETURN - before).toBeGreaterThan(0);
  });

  test('--provider-config: the CloudFront example pointed at the lab name, its origin resolved and probed', async () => {
    // The documented get-distribution-config example with its custom origin sent to the lab's name, HTTP on 80.
    const doc = JSON.parse(
      readFileSync(
        path.join(__dirname, '..', 'fixtures', 'provider-config', 'cloudfront-get-distribution-config.json'),
        'utf8',
      ),
    );
    const web = doc.DistributionConfig.Origins.Items[1];
    web.DomainName = 'one.origin.test';
    web.CustomOriginConfig.OriginProtocolPolicy = 'http-only';
    doc.DistributionConfig.Origins.Items = [web];
    const dir = mkdtempSync(path.join(tmpdir(), 'od-provider-config-'));
    const file = path.join(dir, 'cloudfront.json');
    writeFileSync(file, JSON.stringify(doc));
    try {
      const { report, code } = await diagnose(['--provider-config', file, ...common], lab.client);
      expect(code).toBe(0);
      expect(idsFor(report, 'http://one.origin.test:80')).toEqual(['dns.origin_name_resolved']);
      expect(idsFor(report, `http://${LAB.origin}:80`)).toEqual(['http.ok', 'tcp.ok']);
      const stored = report.session.input.providerConfigs!;
      expect(stored.map((c) => [c.file, c.format])).toEqual([[file, 'cloudfront']]);
      expect(stored[0]!.origins[0]).toMatchObject({
        id: 'origin-web',
        readTimeoutS: 30,
        headerNames: ['X-Origin-Verify'],
      });
      // The header's value (a shared secret) is not kept anywhere in the report.
      expect(JSON.stringify(report)).not.toContain('example-shared-secret');
      // A broken file: exit 2 and one line with the JSON path.
      delete web.DomainName;
      writeFileSync(file, JSON.stringify(doc));
      const bad = await runCli(['diagnose', '--provider-config', file, ...common], { ns: lab.client });
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toContain('$.DistributionConfig.Origins.Items[0].DomainName');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
