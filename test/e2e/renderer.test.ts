import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CHROMIUM, installBridge, launchChromium, serveRenderer } from './bridge';

let browser: Browser;
let server: { url: string; close: () => Promise<void> };
const SHOTS = path.join(__dirname, '..', '..', 'out', 'screenshots');

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (CI installs it)`);
  if (!existsSync(path.join(__dirname, '..', '..', 'out', 'renderer', 'index.html')))
    throw new Error('the renderer is not built: npm run build');
  mkdirSync(SHOTS, { recursive: true });
  server = await serveRenderer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('the setup form runs real network checks and shows findings and causes, in both languages', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await installBridge(page, server.url);
  await page.goto(server.url);
  await page.getByText('Origin Doctor').first().waitFor();
  await page.locator('textarea').fill('https://127.0.0.1:1');
  await page.getByRole('button', { name: 'Run network checks' }).click();
  await page.locator('.verdict').waitFor({ timeout: 20000 });
  expect(await page.locator('.verdict').textContent()).toBe('Verdict: broken');
  expect(await page.locator('.findings code').allTextContents()).toContain('tcp.refused');
  expect(await page.locator('.causes > li code').first().textContent()).toBe('cause.service_down');
  await page.screenshot({ path: path.join(SHOTS, 'setup-en.png'), fullPage: true });

  await page.getByLabel('Language').selectOption('zh-CN');
  await page.getByText('结论：故障').waitFor();
  expect(await page.locator('.findings li div').first().textContent()).toContain('拒绝连接');
  await page.screenshot({ path: path.join(SHOTS, 'setup-zh.png'), fullPage: true });

  await page.reload();
  await page.getByRole('button', { name: '运行网络检查' }).waitFor();
  expect(errors).toEqual([]);
  await context.close();
});

test('bad input is explained in the page, not thrown', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await installBridge(page, server.url);
  await page.goto(server.url);
  await page.locator('textarea').fill('http://0177.0.0.1:80');
  await page.getByRole('button', { name: 'Run network checks' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  expect(await alert.textContent()).toMatch(
    /Origin endpoints: "0177\.0\.0\.1" is not a plain dotted IPv4 address/,
  );
  await context.close();
});

test('a page outside the app is refused by the IPC wrapper', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await installBridge(page, 'http://127.0.0.1:1/');
  await page.goto(server.url);
  await page.locator('textarea').fill('https://127.0.0.1:1');
  await page.getByRole('button', { name: /Run network checks|运行网络检查/ }).click();
  await page.getByRole('alert').waitFor();
  expect(await page.getByRole('alert').textContent()).toMatch(/did not come from the app|不是来自应用/);
  await context.close();
});
