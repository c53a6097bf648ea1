/**
 * `npm run bench`: each figure beside a reference tool measured in the same run, printed as a ratio, with peak
 * memory; results are also written to bench/results/latest.json. Needs root for the namespace lab (as CI has).
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { setMaxListeners } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { appendAll, maxOf } from '../shared/util/arrays';
import { installBridge, launchChromium, serveRenderer } from '../test/e2e/bridge';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../main/db/open';
import { SessionsRepo } from '../main/db/sessions-repo';
import net from 'node:net';
import path from 'node:path';
import https from 'node:https';
import { exchange } from '../main/probes/http';
import { tcpAttempt } from '../main/probes/tcp';
import { handshake } from '../main/probes/tls';
import { makePki } from '../test/lab/certs';
import { sampleReport } from '../test/lab/report-fixture';
import { sessionInput } from '../test/lab/session-input';
import { renderPdf, renderReport } from '../main/use-cases/export-report';
import { chromiumPrinter } from '../main/adapters/pdf-chromium';
import { createLab, labAvailable, LAB, startOrigin, warmUp } from '../test/lab/lab';
import { bigIptablesSave } from '../test/lab/policy-gen';
import { parsePolicies } from '../main/policy/parse';
import { parseRange } from '../main/policy/addr';
import { evaluateSpan } from '../main/policy/evaluate';
import { evaluateAddress } from '../main/policy/reference';
import { comparePolicies } from '../main/policy/compare';
import { PROVIDERS } from '../shared/catalog/providers';
import { dnsProbe } from '../main/probes/dns';
import { runProbes } from '../main/probes/runner';
import type { ProbeTask } from '../main/probes/types';

interface Row {
  readonly name: string;
  readonly ours: number;
  readonly reference: number;
  readonly referenceName: string;
  readonly unit: string;
  readonly ratio: number;
  readonly target: string;
  readonly peakRssMb: number | null;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (n: number, d = 3): number => Math.round(n * 10 ** d) / 10 ** d;
const CLI = path.join(__dirname, 'origin-doctor.cjs');
const execFileAsync = promisify(execFile);

async function tcpingVsCurl(): Promise<Row> {
  const server = net.createServer((s) =>
    s.on('error', () => undefined).end('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const N = 40;
  const ours: number[] = [];
  const curl: number[] = [];
  for (let i = 0; i < N; i++) {
    // Interleaved so both see the same machine state.
    const a = await tcpAttempt(
      { address: '127.0.0.1', port, family: 4 },
      i,
      2000,
      0,
      new AbortController().signal,
    );
    ours.push(a.ms);
    // Async: the server answering curl lives in this process.
    const { stdout } = await execFileAsync('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-m',
      '2',
      '-w',
      '%{time_connect}',
      `http://127.0.0.1:${port}/`,
    ]);
    curl.push(Number(stdout.trim()) * 1000);
  }
  server.close();
  const o = median(ours);
  const c = median(curl);
  return {
    name: 'tcping connect, loopback (median of 40)',
    ours: round(o),
    reference: round(c),
    referenceName: "curl -w '%{time_connect}'",
    unit: 'ms',
    ratio: round(o / c, 2),
    target: 'Δ < 0.5 ms',
    peakRssMb: null,
  };
}

/** Runs the CLI (in a namespace when one is given) and returns its wall time and peak RSS (reported by the CLI itself on request). */
function timedCli(
  ns: string | null,
  args: string[],
): Promise<{ ms: number; rssMb: number | null; cpuMs: number | null; code: number | null }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const [file, argv] = ns
      ? ['ip', ['netns', 'exec', ns, process.execPath, CLI, ...args]]
      : [process.execPath, [CLI, ...args]];
    const child = spawn(file, argv, {
      env: { ...process.env, ORIGIN_DOCTOR_REPORT_RSS: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const rss = /peak-rss-kb: (\d+)/.exec(err);
      const cpu = /cpu-ms: (\d+)/.exec(err);
      resolve({
        ms,
        rssMb: rss ? round(Number(rss[1]) / 1024, 1) : null,
        cpuMs: cpu ? Number(cpu[1]) : null,
        code,
      });
    });
  });
}

