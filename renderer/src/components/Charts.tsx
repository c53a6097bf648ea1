import { useTranslation } from 'react-i18next';
import { OUTCOME_COLORS } from '../../../shared/catalog/colors';
import { httpDataSchema, tcpDataSchema, watchRoundSchema } from '../../../shared/model/probe-data';
import type { Report } from '../../../shared/model/report';

const COLORS: Record<string, string> = OUTCOME_COLORS;

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
  return (
    <div className="charts">
      {tcp.slice(0, 16).map((c) => {
        const max = Math.max(1, ...c.attempts.map((a) => a.ms));
        return (
          <figure key={`tcp-${c.target}`}>
            <svg
              role="img"
              aria-label={t('report.chart_tcp', { target: c.target })}
              width="300"
              height="64"
              viewBox="0 0 300 64"
            >
              {c.attempts.map((a, i) => {
                const h = Math.max(2, (a.ms / max) * 50);
                return (
                  <rect
                    key={i}
                    x={i * 26 + 2}
                    y={56 - h}
                    width="20"
                    height={h}
                    fill={COLORS[a.outcome] ?? '#57606a'}
                  >
                    <title>{`#${a.seq} ${a.outcome} ${a.ms} ms`}</title>
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
      {rounds.length > 0 && (
        <figure className="wide">
          <svg role="img" aria-label={t('report.watch')} width="620" height="70" viewBox="0 0 620 70">
            {rounds.map((r, i) => {
              const w = Math.max(1, Math.min(20, 600 / rounds.length - 1));
              const ms = Math.max(...r.endpoints.map((e) => e.connectMs ?? 0));
              const max = Math.max(1, ...rounds.flatMap((x) => x.endpoints.map((e) => e.connectMs ?? 0)));
              const h = r.ok ? Math.max(2, (ms / max) * 56) : 56;
              return (
                <rect
                  key={r.round}
                  x={i * (w + 1) + 4}
                  y={60 - h}
                  width={w}
                  height={h}
                  fill={r.ok ? '#1f883d' : '#cf222e'}
                >
                  <title>{`#${r.round} +${r.atS}s ${r.ok ? `${ms} ms` : '✗'}`}</title>
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
