import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '@mantine/core';
import { invoke } from '../ipc/client';
import type { Report } from '../../../shared/model/report';
import { FindingItem } from './FindingItem';

/** The parts of a knowledge-base article, in reading order. */
export const KB_PARTS = ['meaning', 'why', 'confirm', 'fix', 'provider'] as const;

/** Verdict, findings and ranked causes with their fix steps. Every string from the network is rendered as text. */
export function ReportView({ report }: { report: Report }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  // Terraform and Ansible versions of the fixes, once each: kept out of the step lists, copied as one file.
  const asCode = [
    ...new Map(
      report.causes
        .flatMap((c) => c.fix)
        .filter((f) => (f.env === 'terraform' || f.env === 'ansible') && f.command)
        .map((f) => [f.command!, f] as const),
    ).values(),
  ];
  const copyAll = async (): Promise<void> => {
    const text = asCode.map((f) => `# ${t(f.key, f.params)}\n${f.command}\n`).join('\n');
    const r = await invoke('clipboard:write', { text });
    setCopied(r.ok);
  };
  return (
    <section className="report">
      <h2 className={`verdict verdict-${report.verdict}`}>
        {t('app.verdict', { verdict: t(`verdict.${report.verdict}`) })}
      </h2>
      <h3>{t('app.findings')}</h3>
      <ul className="findings">
        {report.findings.map((f, i) => (
          <FindingItem key={`${f.id}-${f.target}-${i}`} finding={f} report={report} />
        ))}
      </ul>
      {report.causes.length > 0 && (
        <>
          <h3>{t('app.causes')}</h3>
          <ol className="causes">
            {report.causes.map((c) => (
              <li key={c.id}>
                <strong>{Math.round(c.confidence * 100)}%</strong> <code>{c.id}</code>
                {c.params.matchesSymptom === true && (
                  <span className="fits">
                    {' '}
                    {t('cli.matches_symptom', { symptom: String(c.params.symptom) })}
                  </span>
                )}
                <div>{t(`${c.id}.summary`, c.params)}</div>
                <details className="kb">
                  <summary>{t('kb.learn_more')}</summary>
                  <dl>
                    {KB_PARTS.map((part) => (
                      <div key={part}>
                        <dt>{t(`kb.${part}`)}</dt>
                        <dd>{t(`kb.${c.id}.${part}`)}</dd>
                      </div>
                    ))}
                  </dl>
                </details>
                <ul>
                  {c.fix
                    .filter((f) => f.env !== 'terraform' && f.env !== 'ansible')
                    .map((step, i) => (
                      <li key={i}>
                        {step.env && <span className="env">{step.env}</span>} {t(step.key, step.params)}
                        {step.command && <CommandBlock command={step.command} />}
                      </li>
                    ))}
                </ul>
              </li>
            ))}
          </ol>
        </>
      )}
      {asCode.length > 0 && (
        <section className="as-code">
          <h3>
            {t('report.as_code')}{' '}
            <Button size="compact-sm" variant="light" onClick={() => void copyAll()}>
              {copied ? t('app.copied') : t('app.copy_all')}
            </Button>
          </h3>
          {asCode.map((f, i) => (
            <details key={i}>
              <summary>
                <span className="env">{f.env}</span> {t(f.key, f.params)}
              </summary>
              <pre>{f.command}</pre>
            </details>
          ))}
        </section>
      )}
    </section>
  );
}

/** A fix command with its own copy button: what a support engineer pastes into the customer's terminal. */
function CommandBlock({ command }: { command: string }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  return (
    <div className="command">
      <pre>{command}</pre>
      <Button
        size="compact-xs"
        variant="default"
        className="copy"
        aria-label={t('app.copy_command')}
        onClick={() => void invoke('clipboard:write', { text: command }).then((r) => setCopied(r.ok))}
      >
        {copied ? t('app.copied') : t('app.copy')}
      </Button>
    </div>
  );
}
