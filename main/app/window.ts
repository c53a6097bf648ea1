import { app, BrowserWindow, Menu, session, shell, type WebContents } from 'electron';
import { isDocumentationUrl, WEB_PREFERENCES } from './security';

export { isDocumentationUrl };

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
      ...WEB_PREFERENCES,
      preload: opts.preload,
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
