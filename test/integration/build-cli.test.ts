import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

// `npm run diagnose` runs scripts/build-cli.mjs before every call: it must rebuild only when a source is newer
// than the bundle. Run on a copy of the sources, so the checkout's own bundle is left alone.
const ROOT = path.join(__dirname, '..', '..');

describe('build-cli rebuilds only when a source is newer than the bundle', () => {
  let dir: string;
  const bundle = (): string => path.join(dir, 'out', 'cli', 'origin-doctor.cjs');
  const built = (): number => statSync(bundle()).mtimeMs;
  const buildCli = (...args: string[]) => {
    const run = spawnSync(process.execPath, ['scripts/build-cli.mjs', ...args], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout + run.stderr;
  };
  /** Dates a file just after the last build, as an edit made after it would be (and before the next one). */
  const edit = (file: string): void => {
    const later = new Date(built() + 10);
    utimesSync(path.join(dir, file), later, later);
  };

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'od-build-cli-'));
    for (const f of ['main', 'shared', 'bench', 'test', 'scripts', 'package.json', 'package-lock.json'])
      cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
    for (const f of ['tsconfig.json', 'tsconfig.base.json', 'tsconfig.node.json', 'tsconfig.web.json'])
      cpSync(path.join(ROOT, f), path.join(dir, f));
    symlinkSync(realpathSync(path.join(ROOT, 'node_modules')), path.join(dir, 'node_modules'));
    buildCli();
  }, 60_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('up to date: nothing rebuilt, nothing printed', () => {
    const before = built();
    expect(buildCli()).toBe('');
    expect(built()).toBe(before);
  });

  test('a newer source under main/ or shared/, or a bundled test helper, rebuilds', () => {
    for (const file of ['main/diagnosis/watch.ts', 'shared/i18n/locales/zh-CN.json', 'test/lab/certs.ts']) {
      const before = built();
      edit(file);
      expect(buildCli(), file).toBe('');
      expect(built(), file).toBeGreaterThan(before);
    }
  }, 60_000);

  test('a newer lock file or build script rebuilds; --force always does', () => {
    for (const file of ['package-lock.json', 'scripts/build-cli.mjs']) {
      const before = built();
      edit(file);
      buildCli();
      expect(built(), file).toBeGreaterThan(before);
    }
    const before = built();
    buildCli('--force');
    expect(built()).toBeGreaterThan(before);
  }, 60_000);

  test('near miss: a newer file the bundle does not include (a unit test) rebuilds nothing', () => {
    buildCli();
    const before = built();
    edit('test/unit/diagnosis/watch.test.ts');
    expect(buildCli()).toBe('');
    expect(built()).toBe(before);
  });
});
