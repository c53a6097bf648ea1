import { createTranslator } from '../../shared/i18n/translate';
import { rederivedReport } from '../../main/use-cases/stored-report';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openDatabase } from '../../main/db/open';
import { SessionsRepo } from '../../main/db/sessions-repo';
import { importSessions } from '../../main/use-cases/sessions';
import { renderReport } from '../../main/use-cases/export-report';
import type { Finding, Report } from '../../shared/model/report';
import { runCli } from '../lab/cli';
import { sampleReport, withPolicy } from '../lab/report-fixture';

// What a customer's engineer gets: each HTTP exchange as it was (status line, headers, the start of the body), and
// a PDF whose tables read — ids and URLs wrap between their words, never inside one.

const CANARY = '<script>alert(1)</script>';
const LAB = ['https://198.18.1.2:8443', 'http://[2001:db8:1::2]:8080', 'ssh://198.18.1.2:22'];
const LONG_IDS = [
  'policy.backorigin_not_allowed',
  'tls.cert_expiring_soon',
  'mgmt.no_answer',
  'tls.hostname_mismatch',
];

/** The sample session with an origin that answers 503 with a cookie and an HTML body, and findings on lab targets. */
function richReport(): Report {
  const r = withPolicy(sampleReport());
  const http = r.probes.find((p) => p.kind === 'http')!;
  const chain = (http.data as { chain: Record<string, unknown>[] }).chain;
  chain[0] = {
    ...chain[0],
    status: 503,
    statusText: 'Service Unavailable',
    headers: {
      server: `nginx ${CANARY}`,
      'set-cookie': 'sid=s3cr3t-value; Path=/',
      'x-upstream': '10.1.2.3:8080',
      'retry-after': '30',
    },
    bodySample: `<h1>503 ${CANARY}</h1> upstream 10.1.2.3 busy\n${'y'.repeat(1500)}`,
    bodyBytes: 4096,
  };
  const extra: Finding[] = LONG_IDS.flatMap((id, i) => [
    {
      id,
      severity: 'warn' as const,
      layer: id.startsWith('policy') ? ('policy' as const) : ('protocol' as const),
      target: LAB[i % LAB.length]!,
      message: id,
      evidence: ['http-1', 'tls-1', 'tcp-1'],
      params: {},
    },
  ]);
  return { ...r, findings: [...r.findings, ...extra] };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'od-report-print-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the raw evidence of each HTTP exchange', () => {
  test('HTML and Markdown show the status line, every header and the start of the body, escaped', () => {
    for (const lang of ['en', 'zh-CN'] as const) {
      const out = renderReport(richReport(), { lang, redact: false, now: new Date(), timeZone: 'UTC' });
      for (const text of [out.html, out.markdown]) {
        expect(text).toContain(`${text === out.html ? '&#62;' : '>'} GET / HTTP/1.1`);
        expect(text).toContain('HTTP/1.1 503 Service Unavailable');
        expect(text).toContain('set-cookie: sid=s3cr3t-value; Path=/');
        expect(text).toContain('retry-after: 30');
        expect(text).toContain('upstream 10.1.2.3 busy');
      }
      // The body is cut, and the reader is told so; the script in it is text.
      expect(out.html).toContain(
        lang === 'en' ? '(body: 4096 bytes; the first 1024 characters shown)' : '仅显示前 1024',
      );
      expect(out.html).not.toMatch(/<script/i);
      expect(out.html).toContain('&#60;h1&#62;503 &#60;script&#62;');
      expect(out.markdown).toMatch(/```+\n[^`]*< HTTP\/1\.1 503 Service Unavailable/);
    }
  });

  test('redacted: the cookie and the internal address in the headers and the body are pseudonyms everywhere', () => {
    const out = renderReport(richReport(), { lang: 'en', redact: true, now: new Date(), timeZone: 'UTC' });
    for (const text of [out.html, out.markdown]) {
      expect(text).toContain('HTTP/1.1 503 Service Unavailable');
      expect(text).not.toContain('s3cr3t-value');
      expect(text).not.toContain('10.1.2.3');
      expect(text).toMatch(/set-cookie: \[cookie-1\]/);
      expect(text).toContain('upstream [private-ip-1] busy');
    }
  });
});

