import type { DnsData } from '../../shared/model/probe-data';
import type { DnsServer, ProbeRecord, SessionInput } from '../../shared/model/report';
import { ORIGIN_DNS_PREFIX, withResolvedEndpoints } from '../../shared/net/origin-name';
import { dnsProbe, formatDnsRaw } from '../probes/dns';
import { runProbes, type RunnerEvent, type RunnerLimits } from '../probes/runner';
import type { ProbeTask } from '../probes/types';

/**
 * One lookup per origin name and resolver: the system's and every `--dns-server`, as the provider resolves the
 * name from wherever its edge sits (A, AAAA and the CNAME chain, through the DNS probe of the protected domain).
 */
export function originNameTasks(input: SessionInput): ProbeTask[] {
  const servers: (DnsServer | null)[] = [null, ...input.dnsServers];
  const tasks: ProbeTask[] = [];
  for (const origin of input.originNames ?? [])
    for (const server of servers) {
      tasks.push({
        id: `${ORIGIN_DNS_PREFIX}${tasks.length + 1}`,
        kind: 'dns',
        target: origin.url,
        key: server ? `dns:${server.address}` : 'dns:system',
        run: async (ctx) => {
          const data: DnsData = { ...(await dnsProbe(origin.name, server, ctx)), origin: origin.url };
          return {
            status: data.outcome === 'ok' ? 'ok' : 'fail',
            data: { ...data },
            raw: formatDnsRaw(data),
          };
        },
      });
    }
  return tasks;
}

/**
 * Resolves the session's origin names before anything is probed: every lookup runs at once, bounded by the
 * session's timeout, so names add at most one timeout to a run however many there are.
 */
export async function resolveOriginNames(
  input: SessionInput,
  ranges: readonly string[],
  deps: {
    readonly signal: AbortSignal;
    readonly now: () => Date;
    readonly onEvent?: (event: RunnerEvent) => void;
    readonly limits?: RunnerLimits;
  },
): Promise<{ input: SessionInput; records: ProbeRecord[] }> {
  const tasks = originNameTasks(input);
  if (tasks.length === 0) return { input, records: [] };
  const records = await runProbes(tasks, {
    timeoutMs: input.timeoutMs,
    signal: deps.signal,
    now: deps.now,
    ...(deps.limits ? { limits: deps.limits } : {}),
    ...(deps.onEvent ? { onEvent: deps.onEvent } : {}),
  });
  return { input: withResolvedEndpoints(input, records, ranges), records };
}
