import { describe, expect, test } from 'vitest';
import { readCapture } from '../../main/capture/pcap';
import { splitPemBlocks } from '../../main/cli/ca-files';
import { decodeErrorPage } from '../../main/diagnosis/error-page';
import {
  countConntrackFull,
  nginxKeepaliveSeconds,
  parseErrorLog,
  parseGetNetTcpConnection,
  parseListeners,
  parseLsof,
  parseNetstatLinux,
  parseNetstatWindows,
  parseProcNetTcp,
  parseSs,
} from '../../main/origin/parsers';
import { bundleFromPastes } from '../../main/origin/paste';
import { POLICY_FORMATS, type PolicyFormat } from '../../main/policy/model';
import { detectFormat, parsePolicy } from '../../main/policy/parse';
import { parseSshBanner } from '../../main/probes/mgmt';
import { parseLimits, parseProcNetstat } from '../../main/probes/origin-collect';
import { parseProcNetIpv6Route, parseProcNetRoute } from '../../main/probes/route-parsers';
import {
  parseLinuxRouteGet,
  parseMacRouteGet,
  parseWindowsFindNetRoute,
} from '../../main/probes/route-query-parsers';
import { parseMtrJson, parseTracepath, parseTracert, parseTraceroute } from '../../main/probes/trace-parsers';
import { sessionExportSchema } from '../../main/use-cases/sessions';
import { originBundleSchema } from '../../shared/model/origin-bundle';
import { decodeText } from '../../shared/text/decode';
import { parseNotes } from '../../shared/wizard/flow';

/**
 * Every reader and detector of text or bytes that a person, a file or the network hands us (issue 19, item 2), on
 * hostile input: a long line of spaces, many blank lines, a line that repeats a near-match without ever finishing
 * it, quote and tab fillers, and the format's own line repeated, each built around realistic lines of the format.
 *
 * Two checks, sized so the whole file runs in seconds even on a loaded two-core machine:
 * - growth: every seed × shape at 1, 2, 4 and 8 × N (N = 4 KiB). Linear is 8× from the first to the last, quadratic
 *   64×; the check allows 3 × 8 plus a floor. The historic quadratic readers took seconds at these sizes already.
 * - budget: each reader's likely slowest shapes (the slowest at 8 × N, the fastest growing) at 1 MiB must take under a second, and
 *   no more than a linear extrapolation from 8 × N allows (32×, with a margin of 4 and a floor).
 * Time is the process's CPU time (user + system), not the wall clock: five other jobs sharing the two cores stretch
 * the wall clock of a linear reader, not its CPU time. Each figure is the minimum of a few runs, re-measured only
 * when the first run looks too slow, so noise cannot fail a linear reader and a quadratic one cannot pass.
 */
const KiB = 1024;
const MiB = 1024 * KiB;
const N = 4 * KiB;
const SIZES = [1, 2, 4, 8] as const;
const BUDGET_MS = 1000;
/** Growth of 8 × over 1 ×: linear is 8, quadratic 64; this many times 8 is allowed. */
const MARGIN = 3;
/** Below this much CPU time the timer, the JIT and the collector are the noise, not the reader. */
const FLOOR_MS = 15;
/** 1 MiB over 8 × N (32× the input): allowed up to 4 × 32 × the time at 8 × N plus this floor. */
const BIG_FLOOR_MS = 100;
const RUNS = 3;

type Reader = { name: string; read: (text: string) => unknown; seeds: readonly string[] };

const policy =
  (format: PolicyFormat | null) =>
  (text: string): unknown =>
    parsePolicy({ name: 'x', text, format });

