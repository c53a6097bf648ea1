import type { Translate } from '../../shared/i18n/translate';
import {
  policyProbeChangeSchema,
  type PolicyChangeAnomaly,
  type PolicyChangeData,
} from '../../shared/model/policy-change';
import type { PolicyRuleRef } from '../../shared/model/probe-data';
import type { Report } from '../../shared/model/report';
import { verdictText, whyText } from '../policy/compare-format';

/**
 * The change impact a session stored (its rule files compared with another version of them), as a report shows
 * it: the verdict for the CDN, coverage per family before → after, the rows that change with the lines responsible
 * on each side, the anomalies introduced and removed. Worded, not escaped: every rule line and file name here came
 * from a rule file and is untrusted, so each renderer escapes it for its medium.
 */

export interface PolicyChangeModel {
  /** `safe`, `cuts` or `undecided`; null when the other version could not be read (`error` says why). */
  readonly verdict: PolicyChangeData['verdict'] | null;
  /** The verdict's sentence, then one line per range and port cut with the line doing it. */
  readonly verdictLines: string[];
  readonly error: string | null;
  readonly filesBefore: string[];
  readonly filesAfter: string[];
  readonly coverage: string;
  readonly undecided: string | null;
  /** "N of M range × port rows change (showing K)", or that nothing changes. */
  readonly rowsSummary: string;
  readonly rows: {
    range: string;
    port: number;
    effect: string;
    before: string;
    after: string;
    effectText: string;
    changes: {
      range: string;
      effect: string;
      effectText: string;
      before: string;
      after: string;
      why: string;
      /** The lines responsible on each side (`file:line  text`), or a dash where no line there is. */
      lineBefore: string;
      lineAfter: string;
    }[];
    moreChanges: string | null;
  }[];
  readonly anomaliesIntroduced: PolicyChangeAnomalyView;
  readonly anomaliesRemoved: PolicyChangeAnomalyView;
  readonly anomaliesIncomplete: string | null;
}

export interface PolicyChangeAnomalyView {
  readonly heading: string;
  readonly items: { kind: string; at: string; text: string; other: string; relevant: boolean }[];
  readonly more: string | null;
}

/** Rows a report shows; the JSON keeps every row the comparison stored. */
const MAX_ROWS = 200;

const pct = (share: number | null, t: Translate): string =>
  share === null ? t('policy.coverage_none') : `${Math.floor(share * 10000) / 100} %`;

const at = (r: PolicyRuleRef): string => (r.line > 0 ? `${r.file}:${r.line}` : r.file);

const lineOf = (r: PolicyRuleRef | null): string => (r ? `${at(r)}  ${r.text}` : '-');

function filesOf(side: PolicyChangeData['before'], t: Translate): string[] {
  return [
    ...side.files.map((f) =>
      t('policy.file_line', {
        name: f.name,
        format: f.format,
        layer: t(`policy.layer_${f.layer}`),
        count: f.ruleCount,
      }),
    ),
    ...side.files.flatMap((f) => f.notes.map((n) => `${f.name}: ${t(n.key, n.params)}`)),
  ];
}

function anomalyView(
  heading: string,
  list: readonly PolicyChangeAnomaly[],
  count: number,
  t: Translate,
): PolicyChangeAnomalyView {
  return {
    heading,
    items: list.map((a) => ({
      kind: t(`policy.anomaly_${a.kind}`),
      at: at(a.rule),
      text: a.rule.text,
      other: a.other ? t(`policy.anomaly_other_${a.kind}`, { at: at(a.other), text: a.other.text }) : '',
      relevant: a.relevant,
    })),
    more: count > list.length ? t('policy.more_anomalies', { count: count - list.length }) : null,
  };
}

