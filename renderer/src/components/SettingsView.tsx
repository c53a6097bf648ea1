import { useTranslation } from 'react-i18next';
import { NativeSelect, Paper, SimpleGrid, Text, TextInput, Textarea, Title } from '@mantine/core';
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
    <Paper className="panel settings" withBorder p="md">
      <Title order={2} size="h3">
        {t('app.settings')}
      </Title>
      <SimpleGrid cols={3} className="settings-grid">
        <TextInput
          label={t('app.field.timeoutMs')}
          inputMode="numeric"
          value={settings.timeoutMs}
          onChange={(e) => changed({ timeoutMs: e.currentTarget.value })}
        />
        <TextInput
          label={t('app.field.attempts')}
          inputMode="numeric"
          value={settings.attempts}
          onChange={(e) => changed({ attempts: e.currentTarget.value })}
        />
        <NativeSelect
          label={t('app.theme')}
          value={settings.theme}
          onChange={(e) => changed({ theme: e.currentTarget.value === 'dark' ? 'dark' : 'light' })}
          data={[
            { value: 'light', label: t('app.theme_light') },
            { value: 'dark', label: t('app.theme_dark') },
          ]}
        />
      </SimpleGrid>
      <Textarea
        label={t('app.custom_ranges')}
        value={settings.customRanges}
        onChange={(e) => changed({ customRanges: e.currentTarget.value })}
        autosize
        minRows={3}
        placeholder="203.0.113.0/24"
        spellCheck={false}
        classNames={{ input: 'mono' }}
      />
      <Title order={3} size="h5">
        {t('app.preset_ranges_title')}
      </Title>
      {PROVIDERS.map((p) => (
        <details key={p.id} className="preset-ranges" open={p.id === preset?.id}>
          <summary>{t(`provider.${p.id}`)}</summary>
          <Text size="sm" c="dimmed">
            {p.ranges.length
              ? t('app.preset_ranges', {
                  provider: t(`provider.${p.id}`),
                  count: p.ranges.length,
                  source: p.rangesSource ?? '-',
                  date: p.rangesCheckedOn ?? '-',
                })
              : t('app.preset_no_ranges', { provider: t(`provider.${p.id}`) })}
          </Text>
          {p.ranges.length > 0 && <pre>{p.ranges.join('\n')}</pre>}
        </details>
      ))}
    </Paper>
  );
}
