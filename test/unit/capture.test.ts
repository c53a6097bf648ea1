import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { readCapture, type Frame } from '../../main/capture/pcap';
import { decodeFrame, linkPayload } from '../../main/capture/packet';
import { buildTimeline } from '../../main/capture/timeline';
import { captureData, captureFilter } from '../../main/probes/capture';
import { classifyWatch } from '../../main/diagnosis/watch';

// A capture made in the namespace lab by tcpdump -i any (Linux cooked v2): DROP on 81, REJECT tcp-reset on 82,
// REJECT icmp-host-unreachable on 83 (and icmp6-adm-prohibited over IPv6), an open port 80 and a TLS port that
// fails every handshake, all probed at once. Refreshed by lab-capture.test.ts with OD_WRITE_PCAP_FIXTURES=1.
const LAB_PCAP = readFileSync(path.join(__dirname, '..', 'fixtures', 'pcap', 'lab-scenarios.pcap'));
const TARGETS = [
  { url: 'drop', address: '198.18.1.2', port: 81 },
  { url: 'rst', address: '198.18.1.2', port: 82 },
  { url: 'icmp', address: '198.18.1.2', port: 83 },
  { url: 'icmp6', address: '2001:db8:1::2', port: 83 },
  { url: 'open', address: '198.18.1.2', port: 80 },
  { url: 'tls', address: '198.18.1.2', port: 8443 },
];

/** The IP packets of the lab capture, to re-frame in other link types and file formats. */
function ipPackets(): { time: number; ip: Uint8Array }[] {
  return readCapture(LAB_PCAP).frames.map((f) => ({ time: f.time, ip: linkPayload(f)! }));
}

