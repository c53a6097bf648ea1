import { FINDINGS, LAYERS, isFindingId, type Layer } from '../../shared/catalog/ids';
import { findProvider } from '../../shared/catalog/providers';
import type { Translate } from '../../shared/i18n/translate';
import {
  httpDataSchema,
  policyDataSchema,
  tcpDataSchema,
  traceDataSchema,
} from '../../shared/model/probe-data';
import { coverageText, decidedBy } from '../policy/format';
import type { Finding, Lang, Report } from '../../shared/model/report';
import type { Comparison } from '../../shared/model/comparison';
import type { RedactionKind } from './redact';
import { captureModel, watchModel, type CaptureModel, type WatchModel } from './capture-view';
import { observationModel, type ObservationModel } from './observation-view';
import { policyChangeModel, type PolicyChangeModel } from './policy-change-view';
import { httpEvidence } from './http-evidence';
import { minOf } from '../../shared/util/arrays';

/**
 * The report as its renderers need it: every text already worded in the chosen language (from ids and
 * parameters, so a session stored in English reads in Chinese too), the numbers for the charts, and nothing
 * escaped yet — each renderer escapes for its own medium.
 */
export interface ReportModel {
  readonly lang: Lang;
  readonly title: string;
  readonly generatedAt: string;
  readonly timeZone: string;
  readonly toolVersion: string;
  readonly sessionId: string;
  readonly status: string;
  readonly verdict: Report['verdict'];
  readonly verdictText: string;
  readonly input: { label: string; value: string }[];
  readonly environment: { label: string; value: string }[];
  readonly causes: {
    id: string;
    confidencePct: number;
    summary: string;
    findings: string[];
    evidence: string[];
    checks: { text: string; command: string | null; env: string | null }[];
    fix: { text: string; command: string | null; env: string | null }[];
  }[];
  readonly layers: {
    layer: Layer;
    name: string;
    state: 'pass' | 'warn' | 'fail' | 'none';
    findings: { id: string; severity: string; target: string; message: string; evidence: string[] }[];
  }[];
  readonly probes: {
    id: string;
    kind: string;
    target: string;
    status: string;
    startedAt: string;
    durationMs: number;
    raw: string;
  }[];
  readonly tcpCharts: { target: string; attempts: { seq: number; ms: number; outcome: string }[] }[];
  readonly httpCharts: {
    target: string;
    connectMs: number | null;
    tlsMs: number | null;
    ttfbMs: number | null;
    totalMs: number;
    status: string;
  }[];
  readonly paths: {
    target: string;
    hops: { ttl: number; address: string | null; rttMs: number | null; annotation: string | null }[];
    reached: boolean;
  }[];
  readonly timeline: {
    id: string;
    kind: string;
    target: string;
    startMs: number;
    durationMs: number;
    status: string;
  }[];
  readonly notes: string;
  readonly tags: string[];
  readonly comparison: { parentId: string; changes: { change: string; id: string; target: string }[] } | null;
  readonly redacted: { kind: RedactionKind; count: number; label: string }[] | null;
  /** The knowledge-base article of each cause in the report, in the report's language. */
  readonly knowledge: { id: string; parts: { title: string; text: string }[] }[];
  /** Terraform and Ansible versions of the fixes, once each, with the cause they fix. */
  readonly asCode: { cause: string; text: string; env: string; command: string }[];
  /** The policy layer's coverage table and anomalies, worded; null when no rule file was given. */
  readonly policy: PolicyModel | null;
  /** The rule files compared with another version of them (change impact); null when the session compared none. */
  readonly policyChange: PolicyChangeModel | null;
  /** The packet capture's ladders and file; null when the session was run without `--capture`. */
  readonly capture: CaptureModel | null;
  /** What origin-check --observe saw of the provider's connections; null without an observation. */
  readonly observation: ObservationModel | null;
  /** Every round of a watch, per endpoint; null for a one-off session. */
  readonly watch: WatchModel | null;
}

export interface PolicyModel {
  readonly files: string[];
  readonly coverage: string;
  readonly notes: string[];
  readonly rows: {
    range: string;
    port: number;
    outcome: string;
    outcomeText: string;
    allowedPct: string;
    decided: string;
    segments: { range: string; outcome: string; outcomeText: string; decided: string }[];
  }[];
  readonly hiddenRows: number;
  readonly anomalies: { kind: string; at: string; text: string; other: string; relevant: boolean }[];
}

