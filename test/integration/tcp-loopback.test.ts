import net from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { tcpProbe } from '../../main/probes/tcp';
import type { Endpoint } from '../../shared/model/report';

let open: net.Server;
let resetter: net.Server;
const ports = { open: 0, reset: 0, closed: 0 };
const ctx = (timeoutMs = 1000) => ({
  signal: new AbortController().signal,
  timeoutMs,
  onProgress: () => undefined,
});
const ep = (port: number, address = '127.0.0.1', family: 4 | 6 = 4): Endpoint => ({
  url: `http://${address}:${port}`,
  scheme: 'http',
  address,
  family,
  port,
});

beforeAll(async () => {
  open = net.createServer((s) => s.on('error', () => undefined));
  // Accepts, then answers with an RST at once: what a ban tool or an overloaded proxy does.
  resetter = net.createServer((s) => s.resetAndDestroy());
  await new Promise<void>((r) => open.listen(0, '::', r));
  await new Promise<void>((r) => resetter.listen(0, '127.0.0.1', r));
  ports.open = (open.address() as net.AddressInfo).port;
  ports.reset = (resetter.address() as net.AddressInfo).port;
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  ports.closed = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});
afterAll(() => {
  open.close();
  resetter.close();
});

test('a listening port connects on every attempt, IPv4 and IPv6', async () => {
  const d = await tcpProbe(ep(ports.open), { attempts: 3, intervalMs: 10, holdMs: 20 }, ctx());
  expect(d.attempts.map((a) => a.outcome)).toEqual(['connected', 'connected', 'connected']);
  expect(d.stats.connected).toBe(3);
  expect(d.stats.avgMs).toBeGreaterThan(0);
  const d6 = await tcpProbe(ep(ports.open, '::1', 6), { attempts: 2, intervalMs: 10, holdMs: 20 }, ctx());
  expect(d6.attempts.map((a) => a.outcome)).toEqual(['connected', 'connected']);
});

test('a closed port is refused with ECONNREFUSED', async () => {
  const d = await tcpProbe(ep(ports.closed), { attempts: 2, intervalMs: 10, holdMs: 20 }, ctx());
  expect(d.attempts.map((a) => [a.outcome, a.code])).toEqual([
    ['refused', 'ECONNREFUSED'],
    ['refused', 'ECONNREFUSED'],
  ]);
  expect(d.stats.lossPct).toBe(100);
});

test('accepted then reset is told apart from refused', async () => {
  const d = await tcpProbe(ep(ports.reset), { attempts: 2, intervalMs: 10, holdMs: 200 }, ctx());
  expect(d.attempts.map((a) => a.outcome)).toEqual(['reset', 'reset']);
});

test('progress is reported per attempt and cancellation ends the series at once', async () => {
  const events: string[] = [];
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 120);
  const d = await tcpProbe(
    ep(ports.open),
    { attempts: 10, intervalMs: 100, holdMs: 5 },
    { signal: controller.signal, timeoutMs: 1000, onProgress: (e) => events.push(e.kind) },
  );
  expect(Date.now() - started).toBeLessThan(1000);
  expect(d.attempts.length).toBeLessThan(10);
  expect(events.length).toBe(d.attempts.length);
});