function pcap(
  linkType: number,
  frames: { time: number; data: Uint8Array }[],
  opts: { big?: boolean; nano?: boolean } = {},
): Buffer {
  const le = !opts.big;
  const head = Buffer.alloc(24);
  const w32 = (b: Buffer, v: number, o: number): void => {
    if (le) b.writeUInt32LE(v >>> 0, o);
    else b.writeUInt32BE(v >>> 0, o);
  };
  w32(head, opts.nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  w32(head, 65535, 16);
  w32(head, linkType, 20);
  const parts = [head];
  for (const f of frames) {
    const rec = Buffer.alloc(16);
    const sec = Math.floor(f.time);
    w32(rec, sec, 0);
    w32(rec, Math.round((f.time - sec) * (opts.nano ? 1e9 : 1e6)), 4);
    w32(rec, f.data.length, 8);
    w32(rec, f.data.length, 12);
    parts.push(rec, Buffer.from(f.data));
  }
  return Buffer.concat(parts);
}

function pcapng(linkType: number, frames: { time: number; data: Uint8Array }[]): Buffer {
  const block = (type: number, body: Buffer): Buffer => {
    const pad = (4 - (body.length % 4)) % 4;
    const len = 12 + body.length + pad;
    const b = Buffer.alloc(len);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(len, 4);
    body.copy(b, 8);
    b.writeUInt32LE(len, len - 4);
    return b;
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  // Interface with if_tsresol = 9 (nanoseconds).
  const idb = Buffer.alloc(16);
  idb.writeUInt16LE(linkType, 0);
  idb.writeUInt32LE(65535, 4);
  idb.writeUInt16LE(9, 8);
  idb.writeUInt16LE(1, 10);
  idb.writeUInt8(9, 12);
  const blocks = [block(0x0a0d0d0a, shb), block(1, idb)];
  for (const f of frames) {
    const ts = BigInt(Math.round(f.time * 1e6)) * 1000n;
    const epb = Buffer.alloc(20);
    epb.writeUInt32LE(0, 0);
    epb.writeUInt32LE(Number(ts >> 32n), 4);
    epb.writeUInt32LE(Number(ts & 0xffffffffn), 8);
    epb.writeUInt32LE(f.data.length, 12);
    epb.writeUInt32LE(f.data.length, 16);
    blocks.push(block(6, Buffer.concat([epb, Buffer.from(f.data)])));
  }
  return Buffer.concat(blocks);
}

const ethernet = (ip: Uint8Array): Uint8Array =>
  Buffer.concat([
    Buffer.alloc(12),
    Buffer.from([ip[0]! >> 4 === 6 ? 0x86 : 0x08, ip[0]! >> 4 === 6 ? 0xdd : 0x00]),
    ip,
  ]);
const vlan = (ip: Uint8Array): Uint8Array =>
  Buffer.concat([
    Buffer.alloc(12),
    Buffer.from([0x81, 0x00, 0x00, 0x07]),
    Buffer.from([ip[0]! >> 4 === 6 ? 0x86 : 0x08, ip[0]! >> 4 === 6 ? 0xdd : 0x00]),
    ip,
  ]);
const bsdLoop = (ip: Uint8Array): Uint8Array =>
  Buffer.concat([Buffer.from([ip[0]! >> 4 === 6 ? 30 : 2, 0, 0, 0]), ip]);

function summary(frames: Frame[]) {
  return buildTimeline(frames, TARGETS).map((e) => ({
    url: e.url,
    answered: e.answered,
    refused: e.refused,
    icmp: e.icmp,
    unanswered: e.unanswered,
    rstFrom: e.rstFrom,
    icmpFrom: e.icmpFrom,
    tlsAlerts: e.tlsAlerts,
  }));
}

describe('pcap reader and timeline on a capture from the lab', () => {
  const cooked = readCapture(LAB_PCAP);

  test('Linux cooked v2 capture: every frame read, every scenario told apart', () => {
    expect(cooked.format).toBe('pcap');
    expect(cooked.problem).toBeNull();
    expect(cooked.frames[0]!.linkType).toBe(276);
    const s = Object.fromEntries(summary(cooked.frames).map((e) => [e.url, e]));
    expect(s.drop).toMatchObject({ answered: 0, refused: 0, icmp: 0 });
    expect(s.drop!.unanswered).toBeGreaterThan(0);
    expect(s.rst!.rstFrom).toEqual(['198.18.1.2']);
    expect(s.icmp!.icmpFrom).toEqual([{ from: '198.18.1.2', name: 'host_unreachable', fromTarget: true }]);
    expect(s.icmp6!.icmpFrom).toEqual([
      { from: '2001:db8:1::2', name: 'admin_prohibited', fromTarget: true },
    ]);
    expect(s.open!.answered).toBeGreaterThan(0);
    expect(s.tls!.tlsAlerts).toContainEqual({ dir: 'in', name: 'handshake_failure', level: 'fatal' });
  });

  test('the same packets framed as Ethernet (with and without 802.1Q), BSD loopback, raw IP, pcapng and big-endian nanosecond pcap give the same timeline', () => {
    const want = summary(cooked.frames);
    const ips = ipPackets();
    const variants: [string, Buffer][] = [
      [
        'ethernet',
        pcap(
          1,
          ips.map((p) => ({ time: p.time, data: ethernet(p.ip) })),
        ),
      ],
      [
        'vlan',
        pcap(
          1,
          ips.map((p) => ({ time: p.time, data: vlan(p.ip) })),
        ),
      ],
      [
        'bsd loopback',
        pcap(
          0,
          ips.map((p) => ({ time: p.time, data: bsdLoop(p.ip) })),
        ),
      ],
      [
        'raw',
        pcap(
          101,
          ips.map((p) => ({ time: p.time, data: p.ip })),
        ),
      ],
      ['big-endian nano', pcap(276, readCapture(LAB_PCAP).frames, { big: true, nano: true })],
      [
        'pcapng',
        pcapng(
          1,
          ips.map((p) => ({ time: p.time, data: ethernet(p.ip) })),
        ),
      ],
    ];
    for (const [name, bytes] of variants) {
      const read = readCapture(bytes);
      expect(read.problem, name).toBeNull();
      expect(read.frames.length, name).toBe(cooked.frames.length);
      expect(summary(read.frames), name).toEqual(want);
      // Time stamps survive every format to the microsecond.
      expect(Math.abs(read.frames[5]!.time - cooked.frames[5]!.time), name).toBeLessThan(2e-6);
    }
  });

  test('a cut-off file keeps the frames before the cut and says so', () => {
    const cut = readCapture(LAB_PCAP.subarray(0, LAB_PCAP.length - 7));
    expect(cut.problem).toMatch(/cut off/);
    expect(cut.frames.length).toBe(cooked.frames.length - 1);
    expect(readCapture(Buffer.from('hello, not a capture')).problem).toMatch(/not a capture/);
    expect(readCapture(Buffer.alloc(0)).frames).toEqual([]);
  });

  test('ICMP errors that quote someone else’s connection are not ours', () => {
    const other = buildTimeline(cooked.frames, [{ url: 'x', address: '198.18.1.2', port: 9999 }]);
    expect(other[0]!.connectionsTotal).toBe(0);
    expect(other[0]!.icmpFrom).toEqual([]);
  });

  test('property: any bytes, and any damage to a real capture, read without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const r = readCapture(bytes);
        buildTimeline(r.frames, TARGETS);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 24, max: LAB_PCAP.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        (at, value) => {
          const damaged = Buffer.from(LAB_PCAP);
          damaged[at] = value;
          const r = readCapture(damaged);
          for (const f of r.frames) decodeFrame(f);
          buildTimeline(r.frames, TARGETS);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('capture record', () => {
  test('a framing the reader does not know keeps the file and says so', () => {
    const ips = ipPackets();
    const pktap = pcap(
      258,
      ips.map((p) => ({ time: p.time, data: p.ip })),
    );
    const d = captureData(pktap, pktap.length, { filter: 'tcp', tool: 'tcpdump', iface: 'any' }, TARGETS);
    expect(d.problem).toBe('unreadable');
    expect(d.detail).toMatch(/link type 258 .*Wireshark/);
    expect(Buffer.from(d.pcap!, 'base64').equals(pktap)).toBe(true);
    const ok = captureData(
      LAB_PCAP,
      LAB_PCAP.length,
      { filter: 'tcp', tool: 'tcpdump', iface: 'any' },
      TARGETS,
    );
    expect(ok.problem).toBeNull();
    expect(ok.packets).toBe(readCapture(LAB_PCAP).frames.length);
  });
});

describe('capture filter', () => {
  test('only the probed endpoints, plus ICMP errors of the families in use', () => {
    expect(captureFilter([{ url: 'a', address: '198.18.1.2', port: 443 }])).toBe(
      '((host 198.18.1.2 and tcp port 443)) or (icmp and (icmp[0] == 3 or icmp[0] == 11))',
    );
    expect(captureFilter([{ url: 'b', address: '2001:DB8::0:7', port: 80 }])).toBe(
      '((host 2001:db8::7 and tcp port 80)) or (icmp6 and (ip6[40] == 1 or ip6[40] == 3))',
    );
  });
});

describe('watch pattern', () => {
  const seq = (s: string): boolean[] => [...s].map((c) => c === '.');
  test.each([
    ['..........', 'stable'],
    ['xxxxxxxx', 'always_failing'],
    ['..x..x..x..x', 'intermittent'],
    ['.x.......', 'intermittent'],
    ['..xxx....xxxx...', 'bursts'],
    ['...xxxx...', 'bursts'],
    ['xxxx......', 'recovering'],
    ['.....xxxx', 'started_failing'],
    ['xxxx.', 'bursts'],
    ['....x', 'intermittent'],
  ])('%s → %s', (pattern, want) => {
    expect(classifyWatch(seq(pattern)).pattern).toBe(want);
  });
});
