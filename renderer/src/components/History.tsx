import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { HISTORY_PAGE_SIZE, useAppStore } from '../state/store';
import {
  compareSelected,
  deleteSession,
  exportSessions,
  importSessions,
  loadHistory,
  openSession,
  retestSession,
} from '../state/actions';
import { readFiles } from './FileDrop';

/** Every stored session: search, filter by verdict, pages of 20; open, re-test, compare two, delete, import / export. */
export function History() {
  const { t, i18n } = useTranslation();
  const h = useAppStore((s) => s.history);
  const changed = useAppStore((s) => s.historyChanged);
  const toggled = useAppStore((s) => s.historyToggled);
  const exported = useAppStore((s) => s.exported);
  const refuse = useAppStore((s) => s.errorShown);
  const [confirm, setConfirm] = useState<string | null>(null);

  useEffect(() => {
    void loadHistory();
  }, [h.search, h.verdict, h.page]);

  const pages = Math.max(1, Math.ceil(h.total / HISTORY_PAGE_SIZE));
  const when = (iso: string): string =>
    new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
  const doImport = async (list: FileList | null): Promise<void> => {
    const { files, tooBig } = await readFiles(list);
    if (tooBig) return refuse({ key: 'app.file_too_big', params: { name: tooBig, max: 8 } });
    for (const f of files) await importSessions(f);
  };
  return (
    <section className="panel history">
      <h2>{t('app.nav_history')}</h2>
      <div className="toolbar">
        <label>
          {t('history.search')}
          <input
            type="search"
            value={h.search}
            placeholder={t('history.search_hint')}
            onChange={(e) => changed({ search: e.target.value, page: 0 })}
          />
        </label>
        <label>
          {t('history.verdict')}
          <select
            value={h.verdict}
            onChange={(e) => changed({ verdict: e.target.value as typeof h.verdict, page: 0 })}
          >
            <option value="">{t('history.any')}</option>
            {(['broken', 'degraded', 'healthy'] as const).map((v) => (
              <option key={v} value={v}>
                {t(`verdict.${v}`)}
              </option>
            ))}
          </select>
        </label>
        <div className="actions">
          <button type="button" disabled={h.selected.length !== 2} onClick={() => void compareSelected()}>
            {t('history.compare')}
          </button>
          <button
            type="button"
            disabled={h.selected.length === 0}
            onClick={() => void exportSessions(h.selected)}
          >
            {t('history.export')}
          </button>
          <label className="button-like">
            {t('history.import')}
            <input
              type="file"
              accept=".json,application/json"
              className="visually-hidden"
              onChange={(e) => {
                void doImport(e.target.files);
                e.target.value = '';
              }}
            />
          </label>
        </div>
      </div>
      {exported && (exported.format === 'sessions' || exported.format === 'import') && (
        <p className="saved" role="status">
          {exported.format === 'import'
            ? t('history.imported', JSON.parse(exported.saved ?? '{}') as Record<string, number>)
            : exported.saved
              ? t('app.saved_to', { file: exported.saved })
              : t('app.save_cancelled')}
        </p>
      )}
      {h.items.length === 0 && !h.loading ? (
        <p className="empty">{h.search || h.verdict ? t('history.no_match') : t('history.empty')}</p>
      ) : (
        <table className="sessions">
          <thead>
            <tr>
              <th aria-label={t('history.select')} />
              <th>{t('history.when')}</th>
              <th>{t('history.what')}</th>
              <th>{t('history.verdict')}</th>
              <th>{t('history.top_cause')}</th>
              <th>{t('history.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {h.items.map((s) => (
              <tr key={s.id} data-session={s.id}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={t('history.select_one', { id: s.id })}
                    checked={h.selected.includes(s.id)}
                    onChange={() => toggled(s.id)}
                  />
                </td>
                <td>
                  {when(s.createdAt)}
                  {s.parentId && (
                    <div className="muted">{t('history.retest_of', { id: s.parentId.slice(0, 8) })}</div>
                  )}
                  {s.status !== 'finished' && <div className="muted">{t(`history.status_${s.status}`)}</div>}
                </td>
                <td>
                  {s.domain && <div>{s.domain}</div>}
                  <div className="muted">{s.endpoints.join(', ')}</div>
                </td>
                <td className={s.verdict ? `verdict-text verdict-${s.verdict}` : ''}>
                  {s.verdict ? t(`verdict.${s.verdict}`) : '–'}
                </td>
                <td>{s.topCause ? <code>{s.topCause}</code> : '–'}</td>
                <td className="row-actions">
                  <button type="button" onClick={() => void openSession(s.id)}>
                    {t('history.open')}
                  </button>
                  <button type="button" onClick={() => void retestSession(s.id)}>
                    {t('history.retest')}
                  </button>
                  {confirm === s.id ? (
                    <>
                      <button
                        type="button"
                        className="danger"
                        onClick={() => {
                          setConfirm(null);
                          void deleteSession(s.id);
                        }}
                      >
                        {t('history.delete_confirm')}
                      </button>
                      <button type="button" onClick={() => setConfirm(null)}>
                        {t('app.cancel')}
                      </button>
                    </>
                  ) : (
                    <button type="button" onClick={() => setConfirm(s.id)}>
                      {t('history.delete')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label={t('history.pages')}>
        <button type="button" disabled={h.page === 0} onClick={() => changed({ page: h.page - 1 })}>
          {t('app.back')}
        </button>
        <span>{t('history.page', { page: h.page + 1, pages, total: h.total })}</span>
        <button type="button" disabled={h.page + 1 >= pages} onClick={() => changed({ page: h.page + 1 })}>
          {t('app.next')}
        </button>
      </nav>
    </section>
  );
}
