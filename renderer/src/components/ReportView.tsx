import { useTranslation } from 'react-i18next';
import type { Report } from '../../../shared/model/report';

/** Verdict, findings and ranked causes with their fix steps. Every string from the network is rendered as text. */
export function ReportView({ report }: { report: Report }) {
  const { t } = useTranslation();
  return (
    <section className="report">
      <h2 className={`verdict verdict-${report.verdict}`}>
        {t('app.verdict', { verdict: t(`verdict.${report.verdict}`) })}
      </h2>
      <h3>{t('app.findings')}</h3>
      <ul className="findings">
        {report.findings.map((f, i) => (
          <li key={`${f.id}-${f.target}-${i}`} className={`sev-${f.severity}`}>
            <code>{f.id}</code> <span className="target">{f.target}</span>
            <div>{t(`finding.${f.id}`, f.params)}</div>
          </li>
        ))}
      </ul>
      {report.causes.length > 0 && (
        <>
          <h3>{t('app.causes')}</h3>
          <ol className="causes">
            {report.causes.map((c) => (
              <li key={c.id}>
                <strong>{Math.round(c.confidence * 100)}%</strong> <code>{c.id}</code>
                <div>{t(`${c.id}.summary`, c.params)}</div>
                <ul>
                  {c.fix.map((step, i) => (
                    <li key={i}>
                      {step.env && <span className="env">{step.env}</span>} {t(step.key, step.params)}
                      {step.command && <pre>{step.command}</pre>}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
