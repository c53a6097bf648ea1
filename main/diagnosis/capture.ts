import { captureDataSchema, type CaptureData } from '../../shared/model/probe-data';
import type { ProbeRecord } from '../../shared/model/report';
import { normalizeAddress } from '../capture/packet';
import type { DiagnosisFacts, FindingDraft } from './types';

/**
 * Packet evidence → findings. The capture settles what the socket's errno cannot: SYNs that were retransmitted
 * into silence (a DROP), an RST from the origin itself or from something on the way, an ICMP error and who sent
 * it, the TLS alert the origin sent. These findings are evidence for causes, not problems of their own: their
 * severity is `info`, the TCP / TLS findings they explain carry the verdict.
 */

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Capture records, including the ones marked skipped because no capture was possible (they say why). */
export function captureRecords(
  facts: Pick<DiagnosisFacts, 'probes'>,
): { probe: ProbeRecord; data: CaptureData }[] {
  const out: { probe: ProbeRecord; data: CaptureData }[] = [];
  for (const probe of facts.probes) {
    if (probe.kind !== 'capture') continue;
    const parsed = captureDataSchema.safeParse(probe.data);
    if (parsed.success) out.push({ probe, data: parsed.data });
  }
  return out;
}

export function captureFindings(facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  for (const { probe, data } of captureRecords(facts)) {
    const evidence = [probe.id];
    if (data.problem && data.problem !== 'too_large') {
      out.push({
        id: 'capture.unavailable',
        target: 'capture',
        evidence,
        params: { context: data.problem, tool: data.tool ?? '', detail: data.detail ?? '' },
      });
      continue;
    }
    for (const ep of data.endpoints) {
      const target = ep.url;
      if (ep.unanswered > 0 && ep.answered === 0 && ep.refused === 0 && ep.icmp === 0) {
        const syns = ep.unanswered + ep.synRetransmits;
        out.push({
          id: 'capture.syn_unanswered',
          target,
          evidence,
          params: {
            connections: ep.unanswered,
            syns,
            retransmits: ep.synRetransmits,
            backoff: ep.backoffMs.length ? ep.backoffMs.map(seconds).join(', ') : '-',
          },
        });
      }
      for (const from of ep.rstFrom) {
        const fromTarget = normalizeAddress(from) === normalizeAddress(ep.address);
        out.push({
          id: 'capture.rst_answer',
          target,
          evidence,
          params: { from, fromTarget, connections: ep.refused, ...(fromTarget ? {} : { context: 'router' }) },
        });
      }
      for (const i of ep.icmpFrom) {
        out.push({
          id: 'capture.icmp_answer',
          target,
          evidence,
          params: {
            from: i.from,
            name: i.name,
            fromTarget: i.fromTarget,
            ...(i.fromTarget ? {} : { context: 'router' }),
          },
        });
      }
      for (const a of ep.tlsAlerts) {
        out.push({
          id: 'capture.tls_alert',
          target,
          evidence,
          params: {
            name: a.name,
            level: a.level,
            dir: a.dir,
            ...(a.dir === 'out' ? { context: 'client' } : {}),
          },
        });
      }
    }
  }
  return out;
}

/** ICMP reasons that mean "a filter said no", as opposed to "there is no way there". */
export const ICMP_PROHIBITED = new Set([
  'admin_prohibited',
  'net_prohibited',
  'host_prohibited',
  'policy_failed',
  'reject_route',
]);
