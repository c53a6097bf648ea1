import type { OriginBundle } from '../../shared/model/origin-bundle';
import { isLoopback, listenersUnread } from '../origin/parsers';
import { findProvider } from '../../shared/catalog/providers';
import { probesOf } from './network';
import type { DiagnosisFacts, FindingDraft } from './types';

/**
 * Origin findings from an origin-check bundle: nothing listening on a port the CDN uses, a listener bound to
 * loopback only, a full conntrack table, listen-queue overflows, a web server out of file descriptors, a full
 * disk, memory pressure, and what the web server's error log says about its upstream.
 */

const CONNTRACK_FULL = 0.9;
const FD_FULL = 0.9;
const DISK_FULL = 95;
const MEMORY_LOW = 0.05;

/** The ports the origin should listen on: the session's endpoints', else the ones the bundle was asked for. */
export function expectedPorts(facts: DiagnosisFacts, bundle: OriginBundle): number[] {
  const ports = facts.input.endpoints.map((e) => e.port);
  return [...new Set(ports.length ? ports : bundle.ports)].sort((a, b) => a - b);
}

export function originTarget(bundle: OriginBundle, port?: number): string {
  const host = bundle.host.hostname || 'origin';
  return port === undefined ? host : `${host}:${port}`;
}

export function originFindings(facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  for (const { probe, data: b } of probesOf(facts.probes, 'origin')) {
    const evidence = [probe.id];
    if (b.listenersSource !== null) {
      for (const port of expectedPorts(facts, b)) {
        const on = b.listeners.filter((l) => l.port === port);
        if (on.length === 0 && listenersUnread(b)) {
          // A line the reader could not place may be this port's listener: unknown, not "nothing listens".
          const notes = (b.listenerNotes ?? []).filter((n) => n.reason === 'unread' || n.reason === 'no_tcp');
          out.push({
            id: 'origin.listeners_unread',
            target: originTarget(b, port),
            evidence,
            params: { port, source: b.listenersSource, count: notes.length, line: notes[0]!.line },
          });
        } else if (on.length === 0) {
          out.push({
            id: 'origin.not_listening',
            target: originTarget(b, port),
            evidence,
            params: { port, source: b.listenersSource },
          });
        } else if (on.every((l) => isLoopback(l.address))) {
          const l = on[0]!;
          out.push({
            id: 'origin.bound_loopback',
            target: originTarget(b, port),
            evidence,
            params: { port, address: l.address, process: l.process ?? '-', line: l.line },
          });
        }
      }
    }
    const full = b.conntrack && b.conntrack.max > 0 ? b.conntrack.count / b.conntrack.max : 0;
    if (full >= CONNTRACK_FULL || (b.conntrackFullMessages ?? 0) > 0)
      out.push({
        id: 'origin.conntrack_full',
        target: originTarget(b),
        evidence,
        params: {
          count: b.conntrack?.count ?? null,
          max: b.conntrack?.max ?? null,
          pct: Math.round(full * 100),
          messages: b.conntrackFullMessages ?? 0,
        },
      });
    if (b.listenQueue && b.listenQueue.overflows > 0)
      out.push({
        id: 'origin.listen_overflow',
        target: originTarget(b),
        evidence,
        params: {
          overflows: b.listenQueue.overflows,
          drops: b.listenQueue.drops,
          somaxconn: b.sysctl['net.core.somaxconn'] ?? null,
        },
      });
    const fdLog = b.errorLogs.reduce((n, l) => n + (l.counts.too_many_open_files ?? 0), 0);
    for (const p of b.processes) {
      if (p.openFiles === null || p.maxOpenFiles === null || p.maxOpenFiles === 0) continue;
      if (p.openFiles / p.maxOpenFiles >= FD_FULL)
        out.push({
          id: 'origin.fd_exhaustion',
          target: originTarget(b),
          evidence,
          params: { process: p.name, pid: p.pid, open: p.openFiles, max: p.maxOpenFiles, logLines: fdLog },
        });
    }
    if (fdLog > 0 && !out.some((f) => f.id === 'origin.fd_exhaustion'))
      out.push({
        id: 'origin.fd_exhaustion',
        target: originTarget(b),
        evidence,
        params: { process: '-', pid: null, open: null, max: null, logLines: fdLog, context: 'log' },
      });
    for (const d of b.disks)
      if (d.usedPct >= DISK_FULL)
        out.push({
          id: 'origin.disk_full',
          target: originTarget(b),
          evidence,
          params: { mount: d.mount, pct: d.usedPct },
        });
    if (b.memory && b.memory.totalKb > 0 && b.memory.availableKb / b.memory.totalKb < MEMORY_LOW)
      out.push({
        id: 'origin.memory_pressure',
        target: originTarget(b),
        evidence,
        params: {
          availableMb: Math.round(b.memory.availableKb / 1024),
          totalMb: Math.round(b.memory.totalKb / 1024),
        },
      });
    // The origin closes idle connections before the provider stops reusing them: a request sent on a connection
    // the origin is closing gets nothing back (520 / 502), now and then.
    const idle = facts.input.provider ? findProvider(facts.input.provider)?.idleTimeoutS : undefined;
    const keepalive = b.webServer?.keepaliveTimeoutS;
    if (idle && keepalive !== null && keepalive !== undefined && keepalive < idle.seconds)
      out.push({
        id: 'origin.keepalive_short',
        target: originTarget(b),
        evidence,
        params: {
          server: b.webServer!.kind,
          keepalive,
          provider: facts.providerName ?? facts.input.provider ?? '',
          idle: idle.seconds,
          source: b.webServer!.source,
        },
      });
    for (const log of b.errorLogs) {
      const upstream = (log.counts.connect_failed ?? 0) + (log.counts.upstream_timeout ?? 0);
      if (upstream > 0)
        out.push({
          id: 'origin.upstream_errors',
          target: originTarget(b),
          evidence,
          params: {
            file: log.file,
            connectFailed: log.counts.connect_failed ?? 0,
            timedOut: log.counts.upstream_timeout ?? 0,
            sample: log.samples.connect_failed ?? log.samples.upstream_timeout ?? '',
          },
        });
      if ((log.counts.limiting_requests ?? 0) > 0)
        out.push({
          id: 'origin.limiting_requests',
          target: originTarget(b),
          evidence,
          params: {
            file: log.file,
            count: log.counts.limiting_requests!,
            sample: log.samples.limiting_requests ?? '',
          },
        });
    }
  }
  return out;
}
