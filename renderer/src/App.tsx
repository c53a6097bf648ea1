import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { hasBridge, subscribe } from './ipc/client';
import { useAppStore } from './state/store';
import type { Lang } from '../../shared/model/report';
import { describeError } from '../../shared/i18n/translate';
import { Wizard } from './components/Wizard';
import { History } from './components/History';
import { CompareView } from './components/CompareView';
import { SettingsView } from './components/SettingsView';

/** The shell: title, the three places (wizard, history, settings), the language, and the error line. */
export function App() {
  const { t, i18n } = useTranslation();
  const lang = useAppStore((s) => s.lang);
  const view = useAppStore((s) => s.view);
  const theme = useAppStore((s) => s.settings.theme);
  const error = useAppStore((s) => s.error);
  const langChanged = useAppStore((s) => s.langChanged);
  const viewChosen = useAppStore((s) => s.viewChosen);

  useEffect(() => {
    void i18n.changeLanguage(lang);
    document.documentElement.lang = lang;
  }, [lang, i18n]);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => subscribe('probe:progressed', (e) => useAppStore.getState().probeProgressed(e)), []);

  const tabs = [
    ['wizard', t('app.nav_wizard')],
    ['history', t('app.nav_history')],
    ['settings', t('app.settings')],
  ] as const;
  return (
    <div className="app">
      <header>
        <div>
          <h1>{t('app.title')}</h1>
          <p className="tagline">{t('app.tagline')}</p>
        </div>
        <label className="lang">
          {t('app.language')}
          <select
            value={lang}
            onChange={(e) => langChanged(e.target.value as Lang)}
            aria-label={t('app.language')}
          >
            <option value="zh-CN">简体中文</option>
            <option value="en">English</option>
          </select>
        </label>
      </header>
      <nav className="tabs" aria-label={t('app.nav')}>
        {tabs.map(([id, label]) => (
          <button
            key={id}
            type="button"
            className={view === id || (id === 'history' && view === 'compare') ? 'tab active' : 'tab'}
            aria-current={view === id ? 'page' : undefined}
            onClick={() => viewChosen(id)}
          >
            {label}
          </button>
        ))}
      </nav>
      {!hasBridge() && (
        <p className="error" role="alert">
          {t('app.no_api')}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {t('app.error', { message: describeError((k, p) => t(k, p ?? {}), error) })}
        </p>
      )}
      {view === 'wizard' && <Wizard />}
      {view === 'history' && <History />}
      {view === 'compare' && <CompareView />}
      {view === 'settings' && <SettingsView />}
    </div>
  );
}
