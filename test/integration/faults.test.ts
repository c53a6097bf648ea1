import net from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { diagnose, idsFor } from '../lab/cli';

/** Hostile origins: each must end within its timeout, with a finding that says what happened. */
const servers: net.Server[] = [];
const ports: Record<string, number> = {};
const T = 1500;

async function listen(name: string, onConnection: (s: net.Socket) => void): Promise<void> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  ports[name] = (server.address() as net.AddressInfo).port;
}

beforeAll(async () => {
  // Slowloris: a status line, then one header byte a second, never done.
  await listen('slowloris', (s) =>
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\n');
      const timer = setInterval(() => (s.writable ? s.write('X') : clearInterval(timer)), 1000);
      s.on('close', () => clearInterval(timer));
    }),
  );
  // Endless headers: header lines as fast as the socket takes them.
  await listen('endlessHeaders', (s) =>
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\n');
      const pump = (): void => {
        while (s.writable && s.write(`X-Filler: ${'a'.repeat(1000)}\r\n`));
        if (s.writable) s.once('drain', pump);
      };
      pump();
    }),
  );
  // A gzip bomb: 10 MB of zeros compressed, labelled as gzip although identity was asked for.
  const bomb = zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024));
  await listen('gzipBomb', (s) =>
    s.once('data', () => {
      s.write(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${bomb.length}\r\n\r\n`);
      s.end(bomb);
    }),
  );
  // A TLS port that accepts and then never says a word.
  await listen('silentTls', () => undefined);
});
afterAll(() => servers.forEach((s) => s.close()));

const run = (name: string, scheme: 'http' | 'https') =>
  diagnose([
    `--endpoint`,
    `${scheme}://127.0.0.1:${ports[name]}`,
    '--domain',
    'www.site.test',
    '--no-dns',
    '--no-trace',
    '--attempts',
    '1',
    '--timeout',
    String(T),
  ]);

test('slowloris: the request ends at its timeout as a slow first response', async () => {
  const { report, ms } = await run('slowloris', 'http');
  expect(idsFor(report, `http://127.0.0.1:${ports.slowloris}`)).toEqual(['http.slow_ttfb', 'tcp.ok']);
  expect(ms).toBeLessThan(3 * T + 1500);
});

test('endless headers: cut at the header cap, reported as an unusable reply (520)', async () => {
  const { report, ms } = await run('endlessHeaders', 'http');
  const f = report.findings.find((x) => x.id === 'http.empty_reply')!;
  expect(f.params.how).toBe('headers_too_large');
  expect(ms).toBeLessThan(3 * T + 1500);
});

test('gzip bomb: never inflated, the body read stops at 64 KiB', async () => {
  const { report } = await run('gzipBomb', 'http');
  const http = report.probes.find((p) => p.kind === 'http')!.data as {
    chain: { bodyBytes: number; status: number }[];
  };
  expect(http.chain[0]!.status).toBe(200);
  expect(http.chain[0]!.bodyBytes).toBeLessThanOrEqual(64 * 1024 + 65536);
  expect(http.chain[0]!.bodyBytes).toBeGreaterThan(0);
});

test('a TLS handshake that never completes times out; nothing hangs after it', async () => {
  const url = `https://127.0.0.1:${ports.silentTls}`;
  const { report, ms } = await run('silentTls', 'https');
  const tls = report.probes.find((p) => p.kind === 'tls')!.data as { main: { outcome: string } };
  expect(tls.main.outcome).toBe('stalled');
  // A stalled handshake is TLS's failure (525, an MTU black hole or a hung server), not a slow HTTP answer.
  expect(idsFor(report, url)).toEqual(['tcp.ok', 'tls.handshake_failed']);
  expect(report.findings.find((f) => f.id === 'tls.handshake_failed')!.params.how).toBe('stalled');
  expect(report.causes[0]!.id).toBe('cause.tls_handshake_failure');
  // The CLI process exits on its own: no socket or timer was left behind.
  expect(ms).toBeLessThan(3 * T + 1500);
});
