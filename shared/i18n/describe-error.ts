import type { Translate } from './translate';

/**
 * Words an input error, prefixed with the field it is about (`--endpoint: …` in the CLI, the label in the app).
 * Apart from translate.ts so the renderer can use it without bundling every language's texts.
 */
export function describeError(
  t: Translate,
  error: { key: string; params: Record<string, string | number> },
): string {
  const message = t(error.key, error.params);
  const option = error.params.option;
  return option !== undefined && error.key.startsWith('input.')
    ? t('input.field_prefix', { option, message })
    : message;
}
