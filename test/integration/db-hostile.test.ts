import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { openDatabase } from '../../main/db/open';
import { SessionsRepo } from '../../main/db/sessions-repo';
import { bundleHelper } from '../db/build-helper';
import { runCli } from '../lab/cli';
import { sessionInput } from '../lab/session-input';

/** The database file is the person's: what is not ours is refused untouched, and nothing in it runs. */

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'od-dbh-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('a --db file that is not ours', () => {
  test('a text file is refused with a clear line and left byte for byte as it was, even for history', async () => {
    const dir = tmp();
    const file = path.join(dir, 'notes.txt');
    writeFileSync(file, 'customer call notes\nsecond line\n');
    const before = sha(file);
    await expect(openDatabase(file)).rejects.toMatchObject({ key: 'db.not_sqlite' });
    const cli = await runCli(['history', '--db', file]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/notes\.txt is not an Origin Doctor history .* left untouched/);
    expect(sha(file)).toBe(before);
    expect(readdirSync(dir)).toEqual(['notes.txt']); // nothing renamed aside, no -wal / -shm
  });

  test('near miss: an empty file is a new database and opens', async () => {
    const file = path.join(tmp(), 'empty.sqlite');
    writeFileSync(file, '');
    const { db } = await openDatabase(file);
    expect(new SessionsRepo(db).list({}).total).toBe(0);
    db.close();
  });

  test("another program's SQLite database is refused untouched, not migrated into", async () => {
    const file = path.join(tmp(), 'other.sqlite');
    const raw = new Database(file);
    raw.exec("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('a');");
    raw.close();
    const before = sha(file);
    await expect(openDatabase(file)).rejects.toMatchObject({
      key: 'db.foreign_schema',
      params: { objects: 'table contacts' },
    });
    const cli = await runCli(['history', '--db', file]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/made by another program/);
    expect(cli.stderr).not.toMatch(/internal error/i);
    expect(sha(file)).toBe(before);
  });

  test('a trigger or a view added to our database is refused and never runs', async () => {
    const file = path.join(tmp(), 'ours.sqlite');
    const { db } = await openDatabase(file);
    db.close();
    const raw = new Database(file);
    raw.exec(`CREATE TABLE pwned (at TEXT);
      CREATE TRIGGER spy AFTER INSERT ON sessions BEGIN INSERT INTO pwned VALUES (NEW.id); END;
      CREATE VIEW peek AS SELECT id FROM sessions;`);
    raw.close();
    await expect(openDatabase(file)).rejects.toMatchObject({
      key: 'db.unknown_objects',
      params: { objects: 'table pwned, trigger spy, view peek' },
    });
    const cli = await runCli(['history', '--db', file]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/objects Origin Doctor did not make \(table pwned, trigger spy, view peek\)/);
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT count(*) AS n FROM pwned').get()).toEqual({ n: 0 });
    check.close();
  });

  test('near miss: our own database, written and reopened, opens with its sessions', async () => {
    const file = path.join(tmp(), 'mine.sqlite');
    const first = await openDatabase(file);
    new SessionsRepo(first.db).create({
      id: 's1',
      createdAt: new Date().toISOString(),
      input: sessionInput({ domain: 'www.example.com' }),
      parentId: null,
      toolVersion: 'test',
    });
    first.db.close();
    const again = await openDatabase(file);
    expect(new SessionsRepo(again.db).list({}).items.map((s) => s.id)).toEqual(['s1']);
    again.db.close();
  });
});

describe('first open from several processes at once', () => {
  test('20 processes creating one new database all succeed', async () => {
    const helper = await bundleHelper(path.join(__dirname, '..', 'db', 'open-once.ts'), 'open-once');
    for (let round = 0; round < 2; round++) {
      const file = path.join(tmp(), 'race.sqlite');
      const outs = await Promise.all(
        Array.from(
          { length: 20 },
          () =>
            new Promise<string>((resolve) => {
              const child = spawn(process.execPath, [helper, file], { stdio: ['ignore', 'pipe', 'pipe'] });
              let out = '';
              child.stdout.on('data', (d: Buffer) => (out += d.toString()));
              child.stderr.on('data', (d: Buffer) => (out += d.toString()));
              child.on('close', () => resolve(out.trim()));
            }),
        ),
      );
      expect(outs.filter((o) => o !== 'ok')).toEqual([]);
    }
  }, 120_000);
});
