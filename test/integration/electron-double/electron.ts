import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * A test double of the `electron` module for the main process, run in plain Node (no Electron binary here). The
 * test bundles this file as `node_modules/electron/index.js` next to a copy of the built app, so the app's own
 * `require('electron')` finds it. It records every call the main process makes and lets the driver fire the
 * events Electron would (ready, web-contents-created, will-navigate, window-all-closed, second-instance…).
 * Any other export the app reaches for throws at once, naming it: the double must grow with the app, never
 * answer `undefined` for an API it does not model.
 */

type Listener = (...args: unknown[]) => unknown;

/** What the app did, in order, as plain data the driver can check. */
export interface Call {
  readonly api: string;
  readonly args: unknown[];
}

/** A fake of Electron's WebContents: events, the window-open handler, send. */
export class FakeWebContents extends EventEmitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  readonly sent: { channel: string; payload: unknown }[] = [];
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    record('webContents.setWindowOpenHandler', []);
    this.windowOpenHandler = handler;
  }
  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }
  isDestroyed(): boolean {
    return false;
  }
  async printToPDF(): Promise<Buffer> {
    throw new Error('printToPDF is not modelled by the electron test double');
  }
}

/** A fake BrowserWindow: keeps its constructor options and what was done to it. */
export class FakeBrowserWindow extends EventEmitter {
  static readonly all: FakeBrowserWindow[] = [];
  static getAllWindows(): FakeBrowserWindow[] {
    return FakeBrowserWindow.all.filter((w) => !w.destroyed);
  }
  static getFocusedWindow(): FakeBrowserWindow | null {
    return FakeBrowserWindow.getAllWindows()[0] ?? null;
  }
  readonly webContents = new FakeWebContents();
  readonly loaded: string[] = [];
  minimized = false;
  shown = false;
  destroyed = false;
  readonly actions: string[] = [];
  constructor(readonly options: Record<string, unknown>) {
    super();
    record('BrowserWindow', [options]);
    FakeBrowserWindow.all.push(this);
    // Electron emits this for every new web contents, before the page loads.
    app.emit('web-contents-created', {}, this.webContents);
  }
  async loadURL(url: string): Promise<void> {
    this.loaded.push(url);
  }
  show(): void {
    this.shown = true;
    this.actions.push('show');
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.minimized = false;
    this.actions.push('restore');
  }
  focus(): void {
    this.actions.push('focus');
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
  close(): void {
    this.destroyed = true;
    this.emit('closed');
  }
}

const calls: Call[] = [];
function record(api: string, args: unknown[]): void {
  calls.push({ api, args });
}

/** How the double behaves, set by the driver before the app is loaded. */
export const config = {
  gotLock: true,
  paths: {} as Record<string, string>,
};

let readyResolve: () => void = () => undefined;
const readyPromise = new Promise<void>((resolve) => (readyResolve = resolve));

class FakeApp extends EventEmitter {
  isPackaged = false;
  requestSingleInstanceLock(): boolean {
    record('app.requestSingleInstanceLock', []);
    return config.gotLock;
  }
  whenReady(): Promise<void> {
    record('app.whenReady', []);
    return readyPromise;
  }
  getPath(name: string): string {
    record('app.getPath', [name]);
    const p = config.paths[name];
    if (!p) throw new Error(`the electron test double has no path for "${name}"`);
    return p;
  }
  /** Electron's order: before-quit, the windows close, will-quit, quit. */
  quit(): void {
    record('app.quit', []);
    this.emit('before-quit', { preventDefault: () => record('before-quit.preventDefault', []) });
    for (const w of FakeBrowserWindow.getAllWindows()) w.close();
    this.emit('will-quit', { preventDefault: () => record('will-quit.preventDefault', []) });
    this.emit('quit', {}, 0);
  }
}
export const app = new FakeApp();

/** Handlers registered on ipcMain, by channel; a second `handle` for one channel throws, as in Electron. */
export const handlers = new Map<string, Listener>();
export const ipcMain = {
  handle(channel: string, listener: Listener): void {
    record('ipcMain.handle', [channel]);
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    handlers.set(channel, listener);
  },
  handleOnce(channel: string): void {
    record('ipcMain.handleOnce', [channel]);
  },
  on(channel: string): void {
    record('ipcMain.on', [channel]);
  },
  once(channel: string): void {
    record('ipcMain.once', [channel]);
  },
  addListener(channel: string): void {
    record('ipcMain.addListener', [channel]);
  },
  removeHandler(channel: string): void {
    record('ipcMain.removeHandler', [channel]);
    handlers.delete(channel);
  },
};

/** The default session's handlers, as the app set them. */
export const sessionState = {
  permissionRequest: null as Listener | null,
  permissionCheck: null as Listener | null,
  headersReceived: null as Listener | null,
};
export const session = {
  defaultSession: {
    setPermissionRequestHandler(h: Listener): void {
      record('session.setPermissionRequestHandler', []);
      sessionState.permissionRequest = h;
    },
    setPermissionCheckHandler(h: Listener): void {
      record('session.setPermissionCheckHandler', []);
      sessionState.permissionCheck = h;
    },
    webRequest: {
      onHeadersReceived(h: Listener): void {
        record('session.webRequest.onHeadersReceived', []);
        sessionState.headersReceived = h;
      },
    },
  },
};

/** Schemes made privileged before ready, and the handlers serving them. */
export const protocolState = {
  privileged: [] as unknown[],
  handlers: new Map<string, (request: { url: string }) => Response | Promise<Response>>(),
};
export const protocol = {
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    record('protocol.registerSchemesAsPrivileged', [schemes]);
    protocolState.privileged.push(...schemes);
  },
  handle(scheme: string, h: (request: { url: string }) => Response | Promise<Response>): void {
    record('protocol.handle', [scheme]);
    protocolState.handlers.set(scheme, h);
  },
};

