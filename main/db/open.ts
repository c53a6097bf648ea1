import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
} from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_VERSION, MIGRATIONS } from './migrations';

/** A problem with the database file, as a message key with values: the CLI and the app word it. */
export class DbError extends Error {
  constructor(
    readonly key: string,
    readonly params: Record<string, string | number>,
  ) {
    super(key);
  }
}

/** Something the person should be told after opening (a corrupt file kept aside, a backup made). */
export type DbNotice =
  | { readonly kind: 'corrupt_moved'; readonly file: string; readonly movedTo: string }
  | { readonly kind: 'migrated'; readonly from: number; readonly to: number; readonly backup: string | null };

export interface OpenedDb {
  readonly db: Database.Database;
  readonly file: string;
  readonly notices: DbNotice[];
}

function stamp(now: Date): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

/** Turns SQLite's and the file system's errors into the words a person needs: what, where, what to do. */
export function toDbError(e: unknown, file: string): DbError {
  if (e instanceof DbError) return e;
  const code = (e as { code?: string }).code ?? '';
  // The app's own build of the addon is missing (an offline `npm start`) or is not one this runtime can load
  // (another ABI, a damaged file): say which file, never fall back to the Node build Electron cannot load.
  if (nativeBinding && (code === 'MODULE_NOT_FOUND' || code === 'ERR_DLOPEN_FAILED')) {
    const reason = ((e as Error).message ?? '').split('\n')[0] ?? '';
    return new DbError('db.native_missing', { file: nativeBinding, reason });
  }
  const dir = path.dirname(file);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return new DbError('db.disk_full', { file, dir });
  if (
    code === 'SQLITE_READONLY' ||
    code.startsWith('SQLITE_READONLY') ||
    code === 'EROFS' ||
    code === 'EACCES' ||
    code === 'EPERM'
  ) {
    return new DbError('db.read_only', { file, dir });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'ENOENT' || code === 'ENOTDIR') {
    // SQLite says only "cannot open"; the folder tells whether it is missing or read-only.
    try {
      accessSync(dir, constants.W_OK);
    } catch (err) {
      const c = (err as NodeJS.ErrnoException).code;
      if (c === 'EROFS' || c === 'EACCES' || c === 'EPERM') return new DbError('db.read_only', { file, dir });
    }
    return new DbError('db.cannot_open', { file, dir });
  }
  return new DbError('db.failed', { file, reason: (e as Error).message ?? String(e) });
}

function isCorruption(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? '';
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT');
}

/**
 * The compiled addon to load instead of the one in node_modules: the desktop app points this at the copy built
 * for Electron's ABI (scripts/electron-native.mjs), so the Node build the CLI and the tests use is never touched.
 */
let nativeBinding: string | undefined;

export function useNativeBinding(file: string | undefined): void {
  nativeBinding = file;
}

/** Every database `openDatabase` handed out in this process (weakly held): the app closes them when it quits. */
const handedOut = new Set<WeakRef<Database.Database>>();

/**
 * Closes every database `openDatabase` opened that is still open, and returns how many: the desktop app calls it
 * on quit, so SQLite checkpoints the WAL into the file and removes it instead of leaving that to the next start.
 */
export function closeDatabases(): number {
  let closed = 0;
  for (const ref of handedOut) {
    const db = ref.deref();
    if (db?.open) {
      db.close();
      closed++;
    }
  }
  handedOut.clear();
  return closed;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Refuses a file that is not an SQLite database before SQLite sees it: `--db` pointed at a report or a notes
 * file must leave it as it was, not have it "kept aside" and replaced. An empty file is what SQLite itself
 * treats as a new database; a real SQLite file with damaged pages still goes to quarantine.
 */
function assertSqliteFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw toDbError(e, file);
  }
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n > 0 && !(n === head.length && head.equals(SQLITE_HEADER)))
      throw new DbError('db.not_sqlite', { file });
  } finally {
    closeSync(fd);
  }
}

/** `type name` of every schema object, for comparing a file with what our migrations make. */
function schemaObjects(db: Database.Database): string[] {
  const rows = db.prepare("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").all() as {
    type: string;
    name: string;
  }[];
  return rows.map((r) => `${r.type} ${r.name}`).sort();
}

const expectedCache = new Map<number, ReadonlySet<string>>();

/** The schema objects our migrations make up to `version`, from a scratch in-memory database. */
function expectedObjects(version: number): ReadonlySet<string> {
  let set = expectedCache.get(version);
  if (!set) {
    const mem = new Database(':memory:', nativeBinding ? { nativeBinding } : {});
    try {
      migrate(mem, version);
      set = new Set(schemaObjects(mem));
    } finally {
      mem.close();
    }
    expectedCache.set(version, set);
  }
  return set;
}

