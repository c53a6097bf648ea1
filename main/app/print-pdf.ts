import { BrowserWindow } from 'electron';
import { WEB_PREFERENCES } from './security';

/**
 * PDF in the app: the report HTML in a hidden, sandboxed window with JavaScript disabled, printed by Chromium's
 * printToPDF — the same engine the CLI uses through headless Chromium.
 */
export async function printHtmlToPdf(html: string): Promise<Buffer> {
  const win = new BrowserWindow({
    show: false,
    webPreferences: { ...WEB_PREFERENCES, javascript: false },
  });
  try {
    await win.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(html, 'utf8').toString('base64')}`);
    return await win.webContents.printToPDF({ printBackground: true, pageSize: 'A4' });
  } finally {
    win.destroy();
  }
}
