import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { closeDatabases, DbError, openDatabase, toDbError, useNativeBinding } from '../../main/db/open';

// The desktop app's hold on the history: the addon it names, and closing what it opened when it quits.
const made: string[] = [];
const scratch = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'od-native-'));
  made.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  useNativeBinding(undefined);
  closeDatabases();
});

async function openError(file: string): Promise<DbError> {
  try {
    const opened = await openDatabase(file);
    opened.db.close();
  } catch (e) {
    if (e instanceof DbError) return e;
    throw e;
  }
  throw new Error('expected the database not to open');
}

describe('the native binding the app names', () => {
  test('missing: the history names the file, and nothing is created', async () => {
    const dir = scratch();
    const addon = path.join(dir, 'native', 'better_sqlite3.node');
    useNativeBinding(addon);
    const e = await openError(path.join(dir, 'h.sqlite'));
    expect(e.key).toBe('db.native_missing');
    expect(e.params.file).toBe(addon);
    expect(String(e.params.reason)).toContain('better_sqlite3.node');
    expect(String(e.params.reason)).not.toContain('\n');
  });

  test('not loadable (a damaged file): the same message, with the loader’s reason', async () => {
    const dir = scratch();
    const addon = path.join(dir, 'better_sqlite3.node');
    writeFileSync(addon, Buffer.alloc(64, 1));
    useNativeBinding(addon);
    const e = await openError(path.join(dir, 'h.sqlite'));
    expect(e.key).toBe('db.native_missing');
    expect(e.params).toMatchObject({ file: addon });
  });

  test('near miss: with no binding named (the CLI), a module error stays a plain database failure', () => {
    const e = toDbError(
      Object.assign(new Error('Cannot find module x'), { code: 'MODULE_NOT_FOUND' }),
      '/x.sqlite',
    );
    expect(e.key).toBe('db.failed');
  });
});

describe('closing what was opened, on quit', () => {
  test('every database still open is closed and its WAL folded back; one its owner closed is left alone', async () => {
    const dir = scratch();
    const a = await openDatabase(path.join(dir, 'a.sqlite'));
    const b = await openDatabase(path.join(dir, 'b.sqlite'));
    const c = await openDatabase(path.join(dir, 'c.sqlite'));
    c.db.close();
    expect(existsSync(path.join(dir, 'a.sqlite-wal'))).toBe(true);
    expect(closeDatabases()).toBe(2);
    expect([a.db.open, b.db.open]).toEqual([false, false]);
    expect(existsSync(path.join(dir, 'a.sqlite-wal'))).toBe(false);
    expect(closeDatabases()).toBe(0);
  });
});