/** `net.fetch` of a file URL reads the file, as Electron's does; any other URL is refused (no network here). */
export const net = {
  async fetch(url: string): Promise<Response> {
    record('net.fetch', [url]);
    if (!url.startsWith('file://'))
      throw new Error(`the electron test double fetches file URLs only: ${url}`);
    return new Response(await readFile(fileURLToPath(url)));
  },
};

export const shell = {
  async openExternal(url: string): Promise<void> {
    record('shell.openExternal', [url]);
  },
};

export const dialog = {
  async showSaveDialog(): Promise<{ canceled: boolean; filePath?: string }> {
    record('dialog.showSaveDialog', []);
    return { canceled: true };
  },
};

export const clipboard = {
  writeText(text: string): void {
    record('clipboard.writeText', [text]);
  },
};

export const Menu = {
  buildFromTemplate(template: unknown[]): { template: unknown[] } {
    record('Menu.buildFromTemplate', [template.length]);
    return { template };
  },
  setApplicationMenu(menu: unknown): void {
    record('Menu.setApplicationMenu', [menu !== null]);
  },
};

/** The driver's handle on the double: what was recorded, and the switch that makes the app "ready". */
export const double = {
  calls,
  config,
  windows: FakeBrowserWindow.all,
  handlers,
  sessionState,
  protocolState,
  ready(): void {
    readyResolve();
    app.emit('ready', {}, {});
  },
};

const exported: Record<string, unknown> = {
  app,
  BrowserWindow: FakeBrowserWindow,
  ipcMain,
  session,
  protocol,
  net,
  shell,
  dialog,
  clipboard,
  Menu,
  double,
};

/** The module as the app sees it: an export the double does not model fails loudly, naming it. */
export const electronModule = new Proxy(exported, {
  get(target, prop) {
    if (typeof prop === 'symbol' || prop in target) return target[prop as string];
    if (prop === '__esModule' || prop === 'default' || prop === 'then') return undefined;
    throw new Error(
      `the electron test double has no "${prop}": model it in test/integration/electron-double`,
    );
  },
});
