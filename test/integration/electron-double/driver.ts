import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { app, double, type FakeBrowserWindow } from './electron';

/**
 * Runs in a child process (plain Node): loads the BUILT main bundle of a copy of the app with `electron` resolved
 * to the test double, plays the events Electron would, and writes what the app did to a JSON file for the test.
 * argv: appDir, userDataDir, scenario ('boot' | 'no-lock' | 'dev-url'), result file.
 */
const [appDir, userData, scenario, resultFile] = process.argv.slice(2) as [string, string, string, string];

const APP_URL = 'app://renderer/index.html';
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type Handler = (event: unknown, input: unknown) => Promise<unknown>;
const handler = (channel: string): Handler => double.handlers.get(channel) as Handler;
const frameEvent = (url: string, parent: unknown = null, senderId = 1): unknown => ({
  senderFrame: { url, parent },
  sender: { id: senderId },
});

/** Plays one lifecycle and returns everything the test checks; the test decides what is right. */
async function run(): Promise<Record<string, unknown>> {
  double.config.gotLock = scenario !== 'no-lock';
  double.config.paths = { userData, documents: path.join(userData, 'documents') };
  app.isPackaged = process.env.OD_PACKAGED === '1';
  const out: Record<string, unknown> = {};

  createRequire(__filename)(path.join(appDir, 'main', 'index.js'));
  out.beforeReady = double.calls.map((c) => c.api);
  out.privileged = double.protocolState.privileged;

  double.ready();
  for (let i = 0; i < 5; i++) await tick();
  out.afterReady = double.calls.map((c) => c.api);
  out.registered = double.calls.filter((c) => c.api.startsWith('ipcMain.')).map((c) => [c.api, c.args[0]]);
  out.windows = double.windows.map((w: FakeBrowserWindow) => ({
    options: w.options,
    loaded: w.loaded,
  }));
  if (scenario === 'no-lock') return out;
  if (scenario === 'dev-url') {
    // Only what decides whose page is trusted: the page the window loads and which senders IPC answers.
    const info = handler('app:info');
    out.devAnswers = {
      devPage: await info(frameEvent(process.env.ELECTRON_RENDERER_URL ?? ''), null),
      appPage: await info(frameEvent(APP_URL), null),
    };
    return out;
  }

  const win = double.windows[0]!;
  win.emit('ready-to-show');
  out.shownAfterReadyToShow = win.shown;

  // Navigation, redirects and webviews: every listener the app put on the window's contents, with a fake event.
  const prevented: Record<string, boolean> = {};
  for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
    let p = false;
    win.webContents.emit(name, { preventDefault: () => (p = true) }, 'https://evil.example/');
    prevented[name] = p;
  }
  out.prevented = prevented;
  const open = win.webContents.windowOpenHandler;
  const before = double.calls.length;
  out.windowOpen = open
    ? {
        foreign: open({ url: 'https://evil.example/' }),
        appPage: open({ url: APP_URL }),
        docs: open({ url: process.env.OD_DOC_URL ?? '' }),
        opened: double.calls
          .slice(before)
          .filter((c) => c.api === 'shell.openExternal')
          .map((c) => c.args[0]),
      }
    : null;

  const answers: boolean[] = [];
  const req = double.sessionState.permissionRequest;
  for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal'])
    req?.(win.webContents, permission, (granted: boolean) => answers.push(granted), {});
  out.permissionRequests = req ? answers : null;
  const check = double.sessionState.permissionCheck;
  out.permissionChecks = check
    ? ['media', 'geolocation', 'clipboard-sanitized-write'].map((p) => check(win.webContents, p, APP_URL, {}))
    : null;

  // The renderer as the app serves it: the entry page, and a path that tries to leave the renderer folder.
  const serve = double.protocolState.handlers.get('app');
  if (serve) {
    const entry = await serve({ url: APP_URL });
    out.entry = { status: entry.status, html: await entry.text() };
    out.escape = (await serve({ url: 'app://renderer/..%2f..%2fmain/index.js' })).status;
    out.otherHost = (await serve({ url: 'app://evil/index.html' })).status;
  }

  // Every registered channel: refused from a foreign page, from a sub-frame of our page and with no frame;
  // our own page with a malformed input gets the contract's refusal, not the handler.
  const refusals: Record<string, unknown[]> = {};
  for (const channel of double.handlers.keys()) {
    const h = handler(channel);
    refusals[channel] = [
      await h(frameEvent('https://evil.example/index.html'), null),
      await h(frameEvent('app://renderer/index.html', { url: APP_URL }), null),
      await h({ senderFrame: null, sender: { id: 1 } }, null),
      await h(frameEvent('file:///index.html'), null),
      await h(frameEvent(APP_URL), 'not an input'),
    ];
  }
  out.refusals = refusals;

  // Our own page, a legitimate request each.
  out.answers = {
    info: await handler('app:info')?.(frameEvent(APP_URL), null),
    cancel: await handler('diagnosis:cancel')?.(frameEvent(APP_URL), { runId: crypto.randomUUID() }),
    list: await handler('sessions:list')?.(frameEvent(`${APP_URL}#/history`), { limit: 10, offset: 0 }),
  };
  // The native modules this process loaded, as the kernel maps them: which better-sqlite3 build answered.
  out.nativeLoaded = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((l) => l.split(/\s+/).slice(5).join(' '))
    .filter((f) => f.endsWith('better_sqlite3.node'))
    .filter((f, i, a) => a.indexOf(f) === i);

  const dbFile = path.join(userData, 'origin-doctor.sqlite');
  out.dbBeforeQuit = { db: existsSync(dbFile), wal: existsSync(`${dbFile}-wal`) };

  // A second launch: the running window comes back to the front.
  win.minimized = true;
  const secondBefore = win.actions.length;
  double.config.gotLock = true;
  app.emit('second-instance', {}, ['origin-doctor'], '/');
  out.secondInstance = win.actions.slice(secondBefore);

  // The last window closed: the app quits (not on macOS) and lets go of the history.
  const quitsBefore = double.calls.filter((c) => c.api === 'app.quit').length;
  app.emit('window-all-closed');
  await tick();
  out.quitCalls = double.calls.filter((c) => c.api === 'app.quit').length - quitsBefore;
  out.dbAfterQuit = { db: existsSync(dbFile), wal: existsSync(`${dbFile}-wal`) };
  return out;
}

run().then(
  (out) => writeFileSync(resultFile, JSON.stringify({ calls: double.calls.length, ...out })),
  (e: unknown) => {
    writeFileSync(
      resultFile,
      JSON.stringify({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
    process.exitCode = 3;
  },
);
