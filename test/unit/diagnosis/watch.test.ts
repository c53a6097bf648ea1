import { describe, expect, test } from 'vitest';
import { diagnose } from '../../../main/diagnosis';
import { watchEndpointFailed } from '../../../main/diagnosis/watch';
import { createTranslator } from '../../../shared/i18n/translate';
import type { HTTP_OUTCOMES, WatchEndpoint, WatchRound } from '../../../shared/model/probe-data';

type HttpOutcome = (typeof HTTP_OUTCOMES)[number];
import type { ProbeRecord } from '../../../shared/model/report';
import { ORIGIN_ENDPOINT as EP, sessionInput } from '../../lab/session-input';

const t = createTranslator('en');

/** A round as the watch stores it; `ok` is the flag a session stored before 429 counted would carry. */
function seen(status: number | null, outcome: HttpOutcome = 'response', connected = 3): WatchEndpoint {
  return {
    url: EP.url,
    sent: 3,
    connected,
    connectMs: connected ? 10 : null,
    tcpFailure: connected < 3 ? 'timeout' : null,
    httpOutcome: outcome,
    httpStatus: status,
    ttfbMs: status === null ? null : 20,
    ok: outcome === 'response' && status !== null && status < 500 && connected === 3,
  };
}

function watched(rounds: WatchEndpoint[]) {
  const probes: ProbeRecord[] = rounds.map((e, i) => {
    const round: WatchRound = { round: i + 1, atS: i * 5, endpoints: [e], ok: e.ok };
    return {
      id: `round-${i + 1}`,
      kind: 'watch',
      target: 'watch',
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 1,
      status: 'ok',
      data: { ...round },
    };
  });
  const input = sessionInput({ endpoints: [EP], watch: { intervalS: 5, durationS: 5 * rounds.length } });
  return diagnose({ input, probes, providerRanges: [], providerName: null }, t);
}

describe('watch rounds are judged as the CDN would serve them', () => {
  test('429 on every round fails every round: always failing, rate limiting, broken', () => {
    const d = watched(Array.from({ length: 6 }, () => seen(429)));
    expect(d.findings.map((f) => f.id)).toEqual(['watch.always_failing']);
    expect(d.findings[0]!.params).toMatchObject({ failed: 6, failure: 'HTTP 429', httpStatus: 429 });
    expect(d.causes[0]!.id).toBe('cause.rate_limiting');
    expect(d.verdict).toBe('broken');
  });

  test('5xx, empty replies, resets and timeouts fail a round', () => {
    for (const e of [
      seen(502),
      seen(504),
      seen(null, 'empty_reply'),
      seen(null, 'reset'),
      seen(null, 'timeout'),
    ])
      expect(watchEndpointFailed(e), `${e.httpStatus} ${e.httpOutcome}`).toBe(true);
    expect(watchEndpointFailed(seen(200, 'response', 2))).toBe(true);
  });

  test('429 now and then is intermittent, with the limiter named', () => {
    const d = watched([200, 429, 200, 200, 429, 200, 200, 429, 200].map((s) => seen(s)));
    expect(d.findings.map((f) => f.id)).toEqual(['watch.intermittent']);
    expect(d.causes.map((c) => c.id)).toContain('cause.rate_limiting');
  });

  test('near miss: 404, 403 and redirects are the origin answering — stable and healthy', () => {
    for (const status of [200, 301, 403, 404]) {
      const d = watched(Array.from({ length: 4 }, () => seen(status)));
      expect(
        d.findings.map((f) => f.id),
        String(status),
      ).toEqual(['watch.stable']);
      expect(d.verdict, String(status)).toBe('healthy');
    }
  });
});
