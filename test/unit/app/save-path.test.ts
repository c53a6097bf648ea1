import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSavePath, MAX_SAVE_NAME, sanitizeFileName } from '../../../main/app/save-path';

describe('save dialog default path', () => {
  it('keeps an ordinary report name as it is, inside the documents folder', () => {
    const name = 'origin-doctor-3f2a9c1e-0b7d-4c55-9a8e-1d2f3a4b5c6d.html';
    expect(sanitizeFileName(name)).toBe(name);
    expect(defaultSavePath('/home/ann/Documents', name, path.posix)).toBe(`/home/ann/Documents/${name}`);
    expect(defaultSavePath('C:\\Users\\ann\\Documents', name, path.win32)).toBe(
      `C:\\Users\\ann\\Documents\\${name}`,
    );
  });

  it('turns traversal, separators and control characters in an imported id into a plain name', () => {
    for (const id of [
      '../../../etc/passwd',
      '..\\..\\Windows\\System32\\x',
      '/abs/olute',
      'a\u0000b\u202ec',
      'C:evil',
    ]) {
      const name = sanitizeFileName(`origin-doctor-${id}.json`);
      expect(name).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(name).not.toContain('..');
      expect(name.endsWith('.json')).toBe(true);
      for (const p of [path.posix, path.win32]) {
        const docs = p === path.posix ? '/home/ann/Documents' : 'C:\\Users\\ann\\Documents';
        const full = defaultSavePath(docs, `origin-doctor-${id}.json`, p);
        expect(p.dirname(full)).toBe(docs);
      }
    }
    expect(sanitizeFileName('..')).toBe('origin-doctor');
    expect(sanitizeFileName('../.json')).toBe('origin-doctor.json');
    expect(sanitizeFileName('.hidden')).toBe('hidden');
  });

  it('bounds the length and keeps the extension', () => {
    const name = sanitizeFileName(`origin-doctor-${'x'.repeat(5000)}.pdf`);
    expect(name.length).toBe(MAX_SAVE_NAME);
    expect(name.endsWith('.pdf')).toBe(true);
    expect(sanitizeFileName('a'.repeat(MAX_SAVE_NAME - 5) + '.json')).toBe(
      'a'.repeat(MAX_SAVE_NAME - 5) + '.json',
    );
  });
});
