import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { diagnose } from '../../main/diagnosis';
import { bundleFromPastes } from '../../main/origin/paste';
import {
  countConntrackFull,
  parseErrorLog,
  parseGetNetTcpConnection,
  parseListeners,
  parseNetstatLinux,
  parseNetstatWindows,
  parseProcNetTcp,
  parseLsof,
  parseSs,
  nginxKeepaliveSeconds,
  isLoopback,
  splitHostPort,
} from '../../main/origin/parsers';
import { formatBundleText } from '../../main/origin/format';
import { collectOrigin } from '../../main/probes/origin-collect';
import { createTranslator } from '../../shared/i18n/translate';
import type { OriginBundle } from '../../shared/model/origin-bundle';
import type { ProbeRecord } from '../../shared/model/report';
import { sessionInput } from '../lab/session-input';
import { parseEndpoint } from '../../shared/net/validate';

const dir = path.join(__dirname, '..', 'fixtures', 'origin');
const read = (n: string): string => readFileSync(path.join(dir, n), 'utf8');
const brief = (ls: { address: string; port: number; process: string | null; pid: number | null }[] | null) =>
  ls?.map((l) => `${l.address}:${l.port} ${l.process ?? '-'} ${l.pid ?? '-'}`);

describe('listener parsers', () => {
  test('ss -ltnp: addresses, zones, wildcard, processes', () => {
    expect(brief(parseSs(read('ss-ltnp.txt')))).toEqual([
      '0.0.0.0:80 nginx 1234',
      '127.0.0.53:53 systemd-resolve 600',
      ':::22 sshd 800',
      '127.0.0.1:8080 node 4242',
      '::1:3000 - -',
      '*:443 caddy 900',
    ]);
  });
  test('netstat -tlnp', () => {
    expect(brief(parseNetstatLinux(read('netstat-tlnp.txt')))).toEqual([
      '0.0.0.0:80 nginx: master 1234',
      '127.0.0.1:8080 node 4242',
      ':::22 sshd 800',
    ]);
  });
  test('Windows netstat -ano, English and Chinese; established connections ignored', () => {
    expect(brief(parseNetstatWindows(read('netstat-ano.txt')))).toEqual([
      '0.0.0.0:80 - 4',
      '127.0.0.1:8080 - 5312',
      ':::443 - 4',
    ]);
    expect(brief(parseNetstatWindows(read('netstat-ano-zh.txt')))).toEqual(['127.0.0.1:443 - 4']);
  });
  test('Get-NetTCPConnection as a table and as JSON', () => {
    expect(brief(parseGetNetTcpConnection(read('get-nettcpconnection.txt')))).toEqual([
      ':::443 - 4'.replace(':::443', '::' + ':443'),
      '0.0.0.0:80 - 4',
      '127.0.0.1:8080 - 5312',
    ]);
    expect(brief(parseGetNetTcpConnection(read('get-nettcpconnection.json')))).toEqual([
      '127.0.0.1:443 - 4',
      ':::80 - 4'.replace(':::80', '::' + ':80'),
    ]);
  });
  test("macOS lsof: * is every address of the line's family", () => {
    expect(brief(parseLsof(read('lsof-macos.txt')))).toEqual([
      '0.0.0.0:80 nginx 123',
      ':::80 nginx 123',
      '127.0.0.1:8080 node 4242',
      '::1:22 sshd 800',
    ]);
    expect(parseListeners(read('lsof-macos.txt'))?.source).toBe('lsof');
  });
  test('/proc/net/tcp and tcp6: little-endian words, LISTEN only, inodes', () => {
    const v4 = parseProcNetTcp(read('proc/net/tcp'))!;
    expect(v4.map((l) => `${l.address}:${l.port}#${l.inode}`)).toEqual([
      '0.0.0.0:80#31001',
      '127.0.0.1:8080#31002',
    ]);
    const v6 = parseProcNetTcp(read('proc/net/tcp6'))!;
    expect(v6.map((l) => `${l.address}:${l.port}`)).toEqual([':::443', '::1:3000']);
  });
  test('each format is recognised by parseListeners, and prose is not', () => {
    expect(parseListeners(read('ss-ltnp.txt'))?.source).toBe('ss');
    expect(parseListeners(read('netstat-tlnp.txt'))?.source).toBe('netstat');
    expect(parseListeners(read('netstat-ano.txt'))?.source).toBe('netstat-windows');
    expect(parseListeners(read('get-nettcpconnection.txt'))?.source).toBe('Get-NetTCPConnection');
    expect(parseListeners('the server is down, please help')).toBeNull();
  });
});

