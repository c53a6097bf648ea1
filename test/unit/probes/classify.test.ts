import { expect, test } from 'vitest';
import { classifyDnsError, combineDnsOutcome, formatDnsServer } from '../../../main/probes/dns';
import { classifyConnectError, tcpStats } from '../../../main/probes/tcp';
import type { DnsAnswer } from '../../../shared/model/probe-data';

test('connect errors map to what happened on the wire', () => {
  expect(classifyConnectError('ECONNREFUSED')).toBe('refused');
  expect(classifyConnectError('EHOSTUNREACH')).toBe('unreachable');
  expect(classifyConnectError('ENETUNREACH')).toBe('unreachable');
  expect(classifyConnectError('EACCES')).toBe('unreachable');
  expect(classifyConnectError('ETIMEDOUT')).toBe('timeout');
  expect(classifyConnectError('ECONNRESET')).toBe('reset');
  expect(classifyConnectError('EPERM')).toBe('error');
  expect(classifyConnectError(undefined)).toBe('error');
});

test('tcping statistics', () => {
  const s = tcpStats([
    { seq: 1, outcome: 'connected', ms: 1, code: null },
    { seq: 2, outcome: 'connected', ms: 3, code: null },
    { seq: 3, outcome: 'timeout', ms: 3000, code: null },
    { seq: 4, outcome: 'connected', ms: 2, code: null },
  ]);
  expect(s).toEqual({ sent: 4, connected: 3, lossPct: 25, minMs: 1, avgMs: 2, maxMs: 3, stddevMs: 0.816 });
  expect(tcpStats([])).toMatchObject({ sent: 0, lossPct: 0, avgMs: null });
  expect(tcpStats([{ seq: 1, outcome: 'refused', ms: 0.2, code: 'ECONNREFUSED' }])).toMatchObject({
    connected: 0,
    lossPct: 100,
    minMs: null,
  });
});

const ans = (outcome: DnsAnswer['outcome'], values: string[] = []): DnsAnswer => ({
  outcome,
  values,
  code: null,
  ms: 1,
  ttl: null,
});

test('DNS outcomes: any address wins, then the most telling failure', () => {
  expect(classifyDnsError('ENOTFOUND')).toBe('nxdomain');
  expect(classifyDnsError('ESERVFAIL')).toBe('servfail');
  expect(classifyDnsError('ETIMEOUT')).toBe('timeout');
  expect(classifyDnsError('ENODATA')).toBe('nodata');
  expect(classifyDnsError('EREFUSED')).toBe('refused');
  expect(combineDnsOutcome(ans('nodata'), ans('ok', ['2001:db8::1']))).toBe('ok');
  expect(combineDnsOutcome(ans('nxdomain'), ans('nxdomain'))).toBe('nxdomain');
  expect(combineDnsOutcome(ans('timeout'), ans('servfail'))).toBe('servfail');
  expect(combineDnsOutcome(ans('nodata'), ans('nodata'))).toBe('nodata');
  expect(formatDnsServer({ address: '2001:db8::53', port: 5353 })).toBe('[2001:db8::53]:5353');
  expect(formatDnsServer({ address: '1.1.1.1', port: 53 })).toBe('1.1.1.1');
});
