import { setMaxListeners } from 'node:events';
import { findProvider } from '../../shared/catalog/providers';
import type { DnsServer, Environment, ProbeRecord, Report, SessionInput } from '../../shared/model/report';
import type { LocalData, ProviderCaSource } from '../../shared/model/probe-data';
import { createTranslator } from '../../shared/i18n/translate';
import { diagnose, type Diagnosis } from '../diagnosis';
import { dnsProbe, formatDnsRaw, formatDnsServer } from '../probes/dns';
import { localEnvProbe } from '../probes/local-env';
import { queryRoutes } from '../probes/route-query';
import { runProbes, type RunnerEvent, type RunnerLimits } from '../probes/runner';
import { DEFAULT_TCP_OPTIONS, formatTcpRaw, tcpProbe, type TcpOptions } from '../probes/tcp';
import { traceProbe } from '../probes/trace';
import { formatTlsRaw, tlsProbe, tlsStatus, trustAnchors, type ProviderAnchors } from '../probes/tls';
import { formatHttpRaw, httpProbe } from '../probes/http';
import type { ProbeTask } from '../probes/types';
import { APP_VERSION } from '../version';
import { runPolicy, type PolicyRun } from '../policy';
import { formatPolicyText } from '../policy/format';
import { formatPolicyChangeText } from '../policy/compare-format';
import { formatBundleText } from '../origin/format';
import { rdpProbe, sshProbe } from '../probes/mgmt';
import { startCapture, type CaptureOptions } from '../probes/capture';
import { formatCaptureText } from '../capture/format';
import { watchProbes } from './watch';
import { appendAll } from '../../shared/util/arrays';
import { resolveOriginNames } from './resolve-origins';
import { withResolvedEndpoints } from '../../shared/net/origin-name';

export interface RunDiagnosisDeps {
  readonly now: () => Date;
  readonly newId: () => string;
  readonly signal: AbortSignal;
  readonly onEvent?: (event: RunnerEvent) => void;
  readonly tcp?: Partial<TcpOptions>;
  readonly limits?: RunnerLimits;
  /** Leave out the path step (for callers that only need reachability). */
  readonly trace?: boolean;
  /** Leave out the DNS step (a domain not yet published, or a lab without resolvers). */
  readonly dns?: boolean;
  /** The session's id and start time when the caller already stored it (the history does). */
  readonly session?: { readonly id: string; readonly createdAt: string };
  /** Extra trusted CA certificates (PEM), on top of the system's roots. */
  readonly extraCa?: readonly string[];
  /** Capture the probes' own packets (tcpdump / dumpcap) and read a handshake timeline from them. */
  readonly capture?: boolean | CaptureOptions;
  /**
   * Parses and analyses the session's rule files (runPolicy's arguments); the desktop app runs it in its parse
   * worker so a big rule file never blocks the main process. runPolicy in this thread when left out (the CLI).
   */
  readonly policy?: (input: Parameters<typeof runPolicy>[0], ranges: readonly string[]) => Promise<PolicyRun>;
}

/** Back-to-origin ranges in force for a session: its own plus its provider preset's, without repeats. */
export function rangesInForce(input: SessionInput): string[] {
  const preset = input.provider ? findProvider(input.provider) : undefined;
  const base = input.rangesOverride ?? preset?.ranges ?? [];
  return [...new Set([...input.sourceRanges, ...base])];
}

/**
 * The CA(s) the provider trusts for origin certificates: its preset's shipped origin CA roots plus the session's
 * `--provider-ca` files, each with its source; null when there are none. Without a preset the provider is
 * `custom` (a provider known by its ranges only).
 */
export function providerAnchorsFor(input: SessionInput): ProviderAnchors | null {
  const originCa = input.provider ? findProvider(input.provider)?.originCa : undefined;
  const pems: string[] = [];
  const sources: ProviderCaSource[] = [];
  for (const r of originCa?.roots ?? []) {
    pems.push(r.pem);
    sources.push({ kind: 'preset', provider: input.provider!, published: originCa!.checkedOn });
  }
  for (const f of input.providerCa ?? []) {
    for (const pem of f.pems) {
      pems.push(pem);
      sources.push({ kind: 'file', file: f.name });
    }
  }
  return pems.length > 0 ? { provider: input.provider ?? 'custom', pems, sources } : null;
}