/** A realistic line of each format: the fillers are built around it, so every pattern gets a near-match. */
const POLICY_SEEDS: Record<PolicyFormat, readonly string[]> = {
  iptables: [
    '*filter',
    ':INPUT DROP [0:0]',
    '-A INPUT -s 173.245.48.0/20 -p tcp -m tcp --dport 443 -j ACCEPT',
  ],
  nftables: [
    'table inet filter {',
    'chain input { type filter hook input priority 0; policy drop;',
    'ip saddr { 10.0.0.0/8 } tcp dport 443 accept # handle 4',
  ],
  ufw: [
    'Status: active',
    'To                         Action      From',
    '443/tcp                    ALLOW IN    173.245.48.0/20',
  ],
  firewalld: [
    'public (active)',
    '  target: default',
    '  services: ssh https',
    '  rich rules: rule family="ipv4" source address="1.2.3.0/24" port port="443" protocol="tcp" accept',
  ],
  'firewalld-xml': [
    '<?xml version="1.0"?>',
    '<zone target="DROP">',
    '<rule family="ipv4"><source address="1.2.3.0/24"/><port port="443" protocol="tcp"/><accept/></rule>',
  ],
  'aws-sg': [
    '{"SecurityGroups":[{"IpPermissions":[{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"IpRanges":[{"CidrIp":"1.2.3.0/24"}]}]}]}',
  ],
  'aliyun-sg': [
    '{"Permissions":{"Permission":[{"IpProtocol":"TCP","PortRange":"443/443","SourceCidrIp":"1.2.3.0/24","Policy":"Accept"}]}}',
  ],
  'tencent-sg': [
    '{"SecurityGroupPolicySet":{"Ingress":[{"Protocol":"TCP","Port":"443","CidrBlock":"1.2.3.0/24","Action":"ACCEPT"}]}}',
  ],
  'windows-json': [
    '[{"DisplayName":"web","Direction":"Inbound","Action":"Allow","LocalPort":"443","RemoteAddress":"1.2.3.0/24"}]',
  ],
  'windows-netsh': [
    'Rule Name:                            web',
    'Enabled:                              Yes',
    'RemoteIP:                             1.2.3.0/24',
    'LocalPort:                            443',
  ],
  nginx: [
    'server {',
    'listen 443 ssl;',
    'allow 173.245.48.0/20;',
    'deny all;',
    'limit_req zone=one burst=5;',
    'location / {',
  ],
  ipset: ['create cdn hash:net family inet hashsize 1024 maxelem 65536', 'add cdn 173.245.48.0/20'],
};

/** Detection sees every format's first lines (its headers), one per format, to keep the run short. */
const ALL_POLICY_SEEDS = Object.values(POLICY_SEEDS).map((seeds) => seeds[0]!);

