import { initReactI18next } from 'react-i18next';
import { createI18n } from '../../../shared/i18n/translate';
import type { Lang } from '../../../shared/model/report';

/** The renderer's i18next instance: the same locale files as the CLI and reports. */
export function setupI18n(lang: Lang) {
  const i18n = createI18n(lang);
  void i18n.use(initReactI18next);
  return i18n;
}
