import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatCaptureText } from '../../main/capture/format';
import { decodeFrame } from '../../main/capture/packet';
import { MAX_FRAMES, readCapture, type Frame } from '../../main/capture/pcap';
import { buildTimeline, MAX_FOLLOWED_CONNECTIONS, type TimelineTarget } from '../../main/capture/timeline';
import { captureData } from '../../main/probes/capture';
import type { CaptureEndpoint } from '../../shared/model/probe-data';
import type { Report } from '../../shared/model/report';
import { captureModel } from '../../main/report/capture-view';
import { createTranslator } from '../../shared/i18n/translate';

/**
 * The capture reader on real captures (test/fixtures/pcap/README.md: tcpdump in a namespace pair while
 * openssl s_server / s_client and curl --tcp-fastopen talked), each checked against tshark reading the same file.
 * tshark comes from Debian's `tshark` package; without it these tests fail and say so.
 */

const dir = path.join(__dirname, '..', 'fixtures', 'pcap');
const file = (n: string): string => path.join(dir, n);
const bytes = (n: string): Buffer => readFileSync(file(n));
const SERVER4 = '198.18.9.1';
const SERVER6 = '2001:db8:9::1';

function tsharkPath(): string | null {
  for (const p of ['/usr/bin/tshark', '/usr/local/bin/tshark'])
    try {
      execFileSync(p, ['--version'], { stdio: 'ignore' });
      return p;
    } catch {
      // not there
    }
  return null;
}
const TSHARK = tsharkPath();

