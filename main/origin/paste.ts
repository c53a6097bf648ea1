import { ORIGIN_BUNDLE_VERSION, type OriginBundle } from '../../shared/model/origin-bundle';
import { detectFormat } from '../policy/parse';
import { countConntrackFull, nginxKeepaliveSeconds, parseErrorLog, parseListeners } from './parsers';
import { appendAll } from '../../shared/util/arrays';

/** A bundle that holds nothing yet: what a paste fills in, and a base for tests that write bundles. */
export function emptyOriginBundle(ports: readonly number[], now: Date): OriginBundle {
  return {
    format: 'origin-doctor-origin-check',
    version: ORIGIN_BUNDLE_VERSION,
    collectedAt: now.toISOString(),
    host: { hostname: '', os: '', kernel: '' },
    privileged: false,
    needsRoot: [],
    unavailable: [],
    ports: [...ports],
    listenersSource: null,
    listeners: [],
    firewall: [],
    conntrack: null,
    conntrackFullMessages: null,
    listenQueue: null,
    sysctl: {},
    processes: [],
    disks: [],
    memory: null,
    load: null,
    cpus: null,
    errorLogs: [],
  };
}

/**
 * A bundle built from pasted command output, for an origin where nothing can be installed: each text is
 * recognised as listeners (ss, netstat, Get-NetTCPConnection, /proc/net/tcp), a firewall dump, an error log or a
 * kernel log. A text that is none of these is returned by name so the caller can say so.
 */
export function bundleFromPastes(
  pastes: readonly { name: string; text: string }[],
  ports: readonly number[],
  now: Date,
): { bundle: OriginBundle; unrecognised: string[] } {
  const bundle = emptyOriginBundle(ports, now);

  const unrecognised: string[] = [];
  for (const p of pastes) {
    const listeners = parseListeners(p.text);
    if (listeners) {
      appendAll(bundle.listeners, listeners.listeners);
      if (listeners.notes.length > 0) appendAll((bundle.listenerNotes ??= []), listeners.notes);
      bundle.listenersSource = `${listeners.source} (pasted: ${p.name})`;
      continue;
    }
    const format = detectFormat(p.text);
    if (format && format !== 'ipset') {
      bundle.firewall.push({ name: p.name, format, text: p.text });
      if (format === 'nginx')
        bundle.webServer = {
          kind: 'nginx',
          keepaliveTimeoutS: nginxKeepaliveSeconds(p.text),
          source: p.name,
        };
      continue;
    }
    const log = parseErrorLog(p.text, p.name);
    if (log) {
      bundle.errorLogs.push(log);
      continue;
    }
    const full = countConntrackFull(p.text);
    if (full !== null) {
      bundle.conntrackFullMessages = (bundle.conntrackFullMessages ?? 0) + full;
      continue;
    }
    unrecognised.push(p.name);
  }
  return { bundle, unrecognised };
}
