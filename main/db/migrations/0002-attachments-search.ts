import type { Migration } from './index';

/**
 * Attachments (pasted configs, logs, imported origin-check bundles) and a lower-cased search column over a
 * session's domain, endpoints, tags, notes and finding / cause ids, filled in for the sessions already stored.
 */
export const m0002: Migration = {
  version: 2,
  name: 'attachments-search',
  up: (db) => {
    db.exec(`
      CREATE TABLE attachments (
        id INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        content TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX attachments_session ON attachments (session_id);
      ALTER TABLE sessions ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
      UPDATE sessions SET search_text = lower(
        coalesce(domain, '') || ' ' || endpoints || ' ' || tags || ' ' || notes || ' ' ||
        coalesce((SELECT group_concat(id, ' ') FROM findings f WHERE f.session_id = sessions.id), '') || ' ' ||
        coalesce((SELECT group_concat(id, ' ') FROM causes c WHERE c.session_id = sessions.id), '')
      );
    `);
  },
};
