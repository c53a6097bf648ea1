import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  parseRdpConfirm,
  parseSshBanner,
  RDP_CONNECTION_REQUEST,
  rdpProbe,
  sshProbe,
} from '../../main/probes/mgmt';
import { opensshAdvice } from '../../main/diagnosis/mgmt';
import { runCli, diagnose } from '../lab/cli';

/**
 * SSH and RDP on loopback: servers that speak the real first bytes of each protocol (an identification line; an
 * X.224 Connection Confirm with an RDP negotiation response or failure), and ones that do not.
 */

const ctx = (timeoutMs = 1500) => ({
  signal: new AbortController().signal,
  timeoutMs,
  onProgress: () => undefined,
});

function listen(onConn: (s: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer(onConn);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port;

/** An RDP server's answer: Connection Confirm, then RDP_NEG_RSP (type 2) or RDP_NEG_FAILURE (type 3). */
function confirm(type: 2 | 3, value: number): Buffer {
  const b = Buffer.from([
    0x03,
    0x00,
    0x00,
    0x13,
    0x0e,
    0xd0,
    0x00,
    0x00,
    0x12,
    0x34,
    0x00,
    type,
    0x00,
    0x08,
    0x00,
    0,
    0,
    0,
    0,
  ]);
  b.writeUInt32LE(value, 15);
  return b;
}

const servers: net.Server[] = [];
let ssh: number;
let ssh1: number;
let rdpNla: number;
let rdpPlain: number;
let rdpRefuses: number;
let silent: number;
let sshOld: number;
let sshCurrent: number;
let closes: number;
let smtp: number;
let http: number;
let requests: Buffer[] = [];

beforeAll(async () => {
  const add = async (f: (s: net.Socket) => void): Promise<number> => {
    const s = await listen(f);
    servers.push(s);
    return portOf(s);
  };
  ssh = await add((s) => s.end('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'));
  ssh1 = await add((s) => s.end('Welcome\r\nSSH-1.99-OpenSSH_3.9p1\r\n'));
  const rdp = (answer: Buffer) => (s: net.Socket) =>
    s.once('data', (b: Buffer) => {
      requests.push(b);
      s.end(answer);
    });
  rdpNla = await add(rdp(confirm(2, 2)));
  rdpPlain = await add(rdp(confirm(2, 0)));
  rdpRefuses = await add(rdp(confirm(3, 5)));
  silent = await add(() => undefined);
  sshOld = await add((s) => s.end('SSH-2.0-OpenSSH_7.4\r\n'));
  sshCurrent = await add((s) => s.end('SSH-2.0-OpenSSH_10.2\r\n'));
  closes = await add((s) => s.end());
  smtp = await add((s) => s.end('220 mail.example ESMTP\r\n'));
  http = await add((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
});
afterAll(() => {
  for (const s of servers) s.close();
});

describe('SSH identification', () => {
  test('the banner, its protocol and software', async () => {
    const d = await sshProbe('127.0.0.1', ssh, ctx());
    expect(d).toMatchObject({
      outcome: 'answered',
      banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3',
      sshProtocol: '2.0',
      sshSoftware: 'OpenSSH_9.2p1',
    });
  });
  test('lines before the identification line are skipped; SSH-1.99 is seen', async () => {
    const d = await sshProbe('127.0.0.1', ssh1, ctx());
    expect([d.sshProtocol, d.sshSoftware]).toEqual(['1.99', 'OpenSSH_3.9p1']);
  });
  test('a server that says nothing: silent within the deadline, connected', async () => {
    const d = await sshProbe('127.0.0.1', silent, ctx(400));
    expect(d.outcome).toBe('silent');
    expect(d.connectMs).not.toBeNull();
  });
  test('refused', async () => {
    const d = await sshProbe('127.0.0.1', 1, ctx());
    expect(d.outcome).toBe('refused');
  });
  test('banner parsing and version advice', () => {
    expect(parseSshBanner('SSH-2.0-dropbear_2022.83')).toEqual({
      protocol: '2.0',
      software: 'dropbear_2022.83',
      comments: null,
    });
    expect(parseSshBanner('HTTP/1.1 400')).toBeNull();
    expect(opensshAdvice('OpenSSH_7.2p2')).toBeNull(); // the version table speaks for it: sshVersionAdvice
    expect(opensshAdvice('OpenSSH_8.9p1')).toBe('regresshion');
    expect(opensshAdvice('OpenSSH_9.8p1')).toBeNull();
    expect(opensshAdvice('dropbear_2022.83')).toBeNull();
  });
});

describe('RDP negotiation', () => {
  test('the request is a well-formed TPKT + X.224 CR + RDP_NEG_REQ', async () => {
    requests = [];
    await rdpProbe('127.0.0.1', rdpNla, ctx());
    expect(requests[0]).toEqual(RDP_CONNECTION_REQUEST);
    expect(RDP_CONNECTION_REQUEST.readUInt16BE(2)).toBe(RDP_CONNECTION_REQUEST.length);
  });
  test('CredSSP selected (NLA), standard RDP selected, a negotiation failure', async () => {
    expect((await rdpProbe('127.0.0.1', rdpNla, ctx())).rdpSelected).toBe('credssp');
    expect((await rdpProbe('127.0.0.1', rdpPlain, ctx())).rdpSelected).toBe('rdp');
    expect((await rdpProbe('127.0.0.1', rdpRefuses, ctx())).rdpFailure).toBe('hybrid_required_by_server');
  });
  test('something else on the port is said to be something else', async () => {
    expect((await rdpProbe('127.0.0.1', http, ctx())).outcome).toBe('not_rdp');
    expect(parseRdpConfirm(Buffer.from('HTTP/1.1 400'))).toBeNull();
  });
});

describe('the management step in diagnose', () => {
  test('off by default; with --ssh-port and --rdp-port the findings appear', async () => {
    const url = `http://127.0.0.1:${http}`;
    const plain = await diagnose(['--endpoint', url, '--no-trace']);
    expect(plain.report.probes.some((p) => p.kind === 'mgmt')).toBe(false);
    const run = await diagnose([
      '--endpoint',
      url,
      '--no-trace',
      '--ssh-port',
      String(ssh1),
      '--rdp-port',
      String(rdpPlain),
    ]);
    const ids = run.report.findings.map((f) => f.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'mgmt.ssh_answered',
        'mgmt.ssh_outdated',
        'mgmt.rdp_answered',
        'mgmt.rdp_no_nla',
      ]),
    );
    const outdated = run.report.findings.find((f) => f.id === 'mgmt.ssh_outdated')!;
    expect(outdated.message).toMatch(/protocol 1/);
  });
  test('a port that does not answer is said: refused, silent, closed, something else', async () => {
    const refused = await new Promise<number>((resolve) => {
      // A port that was just free: nothing listens on it, so the kernel answers RST.
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = portOf(s);
        s.close(() => resolve(p));
      });
    });
    const run = await diagnose([
      '--endpoint',
      `http://127.0.0.1:${http}`,
      '--no-trace',
      '--timeout',
      '800',
      '--ssh-port',
      String(refused),
      '--ssh-port',
      String(silent),
      '--ssh-port',
      String(closes),
      '--ssh-port',
      String(smtp),
      '--rdp-port',
      String(refused),
    ]);
    const said = run.report.findings
      .filter((f) => f.id === 'mgmt.no_answer')
      .map((f) => `${f.target} ${String(f.params.context)}`)
      .sort();
    expect(said).toEqual(
      [
        `rdp://127.0.0.1:${refused} refused`,
        `ssh://127.0.0.1:${closes} closed`,
        `ssh://127.0.0.1:${smtp} not_ssh`,
        `ssh://127.0.0.1:${refused} refused`,
        `ssh://127.0.0.1:${silent} silent`,
      ].sort(),
    );
    const msg = run.report.findings.find((f) => f.target === `ssh://127.0.0.1:${refused}`)!.message;
    expect(msg).toMatch(/^SSH on port \d+ refused the connection/);
  });
  test('an SSH version past its end of life is flagged with the table date; a current one (near miss) is not', async () => {
    const run = await diagnose([
      '--endpoint',
      `http://127.0.0.1:${http}`,
      '--no-trace',
      '--ssh-port',
      String(sshOld),
      '--ssh-port',
      String(sshCurrent),
      '--lang',
      'zh-CN',
    ]);
    const outdated = run.report.findings.filter((f) => f.id === 'mgmt.ssh_outdated');
    expect(outdated.map((f) => f.target)).toEqual([`ssh://127.0.0.1:${sshOld}`]);
    expect(outdated[0]!.params).toMatchObject({ context: 'eol', before: '8.0', compiledOn: '2026-11-29' });
    expect(outdated[0]!.message).toMatch(/OpenSSH_7\.4 已过时/);
    const answered = run.report.findings.filter((f) => f.id === 'mgmt.ssh_answered').map((f) => f.target);
    expect(answered).toContain(`ssh://127.0.0.1:${sshCurrent}`);
    expect(run.report.findings.filter((f) => f.id === 'mgmt.no_answer')).toEqual([]);
  });
  test('a bad management port is a usage error', async () => {
    const r = await runCli(['diagnose', '--endpoint', 'http://127.0.0.1:1', '--ssh-port', '70000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--ssh-port/);
  });
});
