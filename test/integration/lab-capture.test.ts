import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { captureDataSchema, type CaptureData } from '../../shared/model/probe-data';
import { reportSchema, type Report } from '../../shared/model/report';
import { readCapture } from '../../main/capture/pcap';
import { startCapture } from '../../main/probes/capture';
import { createTranslator } from '../../shared/i18n/translate';
import { makePki } from '../lab/certs';
import { causesFor, diagnose, idsFor, runCli } from '../lab/cli';
import { createLab, LAB, labAvailable, PORTS, startOrigin, warmUp, type Lab } from '../lab/lab';

// Packet capture in the namespace lab: root, tcpdump (installed by .ci/run) and the lab's real broken ports.
const available = labAvailable();
const tcpdump = ['/usr/bin/tcpdump', '/usr/sbin/tcpdump'].some((p) => existsSync(p));

function captureOf(report: Report): CaptureData {
  const probe = report.probes.find((p) => p.kind === 'capture');
  expect(probe, 'a capture record').toBeDefined();
  return captureDataSchema.parse(probe!.data);
}

describe('packet capture and handshake timeline in the namespace lab', () => {
  let lab: Lab;
  let dir: string;
  let report: Report;
  let exitCode: number | null;
  const o = LAB.origin;
  const urls = {
    drop: `http://${o}:${PORTS.drop}`,
    rst: `http://${o}:${PORTS.rejectReset}`,
    icmp: `http://${o}:${PORTS.rejectIcmp}`,
    icmp6: `http://[${LAB.origin6}]:${PORTS.rejectIcmp}`,
    open: `http://${o}:${PORTS.open}`,
    tlsFail: `https://${o}:${PORTS.tlsFail}`,
  };

  beforeAll(async () => {
    if (!available.ok)
      throw new Error(`namespace lab unavailable: ${available.why} (run the tests as root, as CI does)`);
    if (!tcpdump) throw new Error('tcpdump is not installed (.ci/run installs it)');
    lab = createLab();
    const pki = await makePki('www.site.test');
    await startOrigin(lab, { certPem: pki.good.pem + pki.intermediate.pem, keyPem: pki.good.keyPem });
    warmUp(lab);
    dir = mkdtempSync(path.join(tmpdir(), 'od-capture-test-'));
    // One run, every scenario at once; 3.5 s lets the kernel retransmit a dropped SYN twice (after 1 s and 2 s more).
    const run = await diagnose(
      [
        '--domain',
        'www.site.test',
        '--no-dns',
        '--no-trace',
        ...Object.values(urls).flatMap((u) => ['--endpoint', u]),
        '--timeout',
        '3500',
        '--attempts',
        '1',
        '--capture',
        '--pcap',
        path.join(dir, 'probes.pcap'),
        '--html',
        path.join(dir, 'report.html'),
      ],
      lab.client,
    );
    report = run.report;
    exitCode = run.code;
  }, 60_000);
  afterAll(() => lab?.teardown());

  test('DROP: SYNs retransmitted with the kernel back-off, never answered → firewall_drop, with the capture as evidence', () => {
    expect(exitCode).toBe(1);
    const ep = captureOf(report).endpoints.find((e) => e.url === urls.drop)!;
    expect(ep.answered + ep.refused + ep.icmp).toBe(0);
    expect(ep.unanswered).toBeGreaterThan(0);
    expect(ep.backoffMs.length).toBeGreaterThanOrEqual(2);
    // Linux: first retransmission after ~1 s (the initial RTO); the next ~1 s later on kernels ≥ 6.5 (whose
    // tcp_syn_linear_timeouts keeps the first retransmissions linear), ~2 s later on older ones.
    expect(ep.backoffMs[0]).toBeGreaterThan(800);
    expect(ep.backoffMs[0]).toBeLessThan(1600);
    expect(ep.backoffMs[1]).toBeGreaterThan(800);
    expect(ep.backoffMs[1]).toBeLessThan(2800);
    expect(idsFor(report, urls.drop)).toContain('capture.syn_unanswered');
    const top = report.causes.find((c) => c.id === causesFor(report, urls.drop)[0])!;
    expect(top.id).toBe('cause.firewall_drop');
    expect(top.findings).toContain('capture.syn_unanswered');
  });

  test('REJECT tcp-reset: an RST from the origin itself', () => {
    const ep = captureOf(report).endpoints.find((e) => e.url === urls.rst)!;
    expect(ep.refused).toBeGreaterThan(0);
    expect(ep.rstFrom).toEqual([LAB.origin]);
    const f = report.findings.find((x) => x.id === 'capture.rst_answer' && x.target === urls.rst)!;
    expect(f.params.fromTarget).toBe(true);
    const conn = ep.connections.find((c) => c.answer === 'rst')!;
    expect(conn.events.map((e) => e.kind).slice(0, 2)).toEqual(['syn', 'rst']);
  });

  test('REJECT icmp-host-unreachable (IPv4) and icmp6-adm-prohibited (IPv6): the ICMP comes from the origin side', () => {
    const cap = captureOf(report);
    const v4 = cap.endpoints.find((e) => e.url === urls.icmp)!;
    expect(v4.icmpFrom).toEqual([{ from: LAB.origin, name: 'host_unreachable', fromTarget: true }]);
    const v6 = cap.endpoints.find((e) => e.url === urls.icmp6)!;
    expect(v6.icmpFrom).toEqual([{ from: LAB.origin6, name: 'admin_prohibited', fromTarget: true }]);
    const ev = v4.connections[0]!.events.find((e) => e.kind === 'icmp_unreachable')!;
    expect([ev.icmpType, ev.icmpCode]).toEqual([3, 1]);
    // The origin itself said no: its firewall, not the route.
    expect(causesFor(report, urls.icmp)[0]).toBe('cause.firewall_reject');
    expect(report.causes.find((c) => c.id === 'cause.firewall_reject')!.findings).toContain(
      'capture.icmp_answer',
    );
  });

  test('a TLS handshake failure: ClientHello with the SNI, then the origin’s alert', () => {
    const ep = captureOf(report).endpoints.find((e) => e.url === urls.tlsFail)!;
    expect(ep.tlsAlerts).toContainEqual({ dir: 'in', name: 'handshake_failure', level: 'fatal' });
    const conn = ep.connections.find((c) => c.events.some((e) => e.kind === 'tls_alert'))!;
    const kinds = conn.events.map((e) => e.kind);
    expect(kinds.slice(0, 4)).toEqual(['syn', 'syn_ack', 'tls_client_hello', 'tls_alert']);
    expect(conn.events.find((e) => e.kind === 'tls_client_hello')!.text).toBe('www.site.test');
    expect(idsFor(report, urls.tlsFail)).toContain('capture.tls_alert');
  });

  test('an open port: SYN, SYN-ACK, the request line and the status line, in order', () => {
    const ep = captureOf(report).endpoints.find((e) => e.url === urls.open)!;
    expect(ep.answered).toBe(ep.connectionsTotal);
    // Our Host gets the site; the made-up Host the probe also asks with gets the default server's 404.
    const statusLines = ep.connections.flatMap((c) =>
      c.events.filter((e) => e.kind === 'http_response').map((e) => e.text),
    );
    expect([...new Set(statusLines)].sort()).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 404 Not Found']);
    const conn = ep.connections.find((c) =>
      c.events.some((e) => e.kind === 'http_response' && e.text === 'HTTP/1.1 200 OK'),
    )!;
    const kinds = conn.events.map((e) => e.kind);
    expect(kinds.slice(0, 4)).toEqual(['syn', 'syn_ack', 'http_request', 'http_response']);
    const times = conn.events.map((e) => e.t);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  test('the pcap is stored with the session, written for Wireshark, and attached to the HTML report', () => {
    const cap = captureOf(report);
    const file = readFileSync(path.join(dir, 'probes.pcap'));
    expect(file.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(Buffer.from(cap.pcap!, 'base64').equals(file)).toBe(true);
    const parsed = readCapture(file);
    expect(parsed.problem).toBeNull();
    expect(parsed.frames.length).toBe(cap.packets);
    expect(cap.filter).toContain(`host ${LAB.origin} and tcp port ${PORTS.drop}`);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('download="origin-doctor-');
    expect(html).toContain('data:application/vnd.tcpdump.pcap;base64,');
    expect(html).toContain('TLS Alert fatal handshake_failure');
    // Fixtures for the reader's unit tests come from this scenario (refreshed with OD_WRITE_PCAP_FIXTURES=1).
    if (process.env.OD_WRITE_PCAP_FIXTURES)
      writeFileSync(path.join(__dirname, '..', 'fixtures', 'pcap', 'lab-scenarios.pcap'), file);
  });
});

describe('capture where it is not possible', () => {
  test('without privileges: the run goes on and the report says capture needs root', async () => {
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const out = await runCli(
        ['diagnose', '--endpoint', `http://127.0.0.1:${port}`, '--no-trace', '--capture', '--json', '-'],
        { asNobody: true },
      );
      const r = reportSchema.parse(JSON.parse(out.stdout));
      const f = r.findings.find((x) => x.id === 'capture.unavailable')!;
      expect(f.params.context).toBe('not_permitted');
      expect(f.message).toMatch(/root|CAP_NET_RAW/);
      expect(r.probes.find((p) => p.kind === 'tcp')!.status).toBe('ok');
    } finally {
      server.close();
    }
  });

  test('with no capture tool installed: the capture says which tool to install', async () => {
    const running = await startCapture([{ url: 'http://127.0.0.1:9', address: '127.0.0.1', port: 9 }], {
      find: () => null,
    });
    const data = await running.stop();
    expect(data.problem).toBe('not_installed');
    expect(data.detail).toBe('tcpdump');
    const t = createTranslator('en');
    expect(t('finding.capture.unavailable', { context: data.problem, detail: data.detail })).toContain(
      'apt-get install tcpdump',
    );
    const win = await (await startCapture([], { find: () => null, platform: 'win32' })).stop();
    expect(win.detail).toBe('dumpcap');
  });

  test('export --pcap of a session without a capture: one clear line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'od-nocap-'));
    const db = path.join(dir, 'h.db');
    const first = await runCli([
      'diagnose',
      '--endpoint',
      'http://127.0.0.1:9',
      '--no-trace',
      '--timeout',
      '300',
      '--db',
      db,
      '--json',
      '-',
    ]);
    const id = reportSchema.parse(JSON.parse(first.stdout)).session.id;
    const run = await runCli(['export', id, '--db', db, '--pcap', path.join(dir, 'x.pcap')]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('--capture');
  });
});
