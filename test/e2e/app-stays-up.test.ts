import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CHROMIUM, installBridge, launchChromium, serveRenderer } from './bridge';
import { openDatabase } from '../../main/db/open';
import { SessionsRepo } from '../../main/db/sessions-repo';
import type { Report } from '../../shared/model/report';
import { sampleReport } from '../lab/report-fixture';

// Issue 19 item 8 in the real renderer: a view that throws shows its boundary's card while the rest of the app
// works and nothing stored is lost; a crafted big import is refused with words, never a blank window.

let browser: Browser;
let server: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (CI installs it)`);
  if (!existsSync(path.join(__dirname, '..', '..', 'out', 'renderer', 'index.html')))
    throw new Error('the renderer is not built: npm run build');
  server = await serveRenderer();
  browser = await launchChromium();
});
/** Histories made here, removed at the end. */
const made: string[] = [];
afterAll(async () => {
  await browser?.close();
  await server?.close();
  made.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function open(dbFile: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await installBridge(page, server.url, { dbFile });
  await page.goto(server.url);
  await page.getByText('Origin Doctor').first().waitFor();
  return { page, errors };
}

/** Stores reports straight into a history file, as the CLI or an older or damaged database would hold them. */
async function history(reports: { report: Report; createdAt?: string }[]): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'od-e2e-up-'));
  made.push(dir);
  const dbFile = path.join(dir, 'h.sqlite');
  const db = await openDatabase(dbFile);
  const repo = new SessionsRepo(db.db);
  for (const { report: r, createdAt } of reports) {
    const id = r.session.id;
    repo.create({
      id,
      createdAt: createdAt ?? r.session.createdAt,
      input: r.session.input,
      parentId: null,
      toolVersion: 'x',
    });
    r.probes.forEach((p) => repo.appendProbe(id, p));
    repo.finish(id, {
      status: 'finished',
      finishedAt: r.session.finishedAt,
      verdict: r.verdict,
      environment: r.session.environment,
      findings: r.findings,
      causes: r.causes,
    });
  }
  const count = () => new SessionsRepo(db.db).list({ limit: 50, offset: 0 }).total;
  expect(count()).toBe(reports.length);
  db.db.close();
  return dbFile;
}

const withId = (r: Report): Report => ({ ...r, session: { ...r.session, id: crypto.randomUUID() } });

test('a view that throws shows its card; the other views, the navigation and the stored sessions are fine', async () => {
  // A session row whose creation time is not a time (a database not written by this version): the history
  // view's date formatting throws on it (RangeError: Invalid time value).
  const good = withId(sampleReport());
  const odd = withId(sampleReport());
  const dbFile = await history([{ report: good }, { report: odd, createdAt: 'not a time' }]);
  const { page, errors } = await open(dbFile);
  await page.getByRole('tab', { name: 'History' }).click();
  const card = page.getByRole('alert').filter({ hasText: 'The history could not be shown' });
  await card.waitFor();
  expect(await card.textContent()).toMatch(/Invalid time value/);
  expect(errors).toEqual([]); // caught by the boundary: nothing reached the page as an uncaught error
  // The rest of the app works: the form, the settings, back again.
  await page.getByRole('tab', { name: 'Diagnose' }).click();
  await page.getByLabel('Origin endpoints').fill('http://127.0.0.1:1');
  await page.getByRole('tab', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: 'Diagnose' }).click();
  expect(await page.getByLabel('Origin endpoints').inputValue()).toBe('http://127.0.0.1:1');
  // "Try again" shows the card again (the data is the same), not a blank window.
  await page.getByRole('tab', { name: 'History' }).click();
  await card.getByRole('button', { name: 'Try this view again' }).click();
  await card.waitFor();
  // Nothing stored was lost.
  const db = await openDatabase(dbFile);
  expect(new SessionsRepo(db.db).list({ limit: 50, offset: 0 }).total).toBe(2);
  db.db.close();
  await page.context().close();
});

test('a crafted 7.3 MB import (130k TCP attempts) is refused with words; a 9 MB file too; the window stays up', async () => {
  const report = withId(sampleReport());
  const dbFile = await history([{ report }]);
  const { page, errors } = await open(dbFile);
  await page.getByRole('tab', { name: 'History' }).click();
  await page.locator('table.sessions tbody tr').first().waitFor();
  const dir = mkdtempSync(path.join(tmpdir(), 'od-e2e-crafted-'));
  const craft = (n: number): string => {
    const r = withId(sampleReport());
    const tcp = r.probes.find((p) => p.kind === 'tcp')!;
    const a = (tcp.data.attempts as object[])[0]!;
    tcp.data.attempts = Array.from({ length: n }, (_, i) => ({ ...a, seq: i + 1 }));
    const doc = {
      format: 'origin-doctor-sessions',
      version: 1,
      exportedAt: r.session.createdAt,
      sessions: [{ report: r, status: 'finished', parentId: null, tags: [], notes: '' }],
    };
    return JSON.stringify(doc);
  };
  const under = path.join(dir, 'crafted-7mb.json');
  writeFileSync(under, craft(130_000));
  const over = path.join(dir, 'crafted-9mb.json');
  writeFileSync(over, craft(165_000));
  const input = page.locator('input[type=file][accept^=".json"]');
  await input.setInputFiles(under);
  await page
    .getByText(/crafted-7mb\.json: session 1 is too big to import: the number of TCP attempts in one probe/)
    .waitFor({ timeout: 60_000 });
  await input.setInputFiles(over);
  await page.getByText(/crafted-9mb\.json is larger than 8 MiB/).waitFor();
  // The history is still there and the app still answers.
  expect(await page.locator('table.sessions tbody tr').count()).toBe(1);
  await page.getByRole('tab', { name: 'Diagnose' }).click();
  await page.getByLabel('Origin endpoints').waitFor();
  expect(errors).toEqual([]);
  await page.context().close();
  rmSync(dir, { recursive: true, force: true });
});
