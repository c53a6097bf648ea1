import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, test } from 'vitest';
import { chromiumArgs, CHROMIUM_ARGS } from '../../main/adapters/pdf-chromium';
import { APP_ENTRY, isAppPageUrl, resolveAppPath } from '../../main/app/app-url';
import { isDocumentationUrl, WEB_PREFERENCES } from '../../main/app/security';
import { CSP as REPORT_CSP } from '../../main/report/html';

const root = path.join(__dirname, '..', '..');
const root0 = root;

/** A CSP string as directive → sources. */
function csp(text: string): Map<string, string[]> {
  return new Map(
    text
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

describe('the Electron shell', () => {
  test('window options: isolated, sandboxed, no Node in the page, nothing insecure', () => {
    expect(WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
    });
  });

  test('no source under main/ turns any of it back on (our own Electronegativity-style scan)', () => {
    const risky =
      /(nodeIntegration(InWorker|InSubFrames)?|allowRunningInsecureContent|experimentalFeatures|webviewTag|enableRemoteModule)\s*:\s*true|(contextIsolation|sandbox|webSecurity)\s*:\s*false|enableBlinkFeatures|disableBlinkFeatures|insecure-content|openDevTools\(/;
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|tsx)$/.test(e.name)) files.push(p);
      }
    };
    walk(path.join(root, 'main'));
    walk(path.join(root, 'renderer', 'src'));
    const hits = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ f: path.relative(root, f), line: i + 1, text: line }))
        .filter((l) => risky.test(l.text)),
    );
    expect(hits).toEqual([]);
    // And the scan does find what it looks for.
    expect(risky.test('webPreferences: { sandbox: false }')).toBe(true);
  });

  test('links open in the browser only for the exact source URLs the catalog shows', () => {
    expect(isDocumentationUrl('https://www.cloudflare.com/ips-v4')).toBe(true);
    expect(
      isDocumentationUrl('https://developers.cloudflare.com/fundamentals/reference/connection-limits/'),
    ).toBe(true);
    // Near misses on a known host: another page, a query, a fragment, another repository on github.com.
    expect(isDocumentationUrl('https://developers.cloudflare.com/support/troubleshooting/')).toBe(false);
    expect(isDocumentationUrl('https://www.cloudflare.com/ips-v4?x=1')).toBe(false);
    expect(isDocumentationUrl('https://www.cloudflare.com/ips-v4#top')).toBe(false);
    expect(isDocumentationUrl('https://github.com/attacker/phish')).toBe(false);
    expect(isDocumentationUrl('HTTPS://WWW.CLOUDFLARE.COM/ips-v4')).toBe(false);
    expect(isDocumentationUrl('http://developers.cloudflare.com/')).toBe(false);
    expect(isDocumentationUrl('https://evil.example/')).toBe(false);
    expect(isDocumentationUrl('javascript:alert(1)')).toBe(false);
    expect(isDocumentationUrl('https://user:pw@github.com/')).toBe(false);
    expect(isDocumentationUrl('file:///etc/passwd')).toBe(false);
  });

  test("the renderer's CSP: nothing by default, scripts from the app only, no eval, no network", () => {
    const html = readFileSync(path.join(root, 'renderer', 'index.html'), 'utf8');
    const content = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)![1]!;
    const p = csp(content);
    expect(p.get('default-src')).toEqual(["'none'"]);
    expect(p.get('script-src')).toEqual(["'self'"]);
    expect(p.get('object-src')).toEqual(["'none'"]);
    expect(p.get('connect-src')).toEqual(["'none'"]);
    expect(p.get('base-uri')).toEqual(["'none'"]);
    expect(content).not.toMatch(/unsafe-eval/);
  });

  test("the report's CSP: no script at all", () => {
    const p = csp(REPORT_CSP);
    expect(p.get('default-src')).toEqual(["'none'"]);
    expect(p.has('script-src')).toBe(false);
  });
});