async function blackholeRun(T: number): Promise<Row[]> {
  const available = labAvailable();
  if (!available.ok) throw new Error(`the benchmark needs the namespace lab: ${available.why}`);
  const lab = createLab();
  try {
    await startOrigin(lab);
    warmUp(lab);
    const endpoints = [1, 2, 3, 4, 5].flatMap((i) => ['--endpoint', `http://${LAB.blackhole}:${8000 + i}`]);
    const dark = await timedCli(lab.client, [
      'diagnose',
      ...endpoints,
      '--timeout',
      String(T),
      '--json',
      '/dev/null',
    ]);
    const healthy = await timedCli(lab.client, [
      'diagnose',
      '--endpoint',
      `http://${LAB.origin}:80`,
      '--endpoint',
      `http://[${LAB.origin6}]:80`,
      '--json',
      '/dev/null',
    ]);
    return [
      {
        name: `diagnose, 5 black-holed endpoints, timeout T=${T} ms`,
        ours: round(dark.ms, 0),
        reference: T,
        referenceName: 'T (one timeout)',
        unit: 'ms',
        ratio: round(dark.ms / T, 2),
        target: '< 1.5',
        peakRssMb: dark.rssMb,
      },
      {
        name: 'diagnose, healthy origin (IPv4 + IPv6, 2 hops)',
        ours: round(healthy.ms, 0),
        reference: 1000,
        referenceName: '1 s budget',
        unit: 'ms',
        ratio: round(healthy.ms / 1000, 2),
        target: '< 1',
        peakRssMb: healthy.rssMb,
      },
    ];
  } finally {
    lab.teardown();
  }
}