describe('listener evidence as the tools print it without -n / -P (real outputs, test/fixtures/origin/README.md)', () => {
  const notesOf = (text: string) => parseListeners(text)?.notes.map((n) => `${n.reason}: ${n.line}`) ?? null;

  test('ss -a: the Netid header is recognised, service names resolve, only TCP LISTEN rows count', () => {
    const r = parseListeners(read('ss-a.txt'))!;
    expect(r.source).toBe('ss');
    expect(brief(r.listeners)).toEqual([
      '0.0.0.0:22 - -',
      '0.0.0.0:18080 - -',
      '127.0.0.1:8080 - -',
      '198.18.7.1:80 - -',
      '127.0.0.1:53 - -',
      '::1:3306 - -',
      '::443 - -'.replace('::443', '::' + ':443'),
      '::22 - -'.replace('::22', '::' + ':22'),
      '2001:db8::7:8443 - -',
    ]);
    expect(r.notes).toEqual([]);
  });

  test('ss -lt, netstat -l and lsof -i name ports and hosts; each reads the same listeners', () => {
    const ports = (f: string) => [...new Set(parseListeners(read(f))!.listeners.map((l) => l.port))].sort();
    const want = [18080, 22, 3306, 443, 53, 80, 8080, 8443].sort();
    expect(ports('ss-lt.txt')).toEqual(want);
    expect(ports('netstat-l.txt')).toEqual(want);
    expect(ports('lsof-i.txt')).toEqual(want);
    expect(parseListeners(read('netstat-l.txt'))!.source).toBe('netstat');
    expect(parseListeners(read('lsof-i.txt'))!.source).toBe('lsof');
    // `localhost:domain` from netstat and lsof is a loopback bind, like ss's 127.0.0.1:domain.
    const dns = parseListeners(read('netstat-l.txt'))!.listeners.filter((l) => l.port === 53);
    expect(dns.map((l) => l.address)).toEqual(['localhost']);
    expect(isLoopback(dns[0]!.address)).toBe(true);
    expect(notesOf(read('lsof-i.txt'))).toEqual([]);
  });

  test('a service name the table does not know is a note, never a dropped line', () => {
    for (const f of [
      'ss-lt-unknown-service.txt',
      'netstat-tl-unknown-service.txt',
      'lsof-i-unknown-service.txt',
    ]) {
      const r = parseListeners(read(f))!;
      expect(
        r.notes.filter((n) => n.reason === 'unread').map((n) => n.line),
        f,
      ).toEqual([expect.stringMatching(/odd-svc/)]);
      expect(
        r.listeners.map((l) => l.port),
        f,
      ).toContain(443);
    }
  });

  test('netstat cuts long addresses to its column: the port is kept, the address is noted as cut', () => {
    const r = parseListeners(read('netstat-tln-cut.txt'))!;
    expect(r.listeners.map((l) => l.port)).toEqual([18080, 443, 8443]);
    expect(r.notes.map((n) => n.reason)).toEqual(['address_cut']);
    expect(r.notes[0]!.line).toMatch(/2001:db8:1234:5678::443/);
    // Near miss: a wildcard that fills no column is not cut.
    expect(notesOf(read('netstat-tlnp.txt'))).toEqual([]);
  });

  test('IPv6 is canonical lower case and ::ffff:127.0.0.1 is loopback', () => {
    expect(splitHostPort('[2001:DB8:0:0::7]:443')).toEqual({ address: '2001:db8::7', port: 443, family: 6 });
    expect(splitHostPort('[::FFFF:127.0.0.1]:8443')).toEqual({ address: '127.0.0.1', port: 8443, family: 4 });
    expect(splitHostPort('0.0.0.0:https')).toEqual({ address: '0.0.0.0', port: 443, family: 4 });
    expect(splitHostPort('0.0.0.0:no-such-service')).toBeNull();
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('::ffff:198.18.0.1')).toBe(false);
    const ss = parseListeners(read('ss-lt-unknown-service.txt'))!;
    expect(ss.listeners.find((l) => l.port === 8443)).toMatchObject({ address: '127.0.0.1', family: 4 });
    const json = parseGetNetTcpConnection(
      '[{"LocalAddress":"FE80::1","LocalPort":443,"State":2,"OwningProcess":4}]',
    );
    expect(json?.[0]).toMatchObject({ address: 'fe80::1', family: 6 });
    // /proc/net/tcp6 prints upper-case hex words.
    const proc = parseProcNetTcp(
      '  sl  local_address remote_address st tx_queue rx_queue tr tm->when retrnsmt uid timeout inode\n' +
        '   0: B80D0120000000000000000007000000:01BB 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 42 1\n',
    );
    expect(proc?.[0]?.address).toBe('2001:db8::7');
  });

  test('"nothing listens" only when the list could have shown the port', () => {
    const unknown = bundleFromPastes(
      [{ name: 'ss.txt', text: read('ss-lt-unknown-service.txt') }],
      [18080],
      new Date('2026-11-29T06:00:00Z'),
    ).bundle;
    const d = withBundle(unknown, ['http://198.18.7.1:18080']);
    expect(d.findings.map((f) => f.id)).toEqual(['origin.listeners_unread']);
    expect(d.findings[0]!.message).toMatch(/odd-svc/);
    expect(d.causes.map((c) => c.id)).not.toContain('cause.service_down');
    expect(formatBundleText(unknown, createTranslator('en'))).toMatch(/port 18080: unknown/);
    // Near miss: the same host's list with every line read does say nothing listens on a port it lacks.
    const full = bundleFromPastes([{ name: 'ss.txt', text: read('ss-lt.txt') }], [9000], new Date()).bundle;
    expect(withBundle(full, ['http://198.18.7.1:9000']).findings.map((f) => f.id)).toEqual([
      'origin.not_listening',
    ]);
    // ss -lx lists sockets, none of them TCP: it could not have shown any TCP port.
    const unix = parseListeners(
      'Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n' +
        'u_str LISTEN 0      4096   /run/systemd/private 13445 * 0\n',
    )!;
    expect(unix.notes.map((n) => n.reason)).toEqual(['no_tcp']);
  });
});

