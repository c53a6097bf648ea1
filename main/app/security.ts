import { PROVIDERS } from '../../shared/catalog/providers';

/**
 * The app's security settings as plain data (no Electron import), so tests can hold them to account: the main
 * window's web preferences and the documentation hosts links may open.
 */

/** Every window: the page gets no Node, runs sandboxed and isolated from the preload, and loads nothing insecure. */
export const WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  spellcheck: false,
} as const;

/**
 * Every URL the app itself shows as a source: the providers' published range lists and the documents behind
 * their timeouts, taken from the catalog. Only these exact addresses open in the person's browser — a host
 * allow-list would let any link on github.com (or an imported report's text made into a link) through.
 */
export const KNOWN_EXTERNAL_URLS: ReadonlySet<string> = new Set(
  PROVIDERS.flatMap((p) => [p.rangesSource ?? '', p.idleTimeoutS?.source ?? ''])
    .flatMap((text) => text.match(/https:\/\/[^\s)]+/g) ?? [])
    .map((u) => new URL(u).href),
);

/** True only for a URL of `KNOWN_EXTERNAL_URLS`, exactly (no other path, query, fragment or credentials). */
export function isDocumentationUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (
      u.protocol === 'https:' &&
      u.username === '' &&
      u.password === '' &&
      KNOWN_EXTERNAL_URLS.has(u.href) &&
      u.href === url
    );
  } catch {
    return false;
  }
}
