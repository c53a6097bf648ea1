import { useTranslation } from 'react-i18next';
import { useAppStore } from '../state/store';
import { openSession } from '../state/actions';
import type { SessionSummaryDto } from '../../../shared/ipc/contract';

/** Two sessions side by side, and per problem what happened between them: fixed, still failing, new. */
export function CompareView() {
  const { t, i18n } = useTranslation();
  const c = useAppStore((s) => s.compare);
  const viewChosen = useAppStore((s) => s.viewChosen);
  if (!c) return null;
  const when = (iso: string): string =>
    new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
  const side = (s: SessionSummaryDto, label: string) => (
    <div className="side">
      <h3>{label}</h3>
      <p>{when(s.createdAt)}</p>
      <p className={s.verdict ? `verdict-text verdict-${s.verdict}` : ''}>
        {s.verdict ? t('app.verdict', { verdict: t(`verdict.${s.verdict}`) }) : '–'}
      </p>
      <p className="muted">{[s.domain, ...s.endpoints].filter(Boolean).join(', ')}</p>
      {s.topCause && <code>{s.topCause}</code>}
      <div className="actions">
        <button type="button" onClick={() => void openSession(s.id)}>
          {t('history.open')}
        </button>
      </div>
    </div>
  );
  const groups = (['new', 'still_failing', 'fixed'] as const).map((g) => ({
    g,
    items: c.result.changes.filter((x) => x.change === g),
  }));
  return (
    <section className="panel compare">
      <h2>{t('history.compare_title')}</h2>
      <div className="sides">
        {side(c.a, t('history.before'))}
        {side(c.b, t('history.after'))}
      </div>
      {c.result.changes.length === 0 ? (
        <p className="empty">{t('cli.compare_nothing')}</p>
      ) : (
        groups
          .filter((x) => x.items.length > 0)
          .map(({ g, items }) => (
            <div key={g} className={`change change-${g}`}>
              <h3>
                {t(`change.${g}`).trim()} ({items.length})
              </h3>
              <ul>
                {items.map((x) => (
                  <li key={`${x.id}-${x.target}`}>
                    <code>{x.id}</code> {x.target}
                  </li>
                ))}
              </ul>
            </div>
          ))
      )}
      <div className="actions">
        <button type="button" onClick={() => viewChosen('history')}>
          {t('app.back')}
        </button>
      </div>
    </section>
  );
}