function modelOf(d: PolicyChangeData, t: Translate): PolicyChangeModel {
  const provider = d.provider ?? t('policy.custom_ranges');
  const u = [d.before.undecided.v4, d.before.undecided.v6, d.after.undecided.v4, d.after.undecided.v6];
  const shown = d.rows.slice(0, MAX_ROWS);
  const an = d.anomalies;
  return {
    verdict: d.verdict,
    verdictLines: verdictText(d, t),
    error: null,
    filesBefore: filesOf(d.before, t),
    filesAfter: filesOf(d.after, t),
    coverage:
      d.ranges.length === 0
        ? t('policy.no_ranges')
        : t('policy.change_coverage', {
            provider,
            count: d.ranges.length,
            ports: d.ports.join(', '),
            v4: `${pct(d.before.coverage.v4, t)} → ${pct(d.after.coverage.v4, t)}`,
            v6: `${pct(d.before.coverage.v6, t)} → ${pct(d.after.coverage.v6, t)}`,
          }),
    undecided: u.some((x) => x)
      ? t('policy.coverage_undecided', {
          v4: `${pct(d.before.undecided.v4, t)} → ${pct(d.after.undecided.v4, t)}`,
          v6: `${pct(d.before.undecided.v6, t)} → ${pct(d.after.undecided.v6, t)}`,
        })
      : null,
    rowsSummary:
      d.changedRows === 0
        ? t('report.policy_change_none')
        : t('report.policy_change_rows', { changed: d.changedRows, count: d.rowCount, shown: shown.length }),
    rows: shown.map((r) => ({
      range: r.range,
      port: r.port,
      effect: r.effect ?? 'none',
      before: `${t(`policy.row_${r.before}`)} (${pct(r.beforeShare, t)})`,
      after: `${t(`policy.row_${r.after}`)} (${pct(r.afterShare, t)})`,
      effectText: r.effect ? t(`policy.effect_${r.effect}`) : t('policy.effect_none'),
      changes: r.changes.map((p) => ({
        range: p.range,
        effect: p.effect,
        effectText: t(`policy.effect_${p.effect}`),
        before: t(`policy.outcome_${p.before.outcome}`),
        after: t(`policy.outcome_${p.after.outcome}`),
        why: whyText(p, t),
        lineBefore: lineOf(p.cause.before),
        lineAfter: lineOf(p.cause.after),
      })),
      moreChanges: r.moreChanges > 0 ? t('policy.more_segments', { count: r.moreChanges }) : null,
    })),
    anomaliesIntroduced: anomalyView(
      t('policy.change_anomalies_introduced', { count: an.introducedCount }),
      an.introduced,
      an.introducedCount,
      t,
    ),
    anomaliesRemoved: anomalyView(
      t('policy.change_anomalies_removed', { count: an.removedCount }),
      an.removed,
      an.removedCount,
      t,
    ),
    anomaliesIncomplete: an.complete ? null : t('policy.anomalies_incomplete'),
  };
}

/**
 * The change impact of a session, or null when it compared nothing. A comparison that could not be made (the other
 * version unreadable) is a model with the reason and no verdict: the report names it instead of leaving it out.
 */
export function policyChangeModel(report: Report, t: Translate): PolicyChangeModel | null {
  const probe = report.probes.find((p) => p.kind === 'policy');
  const parsed = probe ? policyProbeChangeSchema.safeParse(probe.data) : null;
  if (!parsed?.success) return null;
  const { change, changeError } = parsed.data;
  if (change) return modelOf(change, t);
  if (!changeError) return null;
  const empty: PolicyChangeAnomalyView = { heading: '', items: [], more: null };
  return {
    verdict: null,
    verdictLines: [],
    error: t('policy.change_after_unreadable', { detail: t(changeError.key, changeError.params) }),
    filesBefore: [],
    filesAfter: [],
    coverage: '',
    undecided: null,
    rowsSummary: '',
    rows: [],
    anomaliesIntroduced: empty,
    anomaliesRemoved: empty,
    anomaliesIncomplete: null,
  };
}
