import type { Translate } from '../../shared/i18n/translate';
import type {
  PolicyChangeAnomaly,
  PolicyChangeData,
  PolicyChangePiece,
  PolicyChangeRow,
} from '../../shared/model/policy-change';
import type { PolicyRuleRef } from '../../shared/model/probe-data';
import { appendAll } from '../../shared/util/arrays';

/** The change impact as plain text: the CLI's `policy --before … --after …` output, in the session's language. */

const pct = (share: number | null, t: Translate): string =>
  share === null ? t('policy.coverage_none') : `${(Math.floor(share * 10000) / 100).toString()} %`;

/** `file:line`, or the file alone for a default that has no line (a cloud group's implicit deny). */
function at(r: PolicyRuleRef): string {
  return r.line > 0 ? `${r.file}:${r.line}` : r.file;
}

const where = (r: PolicyRuleRef | null, t: Translate): string =>
  r ? `${at(r)}  ${r.text}` : t('policy.no_file_speaks');

/** The lines that made the difference for one changed sub-range, worded by the kind of change. */
export function whyText(p: PolicyChangePiece, t: Translate): string {
  const { before, after } = p.cause;
  let why: string;
  switch (p.kind) {
    case 'added':
      why = t('policy.change_added', { after: where(after, t), before: where(before, t) });
      break;
    case 'removed':
      why = t('policy.change_removed', { before: where(before, t), after: where(after, t) });
      break;
    case 'reordered':
      why = t('policy.change_reordered', {
        text: after?.text ?? before?.text ?? '',
        was: before ? at(before) : '-',
        now: after ? at(after) : '-',
      });
      break;
    case 'default_policy':
      why = t('policy.change_default_policy', { before: where(before, t), after: where(after, t) });
      break;
    case 'indirect':
      why = t('policy.change_indirect', { before: where(before, t), after: where(after, t) });
      break;
  }
  return why;
}

/** One changed sub-range: what it was, what it is, and the lines that made the difference. */
export function changeText(p: PolicyChangePiece, t: Translate): string {
  const outcomes = `${t(`policy.outcome_${p.before.outcome}`)} → ${t(`policy.outcome_${p.after.outcome}`)}`;
  return `${p.range}  ${outcomes}  [${t(`policy.effect_${p.effect}`)}]  ${whyText(p, t)}`;
}

function rowHead(r: PolicyChangeRow, t: Translate): string {
  const effect = r.effect ? t(`policy.effect_${r.effect}`) : t('policy.effect_none');
  return `${r.range}  ${t('policy.change_port', { port: r.port })}  ${t(`policy.row_${r.before}`)} → ${t(`policy.row_${r.after}`)}  (${pct(r.beforeShare, t)} → ${pct(r.afterShare, t)})  ${effect}`;
}

function anomalyLine(a: PolicyChangeAnomaly, t: Translate): string[] {
  const out = [
    `    ${t(`policy.anomaly_${a.kind}`)}  ${at(a.rule)}  ${a.rule.text}${a.relevant ? `  [${t('policy.relevant')}]` : ''}`,
  ];
  if (a.other)
    out.push(`      ${t(`policy.anomaly_other_${a.kind}`, { at: at(a.other), text: a.other.text })}`);
  return out;
}

function filesText(label: string, d: PolicyChangeData['before'], t: Translate): string[] {
  const out = [label];
  for (const f of d.files)
    out.push(
      `  ${t('policy.file_line', { name: f.name, format: f.format, layer: t(`policy.layer_${f.layer}`), count: f.ruleCount })}`,
    );
  for (const f of d.files) for (const n of f.notes) out.push(`  ${f.name}: ${t(n.key, n.params)}`);
  return out;
}

/** The answer of a dry run: safe for the CDN, or the ranges and ports the change cuts with the line doing it. */
export function verdictText(d: PolicyChangeData, t: Translate): string[] {
  const provider = d.provider ?? t('policy.custom_ranges');
  const ports = d.ports.join(', ');
  if (d.verdict === 'safe') return [t('policy.change_safe', { provider, count: d.ranges.length, ports })];
  const out: string[] = [];
  const cut = d.rows.filter((r) => r.effect === 'taken' || r.effect === 'unknown');
  out.push(
    t(d.verdict === 'cuts' ? 'policy.change_cuts' : 'policy.change_undecided', {
      provider,
      count: cut.length,
    }),
  );
  for (const r of cut)
    for (const p of r.changes.filter((x) => x.effect === 'taken' || x.effect === 'unknown'))
      out.push(
        `  ${t('policy.change_cut_line', {
          range: p.range,
          port: r.port,
          outcome: t(`policy.outcome_${p.after.outcome}`),
          why: whyText(p, t),
        })}`,
      );
  return out;
}

