import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { mdEscape } from '../../../main/report/markdown';

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