/** TLS handshake and HTTP first byte on loopback, each beside curl against the same server in the same run. */
async function protocolVsCurl(): Promise<Row[]> {
  const domain = 'www.site.test';
  const pki = await makePki(domain);
  const server = https.createServer(
    { key: pki.good.keyPem, cert: pki.good.pem + pki.intermediate.pem },
    (_req, res) => res.end('ok'),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const ep = {
    url: `https://127.0.0.1:${port}`,
    scheme: 'https' as const,
    address: '127.0.0.1',
    family: 4 as const,
    port,
  };
  const ctx = { signal: new AbortController().signal, timeoutMs: 3000, onProgress: () => undefined };
  const N = 30;
  const ours = { tls: [] as number[], ttfb: [] as number[] };
  const curl = { tls: [] as number[], ttfb: [] as number[] };
  for (let i = 0; i < N; i++) {
    const h = await handshake(ep, { servername: domain, domain }, ctx);
    ours.tls.push(h.attempt.ms);
    const ex = await exchange(
      { scheme: 'https', address: '127.0.0.1', family: 4, port, host: domain, servername: domain, path: '/' },
      ctx,
    );
    ours.ttfb.push(ex.timing.ttfbMs ?? NaN);
    const { stdout } = await execFileAsync('curl', [
      '-sk',
      '-o',
      '/dev/null',
      '--http1.1',
      '--connect-to',
      `${domain}:${port}:127.0.0.1:${port}`,
      '-w',
      '%{time_appconnect} %{time_starttransfer}',
      `https://${domain}:${port}/`,
    ]);
    const [appconnect, starttransfer] = stdout
      .trim()
      .split(' ')
      .map((x) => Number(x) * 1000);
    curl.tls.push(appconnect!);
    curl.ttfb.push(starttransfer!);
  }
  server.close();
  const row = (name: string, o: number[], c: number[], ref: string): Row => {
    const a = median(o);
    const b = median(c);
    return {
      name,
      ours: round(a),
      reference: round(b),
      referenceName: ref,
      unit: 'ms',
      ratio: round(a / b, 2),
      target: '≈ 1',
      peakRssMb: null,
    };
  };
  return [
    row(
      'TLS handshake incl. connect, loopback (median of 30)',
      ours.tls,
      curl.tls,
      "curl -w '%{time_appconnect}'",
    ),
    row(
      'HTTPS time to first byte, loopback (median of 30)',
      ours.ttfb,
      curl.ttfb,
      "curl -w '%{time_starttransfer}'",
    ),
  ];
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** The history at 10,000 sessions × 30 probe results: page, search, open, append, as p50 / p95 against budgets. */
async function historyBench(): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'od-bench-db-'));
  try {
    const { db } = await openDatabase(path.join(dir, 'bench.sqlite'));
    const repo = new SessionsRepo(db);
    const input = (i: number) =>
      sessionInput({
        domain: `site-${i}.example.com`,
        endpoints: [
          {
            url: `https://203.0.113.${i % 250}:443`,
            scheme: 'https',
            address: `203.0.113.${i % 250}`,
            family: 4,
            port: 443,
          },
        ],
      });
    const t0 = performance.now();
    const fill = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const id = `s-${i}`;
        const at = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
        repo.create({ id, createdAt: at, input: input(i), parentId: null, toolVersion: 'bench' });
        for (let p = 0; p < 30; p++)
          repo.appendProbe(id, {
            id: `p-${p}`,
            kind: 'tcp',
            target: 'https://203.0.113.7:443',
            startedAt: at,
            durationMs: p,
            status: 'ok',
            data: { attempts: [1, 2, 3, 4], n: p },
            raw: 'seq=1 connected 12.3 ms',
          });
        const f = {
          id: i % 3 ? 'tcp.ok' : 'tcp.timeout',
          severity: (i % 3 ? 'info' : 'error') as 'info' | 'error',
          layer: 'network' as const,
          target: 'https://203.0.113.7:443',
          message: 'm',
          evidence: ['p-0'],
          params: {},
        };
        repo.finish(id, {
          status: 'finished',
          finishedAt: at,
          verdict: i % 3 ? 'healthy' : 'broken',
          environment: null,
          findings: [f],
          causes: [],
        });
      }
    });
    for (let i = 0; i < 10_000; i += 1000) fill(i, i + 1000);
    const fillMs = performance.now() - t0;
    const time = (n: number, fn: (i: number) => void): number[] =>
      Array.from({ length: n }, (_, i) => {
        const s = performance.now();
        fn(i);
        return performance.now() - s;
      });
    const page = time(50, () => repo.list({ limit: 50 }));
    const search = time(30, (i) => repo.list({ search: `site-${4000 + i}.example tcp.timeout`, limit: 50 }));
    const open = time(50, (i) => repo.get(`s-${(i * 197) % 10_000}`));
    repo.create({
      id: 'live',
      createdAt: new Date().toISOString(),
      input: input(1),
      parentId: null,
      toolVersion: 'bench',
    });
    const append = time(300, (i) =>
      repo.appendProbe('live', {
        id: `p-${i}`,
        kind: 'tcp',
        target: 't',
        startedAt: new Date().toISOString(),
        durationMs: 1,
        status: 'ok',
        data: { n: i },
      }),
    );
    db.close();
    const row = (name: string, xs: number[], budget: number): Row => ({
      name: `${name} (p50; p95 ${round(pct(xs, 95), 2)} ms)`,
      ours: round(pct(xs, 50), 3),
      reference: budget,
      referenceName: 'budget',
      unit: 'ms',
      ratio: round(pct(xs, 95) / budget, 2),
      target: '< 1 (p95)',
      peakRssMb: null,
    });
    console.log(`history: filled 10,000 sessions × 30 probes in ${round(fillMs / 1000, 1)} s`);
    return [
      row('history, first page of 10,000 sessions', page, 20),
      row('history, search in 10,000 sessions', search, 100),
      row('history, open one session (30 probes)', open, 20),
      row('history, append one probe result (committed)', append, 1),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Report rendering: HTML for a 500-probe session (budget 100 ms) and its PDF through Chromium (budget 3 s). */
async function reportBench(): Promise<Row[]> {
  const base = sampleReport();
  const tcp = base.probes[0]!;
  const probes = Array.from({ length: 500 }, (_, i) => ({
    ...tcp,
    id: `tcp-${i + 1}`,
    raw: `${tcp.raw}\n`.repeat(5),
  }));
  const report = { ...base, probes };
  const opts = { lang: 'en' as const, redact: false, now: new Date(), timeZone: 'UTC' };
  renderReport(report, opts);
  const html: number[] = [];
  let rendered = renderReport(report, opts);
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    rendered = renderReport(report, opts);
    html.push(performance.now() - s);
  }
  const s = performance.now();
  const pdf = await renderPdf(rendered, chromiumPrinter());
  const pdfMs = performance.now() - s;
  return [
    {
      name: `report HTML + Markdown, 500 probes (median of 20; ${Math.round(rendered.html.length / 1024)} KiB)`,
      ours: round(median(html), 1),
      reference: 100,
      referenceName: 'budget',
      unit: 'ms',
      ratio: round(median(html) / 100, 2),
      target: '< 1',
      peakRssMb: null,
    },
    {
      name: `report PDF through Chromium, 500 probes (${Math.round(pdf.length / 1024)} KiB)`,
      ours: round(pdfMs, 0),
      reference: 3000,
      referenceName: 'budget',
      unit: 'ms',
      ratio: round(pdfMs / 3000, 2),
      target: '< 1',
      peakRssMb: null,
    },
  ];
}

