import { useTranslation } from 'react-i18next';
import { PROVIDERS } from '../../../shared/catalog/providers';
import { useAppStore } from '../state/store';

/** Defaults for every run, the look, and the back-to-origin ranges: the customer's own and each preset's. */
export function SettingsView() {
  const { t } = useTranslation();
  const settings = useAppStore((s) => s.settings);
  const provider = useAppStore((s) => s.draft.provider);
  const changed = useAppStore((s) => s.settingsChanged);
  const preset = PROVIDERS.find((p) => p.id === provider);
  return (
    <section className="panel settings">
      <h2>{t('app.settings')}</h2>
      <div className="settings-grid">
        <label>
          {t('app.field.timeoutMs')}
          <input
            inputMode="numeric"
            value={settings.timeoutMs}
            onChange={(e) => changed({ timeoutMs: e.target.value })}
          />
        </label>
        <label>
          {t('app.field.attempts')}
          <input
            inputMode="numeric"
            value={settings.attempts}
            onChange={(e) => changed({ attempts: e.target.value })}
          />
        </label>
        <label>
          {t('app.theme')}
          <select
            value={settings.theme}
            onChange={(e) => changed({ theme: e.target.value === 'dark' ? 'dark' : 'light' })}
          >
            <option value="light">{t('app.theme_light')}</option>
            <option value="dark">{t('app.theme_dark')}</option>
          </select>
        </label>
      </div>
      <label>
        {t('app.custom_ranges')}
        <textarea
          value={settings.customRanges}
          onChange={(e) => changed({ customRanges: e.target.value })}
          rows={4}
          placeholder="203.0.113.0/24"
          spellCheck={false}
        />
      </label>
      <h3>{t('app.preset_ranges_title')}</h3>
      {PROVIDERS.map((p) => (
        <details key={p.id} className="preset-ranges" open={p.id === preset?.id}>
          <summary>{t(`provider.${p.id}`)}</summary>
          <p className="muted">
            {p.ranges.length
              ? t('app.preset_ranges', {
                  provider: t(`provider.${p.id}`),
                  count: p.ranges.length,
                  source: p.rangesSource ?? '-',
                  date: p.rangesCheckedOn ?? '-',
                })
              : t('app.preset_no_ranges', { provider: t(`provider.${p.id}`) })}
          </p>
          {p.ranges.length > 0 && <pre>{p.ranges.join('\n')}</pre>}
        </details>
      ))}
    </section>
  );
}
