import { expect, test } from 'vitest';
import { contentLines } from '../../main/origin/lines';

test('the non-blank lines, as splitting at \\r?\\n and dropping the blank ones would give', () => {
  const text = 'a\r\n\r\n  \t\nb c \n\u000b\u000c\r\n\nlast';
  expect(contentLines(text)).toEqual(['a', 'b c ', 'last']);
  expect(contentLines(text)).toEqual(text.split(/\r?\n/).filter((l) => l.trim() !== ''));
});

test('near misses: a lone CR is not a line break; non-ASCII space keeps a line (the readers trim it)', () => {
  expect(contentLines('a\rb\n')).toEqual(['a\rb']);
  expect(contentLines('\u00a0\n\u3000')).toEqual(['\u00a0', '\u3000']);
  expect(contentLines('')).toEqual([]);
  expect(contentLines('\n\n\r\n')).toEqual([]);
});
