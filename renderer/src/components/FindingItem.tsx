import { useTranslation } from 'react-i18next';
import type { Report } from '../../../shared/model/report';

/**
 * One finding: its id, target and words, and its knowledge-base article (what it means, how to confirm it) with
 * the causes of this session that rest on it — their articles say why it happens and how to fix it.
 */
export function FindingItem({ finding: f, report }: { finding: Report['findings'][number]; report: Report }) {
  const { t } = useTranslation();
  const causes = report.causes.filter((c) => c.findings.includes(f.id) && c.targets.includes(f.target));
  return (
    <li className={`sev-${f.severity}`}>
      <code>{f.id}</code> <span className="target">{f.target}</span>
      <div>{t(`finding.${f.id}`, f.params)}</div>
      <details className="kb">
        <summary>{t('kb.learn_more')}</summary>
        <dl>
          <dt>{t('kb.meaning')}</dt>
          <dd>{t(`kb.finding.${f.id}.meaning`)}</dd>
          <dt>{t('kb.confirm')}</dt>
          <dd>{t(`kb.finding.${f.id}.confirm`)}</dd>
          {causes.length > 0 && (
            <>
              <dt>{t('kb.finding_points_to')}</dt>
              <dd>
                {causes.map((c) => (
                  <code key={c.id} className="cause-ref">
                    {c.id} ({Math.round((c.targetConfidence[f.target] ?? c.confidence) * 100)}%)
                  </code>
                ))}
              </dd>
            </>
          )}
        </dl>
      </details>
    </li>
  );
}
