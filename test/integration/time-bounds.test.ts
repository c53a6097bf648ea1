import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, test } from 'vitest';
import type { Endpoint } from '../../shared/model/report';
import { dnsProbe } from '../../main/probes/dns';
import { httpProbe } from '../../main/probes/http';
import { tlsProbe } from '../../main/probes/tls';
import type { ProbeContext } from '../../main/probes/types';
import { watchProbes } from '../../main/use-cases/watch';
import { sessionInput } from '../lab/session-input';

// --timeout bounds a probe as a whole, and --for a watch: each must end within its bound plus GRACE, against a
// loopback server that stalls at each stage. The bound is an upper limit; the code before this change overshot
// by whole timeouts (one per redirect hop, CNAME link, round or follow-up handshake), far past the grace.
const GRACE_MS = 1000;

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((c) => c()));

const ctxOf = (timeoutMs: number): ProbeContext => ({
  signal: new AbortController().signal,
  timeoutMs,
  onProgress: () => undefined,
});

function endpoint(scheme: 'http' | 'https', port: number): Endpoint {
  return { url: `${scheme}://127.0.0.1:${port}`, scheme, address: '127.0.0.1', family: 4, port };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

/** A TCP server that accepts and reads, and never says a byte: a stall at the handshake or the headers. */
async function stallingServer(): Promise<number> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('data', () => undefined);
    s.on('error', () => undefined);
  });
  closers.push(() => sockets.forEach((s) => s.destroy()));
  return listen(server);
}

async function timedRun<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

/** The name a CNAME query for `qname` is answered with: l0.chain.test → l1.chain.test → … */
function nextName(qname: string): string {
  const m = /^l(\d+)\.(.*)$/.exec(qname);
  return m ? `l${Number(m[1]) + 1}.${m[2]}` : `l1.${qname}`;
}

function encodeName(name: string): Buffer {
  const parts = name.split('.').filter(Boolean);
  return Buffer.concat([
    ...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])),
    Buffer.from([0]),
  ]);
}

/**
 * A DNS server (RFC 1035 over UDP) that answers every query, after `delayMs`, with one CNAME to the next link:
 * an endless chain, each link slow.
 */
async function slowCnameServer(delayMs: number): Promise<number> {
  const sock = dgram.createSocket('udp4');
  const timers: NodeJS.Timeout[] = [];
  sock.on('message', (msg, rinfo) => {
    let off = 12;
    const labels: string[] = [];
    while (msg[off]! > 0) {
      labels.push(msg.subarray(off + 1, off + 1 + msg[off]!).toString('latin1'));
      off += msg[off]! + 1;
    }
    const question = msg.subarray(12, off + 5);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8180, 2); // response, recursion desired + available, NOERROR
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(1, 6);
    const target = encodeName(nextName(labels.join('.')));
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the question's name
    rr.writeUInt16BE(5, 2); // CNAME
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(target.length, 10);
    const reply = Buffer.concat([header, question, rr, target]);
    timers.push(setTimeout(() => sock.send(reply, rinfo.port, rinfo.address), delayMs));
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  closers.push(() => {
    timers.forEach(clearTimeout);
    sock.close();
  });
  return sock.address().port;
}

describe('time bounds: --timeout bounds a probe as a whole', () => {
  test('HTTP: a redirect chain whose hops each take just under the timeout ends within one timeout', async () => {
    const timeoutMs = 1500;
    let hops = 0;
    const server = http.createServer((req, res) => {
      hops++;
      const n = Number(/\d+/.exec(req.url ?? '')?.[0] ?? 0);
      setTimeout(() => {
        res.writeHead(302, { location: `/hop${n + 1}` });
        res.end();
      }, timeoutMs * 0.8);
    });
    const port = await listen(server);
    const { value, ms } = await timedRun(() =>
      httpProbe(
        endpoint('http', port),
        { domain: null, healthPath: '/hop0', sslMode: null, endpoints: [] },
        () => new Date(),
        ctxOf(timeoutMs),
      ),
    );
    expect(ms).toBeLessThan(timeoutMs + GRACE_MS);
    // The first hop answered in time; the second ran out of the probe's budget and says so.
    expect(value.chain[0]!.status).toBe(302);
    expect(value.chain.at(-1)!.outcome).toBe('timeout');
    expect(hops).toBeLessThanOrEqual(2);
  }, 20_000);

  test('HTTP near miss: a short redirect chain inside the budget is followed to its end', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/a') {
        res.writeHead(301, { location: '/b' });
        return res.end();
      }
      res.writeHead(200);
      res.end('ok');
    });
    const port = await listen(server);
    const d = await httpProbe(
      endpoint('http', port),
      { domain: null, healthPath: '/a', sslMode: null, endpoints: [] },
      () => new Date(),
      ctxOf(3000),
    );
    expect(d.chain.map((e) => e.status)).toEqual([301, 200]);
  });

  test('DNS: an endless CNAME chain with slow answers ends within one timeout', async () => {
    const timeoutMs = 1500;
    const port = await slowCnameServer(timeoutMs * 0.6);
    const { value, ms } = await timedRun(() =>
      dnsProbe('l0.chain.test', { address: '127.0.0.1', port }, ctxOf(timeoutMs)),
    );
    expect(ms).toBeLessThan(timeoutMs + GRACE_MS);
    // The links that came in time are kept; the chain is not followed past the deadline.
    expect(value.cnameChain[0]).toBe('l1.chain.test');
    expect(value.cnameChain.length).toBeLessThan(3);
  }, 30_000);

  test('DNS near miss: fast CNAME answers still give the chain up to its limit', async () => {
    const port = await slowCnameServer(0);
    const d = await dnsProbe('l0.chain.test', { address: '127.0.0.1', port }, ctxOf(3000));
    expect(d.cnameChain).toHaveLength(10);
  });

  test('TLS: a server that stalls mid-handshake costs one timeout, not one per follow-up handshake', async () => {
    const timeoutMs = 2000;
    const port = await stallingServer();
    const { value, ms } = await timedRun(() =>
      tlsProbe(endpoint('https', port), 'example.test', [], () => new Date(), ctxOf(timeoutMs)),
    );
    expect(ms).toBeLessThan(timeoutMs + GRACE_MS);
    expect(value.main.outcome).toBe('stalled');
    // Follow-ups with no budget left are not tried rather than read as refusals.
    expect(value.versions).toEqual({});
  }, 20_000);

  test('watch: --for bounds the whole run against a stalling origin', async () => {
    const port = await stallingServer();
    const durationS = 3;
    const timeoutMs = 2500;
    const { value, ms } = await timedRun(() =>
      watchProbes(
        sessionInput({
          endpoints: [endpoint('http', port)],
          timeoutMs,
          attempts: 1,
          watch: { intervalS: 1, durationS },
        }),
        { signal: new AbortController().signal, now: () => new Date() },
      ),
    );
    expect(ms).toBeLessThan(durationS * 1000 + GRACE_MS);
    // The first round had its full timeout and failed on the origin; the one the end cut short is not counted.
    expect(value[0]!.status).toBe('fail');
    expect(value.slice(1).every((r) => r.status === 'skipped')).toBe(true);
  }, 30_000);
});