/**
 * Policy: a 10,000-rule iptables-save against every Cloudflare range on 3 ports. The interval simulation beside
 * the naive per-address walk on the same rules (timed on sampled addresses, scaled to the IPv4 space it would
 * have to walk); and the whole `policy` command with anomalies, with its peak memory.
 */
async function policyBench(): Promise<Row[]> {
  const text = bigIptablesSave(10_000);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'od-bench-policy-')), 'big.rules');
  writeFileSync(file, text);
  const parsed = parsePolicies([{ name: 'big.rules', text, format: null }]);
  if (!parsed.ok) throw new Error(`policy bench: ${parsed.error.key}`);
  const sets = parsed.value;
  const ranges = PROVIDERS.find((p) => p.id === 'cloudflare')!.ranges.map((r) => parseRange(r)!);
  const ports = [80, 443, 8443];
  const simulate = (): void => {
    for (const r of ranges)
      for (const port of ports)
        evaluateSpan(sets, r.span, { family: r.family, port, proto: 'tcp', dst: null });
  };
  simulate();
  const sim: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    simulate();
    sim.push(performance.now() - s);
  }
  // The naive walk on sampled IPv4 addresses of the same ranges, checked against the simulation as it goes.
  const v4 = ranges.filter((r) => r.family === 4);
  const v4Addresses = v4.reduce((n, r) => n + Number(r.span.hi - r.span.lo + 1n), 0);
  const samples = 3000;
  let mismatches = 0;
  const allowed = new Map<string, number>();
  const s = performance.now();
  for (let i = 0; i < samples; i++) {
    const r = v4[i % v4.length]!;
    const n = r.span.lo + (BigInt(i * 7919) % (r.span.hi - r.span.lo + 1n));
    const q = { family: 4 as const, port: ports[i % 3]!, proto: 'tcp' as const, dst: null };
    const o = evaluateAddress(sets, n, q);
    allowed.set(o, (allowed.get(o) ?? 0) + 1);
  }
  const perAddress = (performance.now() - s) / samples;
  for (let i = 0; i < 300; i++) {
    const r = v4[i % v4.length]!;
    const n = r.span.lo + (BigInt(i * 104729) % (r.span.hi - r.span.lo + 1n));
    const q = { family: 4 as const, port: ports[i % 3]!, proto: 'tcp' as const, dst: null };
    const seg = evaluateSpan(sets, { lo: n, hi: n }, q)[0]!;
    if (seg.outcome !== evaluateAddress(sets, n, q)) mismatches++;
  }
  if (mismatches > 0)
    throw new Error(`policy bench: the simulation and the naive walk disagree (${mismatches})`);
  const naiveMs = perAddress * v4Addresses * ports.length;
  // The change impact: the same set against a copy with a DROP for one Cloudflare /24 inserted and one rule
  // dropped (every later line moves), both parsed once, compared for every range on the same ports.
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('-A ufw-user-input'));
  lines.splice(at, 1, '-A ufw-user-input -s 162.158.10.0/24 -p tcp -m tcp --dport 443 -j DROP');
  const changed = lines.join('\n');
  const after = path.join(path.dirname(file), 'big-after.rules');
  writeFileSync(after, changed);
  const parsedAfter = parsePolicies([{ name: 'big-after.rules', text: changed, format: null }]);
  if (!parsedAfter.ok) throw new Error(`policy bench: ${parsedAfter.error.key}`);
  const compare = () =>
    comparePolicies({
      before: sets,
      after: parsedAfter.value,
      ranges: PROVIDERS.find((p) => p.id === 'cloudflare')!.ranges,
      ports,
      provider: 'Cloudflare',
      destinations: [],
      all: false,
    });
  if (compare().verdict !== 'cuts') throw new Error('policy bench: the comparison missed the inserted DROP');
  const cmp: number[] = [];
  // CPU time beside wall time: on a machine shared with other jobs the wall time mostly measures the wait.
  const cmpCpu: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    const c = process.cpuUsage();
    compare();
    cmp.push(performance.now() - s);
    const used = process.cpuUsage(c);
    cmpCpu.push((used.user + used.system) / 1000);
  }
  const compareCli = await timedCli(null, [
    'policy',
    '--before',
    file,
    '--after',
    after,
    '--provider',
    'cloudflare',
    ...ports.flatMap((p) => ['--port', String(p)]),
    '--json',
    '/dev/null',
  ]);
  // The whole command five times: the median wall and CPU time (the CPU time is what a shared machine does not
  // inflate much), and the highest peak memory.
  const cliRuns: Awaited<ReturnType<typeof timedCli>>[] = [];
  for (let i = 0; i < 5; i++)
    cliRuns.push(
      await timedCli(null, [
        'policy',
        '--rules',
        file,
        '--provider',
        'cloudflare',
        ...ports.flatMap((p) => ['--port', String(p)]),
        '--json',
        '/dev/null',
      ]),
    );
  const cli = {
    ms: median(cliRuns.map((r) => r.ms)),
    cpuMs: median(cliRuns.map((r) => r.cpuMs ?? NaN)),
    rssMb: cliRuns.some((r) => r.rssMb === null) ? null : maxOf(cliRuns.map((r) => r.rssMb!)),
  };
  return [
    {
      name: `policy simulation, 10,000 rules × ${ranges.length} Cloudflare ranges × 3 ports (median of 5)`,
      ours: round(median(sim), 1),
      reference: round(naiveMs, 0),
      referenceName: `naive per-address walk, ${(v4Addresses / 1e6).toFixed(2)} M IPv4 addresses × 3 ports, from ${samples} samples`,
      unit: 'ms',
      ratio: round(median(sim) / naiveMs, 6),
      target: '< 1 s',
      peakRssMb: null,
    },
    {
      name: `policy change impact, two 10,000-rule sets × ${ranges.length} Cloudflare ranges × 3 ports: simulation of both + anomalies that changed (median of 5)`,
      ours: round(median(cmp), 1),
      reference: round(median(sim), 1),
      referenceName: `the single-set simulation above; CPU time ${round(median(cmpCpu), 0)} ms`,
      unit: 'ms',
      ratio: round(median(cmp) / median(sim), 1),
      target: '< 1 s',
      peakRssMb: null,
    },
    {
      name: 'origin-doctor policy --before --after, two 10,000-rule sets: parse both + compare (whole CLI run)',
      ours: round(compareCli.ms, 0),
      reference: 1000,
      referenceName: 'budget',
      unit: 'ms',
      ratio: round(compareCli.ms / 1000, 2),
      target: '< 300 MB',
      peakRssMb: compareCli.rssMb,
    },
    {
      name: 'origin-doctor policy, 10,000 rules: parse once + simulation + anomalies (whole CLI run, median of 5)',
      ours: round(cli.ms, 0),
      reference: 500,
      referenceName: `budget; CPU time (user + system) ${round(cli.cpuMs, 0)} ms`,
      unit: 'ms',
      ratio: round(cli.ms / 500, 2),
      target: '< 0.5 s, < 150 MB',
      peakRssMb: cli.rssMb,
    },
  ];
}

