import { createInstance, type i18n } from 'i18next';
import { initReactI18next } from 'react-i18next';
import { I18N_OPTIONS } from '../../../shared/i18n/options';
import type { Lang } from '../../../shared/model/report';

/**
 * The renderer's texts, the same locale files as the CLI and reports — each language its own chunk, loaded when it
 * is first shown, so the window's first JavaScript carries one language, not both.
 */
const LOADERS: Record<Lang, () => Promise<{ default: Record<string, string> }>> = {
  en: () => import('../../../shared/i18n/locales/en.json'),
  'zh-CN': () => import('../../../shared/i18n/locales/zh-CN.json'),
};

/** The renderer's i18next instance, with the starting language's texts loaded. */
export async function setupI18n(lang: Lang): Promise<i18n> {
  const instance = createInstance();
  await instance.use(initReactI18next).init({
    ...I18N_OPTIONS,
    lng: lang,
    resources: { [lang]: { translation: (await LOADERS[lang]()).default } },
  });
  return instance;
}

/** Switches language, loading its texts first when they are not loaded yet. */
export async function showLanguage(instance: i18n, lang: Lang): Promise<void> {
  if (!instance.hasResourceBundle(lang, 'translation'))
    instance.addResourceBundle(lang, 'translation', (await LOADERS[lang]()).default);
  await instance.changeLanguage(lang);
}
