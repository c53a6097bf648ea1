import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The namespace lab: real client / router / origin hosts joined by veth links, built and torn down by the tests.
 *
 *   client 198.18.0.2, 2001:db8::2 ── router 198.18.0.1 | 198.18.1.1 ── origin 198.18.1.2, 2001:db8:1::2
 *                                                                        (198.18.1.3: black hole)
 * Origin ports: 80 open · 81 DROP · 82 REJECT tcp-reset · 83 REJECT icmp-host-unreachable · 84 closed
 * (with a certificate: 443 HTTPS, 8443 a TLS server that fails every handshake).
 * The router answers 198.19.0.0/16 with ICMP net unreachable; the client has no route to 2001:db8:ff::/48.
 * dnsmasq on the router: 198.18.0.1:53 (zone "test") and 198.18.0.1:5353 (a disagreeing copy).
 * Only addresses inside these namespaces are ever probed.
 */

export const LAB = {
  client: '198.18.0.2',
  router: '198.18.0.1',
  origin: '198.18.1.2',
  blackhole: '198.18.1.3',
  unrouted: '198.19.5.5',
  origin6: '2001:db8:1::2',
  noRoute6: '2001:db8:ff::1',
  dns: '198.18.0.1',
  dnsOther: '198.18.0.1:5353',
  providerRange: '198.18.200.0/24',
} as const;

export const PORTS = {
  open: 80,
  drop: 81,
  rejectReset: 82,
  rejectIcmp: 83,
  closed: 84,
  tlsFail: 8443,
} as const;

const PREFIX = 'odlab';

export interface Lab {
  readonly client: string;
  readonly router: string;
  readonly origin: string;
  /** Runs a command inside a namespace and returns its stdout; throws on failure. */
  exec(ns: string, file: string, args: string[]): string;
  /** Starts a long-running process inside a namespace; it is killed at teardown. */
  spawnIn(ns: string, file: string, args: string[]): ChildProcess;
  teardown(): void;
}

function sh(file: string, args: string[]): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** True when this process may build namespaces (root with ip, iptables and dnsmasq installed). */
export function labAvailable(): { ok: true } | { ok: false; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: 'the namespace lab needs Linux' };
  if (process.getuid?.() !== 0) return { ok: false, why: 'the namespace lab needs root' };
  for (const tool of [
    '/usr/sbin/ip',
    '/usr/sbin/iptables',
    '/usr/sbin/ip6tables',
    '/usr/sbin/dnsmasq',
    '/usr/sbin/traceroute',
  ]) {
    if (!existsSync(tool) && !existsSync(tool.replace('/usr/sbin', '/sbin')))
      return { ok: false, why: `${tool} is not installed` };
  }
  return { ok: true };
}

