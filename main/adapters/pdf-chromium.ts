import { existsSync } from 'node:fs';
import { findExecutable } from '../probes/spawn';
import { printWithCdp } from './pdf-cdp';

/** Turns self-contained HTML into PDF bytes. The app prints with Electron; the CLI and tests with Chromium. */
export type PdfPrinter = (html: string) => Promise<Buffer>;

export class PdfUnavailable extends Error {
  constructor(readonly looked: string[]) {
    super('no Chromium');
  }
}

const FIXED_PATHS: Record<string, string[]> = {
  darwin: [
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  ],
  win32: [
    'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
  ],
};

/** Headless flags: no background traffic to Google's hosts on a closed network; the sandbox stays on. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Chromium refuses to start its sandbox as root ("Running as root without --no-sandbox is not supported"), so
 * only then is it turned off; the CLI says so beside the PDF. Everyone else prints with the sandbox on.
 */
export function sandboxUnavailable(uid: number | undefined = process.getuid?.()): boolean {
  return uid === 0;
}

/** The flags for this process: `CHROMIUM_ARGS`, plus `--no-sandbox` only where the sandbox cannot start. */
export function chromiumArgs(uid: number | undefined = process.getuid?.()): string[] {
  return sandboxUnavailable(uid) ? [...CHROMIUM_ARGS, '--no-sandbox'] : [...CHROMIUM_ARGS];
}

/** Where a Chromium-family browser is, or null; `CHROMIUM_PATH` wins. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): {
  path: string | null;
  looked: string[];
} {
  const looked: string[] = [];
  if (env.CHROMIUM_PATH) {
    looked.push(env.CHROMIUM_PATH);
    if (existsSync(env.CHROMIUM_PATH)) return { path: env.CHROMIUM_PATH, looked };
  }
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome']) {
    looked.push(name);
    // Browsers live on the PATH; the system-tool folders added for trace tools are not searched here.
    const p = findExecutable(name, env, process.platform, false);
    if (p) return { path: p, looked };
  }
  for (const p of FIXED_PATHS[process.platform] ?? []) {
    looked.push(p);
    if (existsSync(p)) return { path: p, looked };
  }
  return { path: null, looked };
}

/**
 * Prints with headless Chromium over the DevTools protocol pipe: JavaScript off (the report has none, and
 * untrusted text must never run), A4, backgrounds on. Chromium is the same engine as the app's printToPDF.
 */
export function chromiumPrinter(env: NodeJS.ProcessEnv = process.env): PdfPrinter {
  return async (html) => {
    const found = findChromium(env);
    if (!found.path) throw new PdfUnavailable(found.looked);
    return printWithCdp(html, { executable: found.path, args: chromiumArgs() });
  };
}