/** Stores a report as a session (through the import use-case) and returns the database file. */
async function store(report: Report): Promise<string> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.sqlite`);
  const { db } = await openDatabase(file);
  const doc = {
    format: 'origin-doctor-sessions' as const,
    version: 1 as const,
    exportedAt: new Date().toISOString(),
    sessions: [{ report, status: 'finished' as const, parentId: null, tags: [], notes: '' }],
  };
  importSessions(new SessionsRepo(db), doc, () => 'x', db);
  db.close();
  return file;
}

/**
 * Words of the PDF's text (pdftotext -raw keeps each table cell's lines together) that are a piece of a longer
 * id, target or column title cut anywhere but where it may wrap: at a dot, underscore, colon or slash.
 */
function cutWords(text: string, whole: string[]): string[] {
  const words = new Set(text.split(/\s+/));
  // A title is one word; an id or target is cut inside a word when the piece already holds a separator (the word
  // `http` alone is the probe kind, not a cut of https://…).
  const cut = (w: string, x: string): boolean =>
    x !== w &&
    x.startsWith(w) &&
    w.length >= 4 &&
    // A title is cut only when its rest stands as a word too ("Findin g"): "Find" alone is an English word.
    ((/^\w+$/.test(x) && words.has(x.slice(w.length))) || /[._:/]/.test(w)) &&
    !/[._:/]$/.test(w) &&
    !/^[._:/]/.test(x.slice(w.length));
  return [...words].filter((w) => whole.some((x) => cut(w, x)));
}

describe('the PDF laid out for print', () => {
  test('ids, targets and column titles are never cut inside a word, in both languages', async () => {
    const report = richReport();
    const db = await store(report);
    // The export shows the session as the current engine derives it from the stored probes.
    const derived = rederivedReport(report);
    const shown = new Set([...derived.findings.map((f) => f.id), ...derived.causes.map((c) => c.id)]);
    const longIds = LONG_IDS.filter((id) => shown.has(id));
    expect(longIds.length).toBeGreaterThan(0);
    for (const lang of ['en', 'zh-CN'] as const) {
      const pdf = path.join(dir, `r-${lang}.pdf`);
      const run = await runCli(['export', '11111111', '--db', db, '--pdf', pdf, '--lang', lang]);
      // As root Chromium cannot start its sandbox: the PDF is printed without it, and the CLI says so.
      expect(run.stderr).toBe(
        process.getuid?.() === 0 ? `${createTranslator(lang)('report.pdf_no_sandbox')}\n` : '',
      );
      const text = execFileSync('pdftotext', ['-raw', pdf, '-'], { encoding: 'utf8' });
      const whole = [
        ...derived.findings.map((f) => f.id),
        ...LAB,
        ...(lang === 'en' ? ['Finding', 'Target', 'Evidence', 'ALLOWED', 'DECIDED'] : []),
      ];
      expect(cutWords(text, whole), lang).toEqual([]);
      for (const id of longIds) expect(text.replace(/([._])\n/g, '$1'), `${lang} ${id}`).toContain(id);
      // The exchange is in the appendix too.
      expect(text).toContain('HTTP/1.1 503 Service Unavailable');
    }
  }, 120_000);

  test('near miss: the check finds the cuts the old layout made', () => {
    const old = 'Findin\ng\npolicy.bac\nkorigin_no\nt_allowed\nhttps://19\n8.18.1.2:\n8443\nALLOWE\nD';
    expect(
      cutWords(old, ['Finding', 'policy.backorigin_not_allowed', 'https://198.18.1.2:8443', 'ALLOWED']),
    ).toEqual(['Findin', 'policy.bac', 'https://19', 'ALLOWE']);
    const wrapped = 'policy.backorigin_not_\nallowed\nhttps://\n198.18.1.2\n:8443\nEvidence';
    expect(
      cutWords(wrapped, ['policy.backorigin_not_allowed', 'https://198.18.1.2:8443', 'Evidence']),
    ).toEqual([]);
  });
});