/** Removes namespaces left behind by a lab whose process died (its pid no longer runs). */
export function removeStaleLabs(): void {
  const list = sh('ip', ['netns', 'list']);
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${PREFIX}(\\d+)[cro]$`).exec(name);
    if (!m) continue;
    let alive = true;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      alive = false;
    }
    if (!alive) sh('ip', ['netns', 'del', name]);
  }
}

let counter = 0;

/** Builds the lab. Names carry the pid and a counter, so parallel test files never collide. */
export function createLab(): Lab {
  removeStaleLabs();
  const id = `${process.pid}${String.fromCharCode(97 + (counter++ % 26))}`;
  const names = { client: `${PREFIX}${id}c`, router: `${PREFIX}${id}r`, origin: `${PREFIX}${id}o` };
  const children: ChildProcess[] = [];
  const ipn = (ns: string, ...args: string[]): string => sh('ip', ['-n', ns, ...args]);
  const inNs = (ns: string, file: string, args: string[]): string =>
    sh('ip', ['netns', 'exec', ns, file, ...args]);
  const lab: Lab = {
    ...names,
    exec: inNs,
    spawnIn(ns, file, args) {
      const child = spawn('ip', ['netns', 'exec', ns, file, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(child);
      return child;
    },
    teardown() {
      for (const c of children) {
        try {
          c.stdin?.end();
          c.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const ns of Object.values(names)) {
        try {
          // Deleting a namespace also deletes its veth ends and kills nothing else.
          sh('ip', ['netns', 'pids', ns])
            .split('\n')
            .filter(Boolean)
            .forEach((pid) => {
              try {
                process.kill(Number(pid), 'SIGKILL');
              } catch {
                // gone
              }
            });
          sh('ip', ['netns', 'del', ns]);
        } catch {
          // not created
        }
      }
    },
  };
  try {
    for (const ns of Object.values(names)) {
      sh('ip', ['netns', 'add', ns]);
      ipn(ns, 'link', 'set', 'lo', 'up');
    }
    sh('ip', [
      'link',
      'add',
      'c0',
      'netns',
      names.client,
      'type',
      'veth',
      'peer',
      'name',
      'r0',
      'netns',
      names.router,
    ]);
    sh('ip', [
      'link',
      'add',
      'r1',
      'netns',
      names.router,
      'type',
      'veth',
      'peer',
      'name',
      'o0',
      'netns',
      names.origin,
    ]);
    const addr = (ns: string, dev: string, cidr: string): void => {
      ipn(ns, 'addr', 'add', cidr, 'dev', dev, ...(cidr.includes(':') ? ['nodad'] : []));
    };
    addr(names.client, 'c0', '198.18.0.2/24');
    addr(names.client, 'c0', '2001:db8::2/64');
    addr(names.router, 'r0', '198.18.0.1/24');
    addr(names.router, 'r0', '2001:db8::1/64');
    addr(names.router, 'r1', '198.18.1.1/24');
    addr(names.router, 'r1', '2001:db8:1::1/64');
    addr(names.origin, 'o0', '198.18.1.2/24');
    addr(names.origin, 'o0', '198.18.1.3/24');
    addr(names.origin, 'o0', '2001:db8:1::2/64');
    for (const [ns, dev] of [
      [names.client, 'c0'],
      [names.router, 'r0'],
      [names.router, 'r1'],
      [names.origin, 'o0'],
    ] as const) {
      ipn(ns, 'link', 'set', dev, 'up');
    }
    ipn(names.client, 'route', 'add', 'default', 'via', '198.18.0.1');
    ipn(names.client, '-6', 'route', 'add', '2001:db8:1::/64', 'via', '2001:db8::1');
    ipn(names.origin, 'route', 'add', 'default', 'via', '198.18.1.1');
    ipn(names.origin, '-6', 'route', 'add', 'default', 'via', '2001:db8:1::1');
    // Every host answers every probe: no ICMP rate limit, so the tests do not depend on timing.
    for (const ns of Object.values(names)) {
      inNs(ns, 'sysctl', ['-qw', 'net.ipv4.icmp_ratelimit=0', 'net.ipv6.icmp.ratelimit=0']);
    }
    // 198.19.0.0/16 is answered by the router with ICMP net-unreachable, as a router without a route does.
    // (The kernel's own no-route replies are limited per peer by net.ipv4.route.error_cost, a global sysctl
    // a namespace cannot change, so a route plus a REJECT rule produces the same packets deterministically.)
    ipn(names.router, 'route', 'add', '198.19.0.0/16', 'dev', 'r1');
    inNs(names.router, 'iptables', [
      '-A',
      'FORWARD',
      '-d',
      '198.19.0.0/16',
      '-j',
      'REJECT',
      '--reject-with',
      'icmp-net-unreachable',
    ]);
    inNs(names.router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    const rules: [string, string[]][] = [
      ['iptables', ['-A', 'INPUT', '-d', '198.18.1.3', '-j', 'DROP']],
      ['iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '81', '-j', 'DROP']],
      [
        'iptables',
        ['-A', 'INPUT', '-p', 'tcp', '--dport', '82', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
      ],
      [
        'iptables',
        [
          '-A',
          'INPUT',
          '-p',
          'tcp',
          '--dport',
          '83',
          '-j',
          'REJECT',
          '--reject-with',
          'icmp-host-unreachable',
        ],
      ],
      ['ip6tables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '81', '-j', 'DROP']],
      [
        'ip6tables',
        ['-A', 'INPUT', '-p', 'tcp', '--dport', '82', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
      ],
      [
        'ip6tables',
        [
          '-A',
          'INPUT',
          '-p',
          'tcp',
          '--dport',
          '83',
          '-j',
          'REJECT',
          '--reject-with',
          'icmp6-adm-prohibited',
        ],
      ],
    ];
    for (const [tool, args] of rules) inNs(names.origin, tool, args);
  } catch (e) {
    lab.teardown();
    throw e;
  }
  return lab;
}

// Next to this file in the tests; from the project root when bundled into the benchmark.
const ORIGIN_SERVER = [
  path.join(__dirname, 'origin-server.mjs'),
  path.join(process.cwd(), 'test', 'lab', 'origin-server.mjs'),
].find((p) => existsSync(p))!;

/** Starts the lab origin's HTTP listeners on ports 80–83 (and HTTPS on 443 when given a certificate). */
export function startOrigin(lab: Lab, tls?: { certPem: string; keyPem: string }): Promise<void> {
  const extra: string[] = [];
  if (tls) {
    const dir = mkdtempSync(path.join(tmpdir(), 'od-lab-tls-'));
    writeFileSync(path.join(dir, 'cert.pem'), tls.certPem);
    writeFileSync(path.join(dir, 'key.pem'), tls.keyPem);
    extra.push('--tls', '443', path.join(dir, 'cert.pem'), path.join(dir, 'key.pem'));
  }
  const child = lab.spawnIn(lab.origin, process.execPath, [ORIGIN_SERVER, '80', '81', '82', '83', ...extra]);
  return waitFor(child, /ready/, 'origin server');
}

/** Starts the two dnsmasq instances on the router (zone "test"). */
export function startDns(lab: Lab): Promise<void> {
  const common = [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    '--user=root',
    '--log-queries',
    '--log-facility=-',
    '--local=/test/',
  ];
  const a = lab.spawnIn(lab.router, 'dnsmasq', [
    ...common,
    '--listen-address=198.18.0.1',
    '--port=53',
    '--pid-file=',
    '--host-record=exposed.test,198.18.1.2',
    '--host-record=edge.site.test.cdn.cloudflare.net,198.18.200.10',
    '--cname=www.site.test,edge.site.test.cdn.cloudflare.net',
    '--host-record=direct.test,198.18.1.2',
  ]);
  const b = lab.spawnIn(lab.router, 'dnsmasq', [
    ...common,
    '--listen-address=198.18.0.1',
    '--port=5353',
    '--pid-file=',
    '--host-record=exposed.test,198.18.1.77',
  ]);
  return Promise.all([
    waitFor(a, /started|compile time/, 'dnsmasq'),
    waitFor(b, /started|compile time/, 'dnsmasq'),
  ]).then(() => undefined);
}

/** Resolves once a started process prints `pattern` (on stdout or stderr); rejects when it exits or takes 10 s. */
export function waitFor(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${out}`)), 10000);
    const onData = (b: Buffer): void => {
      out += b.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${out}`));
    });
  });
}

/**
 * Resolves the neighbours along client → router → origin (ARP and IPv6 neighbour discovery) with one connect
 * per family, so the first probe of a test does not pay for it (an unresolved neighbour can cost a SYN).
 */
export function warmUp(lab: Lab): void {
  const script = `const net=require('net');let n=0;for(const h of ['${LAB.origin}','${LAB.origin6}']){const s=net.connect({host:h,port:80},()=>{s.destroy();if(++n===2)process.exit(0)});s.on('error',e=>{console.error(e.message);process.exit(1)})}setTimeout(()=>process.exit(2),5000)`;
  lab.exec(lab.client, process.execPath, ['-e', script]);
}