describe('logs', () => {
  test('nginx error log counted by kind, with a sample each', () => {
    const log = parseErrorLog(read('nginx-error.txt'), 'error.log')!;
    expect(log.counts).toEqual({
      connect_failed: 2,
      upstream_timeout: 1,
      limiting_requests: 1,
      ssl_handshake: 1,
      too_many_open_files: 1,
    });
    expect(log.samples.connect_failed).toMatch(/162\.158\.1\.10/);
  });
  test('Apache error log', () => {
    const log = parseErrorLog(read('apache-error.txt'), 'error_log')!;
    expect(log.counts).toEqual({ connect_failed: 1, upstream_timeout: 1, worker_connections: 1 });
  });
  test('dmesg "table full" lines', () => {
    expect(countConntrackFull(read('dmesg.txt'))).toBe(2);
    // dmesg -T stamps are kernel logs too; a [UFW BLOCK] line after the stamp is not an Apache log.
    expect(countConntrackFull(read('dmesg-T.txt'))).toBe(2);
    expect(parseErrorLog(read('dmesg-T.txt'), 'dmesg')).toBeNull();
    const pasted = bundleFromPastes([{ name: 'dmesg -T', text: read('dmesg-T.txt') }], [443], new Date());
    expect(pasted.unrecognised).toEqual([]);
    expect(pasted.bundle.conntrackFullMessages).toBe(2);
    expect(countConntrackFull('hello')).toBeNull();
  });
});