/** The probes a session runs: all independent, so the runner starts them together. */
export function planProbes(
  input: SessionInput,
  deps: Pick<RunDiagnosisDeps, 'tcp' | 'trace' | 'dns' | 'extraCa' | 'now' | 'policy'>,
): ProbeTask[] {
  const tasks: ProbeTask[] = [];
  tasks.push({
    id: 'local',
    kind: 'local',
    target: 'local',
    key: 'local',
    // The OS is asked which route each endpoint address takes: reject routes, policy rules and VPN interfaces
    // decide before any packet leaves, and the tables read from /proc show none of them.
    run: async (ctx) => ({
      status: 'ok',
      data: {
        ...localEnvProbe(),
        routeChecks: await queryRoutes([...new Set(input.endpoints.map((e) => e.address))], ctx.signal),
      },
    }),
  });
  if (input.domain && deps.dns !== false) {
    const domain = input.domain;
    const servers: (DnsServer | null)[] = input.dnsServers.length > 0 ? input.dnsServers : [null];
    servers.forEach((server, i) => {
      tasks.push({
        id: `dns-${i + 1}`,
        kind: 'dns',
        target: server ? formatDnsServer(server) : 'system',
        key: server ? `dns:${server.address}` : 'dns:system',
        run: async (ctx) => {
          const data = await dnsProbe(domain, server, ctx);
          return {
            status: data.outcome === 'ok' ? 'ok' : 'fail',
            data: { ...data },
            raw: formatDnsRaw(data),
          };
        },
      });
    });
  }
  const tcpOptions: TcpOptions = { ...DEFAULT_TCP_OPTIONS, attempts: input.attempts, ...deps.tcp };
  input.endpoints.forEach((ep, i) => {
    tasks.push({
      id: `tcp-${i + 1}`,
      kind: 'tcp',
      target: ep.url,
      key: ep.url,
      run: async (ctx) => {
        const data = await tcpProbe(ep, tcpOptions, ctx);
        const status =
          data.stats.connected === data.stats.sent ? 'ok' : data.stats.connected > 0 ? 'warn' : 'fail';
        return { status, data: { ...data }, raw: formatTcpRaw(data) };
      },
    });
  });
  const anchors = trustAnchors([...(deps.extraCa ?? []), ...(input.extraCa ?? []).flatMap((f) => f.pems)]);
  const providerAnchors = providerAnchorsFor(input);
  input.endpoints.forEach((ep, i) => {
    if (ep.scheme !== 'https') return;
    tasks.push({
      id: `tls-${i + 1}`,
      kind: 'tls',
      target: ep.url,
      key: ep.url,
      run: async (ctx) => {
        const data = await tlsProbe(ep, input.domain, anchors, deps.now, ctx, providerAnchors);
        const status = tlsStatus(data);
        return { status, data: { ...data }, raw: formatTlsRaw(data) };
      },
    });
  });
  input.endpoints.forEach((ep, i) => {
    tasks.push({
      id: `http-${i + 1}`,
      kind: 'http',
      target: ep.url,
      key: ep.url,
      run: async (ctx) => {
        const data = await httpProbe(
          ep,
          {
            domain: input.domain,
            healthPath: input.healthPath,
            sslMode: input.sslMode,
            endpoints: input.endpoints,
          },
          deps.now,
          ctx,
        );
        const last = data.chain[data.chain.length - 1];
        const status =
          last?.outcome !== 'response' || data.redirectLoop !== 'none'
            ? 'fail'
            : (last.status ?? 0) >= 400
              ? 'warn'
              : 'ok';
        return { status, data: { ...data }, raw: formatHttpRaw(data) };
      },
    });
  });
  if (input.management) {
    const addresses = [...new Map(input.endpoints.map((e) => [e.address, e])).values()];
    let n = 0;
    for (const ep of addresses)
      for (const [service, ports] of [
        ['ssh', input.management.ssh],
        ['rdp', input.management.rdp],
      ] as const)
        for (const port of ports) {
          n++;
          const host = ep.family === 6 ? `[${ep.address}]` : ep.address;
          tasks.push({
            id: `mgmt-${n}`,
            kind: 'mgmt',
            target: `${service}://${host}:${port}`,
            key: ep.address,
            run: async (ctx) => {
              const data = await (service === 'ssh' ? sshProbe : rdpProbe)(ep.address, port, ctx);
              return {
                status: data.outcome === 'answered' ? 'ok' : 'warn',
                data: { ...data },
                raw: data.banner ?? (data.rdpSelected ? `RDP: ${data.rdpSelected}` : data.outcome),
              };
            },
          });
        }
  }
  const origin = input.origin ?? null;
  if (origin) {
    tasks.push({
      id: 'origin-1',
      kind: 'origin',
      target: origin.host.hostname || 'origin',
      key: 'origin',
      run: async () => ({
        status: origin.listenersSource === null || origin.needsRoot.length > 0 ? 'warn' : 'ok',
        data: { ...origin },
        raw: formatBundleText(origin, createTranslator(input.lang)),
      }),
    });
  }
  // The origin's own firewall dump joins the rule files given for the session.
  const policies = [...(input.policies ?? []), ...(origin?.firewall ?? [])];
  if (policies.length > 0) {
    tasks.push({
      id: 'policy-1',
      kind: 'policy',
      target: policies.map((p) => p.name).join(', '),
      key: 'policy',
      run: async () => {
        const preset = input.provider ? findProvider(input.provider) : undefined;
        const policyInput = {
          endpoints: input.endpoints,
          policies,
          provider: preset?.name ?? input.provider,
          // Another version of the rules, compared whole with the set above (change impact).
          ...(input.policiesAfter?.length ? { policiesAfter: input.policiesAfter } : {}),
        };
        const result = deps.policy
          ? await deps.policy(policyInput, rangesInForce(input))
          : runPolicy(policyInput, rangesInForce(input), () => performance.now());
        // A rule file that cannot be read: the probe says why in the session's language, and the diagnosis
        // names it (policy.unreadable) so the verdict never reads as if the policy were fine.
        if (!result.ok)
          return {
            status: 'error',
            data: { error: result.error },
            raw: createTranslator(input.lang)(result.error.key, result.error.params),
          };
        const d = result.data;
        const denied = d.rows.some((r) => r.outcome === 'blocked' || r.outcome === 'partial');
        const warned =
          d.rows.some((r) => r.outcome === 'limited' || r.outcome === 'unknown') ||
          d.anomalies.some((a) => a.relevant && a.kind !== 'generalization' && a.kind !== 'redundant');
        const t = createTranslator(input.lang);
        // The comparison with another version follows the analysis in the probe's text; another version that
        // cannot be read is named there and makes the probe a warning, never a silent "no change".
        const change = d.change
          ? `\n${formatPolicyChangeText(d.change, t)}`
          : d.changeError
            ? `\n${t('policy.change_after_unreadable', { detail: t(d.changeError.key, d.changeError.params) })}\n`
            : '';
        return {
          status: denied ? 'fail' : warned || d.changeError ? 'warn' : 'ok',
          data: { ...d },
          raw: formatPolicyText(d, t) + change,
        };
      },
    });
  }
  if (deps.trace !== false) {
    const seen = new Set<string>();
    let n = 0;
    for (const ep of input.endpoints) {
      if (seen.has(ep.address)) continue;
      seen.add(ep.address);
      n++;
      tasks.push({
        id: `trace-${n}`,
        kind: 'trace',
        target: ep.address,
        key: ep.address,
        run: async (ctx) => {
          const { data, raw } = await traceProbe(ep.address, ep.family, ctx);
          const status =
            data.problem === 'not_installed' || data.problem === 'cancelled'
              ? 'skipped'
              : data.problem === 'failed'
                ? 'error'
                : data.reached
                  ? 'ok'
                  : 'warn';
          return { status, data: { ...data }, raw };
        },
      });
    }
  }
  return tasks;
}

