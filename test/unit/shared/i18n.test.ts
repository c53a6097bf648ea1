import { expect, test } from 'vitest';
import { CAUSE_IDS, FINDING_IDS } from '../../../shared/catalog/ids';
import en from '../../../shared/i18n/locales/en.json';
import zh from '../../../shared/i18n/locales/zh-CN.json';

const placeholders = (s: string): string[] => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!).sort();

test('both languages have the same keys and the same placeholders', () => {
  expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  for (const [key, text] of Object.entries(en)) {
    expect([key, placeholders((zh as Record<string, string>)[key]!)]).toEqual([key, placeholders(text)]);
  }
});

test('every finding and cause id has words in both languages', () => {
  for (const id of FINDING_IDS) expect(Object.keys(en)).toContain(`finding.${id}`);
  for (const id of CAUSE_IDS) expect(Object.keys(en)).toContain(`${id}.summary`);
});

test('Chinese texts are really Chinese (no English left behind by mistake)', () => {
  for (const [key, text] of Object.entries(zh)) {
    // Brand names (Cloudflare, Akamai) and tokens such as "TLS" are written the same in Chinese.
    if (
      key === 'provider.cloudflare' ||
      key === 'provider.akamai' ||
      key === 'app.title' ||
      key === 'report.phase_tls' ||
      key === 'input.field_prefix' ||
      key === 'cli.progress_done'
    )
      continue;
    expect([key, /[\u4e00-\u9fff]/.test(text)]).toEqual([key, true]);
  }
});

test('every cause has a knowledge-base article in both languages, every part filled', () => {
  for (const id of CAUSE_IDS)
    for (const part of ['meaning', 'why', 'confirm', 'fix', 'provider']) {
      const key = `kb.${id}.${part}`;
      expect([key, (en as Record<string, string>)[key]?.length ?? 0]).not.toEqual([key, 0]);
      expect([key, (zh as Record<string, string>)[key]?.length ?? 0]).not.toEqual([key, 0]);
    }
});

test('every finding has a knowledge-base article in both languages: what it means and how to confirm it', () => {
  for (const id of FINDING_IDS)
    for (const part of ['meaning', 'confirm']) {
      const key = `kb.finding.${id}.${part}`;
      expect([key, (en as Record<string, string>)[key]?.length ?? 0]).not.toEqual([key, 0]);
      expect([key, (zh as Record<string, string>)[key]?.length ?? 0]).not.toEqual([key, 0]);
    }
});
