import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { hasBridge, invoke, subscribe } from './ipc/client';
import { selectCustomRanges, selectEndpoints, selectPolicies, useAppStore } from './state/store';
import { FileDrop, readFiles } from './components/FileDrop';
import { PROVIDERS } from '../../shared/catalog/providers';
import { ReportView } from './components/ReportView';
import type { Lang } from '../../shared/model/report';
import { describeError } from '../../shared/i18n/translate';

/** The setup form and the network checks' results. The full wizard grows from here. */
export function App() {
  const { t, i18n } = useTranslation();
  const s = useAppStore();

  useEffect(() => {
    void i18n.changeLanguage(s.lang);
    document.documentElement.lang = s.lang;
  }, [s.lang, i18n]);
  useEffect(() => {
    document.documentElement.dataset.theme = s.settings.theme;
  }, [s.settings.theme]);
  useEffect(() => subscribe('probe:progressed', (e) => useAppStore.getState().probeProgressed(e)), []);

  const run = async (): Promise<void> => {
    const runId = crypto.randomUUID();
    s.runStarted(runId);
    const domain = s.domain.trim();
    const result = await invoke('diagnosis:run', {
      runId,
      form: {
        ...(domain ? { domain } : {}),
        endpoints: selectEndpoints(useAppStore.getState()),
        lang: s.lang,
        ...(s.provider ? { provider: s.provider } : {}),
        timeoutMs: s.settings.timeoutMs,
        attempts: s.settings.attempts,
        ...(selectCustomRanges(s).length ? { sourceRanges: selectCustomRanges(s) } : {}),
        ...(selectPolicies(s).length ? { policies: selectPolicies(s) } : {}),
        ...(s.origin ? { originBundle: s.origin.data } : {}),
      },
    });
    if (result.ok) useAppStore.getState().runFinished(result.value);
    else useAppStore.getState().runFailed(result.error);
  };
  const preset = PROVIDERS.find((p) => p.id === s.provider);
  const addRules = async (list: FileList | null): Promise<void> => {
    const { files, tooBig } = await readFiles(list);
    if (tooBig) return s.fileRefused({ key: 'app.file_too_big', params: { name: tooBig, max: 8 } });
    s.rulesAdded(files);
  };
  const loadOrigin = async (list: FileList | null): Promise<void> => {
    const { files, tooBig } = await readFiles(list);
    if (tooBig) return s.fileRefused({ key: 'app.file_too_big', params: { name: tooBig, max: 8 } });
    const f = files[0];
    if (!f) return;
    try {
      s.originLoaded({ name: f.name, data: JSON.parse(f.text) as unknown });
    } catch {
      s.fileRefused({ key: 'origin.bundle_not_json', params: { file: f.name } });
    }
  };
  const cancel = (): void => {
    if (s.run) void invoke('diagnosis:cancel', { runId: s.run.id });
  };

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
            value={s.lang}
            onChange={(e) => s.langChanged(e.target.value as Lang)}
            aria-label={t('app.language')}
          >
            <option value="zh-CN">简体中文</option>
            <option value="en">English</option>
          </select>
        </label>
      </header>
      {!hasBridge() && (
        <p className="error" role="alert">
          {t('app.no_api')}
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label>
          {t('app.domain')}
          <input
            value={s.domain}
            onChange={(e) => s.domainEdited(e.target.value)}
            placeholder="www.example.com"
            spellCheck={false}
          />
        </label>
        <label>
          {t('app.endpoints')}
          <textarea
            value={s.endpointsText}
            onChange={(e) => s.endpointsEdited(e.target.value)}
            rows={3}
            placeholder="https://203.0.113.7:443"
            spellCheck={false}
          />
        </label>
        <label>
          {t('app.field.provider')}
          <select value={s.provider} onChange={(e) => s.providerChosen(e.target.value)}>
            <option value="">{t('app.provider_none')}</option>
            {PROVIDERS.map((p) => (
              <option key={p.id} value={p.id}>
                {t(`provider.${p.id}`)}
              </option>
            ))}
          </select>
        </label>
        <details className="settings">
          <summary>{t('app.settings')}</summary>
          <div className="settings-grid">
            <label>
              {t('app.field.timeoutMs')}
              <input
                inputMode="numeric"
                value={s.settings.timeoutMs}
                onChange={(e) => s.settingsChanged({ timeoutMs: e.target.value })}
              />
            </label>
            <label>
              {t('app.field.attempts')}
              <input
                inputMode="numeric"
                value={s.settings.attempts}
                onChange={(e) => s.settingsChanged({ attempts: e.target.value })}
              />
            </label>
            <label>
              {t('app.theme')}
              <select
                value={s.settings.theme}
                onChange={(e) => s.settingsChanged({ theme: e.target.value === 'dark' ? 'dark' : 'light' })}
              >
                <option value="light">{t('app.theme_light')}</option>
                <option value="dark">{t('app.theme_dark')}</option>
              </select>
            </label>
          </div>
          <label>
            {t('app.custom_ranges')}
            <textarea
              value={s.settings.customRanges}
              onChange={(e) => s.settingsChanged({ customRanges: e.target.value })}
              rows={3}
              placeholder="203.0.113.0/24"
              spellCheck={false}
            />
          </label>
          {preset && (
            <div className="preset-ranges">
              <p className="muted">
                {preset.ranges.length
                  ? t('app.preset_ranges', {
                      provider: t(`provider.${preset.id}`),
                      count: preset.ranges.length,
                      source: preset.rangesSource ?? '-',
                      date: preset.rangesCheckedOn ?? '-',
                    })
                  : t('app.preset_no_ranges', { provider: t(`provider.${preset.id}`) })}
              </p>
              {preset.ranges.length > 0 && <pre>{preset.ranges.join('\n')}</pre>}
            </div>
          )}
        </details>
        <fieldset>
          <legend>{t('app.rules')}</legend>
          <p className="muted">{t('app.rules_hint')}</p>
          <FileDrop
            label={t('app.rules_files')}
            multiple
            testId="rules-drop"
            onFiles={(l) => void addRules(l)}
          >
            {s.rules.length > 0 && (
              <ul className="files">
                {s.rules.map((r, i) => (
                  <li key={`${r.name}-${i}`}>
                    <code>{r.name}</code>{' '}
                    <button type="button" onClick={() => s.ruleRemoved(i)}>
                      {t('app.remove')}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </FileDrop>
          <textarea
            aria-label={t('app.rules_paste')}
            placeholder={t('app.rules_paste')}
            value={s.rulesPaste}
            onChange={(e) => s.rulesPasteEdited(e.target.value)}
            rows={3}
            spellCheck={false}
          />
        </fieldset>
        <fieldset>
          <legend>{t('app.origin_bundle')}</legend>
          <p className="muted">{t('app.origin_hint')}</p>
          <FileDrop
            label={t('app.origin_file')}
            accept=".json,application/json"
            testId="origin-drop"
            onFiles={(l) => void loadOrigin(l)}
          >
            {s.origin && (
              <p>
                <code>{s.origin.name}</code>{' '}
                <button type="button" onClick={() => s.originLoaded(null)}>
                  {t('app.remove')}
                </button>
              </p>
            )}
          </FileDrop>
        </fieldset>
        {s.fileError && (
          <p className="error" role="alert">
            {t(s.fileError.key, s.fileError.params)}
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={s.run !== null}>
            {s.run ? t('app.running') : t('app.run')}
          </button>
          {s.run && (
            <>
              <button type="button" onClick={cancel}>
                {t('app.cancel')}
              </button>
              <span className="progress" aria-live="polite">
                {s.run.finished}/{s.run.started}
              </span>
            </>
          )}
        </div>
      </form>
      {s.error && (
        <p className="error" role="alert">
          {t('app.error', { message: describeError((k, p) => t(k, p ?? {}), s.error) })}
        </p>
      )}
      {s.report && <ReportView report={s.report} />}
    </div>
  );
}
