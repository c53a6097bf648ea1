import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { app, BrowserWindow, clipboard, dialog, ipcMain } from 'electron';
import { closeDatabases, useNativeBinding } from './db/open';
import { DB_FILE_NAME } from './db/paths';
import { printHtmlToPdf } from './app/print-pdf';
import { defaultSavePath } from './app/save-path';
import { registerHandlers } from './app/ipc';
import { APP_ENTRY, isAppPageUrl } from './app/app-url';
import { registerAppScheme, serveRenderer } from './app/protocol';
import { createMainWindow, hardenSessions, installMenu } from './app/window';
import { createDesktopHandlers } from './use-cases/desktop-handlers';
import { APP_VERSION } from './version';

/**
 * The composition root: the only file that wires Electron to the engine. Everything it connects is plain
 * TypeScript that the CLI and the tests use too.
 */
const rendererDevUrl = process.env.ELECTRON_RENDERER_URL;
// The built renderer is served as app://renderer/ (not file://), from this folder only.
const rendererRoot = path.join(__dirname, '../renderer');

function isTrustedUrl(url: string): boolean {
  if (rendererDevUrl && !app.isPackaged) return url.startsWith(rendererDevUrl);
  return isAppPageUrl(url);
}

registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  // better-sqlite3 built for Electron's ABI by scripts/electron-native.mjs (outside the asar when packaged). Used
  // even when it is missing: the Node build in node_modules cannot load in Electron, so the history then says
  // which file is missing (db.native_missing) instead of failing on an ABI message.
  useNativeBinding(
    path.join(__dirname, '../native/better_sqlite3.node').replace(/app\.asar([\\/])/, 'app.asar.unpacked$1'),
  );

  void app.whenReady().then(() => {
    hardenSessions();
    serveRenderer(rendererRoot);
    installMenu();
    registerHandlers(
      ipcMain,
      createDesktopHandlers({
        version: APP_VERSION,
        platform: process.platform,
        userData: app.getPath('userData'),
        dbFile: path.join(app.getPath('userData'), DB_FILE_NAME),
        writeClipboard: (text) => clipboard.writeText(text),
        saveFile: async (name, data) => {
          const win = BrowserWindow.getFocusedWindow();
          const options = { defaultPath: defaultSavePath(app.getPath('documents'), name, path) };
          const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
          if (r.canceled || !r.filePath) return null;
          await writeFile(r.filePath, data);
          return r.filePath;
        },
        printPdf: printHtmlToPdf,
        emit: (senderId, event, payload) => {
          for (const win of BrowserWindow.getAllWindows()) {
            if (win.webContents.id === senderId && !win.isDestroyed()) win.webContents.send(event, payload);
          }
        },
      }),
      isTrustedUrl,
    );
    const open = (): BrowserWindow =>
      createMainWindow({
        title: 'Origin Doctor',
        preload: path.join(__dirname, '../preload/index.js'),
        load: (win) =>
          rendererDevUrl && !app.isPackaged ? win.loadURL(rendererDevUrl) : win.loadURL(APP_ENTRY),
      });
    open();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) open();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // After the windows have closed (no more IPC): close the history so SQLite folds its WAL back into the file.
  app.on('will-quit', () => {
    closeDatabases();
  });
}
