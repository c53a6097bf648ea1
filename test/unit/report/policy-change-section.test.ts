import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { runPolicy } from '../../../main/policy';
import { renderReport } from '../../../main/use-cases/export-report';
import type { Report } from '../../../shared/model/report';
import { sampleReport } from '../../lab/report-fixture';

// The reports' "change impact" section, from a session whose rule files were compared with another version: the
// verdict, coverage before → after, the changed rows with the line on each side, anomalies introduced / removed;
// every string from a rule file (its lines, its name) escaped for the medium.
const EVIL = '<script>alert(1)</script> | `tick` **bold** [x](javascript:alert(2)) \u202Eevil';
const fixtures = path.resolve(__dirname, '..', '..', 'fixtures', 'policy', 'change', 'iptables');
const base = readFileSync(path.join(fixtures, 'base.save'), 'utf8');
/** The base with a DROP inserted above the allow list, its comment and its file name hostile. */
const hostile = base.replace(
  '-A INPUT -s 173.245.48.0/20 ',
  `-A INPUT -s 173.245.48.0/24 -m comment --comment "${EVIL}" -j DROP\n-A INPUT -s 173.245.48.0/20 `,
);
const EVIL_NAME = 'next<img src=x onerror=alert(3)>.rules';

function withChange(report: Report, afterName: string, afterText: string): Report {
  const policies = [{ name: 'rules.v4', format: null, text: base }];
  const policiesAfter = [{ name: afterName, format: null, text: afterText }];
  const run = runPolicy(
    { endpoints: report.session.input.endpoints, policies, policiesAfter, provider: 'Cloudflare' },
    ['173.245.48.0/20', '103.21.244.0/22'],
    () => 0,
    [443],
  );
  if (!run.ok) throw new Error(JSON.stringify(run.error));
  return {
    ...report,
    session: { ...report.session, input: { ...report.session.input, policies, policiesAfter } },
    probes: [
      ...report.probes,
      {
        id: 'policy-1',
        kind: 'policy',
        target: 'rules.v4',
        startedAt: report.session.createdAt,
        durationMs: 2,
        status: 'ok',
        data: { ...run.data },
        raw: '',
      },
    ],
  };
}

const render = (r: Report, lang: 'en' | 'zh-CN' = 'en') =>
  renderReport(r, { lang, redact: false, now: new Date('2026-11-29T10:00:00Z'), timeZone: 'UTC' });

/** The HTML between the section's opening tag and its end. */
function section(html: string): string {
  const start = html.indexOf('<section id="policy-change">');
  expect(start).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf('</section>', start));
}

describe('reports: the change impact section', () => {
  test('HTML and Markdown carry the verdict, coverage before → after and the changed row with both lines', () => {
    const out = render(withChange(sampleReport(), EVIL_NAME, hostile));
    const html = section(out.html);
    expect(html).toContain('NOT safe for the CDN');
    expect(html).toContain('IPv4 100 % → 95 %');
    // One row changes (173.245.48.0/20 on 443); its piece is the /24 with the allow line before, the DROP after.
    expect(html).toContain('1 of 2 range × port rows change');
    expect(html).toMatch(
      /<tr class="chg-taken"><td><code>173\.245\.48\.0<wbr>\/20<\/code><\/td><td>443<\/td>/,
    );
    expect(html).toContain('173.245.48.0<wbr>/24');
    expect(html).toContain(
      'rules.v4:8  -A INPUT -s 173.245.48.0/20 -p tcp -m multiport --dports 80,443 -j ACCEPT',
    );
    expect(html).toContain(':8  -A INPUT -s 173.245.48.0/24 -m comment --comment');
    // The new DROP overlaps the allow rule below it with the opposite action: anomalies the change introduces.
    expect(html).toContain('Anomalies the change introduces (2)');
    expect(html).toMatch(
      /conflict <span class="env">affects back-to-origin traffic<\/span><\/td><td><code>next&#60;img/,
    );
    expect(html).toContain('Anomalies the change removes (0)');

    const md = out.markdown;
    expect(md).toContain('## Change impact');
    expect(md).toContain('**NOT safe for the CDN');
    expect(md).toMatch(
      /\| `173\.245\.48\.0\/20` \| 443 \| allowed \\\(100 %\\\) \| partial \\\(93\.75 %\\\) \| taken away \|/,
    );
    expect(md).toMatch(/\| ↳ `173\.245\.48\.0\/24` \| \| allow: rules\.v4:8 {2}-A INPUT/);
    // The JSON is the session: the comparison is the policy probe's `change`.
    const json = JSON.parse(out.json) as Report;
    expect(json.probes.find((p) => p.kind === 'policy')!.data).toHaveProperty('change.verdict', 'cuts');
  });

  test('hostile rule text and file names are escaped in HTML and Markdown', () => {
    const out = render(withChange(sampleReport(), EVIL_NAME, hostile));
    const html = section(out.html);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('\u202E');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('next&#60;img src=x onerror=alert(3)&#62;.rules');
    const md = out.markdown.slice(out.markdown.indexOf('## Change impact'));
    // Markdown shows a backslash-escaped `\<` as a plain `<`: no tag opens.
    expect(md).not.toMatch(/(?<!\\)<(script|img)/);
    expect(md).toContain('next\\<img src=x onerror=alert\\(3\\)\\>.rules');
    expect(md).not.toContain('](javascript');
    expect(md).not.toContain('\u202E');
    // No table row is split by a `|` from a rule line: every row of the change table has its 5 cells.
    const rows = md.split('\n').filter((l) => l.startsWith('| ↳'));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.split(/(?<!\\)\|/).length).toBe(7);
  });

  test('near miss: a harmless change reads safe in both languages; a session without a comparison has no section', () => {
    const ssh = readFileSync(path.join(fixtures, 'ssh-added.save'), 'utf8');
    const safe = render(withChange(sampleReport(), 'ssh-added.save', ssh));
    expect(section(safe.html)).toContain('Safe for the CDN');
    expect(section(safe.html)).not.toContain('chg-taken');
    expect(safe.markdown).toContain('**Safe for the CDN');
    expect(section(render(withChange(sampleReport(), 'ssh-added.save', ssh), 'zh-CN').html)).toContain(
      '对 CDN 安全',
    );
    const none = render(sampleReport());
    expect(none.html).not.toContain('id="policy-change"');
    expect(none.markdown).not.toContain('## Change impact');
  });

  test('another version that could not be read is named, never left out', () => {
    const r = withChange(
      sampleReport(),
      'next.rules',
      '*filter\n-A INPUT -s 10.0.0.0/33 -j ACCEPT\nCOMMIT\n',
    );
    const out = render(r);
    expect(section(out.html)).toContain('Change impact not computed');
    expect(section(out.html)).toContain('next.rules');
    expect(out.markdown).toContain('Change impact not computed');
  });
});