/** Median wall time of a command, run `n` times. */
async function medianRun(file: string, args: string[], n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await execFileAsync(file, args);
    times.push(performance.now() - s);
  }
  return median(times);
}

/** DNS: our resolver probe (A, AAAA and the CNAME chain) beside dig, against a dnsmasq on loopback. */
async function dnsBench(): Promise<Row[]> {
  const port = 5399;
  const dnsmasq = spawn(
    '/usr/sbin/dnsmasq',
    [
      '--keep-in-foreground',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      '--listen-address=127.0.0.1',
      `--port=${port}`,
      '--pid-file=',
      '--address=/bench.test/198.18.1.2',
    ],
    { stdio: 'ignore' },
  );
  try {
    await new Promise((r) => setTimeout(r, 300));
    const ctx = { signal: new AbortController().signal, timeoutMs: 2000, onProgress: () => undefined };
    const server = { address: '127.0.0.1', port };
    const first = await dnsProbe('bench.test', server, ctx);
    if (first.outcome !== 'ok') throw new Error(`dns bench: dnsmasq did not answer (${first.outcome})`);
    const ours: number[] = [];
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      await dnsProbe('bench.test', server, ctx);
      ours.push(performance.now() - s);
    }
    const dig = await medianRun(
      'dig',
      ['@127.0.0.1', '-p', String(port), 'bench.test', 'A', '+tries=1', '+time=2'],
      20,
    );
    return [
      {
        name: 'DNS through one resolver (A + AAAA + CNAME chain), dnsmasq on loopback (median of 20)',
        ours: round(median(ours), 2),
        reference: round(dig, 2),
        referenceName: 'dig, one A query, process wall time',
        unit: 'ms',
        ratio: round(median(ours) / dig, 2),
        target: '≤ 1',
        peakRssMb: null,
      },
    ];
  } finally {
    dnsmasq.kill('SIGKILL');
  }
}