/** Fix steps written as infrastructure code; the report gathers them in a section of their own. */
const CODE_ENVS = new Set(['terraform', 'ansible']);

function asCodeOf<S extends { text: string; command: string | null; env: string | null }>(
  causes: Report['causes'],
  word: (s: Report['causes'][number]['fix'][number]) => S,
): { cause: string; text: string; env: string; command: string }[] {
  const seen = new Set<string>();
  const out: { cause: string; text: string; env: string; command: string }[] = [];
  for (const c of causes)
    for (const s of c.fix) {
      if (!CODE_ENVS.has(s.env ?? '') || !s.command || seen.has(s.command)) continue;
      seen.add(s.command);
      const w = word(s);
      out.push({ cause: c.id, text: w.text, env: s.env!, command: s.command });
    }
  return out;
}

/** The parts of a knowledge-base article (locale keys kb.<cause>.<part>), in reading order. */
export const KB_PARTS = ['meaning', 'why', 'confirm', 'fix', 'provider'] as const;

/** Rows of the coverage table a report shows; the JSON keeps them all. */
const MAX_POLICY_ROWS = 200;

const pctText = (share: number): string => `${Math.floor(share * 10000) / 100} %`;

function policyModel(probes: Report['probes'], t: Translate): PolicyModel | null {
  const probe = probes.find((p) => p.kind === 'policy');
  const parsed = probe ? policyDataSchema.safeParse(probe.data) : null;
  if (!parsed?.success) return null;
  const d = parsed.data;
  return {
    files: d.files.map((f) =>
      t('policy.file_line', {
        name: f.name,
        format: f.format,
        layer: t(`policy.layer_${f.layer}`),
        count: f.ruleCount,
      }),
    ),
    coverage: d.ranges.length === 0 ? t('policy.no_ranges') : coverageText(d, t),
    notes: d.files.flatMap((f) => f.notes.map((n) => `${f.name}: ${t(n.key, n.params)}`)),
    rows: d.rows.slice(0, MAX_POLICY_ROWS).map((r) => ({
      range: r.range,
      port: r.port,
      outcome: r.outcome,
      outcomeText: t(`policy.row_${r.outcome}`),
      allowedPct: pctText(r.allowedShare),
      decided: r.segments.length === 1 ? decidedBy(r.segments[0]!, t) : '',
      segments:
        r.segments.length === 1
          ? []
          : r.segments.map((s) => ({
              range: s.range,
              outcome: s.outcome,
              outcomeText: t(`policy.outcome_${s.outcome}`),
              decided: decidedBy(s, t),
            })),
    })),
    hiddenRows: Math.max(0, d.rows.length - MAX_POLICY_ROWS),
    anomalies: d.anomalies.map((a) => ({
      kind: t(`policy.anomaly_${a.kind}`),
      at: `${a.rule.file}:${a.rule.line}`,
      text: a.rule.text,
      other: a.other
        ? t(`policy.anomaly_other_${a.kind}`, { at: `${a.other.file}:${a.other.line}`, text: a.other.text })
        : '',
      relevant: a.relevant,
    })),
  };
}

export interface ReportContext {
  readonly report: Report;
  readonly status?: string;
  readonly notes?: string;
  readonly tags?: string[];
  readonly comparison?: Comparison | null;
  readonly redactions?: Record<RedactionKind, number> | null;
  readonly generatedAt: Date;
  readonly timeZone: string;
  readonly lang: Lang;
}

