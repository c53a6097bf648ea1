import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { originBundleSchema, type OriginBundle } from '../../shared/model/origin-bundle';
import { causesFor, CLI, diagnose, runCli, type CliRun } from '../lab/cli';
import { createLab, LAB, labAvailable, startOrigin, waitFor, warmUp, type Lab } from '../lab/lab';
import type { Report } from '../../shared/model/report';

/**
 * `origin-check --observe` in the namespace lab: a "provider" address (198.18.200.5 / 2001:db8:200::5, inside the
 * configured ranges) and the laptop's own address (198.18.0.2 / 2001:db8::2, outside them) connect from the client
 * namespace while the observation runs in the origin namespace. One 3 s window covers every case:
 *   80 answered · 81 DROP · 82 REJECT tcp-reset · 83 REJECT icmp · 86 dropped on the router for the provider only
 *   (a stand-in for a cloud security group; the laptop gets through) · 87 LOG then DROP.
 * Then `diagnose --origin-bundle` from the laptop names the right finding and top cause for each, IPv4 and IPv6.
 */

const available = labAvailable();
const PROVIDER4 = '198.18.200.5';
const PROVIDER6 = '2001:db8:200::5';
const RANGE4 = '198.18.200.0/24';
const RANGE6 = '2001:db8:200::/64';
const LAPTOP6 = '2001:db8::2';
const PORTS = { answered: 80, drop: 81, reset: 82, icmp: 83, absent: 86, logged: 87 } as const;
const PREFIX = `OD${process.pid}DROP: `;
const NF_LOG_ALL_NETNS = '/proc/sys/net/netfilter/nf_log_all_netns';

/** Connects from the client namespace, from a given local address, to each port; resolves when all are settled. */
function connectFrom(lab: Lab, pairs: { from: string; to: string; port: number }[]): void {
  const script = `const net=require('net');const pairs=${JSON.stringify(pairs)};let n=0;
for(const p of pairs){const s=net.connect({host:p.to,port:p.port,localAddress:p.from});
const done=()=>{s.destroy();if(++n===pairs.length)process.exit(0)};
s.on('connect',done);s.on('error',done);s.setTimeout(2200,done)}
setTimeout(()=>process.exit(3),6000)`;
  lab.exec(lab.client, process.execPath, ['-e', script]);
}

/** Runs origin-check --observe in the origin namespace and starts `traffic` once the window is open. */
function observe(lab: Lab, args: string[], traffic: () => void): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn('ip', ['netns', 'exec', lab.origin, process.execPath, CLI, 'origin-check', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let started = false;
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (!started && /observing TCP/.test(stderr)) {
        started = true;
        try {
          traffic();
        } catch (e) {
          reject(e as Error);
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - start }));
  });
}

