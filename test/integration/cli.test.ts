import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { diagnose, runCli } from '../lab/cli';

describe('the acceptance run', () => {
  test('a refused loopback port: schema-valid JSON on stdout alone, tcp.refused, exit 1', async () => {
    const { report, code, stdout } = await diagnose(['--endpoint', 'https://127.0.0.1:1', '--no-trace']);
    expect(code).toBe(1);
    expect(stdout.trimStart().startsWith('{')).toBe(true);
    expect(report.findings.filter((f) => f.target === 'https://127.0.0.1:1').map((f) => f.id)).toContain(
      'tcp.refused',
    );
    expect(report.causes[0]!.id).toBe('cause.service_down');
  });
});

describe('the error page the customer got', () => {
  const fixture = (n: string) => path.join(__dirname, '..', 'fixtures', 'error-pages', n);
  test('a recognised page sets the symptom and keeps its reference', async () => {
    const { report, stderr } = await diagnose([
      '--endpoint',
      'https://127.0.0.1:1',
      '--no-trace',
      '--symptom-page',
      fixture('cloudflare-522.html'),
    ]);
    expect(stderr).toMatch(
      /Recognised a Cloudflare error page: 522 \(reference 8f1c2d3e4a5b6c7d\); starting at the Network layer/,
    );
    expect(report.session.input.symptom).toBe('522');
    expect(report.session.input.symptomDetail).toEqual({
      provider: 'cloudflare',
      code: 522,
      reference: '8f1c2d3e4a5b6c7d',
      layer: 'network',
    });
  });
  test('an unknown page is said to be not recognised, and nothing is guessed', async () => {
    const { report, stderr } = await diagnose([
      '--endpoint',
      'https://127.0.0.1:1',
      '--no-trace',
      '--symptom-page',
      fixture('unknown.html'),
    ]);
    expect(stderr).toMatch(/was not recognised/);
    expect(report.session.input.symptom).toBeNull();
  });
});