/** A date in the reader's zone with the zone named, e.g. `2026-11-28 16:01:47 (UTC+08:00, Asia/Shanghai)`. */
export function formatTime(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZoneName: 'longOffset',
  }).formatToParts(d);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  const offset = get('timeZoneName').replace('GMT', 'UTC') || 'UTC';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} (${offset === 'UTC' ? 'UTC+00:00' : offset}, ${timeZone})`;
}

function layerState(findings: readonly Finding[]): 'pass' | 'warn' | 'fail' | 'none' {
  if (findings.length === 0) return 'none';
  if (findings.some((f) => f.severity === 'error')) return 'fail';
  if (findings.some((f) => f.severity === 'warn')) return 'warn';
  return 'pass';
}

/** Builds the model of a report: pure; the clock, the zone and the translator are passed in. */
export function buildReportModel(ctx: ReportContext, t: Translate): ReportModel {
  const r = ctx.report;
  const input = r.session.input;
  const word = (f: Finding): string =>
    isFindingId(f.id) || f.id.includes('.') ? t(`finding.${f.id}`, f.params) : f.message;
  const stepOf = (s: {
    key: string;
    params: Record<string, unknown>;
    text: string;
    command?: string | undefined;
    env?: string | undefined;
  }) => ({
    text: s.key ? t(s.key, s.params) : s.text,
    command: s.command ?? null,
    env: s.env ?? null,
  });
  const t0 = minOf(
    r.probes.map((p) => Date.parse(p.startedAt)).filter((x) => !Number.isNaN(x)),
    Date.parse(r.session.createdAt),
  );
  const probeIdsOf = (findingIds: string[]): string[] => [
    ...new Set(r.findings.filter((f) => findingIds.includes(f.id)).flatMap((f) => f.evidence)),
  ];
  return {
    lang: ctx.lang,
    title: t('report.title', { domain: input.domain ?? input.endpoints.map((e) => e.url).join(', ') }),
    generatedAt: formatTime(ctx.generatedAt.toISOString(), ctx.timeZone),
    timeZone: ctx.timeZone,
    toolVersion: r.tool.version,
    sessionId: r.session.id,
    status: t(`status.${ctx.status ?? 'finished'}`),
    verdict: r.verdict,
    verdictText: t(`verdict.${r.verdict}`),
    input: [
      { label: t('app.field.domain'), value: input.domain ?? '-' },
      { label: t('app.field.endpoints'), value: input.endpoints.map((e) => e.url).join('\n') || '-' },
      { label: t('app.field.provider'), value: input.provider ?? '-' },
      { label: t('app.field.sourceRanges'), value: input.sourceRanges.join(', ') || '-' },
      { label: t('app.field.symptom'), value: input.symptom ?? '-' },
      ...(input.symptomDetail
        ? [
            {
              label: t('report.symptom_page'),
              value: t('cli.symptom_recognised', {
                provider: t(`provider.${input.symptomDetail.provider}`),
                code: input.symptomDetail.code,
                reference: input.symptomDetail.reference ?? '-',
                layer: t(`layer.${input.symptomDetail.layer}`),
              }),
            },
          ]
        : []),
      { label: t('app.field.sslMode'), value: input.sslMode ?? '-' },
      ...providerCaRows(input, t),
      {
        label: t('app.field.dnsServers'),
        value:
          input.dnsServers.map((d) => `${d.address}:${d.port}`).join(', ') || t('report.system_resolvers'),
      },
      { label: t('report.started'), value: formatTime(r.session.createdAt, ctx.timeZone) },
      { label: t('report.finished'), value: formatTime(r.session.finishedAt, ctx.timeZone) },
    ],
    environment: Object.entries(r.session.environment).map(([k, v]) => ({
      label: k,
      value: typeof v === 'string' ? v : JSON.stringify(v),
    })),
    causes: r.causes.map((c) => ({
      id: c.id,
      confidencePct: Math.round(c.confidence * 100),
      summary: t(`${c.id}.summary`, c.params),
      findings: c.findings,
      evidence: probeIdsOf(c.findings),
      checks: c.checks.map(stepOf),
      fix: c.fix.filter((s) => !CODE_ENVS.has(s.env ?? '')).map(stepOf),
    })),
    asCode: asCodeOf(r.causes, stepOf),
    knowledge: [
      ...r.causes.map((c) => ({
        id: c.id,
        parts: KB_PARTS.map((part) => ({ title: t(`kb.${part}`), text: t(`kb.${c.id}.${part}`) })),
      })),
      // Each finding of the session once: what it means and how to confirm it (its causes' articles say the rest).
      ...[...new Set(r.findings.map((f) => f.id))].filter(isFindingId).map((id) => ({
        id,
        parts: (['meaning', 'confirm'] as const).map((part) => ({
          title: t(`kb.${part}`),
          text: t(`kb.finding.${id}.${part}`),
        })),
      })),
    ],
    layers: LAYERS.map((layer) => {
      const fs = r.findings.filter((f) => (isFindingId(f.id) ? FINDINGS[f.id].layer : f.layer) === layer);
      return {
        layer,
        name: t(`layer.${layer}`),
        state: layerState(fs),
        findings: fs.map((f) => ({
          id: f.id,
          severity: f.severity,
          target: f.target,
          message: word(f),
          evidence: f.evidence,
        })),
      };
    }),
    probes: r.probes.map((p) => ({
      id: p.id,
      kind: p.kind,
      target: p.target,
      status: p.status,
      startedAt: p.startedAt,
      durationMs: p.durationMs,
      // The tool's own summary, then (for HTTP) each exchange as sent and received.
      raw: [p.raw ?? '', httpEvidence(p, t)].filter(Boolean).join('\n\n'),
    })),
    tcpCharts: r.probes.flatMap((p) => {
      const d = p.kind === 'tcp' ? tcpDataSchema.safeParse(p.data) : null;
      return d?.success
        ? [
            {
              target: p.target,
              attempts: d.data.attempts.map((a) => ({ seq: a.seq, ms: a.ms, outcome: a.outcome })),
            },
          ]
        : [];
    }),
    httpCharts: r.probes.flatMap((p) => {
      const d = p.kind === 'http' ? httpDataSchema.safeParse(p.data) : null;
      const first = d?.success ? d.data.chain[0] : undefined;
      return first
        ? [
            {
              target: p.target,
              ...first.timing,
              status: first.status === null ? first.outcome : String(first.status),
            },
          ]
        : [];
    }),
    paths: r.probes.flatMap((p) => {
      const d = p.kind === 'trace' ? traceDataSchema.safeParse(p.data) : null;
      if (!d?.success || d.data.hops.length === 0) return [];
      return [
        {
          target: d.data.target,
          reached: d.data.reached,
          hops: d.data.hops.map((h) => {
            const answered = h.probes.find((x) => x.address !== null);
            return {
              ttl: h.ttl,
              address: answered?.address ?? null,
              rttMs: answered?.rttMs ?? null,
              annotation: h.probes.find((x) => x.annotation)?.annotation ?? null,
            };
          }),
        },
      ];
    }),
    timeline: r.probes.map((p) => ({
      id: p.id,
      kind: p.kind,
      target: p.target,
      startMs: Math.max(0, Date.parse(p.startedAt) - t0),
      durationMs: p.durationMs,
      status: p.status,
    })),
    notes: ctx.notes ?? '',
    tags: ctx.tags ?? [],
    comparison: ctx.comparison
      ? {
          parentId: ctx.comparison.a,
          changes: ctx.comparison.changes.map((c) => ({
            change: t(`change.${c.change}`).trim(),
            id: c.id,
            target: c.target,
          })),
        }
      : null,
    redacted: ctx.redactions
      ? (Object.entries(ctx.redactions) as [RedactionKind, number][]).map(([kind, count]) => ({
          kind,
          count,
          label: t(`redaction.${kind}`),
        }))
      : null,
    policy: policyModel(r.probes, t),
    policyChange: policyChangeModel(r, t),
    capture: captureModel(r, ctx.redactions !== null && ctx.redactions !== undefined, t),
    observation: observationModel(r, t),
    watch: watchModel(r, t),
  };
}

/**
 * The provider origin-CA anchors the run used, with their source: the preset's shipped roots (and the date they
 * were published) and the `--provider-ca` files. No row when there were none.
 */
function providerCaRows(input: Report['session']['input'], t: Translate): { label: string; value: string }[] {
  const originCa = input.provider ? findProvider(input.provider)?.originCa : undefined;
  const lines = [
    ...(originCa
      ? [
          t('report.provider_ca_preset', {
            provider: input.provider!,
            published: originCa.checkedOn,
            count: originCa.roots.length,
          }),
        ]
      : []),
    ...(input.providerCa ?? []).map((f) =>
      t('report.provider_ca_file', { file: f.name, count: f.pems.length }),
    ),
  ];
  return lines.length ? [{ label: t('report.provider_ca'), value: lines.join('\n') }] : [];
}