const READERS: Reader[] = [
  ...POLICY_FORMATS.map((f) => ({ name: `policy ${f}`, read: policy(f), seeds: POLICY_SEEDS[f] })),
  { name: 'policy, format detected', read: policy(null), seeds: ALL_POLICY_SEEDS },
  { name: 'detectFormat', read: detectFormat, seeds: ALL_POLICY_SEEDS },
  {
    name: 'parseSs',
    read: parseSs,
    seeds: [
      'State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process',
      'LISTEN 0 511 0.0.0.0:443 0.0.0.0:* users:(("nginx",pid=1,fd=6))',
    ],
  },
  {
    name: 'parseNetstatLinux',
    read: parseNetstatLinux,
    seeds: [
      'Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name',
      'tcp        0      0 0.0.0.0:443             0.0.0.0:*               LISTEN      1/nginx',
    ],
  },
  {
    name: 'parseNetstatWindows',
    read: parseNetstatWindows,
    seeds: [
      '  Proto  Local Address          Foreign Address        State           PID',
      '  TCP    0.0.0.0:443            0.0.0.0:0              LISTENING       4',
    ],
  },
  {
    name: 'parseGetNetTcpConnection',
    read: parseGetNetTcpConnection,
    seeds: [
      'LocalAddress LocalPort RemoteAddress RemotePort State OwningProcess',
      '0.0.0.0 443 0.0.0.0 0 Listen 4',
    ],
  },
  {
    name: 'parseProcNetTcp',
    read: parseProcNetTcp,
    seeds: [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0',
    ],
  },
  {
    name: 'parseLsof',
    read: parseLsof,
    seeds: [
      'COMMAND PID USER   FD   TYPE DEVICE SIZE/OFF NODE NAME',
      'nginx     1 root    6u  IPv4  12345      0t0  TCP *:443 (LISTEN)',
    ],
  },
  {
    name: 'parseListeners',
    read: parseListeners,
    seeds: [
      'State  Recv-Q Send-Q Local Address:Port Peer Address:Port',
      'LISTEN 0 511 0.0.0.0:443 0.0.0.0:*',
      'COMMAND PID USER FD TYPE',
      '  TCP    0.0.0.0:443            0.0.0.0:0              LISTENING       4',
    ],
  },
  {
    name: 'parseErrorLog',
    read: (t) => parseErrorLog(t, 'error.log'),
    seeds: [
      '2026/11/29 06:00:00 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, upstream: "http://127.0.0.1:8080/"',
      'attempt to connect to',
    ],
  },
  {
    name: 'countConntrackFull (dmesg)',
    read: countConntrackFull,
    seeds: [
      '[12345.678901] nf_conntrack: nf_conntrack: table full, dropping packet',
      'nf_conntrack: table full',
    ],
  },
  {
    name: 'nginxKeepaliveSeconds',
    read: nginxKeepaliveSeconds,
    seeds: ['http {', 'keepalive_timeout 5;', 'keepalive_timeout 5 '],
  },
  {
    name: 'pasted origin output',
    read: (t) => bundleFromPastes([{ name: 'p', text: t }], [443], new Date(0)),
    seeds: [
      'LISTEN 0 511 0.0.0.0:443 0.0.0.0:*',
      '2026/11/29 06:00:00 [error] x',
      'nf_conntrack: table full, dropping packet',
      '-A INPUT -p tcp --dport 443 -j DROP',
      'TcpExtListenOverflows 12',
    ],
  },
  {
    name: 'parseTraceroute',
    read: parseTraceroute,
    seeds: [
      'traceroute to 198.18.0.1 (198.18.0.1), 30 hops max, 60 byte packets',
      ' 1  198.18.0.1 (198.18.0.1)  0.123 ms  0.100 ms  0.090 ms',
      ' 2  * * *',
    ],
  },
  {
    name: 'parseTracepath',
    read: parseTracepath,
    seeds: [
      ' 1?: [LOCALHOST]                      pmtu 1500',
      ' 1:  198.18.0.1                                            0.100ms',
      ' 2:  no reply',
    ],
  },
  {
    name: 'parseTracert',
    read: parseTracert,
    seeds: [
      'Tracing route to 198.18.0.1 over a maximum of 30 hops',
      '  1    <1 ms    <1 ms    <1 ms  198.18.0.1',
      '  2     *        *        *     Request timed out.',
    ],
  },
  {
    name: 'parseMtrJson',
    read: parseMtrJson,
    seeds: ['{"report":{"hubs":[{"count":1,"host":"198.18.0.1","Loss%":0.0,"Avg":0.1}]}}'],
  },
  {
    name: 'parseProcNetRoute',
    read: parseProcNetRoute,
    seeds: [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    ],
  },
  {
    name: 'parseProcNetIpv6Route',
    read: parseProcNetIpv6Route,
    seeds: [
      '20010db8000000000000000000000000 20 00000000000000000000000000000000 00 00000000000000000000000000000000 00000400 00000001 00000000 00000001     eth0',
    ],
  },
  {
    name: 'decodeErrorPage',
    read: decodeErrorPage,
    seeds: [
      '<title>example.com | 522: Connection timed out</title>',
      'Cloudflare Ray ID: <strong>8c2f0a1b2c3d4e5f</strong>',
      'Error code 522',
      'ERROR: The request could not be satisfied',
      '<h1>502 Bad Gateway</h1>',
    ],
  },
  {
    name: 'splitPemBlocks (--ca)',
    read: splitPemBlocks,
    seeds: ['-----BEGIN CERTIFICATE-----', 'MIIBszCCAVmgAwIBAgIU', '-----END CERTIFICATE-----'],
  },
  {
    name: 'parseMacRouteGet',
    read: parseMacRouteGet,
    seeds: ['   route to: 198.18.0.1', 'destination: default', '  interface: en0'],
  },
  {
    name: 'parseLinuxRouteGet',
    read: (t) => parseLinuxRouteGet('198.18.0.1', t, t, t),
    seeds: [
      '198.18.0.1 via 198.18.0.254 dev eth0 src 198.18.0.2 uid 0',
      'RTNETLINK answers: Network is unreachable',
      'unreachable 198.18.0.0/15 proto static',
    ],
  },
  {
    name: 'parseWindowsFindNetRoute',
    read: (t) => parseWindowsFindNetRoute(t, t),
    seeds: [
      'IPAddress         : 198.18.0.2',
      'InterfaceAlias    : Ethernet',
      'NextHop           : 198.18.0.254',
    ],
  },
  {
    name: 'parseProcNetstat',
    read: parseProcNetstat,
    seeds: ['TcpExt: SyncookiesSent ListenOverflows ListenDrops', 'TcpExt: 0 12 12'],
  },
  {
    name: 'parseLimits',
    read: parseLimits,
    seeds: ['Max open files            1024                 4096                 files'],
  },
  { name: 'parseSshBanner', read: parseSshBanner, seeds: ['SSH-2.0-OpenSSH_9.2p1 Debian-2'] },
  { name: 'parseNotes', read: parseNotes, seeds: ['## network', 'a note'] },
  {
    name: 'decodeText (rule files, imports)',
    read: (t) => decodeText(new TextEncoder().encode(t)),
    seeds: ['规则名称: web', '-A INPUT -j ACCEPT'],
  },
  {
    name: 'session import (JSON and its schema)',
    read: (t) => {
      try {
        return sessionExportSchema.safeParse(JSON.parse(t));
      } catch {
        return null;
      }
    },
    seeds: ['{"format":"origin-doctor-sessions","version":1,"sessions":[{"id":"x"}]}'],
  },
  {
    name: 'origin bundle (JSON and its schema)',
    read: (t) => {
      try {
        return originBundleSchema.safeParse(JSON.parse(t));
      } catch {
        return null;
      }
    },
    seeds: ['{"format":"origin-doctor-origin-check","version":1,"listeners":[]}'],
  },
];

