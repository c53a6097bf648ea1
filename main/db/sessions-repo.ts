import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import {
  causeSchema,
  environmentSchema,
  findingSchema,
  probeSchema,
  sessionInputSchema,
  type Cause,
  type Environment,
  type Finding,
  type ProbeRecord,
  type Report,
  type SessionInput,
  type Verdict,
} from '../../shared/model/report';
import { verdictOf } from '../diagnosis';
import { DbError } from './open';

/** True while a process with this id runs (one we may not signal still runs). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const SESSION_STATUSES = ['running', 'finished', 'interrupted', 'cancelled'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export interface SessionSummary {
  readonly id: string;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly status: SessionStatus;
  readonly verdict: Verdict | null;
  readonly domain: string | null;
  readonly endpoints: string[];
  readonly parentId: string | null;
  readonly tags: string[];
  readonly topCause: string | null;
}

export interface StoredSession {
  readonly summary: SessionSummary;
  readonly notes: string;
  readonly toolVersion: string;
  readonly input: SessionInput;
  readonly environment: Environment | null;
  readonly probes: ProbeRecord[];
  readonly findings: Finding[];
  readonly causes: Cause[];
  readonly attachments: { id: number; kind: string; name: string; createdAt: string; size: number }[];
}

export interface SessionQuery {
  readonly search?: string;
  readonly domain?: string;
  readonly endpoint?: string;
  readonly verdict?: Verdict;
  readonly cause?: string;
  readonly status?: SessionStatus;
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
  readonly offset?: number;
}

interface SessionRow {
  id: string;
  created_at: string;
  finished_at: string | null;
  status: SessionStatus;
  verdict: Verdict | null;
  domain: string | null;
  endpoints: string;
  input_json: string;
  environment_json: string | null;
  parent_id: string | null;
  tags: string;
  notes: string;
  tool_version: string;
  top_cause?: string | null;
}

const splitWords = (s: string): string[] => s.split(' ').filter(Boolean);

function summaryOf(r: SessionRow): SessionSummary {
  return {
    id: r.id,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    status: r.status,
    verdict: r.verdict,
    domain: r.domain,
    endpoints: splitWords(r.endpoints),
    parentId: r.parent_id,
    tags: splitWords(r.tags),
    topCause: r.top_cause ?? null,
  };
}

/** Escapes LIKE wildcards so a search for `100%` or `a_b` means those characters. */
const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The session store. Every write is its own transaction, so whatever finished is on disk when the process dies;
 * statements are prepared once. Stored JSON is read back through the contract's schemas: a damaged row is
 * reported, never trusted.
 */
