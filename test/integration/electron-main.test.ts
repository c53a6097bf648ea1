import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CONTRACT } from '../../shared/ipc/contract';
import { INVOKE_CHANNELS } from '../../shared/ipc/channels';
import { createTranslator } from '../../shared/i18n/translate';
import en from '../../shared/i18n/locales/en.json';
import zh from '../../shared/i18n/locales/zh-CN.json';
import { KNOWN_EXTERNAL_URLS, WEB_PREFERENCES } from '../../main/app/security';
import { DB_FILE_NAME } from '../../main/db/paths';

/**
 * The Electron main process, booted for real in plain Node (issue #24 item 8): the BUILT bundle (out/main, made by
 * `npm run build`, which `npm test` runs first) is copied into a scratch app folder and loaded in a child process
 * whose `require('electron')` finds the test double in test/integration/electron-double. The child plays
 * Electron's events and reports what the app did; nothing of it leaks into this process.
 */
const root = path.resolve(__dirname, '..', '..');
const out = path.join(root, 'out');
const nodeModules = realpathSync(path.join(root, 'node_modules'));
const APP_URL = 'app://renderer/index.html';
const DOC_URL = [...KNOWN_EXTERNAL_URLS][0]!;

let scratch = '';

beforeAll(async () => {
  for (const f of ['main/index.js', 'preload/index.js', 'renderer/index.html'])
    if (!existsSync(path.join(out, f)))
      throw new Error(`the app is not built (out/${f} is missing): run npm run build first`);
  scratch = mkdtempSync(path.join(tmpdir(), 'od-electron-main-'));
  const pkg = path.join(scratch, 'node_modules', 'electron');
  mkdirSync(pkg, { recursive: true });
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  } as const;
  await build({
    ...common,
    entryPoints: [path.join(__dirname, 'electron-double', 'electron.ts')],
    outfile: path.join(pkg, 'double.js'),
  });
  writeFileSync(path.join(pkg, 'index.js'), "module.exports = require('./double.js').electronModule;\n");
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'electron', main: 'index.js' }));
  // The driver shares the app's instance of the double: its own import of it is the `electron` package.
  await build({
    ...common,
    entryPoints: [path.join(__dirname, 'electron-double', 'driver.ts')],
    outfile: path.join(scratch, 'driver.cjs'),
    plugins: [
      {
        name: 'double-is-electron',
        setup(b) {
          b.onResolve({ filter: /^\.\/electron$/ }, () => ({ path: 'electron', external: true }));
        },
      },
    ],
  });
}, 60_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

type Native = 'electron-build' | 'absent' | 'broken';

/** A copy of the built app laid out as in the package: main/, preload/, renderer/ and native/ side by side. */
function makeApp(name: string, native: Native): { appDir: string; userData: string; nativeFile: string } {
  const dir = path.join(scratch, name);
  const appDir = path.join(dir, 'app');
  for (const part of ['main', 'preload', 'renderer'])
    cpSync(path.join(out, part), path.join(appDir, part), { recursive: true });
  const nativeFile = path.join(appDir, 'native', 'better_sqlite3.node');
  mkdirSync(path.dirname(nativeFile), { recursive: true });
  // The stand-in for the Electron-ABI build scripts/electron-native.mjs makes: the Node build, which this Node loads.
  if (native === 'electron-build')
    cpSync(path.join(nodeModules, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), nativeFile);
  if (native === 'broken') writeFileSync(nativeFile, 'not a shared object\n');
  return { appDir, userData: path.join(dir, 'user-data'), nativeFile };
}

interface Outcome {
  readonly status: number | null;
  readonly stderr: string;
  readonly r: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the child, checked field by field
}

