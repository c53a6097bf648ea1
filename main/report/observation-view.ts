import type { Translate } from '../../shared/i18n/translate';
import { originBundleSchema, type SynExample } from '../../shared/model/origin-bundle';
import type { Report } from '../../shared/model/report';
import type { LadderModel } from './capture-view';

/**
 * What `origin-check --observe` saw, as a report shows it: the per-port × provider-range table (attempts from
 * outside the ranges on their own row), the firewall rules whose counters rose, the firewall log's provider lines,
 * and a handshake ladder for an example connection of each outcome. Worded, not escaped: each renderer escapes
 * for its medium (every address, prefix and rule here came from the origin and is untrusted).
 */

export interface ObservationModel {
  readonly summary: string;
  readonly columns: string[];
  readonly rows: string[][];
  readonly counters: string[];
  readonly log: string | null;
  readonly notes: string[];
  readonly ladders: LadderModel[];
}

const MAX_LADDERS = 8;

function ladderOf(e: SynExample, port: number, t: Translate): LadderModel {
  return {
    title: t('report.observe_ladder', {
      src: `${e.src}:${e.sport}`,
      dst: `${e.dst}:${port}`,
      at: e.at,
      outcome: t(`report.observe_outcome.${e.outcome}`),
    }),
    lanes: [
      { lane: 'client', label: t('report.observe_lane_provider') },
      { lane: 'origin', label: `${t('report.capture_lane_origin')} ${e.dst}` },
    ],
    events: e.ladder.map((s) => ({
      t: s.t,
      from: s.dir === 'in' ? ('client' as const) : ('origin' as const),
      to: s.dir === 'in' ? ('origin' as const) : ('client' as const),
      label:
        s.kind === 'icmp'
          ? `ICMP ${s.icmp?.type ?? '?'}/${s.icmp?.code ?? '?'} (${s.from})`
          : s.kind.replace('_', '-').toUpperCase(),
      tone: s.kind === 'syn_ack' ? ('ok' as const) : s.kind === 'syn' ? ('plain' as const) : ('bad' as const),
    })),
    more: null,
  };
}

export function observationModel(r: Report, t: Translate): ObservationModel | null {
  const probe = r.probes.find((p) => p.kind === 'origin');
  const parsed = probe ? originBundleSchema.safeParse(probe.data) : null;
  const o = parsed?.success ? parsed.data.observation : undefined;
  if (!o) return null;
  const rows = o.rows
    .filter((x) => x.range !== null || x.attempted > 0)
    .map((x) => [
      String(x.port),
      x.range ?? t('origin.summary_observe_outside'),
      String(x.attempted),
      String(x.synAck),
      String(x.rst),
      String(x.icmp),
      String(x.unanswered),
      String(x.pending),
    ]);
  // One example per outcome and port, failures first: the ladder that tells the most.
  const order = ['unanswered', 'rst', 'icmp', 'syn_ack', 'pending'];
  const seen = new Set<string>();
  const ladders: LadderModel[] = [];
  const examples = o.rows
    .filter((x) => x.range !== null)
    .flatMap((x) => x.examples.map((e) => ({ e, port: x.port })))
    .sort((a, b) => order.indexOf(a.e.outcome) - order.indexOf(b.e.outcome));
  for (const { e, port } of examples) {
    const key = `${port}|${e.outcome}|${e.src.includes(':')}`;
    if (seen.has(key) || ladders.length >= MAX_LADDERS) continue;
    seen.add(key);
    ladders.push(ladderOf(e, port, t));
  }
  const notes: string[] = [];
  if (o.endedEarly) notes.push(t('origin.summary_observe_early'));
  if (o.capture.problem)
    notes.push(
      t('origin.summary_observe_no_capture', { problem: o.capture.problem, detail: o.capture.detail ?? '-' }),
    );
  if (o.needsRoot.length) notes.push(t('origin.summary_needs_root', { parts: o.needsRoot.join(', ') }));
  for (const u of o.unavailable) notes.push(t('origin.summary_unavailable', u));
  return {
    summary: t('origin.summary_observe', {
      seconds: Math.round(o.durationMs / 100) / 10,
      asked: o.seconds,
      at: o.startedAt,
      packets: o.capture.packets,
    }),
    columns: [
      t('policy.col_port'),
      t('policy.col_range'),
      t('report.observe_col_attempted'),
      'SYN-ACK',
      'RST',
      'ICMP',
      t('report.observe_col_unanswered'),
      t('report.observe_col_pending'),
    ],
    rows,
    counters: (o.counters?.rose ?? []).map((c) =>
      t('origin.summary_observe_counter', {
        source: c.source,
        line: c.line,
        chain: c.chain,
        position: c.position,
        rule: c.rule,
        packets: c.packets,
      }),
    ),
    log: o.firewallLog
      ? t('origin.summary_firewall_log', {
          sources: o.firewallLog.sources.join(', ') || '-',
          lines: o.firewallLog.lines,
          from: o.firewallLog.from ?? '-',
          to: o.firewallLog.to ?? '-',
          counts:
            o.firewallLog.providerByPrefix.map((p) => `${p.prefix || '-'} ×${p.count}`).join(', ') || '-',
        })
      : null,
    notes,
    ladders,
  };
}