/** Hostile shapes around a seed line, each `size` characters long or a little more. */
const FILLERS: Record<string, (seed: string, size: number) => string> = {
  'a long line of spaces': (s, n) => `${s}\n${' '.repeat(n)}`,
  'the seed padded with spaces': (s, n) => `${s}${' '.repeat(n)}x`,
  'many blank lines': (s, n) => `${s}\n${'\n'.repeat(n)}`,
  'many CRLF blank lines': (s, n) => `${s}\r\n${'\r\n'.repeat(n / 2)}`,
  'lines of spaces': (s, n) => `${s}\n${'    \n'.repeat(n / 5)}`,
  'the seed repeated on one line': (s, n) => s.replace(/[;}\n]+$/, '').repeat(Math.ceil(n / s.length)),
  'the seed repeated, one per line': (s, n) => `${s}\n`.repeat(Math.ceil(n / (s.length + 1))),
  'quote filler': (s, n) => `${s} "${'a" "'.repeat(n / 4)}`,
  'unterminated quote': (s, n) => `${s} "${'\\"a '.repeat(n / 4)}`,
  'tab and colon filler': (s, n) => `${s}\n${'\t:'.repeat(n / 2)}`,
  // Found by the fuzz run: an unanchored \d+ before a suffix (`(\d+)ms`) restarts inside a digit run from each digit.
  'the last token a long run of digits': (s, n) => `${s.replace(/\S+\s*$/, '')}${'1'.repeat(n)}`,
  'the last token digits and dots': (s, n) => `${s.replace(/\S+\s*$/, '')}${'1.'.repeat(n / 2)}`,
  'spaces between tokens': (s, n) =>
    s.split(' ').join(' '.repeat(Math.max(1, n / Math.max(1, s.split(' ').length)))),
};

/** CPU time of one call, in ms: user + system of this process (vitest runs each file in a process of its own). */
function cpuMs(read: () => unknown): number {
  const before = process.cpuUsage();
  read();
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
}

function best(read: () => unknown, runs: number): number {
  let min = Infinity;
  for (let i = 0; i < runs && min >= FLOOR_MS / 4; i++) min = Math.min(min, cpuMs(read));
  return min;
}

type Growth = { times: number[]; verdict: string | null };

/**
 * Times `read` at 1, 2, 4 and 8 × n. A size that takes a second ends the series (a quadratic reader would run on
 * for minutes). When the last size looks too slow against the first, both are measured again, minimum of RUNS.
 */
export function growth(read: (t: string) => unknown, make: (n: number) => string, n: number): Growth {
  const texts = SIZES.map((k) => make(k * n));
  read(texts[0]!); // warm-up: the first call pays for compiling the reader, not for the input
  const times: number[] = [];
  for (const [i, text] of texts.entries()) {
    // The smallest size always gets the minimum of several runs: a collector pause there would raise the limit
    // the largest is held to, and let a quadratic reader pass.
    const t = i === 0 ? best(() => read(text), RUNS) : cpuMs(() => read(text));
    times.push(t);
    if (t >= BUDGET_MS) return { times, verdict: `over ${BUDGET_MS} ms at ${text.length} characters` };
  }
  const limit = (t1: number): number => MARGIN * 8 * t1 + FLOOR_MS;
  if (times[3]! > limit(times[0]!)) {
    times[0] = Math.min(
      times[0]!,
      best(() => read(texts[0]!), RUNS),
    );
    times[3] = Math.min(
      times[3]!,
      best(() => read(texts[3]!), RUNS),
    );
  }
  return {
    times,
    verdict:
      times[3]! > limit(times[0]!)
        ? `grows faster than linear (limit ${limit(times[0]!).toFixed(1)} ms)`
        : null,
  };
}

const ms = (times: readonly number[]): string => times.map((t) => t.toFixed(1)).join(' / ') + ' ms';