describe('origin-check --observe in the namespace lab', () => {
  let lab: Lab;
  let dir: string;
  let bundleFile: string;
  let bundle: OriginBundle;
  let observeRun: CliRun;
  let report: Report;
  let logAllNetns: string | null = null;
  const url = (address: string, port: number): string =>
    `http://${address.includes(':') ? `[${address}]` : address}:${port}`;

  beforeAll(async () => {
    if (!available.ok)
      throw new Error(`namespace lab unavailable: ${available.why} (run the tests as root, as CI does)`);
    if (!execFileSync('sh', ['-c', 'command -v tcpdump || true'], { encoding: 'utf8' }).trim())
      throw new Error('tcpdump is not installed: apt-get install tcpdump (the observation captures with it)');
    // iptables LOG in a namespace other than the host's writes nothing unless the host allows it; restored after.
    try {
      logAllNetns = readFileSync(NF_LOG_ALL_NETNS, 'utf8').trim();
      execFileSync('sysctl', ['-qw', 'net.netfilter.nf_log_all_netns=1'], { stdio: 'pipe' });
    } catch (e) {
      throw new Error(
        `cannot enable net.netfilter.nf_log_all_netns (the LOG rule in a namespace needs it; run as root with /proc/sys writable and the nf_log_syslog module): ${(e as Error).message}`,
        { cause: e },
      );
    }
    lab = createLab();
    await startOrigin(lab);
    const extra = lab.spawnIn(lab.origin, process.execPath, [
      '-e',
      `require('node:net').createServer((s) => s.end('hi\\n')).listen(${PORTS.absent}, () => console.log('ready'))`,
    ]);
    await waitFor(extra, /ready/, 'listener on 86');
    // The provider's addresses live on the client; the router routes their ranges back to it.
    execFileSync('ip', ['-n', lab.client, 'addr', 'add', `${PROVIDER4}/32`, 'dev', 'c0']);
    execFileSync('ip', ['-n', lab.client, 'addr', 'add', `${PROVIDER6}/128`, 'dev', 'c0', 'nodad']);
    execFileSync('ip', ['-n', lab.router, 'route', 'add', RANGE4, 'via', LAB.client]);
    execFileSync('ip', ['-n', lab.router, '-6', 'route', 'add', RANGE6, 'via', LAPTOP6]);
    for (const [tool, range] of [
      ['iptables', RANGE4],
      ['ip6tables', RANGE6],
    ] as const) {
      // The "security group": the router drops the provider on 86; everyone else passes.
      lab.exec(lab.router, tool, [
        '-A',
        'FORWARD',
        '-s',
        range,
        '-p',
        'tcp',
        '--dport',
        String(PORTS.absent),
        '-j',
        'DROP',
      ]);
      lab.exec(lab.origin, tool, [
        '-A',
        'INPUT',
        '-p',
        'tcp',
        '--dport',
        String(PORTS.logged),
        '-j',
        'LOG',
        '--log-prefix',
        PREFIX,
      ]);
      lab.exec(lab.origin, tool, ['-A', 'INPUT', '-p', 'tcp', '--dport', String(PORTS.logged), '-j', 'DROP']);
    }
    warmUp(lab);
    dir = mkdtempSync(path.join(tmpdir(), 'od-lab-observe-'));
    bundleFile = path.join(dir, 'origin.json');
    const ports = Object.values(PORTS);
    observeRun = await observe(
      lab,
      [
        '--observe',
        '3',
        '--source-range',
        RANGE4,
        '--source-range',
        RANGE6,
        ...ports.flatMap((p) => ['--port', String(p)]),
        '--json',
        bundleFile,
      ],
      () =>
        connectFrom(lab, [
          ...[PROVIDER4, PROVIDER6].flatMap((from) =>
            ports.map((port) => ({ from, to: from.includes(':') ? LAB.origin6 : LAB.origin, port })),
          ),
          // The laptop reaches 86 (the others arrive while the provider's do not).
          { from: LAB.client, to: LAB.origin, port: PORTS.absent },
          { from: LAPTOP6, to: LAB.origin6, port: PORTS.absent },
        ]),
    );
    if (observeRun.code !== 0) throw new Error(`origin-check --observe failed: ${observeRun.stderr}`);
    bundle = originBundleSchema.parse(JSON.parse(readFileSync(bundleFile, 'utf8')));
    const endpoints = [LAB.origin, LAB.origin6].flatMap((a) => ports.map((p) => url(a, p)));
    report = (
      await diagnose(
        [
          ...endpoints.flatMap((e) => ['--endpoint', e]),
          '--no-trace',
          '--timeout',
          '1500',
          '--attempts',
          '2',
          '--origin-bundle',
          bundleFile,
        ],
        lab.client,
      )
    ).report;
  }, 120_000);
  afterAll(() => {
    lab?.teardown();
    if (logAllNetns !== null)
      execFileSync('sysctl', ['-qw', `net.netfilter.nf_log_all_netns=${logAllNetns}`]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const row = (port: number, range: string | null) =>
    bundle.observation!.rows.find((r) => r.port === port && r.range === range)!;

  test('the bundle is version 2 and holds the window, bounded, with the per-port × range table', () => {
    expect(bundle.version).toBe(2);
    const o = bundle.observation!;
    expect(o.capture.problem).toBeNull();
    expect(o.endedEarly).toBe(false);
    expect(o.durationMs).toBeGreaterThanOrEqual(2900);
    // Bound + grace: the 3 s window, tcpdump's start, the closing reads; generous for a loaded machine.
    expect(observeRun.ms).toBeLessThan(3000 + 12_000);
    for (const range of [RANGE4, RANGE6]) {
      expect([range, row(PORTS.answered, range).synAck]).toEqual([range, 1]);
      expect([range, row(PORTS.drop, range).unanswered]).toEqual([range, 1]);
      expect([range, row(PORTS.reset, range).rst]).toEqual([range, 1]);
      expect([range, row(PORTS.icmp, range).icmp]).toEqual([range, 1]);
      expect([range, row(PORTS.absent, range).attempted]).toEqual([range, 0]);
      expect([range, row(PORTS.logged, range).unanswered]).toEqual([range, 1]);
    }
    // The laptop's SYNs to 86 are counted apart, answered.
    expect(row(PORTS.absent, null)).toMatchObject({ attempted: 2, synAck: 2 });
    const dropped = row(PORTS.drop, RANGE4).examples[0]!;
    expect(dropped.src).toBe(PROVIDER4);
    expect(dropped.ladder.map((s) => s.kind)).toContain('syn_retransmit');
    const icmp6 = row(PORTS.icmp, RANGE6).examples[0]!.ladder.find((s) => s.kind === 'icmp')!;
    expect(icmp6.icmp).toEqual({ type: 1, code: 1 });
    expect(observeRun.stdout).toMatch(
      /port 81 from 198\.18\.200\.0\/24: 1 connection attempts: 0 SYN-ACK, 0 RST, 0 ICMP, 1 unanswered/,
    );
  });

  test('the firewall counters that rose are named with their line; the log lines of the LOG rule are read', () => {
    const rose = bundle.observation!.counters!.rose;
    const drop81 = rose.find((r) => r.source === 'iptables-save -c' && / --dport 81 .*-j DROP/.test(r.rule))!;
    expect(drop81.chain).toBe('INPUT');
    expect(drop81.packets).toBeGreaterThanOrEqual(2);
    expect(drop81.line).toBeGreaterThan(0);
    expect(rose.some((r) => r.source === 'ip6tables-save -c' && /--dport 82 .*REJECT/.test(r.rule))).toBe(
      true,
    );
    const log = bundle.observation!.firewallLog!;
    const mine = log.providerByPrefix.find((p) => p.prefix === PREFIX.replace(/: $/, ''))!;
    expect(mine.count).toBeGreaterThanOrEqual(2);
    expect(mine.blocked).toBe(true);
    expect(log.providerEntries.some((e) => e.src === PROVIDER6 && e.dpt === PORTS.logged)).toBe(true);
  });

  for (const [family, origin] of [
    ['IPv4', LAB.origin],
    ['IPv6', LAB.origin6],
  ] as const) {
    const fam = family === 'IPv4' ? 4 : 6;
    const find = (id: string, port: number) =>
      report.findings.find(
        (f) =>
          f.id === id && f.params.port === port && [fam, null].includes(f.params.family as number | null),
      );

    test(`${family}: DROP on the origin → unanswered, the DROP rule named, firewall_drop on top`, () => {
      const f = find('origin.provider_syn_unanswered', PORTS.drop)!;
      expect(f.params.rule).toMatch(/--dport 81 -j DROP/);
      expect(f.params.source).toBe(family === 'IPv4' ? 'iptables-save -c' : 'ip6tables-save -c');
      expect(causesFor(report, url(origin, PORTS.drop))[0]).toBe('cause.firewall_drop');
      const cause = report.causes.find((c) => c.id === 'cause.firewall_drop')!;
      expect(cause.targetConfidence[url(origin, PORTS.drop)]).toBe(0.95);
      expect(cause.checks[0]!.key).toBe('check.seen_at_origin');
    });

    test(`${family}: REJECT with tcp-reset and with ICMP → rejected with the mechanism, firewall_reject on top`, () => {
      const rst = find('origin.provider_syn_rejected', PORTS.reset)!;
      expect(rst.params.mechanism).toBe('RST');
      expect(rst.params.rule).toMatch(/--dport 82 -j REJECT --reject-with tcp-reset/);
      const icmp = find('origin.provider_syn_rejected', PORTS.icmp)!;
      expect(icmp.params.mechanism).toMatch(/^ICMP /);
      for (const port of [PORTS.reset, PORTS.icmp])
        expect([port, causesFor(report, url(origin, port))[0]]).toEqual([port, 'cause.firewall_reject']);
    });

    test(`${family}: answered → the network is fine for the provider; no firewall cause leads for that endpoint`, () => {
      expect(find('origin.provider_syn_answered', PORTS.answered)).toBeDefined();
      const target = url(origin, PORTS.answered);
      // On a loaded machine the laptop's own probe of :80 may fail now and then; whatever it suggests about
      // firewalls is about the laptop, so the origin's view damps it to 0.2 at most.
      const network = report.causes.filter(
        (c) => /firewall|routing|backorigin/.test(c.id) && c.targetConfidence[target] !== undefined,
      );
      for (const c of network)
        expect([c.id, c.targetConfidence[target]! <= 0.2, c.findings]).toEqual([c.id, true, c.findings]);
    });

    test(`${family}: blocked on the router for the provider only → absent, the allow-list upstream on top`, () => {
      const f = find('origin.provider_syn_absent', PORTS.absent)!;
      expect(f.params.others).toBe(2);
      expect(causesFor(report, url(origin, PORTS.absent))[0]).toBe('cause.backorigin_not_allowed');
    });

    test(`${family}: LOG before DROP → the firewall log finding, with its prefix and count`, () => {
      const f = report.findings.find((x) => x.id === 'origin.firewall_log_blocks')!;
      expect(f.severity).toBe('error');
      expect(String(f.params.prefixes)).toContain(PREFIX.replace(/: $/, ''));
      expect(find('origin.provider_syn_unanswered', PORTS.logged)!.params.logPrefix).toBe(
        PREFIX.replace(/: $/, ''),
      );
      expect(causesFor(report, url(origin, PORTS.logged))[0]).toBe('cause.firewall_drop');
    });
  }
});

describe('origin-check --observe: bounds, Ctrl-C and privileges', () => {
  test('the window is validated: 1–600 whole seconds, and the provider ranges are required', async () => {
    for (const bad of ['0', '601', '2.5', 'abc', '-3']) {
      const run = await runCli(['origin-check', '--observe', bad, '--source-range', RANGE4]);
      expect([bad, run.code]).toEqual([bad, 2]);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      // `-3` looks like an option to the parser, which says so in its own one line.
      if (bad !== '-3') expect(run.stderr).toMatch(/--observe .* is not a number of seconds from 1 to 600/);
    }
    const none = await runCli(['origin-check', '--observe', '5']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--observe needs the provider's ranges/);
  });

  test('Ctrl-C ends the window early, keeps what was seen, and leaves no tcpdump behind', async () => {
    if (!available.ok) throw new Error(`namespace lab unavailable: ${available.why}`);
    const lab = createLab();
    const dir = mkdtempSync(path.join(tmpdir(), 'od-lab-observe-int-'));
    try {
      const file = path.join(dir, 'o.json');
      let pid = 0;
      const run = await new Promise<CliRun>((resolve, reject) => {
        const start = Date.now();
        const child = spawn(
          'ip',
          ['netns', 'exec', lab.origin, process.execPath, CLI, 'origin-check', '--observe', '600'].concat([
            '--source-range',
            RANGE4,
            '--port',
            '80',
            '--json',
            file,
          ]),
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        pid = child.pid!;
        let stderr = '';
        child.stderr.on('data', (b: Buffer) => {
          stderr += b.toString();
          // `ip netns exec` execs node in its place: the pid is the CLI's own.
          if (/observing TCP/.test(stderr)) setTimeout(() => child.kill('SIGINT'), 500);
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout: '', stderr, ms: Date.now() - start }));
      });
      expect(run.code).toBe(0);
      expect(run.ms).toBeLessThan(20_000);
      const o = originBundleSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).observation!;
      expect(o.endedEarly).toBe(true);
      expect(o.durationMs).toBeLessThan(10_000);
      expect(o.capture.problem).toBeNull();
      expect(pid).toBeGreaterThan(0);
      const left = execFileSync('ip', ['netns', 'pids', lab.origin], { encoding: 'utf8' }).trim();
      expect(left).toBe('');
    } finally {
      lab.teardown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without root: says that the capture and the counters need root, and still reads the listen queue', async () => {
    const run = await runCli(
      ['origin-check', '--observe', '1', '--source-range', '127.0.0.0/8', '--port', '9', '--json', '-'],
      { asNobody: true },
    );
    expect(run.code).toBe(0);
    const o = originBundleSchema.parse(JSON.parse(run.stdout)).observation!;
    expect(o.capture.problem).toBe('not_permitted');
    expect(o.needsRoot).toEqual(expect.arrayContaining(['packet capture (tcpdump)', 'firewall counters']));
    expect(o.listenQueueDelta).not.toBeNull();
    // No capture, no claim about the SYNs.
    expect(o.rows).toEqual([]);
    expect(run.stderr).toMatch(/no packet capture: not_permitted/);
  });
});

describe('the observation in the reports (HTML, Markdown, JSON)', () => {
  test('the per-range table and a handshake ladder; addresses, prefixes and rules escaped as untrusted', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'od-observe-report-'));
    try {
      // A real observation's shape, with hostile strings where the origin's own text goes.
      const hostile = '<img src=x onerror=alert(1)>|[x](https://evil.example)';
      const base = JSON.parse(
        readFileSync(path.join(__dirname, '..', 'fixtures', 'origin', 'observe', 'bundle-v1.json'), 'utf8'),
      ) as OriginBundle;
      const example = {
        src: '198.18.200.5',
        sport: 40000,
        dst: '198.18.1.2',
        at: '2026-11-29T09:00:00.000Z',
        outcome: 'unanswered' as const,
        ladder: [
          { t: 0, dir: 'in' as const, kind: 'syn' as const, from: '198.18.200.5' },
          { t: 1003, dir: 'in' as const, kind: 'syn_retransmit' as const, from: '198.18.200.5' },
        ],
      };
      const b: OriginBundle = {
        ...base,
        version: 2,
        observation: {
          startedAt: '2026-11-29T09:00:00.000Z',
          seconds: 3,
          durationMs: 3000,
          endedEarly: false,
          ranges: [RANGE4],
          ports: [81],
          capture: {
            tool: 'tcpdump',
            interface: 'any',
            filter: 'x',
            problem: null,
            detail: null,
            packets: 3,
            notFollowed: 0,
          },
          rows: [
            {
              port: 81,
              range: RANGE4,
              attempted: 1,
              synAck: 0,
              rst: 0,
              icmp: 0,
              unanswered: 1,
              pending: 0,
              examples: [example],
            },
          ],
          counters: {
            sources: ['iptables-save -c'],
            rose: [
              {
                source: 'iptables-save -c',
                line: 7,
                table: 'filter',
                chain: 'INPUT',
                position: 2,
                rule: `-A INPUT -p tcp --dport 81 -m comment --comment "${hostile}" -j DROP`,
                verdict: 'drop',
                packets: 3,
              },
            ],
          },
          conntrackFullDelta: 0,
          listenQueueDelta: { overflows: 0, drops: 0 },
          firewallLog: {
            sources: ['dmesg'],
            lines: 1,
            from: null,
            to: null,
            providerByPrefix: [{ prefix: hostile, count: 1, blocked: true, sample: hostile }],
            providerEntries: [],
          },
          needsRoot: [],
          unavailable: [],
        },
      };
      const file = path.join(dir, 'b.json');
      writeFileSync(file, JSON.stringify(b));
      const html = path.join(dir, 'r.html');
      const md = path.join(dir, 'r.md');
      const run = await diagnose([
        '--endpoint',
        'http://127.0.0.1:1',
        '--no-trace',
        '--timeout',
        '1000',
        '--origin-bundle',
        file,
        '--html',
        html,
        '--md',
        md,
      ]);
      expect(run.report.probes.find((p) => p.kind === 'origin')!.data).toHaveProperty(
        'observation.rows.0.unanswered',
        1,
      );
      const h = readFileSync(html, 'utf8');
      expect(h).toContain('<section id="observation">');
      expect(h).toMatch(
        /<td>81<\/td><td>198\.18\.200\.0\/24<\/td><td>1<\/td><td>0<\/td><td>0<\/td><td>0<\/td><td>1<\/td>/,
      );
      expect(h).toContain('198.18.200.5:40000 → 198.18.1.2:81');
      expect(h).toContain('SYN-RETRANSMIT');
      expect(h).not.toContain('<img src=x');
      expect(h).toContain('&#60;img src=x onerror=alert(1)&#62;');
      const m = readFileSync(md, 'utf8');
      expect(m).toMatch(/\| 81 \| 198\.18\.200\.0\/24 \| 1 \| 0 \| 0 \| 0 \| 1 \| 0 \|/);
      // Outside code fences (literal text) every markup character of the origin's text is backslash-escaped.
      const outside = m.replace(/```[\s\S]*?```/g, '');
      expect(outside).not.toMatch(/(?<!\\)<img src=x/);
      expect(outside).toContain('\\<img src=x onerror=alert\\(1\\)\\>');
      expect(outside).not.toContain('[x](https://evil.example)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
