import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AS_NOBODY, CLI, runCli } from '../lab/cli';

// CI clones the checkout into a directory only root can enter (mode 0700), as `mktemp -d` and /root do. The
// unprivileged tests run the CLI as nobody: it must run from a copy, not from the checkout. A checkout like that
// is built here from the real bundle and the real node_modules.
describe('the CLI as nobody, from a checkout other users cannot enter', () => {
  let closed: string;
  let bundle: string;
  let writable: string;
  beforeAll(() => {
    closed = mkdtempSync(path.join(tmpdir(), 'od-closed-'));
    expect(process.getuid?.(), 'these tests switch to nobody with setpriv: run them as root').toBe(0);
    bundle = path.join(closed, 'out', 'cli', 'origin-doctor.cjs');
    mkdirSync(path.dirname(bundle), { recursive: true });
    cpSync(CLI, bundle);
    symlinkSync(
      realpathSync(path.join(path.dirname(CLI), '..', '..', 'node_modules')),
      path.join(closed, 'node_modules'),
    );
    chmodSync(closed, 0o700);
    writable = mkdtempSync(path.join(tmpdir(), 'od-nobody-db-'));
    chownSync(writable, 65534, 65534);
  });
  afterAll(() => {
    rmSync(closed, { recursive: true, force: true });
    rmSync(writable, { recursive: true, force: true });
  });

  test('runCli({ asNobody }) opens a SQLite history through the native module, and leaves no copy behind', async () => {
    const before = new Set(readdir());
    const run = await runCli(['history', '--db', path.join(writable, 'h.db'), '--json'], {
      asNobody: true,
      bundle,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(expect.anything());
    expect(
      readdir().filter((d) => !before.has(d) && d.startsWith('od-nobody-') && !d.startsWith('od-nobody-db')),
    ).toEqual([]);
  });

  test('near miss: the same bundle run in place as nobody cannot even be read', async () => {
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, bundle, 'help'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/EACCES|permission denied|Cannot find module/i);
  });
});

function readdir(): string[] {
  return readdirSync(tmpdir());
}