/**
 * A sweep of 1,000 loopback ports (50 of them listening) through the runner, with the safety caps raised for
 * the benchmark only, beside `nmap -sT` on the same ports.
 */
async function sweepBench(): Promise<Row[]> {
  const base = 21000;
  const listeners: net.Server[] = [];
  for (let i = 0; i < 50; i++) {
    const srv = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => srv.listen(base + i * 20, '127.0.0.1', () => r()));
    listeners.push(srv);
  }
  try {
    const tasks: ProbeTask[] = Array.from({ length: 1000 }, (_, i) => ({
      id: `p-${i}`,
      kind: 'tcp' as const,
      target: `127.0.0.1:${base + i}`,
      key: `127.0.0.1:${base + i}`,
      run: async (ctx) => {
        const a = await tcpAttempt(
          { address: '127.0.0.1', port: base + i, family: 4 },
          1,
          ctx.timeoutMs,
          0,
          ctx.signal,
        );
        return { status: a.outcome === 'connected' ? 'ok' : 'fail', data: { ...a } };
      },
    }));
    const sweep = async (): Promise<{ ms: number; open: number }> => {
      const s = performance.now();
      // One signal for 1,000 sockets: many listeners are expected here.
      const controller = new AbortController();
      setMaxListeners(2000, controller.signal);
      const records = await runProbes(tasks, {
        timeoutMs: 1000,
        signal: controller.signal,
        now: () => new Date(),
        limits: { concurrency: 1000, perTarget: 1 },
      });
      return { ms: performance.now() - s, open: records.filter((r) => r.status === 'ok').length };
    };
    // Three warm-up sweeps (the JIT, the socket pools), then the median of seven.
    for (let i = 0; i < 3; i++) await sweep();
    const runs: { ms: number; open: number }[] = [];
    for (let i = 0; i < 7; i++) runs.push(await sweep());
    if (runs.some((r) => r.open !== 50)) throw new Error('sweep bench: expected 50 open ports');
    const nmap = await medianRun(
      'nmap',
      ['-sT', '-n', '-Pn', '-T4', '-p', `${base}-${base + 999}`, '127.0.0.1'],
      7,
    );
    const ours = median(runs.map((r) => r.ms));
    return [
      {
        name: 'sweep of 1,000 loopback ports (50 open), caps raised for the benchmark (median of 7, warmed up)',
        ours: round(ours, 1),
        reference: round(nmap, 1),
        referenceName: 'nmap -sT -T4, process wall time',
        unit: 'ms',
        ratio: round(ours / nmap, 2),
        target: '≤ 1.2',
        peakRssMb: null,
      },
    ];
  } finally {
    for (const l of listeners) l.close();
  }
}

