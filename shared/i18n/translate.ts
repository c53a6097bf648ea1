import { createInstance, type i18n } from 'i18next';
import type { Lang } from '../model/report';
import en from './locales/en.json';
import zhCN from './locales/zh-CN.json';
import { I18N_OPTIONS } from './options';

export { describeError } from './describe-error';

/** A translator: a message key and its values → the text in one language. */
export type Translate = (key: string, params?: Record<string, unknown>) => string;

export const RESOURCES = { en, 'zh-CN': zhCN } as const;

/**
 * Creates a synchronous i18next instance for one language. Keys are flat (`finding.tcp.refused`), and values
 * are not HTML-escaped here: every renderer escapes for its own medium (React, the HTML report, the terminal).
 */
export function createI18n(lang: Lang): i18n {
  const instance = createInstance();
  void instance.init({
    ...I18N_OPTIONS,
    lng: lang,
    fallbackLng: 'en',
    resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
  });
  return instance;
}

/** A translator for one language. */
export function createTranslator(lang: Lang): Translate {
  const instance = createI18n(lang);
  return (key, params) => instance.t(key, params ?? {}) as string;
}
