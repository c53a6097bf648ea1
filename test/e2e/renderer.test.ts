import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  CHROMIUM,
  clipboardWrites,
  installBridge,
  launchChromium,
  savedFiles,
  serveRenderer,
} from './bridge';
import { bundleFromPastes } from '../../main/origin/paste';

let browser: Browser;
let server: { url: string; close: () => Promise<void> };
let origin: http.Server;
let originUrl: string;
const SHOTS = path.join(__dirname, '..', '..', 'out', 'screenshots');
const CANARY = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (CI installs it)`);
  if (!existsSync(path.join(__dirname, '..', '..', 'out', 'renderer', 'index.html')))
    throw new Error('the renderer is not built: npm run build');
  mkdirSync(SHOTS, { recursive: true });
  server = await serveRenderer();
  browser = await launchChromium();
  // A loopback origin that answers with hostile strings in its headers and body: the XSS canary.
  origin = http.createServer((_req, res) => {
    res.writeHead(502, { server: CANARY.replace(/[^\x20-\x7e]/g, ''), 'content-type': 'text/html' });
    res.end(`<h1>${CANARY}</h1>`);
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  origin?.close();
});

async function open(
  locale = 'en-US',
  dbFile?: string,
): Promise<{ page: Page; errors: string[]; dbFile: string }> {
  const context = await browser.newContext({ locale, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  const bridge = await installBridge(page, server.url, dbFile ? { dbFile } : {});
  await page.goto(server.url);
  await page.getByText('Origin Doctor').first().waitFor();
  return { page, errors, dbFile: bridge.dbFile };
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

test('the whole journey: setup, every step, policy re-run, diagnosis, export, history, re-test, compare, notes, delete', async () => {
  const { page, errors, dbFile } = await open();
  // Setup
  await page.getByLabel('Origin endpoints').fill(`${originUrl}\nhttp://127.0.0.1:1`);
  await page.getByLabel('Provider', { exact: true }).selectOption('cloudflare');
  await page.getByLabel('Symptom').selectOption('502');
  await shot(page, 'step-setup-en');
  // Live progress while it runs (recorded as it appears: a fast run may show it only briefly),
  // then the wizard lands on the first failing step.
  await page.evaluate(`(() => {
    window.sawRunning = false;
    const look = () => {
      for (const el of document.querySelectorAll('[role=status]'))
        if (el.textContent.includes('Running')) window.sawRunning = true;
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
  await page.getByRole('button', { name: 'Run the checks' }).click();
  await page.locator('.stepper .step.current', { hasText: 'Network' }).waitFor({ timeout: 20000 });
  expect(await page.evaluate('window.sawRunning')).toBe(true);
  expect(await page.locator('.findings code').allTextContents()).toContain('tcp.refused');
  expect(await page.locator('.charts figure').count()).toBeGreaterThan(0);
  await shot(page, 'step-network-en');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.locator('.findings code', { hasText: 'http.5xx' }).waitFor();
  // The hostile body is shown as text in the raw evidence, never run.
  await page.locator('table.probes summary').first().click();
  await shot(page, 'step-protocol-en');
  // Policy: rules given after the run, then this step alone runs again (a new session linked to the first).
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText(/No rules analysed yet/).waitFor();
  const fixture = path.join(__dirname, '..', 'fixtures', 'policy', 'aws-sg.json');
  await page.getByTestId('rules-drop').locator('input[type=file]').setInputFiles(fixture);
  await page.getByText('aws-sg.json').waitFor();
  await page.getByRole('button', { name: 'Run this step again' }).click();
  await page
    .locator('.findings code', { hasText: 'policy.backorigin_not_allowed' })
    .first()
    .waitFor({ timeout: 20000 });
  await shot(page, 'step-policy-en');
  // Origin: output pasted from the server.
  await page.getByRole('button', { name: 'Next' }).click();
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
  const dt = await page.evaluateHandle(
    `(() => { const d = new DataTransfer(); d.items.add(new File([${JSON.stringify(JSON.stringify(bundle))}], 'origin.json', { type: 'application/json' })); return d; })()`,
  );
  await page.getByTestId('origin-drop').dispatchEvent('drop', { dataTransfer: dt });
  await page.getByTestId('origin-drop').locator('code', { hasText: 'origin.json' }).waitFor();
  await page.getByRole('button', { name: 'Run this step again' }).click();
  await page.locator('.findings code', { hasText: 'origin.bound_loopback' }).waitFor({ timeout: 20000 });
  await page.getByLabel(/Notes for this step/).fill('Customer says nginx was moved to 127.0.0.1 on Monday.');
  await page.getByText('saved with the session').waitFor();
  await shot(page, 'step-origin-en');
  // Diagnosis: ranked causes, knowledge article, fixes as code copied.
  await page.getByRole('button', { name: 'Next' }).click();
  expect(await page.locator('.causes > li code').first().textContent()).toBe('cause.bound_to_loopback');
  await page.locator('.kb summary').first().click();
  await page.locator('.kb dd').first().waitFor();
  await page.getByRole('button', { name: 'Copy this command' }).first().click();
  expect(clipboardWrites.at(-1)).toMatch(/\S/);
  await page.getByRole('button', { name: 'Copy all' }).click();
  await page.getByRole('button', { name: 'Copied' }).waitFor();
  expect(clipboardWrites.at(-1)).toContain('resource "aws_vpc_security_group_ingress_rule" "cdn_ipv4"');
  await shot(page, 'step-diagnosis-en');
  // Report: HTML and PDF saved through the save port.
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Export HTML' }).click();
  await page.getByText(/Saved to .*\.html/).waitFor();
  await page.getByRole('button', { name: 'Export PDF' }).click();
  await page.getByText(/Saved to .*\.pdf/).waitFor({ timeout: 30000 });
  await shot(page, 'step-report-en');
  const html = readFileSync(savedFiles.find((f) => f.name.endsWith('.html'))!.path, 'utf8');
  expect(html).toContain('cause.bound_to_loopback');
  expect(html).toContain('nginx was moved to 127.0.0.1');
  expect(html).not.toContain('<img src=x');
  expect(
    readFileSync(savedFiles.find((f) => f.name.endsWith('.pdf'))!.path)
      .subarray(0, 5)
      .toString(),
  ).toBe('%PDF-');

  // History: the first run and the two step re-runs, newest first.
  await page.getByRole('tab', { name: 'History' }).click();
  await page.locator('table.sessions tbody tr').nth(2).waitFor();
  expect(await page.locator('table.sessions tbody tr').count()).toBe(3);
  await page.getByLabel('Search').fill('bound_to_loopback');
  await expect.poll(() => page.locator('table.sessions tbody tr').count()).toBe(1);
  await page.getByLabel('Search').fill('');
  await page.locator('table.sessions tbody tr').nth(2).waitFor();
  await shot(page, 'history-en');
  // Re-test the newest: a fourth session, linked.
  await page.locator('table.sessions tbody tr').first().getByRole('button', { name: 'Re-test' }).click();
  await page.locator('.stepper .step.current').waitFor();
  await expect.poll(() => page.locator('.run-progress').count(), { timeout: 20000 }).toBe(0);
  await page.getByRole('tab', { name: 'History' }).click();
  await page.locator('table.sessions tbody tr').nth(3).waitFor();
  expect(await page.locator('table.sessions tbody tr').first().textContent()).toMatch(/re-test of/);
  // Compare the first run with the origin step's session: the loopback finding is new.
  const rows = page.locator('table.sessions tbody tr');
  await rows.nth(3).getByRole('checkbox').check();
  await rows.nth(1).getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Compare the two selected' }).click();
  await page.locator('.change-new code', { hasText: 'origin.bound_loopback' }).waitFor();
  await shot(page, 'compare-en');
  // Reopened later, a session shows exactly what was seen, notes included.
  await page.getByRole('button', { name: 'Back' }).click();
  await rows.nth(1).getByRole('button', { name: 'Open' }).click();
  await page.locator('.stepper .step.current', { hasText: 'Diagnosis' }).waitFor();
  await page.locator('.stepper button', { hasText: 'Origin' }).click();
  expect(await page.getByLabel(/Notes for this step/).inputValue()).toContain('nginx was moved');
  // Export and delete.
  await page.getByRole('tab', { name: 'History' }).click();
  await rows.first().getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Export selected' }).click();
  await page.getByText(/Saved to .*\.json/).waitFor();
  await rows.first().getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByText('Delete this session?').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete for good' }).click();
  await expect.poll(() => page.locator('table.sessions tbody tr').count()).toBe(3);
  // Import brings the deleted one back.
  const exported = savedFiles
    .filter((f) => f.name.endsWith('.json') && f.name.startsWith('origin-doctor-'))
    .at(-1)!;
  await page.locator('input[type=file][accept^=".json"]').setInputFiles(exported.path);
  await page.getByText(/Imported: 1 new/).waitFor();
  expect(await rows.count()).toBe(4);
  expect(existsSync(dbFile)).toBe(true);
  expect(errors).toEqual([]);
  await page.context().close();
}, 120_000);

test('in Chinese: every step of a session, language remembered', async () => {
  const { page, errors } = await open('en-US');
  await page.getByLabel('Language').selectOption('zh-CN');
  await page.getByText('开始检查').waitFor();
  await page.getByLabel('源站地址').fill('http://127.0.0.1:1');
  await page.getByRole('button', { name: '开始检查' }).click();
  await page.locator('.stepper .step.current', { hasText: '网络' }).waitFor({ timeout: 20000 });
  expect(await page.locator('.findings li div').first().textContent()).toContain('拒绝连接');
  for (const [name, label] of [
    ['setup', '设置'],
    ['network', '网络'],
    ['protocol', '协议'],
    ['policy', '策略'],
    ['origin', '源站'],
    ['diagnosis', '诊断'],
    ['report', '报告'],
  ] as const) {
    await page.locator('.stepper button', { hasText: label }).click();
    await shot(page, `step-${name}-zh`);
  }
  await page.getByRole('tab', { name: '历史记录' }).click();
  await page.locator('table.sessions tbody tr').first().waitFor();
  await shot(page, 'history-zh');
  await page.reload();
  await page.getByRole('button', { name: '开始检查' }).waitFor();
  // The form was autosaved too: the endpoint typed before the reload is still there.
  expect(await page.getByLabel('源站地址').inputValue()).toBe('http://127.0.0.1:1');
  expect(errors).toEqual([]);
  await page.context().close();
}, 60_000);

test('a pasted 521 page: decoded, and the wizard starts at the layer it points at', async () => {
  const { page } = await open();
  await page.getByLabel('Origin endpoints').fill('http://127.0.0.1:1');
  const cf521 = readFileSync(
    path.join(__dirname, '..', 'fixtures', 'error-pages', 'cloudflare-headers-521.txt'),
    'utf8',
  );
  await page.getByLabel(/error page or response headers/).fill(cf521);
  await page.getByRole('button', { name: 'Run the checks' }).click();
  await page.locator('.stepper .step.current', { hasText: 'Network' }).waitFor({ timeout: 20000 });
  await page
    .getByText(/Recognised a Cloudflare error page: 521 \(reference 8f1c2d3e4a5b6c7e-HKG\)/)
    .waitFor();
  await page.locator('.stepper button', { hasText: 'Diagnosis' }).click();
  expect(await page.locator('.causes').textContent()).toMatch(/fits the customer's 521/);
  await page.context().close();
});

test('the XSS canary: hostile headers and bodies from the origin stay text in every view', async () => {
  const { page, errors } = await open();
  await page.getByLabel('Origin endpoints').fill(originUrl);
  await page.getByRole('button', { name: 'Run the checks' }).click();
  await page
    .locator('.stepper .step.current')
    .filter({ hasText: /Protocol|Network|Diagnosis/ })
    .waitFor({ timeout: 20000 });
  await page.locator('.stepper button', { hasText: 'Protocol' }).click();
  for (const s of await page.locator('table.probes summary').all()) await s.click();
  await page.locator('.stepper button', { hasText: 'Diagnosis' }).click();
  expect(await page.evaluate('window.__xss')).toBeUndefined();
  expect(await page.locator('img[src=x]').count()).toBe(0);
  expect(errors).toEqual([]);
  await page.context().close();
});

test('bad input is explained in the page, not thrown', async () => {
  const { page } = await open();
  await page.getByLabel('Origin endpoints').fill('http://0177.0.0.1:80');
  await page.getByRole('button', { name: 'Run the checks' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  expect(await alert.textContent()).toMatch(
    /Origin endpoints: "0177\.0\.0\.1" is not a plain dotted IPv4 address/,
  );
  // A watch that is too dense is refused with the field named.
  await page.getByLabel('Origin endpoints').fill('http://127.0.0.1:1');
  await page.getByLabel(/Watch: repeat/).check();
  await page.getByLabel('Every (seconds)').fill('0.1');
  await page.getByRole('button', { name: 'Run the checks' }).click();
  await page.getByText(/Every \(seconds\): "0\.1" is not a number of seconds/).waitFor();
  await page.context().close();
});

test('a page outside the app is refused by the IPC wrapper', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await installBridge(page, 'http://127.0.0.1:1/');
  await page.goto(server.url);
  await page.getByLabel(/Origin endpoints|源站地址/).fill('https://127.0.0.1:1');
  await page.getByRole('button', { name: /Run the checks|开始检查/ }).click();
  await page.getByRole('alert').waitFor();
  expect(await page.getByRole('alert').textContent()).toMatch(/did not come from the app|不是来自应用/);
  await context.close();
});

test('a file that is not a bundle, and rules that are not rules: said in the page, with the file named', async () => {
  const { page } = await open();
  await page.locator('.stepper button', { hasText: 'Origin' }).click();
  const notJson = path.join(__dirname, '..', 'fixtures', 'policy', 'nginx.conf');
  await page.getByTestId('origin-drop').locator('input[type=file]').setInputFiles(notJson);
  await page.getByRole('alert').waitFor();
  expect(await page.getByRole('alert').textContent()).toMatch(/nginx\.conf is not JSON/);
  await page.locator('.stepper button', { hasText: 'Policy' }).click();
  await page.getByPlaceholder('…or paste a firewall').fill('hello, these are my rules');
  await page.locator('.stepper button', { hasText: 'Setup' }).click();
  await page.getByLabel('Origin endpoints').fill('https://127.0.0.1:1');
  await page.getByRole('button', { name: 'Run the checks' }).click();
  await page.getByText(/pasted: format not recognised/).waitFor();
  await page.context().close();
});

test('settings: timeout, attempts, theme and custom ranges are used by the run and remembered', async () => {
  const { page } = await open();
  await page.getByRole('tab', { name: 'Settings' }).click();
  await page.getByLabel('TCP attempts').fill('2');
  await page.getByLabel('Timeout (ms)').fill('1000');
  await page.getByLabel('Theme').selectOption('dark');
  await page.locator('summary', { hasText: 'Alibaba Cloud' }).click();
  await page.locator('details[open] p', { hasText: /assigns back-to-origin ranges per customer/ }).waitFor();
  await page.getByLabel(/Your own back-to-origin ranges/).fill('203.0.113.0/24\n# office\n');
  expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
  await page.getByRole('tab', { name: 'Diagnose' }).click();
  await page.locator('.stepper button', { hasText: 'Setup' }).click();
  await page.getByLabel('Origin endpoints').fill('https://127.0.0.1:1');
  await page.getByRole('button', { name: 'Run the checks' }).click();
  await page.locator('.stepper .step.current', { hasText: 'Network' }).waitFor({ timeout: 20000 });
  expect(await page.locator('.findings li', { hasText: 'tcp.refused' }).textContent()).toMatch(
    /every attempt \(2\)/,
  );
  await shot(page, 'settings-dark');
  await page.reload();
  await page.getByRole('tab', { name: 'Settings' }).click();
  expect(await page.getByLabel('TCP attempts').inputValue()).toBe('2');
  expect(await page.getByLabel(/Your own back-to-origin ranges/).inputValue()).toContain('203.0.113.0/24');
  await page.getByLabel('TCP attempts').fill('99');
  await page.getByRole('tab', { name: 'Diagnose' }).click();
  await page.locator('.stepper button', { hasText: 'Setup' }).click();
  await page.getByRole('button', { name: 'Run the checks' }).click();
  await page.getByRole('alert').waitFor();
  expect(await page.getByRole('alert').textContent()).toMatch(/TCP attempts/);
  await page.context().close();
});

test('the Origin step: the exact --observe command for the session, and the imported observation per range', async () => {
  const { page } = await open();
  await page.getByLabel('Origin endpoints').fill('https://127.0.0.1:8443\nhttp://127.0.0.1:1');
  await page.getByLabel('Provider', { exact: true }).selectOption('cloudflare');
  await page.locator('.stepper button', { hasText: 'Origin' }).click();
  await expect
    .poll(() => page.getByTestId('observe-command').locator('code').textContent())
    .toBe(
      'sudo origin-doctor origin-check --observe 60 --provider cloudflare --port 1 --port 8443 --json origin.json',
    );
  const { bundle } = bundleFromPastes([], [443], new Date('2026-11-29T09:00:00Z'));
  const withObservation = {
    ...bundle,
    observation: {
      startedAt: '2026-11-29T09:00:00.000Z',
      seconds: 3,
      durationMs: 3000,
      endedEarly: false,
      ranges: ['198.18.200.0/24'],
      ports: [443],
      capture: {
        tool: 'tcpdump',
        interface: 'any',
        filter: 'x',
        problem: null,
        detail: null,
        packets: 4,
        notFollowed: 0,
      },
      rows: [
        {
          port: 443,
          range: '198.18.200.0/24',
          attempted: 2,
          synAck: 0,
          rst: 0,
          icmp: 0,
          unanswered: 2,
          pending: 0,
          examples: [],
        },
        {
          port: 443,
          range: null,
          attempted: 1,
          synAck: 1,
          rst: 0,
          icmp: 0,
          unanswered: 0,
          pending: 0,
          examples: [],
        },
      ],
      counters: null,
      conntrackFullDelta: null,
      listenQueueDelta: null,
      firewallLog: null,
      needsRoot: [],
      unavailable: [],
    },
  };
  const dt = await page.evaluateHandle(
    `(() => { const d = new DataTransfer(); d.items.add(new File([${JSON.stringify(JSON.stringify(withObservation))}], 'origin.json', { type: 'application/json' })); return d; })()`,
  );
  await page.getByTestId('origin-drop').dispatchEvent('drop', { dataTransfer: dt });
  const rows = page.getByTestId('observation-table').locator('tbody tr');
  await rows.first().waitFor();
  expect(await rows.allTextContents()).toEqual([
    '443198.18.200.0/24200020',
    '443outside the provider ranges110000',
  ]);
  await page.context().close();
});
