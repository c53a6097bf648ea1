/**
 * The i18next options every instance shares (the CLI's and reports' in translate.ts, the renderer's): flat keys
 * (`finding.tcp.refused`), no HTML escaping here (every renderer escapes for its own medium), synchronous.
 */
export const I18N_OPTIONS = {
  keySeparator: false,
  nsSeparator: false,
  interpolation: { escapeValue: false },
  initAsync: false,
  returnNull: false,
} as const;
