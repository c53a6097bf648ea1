import type { Translate } from '../../shared/i18n/translate';
import type { FirewallLog, Observation, SynExample } from '../../shared/model/origin-bundle';
import { appendAll } from '../../shared/util/arrays';

/**
 * The observation as text lines for the terminal and the origin probe's raw output: the per-port × range table,
 * the firewall rules whose counters rose, the kernel's drop counters, the firewall log and what needed root.
 */
export function formatObservationLines(o: Observation, t: Translate): string[] {
  const out = [
    t('origin.summary_observe', {
      seconds: Math.round(o.durationMs / 100) / 10,
      asked: o.seconds,
      at: o.startedAt,
      packets: o.capture.packets,
    }),
  ];
  if (o.endedEarly) out.push(`  ${t('origin.summary_observe_early')}`);
  if (o.capture.problem)
    out.push(
      `  ${t('origin.summary_observe_no_capture', { problem: o.capture.problem, detail: o.capture.detail ?? '-' })}`,
    );
  for (const r of o.rows) {
    if (r.range === null && r.attempted === 0) continue;
    out.push(
      `  ${t('origin.summary_observe_row', {
        port: r.port,
        range: r.range ?? t('origin.summary_observe_outside'),
        attempted: r.attempted,
        synAck: r.synAck,
        rst: r.rst,
        icmp: r.icmp,
        unanswered: r.unanswered,
        pending: r.pending,
      })}`,
    );
    for (const e of r.examples.slice(0, 2)) out.push(`    ${exampleText(e)}`);
  }
  if (o.capture.notFollowed)
    out.push(`  ${t('origin.summary_observe_not_followed', { count: o.capture.notFollowed })}`);
  for (const c of o.counters?.rose ?? [])
    out.push(
      `  ${t('origin.summary_observe_counter', {
        source: c.source,
        line: c.line,
        chain: c.chain,
        position: c.position,
        rule: c.rule,
        packets: c.packets,
      })}`,
    );
  if (o.listenQueueDelta || o.conntrackFullDelta !== null)
    out.push(
      `  ${t('origin.summary_observe_kernel', {
        overflows: o.listenQueueDelta?.overflows ?? '-',
        drops: o.listenQueueDelta?.drops ?? '-',
        full: o.conntrackFullDelta ?? '-',
      })}`,
    );
  if (o.firewallLog) appendAll(out, formatFirewallLogLines(o.firewallLog, t));
  if (o.needsRoot.length) out.push(`  ${t('origin.summary_needs_root', { parts: o.needsRoot.join(', ') })}`);
  for (const u of o.unavailable) out.push(`  ${t('origin.summary_unavailable', u)}`);
  return out;
}

/** The firewall log's provider lines per prefix, with the time range the lines read cover. */
export function formatFirewallLogLines(l: FirewallLog, t: Translate): string[] {
  return [
    `  ${t('origin.summary_firewall_log', {
      sources: l.sources.join(', ') || '-',
      lines: l.lines,
      from: l.from ?? '-',
      to: l.to ?? '-',
      counts: l.providerByPrefix.map((p) => `${p.prefix || '-'} ×${p.count}`).join(', ') || '-',
    })}`,
  ];
}

/** One example attempt as a ladder on a line: `198.51.100.7:40000 → :443 09:00:01Z: SYN, +1003 ms SYN, …`. */
export function exampleText(e: SynExample): string {
  const steps = e.ladder
    .map(
      (s) =>
        `${s.t ? `+${s.t} ms ` : ''}${s.kind === 'icmp' ? `ICMP ${s.icmp?.type}/${s.icmp?.code} from ${s.from}` : s.kind.replace('_', '-').toUpperCase()}`,
    )
    .join(', ');
  return `${e.src}:${e.sport} → ${e.dst} ${e.at}: ${steps}`;
}