/** Boots the app in a child process; it must end by itself (a clean quit leaves nothing running). */
function boot(
  appDir: string,
  userData: string,
  scenario: 'boot' | 'no-lock' | 'dev-url',
  env: Record<string, string> = {},
): Outcome {
  const resultFile = path.join(path.dirname(appDir), `${scenario}.json`);
  const child = spawnSync(
    process.execPath,
    [path.join(scratch, 'driver.cjs'), appDir, userData, scenario, resultFile],
    {
      env: { PATH: process.env.PATH ?? '', NODE_PATH: nodeModules, OD_DOC_URL: DOC_URL, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  if (child.error)
    throw new Error(`the main process did not end by itself within 30 s: ${child.error.message}`);
  if (!existsSync(resultFile))
    throw new Error(`the driver wrote no result (exit ${child.status}): ${child.stderr}`);
  const r = JSON.parse(readFileSync(resultFile, 'utf8')) as Record<string, unknown>;
  if (r.error) throw new Error(`the main process failed under the double: ${String(r.error)}`);
  return { status: child.status, stderr: child.stderr, r };
}

const refusedAs = (key: string) => ({ ok: false, error: { key, params: expect.any(Object) } });

describe('the Electron main process under a test double of electron', () => {
  let app: ReturnType<typeof makeApp>;
  let o: Outcome;
  beforeAll(() => {
    app = makeApp('boot', 'electron-build');
    o = boot(app.appDir, app.userData, 'boot');
  }, 60_000);

  test('starts, takes the single-instance lock and makes app: a secure scheme before ready', () => {
    expect(o.status).toBe(0);
    expect(o.r.beforeReady).toContain('app.requestSingleInstanceLock');
    expect(o.r.beforeReady).toContain('protocol.registerSchemesAsPrivileged');
    // Nothing that needs a ready app is touched before ready.
    expect(o.r.beforeReady).not.toContain('BrowserWindow');
    expect(o.r.beforeReady).not.toContain('ipcMain.handle');
    expect(o.r.privileged).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
  });

  test('creates one window with the exact secure options, the preload, and the app page', () => {
    expect(o.r.windows).toHaveLength(1);
    const { options, loaded } = o.r.windows[0];
    expect(options.webPreferences).toEqual({
      ...WEB_PREFERENCES,
      preload: path.join(app.appDir, 'preload', 'index.js'),
    });
    expect(options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      webSecurity: true,
    });
    expect(existsSync(options.webPreferences.preload)).toBe(true);
    expect(options.show).toBe(false);
    expect(o.r.shownAfterReadyToShow).toBe(true);
    expect(loaded).toEqual([APP_URL]);
  });

  test('the page it serves carries a strict CSP, and nothing outside the renderer folder is served', () => {
    expect(o.r.entry.status).toBe(200);
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(o.r.entry.html);
    expect(meta, 'the served index.html has no CSP meta').not.toBeNull();
    const csp = Object.fromEntries(
      meta![1]!.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(csp['default-src']).toEqual(["'none'"]);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['connect-src']).toEqual(["'none'"]);
    expect(csp['object-src']).toEqual(["'none'"]);
    expect(csp['base-uri']).toEqual(["'none'"]);
    expect(o.r.escape).toBe(404);
    expect(o.r.otherHost).toBe(404);
  });

  test('navigation, redirects, webviews and window.open are denied; only a known documentation URL opens outside', () => {
    expect(o.r.prevented).toEqual({
      'will-navigate': true,
      'will-redirect': true,
      'will-attach-webview': true,
    });
    expect(o.r.windowOpen).toEqual({
      foreign: { action: 'deny' },
      appPage: { action: 'deny' },
      docs: { action: 'deny' },
      opened: [DOC_URL],
    });
  });

  test('every permission request and check is denied', () => {
    expect(o.r.permissionRequests).toEqual([false, false, false, false, false]);
    expect(o.r.permissionChecks).toEqual([false, false, false]);
  });

  test('every channel of the contract is registered once through ipcMain.handle, and nothing else is', () => {
    const contract = Object.keys(CONTRACT).sort();
    expect([...INVOKE_CHANNELS].sort()).toEqual(contract);
    const registered = (o.r.registered as [string, string][]).filter(([api]) => api === 'ipcMain.handle');
    expect(registered.map(([, ch]) => ch).sort()).toEqual(contract);
    // No other way in: no ipcMain.on / once / handleOnce listeners beside the wrapper's handlers.
    expect((o.r.registered as [string, string][]).filter(([api]) => api !== 'ipcMain.handle')).toEqual([]);
  });

  test('each handler is the wrapper: a foreign page, a sub-frame, no frame and a bad input are refused', () => {
    for (const channel of Object.keys(CONTRACT)) {
      const [foreign, subFrame, noFrame, fileUrl, badInput] = o.r.refusals[channel] as unknown[];
      expect(foreign, channel).toEqual(refusedAs('ipc.untrusted_sender'));
      expect(subFrame, channel).toEqual(refusedAs('ipc.untrusted_sender'));
      expect(noFrame, channel).toEqual(refusedAs('ipc.untrusted_sender'));
      expect(fileUrl, channel).toEqual(refusedAs('ipc.untrusted_sender'));
      expect(badInput, channel).toEqual({
        ok: false,
        error: { key: 'ipc.bad_input', params: { channel, issue: expect.any(String) } },
      });
    }
  });

  test('the app page is answered, and the history opens through the Electron-ABI binding', () => {
    expect(o.r.answers.info).toEqual({
      ok: true,
      value: { version: expect.any(String), platform: process.platform, userData: app.userData },
    });
    expect(o.r.answers.cancel).toEqual({ ok: true, value: false });
    expect(o.r.answers.list).toEqual({ ok: true, value: { total: 0, items: [] } });
    // The kernel mapped the app's native/ copy, not the Node build in node_modules.
    expect(o.r.nativeLoaded).toEqual([app.nativeFile]);
    expect(o.r.dbBeforeQuit).toEqual({ db: true, wal: true });
    expect(existsSync(path.join(app.userData, DB_FILE_NAME))).toBe(true);
  });

  test('a second launch brings the window back', () => {
    expect(o.r.secondInstance).toEqual(['restore', 'focus']);
  });

  test('closing the last window quits and closes the history cleanly', () => {
    expect(o.r.quitCalls).toBe(process.platform === 'darwin' ? 0 : 1);
    // SQLite removes the WAL when the last connection closes: the history was closed, not left to the OS.
    expect(o.r.dbAfterQuit).toEqual({ db: true, wal: false });
  });
});

describe('the Electron main process: the lock and the native binding', () => {
  test('a second instance that does not get the lock quits at once and opens nothing', () => {
    const app = makeApp('no-lock', 'electron-build');
    const { status, r } = boot(app.appDir, app.userData, 'no-lock');
    expect(status).toBe(0);
    expect(r.beforeReady).toContain('app.requestSingleInstanceLock');
    expect(r.beforeReady).toContain('app.quit');
    expect(r.afterReady).not.toContain('app.whenReady');
    expect(r.windows).toEqual([]);
    expect(r.registered).toEqual([]);
    expect(existsSync(app.userData)).toBe(false);
  });

  test('a packaged app ignores ELECTRON_RENDERER_URL: it loads and trusts its own page only', () => {
    const dev = 'http://127.0.0.1:9/';
    const app = makeApp('packaged-dev-url', 'electron-build');
    const { r } = boot(app.appDir, app.userData, 'dev-url', { OD_PACKAGED: '1', ELECTRON_RENDERER_URL: dev });
    expect(r.windows[0].loaded).toEqual([APP_URL]);
    expect(r.devAnswers.devPage).toEqual(refusedAs('ipc.untrusted_sender'));
    expect(r.devAnswers.appPage.ok).toBe(true);
    // The near miss: unpackaged (electron-vite dev), the dev server's page is the app.
    const unpackaged = makeApp('dev-url', 'electron-build');
    const d = boot(unpackaged.appDir, unpackaged.userData, 'dev-url', { ELECTRON_RENDERER_URL: dev }).r;
    expect(d.windows[0].loaded).toEqual([dev]);
    expect(d.devAnswers.devPage.ok).toBe(true);
  });

  test.each([
    ['absent', 'absent' as const, /better_sqlite3\.node/],
    ['not loadable', 'broken' as const, /invalid ELF header|file too short|not a shared object/i],
  ])(
    'the Electron binding %s: the app still opens and the history says why in the app',
    (_label, native, reason) => {
      const app = makeApp(`native-${native}`, native);
      const { status, r } = boot(app.appDir, app.userData, 'boot');
      expect(status).toBe(0);
      expect(r.windows).toHaveLength(1);
      expect(r.answers.info.ok).toBe(true);
      // No silent fallback to the Node build in node_modules (Electron could not load it: another ABI).
      expect(r.nativeLoaded).toEqual([]);
      const list = r.answers.list;
      expect(list).toEqual({
        ok: false,
        error: { key: 'db.native_missing', params: { file: app.nativeFile, reason: expect.any(String) } },
      });
      expect(list.error.params.reason).toMatch(reason);
      for (const [lang, messages] of [
        ['en', en],
        ['zh-CN', zh],
      ] as const) {
        expect(Object.keys(messages), lang).toContain('db.native_missing');
        const text = createTranslator(lang)('db.native_missing', list.error.params);
        expect(text, lang).toContain(app.nativeFile);
      }
      expect(r.dbAfterQuit).toEqual({ db: false, wal: false });
    },
  );
});