describe('the lint gate bites', () => {
  const eslint = new ESLint({ cwd: root });
  const lint = async (code: string, file = 'main/probes/gate-check.ts'): Promise<string[]> => {
    const [r] = await eslint.lintText(code, { filePath: path.join(root, file) });
    return r!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
  };

  test.each([
    ["import { spawn } from 'node:child_process';\nspawn('ls', [], { shell: true });\n", /shell: true/],
    ["import { exec } from 'node:child_process';\nexec('ls');\n", /child_process exec/],
    ["process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';\n", /NODE_TLS_REJECT_UNAUTHORIZED/],
  ])('%s', async (code, message) => {
    expect(await lint(code)).toEqual([expect.stringMatching(message)]);
  });

  test('dangerouslySetInnerHTML in the renderer', async () => {
    const msgs = await lint(
      'export const X = (p: { h: string }) => <div dangerouslySetInnerHTML={{ __html: p.h }} />;\n',
      'renderer/src/components/GateCheck.tsx',
    );
    expect(msgs).toEqual([expect.stringMatching(/dangerouslySetInnerHTML/)]);
  });

  test('a regular expression exec is fine', async () => {
    expect(await lint("export const m = /a/.exec('a');\n")).toEqual([]);
  });
});

describe('the renderer is served from app://renderer/, never file://', () => {
  const root = path.join(path.sep, 'opt', 'od', 'renderer');
  test('paths under the renderer folder resolve', () => {
    expect(resolveAppPath(root, APP_ENTRY)).toBe(path.join(root, 'index.html'));
    expect(resolveAppPath(root, 'app://renderer/')).toBe(path.join(root, 'index.html'));
    expect(resolveAppPath(root, 'app://renderer/assets/index-abc.js?v=1')).toBe(
      path.join(root, 'assets', 'index-abc.js'),
    );
  });

  test('traversal, other hosts and schemes, encoded separators and NULs are refused', () => {
    // The URL parser folds a plain `..` away first: what is left must still be inside the folder.
    for (const url of [
      'app://renderer/../../etc/passwd',
      'app://renderer/assets/../../../etc/passwd',
      'app://renderer/%2e%2e/%2e%2e/etc/passwd',
    ]) {
      const file = resolveAppPath(root, url);
      expect(file === null || file.startsWith(root + path.sep), url).toBe(true);
    }
    for (const url of [
      'app://renderer/assets/..%2f..%2f..%2fetc/passwd',
      'app://renderer/..%5c..%5cwindows',
      'app://renderer/index.html%00.js',
      'app://other/index.html',
      'app://user@renderer/index.html',
      'file:///opt/od/renderer/index.html',
      'https://renderer/index.html',
      'not a url',
    ])
      expect(resolveAppPath(root, url), url).toBeNull();
  });

  test("the IPC sender check takes the app's page only", () => {
    expect(isAppPageUrl(APP_ENTRY)).toBe(true);
    expect(isAppPageUrl(`${APP_ENTRY}#/history`)).toBe(true);
    expect(isAppPageUrl('app://renderer/assets/x.js')).toBe(false);
    expect(isAppPageUrl('file:///opt/od/renderer/index.html')).toBe(false);
  });

  test('main/index.ts loads the app URL, not a file', () => {
    const src = readFileSync(path.join(root0, 'main', 'index.ts'), 'utf8');
    expect(src).toContain('win.loadURL(APP_ENTRY)');
    expect(src).not.toMatch(/loadFile\(|pathToFileURL/);
  });
});

describe('PDF printing keeps the Chromium sandbox', () => {
  test('--no-sandbox only as root, where the sandbox cannot start', () => {
    expect(CHROMIUM_ARGS).not.toContain('--no-sandbox');
    expect(chromiumArgs(1000)).not.toContain('--no-sandbox');
    expect(chromiumArgs(0)).toContain('--no-sandbox');
  });
});