/**
 * Starts the packet capture before any probe, and returns what ends it: the capture's own probe record, with the
 * timeline as its data and as its raw text. A capture that cannot run is a record that says why.
 */
async function beginCapture(
  input: SessionInput,
  deps: Pick<RunDiagnosisDeps, 'capture' | 'now' | 'onEvent'>,
): Promise<() => Promise<ProbeRecord>> {
  const startedAt = deps.now().toISOString();
  const t0 = performance.now();
  const target = 'capture';
  deps.onEvent?.({ type: 'probe-started', id: 'capture-1', kind: 'capture', target });
  const running = await startCapture(
    input.endpoints.map((e) => ({ url: e.url, address: e.address, port: e.port })),
    typeof deps.capture === 'object' ? deps.capture : {},
  );
  return async () => {
    const data = await running.stop();
    const record: ProbeRecord = {
      id: 'capture-1',
      kind: 'capture',
      target,
      startedAt,
      durationMs: Math.round(performance.now() - t0),
      status: data.problem === null ? 'ok' : data.problem === 'too_large' ? 'warn' : 'skipped',
      data: { ...data },
      raw: formatCaptureText(data),
    };
    deps.onEvent?.({ type: 'probe-finished', record });
    return record;
  };
}

/**
 * Runs a whole session: every probe in parallel, then the diagnosis, and returns the report (contract v1).
 * The same use-case serves the desktop app, the CLI and the tests.
 */