describe('bad input: exit 2 and one line that says what to do, never a stack trace', () => {
  const cases: [string, string[], RegExp][] = [
    ['malformed endpoint', ['--endpoint', '203.0.113.7:443'], /scheme:\/\/address:port/],
    ['port 0', ['--endpoint', 'http://203.0.113.7:0'], /1 to 65535/],
    ['port 70000', ['--endpoint', 'http://203.0.113.7:70000'], /1 to 65535/],
    ['octal IPv4', ['--endpoint', 'http://0177.0.0.1:80'], /four decimal numbers/],
    ['short IPv4', ['--endpoint', 'http://1.2.3:80'], /four decimal numbers/],
    ['a value that looks like an option', ['--endpoint', '-n'], /starts with "-"/],
    ['an option-like value written with =', ['--endpoint=-n'], /looks like an option/],
    [
      'bad CIDR',
      ['--endpoint', 'http://203.0.113.7', '--source-range', '10.0.0.1/8'],
      /did you mean 10\.0\.0\.0\/8/,
    ],
    ['unknown option', ['--endpoint', 'http://203.0.113.7', '--frobnicate'], /unknown option "--frobnicate"/],
    ['empty domain', ['--domain', ''], /domain is empty/],
    ['nothing to do', [], /nothing to check/],
    [
      'unknown provider',
      ['--endpoint', 'http://203.0.113.7', '--provider', 'nope'],
      /known providers: cloudflare/,
    ],
    ['timeout out of range', ['--endpoint', 'http://203.0.113.7', '--timeout', '5'], /from 100 to 60000/],
    ['attempts out of range', ['--endpoint', 'http://203.0.113.7', '--attempts', '1000'], /from 1 to 20/],
    ['a stray argument', ['http://203.0.113.7'], /unexpected argument/],
    ['NUL in a domain', ['--domain', 'www.exa\u0001mple.com'], /control characters/],
    [
      'health path with a space',
      ['--endpoint', 'http://203.0.113.7', '--health-path', '/a b'],
      /must start with "\/"/,
    ],
    ['bad symptom', ['--endpoint', 'http://203.0.113.7', '--symptom', '999'], /is not one of/],
    [
      'a Host with CR/LF',
      ['--endpoint', 'http://203.0.113.7', '--domain', 'www.example.com\r\nX-Injected: 1'],
      /control characters/,
    ],
    [
      'a CA file that is not PEM',
      ['--endpoint', 'https://203.0.113.7', '--ca', '/etc/hostname'],
      /holds no PEM certificate/,
    ],
    [
      'a CA file that does not exist',
      ['--endpoint', 'https://203.0.113.7', '--ca', '/nonexistent.pem'],
      /cannot read "\/nonexistent\.pem" \(ENOENT\)/,
    ],
    [
      'a bad SSL mode',
      ['--endpoint', 'https://203.0.113.7', '--ssl-mode', 'strictest'],
      /flexible, full, strict/,
    ],
  ];
  test.each(cases)('%s', async (_name, args, message) => {
    const run = await runCli(['diagnose', ...args]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^origin-doctor: /);
    expect(lines[0]).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  test('unreadable output file: exit 2 with the reason, and the summary is still shown', async () => {
    const run = await runCli([
      'diagnose',
      '--endpoint',
      'https://127.0.0.1:1',
      '--no-trace',
      '--json',
      '/nonexistent-dir/x.json',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot write "?\/nonexistent-dir\/x\.json"? \(ENOENT\)/);
  });

  test('messages in Chinese with --lang zh-CN', async () => {
    const run = await runCli(['diagnose', '--endpoint', 'http://203.0.113.7:0', '--lang', 'zh-CN']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/端口 70000|端口 0 超出范围/);
  });

  test('help and version exit 0', async () => {
    expect((await runCli(['help'])).stdout).toMatch(/--endpoint URL/);
    expect((await runCli(['--version'])).stdout).toMatch(/^origin-doctor \d+\.\d+\.\d+/);
    expect((await runCli(['frob'])).code).toBe(2);
  });
});

describe('origin-doctor policy', () => {
  const rules = (n: string) => path.join(__dirname, '..', 'fixtures', 'policy', n);

  test('a realistic server: coverage, every blocked sub-range with its line, every anomaly; exit 1', async () => {
    const run = await runCli([
      'policy',
      '--rules',
      rules('iptables-ufw.rules'),
      '--provider',
      'cloudflare',
      '--port',
      '443',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /Coverage of 22 Cloudflare back-to-origin ranges on port\(s\) 443: IPv4 43\.31 %/,
    );
    expect(run.stdout).toMatch(/162\.158\.90\.17\/32 +reject +iptables-ufw\.rules:44 +\(ban list\)/);
    expect(run.stdout).toMatch(/104\.24\.0\.0\/14 +443 +blocked +0 % +iptables-ufw\.rules:62/);
    expect(run.stdout).toMatch(/shadowed +iptables-ufw\.rules:63/);
    expect(run.stdout).toMatch(/open to the world +iptables-ufw\.rules:65/);
  });

  test('--json - prints the same analysis as JSON on stdout, the table on stderr', async () => {
    const run = await runCli([
      'policy',
      '--rules',
      rules('aws-sg.json'),
      '--rules',
      rules('nginx.conf'),
      '--source-range',
      '173.245.48.0/20',
      '--port',
      '443',
      '--json',
      '-',
    ]);
    const data = JSON.parse(run.stdout) as { rows: { outcome: string }[]; files: { layer: string }[] };
    expect(data.files.map((f) => f.layer)).toEqual(['cloud', 'web']);
    expect(data.rows.map((r) => r.outcome)).toEqual(['limited']);
    expect(run.stderr).toMatch(/limit_req/);
  });

  test('in Chinese', async () => {
    const run = await runCli([
      'policy',
      '--rules',
      rules('ufw-status.txt'),
      '--provider',
      'cloudflare',
      '--lang',
      'zh-CN',
    ]);
    expect(run.stdout).toMatch(/放行比例/);
    expect(run.stdout).toMatch(/部分拦截/);
  });

  test('bad input: exit 2 and one line naming the file, the line or the formats', async () => {
    const none = await runCli(['policy', '--provider', 'cloudflare']);
    expect([none.code, none.stderr]).toEqual([2, expect.stringMatching(/needs at least one --rules FILE/)]);
    const unknown = await runCli([
      'policy',
      '--rules',
      path.join(__dirname, '..', 'fixtures', 'error-pages', 'cloudflare-522.html'),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/format not recognised\. Supported: iptables, nftables, ufw/);
    const format = await runCli(['policy', '--rules', rules('ufw-status.txt'), '--rules-format', 'pf']);
    expect(format.stderr).toMatch(/"pf" is not one of: iptables/);
    const missing = await runCli(['policy', '--rules', '/nonexistent/rules']);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/nonexistent/)]);
    for (const r of [none, unknown, format, missing]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('--ranges-file replaces the preset ranges for the session; a bad line is refused with its number', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'od-ranges-'));
    const good = path.join(dir, 'ranges.txt');
    writeFileSync(good, '# assigned to this customer\r\n173.245.48.0/20\n\n103.21.244.0/22  # second\n');
    const run = await runCli([
      'policy',
      '--rules',
      rules('ufw-status.txt'),
      '--provider',
      'cloudflare',
      '--ranges-file',
      good,
      '--port',
      '443',
    ]);
    expect(run.stdout).toMatch(/Coverage of 2 Cloudflare back-to-origin ranges on port\(s\) 443: IPv4 95 %/);
    const bad = path.join(dir, 'bad.txt');
    writeFileSync(bad, '173.245.48.0/20\n173.245.48.0/33\n');
    const refused = await runCli(['policy', '--rules', rules('ufw-status.txt'), '--ranges-file', bad]);
    expect([refused.code, refused.stderr]).toEqual([
      2,
      expect.stringMatching(/bad\.txt" line 2: "173\.245\.48\.0\/33" is not a CIDR/),
    ]);
  });

  test('diagnose --rules refuses a broken file before probing anything', async () => {
    const run = await runCli([
      'diagnose',
      '--endpoint',
      'http://127.0.0.1:1',
      '--rules',
      rules('nginx.conf'),
      '--rules-format',
      'iptables',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /nginx\.conf line 1: a rule before any table|nginx\.conf has no \*filter table|nginx\.conf line \d+/,
    );
  });
});
