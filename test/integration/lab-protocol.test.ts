import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../shared/model/report';
import { findProvider } from '../../shared/catalog/providers';
import { makeOriginCa, makePki } from '../lab/certs';
import { causesFor, diagnose, idsFor } from '../lab/cli';
import { createLab, LAB, labAvailable, waitFor, type Lab } from '../lab/lab';

// The lab needs root and the network tools; CI provides both. Without them this fails and says why.
const available = labAvailable();
const DOMAIN = 'www.site.test';

/** One port per behaviour on the lab origin (test/lab/protocol-origin.mjs), reached over IPv4 and IPv6. */
const PORTS = {
  tlsUntrustedRoot: 9001,
  tlsNoIntermediate: 9002,
  tlsOriginCa: 9003,
  default444: 9010,
  defaultSame404: 9011,
  defaultOtherSite: 9012,
  defaultRedirect: 9013,
  default421: 9014,
  catchAll: 9015,
  resetAfterRequest: 9020,
  emptyForDomain: 9021,
} as const;
type Behaviour = keyof typeof PORTS;

describe('protocol classes end to end through the CLI, in the namespace lab, IPv4 and IPv6', () => {
  let lab: Lab;
  let reports: Record<4 | 6, Report>;
  const url = (b: Behaviour, family: 4 | 6): string =>
    `${b.startsWith('tls') ? 'https' : 'http'}://${family === 4 ? LAB.origin : `[${LAB.origin6}]`}:${PORTS[b]}`;

  beforeAll(async () => {
    if (!available.ok)
      throw new Error(`namespace lab unavailable: ${available.why} (run the tests as root, as CI does)`);
    lab = createLab();
    const dir = mkdtempSync(path.join(tmpdir(), 'od-lab-proto-'));
    const file = (name: string, text: string): string => {
      const p = path.join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    // Trusted through --ca: its leaf is served without the intermediate (and without AIA) — a missing link.
    const trusted = await makePki(DOMAIN);
    // Not trusted here: leaf + intermediate, complete up to a private root a server never sends.
    const privatePki = await makePki(DOMAIN);
    // Shaped like Cloudflare's Origin CA but ours: the shipped Cloudflare roots must not vouch for it.
    const originCa = await makeOriginCa(DOMAIN);
    const config = {
      domain: DOMAIN,
      ports: {
        ...Object.fromEntries(
          Object.entries(PORTS)
            .filter(([b]) => !b.startsWith('tls'))
            .map(([b, port]) => [b, { port }]),
        ),
        tlsUntrustedRoot: {
          port: PORTS.tlsUntrustedRoot,
          cert: file('untrusted.pem', privatePki.good.pem + privatePki.intermediate.pem),
          key: file('untrusted.key', privatePki.good.keyPem),
        },
        tlsNoIntermediate: {
          port: PORTS.tlsNoIntermediate,
          cert: file('noint.pem', trusted.noAia.pem),
          key: file('noint.key', trusted.noAia.keyPem),
        },
        tlsOriginCa: {
          port: PORTS.tlsOriginCa,
          cert: file('originca.pem', originCa.leaf.pem),
          key: file('originca.key', originCa.leaf.keyPem),
        },
      },
    };
    const script = path.join(__dirname, '..', 'lab', 'protocol-origin.mjs');
    const child = lab.spawnIn(lab.origin, process.execPath, [
      script,
      file('config.json', JSON.stringify(config)),
    ]);
    await waitFor(child, /ready/, 'protocol origin');
    const caFile = file('root.pem', trusted.root.pem);
    // One run per family (the CLI takes at most 16 endpoints), one after the other: the machine is shared.
    const run = async (family: 4 | 6): Promise<Report> =>
      (
        await diagnose(
          [
            ...(Object.keys(PORTS) as Behaviour[]).flatMap((b) => ['--endpoint', url(b, family)]),
            '--domain',
            DOMAIN,
            '--ca',
            caFile,
            '--provider',
            'cloudflare',
            '--ssl-mode',
            'strict',
            '--no-dns',
            '--no-trace',
            '--attempts',
            '1',
            '--timeout',
            '3000',
          ],
          lab.client,
        )
      ).report;
    reports = { 4: await run(4), 6: await run(6) };
  }, 120_000);
  afterAll(() => lab?.teardown());

  /**
   * Finding ids of one endpoint without the timing ones: eleven endpoints probed at once on a shared machine can
   * be slow to connect or answer (tcp.high_latency, http.slow_ttfb), which is not the class under test here.
   */
  const ids = (report: Report, u: string): string[] =>
    idsFor(report, u).filter((id) => id !== 'tcp.high_latency' && id !== 'http.slow_ttfb');
  /** Causes of one endpoint without the slow-origin one those timing findings bring. */
  const causes = (report: Report, u: string): string[] =>
    causesFor(report, u).filter((c) => c !== 'cause.origin_slow');

  /** The behaviour's endpoint in each family, with the report of that family's run. */
  const both = (b: Behaviour): [Report, string][] => [
    [reports[4], url(b, 4)],
    [reports[6], url(b, 6)],
  ];

  test('a complete chain to an untrusted root → tls.untrusted_root naming it, cause.tls_untrusted', () => {
    for (const [report, u] of both('tlsUntrustedRoot')) {
      expect(ids(report, u)).toEqual([
        'http.ok',
        'tcp.ok',
        'tls.ct_revocation',
        'tls.ok',
        'tls.untrusted_root',
      ]);
      expect(causes(report, u)[0]).toBe('cause.tls_untrusted');
      const f = report.findings.find((x) => x.id === 'tls.untrusted_root' && x.target === u)!;
      expect(f.message).toContain('CN=Origin Doctor Test Root');
    }
  });
  test('near miss: a leaf sent without its intermediate (no AIA) → tls.chain_incomplete, says there is no AIA', () => {
    for (const [report, u] of both('tlsNoIntermediate')) {
      expect(ids(report, u)).toEqual([
        'http.ok',
        'tcp.ok',
        'tls.chain_incomplete',
        'tls.ct_revocation',
        'tls.ok',
      ]);
      expect(causes(report, u)[0]).toBe('cause.tls_chain_incomplete');
      const f = report.findings.find((x) => x.id === 'tls.chain_incomplete' && x.target === u)!;
      expect(f.message).toContain('no AIA URL');
    }
  });
  test("an origin-CA-shaped leaf that is not Cloudflare's: the shipped roots do not vouch for it in strict mode", () => {
    for (const [report, u] of both('tlsOriginCa')) {
      const tls = report.probes.find((p) => p.kind === 'tls' && p.target === u)!;
      expect(tls.data.providerCa).toEqual({
        provider: 'cloudflare',
        root: null,
        source: null,
        anchors: [
          {
            kind: 'preset',
            provider: 'cloudflare',
            published: findProvider('cloudflare')!.originCa!.checkedOn,
            roots: 2,
          },
        ],
      });
      expect(ids(report, u)).toContain('tls.chain_incomplete');
      expect(ids(report, u)).not.toContain('tls.provider_origin_ca');
      expect(causes(report, u)[0]).toBe('cause.tls_chain_incomplete');
    }
  });
  test.each([
    ['default444', ['http.empty_reply', 'http.vhost_missing', 'tcp.ok']],
    ['defaultSame404', ['http.vhost_missing', 'tcp.ok']],
    ['defaultOtherSite', ['http.vhost_missing', 'tcp.ok']],
    ['defaultRedirect', ['http.vhost_missing', 'tcp.ok']],
    ['default421', ['http.vhost_missing', 'tcp.ok']],
  ] as const)('the domain falls through to the default server (%s) → http.vhost_missing', (b, expected) => {
    for (const [report, u] of both(b)) {
      expect(ids(report, u)).toEqual(expected);
      expect(causes(report, u)[0]).toBe('cause.vhost_missing');
    }
  });
  test('near miss: a catch-all site that names the Host asked → warning, not a missing vhost', () => {
    for (const [report, u] of both('catchAll')) {
      expect(ids(report, u)).toEqual(['http.ok', 'http.vhost_catch_all', 'tcp.ok']);
      expect(report.findings.find((f) => f.id === 'http.vhost_catch_all' && f.target === u)!.severity).toBe(
        'warn',
      );
      expect(causes(report, u)).not.toContain('cause.vhost_missing');
    }
  });
  test('an RST right after the request → http.reset, how: reset; cause a WAF / IPS or a crashing worker', () => {
    for (const [report, u] of both('resetAfterRequest')) {
      expect(ids(report, u)).toEqual(['http.reset', 'tcp.ok']);
      expect(report.findings.find((f) => f.id === 'http.reset' && f.target === u)!.params.how).toBe('reset');
      expect(causes(report, u)[0]).toBe('cause.firewall_reject');
    }
  });
  test('near miss: a FIN without a reply for the domain only → http.empty_reply, how: empty_reply', () => {
    for (const [report, u] of both('emptyForDomain')) {
      expect(ids(report, u)).toEqual(['http.empty_reply', 'tcp.ok']);
      expect(report.findings.find((f) => f.id === 'http.empty_reply' && f.target === u)!.params.how).toBe(
        'empty_reply',
      );
      expect(causes(report, u)[0]).toBe('cause.origin_overloaded');
    }
  });
});
