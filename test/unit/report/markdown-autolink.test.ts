import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { mdEscape } from '../../../main/report/markdown';
import { renderReport } from '../../../main/use-cases/export-report';
import { sampleReport, withPolicy } from '../../lab/report-fixture';

/**
 * Found by the fuzz run (test/integration/fuzz.test.ts): GitHub-flavoured Markdown links bare URLs, `www.` names
 * and e-mail addresses by itself (the autolink extension), so an untrusted header or note became a link in the
 * ticket. Rendered with cmark-gfm, the reference GFM renderer (Debian package cmark-gfm).
 */
function gfm(md: string): string {
  const r = spawnSync('cmark-gfm', ['-e', 'autolink'], { input: md, encoding: 'utf8' });
  if (r.error)
    throw new Error(
      `cmark-gfm could not run (${(r.error as NodeJS.ErrnoException).code}): install the Debian package cmark-gfm`,
    );
  return r.stdout;
}

const text = (html: string): string =>
  html
    .replace(/<[^>]*>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\u2060/g, '')
    .trim();

describe('Markdown escaping defuses GFM autolinks', () => {
  for (const s of [
    'https://xq.example/path',
    'see http://xq.example/i.png)',
    'www.xq.example',
    'xq@example.com',
    'ftp://xq.example/',
  ])
    test(`no link from ${JSON.stringify(s)}, and the text reads the same`, () => {
      const html = gfm(`${mdEscape(s)}\n`);
      expect(html).not.toMatch(/<a\s/);
      expect(text(html)).toBe(s);
    });

  test('near miss: ordinary text with colons, dots and addresses reads unchanged', () => {
    for (const s of [
      '203.0.113.7:443',
      'Ray ID: 8f1a',
      'nginx/1.22.1 (Debian)',
      'a.www.b',
      '[2001:db8::7]:8080',
    ])
      expect(text(gfm(`${mdEscape(s)}\n`))).toBe(s);
  });
});

describe('policy table: a stored range cannot leave its code cell', () => {
  // Found by the fuzz run: the range went into `…` raw; a newline in it ended the table row and the rest rendered
  // as Markdown, `[click](javascript:xq)` a link. A range comes from stored or imported data, so it is untrusted.
  const rendered = (range: string): string => {
    const r = withPolicy(sampleReport());
    const probe = r.probes.find((p) => p.kind === 'policy')!;
    const data = probe.data as { rows: { range: string; segments: { range: string }[] }[] };
    for (const row of data.rows) {
      row.range = range;
      for (const s of row.segments) s.range = range;
    }
    return gfm(renderReport(r, { lang: 'en', redact: false, now: new Date(0), timeZone: 'UTC' }).markdown);
  };

  test('a newline, a pipe or backticks in a range make no link, heading or extra cell', () => {
    const html = rendered('198.18.0.0/15`|\n# xq heading\n[click](javascript:xq) ``');
    expect(html).not.toMatch(/href="[^"]*xq/);
    expect(html).not.toMatch(/<h1>[^<]*xq/);
  });

  test('near miss: a plain range is still shown as code', () => {
    expect(rendered('198.18.0.0/15')).toContain('<code>198.18.0.0/15</code>');
  });
});
