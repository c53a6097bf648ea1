import { createTranslator } from '../../shared/i18n/translate';
import { rederivedReport } from '../../main/use-cases/stored-report';
import { mkdtempSync, readFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openDatabase } from '../../main/db/open';
import { SessionsRepo } from '../../main/db/sessions-repo';
import { importSessions } from '../../main/use-cases/sessions';
import { renderReport } from '../../main/use-cases/export-report';
import { redactReport } from '../../main/report/redact';
import type { Report } from '../../shared/model/report';
import { launchChromium } from '../e2e/bridge';
import { runCli } from '../lab/cli';
import { sampleReport, withPolicy } from '../lab/report-fixture';

const CANARY =
  '<script>alert(1)</script> "><img src=x onerror=alert(2)> \u202Eevil\u202C \u001b[31mred\u001b[0m';
let browser: Browser;
let dir: string;

/** Stores a report as a session (through the import use-case) and returns the database file. */
async function store(report: Report, notes = ''): Promise<string> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.sqlite`);
  const { db } = await openDatabase(file);
  const repo = new SessionsRepo(db);
  const doc = {
    format: 'origin-doctor-sessions' as const,
    version: 1 as const,
    exportedAt: new Date().toISOString(),
    sessions: [{ report, status: 'finished' as const, parentId: null, tags: ['ticket-42'], notes }],
  };
  importSessions(repo, doc, () => 'x', db);
  db.close();
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'od-report-'));
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

describe('export from a stored session', () => {
  test('HTML, PDF and Markdown in both languages; the HTML has every section and the right numbers', async () => {
    const db = await store(sampleReport(), 'customer rotated the certificate on Monday');
    for (const lang of ['en', 'zh-CN'] as const) {
      const base = path.join(dir, `r-${lang}`);
      const r = await runCli(
        [
          'export',
          '11111111',
          '--db',
          db,
          '--html',
          `${base}.html`,
          '--pdf',
          `${base}.pdf`,
          '--md',
          `${base}.md`,
          '--lang',
          lang,
        ],
        { env: { TZ: 'Asia/Shanghai' } },
      );
      // As root Chromium cannot start its sandbox: the PDF is printed without it, and the CLI says so.
      expect(r.stderr).toBe(
        process.getuid?.() === 0 ? `${createTranslator(lang)('report.pdf_no_sandbox')}\n` : '',
      );
      expect(r.code).toBe(0);
      const html = readFileSync(`${base}.html`, 'utf8');
      expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'`);
      expect(html).not.toMatch(/<script/i);
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.setContent(html);
      for (const id of [
        'title',
        'verdict',
        'causes',
        'input',
        'layers',
        'charts',
        'policy',
        'evidence',
        'timeline',
        'environment',
        'notes',
        'raw',
        'appendix',
      ]) {
        expect(await page.locator(`#${id}`).count(), id).toBe(1);
      }
      expect(await page.locator('.cause').count()).toBe(1);
      // Each cause links to its knowledge-base article in the same file.
      const href = await page.locator('.cause a[href^="#kb-"]').getAttribute('href');
      expect(await page.locator(`${href!.replace('.', '\\.')} dd`).count()).toBe(5);
      // A stored session is shown as the current engine derives it from its probes (never its stored texts).
      const derived = rederivedReport(sampleReport());
      expect(derived.causes.map((c) => c.id)).toEqual(['cause.tls_cert_expired']);
      expect(await page.locator('.cause .pct').textContent()).toBe(
        `${Math.round(derived.causes[0]!.confidence * 100)}%`,
      );
      expect(await page.locator('#layers tr td code').allTextContents()).toEqual(
        expect.arrayContaining(['tcp.ok', 'tls.cert_expired', 'http.ok']),
      );
      expect(await page.locator('#charts svg').count()).toBe(3);
      expect(await page.locator('#evidence tr[id^="probe-"]').count()).toBe(4);
      expect(await page.locator('#raw details').count()).toBe(4);
      expect(await page.locator('#title').textContent()).toContain('UTC+08:00, Asia/Shanghai');
      expect(await page.locator('#verdict').textContent()).toBe(
        lang === 'en' ? 'Verdict: broken' : '结论：故障',
      );
      await context.close();

      const text = execFileSync('pdftotext', ['-layout', `${base}.pdf`, '-'], { encoding: 'utf8' });
      expect(text).toContain(
        lang === 'en' ? 'Origin Doctor report: www.example.com' : '源站医生诊断报告：www.example.com',
      );
      expect(text).toContain('cause.tls_cert_expired');
      expect(text).toContain('certbot renew --cert-name www.example.com');
      expect(text).toContain(lang === 'en' ? 'Appendix: raw tool output' : '附录：工具原始输出');
      execFileSync('pdftoppm', ['-png', '-r', '70', '-f', '1', '-l', '1', `${base}.pdf`, `${base}-page`]);
      expect(readFileSync(`${base}-page-1.png`).subarray(1, 4).toString()).toBe('PNG');

      const md = readFileSync(`${base}.md`, 'utf8');
      expect(md).toMatch(/^# /);
      expect(md).toContain('`cause.tls_cert_expired`');
      expect(md).toContain('certbot renew --cert-name www.example.com');
    }
    // One rendered page for the README.
    mkdirSync(path.join(__dirname, '..', '..', 'out', 'docs'), { recursive: true });
    copyFileSync(
      path.join(dir, 'r-en-page-1.png'),
      path.join(__dirname, '..', '..', 'out', 'docs', 'report-page-1.png'),
    );
    // Two Chromium PDF runs, pdftoppm and pdftotext per language: behaviour is judged here, speed in the bench.
  }, 180_000);

  test('without Chromium the PDF is refused with what to install, and the other formats are still written', async () => {
    const db = await store(sampleReport());
    const html = path.join(dir, 'no-chromium.html');
    const r = await runCli(
      ['export', '11111111', '--db', db, '--html', html, '--pdf', path.join(dir, 'x.pdf')],
      { env: { PATH: '/nonexistent', CHROMIUM_PATH: '/nonexistent/chromium' } },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a PDF needs Chromium or Google Chrome.*apt-get install chromium/);
    expect(readFileSync(html, 'utf8')).toContain('<!doctype html>');
  });
});

