import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { CHROMIUM, clipboardWrites, installBridge, launchChromium, serveRenderer } from './bridge';
import { bundleFromPastes } from '../../main/origin/paste';

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
  await page.locator('textarea').first().fill('https://127.0.0.1:1');
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
  await page.locator('textarea').first().fill('http://0177.0.0.1:80');
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
  await page.locator('textarea').first().fill('https://127.0.0.1:1');
  await page.getByRole('button', { name: /Run network checks|运行网络检查/ }).click();
  await page.getByRole('alert').waitFor();
  expect(await page.getByRole('alert').textContent()).toMatch(/did not come from the app|不是来自应用/);
  await context.close();
});

test('rules picked, an origin bundle dropped: the policy and origin layers in the app, fixes as code copied', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await installBridge(page, server.url);
  await page.goto(server.url);
  await page.locator('textarea').first().fill('https://127.0.0.1:1');
  await page
    .locator('label', { hasText: /^Provider/ })
    .locator('select')
    .selectOption('cloudflare');
  const fixture = path.join(__dirname, '..', 'fixtures', 'policy', 'aws-sg.json');
  await page.getByTestId('rules-drop').locator('input[type=file]').setInputFiles(fixture);
  await page.getByText('aws-sg.json').waitFor();
  // The bundle arrives by drag and drop, as a support engineer would bring the file from a chat.
  const { bundle } = bundleFromPastes(
    [
      {
        name: 'ss.txt',
        text: 'State Recv-Q Send-Q Local Peer Process\nLISTEN 0 511 127.0.0.1:1 0.0.0.0:* users:(("node",pid=4242,fd=19))\n',
      },
    ],
    [1],
    new Date('2026-11-28T10:00:00Z'),
  );
  // Runs in the page, where DataTransfer and File exist (the test's own types are Node's).
  const dt = await page.evaluateHandle(
    `(() => { const d = new DataTransfer(); d.items.add(new File([${JSON.stringify(JSON.stringify(bundle))}], 'origin.json', { type: 'application/json' })); return d; })()`,
  );
  await page.getByTestId('origin-drop').dispatchEvent('drop', { dataTransfer: dt });
  await page.getByTestId('origin-drop').locator('code', { hasText: 'origin.json' }).waitFor();
  await page.getByRole('button', { name: 'Run network checks' }).click();
  await page.locator('.verdict').waitFor({ timeout: 20000 });
  const ids = await page.locator('.findings code').allTextContents();
  expect(ids).toEqual(
    expect.arrayContaining(['origin.bound_loopback', 'policy.backorigin_not_allowed', 'tcp.refused']),
  );
  expect(await page.locator('.causes > li code').first().textContent()).toBe('cause.bound_to_loopback');
  await page.getByRole('button', { name: 'Copy all' }).click();
  await page.getByRole('button', { name: 'Copied' }).waitFor();
  const copied = clipboardWrites[clipboardWrites.length - 1]!;
  expect(copied).toContain('resource "aws_vpc_security_group_ingress_rule" "cdn_ipv4"');
  expect(copied).toContain('ansible.posix.firewalld');
  expect(copied).toContain('173.245.48.0/20');
  await page.screenshot({ path: path.join(SHOTS, 'policy-origin-en.png'), fullPage: true });
  expect(errors).toEqual([]);
  await context.close();
});

test('a file that is not a bundle, and rules that are not rules: said in the page, with the file named', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await installBridge(page, server.url);
  await page.goto(server.url);
  const notJson = path.join(__dirname, '..', 'fixtures', 'policy', 'nginx.conf');
  await page.getByTestId('origin-drop').locator('input[type=file]').setInputFiles(notJson);
  await page.getByRole('alert').waitFor();
  expect(await page.getByRole('alert').textContent()).toMatch(/nginx\.conf is not JSON/);
  await page.locator('textarea').first().fill('https://127.0.0.1:1');
  await page.getByPlaceholder('…or paste a firewall').fill('hello, these are my rules');
  await page.getByRole('button', { name: 'Run network checks' }).click();
  await page.getByText(/pasted: format not recognised/).waitFor();
  expect(readFileSync(notJson, 'utf8').length).toBeGreaterThan(0);
  await context.close();
});

test('settings: timeout, attempts, theme and custom ranges are used by the run and remembered', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await installBridge(page, server.url);
  await page.goto(server.url);
  await page.getByText('Settings').click();
  await page.getByLabel('TCP attempts').fill('2');
  await page.getByLabel('Timeout (ms)').fill('1000');
  await page.getByLabel('Theme').selectOption('dark');
  await page
    .locator('label', { hasText: /^Provider/ })
    .locator('select')
    .selectOption('aliyun');
  await page.getByText(/assigns back-to-origin ranges per customer/).waitFor();
  await page.getByLabel(/Your own back-to-origin ranges/).fill('203.0.113.0/24\n# office\n');
  expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
  await page.locator('textarea').first().fill('https://127.0.0.1:1');
  await page.getByRole('button', { name: 'Run network checks' }).click();
  await page.locator('.verdict').waitFor({ timeout: 20000 });
  expect(await page.locator('.findings li', { hasText: 'tcp.refused' }).textContent()).toMatch(
    /every attempt \(2\)/,
  );
  await page.screenshot({ path: path.join(SHOTS, 'settings-dark.png'), fullPage: true });
  // Remembered across a restart of the page.
  await page.reload();
  await page.getByText('Settings').click();
  expect(await page.getByLabel('TCP attempts').inputValue()).toBe('2');
  expect(await page.getByLabel(/Your own back-to-origin ranges/).inputValue()).toContain('203.0.113.0/24');
  // A value out of range is refused with the field named, not thrown.
  await page.getByLabel('TCP attempts').fill('99');
  await page.locator('textarea').first().fill('https://127.0.0.1:1');
  await page.getByRole('button', { name: 'Run network checks' }).click();
  await page.getByRole('alert').waitFor();
  expect(await page.getByRole('alert').textContent()).toMatch(/TCP attempts/);
  await page.getByLabel('TCP attempts').fill('4');
  await context.close();
});
