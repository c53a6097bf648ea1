import type { CaptureData, CaptureEvent } from '../../shared/model/probe-data';

/**
 * The capture as text, like a trimmed `tcpdump` read: one block per endpoint, one line per connection with its
 * events at their offsets. This is the probe's raw output; the report draws the same events as a ladder.
 */
export function describeEvent(e: CaptureEvent): string {
  const arrow = e.dir === 'out' ? '→' : '←';
  switch (e.kind) {
    case 'syn':
      return e.bytes ? `${arrow} SYN with ${e.bytes} bytes of data (TCP Fast Open)` : `${arrow} SYN`;
    case 'syn_retransmit':
      return `${arrow} SYN (retransmitted after ${e.gapMs} ms)`;
    case 'syn_ack':
      return `${arrow} SYN-ACK`;
    case 'rst':
      return `${arrow} RST from ${e.from}`;
    case 'fin':
      return `${arrow} FIN`;
    case 'icmp_unreachable':
    case 'icmp_time_exceeded':
      return `${arrow} ICMP ${e.name ?? ''} (type ${e.icmpType}, code ${e.icmpCode}) from ${e.from}`;
    case 'tls_client_hello':
      return `${arrow} TLS ClientHello${e.text ? ` SNI=${e.text}` : ' (no SNI)'}`;
    case 'tls_server_hello':
      return `${arrow} TLS ServerHello ${e.text ?? ''}`.trimEnd();
    case 'tls_alert':
      return `${arrow} TLS Alert ${e.level ?? ''} ${e.name ?? ''}`.replace(/ +/g, ' ').trimEnd();
    case 'tls_encrypted':
      return `${arrow} TLS encrypted ${e.name === 'alert' ? 'alert' : 'handshake message'}`;
    case 'tls_app_data':
      return `${arrow} TLS application data`;
    case 'http_request':
    case 'http_response':
      return `${arrow} ${e.text ?? ''}`;
    case 'data':
      return `${arrow} ${e.bytes ?? 0} bytes`;
  }
}

export function formatCaptureText(d: CaptureData): string {
  if (d.problem && d.problem !== 'too_large')
    return `capture not available: ${d.problem}${d.detail ? ` (${d.detail})` : ''}`;
  const lines = [
    `${d.tool ?? 'capture'} on ${d.interface ?? '-'}: ${d.packets} packets, ${d.bytes} bytes${d.sha256 ? `, sha256 ${d.sha256}` : ''}`,
    `filter: ${d.filter}`,
  ];
  if (d.framesNotRead) lines.push(`${d.framesNotRead} frames past the reader's bound were not read`);
  for (const ep of d.endpoints) {
    lines.push(
      '',
      `${ep.url}: ${ep.connectionsTotal} connections: ${ep.answered} answered, ${ep.refused} RST, ${ep.icmp} ICMP, ${ep.unanswered} unanswered; ${ep.synRetransmits} SYN retransmissions`,
    );
    if (ep.connectionsNotFollowed)
      lines.push(
        `  ${ep.connectionsNotFollowed} connections past the bound: counted, their answers not read`,
      );
    if (ep.segmentsUnreadable)
      lines.push(
        `  ${ep.segmentsUnreadable} segments cut before their TCP flags: not counted (raise the snap length)`,
      );
    if (ep.segmentsCut)
      lines.push(
        `  ${ep.segmentsCut} segments captured only in part (snap length or fragment): their data not read`,
      );
    for (const c of ep.connections) {
      const events = c.events.map((e) => `+${e.t} ms ${describeEvent(e)}`).join('; ');
      lines.push(
        `  :${c.clientPort} @${c.startMs} ms  ${events}${c.eventsDropped ? `; … ${c.eventsDropped} more` : ''}`,
      );
    }
  }
  return lines.join('\n');
}
