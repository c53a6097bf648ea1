import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Alert, MantineProvider, NativeSelect, Tabs, createTheme } from '@mantine/core';
import { hasBridge, subscribe } from './ipc/client';
import { useAppStore } from './state/store';
import type { Lang } from '../../shared/model/report';
import { describeError } from '../../shared/i18n/describe-error';
import { showLanguage } from './i18n';
import { Wizard } from './components/Wizard';
import { History } from './components/History';
import { CompareView } from './components/CompareView';
import { SettingsView } from './components/SettingsView';
import { ViewBoundary } from './components/ViewBoundary';

const THEME = createTheme({
  primaryColor: 'blue',
  fontFamily:
    "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif",
  fontFamilyMonospace: "ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace",
  defaultRadius: 'md',
});

/** The shell: title, the three places (wizard, history, settings), the language, and the error line. */
export function App() {
  const { t, i18n } = useTranslation();
  const lang = useAppStore((s) => s.lang);
  const view = useAppStore((s) => s.view);
  const theme = useAppStore((s) => s.settings.theme);
  const error = useAppStore((s) => s.error);
  const sessionId = useAppStore((s) => s.session?.id);
  const langChanged = useAppStore((s) => s.langChanged);
  const viewChosen = useAppStore((s) => s.viewChosen);

  useEffect(() => {
    void showLanguage(i18n, lang);
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
    <MantineProvider theme={THEME} forceColorScheme={theme}>
      <div className="app">
        <header>
          <div>
            <h1>{t('app.title')}</h1>
            <p className="tagline">{t('app.tagline')}</p>
          </div>
          <NativeSelect
            className="lang"
            label={t('app.language')}
            value={lang}
            onChange={(e) => langChanged(e.currentTarget.value as Lang)}
            data={[
              { value: 'zh-CN', label: '简体中文' },
              { value: 'en', label: 'English' },
            ]}
          />
        </header>
        <Tabs
          value={view === 'compare' ? 'history' : view}
          onChange={(v) => v && viewChosen(v as typeof view)}
          className="tabs"
        >
          <Tabs.List aria-label={t('app.nav')}>
            {tabs.map(([id, label]) => (
              <Tabs.Tab key={id} value={id}>
                {label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
        </Tabs>
        {!hasBridge() && (
          <Alert color="red" role="alert" className="error">
            {t('app.no_api')}
          </Alert>
        )}
        {error && (
          <Alert color="red" role="alert" className="error">
            {t('app.error', { message: describeError((k, p) => t(k, p ?? {}), error) })}
          </Alert>
        )}
        <ViewBoundary view={view} resetKey={`${view}:${sessionId ?? ''}`}>
          {view === 'wizard' && <Wizard />}
          {view === 'history' && <History />}
          {view === 'compare' && <CompareView />}
          {view === 'settings' && <SettingsView />}
        </ViewBoundary>
      </div>
    </MantineProvider>
  );
}