describe('the policy section', () => {
  test('coverage, each blocked sub-range with the rule line that blocks it, in HTML and Markdown', async () => {
    const db = await store(withPolicy(sampleReport()));
    const base = path.join(dir, 'policy');
    const r = await runCli([
      'export',
      '11111111',
      '--db',
      db,
      '--html',
      `${base}.html`,
      '--md',
      `${base}.md`,
    ]);
    expect(r.code).toBe(0);
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.setContent(readFileSync(`${base}.html`, 'utf8'));
    const section = page.locator('#policy');
    expect(await section.locator('strong').textContent()).toBe(
      'Coverage of 2 Cloudflare back-to-origin ranges on port(s) 443: IPv4 40 %, IPv6 — (no file speaks for it) allowed',
    );
    const rows = await section.locator('table.policy tr').allTextContents();
    expect(rows[1]).toMatch(/^173\.245\.48\.0\/20443partial50 %/);
    expect(rows[2]).toMatch(/173\.245\.48\.0\/21.*drop.*pasted\.rules:3/);
    expect(rows[3]).toMatch(/173\.245\.56\.0\/21.*allow.*pasted\.rules:4/);
    expect(rows[4]).toMatch(/^103\.21\.244\.0\/22443blocked0 %pasted\.rules:2 +\(chain default\)/);
    await context.close();
    const md = readFileSync(`${base}.md`, 'utf8');
    expect(md).toContain('| ↳ `173.245.48.0/21` | | drop | pasted.rules:3');
  }, 60_000);
});

describe('the XSS canary', () => {
  test('headers, certificate subjects, banners and pasted configs: no markup runs, the text shows literally', async () => {
    const db = await store(withPolicy(sampleReport(CANARY), CANARY), `pasted nginx.conf:\n${CANARY}`);
    const base = path.join(dir, 'canary');
    const r = await runCli([
      'export',
      '11111111',
      '--db',
      db,
      '--html',
      `${base}.html`,
      '--pdf',
      `${base}.pdf`,
      '--md',
      `${base}.md`,
    ]);
    expect(r.code).toBe(0);
    const html = readFileSync(`${base}.html`, 'utf8');
    // Escaped, the payloads are text; as markup they would start with a raw "<".
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).not.toContain('\u202E');
    expect(html).not.toContain('\u001b');
    // Loaded with JavaScript ON: nothing may run, no element may carry a handler.
    const context = await browser.newContext({ javaScriptEnabled: true });
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.setContent(html);
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
    expect(await page.locator('script, img, iframe, object, embed').count()).toBe(0);
    const handlers = await page.evaluate(
      `[...document.querySelectorAll('*')].flatMap((e) => e.getAttributeNames().filter((a) => a.startsWith('on')))`,
    );
    expect(handlers).toEqual([]);
    const body = (await page.locator('body').textContent()) ?? '';
    expect(body).toContain('<script>alert(1)</script>');
    expect(body).toContain('"><img src=x onerror=alert(2)>');
    expect(body).toContain('\\u{202e}evil');
    expect(body).toContain('\\u{1b}[31mred');
    await context.close();
    const text = execFileSync('pdftotext', [`${base}.pdf`, '-'], { encoding: 'utf8' });
    expect(text).toContain('<script>alert(1)</script>');
    const md = readFileSync(`${base}.md`, 'utf8');
    // Outside code fences (which show their content literally) no "<" may stay unescaped.
    expect(md.replace(/^(`{3,})[\s\S]*?^\1/gm, '')).not.toMatch(/(?<!\\)<(script|img)/i);
    expect(md).toContain('\\<script\\>');
  }, 60_000);
});

describe('redaction', () => {
  test('private addresses, internal names, cookies, credentials and tokens become stable pseudonyms everywhere', () => {
    const secret = sampleReport();
    secret.probes[2]!.raw =
      'GET / Host: db01.corp.internal Cookie: session=abc123; Authorization: Bearer sk_live_42 from 10.1.2.3 token=zzz999';
    secret.findings[0]!.params.detail = 'seen from 10.1.2.3 and fd12:3456::9 via db01.corp.internal';
    secret.session.environment.host = '10.1.2.3';
    const red = redactReport(secret);
    const json = JSON.stringify(red.report);
    for (const leaked of ['10.1.2.3', 'fd12:3456::9', 'db01.corp.internal', 'abc123', 'sk_live_42', 'zzz999'])
      expect(json).not.toContain(leaked);
    expect(json).toContain('203.0.113.7');
    expect(red.report.session.environment.host).toBe('[private-ip-1]');
    expect(red.report.findings[0]!.params.detail).toContain('[private-ip-1]');
    expect(red.counts).toMatchObject({
      private_address: 3,
      internal_host: 1,
      cookie: 1,
      authorization: 1,
      token: 1,
    });
    const rendered = renderReport(secret, {
      lang: 'en',
      redact: true,
      now: new Date(),
      timeZone: 'UTC',
      notes: 'call 10.1.2.3 first',
    });
    expect(rendered.html).not.toContain('10.1.2.3');
    expect(rendered.html).toContain('call [private-ip-1] first');
    expect(rendered.html).toMatch(/Redacted before sharing: private addresses × 3/);
    expect(rendered.markdown).not.toContain('sk_live_42');
  });
});
