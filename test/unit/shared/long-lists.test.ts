import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, test } from 'vitest';
import { appendAll, maxOf, minOf } from '../../../shared/util/arrays';
import { downsample } from '../../../shared/util/downsample';
import { renderReport } from '../../../main/use-cases/export-report';
import type { Report } from '../../../shared/model/report';
import { sampleReport } from '../../lab/report-fixture';

// More elements than V8 takes as call arguments: `Math.max(...xs)` and `push(...xs)` throw RangeError on these.
const LONG = 150_000;
const opts = { lang: 'en' as const, redact: false, now: new Date('2026-11-29T10:00:00Z'), timeZone: 'UTC' };

describe('long lists never go through call arguments', () => {
  test('maxOf / minOf / appendAll take 150k items', () => {
    const xs = Array.from({ length: LONG }, (_, i) => (i * 7919) % 100_003);
    expect(() => Math.max(...xs)).toThrow(RangeError); // the engine limit these helpers exist for
    expect(maxOf(xs)).toBe(100_002);
    expect(minOf(xs)).toBe(0);
    expect(appendAll([1], xs)).toHaveLength(LONG + 1);
  });

  test('near miss: short lists give what Math.max / Math.min give, an empty one the floor', () => {
    expect(maxOf([3, 9, 2], 1)).toBe(Math.max(1, 3, 9, 2));
    expect(minOf([3, 9, 2])).toBe(Math.min(3, 9, 2));
    expect(maxOf([], 1)).toBe(1);
    expect(maxOf([])).toBe(Math.max());
    expect(minOf([], 5)).toBe(5);
  });

  test('downsample keeps order and a failure in every merged bucket', () => {
    const items = Array.from({ length: 2000 }, (_, i) => ({ n: i + 1, ok: i !== 1234 }));
    const bars = downsample(items, 300, (g, first) => ({ first, ok: g.every((x) => x.ok), n: g.length }));
    expect(bars.length).toBeLessThanOrEqual(300);
    expect(bars.reduce((s, b) => s + b.n, 0)).toBe(2000);
    expect(bars.filter((b) => !b.ok)).toHaveLength(1);
    // Near miss: fewer items than bars are drawn one by one.
    expect(downsample(items.slice(0, 20), 300, (g) => g.length)).toEqual(Array(20).fill(1));
  });

  test(
    'a report with 150k TCP attempts exports as HTML, Markdown and JSON (RangeError before)',
    { timeout: 120_000 },
    () => {
      const report = sampleReport();
      const tcp = report.probes.find((p) => p.kind === 'tcp')!;
      const attempts = Array.from({ length: LONG }, (_, i) => ({
        seq: i + 1,
        outcome: 'connected',
        ms: 10 + (i % 50),
        code: null,
      }));
      const big: Report = {
        ...report,
        probes: report.probes.map((p) => (p === tcp ? { ...p, data: { ...p.data, attempts } } : p)),
      };
      const out = renderReport(big, opts);
      expect(out.html).toContain('</html>');
      expect(out.markdown.length).toBeGreaterThan(0);
      expect(JSON.parse(out.json).probes.length).toBe(report.probes.length);
    },
  );

  test('Markdown fences notes holding 150k backtick runs (RangeError before)', () => {
    // Notes come from the person or an imported file; they are fenced, with more backticks than any run inside.
    const md = renderReport(sampleReport(), { ...opts, notes: 'a`'.repeat(LONG) }).markdown;
    expect(md).toContain('``\na`a`');
  });

  test(
    'a report whose probes start at 150k different times exports (RangeError before)',
    { timeout: 120_000 },
    () => {
      const report = sampleReport();
      const base = report.probes[0]!;
      const probes = Array.from({ length: LONG }, (_, i) => ({
        ...base,
        id: `p${i}`,
        startedAt: new Date(Date.parse(base.startedAt) + i).toISOString(),
      }));
      const out = renderReport({ ...report, probes }, opts);
      expect(out.html).toContain('</html>');
    },
  );
});

describe('the lint gate keeps long lists out of call arguments', () => {
  const root = path.join(__dirname, '..', '..', '..');
  const eslint = new ESLint({ cwd: root });
  const lint = async (code: string): Promise<string[]> => {
    const [r] = await eslint.lintText(code, { filePath: path.join(root, 'main/report/gate-check.ts') });
    return r!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
  };
  test.each([
    'export const m = (xs: number[]) => Math.max(1, ...xs);\n',
    'export const m = (xs: number[]) => Math.min(...xs);\n',
    'export const f = (out: number[], xs: number[]) => out.push(...xs);\n',
    'export const s = (xs: number[]) => String.fromCharCode(...xs);\n',
  ])('%s', async (code) => {
    expect(await lint(code)).toEqual([expect.stringMatching(/throws on long lists/)]);
  });
  test('near miss: spreading into an array literal, or a plain call, is fine', async () => {
    expect(
      await lint(
        'export const a = (xs: number[]) => [...xs, 1];\nexport const b = (out: number[], xs: number[]) => out.push(xs.length);\n',
      ),
    ).toEqual([]);
  });
});
