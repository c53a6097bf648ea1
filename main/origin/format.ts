import type { Translate } from '../../shared/i18n/translate';
import type { OriginBundle } from '../../shared/model/origin-bundle';
import { formatFirewallLogLines, formatObservationLines } from './observe-format';
import { isLoopback, isWildcard, listenersUnread } from './parsers';
import { appendAll } from '../../shared/util/arrays';

/** A short human summary of a bundle: listeners on the expected ports, the firewall, counters, what needed root. */
export function formatBundleText(b: OriginBundle, t: Translate): string {
  const out: string[] = [t('origin.summary_heading', { host: b.host.hostname || '-', at: b.collectedAt })];
  if (b.listenersSource === null) out.push(`  ${t('origin.summary_no_listeners')}`);
  const unread = listenersUnread(b);
  for (const port of b.ports) {
    const on = b.listeners.filter((l) => l.port === port);
    const state =
      on.length === 0
        ? t(unread ? 'origin.summary_port_unknown' : 'origin.summary_port_none')
        : on.some((l) => isWildcard(l.address))
          ? t('origin.summary_port_all')
          : on.every((l) => isLoopback(l.address))
            ? t('origin.summary_port_loopback')
            : t('origin.summary_port_some');
    out.push(
      `  ${t('origin.summary_port', { port, state, listeners: on.map((l) => `${l.address}:${l.port}${l.process ? ` (${l.process})` : ''}`).join(', ') || '-' })}`,
    );
  }
  for (const n of b.listenerNotes ?? [])
    out.push(
      `  ${t('origin.summary_listener_note', { reason: t(`origin.listener_note.${n.reason}`), line: n.line })}`,
    );
  out.push(`  ${t('origin.summary_firewall', { files: b.firewall.map((f) => f.name).join(', ') || '-' })}`);
  if (b.conntrack)
    out.push(`  ${t('origin.summary_conntrack', { count: b.conntrack.count, max: b.conntrack.max })}`);
  if (b.listenQueue) out.push(`  ${t('origin.summary_listen_queue', b.listenQueue)}`);
  for (const l of b.errorLogs)
    out.push(
      `  ${t('origin.summary_log', {
        file: l.file,
        lines: l.lines,
        counts:
          Object.entries(l.counts)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ') || '-',
      })}`,
    );
  if (b.firewallLog) appendAll(out, formatFirewallLogLines(b.firewallLog, t));
  if (b.observation) appendAll(out, formatObservationLines(b.observation, t));
  if (b.needsRoot.length) out.push(`  ${t('origin.summary_needs_root', { parts: b.needsRoot.join(', ') })}`);
  for (const u of b.unavailable) out.push(`  ${t('origin.summary_unavailable', u)}`);
  return out.join('\n') + '\n';
}
