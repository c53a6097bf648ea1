import type { Migration } from './index';

/** Sessions, their probe results as they finish, findings, causes and settings. */
export const m0001: Migration = {
  version: 1,
  name: 'initial',
  up: (db) => {
    db.exec(`
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted', 'cancelled')),
        verdict TEXT CHECK (verdict IN ('healthy', 'degraded', 'broken')),
        domain TEXT,
        endpoints TEXT NOT NULL,
        input_json TEXT NOT NULL,
        environment_json TEXT,
        parent_id TEXT REFERENCES sessions(id) ON DELETE SET NULL,
        tags TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        tool_version TEXT NOT NULL,
        owner_pid INTEGER,
        owner_host TEXT
      );
      CREATE INDEX sessions_created ON sessions (created_at DESC);
      CREATE INDEX sessions_domain ON sessions (domain);
      CREATE INDEX sessions_parent ON sessions (parent_id);
      CREATE TABLE probes (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        started_at TEXT NOT NULL,
        duration_ms REAL NOT NULL,
        status TEXT NOT NULL,
        data_json TEXT NOT NULL,
        raw TEXT,
        PRIMARY KEY (session_id, id)
      );
      CREATE TABLE findings (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        severity TEXT NOT NULL,
        layer TEXT NOT NULL,
        target TEXT NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
      );
      CREATE INDEX findings_id ON findings (id, session_id);
      CREATE TABLE causes (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        confidence REAL NOT NULL,
        json TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
      );
      CREATE INDEX causes_id ON causes (id, session_id);
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
  },
};