export class SessionsRepo {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      insertSession:
        db.prepare(`INSERT INTO sessions (id, created_at, status, domain, endpoints, input_json, parent_id, tool_version, owner_pid, owner_host, search_text)
        VALUES (@id, @createdAt, 'running', @domain, @endpoints, @input, @parentId, @toolVersion, @pid, @host, @search)`),
      insertProbe:
        db.prepare(`INSERT OR REPLACE INTO probes (session_id, id, seq, kind, target, started_at, duration_ms, status, data_json, raw)
        VALUES (@sessionId, @id, (SELECT count(*) FROM probes WHERE session_id = @sessionId), @kind, @target, @startedAt, @durationMs, @status, @data, @raw)`),
      insertFinding: db.prepare(
        'INSERT INTO findings (session_id, seq, id, severity, layer, target, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      insertCause: db.prepare(
        'INSERT INTO causes (session_id, seq, id, confidence, json) VALUES (?, ?, ?, ?, ?)',
      ),
      finish:
        db.prepare(`UPDATE sessions SET status = @status, finished_at = @finishedAt, verdict = @verdict, environment_json = @environment,
        search_text = search_text || ' ' || @extra WHERE id = @id`),
      getSession: db.prepare('SELECT * FROM sessions WHERE id = ?'),
      probes: db.prepare('SELECT * FROM probes WHERE session_id = ? ORDER BY seq'),
      findings: db.prepare('SELECT json FROM findings WHERE session_id = ? ORDER BY seq'),
      causes: db.prepare('SELECT json FROM causes WHERE session_id = ? ORDER BY seq'),
      attachments: db.prepare(
        'SELECT id, kind, name, created_at, length(content) AS size FROM attachments WHERE session_id = ? ORDER BY id',
      ),
      running: db.prepare("SELECT id, owner_pid, owner_host FROM sessions WHERE status = 'running'"),
      markInterrupted: db.prepare(
        "UPDATE sessions SET status = 'interrupted' WHERE id = ? AND status = 'running'",
      ),
      delete: db.prepare('DELETE FROM sessions WHERE id = ?'),
      reorderProbe: db.prepare('UPDATE probes SET seq = ? WHERE session_id = ? AND id = ?'),
      update: db.prepare(`UPDATE sessions SET tags = @tags, notes = @notes,
        search_text = lower(coalesce(domain, '') || ' ' || endpoints || ' ' || @tags || ' ' || @notes || ' ' ||
          coalesce((SELECT group_concat(id, ' ') FROM findings f WHERE f.session_id = sessions.id), '') || ' ' ||
          coalesce((SELECT group_concat(id, ' ') FROM causes c WHERE c.session_id = sessions.id), ''))
        WHERE id = @id`),
      attach: db.prepare(
        'INSERT INTO attachments (session_id, kind, name, content, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      getSetting: db.prepare('SELECT value FROM settings WHERE key = ?'),
      setSetting: db.prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
    };
  }

  /** A new session in state "running", owned by this process until it finishes. */
  create(s: {
    id: string;
    createdAt: string;
    input: SessionInput;
    parentId: string | null;
    toolVersion: string;
  }): void {
    const endpoints = s.input.endpoints.map((e) => e.url).join(' ');
    this.stmts.insertSession.run({
      id: s.id,
      createdAt: s.createdAt,
      domain: s.input.domain,
      endpoints,
      input: JSON.stringify(s.input),
      parentId: s.parentId,
      toolVersion: s.toolVersion,
      pid: process.pid,
      host: hostname(),
      search: `${s.input.domain ?? ''} ${endpoints}`.toLowerCase(),
    });
  }

  /** Commits one finished probe result at once: a crash later keeps it. */
  appendProbe(sessionId: string, p: ProbeRecord): void {
    this.stmts.insertProbe.run({
      sessionId,
      id: p.id,
      kind: p.kind,
      target: p.target,
      startedAt: p.startedAt,
      durationMs: p.durationMs,
      status: p.status,
      data: JSON.stringify(p.data),
      raw: p.raw ?? null,
    });
  }

  /** Stores the outcome of a run in one transaction: status, verdict, environment, findings and causes. */
  finish(
    id: string,
    r: {
      status: SessionStatus;
      finishedAt: string;
      verdict: Verdict | null;
      environment: Environment | null;
      findings: readonly Finding[];
      causes: readonly Cause[];
      probeOrder?: readonly string[];
    },
  ): void {
    this.db.transaction(() => {
      // Probes were stored in the order they finished; the report lists them in the order they were planned.
      r.probeOrder?.forEach((probeId, i) => this.stmts.reorderProbe.run(i, id, probeId));
      r.findings.forEach((f, i) =>
        this.stmts.insertFinding.run(id, i, f.id, f.severity, f.layer, f.target, JSON.stringify(f)),
      );
      r.causes.forEach((c, i) => this.stmts.insertCause.run(id, i, c.id, c.confidence, JSON.stringify(c)));
      const extra = [...r.findings.map((f) => f.id), ...r.causes.map((c) => c.id)].join(' ').toLowerCase();
      this.stmts.finish.run({
        id,
        status: r.status,
        finishedAt: r.finishedAt,
        verdict: r.verdict,
        environment: r.environment ? JSON.stringify(r.environment) : null,
        extra,
      });
    })();
  }

  /** Sessions left "running" by a process that no longer exists (killed, crashed) become "interrupted". */
  markOrphansInterrupted(isAlive: (pid: number) => boolean): number {
    let n = 0;
    const host = hostname();
    for (const r of this.stmts.running.all() as {
      id: string;
      owner_pid: number | null;
      owner_host: string | null;
    }[]) {
      if (
        r.owner_host === host &&
        r.owner_pid !== null &&
        r.owner_pid !== process.pid &&
        isAlive(r.owner_pid)
      )
        continue;
      if (r.owner_pid === process.pid && r.owner_host === host) continue;
      n += this.stmts.markInterrupted.run(r.id).changes;
    }
    return n;
  }

  /** One page of sessions, newest first, with the total for the filters. */
  list(q: SessionQuery = {}): { total: number; items: SessionSummary[] } {
    const where: string[] = [];
    const args: Record<string, string | number> = {};
    if (q.search?.trim()) {
      q.search
        .toLowerCase()
        .split(/\s+/)
        .filter(Boolean)
        .slice(0, 8)
        .forEach((w, i) => {
          where.push(`s.search_text LIKE @w${i} ESCAPE '\\'`);
          args[`w${i}`] = `%${likeEscape(w)}%`;
        });
    }
    if (q.domain) {
      where.push('s.domain = @domain');
      args.domain = q.domain.toLowerCase();
    }
    if (q.endpoint) {
      where.push(`(' ' || s.endpoints || ' ') LIKE @endpoint ESCAPE '\\'`);
      args.endpoint = `% ${likeEscape(q.endpoint)} %`;
    }
    if (q.verdict) {
      where.push('s.verdict = @verdict');
      args.verdict = q.verdict;
    }
    if (q.status) {
      where.push('s.status = @status');
      args.status = q.status;
    }
    if (q.cause) {
      where.push('EXISTS (SELECT 1 FROM causes c WHERE c.session_id = s.id AND c.id = @cause)');
      args.cause = q.cause;
    }
    if (q.from) {
      where.push('s.created_at >= @from');
      args.from = q.from;
    }
    if (q.to) {
      where.push('s.created_at <= @to');
      args.to = q.to;
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
    const offset = Math.max(q.offset ?? 0, 0);
    const total = (
      this.db.prepare(`SELECT count(*) AS n FROM sessions s ${clause}`).get(args) as { n: number }
    ).n;
    const rows = this.db
      .prepare(
        `SELECT s.*, (SELECT c.id FROM causes c WHERE c.session_id = s.id ORDER BY c.seq LIMIT 1) AS top_cause
         FROM sessions s ${clause} ORDER BY s.created_at DESC, s.id LIMIT ${limit} OFFSET ${offset}`,
      )
      .all(args) as SessionRow[];
    return { total, items: rows.map(summaryOf) };
  }

  /** A whole session, or null when there is no session with that id. */
  get(id: string): StoredSession | null {
    const row = this.stmts.getSession.get(id) as SessionRow | undefined;
    if (!row) return null;
    const parse = <T>(
      schema: { safeParse: (v: unknown) => { success: boolean; data?: T } },
      json: string | null,
      what: string,
    ): T => {
      let value: unknown;
      try {
        value = json === null ? null : JSON.parse(json);
      } catch {
        throw new DbError('db.damaged_row', { id, what });
      }
      const r = schema.safeParse(value);
      if (!r.success) throw new DbError('db.damaged_row', { id, what });
      return r.data as T;
    };
    const probes = (
      this.stmts.probes.all(id) as {
        id: string;
        kind: string;
        target: string;
        started_at: string;
        duration_ms: number;
        status: string;
        data_json: string;
        raw: string | null;
      }[]
    ).map((p) =>
      parse<ProbeRecord>(
        probeSchema,
        JSON.stringify({
          id: p.id,
          kind: p.kind,
          target: p.target,
          startedAt: p.started_at,
          durationMs: p.duration_ms,
          status: p.status,
          data: JSON.parse(p.data_json),
          ...(p.raw !== null ? { raw: p.raw } : {}),
        }),
        `probe ${p.id}`,
      ),
    );
    const causes = (this.stmts.causes.all(id) as { json: string }[]).map((c) =>
      parse<Cause>(causeSchema, c.json, 'cause'),
    );
    return {
      summary: { ...summaryOf(row), topCause: causes[0]?.id ?? null },
      notes: row.notes,
      toolVersion: row.tool_version,
      input: parse<SessionInput>(sessionInputSchema, row.input_json, 'input'),
      environment:
        row.environment_json === null
          ? null
          : parse<Environment>(environmentSchema, row.environment_json, 'environment'),
      probes,
      findings: (this.stmts.findings.all(id) as { json: string }[]).map((f) =>
        parse<Finding>(findingSchema, f.json, 'finding'),
      ),
      causes,
      attachments: (
        this.stmts.attachments.all(id) as {
          id: number;
          kind: string;
          name: string;
          created_at: string;
          size: number;
        }[]
      ).map((a) => ({
        id: a.id,
        kind: a.kind,
        name: a.name,
        createdAt: a.created_at,
        size: a.size,
      })),
    };
  }

  /** Tags and notes, as the person edits them. */
  update(id: string, fields: { tags: string[]; notes: string }): boolean {
    const tags = fields.tags
      .map((t) => t.trim().replace(/\s+/g, '-'))
      .filter(Boolean)
      .join(' ');
    return this.stmts.update.run({ id, tags, notes: fields.notes }).changes > 0;
  }

  attach(sessionId: string, a: { kind: string; name: string; content: string; createdAt: string }): number {
    return Number(this.stmts.attach.run(sessionId, a.kind, a.name, a.content, a.createdAt).lastInsertRowid);
  }

  delete(id: string): boolean {
    return this.stmts.delete.run(id).changes > 0;
  }

  getSetting(key: string): string | null {
    return (this.stmts.getSetting.get(key) as { value: string } | undefined)?.value ?? null;
  }

  setSetting(key: string, value: string): void {
    this.stmts.setSetting.run(key, value);
  }

  /** The report (contract v1) of a stored session. */
  toReport(s: StoredSession): Report {
    return {
      schemaVersion: 1,
      tool: { name: 'origin-doctor', version: s.toolVersion },
      session: {
        id: s.summary.id,
        createdAt: s.summary.createdAt,
        finishedAt: s.summary.finishedAt ?? s.summary.createdAt,
        input: s.input,
        environment: s.environment ?? { os: 'unknown', release: '', arch: '', node: '', root: false },
      },
      probes: s.probes,
      findings: s.findings,
      causes: s.causes,
      verdict: s.summary.verdict ?? verdictOf(s.findings),
    };
  }
}
