import { app, BrowserWindow, Menu, session, shell, type WebContents } from 'electron';

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
    return u.protocol === 'https:' && DOC_HOSTS.has(u.hostname);
  } catch {
    return false;
  }
}

/**
 * Locks down every web contents the app creates: no navigation away from the app, no new windows (https
 * documentation links open in the browser instead), no webviews, and every permission request denied.
 */
export function hardenSessions(): void {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (e) => e.preventDefault());
    contents.on('will-redirect', (e) => e.preventDefault());
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isDocumentationUrl(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}

/** The main window: context isolation, sandbox, no Node in the page, the allow-listed preload only. */
export function createMainWindow(opts: {
  preload: string;
  load: (win: BrowserWindow) => Promise<void>;
  title: string;
}): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: opts.title,
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  void opts.load(win);
  return win;
}

/** A small application menu; roles give the platform's own words and shortcuts. */
export function installMenu(): void {
  const template: Electron.MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