export function formatPolicyChangeText(d: PolicyChangeData, t: Translate): string {
  const out: string[] = [];
  appendAll(out, filesText(t('policy.change_heading_before'), d.before, t));
  appendAll(out, filesText(t('policy.change_heading_after'), d.after, t));
  out.push('');
  if (d.ranges.length === 0) out.push(t('policy.no_ranges'));
  else {
    out.push(
      t('policy.change_coverage', {
        provider: d.provider ?? t('policy.custom_ranges'),
        count: d.ranges.length,
        ports: d.ports.join(', '),
        v4: `${pct(d.before.coverage.v4, t)} → ${pct(d.after.coverage.v4, t)}`,
        v6: `${pct(d.before.coverage.v6, t)} → ${pct(d.after.coverage.v6, t)}`,
      }),
    );
    const u = [d.before.undecided.v4, d.before.undecided.v6, d.after.undecided.v4, d.after.undecided.v6];
    if (u.some((x) => x))
      out.push(
        t('policy.coverage_undecided', {
          v4: `${pct(d.before.undecided.v4, t)} → ${pct(d.after.undecided.v4, t)}`,
          v6: `${pct(d.before.undecided.v6, t)} → ${pct(d.after.undecided.v6, t)}`,
        }),
      );
    out.push('');
    out.push(t('policy.change_rows', { changed: d.changedRows, count: d.rowCount }));
    for (const r of d.rows) {
      out.push(`  ${rowHead(r, t)}`);
      for (const p of r.changes) out.push(`    ${changeText(p, t)}`);
      if (r.moreChanges > 0) out.push(`    ${t('policy.more_segments', { count: r.moreChanges })}`);
    }
  }
  if (d.drift) appendAll(out, ['', ...driftText(d, t)]);
  out.push('');
  const an = d.anomalies;
  out.push(t('policy.change_anomalies_introduced', { count: an.introducedCount }));
  for (const a of an.introduced) appendAll(out, anomalyLine(a, t));
  if (an.introducedCount > an.introduced.length)
    out.push(`    ${t('policy.more_anomalies', { count: an.introducedCount - an.introduced.length })}`);
  out.push(t('policy.change_anomalies_removed', { count: an.removedCount }));
  for (const a of an.removed) appendAll(out, anomalyLine(a, t));
  if (an.removedCount > an.removed.length)
    out.push(`    ${t('policy.more_anomalies', { count: an.removedCount - an.removed.length })}`);
  if (!an.complete) out.push(`  ${t('policy.anomalies_incomplete')}`);
  out.push('');
  appendAll(out, verdictText(d, t));
  return out.join('\n') + '\n';
}

/** "Your list is the one from <date>; since then <ranges> were added", and which of them the rules let in. */
export function driftText(d: PolicyChangeData, t: Translate): string[] {
  const drift = d.drift;
  if (!drift) return [];
  const out: string[] = [];
  const provider = d.provider ?? t('policy.custom_ranges');
  const known = drift.known.length
    ? drift.known.map((k) => t('policy.drift_known_item', { family: k.family, date: k.until })).join(', ')
    : t('policy.drift_known_none');
  for (const f of drift.families) {
    if (!f.match) out.push(t('policy.drift_no_match', { provider, family: f.family, known }));
    else if (f.match.until === null)
      out.push(t('policy.drift_is_current', { provider, family: f.family, date: drift.currentDate ?? '-' }));
    else
      out.push(
        t('policy.drift_matches', {
          provider,
          family: f.family,
          date: f.match.until,
          source: f.match.source,
        }),
      );
  }
  if (drift.added.length)
    out.push(
      `  ${t('policy.drift_added', { date: drift.currentDate ?? '-', ranges: drift.added.join(', ') })}`,
    );
  if (drift.removed.length) out.push(`  ${t('policy.drift_removed', { ranges: drift.removed.join(', ') })}`);
  if (drift.added.length) {
    if (drift.notAllowed.length === 0) out.push(`  ${t('policy.drift_all_allowed')}`);
    else
      out.push(
        `  ${t('policy.drift_not_allowed', {
          ranges: drift.notAllowed
            .map((n) => `${n.range}:${n.port} (${t(`policy.row_${n.outcome}`)})`)
            .join(', '),
        })}`,
      );
  }
  return out;
}
