import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CHROMIUM, installBridge, launchChromium, serveRenderer } from './bridge';

// The Policy step's "Compare with another version" in the real renderer (Debian's Chromium), backed by the real
// engine through the test bridge: the rules and another version of them picked, the step run again, the change
// table drawn with the line responsible, hostile rule text shown as text.
let browser: Browser;
let server: { url: string; close: () => Promise<void> };
const CANARY = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;
const fixtures = path.join(__dirname, '..', 'fixtures', 'policy', 'change', 'iptables');

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (CI installs it)`);
  if (!existsSync(path.join(__dirname, '..', '..', 'out', 'renderer', 'index.html')))
    throw new Error('the renderer is not built: npm run build');
  server = await serveRenderer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('Policy step: compare the rules with another version, run the step again, read the change table', async () => {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await installBridge(page, server.url, {});
  await page.goto(server.url);
  await page.getByText('Origin Doctor').first().waitFor();
  // Port 443 on loopback: the policy is asked about the rules' own port; nothing is sent anywhere else.
  await page.getByLabel('Origin endpoints').fill('https://127.0.0.1:443');
  await page.getByLabel('Provider', { exact: true }).selectOption('cloudflare');
  await page.getByRole('button', { name: 'Run the checks' }).click();
  // The run lands on its first failing step (the refused port: Network) when it is done.
  await page.locator('.stepper .step.current').filter({ hasNotText: 'Setup' }).waitFor({ timeout: 30000 });
  await page.locator('.stepper .step', { hasText: 'Policy' }).click();
  await page.getByText(/No rules analysed yet/).waitFor();

  // The other version: the base with a DROP above the allow list whose comment is hostile.
  const dir = mkdtempSync(path.join(tmpdir(), 'od-e2e-change-'));
  const next = path.join(dir, 'next.rules');
  const base = readFileSync(path.join(fixtures, 'base.save'), 'utf8');
  writeFileSync(
    next,
    base.replace(
      '-A INPUT -s 173.245.48.0/20 ',
      `-A INPUT -s 173.245.48.0/24 -m comment --comment "${CANARY.replace(/"/g, "'")}" -j DROP\n-A INPUT -s 173.245.48.0/20 `,
    ),
  );
  await page
    .getByTestId('rules-drop')
    .locator('input[type=file]')
    .setInputFiles(path.join(fixtures, 'base.save'));
  await page.getByText('base.save').waitFor();
  await page.getByText('Compare with another version (optional)').click();
  await page.getByTestId('rules-after-drop').locator('input[type=file]').setInputFiles(next);
  await page.getByText('next.rules').waitFor();
  await page.getByRole('button', { name: 'Run this step again' }).click();

  const table = page.getByTestId('policy-change');
  await table.waitFor({ timeout: 30000 });
  await expect.poll(() => table.textContent()).toContain('NOT safe for the CDN');
  const text = (await table.textContent()) ?? '';
  expect(text).toContain('173.245.48.0/20');
  expect(text).toContain('173.245.48.0/24');
  expect(text).toContain(
    'base.save:8  -A INPUT -s 173.245.48.0/20 -p tcp -m multiport --dports 80,443 -j ACCEPT',
  );
  expect(text).toContain('next.rules:8  -A INPUT -s 173.245.48.0/24 -m comment');
  // The hostile comment is text on the page, never markup that runs.
  expect(text).toContain('<img src=x onerror=');
  expect(await page.evaluate('window.__xss')).toBeUndefined();
  expect(await table.locator('img, script').count()).toBe(0);
  expect(await page.locator('tr.chg-taken:not(.chg-sub)').count()).toBe(1);
  expect(errors).toEqual([]);
  await context.close();
}, 120_000);
