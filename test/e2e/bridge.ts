import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { chromiumArgs, chromiumPrinter } from '../../main/adapters/pdf-chromium';
import { registerHandlers, type IpcMainLike } from '../../main/app/ipc';
import { createDesktopHandlers } from '../../main/use-cases/desktop-handlers';

export const CHROMIUM = '/usr/bin/chromium';
const RENDERER = path.join(__dirname, '..', '..', 'out', 'renderer');
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

/** Serves the built renderer on loopback (module scripts do not load from file:// in a plain browser). */
export async function serveRenderer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const rel =
      decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.join(RENDERER, path.normalize(rel));
    if (!file.startsWith(RENDERER)) return void res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res
        .writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' })
        .end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/index.html`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: chromiumArgs(),
  });
}

/**
 * Gives the page the same `window.api` the preload gives it in the app, backed by the real handlers through
 * the real registration wrapper (sender check, input parsing, envelope): real probes, real diagnosis.
 */
/** What the app wrote to the clipboard, in order (the bridge's stand-in for Electron's clipboard). */
export const clipboardWrites: string[] = [];
/** Files the app saved (the bridge's stand-in for the save dialog: it accepts the suggested name). */
export const savedFiles: { name: string; path: string }[] = [];

export async function installBridge(
  page: Page,
  trustedUrl: string,
  opts: { dbFile?: string } = {},
): Promise<{ dbFile: string; downloads: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'od-e2e-'));
  const dbFile = opts.dbFile ?? path.join(dir, 'history.sqlite');
  const downloads = path.join(dir, 'downloads');
  mkdirSync(downloads, { recursive: true });
  const handlers = new Map<string, (event: unknown, input: unknown) => Promise<unknown>>();
  const fakeIpc: IpcMainLike = {
    handle: (channel, listener) => void handlers.set(channel, listener as never),
  };
  registerHandlers(
    fakeIpc,
    createDesktopHandlers({
      version: 'test',
      platform: process.platform,
      userData: dir,
      dbFile,
      timeZone: 'UTC',
      writeClipboard: (text) => clipboardWrites.push(text),
      saveFile: async (name, data) => {
        const file = path.join(downloads, name);
        writeFileSync(file, data);
        savedFiles.push({ name, path: file });
        return file;
      },
      printPdf: (html) => chromiumPrinter(process.env)(html),
      emit: (_sender, event, payload) => {
        void page
          .evaluate(
            ([e, p]) =>
              (globalThis as unknown as { __odEmit: (e: string, p: unknown) => void }).__odEmit(
                e as string,
                p,
              ),
            [event, payload] as const,
          )
          .catch(() => undefined);
      },
    }),
    (url) => url.startsWith(trustedUrl.replace(/index\.html$/, '')),
  );
  await page.exposeFunction('__odInvoke', async (channel: string, input: unknown) => {
    const h = handlers.get(channel);
    if (!h) throw new Error(`channel not allowed: ${channel}`);
    return h({ senderFrame: { url: page.url(), parent: null }, sender: { id: 1 } }, input);
  });
  await page.addInitScript(() => {
    const listeners = new Map<string, Set<(p: unknown) => void>>();
    const w = globalThis as unknown as Record<string, unknown>;
    w.__odEmit = (event: string, payload: unknown) => listeners.get(event)?.forEach((l) => l(payload));
    w.api = {
      invoke: (channel: string, input: unknown) =>
        (w.__odInvoke as (c: string, i: unknown) => Promise<unknown>)(channel, input),
      on: (event: string, listener: (p: unknown) => void) => {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)!.add(listener);
        return () => listeners.get(event)!.delete(listener);
      },
    };
  });
  return { dbFile, downloads };
}
