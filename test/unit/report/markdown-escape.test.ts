import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { mdEscape } from '../../../main/report/markdown';

/**
 * Untrusted text in the Markdown report, rendered by cmark-gfm with the autolink extension (what GitHub and most
 * ticket systems run): it must come out as text, never as a link or an image. Needs Debian's `cmark-gfm`.
 */
const CMARK = '/usr/bin/cmark-gfm';

function render(md: string): string {
  if (!existsSync(CMARK))
    throw new Error(
      'cmark-gfm is not installed: apt-get install -y cmark-gfm (the Markdown escaping test needs it)',
    );
  return execFileSync(CMARK, ['-e', 'autolink', '-e', 'table', '-e', 'strikethrough'], {
    input: md,
    encoding: 'utf8',
  });
}

const HOSTILE = [
  'see https://evil.example/track.png',
  'HTTP://EVIL.EXAMPLE/x',
  'www.evil.example/p',
  'ftp://evil.example/',
  '![pixel](https://evil.example/p.png)',
  '[click](javascript:alert(1))',
  '<https://evil.example>',
  '[x]: https://evil.example',
  '<img src=https://evil.example/p.png>',
  '-A INPUT -m comment --comment "docs at https://evil.example" -j ACCEPT',
];

describe('Markdown escaping of untrusted strings', () => {
  test.each(HOSTILE)('%s stays text', (s) => {
    const html = render(`A rule: ${mdEscape(s)}\n`);
    expect(html).not.toMatch(/<a\s|<img\s/i);
  });

  test('near miss: times, IPv6 addresses and ports read the same once rendered', () => {
    const s = 'at 10:00 from 2001:db8::1 port 443 (cloudflare.com)';
    const html = render(`${mdEscape(s)}\n`);
    expect(html.trim()).toBe(`<p>${s}</p>`);
  });
});
