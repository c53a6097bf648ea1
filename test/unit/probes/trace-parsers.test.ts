import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeToolOutput } from '../../../main/probes/spawn';
import {
  parseMtrJson,
  parseTraceroute,
  parseTracepath,
  parseTracert,
  summariseHops,
} from '../../../main/probes/trace-parsers';
import { planTrace } from '../../../main/probes/trace';

const fixture = (name: string): string =>
  readFileSync(path.join(__dirname, '../../fixtures/trace', name), 'utf8');
const firstAddress = (hops: ReturnType<typeof parseTraceroute>): (string | null)[] =>
  hops.map((h) => h.probes.find((p) => p.address)?.address ?? null);

describe('traceroute (Linux / macOS)', () => {
  test('hops, silent hops, load-balanced hops and times', () => {
    const hops = parseTraceroute(fixture('linux-traceroute.txt'));
    expect(hops.map((h) => h.ttl)).toEqual([1, 2, 3, 4, 5]);
    expect(firstAddress(hops)).toEqual(['192.168.1.1', '10.20.0.1', null, '100.64.12.9', '203.0.113.7']);
    expect(hops[1]!.probes.map((p) => p.rttMs)).toEqual([3.101, 3.087, null]);
    expect(hops[3]!.probes.map((p) => p.address)).toEqual(['100.64.12.9', '100.64.12.13', '100.64.12.13']);
    expect(summariseHops(hops, '203.0.113.7')).toEqual({
      reached: true,
      lastResponder: '203.0.113.7',
      lastResponderTtl: 5,
      stopAnnotation: null,
    });
  });

  test('!H annotations: the path stops at a router that says host unreachable', () => {
    const hops = parseTraceroute(fixture('linux-traceroute-unreachable.txt'));
    expect(hops[2]!.probes.every((p) => p.annotation === '!H')).toBe(true);
    expect(summariseHops(hops, '198.51.100.20')).toEqual({
      reached: false,
      lastResponder: '10.20.0.1',
      lastResponderTtl: 3,
      stopAnnotation: '!H',
    });
  });

  test('IPv6 with !X (administratively prohibited) at the target', () => {
    const hops = parseTraceroute(fixture('linux-traceroute6-prohibited.txt'));
    expect(summariseHops(hops, '2001:db8:1::2')).toMatchObject({ reached: true, stopAnnotation: '!X' });
  });

  test('macOS output with one probe per hop', () => {
    const hops = parseTraceroute(fixture('macos-traceroute.txt'));
    expect(firstAddress(hops)).toEqual(['192.168.0.1', null, '172.16.4.1', '203.0.113.7']);
  });

  test('the header line and errors are not hops', () => {
    expect(
      parseTraceroute(
        'traceroute to 2001:db8:ff::1 (2001:db8:ff::1), 24 hops max\nconnect: Network is unreachable\n',
      ),
    ).toEqual([]);
  });
});

describe('tracert (Windows)', () => {
  test('English output, <1 ms and Request timed out', () => {
    const hops = parseTracert(fixture('windows-tracert-en.txt'));
    expect(firstAddress(hops)).toEqual(['192.168.1.1', '10.20.0.1', null, '203.0.113.7']);
    expect(hops[0]!.probes.map((p) => p.rttMs)).toEqual([0.5, 0.5, 0.5]);
    expect(summariseHops(hops, '203.0.113.7').reached).toBe(true);
  });

  test('Chinese output (毫秒, 请求超时, 报告: 无法访问目标主机)', () => {
    const hops = parseTracert(fixture('windows-tracert-zh.txt'));
    expect(firstAddress(hops)).toEqual(['192.168.1.1', '10.20.0.1', null, '10.20.0.1']);
    expect(hops[3]!.probes[0]!.annotation).toBe('!H');
    expect(summariseHops(hops, '203.0.113.7')).toMatchObject({
      reached: false,
      lastResponder: '10.20.0.1',
      stopAnnotation: '!H',
    });
  });

  test('Chinese output in the GBK console code page decodes to the same hops', () => {
    const gbk = readFileSync(path.join(__dirname, '../../fixtures/trace/windows-tracert-zh.gbk.txt'));
    expect(parseTracert(decodeToolOutput(gbk))).toEqual(parseTracert(fixture('windows-tracert-zh.txt')));
  });
});

describe('tracepath and mtr', () => {
  test('tracepath: repeated ttl lines merge, [LOCALHOST] is not a hop, no reply is silence', () => {
    const hops = parseTracepath(fixture('tracepath.txt'));
    expect(hops.map((h) => h.ttl)).toEqual([1, 2, 3, 4]);
    expect(hops[0]!.probes).toHaveLength(2);
    expect(firstAddress(hops)).toEqual(['192.168.1.1', '10.20.0.1', null, '203.0.113.7']);
  });

  test('mtr --json: ??? hops are silent; string counts accepted', () => {
    const hops = parseMtrJson(fixture('mtr.json'));
    expect(firstAddress(hops)).toEqual(['192.168.1.1', null, '203.0.113.7']);
    expect(hops[2]!.probes[0]!.rttMs).toBe(12.43);
    expect(parseMtrJson('not json')).toEqual([]);
    expect(parseMtrJson('{"report":{"hubs":[null,1,{"count":"x"}]}}')).toEqual([]);
  });
});

test('parsers never throw on arbitrary text', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (s) => {
      parseTraceroute(s);
      parseTracert(s);
      parseTracepath(s);
      parseMtrJson(s);
    }),
    { numRuns: 300 },
  );
});

describe('choosing the trace tool', () => {
  const has = (names: string[]) => (n: string) => (names.includes(n) ? `/usr/sbin/${n}` : null);
  test('Linux traceroute runs all probes at once with an absolute path', () => {
    const plan = planTrace('203.0.113.7', 4, 1, has(['traceroute', 'mtr']), 'linux')!;
    expect(plan.tool).toBe('traceroute');
    expect(plan.path).toBe('/usr/sbin/traceroute');
    expect(plan.args).toEqual(['-4', '-n', '-q', '1', '-N', '24', '-m', '24', '-w', '1', '203.0.113.7']);
  });
  test('mtr, then tracepath, when traceroute is missing; null when nothing is installed', () => {
    expect(planTrace('203.0.113.7', 4, 1, has(['mtr', 'tracepath']), 'linux')!.tool).toBe('mtr');
    expect(planTrace('2001:db8::7', 6, 1, has(['tracepath']), 'linux')!.args[0]).toBe('-6');
    expect(planTrace('203.0.113.7', 4, 1, has([]), 'linux')).toBeNull();
  });
  test('Windows tracert with -d and a wait in milliseconds; macOS traceroute6 for IPv6', () => {
    expect(planTrace('203.0.113.7', 4, 2, has(['tracert']), 'win32')!.args).toEqual([
      '-d',
      '-h',
      '24',
      '-w',
      '2000',
      '-4',
      '203.0.113.7',
    ]);
    expect(planTrace('2001:db8::7', 6, 1, has(['traceroute', 'traceroute6']), 'darwin')!.path).toBe(
      '/usr/sbin/traceroute6',
    );
  });
});