/** tshark's fields for the frames a display filter selects, one array per frame. */
function tshark(pcapFile: string, filter: string, fields: string[]): string[][] {
  if (!TSHARK)
    throw new Error(
      'tshark is not installed: apt-get install tshark (these tests compare the reader with it)',
    );
  const out = execFileSync(
    TSHARK,
    ['-n', '-r', pcapFile, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

function timeline(name: string, targets: TimelineTarget[]): CaptureEndpoint[] {
  const r = readCapture(bytes(name));
  expect(r.problem).toBeNull();
  return buildTimeline(r.frames, targets);
}

const kinds = (ep: CaptureEndpoint): string[] =>
  ep.connections[0]!.events.map(
    (e) => `${e.dir} ${e.kind}${e.name ? ` ${e.name}` : ''}${e.text ? ` ${e.text}` : ''}`,
  );

describe('TLS records after ChangeCipherSpec are encrypted (compared with tshark)', () => {
  test('TLS 1.2 with close_notify: the encrypted Finished and alerts are not read as hellos or plaintext alerts', () => {
    const [ep] = timeline('tls12-close.pcap', [{ url: 'tls12', address: SERVER4, port: 4433 }]);
    expect(kinds(ep!).filter((k) => !/syn|fin/.test(k))).toEqual([
      'out tls_client_hello origin.example.test',
      'in tls_server_hello TLSv1.2',
      'out tls_encrypted handshake',
      'in tls_encrypted handshake',
      'in tls_encrypted alert',
      'out tls_encrypted alert',
    ]);
    expect(ep!.tlsAlerts).toEqual([]);
    // tshark: one ClientHello, one ServerHello, two "Encrypted Alert"s, no plaintext alert description.
    const f = file('tls12-close.pcap');
    expect(tshark(f, 'tls.handshake.type == 1', ['tls.handshake.extensions_server_name'])).toEqual([
      ['origin.example.test'],
    ]);
    expect(tshark(f, 'tls.handshake.type == 2', ['frame.number'])).toHaveLength(1);
    expect(tshark(f, 'tls.record.content_type == 21', ['_ws.col.Info']).flat().join(' ')).toMatch(
      /Encrypted Alert.*Encrypted Alert/,
    );
    expect(tshark(f, 'tls.alert_message.desc', ['tls.alert_message.desc'])).toEqual([]);
  });

  test('TLS 1.3 over IPv6 with close_notify: hello, server hello, then only encrypted records', () => {
    const [ep] = timeline('tls13-close.pcap', [{ url: 'tls13', address: SERVER6, port: 4433 }]);
    expect(kinds(ep!).filter((k) => /tls/.test(k))).toEqual([
      'out tls_client_hello origin.example.test',
      'in tls_server_hello TLSv1.3',
      'in tls_app_data',
      'out tls_app_data',
    ]);
    expect(ep!.tlsAlerts).toEqual([]);
    const f = file('tls13-close.pcap');
    expect(tshark(f, 'tls.handshake.type == 2', ['tls.handshake.extensions.supported_version'])).toEqual([
      ['0x0304'],
    ]);
  });

  test('near miss: a plaintext alert (two bytes, before any ChangeCipherSpec) is still read', () => {
    // The lab capture's TLS port fails every handshake with a plaintext alert.
    const r = readCapture(bytes('lab-scenarios.pcap'));
    const [ep] = buildTimeline(r.frames, [{ url: 'tls', address: '198.18.1.2', port: 8443 }]);
    const alerts = tshark(file('lab-scenarios.pcap'), 'tls.alert_message.desc && tcp.port == 8443', [
      'tls.alert_message.desc',
    ]);
    expect(alerts.length).toBeGreaterThan(0);
    expect(ep!.tlsAlerts.length).toBeGreaterThan(0);
  });
});

describe('a ClientHello over several segments keeps its SNI', () => {
  test('reassembled per direction, as tshark does', () => {
    const f = file('tls13-split-hello.pcap');
    const [hello] = tshark(f, 'tls.handshake.type == 1', [
      'tls.handshake.extensions_server_name',
      'tcp.segment',
    ]);
    expect(hello![1]!.split(',').length).toBeGreaterThan(2);
    const [ep] = timeline('tls13-split-hello.pcap', [{ url: 'split', address: SERVER4, port: 4433 }]);
    const ch = ep!.connections[0]!.events.find((e) => e.kind === 'tls_client_hello');
    expect(ch?.text).toBe(hello![0]);
    // Near miss: a retransmitted copy of a segment adds nothing, and one hello is one event.
    expect(ep!.connections[0]!.events.filter((e) => e.kind === 'tls_client_hello')).toHaveLength(1);
  });
});

test('segments out of order are held until the gap fills; a held segment the capture cut stops the reading', () => {
  const r = readCapture(bytes('tls13-split-hello.pcap'));
  const target = [{ url: 'split', address: SERVER4, port: 4433 }];
  // Frames 4 and 6 are the hello's first two segments (tshark's tcp.segment): deliver the second first.
  const swapped = [...r.frames];
  [swapped[3], swapped[5]] = [swapped[5]!, swapped[3]!];
  const hello = (frames: Frame[]) =>
    buildTimeline(frames, target)[0]!.connections[0]!.events.filter((e) => e.kind === 'tls_client_hello');
  expect(hello(swapped).map((e) => e.text)).toEqual(['origin.example.test']);
  // Near miss: the early segment was cut by the snap length while it waited: nothing is read past it.
  const cut = [...swapped];
  const held = cut[3]!;
  cut[3] = { ...held, data: held.data.subarray(0, 100) };
  expect(hello(cut)).toEqual([]);
});

describe('SYNs whose TCP header is cut still count', () => {
  for (const snap of [64, 68])
    test(`tcpdump -s ${snap}: the handshake is counted as tshark counts it, and the cut is said`, () => {
      const name = `snaplen-${snap}.pcap`;
      const syns = tshark(file(name), 'tcp.flags.syn == 1 && tcp.flags.ack == 0', ['tcp.srcport']);
      const synAcks = tshark(file(name), 'tcp.flags.syn == 1 && tcp.flags.ack == 1', ['tcp.dstport']);
      const [ep] = timeline(name, [{ url: 'cut', address: SERVER4, port: 4433 }]);
      expect(ep!.connectionsTotal).toBe(syns.length);
      expect(ep!.answered).toBe(synAcks.length);
      expect(ep!.connections.map((c) => String(c.clientPort))).toEqual(syns.map((s) => s[0]));
      expect(ep!.segmentsCut).toBeGreaterThan(0);
      // Nothing is read from payloads the snap length cut: no phantom TLS events.
      expect(ep!.connections[0]!.events.some((e) => e.kind.startsWith('tls'))).toBe(false);
    });

  test('a first fragment with only 16 bytes of TCP header is a SYN; a later fragment is not read', () => {
    const r = readCapture(bytes('tls12-close.pcap'));
    const syn = r.frames[0]!;
    const { first, second } = fragment(syn, 16);
    const frames = [first, second, ...r.frames.slice(1)];
    expect(decodeFrame(first)?.tcp?.flags).toBe(0x02);
    expect(decodeFrame(second)).toBeNull();
    const [ep] = buildTimeline(frames, [{ url: 'frag', address: SERVER4, port: 4433 }]);
    expect(ep!.connectionsTotal).toBe(1);
    expect(ep!.answered).toBe(1);
  });
});

test('near miss: an IPv6 SYN cut before its flags is not counted as a SYN, and the cut is said', () => {
  const r = readCapture(bytes('tls13-close.pcap'));
  // Ethernet 14 + IPv6 40 + 4 bytes of TCP: what `-s 64` keeps of IPv6 on the cooked `any` interface.
  const cut = r.frames.map((f) => ({ ...f, data: f.data.subarray(0, 58) }));
  const [ep] = buildTimeline(cut, [{ url: 'v6', address: SERVER6, port: 4433 }]);
  expect(ep!.connectionsTotal).toBe(0);
  expect(ep!.segmentsUnreadable).toBe(r.frames.length);
  expect(
    formatCaptureText({
      ...captureData(Buffer.alloc(0), 0, { filter: '', tool: null, iface: null }, []),
      problem: null,
      detail: null,
      endpoints: [ep!],
    }),
  ).toMatch(/segments cut before their TCP flags: not counted/);
});

test('the report says what the reader left out, in both languages; a complete capture says nothing of it', () => {
  const model = (name: string, lang: 'en' | 'zh-CN') => {
    const b = bytes(name);
    const data = captureData(b, b.length, { filter: 'tcp port 4433', tool: 'tcpdump', iface: 'any' }, [
      { url: 'cut', address: SERVER4, port: 4433 },
    ]);
    const report = {
      session: { id: 's1' },
      probes: [{ id: 'capture-1', kind: 'capture', data }],
    } as unknown as Report;
    return captureModel(report, false, createTranslator(lang))!.summary;
  };
  expect(model('snaplen-64.pcap', 'en')).toMatch(
    /Not all of it was read: 0 frames .* \d+ segments captured only in part/,
  );
  expect(model('snaplen-64.pcap', 'zh-CN')).toMatch(/并未全部读取/);
  expect(model('tls12-close.pcap', 'en')).not.toMatch(/Not all of it was read/);
});

describe('TCP Fast Open', () => {
  test('the data in the SYN is shown: its size, and the request it carries', () => {
    const f = file('tfo.pcap');
    const synData = tshark(f, 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.len > 0', ['tcp.len']);
    expect(synData).toHaveLength(1);
    const [ep] = timeline('tfo.pcap', [{ url: 'tfo', address: SERVER4, port: 8080 }]);
    const second = ep!.connections[1]!.events;
    expect(second[0]).toMatchObject({ kind: 'syn', bytes: Number(synData[0]![0]) });
    expect(second[1]).toMatchObject({ kind: 'http_request', text: 'GET / HTTP/1.1', t: 0 });
    // Near miss: the first connection (getting its cookie) sent an empty SYN.
    expect(ep!.connections[0]!.events[0]!.bytes).toBeUndefined();
  });
});

describe('pcapng', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'od-pcapng-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test('the obsolete Packet Block (type 2) is read, frame for frame as tshark reads it', () => {
    const r = readCapture(bytes('tls12-close.pcap'));
    const ng = pcapngPacketBlocks(r.frames);
    const out = path.join(tmp, 'packet-blocks.pcapng');
    writeFileSync(out, ng);
    const back = readCapture(ng);
    expect(back.format).toBe('pcapng');
    expect(back.problem).toBeNull();
    expect(back.frames.length).toBe(r.frames.length);
    expect(tshark(out, 'frame', ['frame.len'])).toHaveLength(r.frames.length);
    expect(back.frames.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(
      r.frames.map((f) => Buffer.from(f.data).toString('hex')),
    );
    expect(back.frames[3]!.time).toBeCloseTo(r.frames[3]!.time, 5);
  });
});

describe('endpoints and bounds', () => {
  test('two endpoints on the same address and port both get their connections', () => {
    const eps = timeline('tfo.pcap', [
      { url: 'http://a.example.test:8080', address: SERVER4, port: 8080 },
      { url: 'http://b.example.test:8080', address: SERVER4, port: 8080 },
    ]);
    expect(eps.map((e) => e.connectionsTotal)).toEqual([2, 2]);
    expect(eps.map((e) => e.answered)).toEqual([2, 2]);
  });

  test('a crafted 64 MiB capture is bounded in frames, connections, time and memory, and says what it dropped', () => {
    const crafted = synFlood(64 * 1024 * 1024);
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    const d = captureData(crafted, crafted.length, { filter: 'tcp', tool: 'tcpdump', iface: 'any' }, [
      { url: 'flood', address: SERVER4, port: 443 },
    ]);
    const elapsed = performance.now() - started;
    const grown = process.memoryUsage().heapUsed - before;
    expect(d.framesNotRead).toBeGreaterThan(0);
    expect(d.packets).toBe(MAX_FRAMES);
    const ep = d.endpoints[0]!;
    expect(ep.connections.length).toBeLessThanOrEqual(40);
    expect(ep.connectionsNotFollowed).toBe(MAX_FRAMES - MAX_FOLLOWED_CONNECTIONS);
    expect(ep.connectionsTotal).toBe(MAX_FRAMES);
    const text = formatCaptureText(d);
    expect(text).toMatch(/frames past the reader's bound were not read/);
    expect(text).toMatch(/connections past the bound: counted, their answers not read/);
    // Generous bounds for a loaded machine; before the bounds this took 855 MB and 6 s.
    expect(grown).toBeLessThan(400 * 1024 * 1024);
    expect(elapsed).toBeLessThan(30_000);
  });

  test('property: any one-byte damage to the real captures reads without throwing', () => {
    const files = ['tls12-close.pcap', 'tls13-close.pcap', 'tls13-split-hello.pcap', 'tfo.pcap'].map(bytes);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: files.length - 1 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (i, at, value) => {
          const damaged = Buffer.from(files[i]!);
          damaged[24 + (at % (damaged.length - 24))] = value;
          const r = readCapture(damaged);
          buildTimeline(r.frames, [
            { url: 'a', address: SERVER4, port: 4433 },
            { url: 'b', address: SERVER6, port: 4433 },
            { url: 'c', address: SERVER4, port: 8080 },
          ]);
        },
      ),
      { numRuns: 400 },
    );
  });
});

/** An IPv4 frame (Ethernet) split into two fragments at `at` bytes of its IP payload (a multiple of 8). */
function fragment(frame: Frame, at: number): { first: Frame; second: Frame } {
  const d = Buffer.from(frame.data);
  const ipOff = 14;
  const ihl = (d[ipOff]! & 0x0f) * 4;
  const payload = d.subarray(ipOff + ihl);
  const make = (part: Buffer, offset8: number, more: boolean): Frame => {
    const head = Buffer.from(d.subarray(0, ipOff + ihl));
    head.writeUInt16BE(ihl + part.length, ipOff + 2);
    head.writeUInt16BE((more ? 0x2000 : 0) | offset8, ipOff + 6);
    const data = Buffer.concat([head, part]);
    return { time: frame.time, linkType: frame.linkType, data, originalLength: data.length };
  };
  return { first: make(payload.subarray(0, at), 0, true), second: make(payload.subarray(at), at / 8, false) };
}

/**
 * The frames as pcapng with the obsolete Packet Block (block type 2, pcapng spec draft section "Packet Block"):
 * a Section Header Block, one Interface Description Block (microseconds, the default), then per frame
 * interface id (16 bits), drops count (16 bits), timestamp high / low, captured and original lengths, the data
 * padded to 32 bits, and the block length again. No common tool writes this block any more; Wireshark reads it.
 */
function pcapngPacketBlocks(frames: readonly Frame[]): Buffer {
  const block = (type: number, body: Buffer): Buffer => {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const len = 12 + padded.length;
    const b = Buffer.alloc(len);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(len, 4);
    padded.copy(b, 8);
    b.writeUInt32LE(len, len - 4);
    return b;
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeUInt16LE(0, 6);
  shb.writeBigInt64LE(-1n, 8);
  const idb = Buffer.alloc(8);
  idb.writeUInt16LE(frames[0]!.linkType, 0);
  idb.writeUInt32LE(262144, 4);
  const packets = frames.map((f) => {
    const head = Buffer.alloc(20);
    const us = BigInt(Math.round(f.time * 1e6));
    head.writeUInt16LE(0, 0);
    head.writeUInt16LE(0, 2);
    head.writeUInt32LE(Number(us >> 32n), 4);
    head.writeUInt32LE(Number(us & 0xffffffffn), 8);
    head.writeUInt32LE(f.data.length, 12);
    head.writeUInt32LE(f.originalLength, 16);
    return block(2, Buffer.concat([head, Buffer.from(f.data)]));
  });
  return Buffer.concat([block(0x0a0d0d0a, shb), block(1, idb), ...packets]);
}

/** A crafted capture of `size` bytes: raw-IPv4 SYNs to SERVER4:443, each from its own port and ISN. */
function synFlood(size: number): Buffer {
  const rec = 16 + 40;
  const n = Math.floor((size - 24) / rec);
  const b = Buffer.alloc(24 + n * rec);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(65535, 16);
  b.writeUInt32LE(101, 20);
  for (let i = 0; i < n; i++) {
    const o = 24 + i * rec;
    b.writeUInt32LE(1_700_000_000 + Math.floor(i / 1000), o);
    b.writeUInt32LE((i % 1000) * 1000, o + 4);
    b.writeUInt32LE(40, o + 8);
    b.writeUInt32LE(40, o + 12);
    const ip = o + 16;
    b[ip] = 0x45;
    b.writeUInt16BE(40, ip + 2);
    b[ip + 8] = 64;
    b[ip + 9] = 6;
    b.set([198, 18, 0, 2], ip + 12);
    b.set([198, 18, 9, 1], ip + 16);
    const tcp = ip + 20;
    b.writeUInt16BE(1024 + (i % 60000), tcp);
    b.writeUInt16BE(443, tcp + 2);
    b.writeUInt32BE((i * 2654435761) >>> 0, tcp + 4);
    b[tcp + 12] = 0x50;
    b[tcp + 13] = 0x02;
  }
  return b;
}