/**
 * Refuses a database whose schema is not one our migrations made: another program's tables (version 0 with
 * objects in it), or triggers and views someone added. Such objects would run our own statements through
 * their code, so the file is left as it was and nothing of it is executed.
 */
function assertKnownSchema(db: Database.Database, file: string, version: number): void {
  const found = schemaObjects(db);
  if (version === 0) {
    if (found.length > 0)
      throw new DbError('db.foreign_schema', { file, objects: found.slice(0, 5).join(', ') });
    return;
  }
  const expected = expectedObjects(version);
  const unknown = found.filter((o) => !expected.has(o));
  if (unknown.length > 0)
    throw new DbError('db.unknown_objects', { file, objects: unknown.slice(0, 5).join(', ') });
}

function openRaw(file: string): Database.Database {
  assertSqliteFile(file);
  const db = new Database(file, nativeBinding ? { nativeBinding } : {});
  try {
    // Nothing in the file's schema may run with more trust than a plain statement (SQLite's hardening guide);
    // better-sqlite3 already opens in defensive mode, which keeps the schema itself from being written by SQL.
    db.pragma('trusted_schema = OFF');
    // Several processes may open a new file at once: wait for the writer instead of failing at once.
    db.pragma('busy_timeout = 5000');
    // Read the version before anything writes: a file from a newer version must stay byte for byte as it was.
    // Version and schema are read in one snapshot, as another process may be creating this file right now.
    db.transaction(() => {
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > LATEST_VERSION)
        throw new DbError('db.newer_version', { file, found: version, supported: LATEST_VERSION });
      assertKnownSchema(db, file, version);
    })();
  } catch (e) {
    db.close();
    throw e;
  }
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL: a committed transaction survives a killed process; only an OS crash may lose the last ones.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  return db;
}

/** Keeps a damaged file (and its WAL / SHM) aside under a dated name, so nothing is deleted. */
function quarantine(file: string, now: Date): string {
  const movedTo = `${file}.corrupt-${stamp(now)}`;
  renameSync(file, movedTo);
  for (const ext of ['-wal', '-shm']) if (existsSync(file + ext)) renameSync(file + ext, movedTo + ext);
  return movedTo;
}

/** Applies every migration above the file's version, each in one transaction, recording the new version in it. */
export function migrate(db: Database.Database, upTo = LATEST_VERSION): void {
  for (const m of MIGRATIONS) {
    if (m.version > upTo) continue;
    // IMMEDIATE takes the write lock first, and the version is read again under it: another process opening the
    // same new file may have applied this step meanwhile (it used to fail with "table sessions already exists").
    db.transaction(() => {
      if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return;
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

/**
 * Opens (or creates) the session database: WAL, a quick_check, migrations with a backup taken first, a refusal
 * for a file from a newer version (it is left untouched), and a corrupt file kept aside with a fresh one opened.
 */
export async function openDatabase(file: string, now: () => Date = () => new Date()): Promise<OpenedDb> {
  const notices: DbNotice[] = [];
  try {
    mkdirSync(path.dirname(file), { recursive: true });
  } catch (e) {
    throw toDbError(e, file);
  }
  let db: Database.Database | undefined;
  try {
    db = openRaw(file);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw Object.assign(new Error(String(check)), { code: 'SQLITE_CORRUPT' });
  } catch (e) {
    if (e instanceof DbError || !isCorruption(e)) throw toDbError(e, file);
    try {
      db?.close();
    } catch {
      // already unusable
    }
    const movedTo = quarantine(file, now());
    notices.push({ kind: 'corrupt_moved', file, movedTo });
    try {
      db = openRaw(file);
    } catch (e2) {
      throw toDbError(e2, file);
    }
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > LATEST_VERSION) {
    db.close();
    throw new DbError('db.newer_version', { file, found: version, supported: LATEST_VERSION });
  }
  if (version < LATEST_VERSION) {
    let backup: string | null = null;
    if (version > 0) {
      backup = `${file}.backup-v${version}-${stamp(now())}`;
      try {
        await db.backup(backup);
      } catch (e) {
        db.close();
        throw toDbError(e, backup);
      }
    }
    try {
      migrate(db);
    } catch (e) {
      db.close();
      throw toDbError(e, file);
    }
    notices.push({ kind: 'migrated', from: version, to: LATEST_VERSION, backup });
  }
  for (const ref of handedOut) if (!ref.deref()?.open) handedOut.delete(ref);
  handedOut.add(new WeakRef(db));
  return { db, file, notices };
}
