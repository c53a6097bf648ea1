import type { Translate } from '../../shared/i18n/translate';
import {
  captureDataSchema,
  watchRoundSchema,
  type CaptureConnection,
  type CaptureEndpoint,
} from '../../shared/model/probe-data';
import type { Report } from '../../shared/model/report';
import { describeEvent } from '../capture/format';

/**
 * The capture and the watch as a report shows them: a ladder diagram per endpoint (the connection that tells the
 * most), the pcap itself as a download, and a chart of every watch round. Worded, not escaped: each renderer
 * escapes for its medium.
 */

export type Lane = 'client' | 'path' | 'origin';

export interface LadderModel {
  readonly title: string;
  readonly lanes: { lane: Lane; label: string }[];
  readonly events: { t: number; from: Lane; to: Lane; label: string; tone: 'ok' | 'bad' | 'plain' }[];
  readonly more: string | null;
}

export interface CaptureModel {
  readonly summary: string;
  readonly problem: string | null;
  /** The pcap as a data: URI for the HTML report's download link; null when redacted, absent or too large. */
  readonly pcapDataUri: string | null;
  readonly pcapName: string;
  readonly sha: string | null;
  readonly note: string | null;
  readonly ladders: LadderModel[];
}

export interface WatchModel {
  readonly summary: string;
  readonly charts: {
    title: string;
    rounds: { n: number; atS: number; ok: boolean; ms: number | null; what: string }[];
  }[];
}

/** Ladders a report draws; each is a few lines tall, the raw capture has the rest. */
export const MAX_LADDERS = 16;
const MAX_LADDER_EVENTS = 14;

const BAD = new Set(['rst', 'icmp_unreachable', 'tls_alert', 'syn_retransmit']);
const GOOD = new Set(['syn_ack', 'tls_server_hello', 'http_response']);

/** The connection that tells the most: the first that failed when any did, else the one with most events. */
function telling(ep: CaptureEndpoint): CaptureConnection | undefined {
  const failed = ep.connections.find((c) => c.answer !== 'syn_ack');
  if (failed) return failed;
  return [...ep.connections].sort((a, b) => b.events.length - a.events.length)[0];
}

function ladderOf(ep: CaptureEndpoint, c: CaptureConnection, t: Translate): LadderModel {
  const hasPath = c.events.some((e) => e.dir === 'in' && e.from !== ep.address && e.kind.startsWith('icmp'));
  const lanes: LadderModel['lanes'] = [
    { lane: 'client', label: t('report.capture_lane_client') },
    ...(hasPath ? [{ lane: 'path' as const, label: t('report.capture_lane_path') }] : []),
    { lane: 'origin', label: `${t('report.capture_lane_origin')} ${ep.address}` },
  ];
  const events = c.events.slice(0, MAX_LADDER_EVENTS).map((e) => {
    const sender: Lane =
      e.dir === 'out' ? 'client' : e.kind.startsWith('icmp') && e.fromTarget !== true ? 'path' : 'origin';
    return {
      t: e.t,
      from: sender,
      to: e.dir === 'out' ? ('origin' as const) : ('client' as const),
      label: describeEvent(e).replace(/^[→←] /, ''),
      tone: BAD.has(e.kind) ? ('bad' as const) : GOOD.has(e.kind) ? ('ok' as const) : ('plain' as const),
    };
  });
  return {
    title: t('report.capture_ladder', {
      target: ep.url,
      port: c.clientPort,
      answer: t(`report.capture_answer.${c.answer}`),
    }),
    lanes,
    events,
    more: ep.connectionsTotal > 1 ? t('report.capture_more', { count: ep.connectionsTotal - 1 }) : null,
  };
}

export function captureModel(r: Report, redacted: boolean, t: Translate): CaptureModel | null {
  const probe = r.probes.find((p) => p.kind === 'capture');
  const parsed = probe ? captureDataSchema.safeParse(probe.data) : null;
  if (!parsed?.success) return null;
  const d = parsed.data;
  if (d.problem && d.problem !== 'too_large') {
    return {
      summary: '',
      problem: t(`finding.capture.unavailable`, {
        context: d.problem,
        tool: d.tool ?? '',
        detail: d.detail ?? '',
      }),
      pcapDataUri: null,
      pcapName: '',
      sha: null,
      note: null,
      ladders: [],
    };
  }
  const ladders = d.endpoints.flatMap((ep) => {
    const c = telling(ep);
    return c ? [ladderOf(ep, c, t)] : [];
  });
  // What the reader left out (its bounds, a small snap length) is said, so a quiet ladder is not read as complete.
  const sum = (k: 'connectionsNotFollowed' | 'segmentsCut' | 'segmentsUnreadable'): number =>
    d.endpoints.reduce((n, ep) => n + (ep[k] ?? 0), 0);
  const partial = {
    frames: d.framesNotRead ?? 0,
    connections: sum('connectionsNotFollowed'),
    cut: sum('segmentsCut'),
    unreadable: sum('segmentsUnreadable'),
  };
  const summary = t('report.capture_summary', {
    tool: d.tool ?? '-',
    iface: d.interface ?? '-',
    packets: d.packets,
    bytes: d.bytes,
    filter: d.filter,
  });
  return {
    summary: Object.values(partial).some((n) => n > 0)
      ? `${summary} ${t('report.capture_partial', partial)}`
      : summary,
    problem: null,
    pcapDataUri: d.pcap && !redacted ? `data:application/vnd.tcpdump.pcap;base64,${d.pcap}` : null,
    pcapName: `origin-doctor-${r.session.id}.pcap`,
    sha: d.sha256 ? t('report.capture_sha', { sha: d.sha256 }) : null,
    note: redacted
      ? t('report.capture_redacted')
      : d.problem === 'too_large'
        ? t('report.capture_not_kept', { bytes: d.bytes })
        : null,
    ladders: ladders.slice(0, MAX_LADDERS),
  };
}

export function watchModel(r: Report, t: Translate): WatchModel | null {
  const rounds = r.probes.flatMap((p) => {
    const parsed = p.kind === 'watch' ? watchRoundSchema.safeParse(p.data) : null;
    return parsed?.success ? [parsed.data] : [];
  });
  if (rounds.length === 0) return null;
  const w = r.session.input.watch;
  return {
    summary: t('report.watch_summary', {
      rounds: rounds.length,
      every: w?.intervalS ?? '-',
      duration: w?.durationS ?? '-',
    }),
    charts: r.session.input.endpoints.map((ep) => ({
      title: t('report.watch_chart', { target: ep.url }),
      rounds: rounds.flatMap((round) => {
        const e = round.endpoints.find((x) => x.url === ep.url);
        return e
          ? [
              {
                n: round.round,
                atS: round.atS,
                ok: e.ok,
                ms: e.connectMs,
                what: e.ok
                  ? `${e.connectMs ?? '-'} ms`
                  : e.httpStatus !== null
                    ? `HTTP ${e.httpStatus}`
                    : (e.tcpFailure ?? e.httpOutcome),
              },
            ]
          : [];
      }),
    })),
  };
}
