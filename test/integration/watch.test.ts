import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { watchRoundSchema } from '../../shared/model/probe-data';
import { reportSchema, type Report } from '../../shared/model/report';
import { runCli } from '../lab/cli';

// Watch mode against a loopback origin that fails every third request: the pattern, the chart, the history.
describe('watch', () => {
  let server: http.Server;
  let url: string;
  let dir: string;
  let report: Report;
  let stderr: string;
  let code: number | null;
  beforeAll(async () => {
    let n = 0;
    server = http.createServer((_req, res) => {
      n++;
      res.writeHead(n % 3 === 0 ? 503 : 200, { 'content-type': 'text/plain' });
      res.end(n % 3 === 0 ? 'overloaded\n' : 'ok\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(path.join(tmpdir(), 'od-watch-'));
    const run = await runCli([
      'watch',
      '--endpoint',
      url,
      '--every',
      '1',
      '--for',
      '9',
      '--timeout',
      '1000',
      '--db',
      path.join(dir, 'h.db'),
      '--html',
      path.join(dir, 'watch.html'),
      '--json',
      '-',
    ]);
    report = reportSchema.parse(JSON.parse(run.stdout));
    stderr = run.stderr;
    code = run.code;
  }, 40_000);
  afterAll(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every round is a stored probe, at its interval', () => {
    const rounds = report.probes.filter((p) => p.kind === 'watch').map((p) => watchRoundSchema.parse(p.data));
    expect(rounds.map((r) => r.round)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rounds.map((r) => r.ok)).toEqual([true, true, false, true, true, false, true, true, false]);
    expect(rounds[2]!.endpoints[0]!.httpStatus).toBe(503);
    // One second apart, on schedule (a round takes far less than its interval here).
    rounds.forEach((r, i) => expect(Math.abs(r.atS - i)).toBeLessThan(0.5));
    expect(report.session.input.watch).toEqual({ intervalS: 1, durationS: 9 });
  });

  test('failing every third round is classified as intermittent, and points at an overloaded origin', () => {
    const f = report.findings.find((x) => x.id === 'watch.intermittent')!;
    expect(f.target).toBe(url);
    expect(f.params).toMatchObject({ rounds: 9, failed: 3, failure: 'HTTP 503' });
    expect(report.causes[0]!.id).toBe('cause.origin_overloaded');
    expect(report.causes[0]!.findings).toContain('watch.intermittent');
    expect(report.verdict).toBe('degraded');
    expect(code).toBe(1);
  });

  test('the terminal shows each round as it ends and a chart of them all', () => {
    expect(stderr.match(/^#\d+ /gm)).toHaveLength(9);
    const chart = stderr.split('\n').find((l) => l.includes(url) && l.includes('slowest connect'))!;
    const cells = chart.trim().split(/\s+/)[1]!;
    expect([...cells].map((c) => (c === '✗' ? 'x' : '.')).join('')).toBe('..x..x..x');
  });

  test('the report draws the watch; the history keeps the session with every round', async () => {
    const html = readFileSync(path.join(dir, 'watch.html'), 'utf8');
    expect(html).toContain('id="watch"');
    expect(html.match(/<rect [^>]*fill="#cf222e"><title>#\d+/g)).toHaveLength(3);
    const shown = await runCli(['export', report.session.id, '--db', path.join(dir, 'h.db'), '--json', '-']);
    const stored = reportSchema.parse(JSON.parse(shown.stdout));
    expect(stored.probes.filter((p) => p.kind === 'watch')).toHaveLength(9);
    expect(stored.findings.map((f) => f.id)).toContain('watch.intermittent');
  });

  test('bounds: too often, too long, or not a number, each gets one clear line', async () => {
    for (const [args, text] of [
      [['--every', '0.2'], '--every'],
      [['--every', 'abc'], '--every'],
      [['--every', '1', '--for', '5000'], 'at most 2000'],
      [['--for'], '--for'],
    ] as const) {
      const run = await runCli(['watch', '--endpoint', 'http://127.0.0.1:9', ...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr, args.join(' ')).toContain(text);
    }
  });
});

// A limiter that answers 429 every time is a failure the CDN passes on, not a healthy origin; a 404 is the
// origin's own answer (the near miss) and stays stable.
describe('watch judges the HTTP answer', () => {
  const servers: http.Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));
  const serve = async (status: number): Promise<string> => {
    const s = http.createServer((_req, res) =>
      res.writeHead(status, { 'content-type': 'text/plain' }).end('no\n'),
    );
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };

  test('429 on every round is always failing (rate limiting); 404 on every round is stable', async () => {
    const limited = await serve(429);
    const missing = await serve(404);
    const args = ['watch', '--endpoint', limited, '--endpoint', missing, '--every', '1', '--for', '3'];
    const run = await runCli([...args, '--timeout', '1000', '--json', '-']);
    const report = reportSchema.parse(JSON.parse(run.stdout));
    const byTarget = (u: string) => report.findings.filter((f) => f.target === u).map((f) => f.id);
    expect(byTarget(limited)).toEqual(['watch.always_failing']);
    expect(byTarget(missing)).toEqual(['watch.stable']);
    expect(report.causes[0]!.id).toBe('cause.rate_limiting');
    expect(report.verdict).toBe('broken');
    expect(run.code).toBe(1);
  }, 30_000);
});
