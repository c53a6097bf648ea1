import { Alert, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import {
  policyProbeChangeSchema,
  type PolicyChangeAnomaly,
  type PolicyChangeData,
  type PolicyChangePiece,
} from '../../../shared/model/policy-change';
import type { PolicyRuleRef } from '../../../shared/model/probe-data';
import type { Report } from '../../../shared/model/report';

/** Rows drawn in the step; the report and the JSON have them all. */
const MAX_ROWS = 100;

const pct = (share: number | null, t: TFunction): string =>
  share === null ? t('policy.coverage_none') : `${Math.floor(share * 10000) / 100} %`;

const at = (r: PolicyRuleRef): string => (r.line > 0 ? `${r.file}:${r.line}` : r.file);

const lineOf = (r: PolicyRuleRef | null, t: TFunction): string =>
  r ? `${at(r)}  ${r.text}` : t('policy.no_file_speaks');

/** Why one sub-range changed, worded by the kind of change (the same keys as the CLI's text). */
function why(p: PolicyChangePiece, t: TFunction): string {
  const { before, after } = p.cause;
  if (p.kind === 'reordered')
    return t('policy.change_reordered', {
      text: after?.text ?? before?.text ?? '',
      was: before ? at(before) : '-',
      now: after ? at(after) : '-',
    });
  return t(`policy.change_${p.kind}`, { before: lineOf(before, t), after: lineOf(after, t) });
}

const VERDICT_COLOR: Record<PolicyChangeData['verdict'], string> = {
  safe: 'green',
  cuts: 'red',
  undecided: 'yellow',
};

function verdictOf(d: PolicyChangeData, t: TFunction): string {
  const provider = d.provider ?? t('policy.custom_ranges');
  if (d.verdict === 'safe')
    return t('policy.change_safe', { provider, count: d.ranges.length, ports: d.ports.join(', ') });
  const cut = d.rows.filter((r) => r.effect === 'taken' || r.effect === 'unknown').length;
  return t(d.verdict === 'cuts' ? 'policy.change_cuts' : 'policy.change_undecided', { provider, count: cut });
}

function Anomalies(props: { heading: string; list: readonly PolicyChangeAnomaly[] }) {
  const { t } = useTranslation();
  return (
    <>
      <Text size="sm">{props.heading}</Text>
      {props.list.length > 0 && (
        <ul className="files">
          {props.list.map((a, i) => (
            <li key={`${a.rule.file}-${a.rule.line}-${i}`}>
              {t(`policy.anomaly_${a.kind}`)} <code>{at(a.rule)}</code> <code>{a.rule.text}</code>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/**
 * The Policy step's change table: what the other version of the rules does to the provider's ranges (the verdict,
 * coverage before → after, each changed row with the line on each side, anomalies introduced and removed). Every
 * rule line is untrusted text; React escapes it.
 */
export function PolicyChangeTable({ report }: { report: Report }) {
  const { t } = useTranslation();
  const probe = report.probes.find((p) => p.kind === 'policy');
  const parsed = probe ? policyProbeChangeSchema.safeParse(probe.data) : null;
  if (!parsed?.success) return null;
  const { change: d, changeError } = parsed.data;
  if (!d) {
    return changeError ? (
      <Alert color="red" className="policy-change" data-testid="policy-change">
        {t('policy.change_after_unreadable', { detail: t(changeError.key, changeError.params) })}
      </Alert>
    ) : null;
  }
  const rows = d.rows.slice(0, MAX_ROWS);
  return (
    <section className="policy-change" data-testid="policy-change" aria-label={t('report.policy_change')}>
      <Alert color={VERDICT_COLOR[d.verdict]} title={t('report.policy_change')} mb="xs">
        {verdictOf(d, t)}
      </Alert>
      <Text size="sm">
        {t('policy.change_coverage', {
          provider: d.provider ?? t('policy.custom_ranges'),
          count: d.ranges.length,
          ports: d.ports.join(', '),
          v4: `${pct(d.before.coverage.v4, t)} → ${pct(d.after.coverage.v4, t)}`,
          v6: `${pct(d.before.coverage.v6, t)} → ${pct(d.after.coverage.v6, t)}`,
        })}
      </Text>
      <Text size="sm" mb="xs">
        {d.changedRows === 0
          ? t('report.policy_change_none')
          : t('report.policy_change_rows', { changed: d.changedRows, count: d.rowCount, shown: rows.length })}
      </Text>
      {rows.length > 0 && (
        <Table className="probes policy-change-rows" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('policy.col_range')}</Table.Th>
              <Table.Th>{t('policy.col_port')}</Table.Th>
              <Table.Th>{t('policy.col_before')}</Table.Th>
              <Table.Th>{t('policy.col_after')}</Table.Th>
              <Table.Th>{t('policy.col_why')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.flatMap((r) => [
              <Table.Tr key={`${r.range}-${r.port}`} className={`chg-${r.effect ?? 'none'}`}>
                <Table.Td>
                  <code>{r.range}</code>
                </Table.Td>
                <Table.Td>{r.port}</Table.Td>
                <Table.Td>
                  {t(`policy.row_${r.before}`)} ({pct(r.beforeShare, t)})
                </Table.Td>
                <Table.Td>
                  {t(`policy.row_${r.after}`)} ({pct(r.afterShare, t)})
                </Table.Td>
                <Table.Td>{r.effect ? t(`policy.effect_${r.effect}`) : t('policy.effect_none')}</Table.Td>
              </Table.Tr>,
              ...r.changes.map((p, i) => (
                <Table.Tr key={`${r.range}-${r.port}-${i}`} className={`chg-sub chg-${p.effect}`}>
                  <Table.Td>
                    ↳ <code>{p.range}</code>
                  </Table.Td>
                  <Table.Td />
                  <Table.Td>
                    {t(`policy.outcome_${p.before.outcome}`)}
                    <br />
                    <code>{p.cause.before ? lineOf(p.cause.before, t) : '-'}</code>
                  </Table.Td>
                  <Table.Td>
                    {t(`policy.outcome_${p.after.outcome}`)}
                    <br />
                    <code>{p.cause.after ? lineOf(p.cause.after, t) : '-'}</code>
                  </Table.Td>
                  <Table.Td>
                    {t(`policy.effect_${p.effect}`)}
                    <br />
                    <Text span size="xs" c="dimmed">
                      {why(p, t)}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              )),
              ...(r.moreChanges > 0
                ? [
                    <Table.Tr key={`${r.range}-${r.port}-more`}>
                      <Table.Td colSpan={5}>{t('policy.more_segments', { count: r.moreChanges })}</Table.Td>
                    </Table.Tr>,
                  ]
                : []),
            ])}
          </Table.Tbody>
        </Table>
      )}
      <Anomalies
        heading={t('policy.change_anomalies_introduced', { count: d.anomalies.introducedCount })}
        list={d.anomalies.introduced}
      />
      <Anomalies
        heading={t('policy.change_anomalies_removed', { count: d.anomalies.removedCount })}
        list={d.anomalies.removed}
      />
      {!d.anomalies.complete && (
        <Text size="sm" c="dimmed">
          {t('policy.anomalies_incomplete')}
        </Text>
      )}
    </section>
  );
}