describe(`every reader is linear on hostile input (1, 2, 4, 8 × ${N / KiB} KiB; the slowest shapes at 1 MiB)`, () => {
  for (const r of READERS)
    test(r.name, () => {
      const slow: string[] = [];
      const measured: { what: string; make: (n: number) => string; t8: number; ratio: number }[] = [];
      for (const seed of r.seeds)
        for (const [shape, fill] of Object.entries(FILLERS)) {
          const make = (n: number): string => fill(seed, n);
          const g = growth(r.read, make, N);
          const what = `${shape} around ${JSON.stringify(seed.slice(0, 40))}`;
          if (g.verdict) slow.push(`${what}: ${g.verdict} — ${ms(g.times)}`);
          else
            measured.push({ what, make, t8: g.times[3]!, ratio: g.times[3]! / Math.max(g.times[0]!, 0.05) });
        }
      // The 1 MiB run for the shapes most likely to be slow: the slowest at 8 × N, and the fastest growing.
      const bySlowest = [...measured].sort((a, b) => b.t8 - a.t8).slice(0, 1);
      const byGrowth = [...measured].sort((a, b) => b.ratio - a.ratio).slice(0, 1);
      for (const m of new Set([...bySlowest, ...byGrowth])) {
        const text = m.make(MiB);
        const limit = Math.min(BUDGET_MS, 4 * (MiB / (8 * N)) * m.t8 + BIG_FLOOR_MS);
        let t = cpuMs(() => r.read(text));
        // One run is enough when it is within the limit; a slow one is measured again before it fails.
        if (t >= limit && t < 4 * BUDGET_MS)
          t = Math.min(
            t,
            best(() => r.read(text), 2),
          );
        if (t >= limit)
          slow.push(
            `${m.what}: 1 MiB took ${t.toFixed(0)} ms (limit ${limit.toFixed(0)} ms; ${(8 * N) / KiB} KiB ${m.t8.toFixed(1)} ms)`,
          );
      }
      expect(slow, slow.join('\n')).toEqual([]);
    });
});

describe('the growth check itself', () => {
  // The historic nginx-detection bug: \s* at a line start runs over every following blank line, from each one.
  const blankLines = (n: number): string => `server\n${'\n'.repeat(n)}`;
  test('flags a quadratic reader', () => {
    const g = growth((t) => /^\s*\{/m.test(t), blankLines, 2 * KiB);
    expect(g.verdict, ms(g.times)).not.toBeNull();
  });
  test('passes its linear near miss (the same pattern indenting with [ \\t])', () => {
    const g = growth((t) => /^[ \t]*\{/m.test(t), blankLines, 2 * KiB);
    expect(g.verdict, ms(g.times)).toBeNull();
  });
});

describe('the pcap reader is linear on hostile captures', () => {
  const pcap = (records: number, incl: number): Uint8Array => {
    const b = new Uint8Array(24 + records * (16 + incl));
    const v = new DataView(b.buffer);
    v.setUint32(0, 0xa1b2c3d4, true);
    v.setUint32(20, 1, true);
    for (let i = 0, off = 24; i < records; i++, off += 16 + incl) {
      v.setUint32(off + 8, incl, true);
      v.setUint32(off + 12, incl, true);
    }
    return b;
  };
  const pcapng = (blocks: number): Uint8Array => {
    // A section header, then many interface description blocks: each a 20-byte block the reader must walk.
    const b = new Uint8Array(28 + blocks * 20);
    const v = new DataView(b.buffer);
    v.setUint32(0, 0x0a0d0d0a, true);
    v.setUint32(4, 28, true);
    v.setUint32(8, 0x1a2b3c4d, true);
    v.setUint32(24, 28, true);
    for (let i = 0, off = 28; i < blocks; i++, off += 20) {
      v.setUint32(off, 1, true);
      v.setUint32(off + 4, 20, true);
      v.setUint16(off + 8, 1, true);
      v.setUint32(off + 16, 20, true);
    }
    return b;
  };
  const shapes: Record<string, (n: number) => Uint8Array> = {
    'classic pcap: empty records': (n) => pcap(Math.floor(n / 16), 0),
    'classic pcap: one-byte records': (n) => pcap(Math.floor(n / 17), 1),
    'pcapng: interface blocks': (n) => pcapng(Math.floor(n / 20)),
  };
  for (const [name, make] of Object.entries(shapes))
    test(name, () => {
      const big = make(MiB);
      const times = SIZES.map((k) => {
        const bytes = make(k * 16 * KiB);
        return best(() => readCapture(bytes), RUNS);
      });
      const [t1, , , t8] = times as [number, number, number, number];
      expect(t8, ms(times)).toBeLessThan(MARGIN * 8 * t1 + FLOOR_MS);
      const tBig = best(() => readCapture(big), 3);
      expect(tBig, `1 MiB: ${tBig.toFixed(0)} ms`).toBeLessThan(BUDGET_MS);
    });
});