describe('origin-check on a fixture /proc tree', () => {
  test('listeners with owners, counters, limits and memory from the files alone', async () => {
    const b = await collectOrigin({
      ports: [80, 8080],
      signal: new AbortController().signal,
      now: () => new Date('2026-11-28T10:00:00Z'),
      procRoot: path.join(dir, 'proc'),
      tools: false,
    });
    expect(b.listenersSource).toBe('/proc/net/tcp');
    expect(brief(b.listeners)).toEqual([
      '0.0.0.0:80 - -',
      '127.0.0.1:8080 node 4242',
      ':::443 - -',
      '::1:3000 - -',
    ]);
    expect(b.conntrack).toEqual({ count: 65300, max: 65536 });
    expect(b.listenQueue).toEqual({ overflows: 5821, drops: 5821 });
    expect(b.sysctl).toMatchObject({ 'net.core.somaxconn': 128, 'net.ipv4.tcp_max_syn_backlog': 256 });
    expect(b.processes).toEqual([{ pid: 4242, name: 'node', openFiles: 3, maxOpenFiles: 1024 }]);
    expect(b.memory).toEqual({ totalKb: 2014256, availableKb: 61440 });
    expect(b.load).toEqual([7.91, 6.12, 4.02]);
    expect(b.firewall).toEqual([]);
  });
});

function withBundle(bundle: OriginBundle, endpoints: string[]): ReturnType<typeof diagnose> {
  const input = sessionInput({
    endpoints: endpoints.map((e) => {
      const r = parseEndpoint(e);
      if (!r.ok) throw new Error(e);
      return r.value;
    }),
  });
  const probe: ProbeRecord = {
    id: 'origin-1',
    kind: 'origin',
    target: 'origin',
    startedAt: '2026-11-28T10:00:00.000Z',
    durationMs: 1,
    status: 'ok',
    data: { ...bundle },
  };
  return diagnose({ input, probes: [probe], providerRanges: [], providerName: null }, createTranslator('en'));
}

describe('origin findings and causes from pasted output', () => {
  const pasted = bundleFromPastes(
    [
      { name: 'ss.txt', text: read('ss-ltnp.txt') },
      { name: 'error.log', text: read('nginx-error.txt') },
      { name: 'dmesg.txt', text: read('dmesg.txt') },
    ],
    [80, 8080],
    new Date('2026-11-28T10:00:00Z'),
  );

  test('every paste recognised; prose is named as not recognised', () => {
    expect(pasted.unrecognised).toEqual([]);
    expect(
      bundleFromPastes([{ name: 'notes.txt', text: 'please help' }], [80], new Date()).unrecognised,
    ).toEqual(['notes.txt']);
  });

  test('loopback-only listener, conntrack full, upstream failures, limits, open files', () => {
    const d = withBundle(pasted.bundle, ['http://203.0.113.7:8080', 'http://203.0.113.7:80']);
    const ids = d.findings.map((f) => f.id).sort();
    expect(ids).toEqual([
      'origin.bound_loopback',
      'origin.conntrack_full',
      'origin.fd_exhaustion',
      'origin.limiting_requests',
      'origin.upstream_errors',
    ]);
    expect(d.causes[0]!.id).toBe('cause.bound_to_loopback');
    expect(d.causes.map((c) => c.id)).toEqual(
      expect.arrayContaining(['cause.origin_overloaded', 'cause.origin_app_error', 'cause.rate_limiting']),
    );
    const fix = d.causes[0]!.fix.find((s) => s.env === 'nginx')!;
    expect(fix.command).toBe('listen 8080;\nlisten [::]:8080;');
  });

  test('a port with nothing on it', () => {
    const d = withBundle(pasted.bundle, ['http://203.0.113.7:9000']);
    expect(d.findings.map((f) => f.id)).toContain('origin.not_listening');
    expect(d.causes[0]!.id).toBe('cause.service_down');
  });
});

