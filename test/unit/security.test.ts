import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, test } from 'vitest';
import { isDocumentationUrl, WEB_PREFERENCES } from '../../main/app/security';
import { CSP as REPORT_CSP } from '../../main/report/html';

const root = path.join(__dirname, '..', '..');

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

  test('links open in the browser only for https documentation hosts', () => {
    expect(isDocumentationUrl('https://developers.cloudflare.com/support/troubleshooting/')).toBe(true);
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
