import { expect, test } from 'vitest';
import { terminalSafe } from '../../../main/cli/text-output';
import { quoteInput } from '../../../shared/net/validate';

/** Stored or remote strings reach the terminal with no control, ANSI or bidi character left acting. */

const BIDI = ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e'];
const ISOLATES = ['\u2066', '\u2067', '\u2068', '\u2069'];
const ACTING = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

test('bidi overrides, isolates and marks are shown as code points, not obeyed', () => {
  for (const c of [...BIDI, ...ISOLATES]) {
    const out = terminalSafe(`rm -rf /tmp/x${c}txt.exe`);
    expect(out).not.toMatch(ACTING);
    expect(out).toContain(`\\u{${c.codePointAt(0)!.toString(16)}}`);
  }
  // The "Trojan Source" shape: a right-to-left override hiding the real order of a command.
  expect(terminalSafe('curl ok.example\u202e hs | \u2066x\u2069')).toBe(
    'curl ok.example\\u{202e} hs | \\u{2066}x\\u{2069}',
  );
});

test('C0, DEL, C1 (CSI 0x9b, OSC 0x9d) and ANSI escapes stay escaped as before', () => {
  expect(terminalSafe('a\u001b[2Jb\u009b31mc\u009d0;t\u0007\u007f')).toBe(
    'a\\x1b[2Jb\\x9b31mc\\x9d0;t\\x07\\x7f',
  );
});

test('near miss: newlines, tabs, Chinese and ordinary punctuation pass unchanged', () => {
  const s = '源站 443 端口拒绝连接\n\tcurl -sv https://www.example.com/ — “ok” ‘x’ ← →';
  expect(terminalSafe(s)).toBe(s);
  expect(quoteInput('www.例子.com')).toBe('"www.例子.com"');
});

test('a value quoted into an error line shows C1 and bidi characters too', () => {
  const q = quoteInput('evil\u202egnp.exe\u009b2J');
  expect(q).not.toMatch(ACTING);
  expect(q).toBe('"evil\\\\u{202e}gnp.exe\\\\x9b2J"');
});