export async function runDiagnosis(given: SessionInput, deps: RunDiagnosisDeps): Promise<Report> {
  const createdAt = deps.session?.createdAt ?? deps.now().toISOString();
  // Every socket and child of the run listens to this one signal: dozens of listeners are expected, not a leak.
  setMaxListeners(512, deps.signal);
  // Origin names first: their addresses are the endpoints the rest of the run probes.
  const resolved = await resolveOriginNames(given, rangesInForce(given), deps);
  const input = resolved.input;
  const capture = deps.capture ? await beginCapture(input, deps) : null;
  // A watch repeats its own short probes; of the one-off plan it keeps the local environment.
  const planned = planProbes(input, deps);
  const run = await runProbes(input.watch ? planned.filter((t) => t.kind === 'local') : planned, {
    timeoutMs: input.timeoutMs,
    signal: deps.signal,
    now: deps.now,
    ...(deps.limits ? { limits: deps.limits } : {}),
    ...(deps.onEvent ? { onEvent: deps.onEvent } : {}),
  });
  const probes = [...resolved.records, ...run];
  if (input.watch) appendAll(probes, await watchProbes(input, deps));
  if (capture) probes.push(await capture());
  return reportFrom(input, probes, {
    id: deps.session?.id ?? deps.newId(),
    createdAt,
    finishedAt: deps.now().toISOString(),
  });
}

/**
 * The current engine's findings, causes (with their check and fix steps) and verdict for a session's input and
 * probes: what a fresh run reports, and what a stored or imported session is shown with.
 */
export function diagnoseSession(given: SessionInput, probes: readonly ProbeRecord[]): Diagnosis {
  const input = withResolvedEndpoints(given, probes, rangesInForce(given));
  const preset = input.provider ? findProvider(input.provider) : undefined;
  return diagnose(
    { input, probes, providerRanges: rangesInForce(input), providerName: preset?.name ?? null },
    createTranslator(input.lang),
  );
}

/** The report of a set of probe records: the environment they saw, then the diagnosis over them. */
export function reportFrom(
  given: SessionInput,
  probes: ProbeRecord[],
  session: { id: string; createdAt: string; finishedAt: string },
): Report {
  // A stored session holds the names as given; the report shows the addresses its lookups found, labelled.
  const input = withResolvedEndpoints(given, probes, rangesInForce(given));
  const local = probes.find((p) => p.kind === 'local')?.data as unknown as LocalData | undefined;
  const environment: Environment = {
    os: local?.os ?? process.platform,
    release: local?.release ?? '',
    arch: local?.arch ?? process.arch,
    node: process.versions.node,
    root: local?.root ?? false,
  };
  const { findings, causes, verdict } = diagnoseSession(input, probes);
  return {
    schemaVersion: 1,
    tool: { name: 'origin-doctor', version: APP_VERSION },
    session: { ...session, input, environment },
    probes,
    findings,
    causes,
    verdict,
  };
}
