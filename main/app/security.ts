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

/** Documentation hosts the app may open in the person's browser; every other link is refused. */
const DOC_HOSTS = new Set([
  'developers.cloudflare.com',
  'www.cloudflare.com',
  'help.aliyun.com',
  'www.alibabacloud.com',
  'cloud.tencent.com',
  'support.huaweicloud.com',
  'github.com',
]);

export function isDocumentationUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && DOC_HOSTS.has(u.hostname) && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}