describe('origin parsers never throw on garbage', () => {
  const garbage = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc
      .array(
        fc.oneof(
          fc.constantFrom(
            'LISTEN',
            'tcp',
            'tcp6',
            'TCP',
            'LISTENING',
            '侦听',
            '0.0.0.0:80',
            '[::]:',
            '*:*',
            ':::99999',
            'users:(("x",pid=',
            'sl',
            '0A',
            '00000000:0050',
            'LocalAddress LocalPort',
            'Listen',
            '[{"LocalAddress":1}]',
            '{"__proto__":{"polluted":1}}',
            '2026/11/28 10:00:00 [error]',
            'connect() failed',
            'nf_conntrack: table full, dropping packet',
            '[ 1.0]',
          ),
          fc.string({ maxLength: 20 }),
        ),
        { maxLength: 40 },
      )
      .map((ws) => ws.join(' ')),
  );
  test('each parser returns data or null', () => {
    fc.assert(
      fc.property(garbage, (text) => {
        parseSs(text);
        parseNetstatLinux(text);
        parseNetstatWindows(text);
        parseGetNetTcpConnection(text);
        parseProcNetTcp(text);
        parseListeners(text);
        parseErrorLog(text, 'x');
        countConntrackFull(text);
        bundleFromPastes([{ name: 'x', text }], [80], new Date(0));
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 400 },
    );
  });
});

describe("keep-alive against the provider's idle timeout", () => {
  test('nginx keepalive_timeout: the last one set, units, the 75 s default', () => {
    expect(
      nginxKeepaliveSeconds('http {\n keepalive_timeout 65;\n server { keepalive_timeout 30s 20s; }\n}'),
    ).toBe(30);
    expect(nginxKeepaliveSeconds('http { keepalive_timeout 2m; }')).toBe(120);
    expect(nginxKeepaliveSeconds('http { # keepalive_timeout 1000;\n server { listen 80; } }')).toBe(75);
    expect(nginxKeepaliveSeconds('not a config')).toBeNull();
  });

  test('a pasted nginx.conf behind Cloudflare: 75 s is shorter than 900 s, with the fix', () => {
    const { bundle } = bundleFromPastes(
      [{ name: 'nginx.conf', text: readFileSync(path.join(dir, '..', 'policy', 'nginx.conf'), 'utf8') }],
      [443],
      new Date('2026-11-28T10:00:00Z'),
    );
    expect(bundle.webServer).toEqual({ kind: 'nginx', keepaliveTimeoutS: 75, source: 'nginx.conf' });
    const input = sessionInput({ provider: 'cloudflare' });
    const probe: ProbeRecord = {
      id: 'origin-1',
      kind: 'origin',
      target: 'origin',
      startedAt: '2026-11-28T10:00:00.000Z',
      durationMs: 1,
      status: 'ok',
      data: { ...bundle },
    };
    const d = diagnose(
      { input, probes: [probe], providerRanges: [], providerName: 'Cloudflare' },
      createTranslator('en'),
    );
    const f = d.findings.find((x) => x.id === 'origin.keepalive_short')!;
    expect(f.message).toMatch(
      /after 75 s \(nginx\.conf\), sooner than Cloudflare stops reusing them \(900 s\)/,
    );
    const cause = d.causes.find((c) => c.id === 'cause.keepalive_mismatch')!;
    expect(cause.fix[0]!.command).toBe('keepalive_timeout 905s;\nkeepalive_requests 10000;');
  });
});