/**
 * The renderer as shipped: its gzipped size, and the time from navigation until the setup form's run button can
 * be clicked, in Chromium, with the same bridge the end-to-end tests use (median of 5 cold loads).
 */
async function rendererBench(): Promise<Row[]> {
  const dir = path.join(process.cwd(), 'out', 'renderer');
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else files.push(path.join(d, e.name));
    }
  };
  walk(dir);
  const gz = files.reduce((n, f) => n + gzipSync(readFileSync(f)).length, 0);
  // The JavaScript a window loads before it can answer: the budget the build enforces too (350 KiB).
  const js = files.filter((f) => f.endsWith('.js'));
  const jsGz = js.reduce((n, f) => n + gzipSync(readFileSync(f)).length, 0);
  const server = await serveRenderer();
  const browser = await launchChromium();
  const times: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await installBridge(page, server.url);
      const s = performance.now();
      await page.goto(server.url);
      // A trial click waits until the button is visible, enabled and stable: the form would answer a click.
      await page.getByRole('button', { name: 'Run the checks' }).click({ trial: true });
      times.push(performance.now() - s);
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return [
    {
      name: `renderer, initial JavaScript gzipped (all ${files.length} assets: ${round(gz / 1024, 1)} KiB)`,
      ours: round(jsGz / 1024, 1),
      reference: 350,
      referenceName: 'budget',
      unit: 'KiB',
      ratio: round(jsGz / 1024 / 350, 2),
      target: '< 1',
      peakRssMb: null,
    },
    {
      name: 'renderer, time to interactive in Chromium (median of 5 cold loads)',
      ours: round(median(times), 0),
      reference: 1000,
      referenceName: 'budget',
      unit: 'ms',
      ratio: round(median(times) / 1000, 2),
      target: '< 1',
      peakRssMb: null,
    },
  ];
}

/** Every group, in the order printed; `npm run bench -- policy report` runs only the named ones. */
const GROUPS: Record<string, () => Promise<Row[]>> = {
  tcp: async () => [await tcpingVsCurl()],
  dns: dnsBench,
  sweep: sweepBench,
  protocol: protocolVsCurl,
  diagnose: () => blackholeRun(3000),
  policy: policyBench,
  history: historyBench,
  report: reportBench,
  renderer: rendererBench,
};

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((g) => !GROUPS[g]);
  if (unknown.length)
    throw new Error(`unknown group ${unknown.join(', ')}; groups: ${Object.keys(GROUPS).join(', ')}`);
  const rows: Row[] = [];
  for (const [name, run] of Object.entries(GROUPS))
    if (only.length === 0 || only.includes(name)) appendAll(rows, await run());
  const header = ['benchmark', 'ours', 'reference', 'ratio', 'target', 'peak RSS'];
  const lines = rows.map((r) => [
    r.name,
    `${r.ours} ${r.unit}`,
    `${r.reference} ${r.unit} (${r.referenceName})`,
    `${r.ratio}×`,
    r.target,
    r.peakRssMb === null ? '-' : `${r.peakRssMb} MB`,
  ]);
  const widths = header.map((h, i) =>
    maxOf(
      lines.map((l) => l[i]!.length),
      h.length,
    ),
  );
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
  const dir = path.join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'latest.json'),
    JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2) + '\n',
  );
  console.log(`\nwritten: ${path.relative(process.cwd(), path.join(dir, 'latest.json'))}`);
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
