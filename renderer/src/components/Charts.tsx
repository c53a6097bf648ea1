import { useTranslation } from 'react-i18next';
import { OUTCOME_COLORS } from '../../../shared/catalog/colors';
import {
  httpDataSchema,
  tcpDataSchema,
  watchRoundSchema,
  type WatchRound,
} from '../../../shared/model/probe-data';
import type { Report } from '../../../shared/model/report';
import { maxOf } from '../../../shared/util/arrays';
import { downsample } from '../../../shared/util/downsample';

const COLORS: Record<string, string> = OUTCOME_COLORS;
/** Bars that fit a 300-pixel TCP chart and a 620-pixel watch chart at two pixels each at least. */
const MAX_TCP_BARS = 60;
const MAX_WATCH_BARS = 300;

/** The watch chart's bars: the slowest connect of each round, rounds merged when more than fit (one failed: red). */
function watchBars(rounds: readonly WatchRound[]) {
  const slowest = (r: WatchRound): number =>
    maxOf(
      r.endpoints.map((e) => e.connectMs ?? 0),
      0,
    );
  const max = maxOf(rounds.map(slowest), 1);
  const bars = downsample(rounds, MAX_WATCH_BARS, (group, first) => {
    const ok = group.every((r) => r.ok);
    const ms = maxOf(group.map(slowest), 0);
    const a = group[0]!;
    const b = group.at(-1)!;
    const label =
      group.length === 1
        ? `#${a.round} +${a.atS}s ${a.ok ? `${ms} ms` : '✗'}`
        : `#${a.round}–#${b.round} +${a.atS}s–${b.atS}s ${ok ? `${ms} ms` : '✗'}`;
    return { first, ok, ms, label };
  });
  return { max, bars, width: Math.max(1, Math.min(20, 600 / bars.length - 1)) };
}

/** Latency per TCP attempt, the HTTP timing waterfall and the watch rounds: what people would rather look at. */
export function Charts({ report, show }: { report: Report; show: 'network' | 'protocol' }) {
  const { t } = useTranslation();
  const tcp = report.probes.flatMap((p) => {
    const d = p.kind === 'tcp' ? tcpDataSchema.safeParse(p.data) : null;
    return d?.success && show === 'network' ? [{ target: p.target, attempts: d.data.attempts }] : [];
  });
  const http = report.probes.flatMap((p) => {
    const d = p.kind === 'http' ? httpDataSchema.safeParse(p.data) : null;
    const first = d?.success ? d.data.chain[0] : undefined;
    return first && show === 'protocol'
      ? [
          {
            target: p.target,
            timing: first.timing,
            status: first.status === null ? first.outcome : String(first.status),
          },
        ]
      : [];
  });
  const rounds = report.probes.flatMap((p) => {
    const d = p.kind === 'watch' ? watchRoundSchema.safeParse(p.data) : null;
    return d?.success && show === 'network' ? [d.data] : [];
  });
  if (tcp.length + http.length + rounds.length === 0) return null;
  const watch = rounds.length > 0 ? watchBars(rounds) : null;
  return (
    <div className="charts">
      {tcp.slice(0, 16).map((c) => {
        const max = maxOf(
          c.attempts.map((a) => a.ms),
          1,
        );
        // One bar per attempt (a session makes at most 20); more than fit are merged, a failure kept visible.
        const bars = downsample(c.attempts, MAX_TCP_BARS, (group, first) => ({
          first,
          outcome: group.find((a) => a.outcome !== 'connected')?.outcome ?? group[0]!.outcome,
          ms: maxOf(
            group.map((a) => a.ms),
            0,
          ),
          label:
            group.length === 1
              ? `#${group[0]!.seq} ${group[0]!.outcome} ${group[0]!.ms} ms`
              : `#${group[0]!.seq}–#${group.at(-1)!.seq}`,
        }));
        const step = 296 / Math.max(1, bars.length);
        return (
          <figure key={`tcp-${c.target}`}>
            <svg
              role="img"
              aria-label={t('report.chart_tcp', { target: c.target })}
              width="300"
              height="64"
              viewBox="0 0 300 64"
            >
              {bars.map((a, i) => {
                const h = Math.max(2, (a.ms / max) * 50);
                return (
                  <rect
                    key={a.first}
                    x={i * step + 2}
                    y={56 - h}
                    width={Math.max(1, Math.min(20, step - 2))}
                    height={h}
                    fill={COLORS[a.outcome] ?? '#57606a'}
                  >
                    <title>{a.label}</title>
                  </rect>
                );
              })}
              <line x1="0" y1="57" x2="300" y2="57" stroke="#8c959f" />
            </svg>
            <figcaption>
              {t('report.chart_tcp', { target: c.target })} · max {Math.round(max)} ms
            </figcaption>
          </figure>
        );
      })}
      {http.slice(0, 16).map((c) => {
        const total = Math.max(1, c.timing.totalMs);
        const phases = [
          ['connect', 0, c.timing.connectMs],
          ['tls', c.timing.connectMs, c.timing.tlsMs],
          ['ttfb', c.timing.tlsMs ?? c.timing.connectMs, c.timing.ttfbMs],
          ['total', c.timing.ttfbMs, c.timing.totalMs],
        ] as const;
        return (
          <figure key={`http-${c.target}`}>
            <svg
              role="img"
              aria-label={t('report.chart_http', { target: c.target, status: c.status })}
              width="300"
              height="64"
              viewBox="0 0 300 64"
            >
              {phases.map(([name, from, to], i) =>
                to === null || to === undefined ? null : (
                  <rect
                    key={name}
                    x={((from ?? 0) / total) * 290 + 5}
                    y={i * 14 + 4}
                    width={Math.max(2, ((to - (from ?? 0)) / total) * 290)}
                    height="10"
                    fill={['#0969da', '#8250df', '#1f883d', '#57606a'][i]}
                  >
                    <title>{`${name} ${to} ms`}</title>
                  </rect>
                ),
              )}
            </svg>
            <figcaption>
              {t('report.chart_http', { target: c.target, status: c.status })} · {Math.round(total)} ms
            </figcaption>
          </figure>
        );
      })}
      {watch && (
        <figure className="wide">
          <svg role="img" aria-label={t('report.watch')} width="620" height="70" viewBox="0 0 620 70">
            {watch.bars.map((r, i) => {
              const h = r.ok ? Math.max(2, (r.ms / watch.max) * 56) : 56;
              return (
                <rect
                  key={r.first}
                  x={i * (watch.width + 1) + 4}
                  y={60 - h}
                  width={watch.width}
                  height={h}
                  fill={r.ok ? '#1f883d' : '#cf222e'}
                >
                  <title>{r.label}</title>
                </rect>
              );
            })}
          </svg>
          <figcaption>
            {t('report.watch')} · {rounds.filter((r) => !r.ok).length}/{rounds.length} ✗
          </figcaption>
        </figure>
      )}
    </div>
  );
}
