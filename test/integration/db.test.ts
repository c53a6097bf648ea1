import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { migrate, openDatabase } from '../../main/db/open';
import { LATEST_VERSION } from '../../main/db/migrations';
import { defaultDbFile, userDataDir } from '../../main/db/paths';
import { SessionsRepo } from '../../main/db/sessions-repo';
import { compareSessions, exportSessions, importSessions } from '../../main/use-cases/sessions';
import type { Finding, SessionInput } from '../../shared/model/report';
import { bundleHelper } from '../db/build-helper';
import { sessionInput } from '../lab/session-input';
import { diagnose, runCli } from '../lab/cli';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'od-db-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const input = (domain: string): SessionInput => sessionInput({ domain });
const finding = (id: string, target: string, severity: Finding['severity'] = 'error'): Finding => ({
  id,
  severity,
  layer: 'network',
  target,
  message: id,
  evidence: [],
  params: {},
});

function addSession(
  repo: SessionsRepo,
  id: string,
  domain: string,
  findings: Finding[],
  createdAt = new Date().toISOString(),
) {
  repo.create({ id, createdAt, input: input(domain), parentId: null, toolVersion: 'test' });
  repo.appendProbe(id, {
    id: 'tcp-1',
    kind: 'tcp',
    target: 'https://203.0.113.7:443',
    startedAt: createdAt,
    durationMs: 3,
    status: 'fail',
    data: { n: 1 },
    raw: 'r',
  });
  repo.finish(id, {
    status: 'finished',
    finishedAt: createdAt,
    verdict: findings.length ? 'broken' : 'healthy',
    environment: null,
    findings,
    causes: [],
  });
}

const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('opening and migrating', () => {
  test('a version-1 database with data is backed up, migrated and keeps every row', async () => {
    const file = path.join(tmp(), 'h.sqlite');
    const raw = new Database(file);
    migrate(raw, 1);
    raw
      .prepare(
        `INSERT INTO sessions (id, created_at, status, verdict, domain, endpoints, input_json, tool_version) VALUES ('old', '2026-01-01T00:00:00.000Z', 'finished', 'broken', 'old.example.com', 'https://203.0.113.7:443', ?, '0.0.1')`,
      )
      .run(JSON.stringify(input('old.example.com')));
    raw
      .prepare(
        `INSERT INTO findings (session_id, seq, id, severity, layer, target, json) VALUES ('old', 0, 'tcp.timeout', 'error', 'network', 'https://203.0.113.7:443', ?)`,
      )
      .run(JSON.stringify(finding('tcp.timeout', 'https://203.0.113.7:443')));
    raw.close();
    const { db, notices } = await openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    const migrated = notices.find((n) => n.kind === 'migrated');
    expect(migrated).toMatchObject({ from: 1, to: LATEST_VERSION });
    expect(existsSync((migrated as { backup: string }).backup)).toBe(true);
    const repo = new SessionsRepo(db);
    expect(repo.get('old')!.findings.map((f) => f.id)).toEqual(['tcp.timeout']);
    // The search column added by migration 2 was filled for the old rows.
    expect(repo.list({ search: 'tcp.timeout' }).items.map((s) => s.id)).toEqual(['old']);
    db.close();
    const backup = new Database((migrated as { backup: string }).backup, { readonly: true });
    expect(backup.pragma('user_version', { simple: true })).toBe(1);
    backup.close();
  });

  test('a database from a newer version is refused and left untouched', async () => {
    const file = path.join(tmp(), 'new.sqlite');
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    const before = sha(file);
    await expect(openDatabase(file)).rejects.toMatchObject({
      key: 'db.newer_version',
      params: { found: 99, supported: LATEST_VERSION },
    });
    expect(sha(file)).toBe(before);
    const cli = await runCli(['history', '--db', file]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/written by a newer Origin Doctor \(database version 99/);
  });

  test('a file with flipped bytes is kept aside, a fresh database opens, and the person is told where', async () => {
    const dir = tmp();
    const file = path.join(dir, 'c.sqlite');
    const { db } = await openDatabase(file);
    const repo = new SessionsRepo(db);
    for (let i = 0; i < 50; i++)
      addSession(repo, `s${i}`, `d${i}.example.com`, [finding('tcp.refused', 'x')]);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = readFileSync(file);
    for (let i = 4096; i < bytes.length; i += 97) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(file, bytes);
    const cli = await runCli(['history', '--db', file]);
    expect(cli.code).toBe(0);
    expect(cli.stderr).toMatch(/was damaged; it was kept aside as .*c\.sqlite\.corrupt-/);
    expect(cli.stdout).toMatch(/^0 sessions/);
    const kept = readdirSync(dir).filter((f) => f.includes('.corrupt-'));
    expect(kept.length).toBeGreaterThan(0);
    expect(
      readFileSync(
        path.join(
          dir,
          kept.find((f) => !f.endsWith('-wal') && !f.endsWith('-shm'))!,
        ),
      ),
    ).toEqual(bytes);
  });

  test("the default location is the app's userData folder on each OS", () => {
    expect(userDataDir({}, 'linux', '/home/a')).toBe('/home/a/.config/Origin Doctor');
    expect(userDataDir({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/a')).toBe('/x/Origin Doctor');
    expect(userDataDir({}, 'darwin', '/Users/a')).toBe('/Users/a/Library/Application Support/Origin Doctor');
    expect(defaultDbFile({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32')).toBe(
      'C:\\Users\\a\\AppData\\Roaming\\Origin Doctor\\origin-doctor.sqlite',
    );
  });
});

describe('use-cases', () => {
  test('list, search, filter and page; compare; tags and notes; delete', async () => {
    const { db } = await openDatabase(path.join(tmp(), 'u.sqlite'));
    const repo = new SessionsRepo(db);
    for (let i = 0; i < 30; i++)
      addSession(
        repo,
        `s${String(i).padStart(2, '0')}`,
        i % 2 ? 'odd.example.com' : 'even.example.com',
        i % 3 ? [] : [finding('tcp.timeout', 'https://203.0.113.7:443')],
        new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
      );
    expect(repo.list({ limit: 10 }).items.map((s) => s.id)[0]).toBe('s29');
    expect(repo.list({ limit: 10, offset: 25 }).items).toHaveLength(5);
    expect(repo.list({ domain: 'odd.example.com' }).total).toBe(15);
    expect(repo.list({ verdict: 'broken' }).total).toBe(10);
    expect(repo.list({ search: 'EVEN tcp.timeout' }).total).toBe(5);
    expect(repo.list({ from: '2026-01-10T00:00:00.000Z', to: '2026-01-19T23:59:59.999Z' }).total).toBe(10);
    expect(repo.list({ search: '100%_' }).total).toBe(0);
    expect(repo.list({ endpoint: 'https://203.0.113.7:443' }).total).toBe(30);
    repo.update('s01', { tags: ['ticket 4711', 'vip'], notes: 'customer says since Monday' });
    expect(repo.list({ search: 'ticket-4711 monday' }).items.map((s) => s.id)).toEqual(['s01']);

    addSession(repo, 'before', 'x.example.com', [
      finding('tcp.timeout', 'a'),
      finding('tls.cert_expired', 'b'),
      finding('tcp.ok', 'c', 'info'),
    ]);
    addSession(repo, 'after', 'x.example.com', [finding('tls.cert_expired', 'b'), finding('http.5xx', 'b')]);
    const c = compareSessions(repo.get('before')!, repo.get('after')!);
    expect(c.changes.map((x) => [x.change, x.id])).toEqual([
      ['new', 'http.5xx'],
      ['still_failing', 'tls.cert_expired'],
      ['fixed', 'tcp.timeout'],
    ]);

    expect(repo.delete('s00')).toBe(true);
    expect(repo.get('s00')).toBeNull();
    expect(db.prepare("SELECT count(*) AS n FROM probes WHERE session_id = 's00'").get()).toEqual({ n: 0 });
    db.close();
  });

  test('export and import: schema-checked, and an import never overwrites', async () => {
    const a = await openDatabase(path.join(tmp(), 'a.sqlite'));
    const ra = new SessionsRepo(a.db);
    addSession(ra, 'shared', 'x.example.com', [finding('tcp.refused', 'u')]);
    const doc = exportSessions(ra, ['shared'], new Date());
    const b = await openDatabase(path.join(tmp(), 'b.sqlite'));
    const rb = new SessionsRepo(b.db);
    let n = 0;
    const newId = () => `copy-${++n}`;
    expect(importSessions(rb, doc, newId, b.db)).toEqual([{ id: 'shared', result: 'imported' }]);
    expect(importSessions(rb, doc, newId, b.db)).toEqual([{ id: 'shared', result: 'already_present' }]);
    rb.update('shared', { tags: [], notes: 'edited here' });
    const changed = {
      ...doc,
      sessions: [
        { ...doc.sessions[0]!, report: { ...doc.sessions[0]!.report, verdict: 'healthy' as const } },
      ],
    };
    expect(importSessions(rb, changed, newId, b.db)).toEqual([
      { id: 'shared', result: 'imported_as_copy', newId: 'copy-1' },
    ]);
    expect(rb.get('shared')!.notes).toBe('edited here');
    expect(rb.get('copy-1')!.summary.verdict).toBe('healthy');
    a.db.close();
    b.db.close();
  });

  test('a run cut off keeps its finished probes and reads as interrupted', async () => {
    const file = path.join(tmp(), 'i.sqlite');
    const { db } = await openDatabase(file);
    const repo = new SessionsRepo(db);
    repo.create({
      id: 'cut',
      createdAt: new Date().toISOString(),
      input: input('x.example.com'),
      parentId: null,
      toolVersion: 'test',
    });
    repo.appendProbe('cut', {
      id: 'tcp-1',
      kind: 'tcp',
      target: 't',
      startedAt: new Date().toISOString(),
      durationMs: 1,
      status: 'ok',
      data: {},
    });
    // Pretend the owner was another process that died.
    db.prepare("UPDATE sessions SET owner_pid = 999999 WHERE id = 'cut'").run();
    expect(repo.markOrphansInterrupted(() => false)).toBe(1);
    expect(repo.get('cut')!.summary.status).toBe('interrupted');
    expect(repo.get('cut')!.probes.map((p) => p.id)).toEqual(['tcp-1']);
    db.close();
  });
});

describe('the CLI over the history', () => {
  test('two diagnose --db runs, then history lists both and compare shows what changed', async () => {
    const file = path.join(tmp(), 'cli.sqlite');
    const r1 = await diagnose(['--endpoint', 'https://127.0.0.1:1', '--no-trace', '--db', file]);
    const r2 = await diagnose([
      '--endpoint',
      'https://127.0.0.1:1',
      '--endpoint',
      'http://127.0.0.1:1',
      '--no-trace',
      '--db',
      file,
    ]);
    const history = JSON.parse((await runCli(['history', '--db', file, '--json'])).stdout) as {
      total: number;
      items: { id: string; status: string }[];
    };
    expect(history.total).toBe(2);
    expect(history.items.map((i) => i.id).sort()).toEqual(
      [r1.report.session.id, r2.report.session.id].sort(),
    );
    expect(history.items.every((i) => i.status === 'finished')).toBe(true);
    const cmp = await runCli(['compare', r1.report.session.id, r2.report.session.id, '--db', file, '--json']);
    const changes = JSON.parse(cmp.stdout).changes as { change: string; target: string }[];
    expect(changes).toEqual(
      expect.arrayContaining([
        { id: 'tcp.refused', target: 'https://127.0.0.1:1', severity: 'error', change: 'still_failing' },
        { id: 'tcp.refused', target: 'http://127.0.0.1:1', severity: 'error', change: 'new' },
      ]),
    );
    const shown = JSON.parse(
      (await runCli(['show', r1.report.session.id.slice(0, 8), '--db', file, '--json'])).stdout,
    );
    expect(shown.report.probes.map((p: { id: string }) => p.id)).toEqual(r1.report.probes.map((p) => p.id));
    const exported = await runCli(['export', r1.report.session.id, '--db', file, '--json', '-']);
    expect(JSON.parse(exported.stdout).session.id).toBe(r1.report.session.id);
    expect(
      (
        await runCli([
          'update',
          r1.report.session.id,
          '--db',
          file,
          '--tags',
          'ticket-9,vip',
          '--notes',
          'fixed the SG on Tuesday',
        ])
      ).code,
    ).toBe(0);
    const found = JSON.parse(
      (
        await runCli([
          'history',
          '--db',
          file,
          '--search',
          'tuesday',
          '--cause',
          'cause.service_down',
          '--from',
          '2020-01-01',
          '--json',
        ])
      ).stdout,
    );
    expect(found.items.map((i: { id: string }) => i.id)).toEqual([r1.report.session.id]);
    expect((await runCli(['history', '--db', file, '--from', 'yesterday'])).stderr).toMatch(
      /--from "yesterday" is not a date/,
    );
    const re = await runCli(['retest', r1.report.session.id.slice(0, 8), '--db', file, '--json', '-']);
    expect(re.code).toBe(1);
    expect(re.stderr).toMatch(/still failing\s+\[tcp\.refused\]/);
    const child = JSON.parse(
      (await runCli(['show', JSON.parse(re.stdout).session.id, '--db', file, '--json'])).stdout,
    );
    expect(child.parentId).toBe(r1.report.session.id);
    expect(child.report.session.input.endpoints).toEqual(r1.report.session.input.endpoints);
    await runCli(['delete', child.report.session.id, '--db', file, '--yes']);
    const del = await runCli(['delete', r1.report.session.id, '--db', file]);
    expect(del.code).toBe(2);
    expect(del.stderr).toMatch(/run again with --yes/);
    expect((await runCli(['delete', r1.report.session.id, '--db', file, '--yes'])).code).toBe(0);
    expect(JSON.parse((await runCli(['history', '--db', file, '--json'])).stdout).total).toBe(1);
  });

  test('import refuses a file that is not an export, saying where', async () => {
    const f = path.join(tmp(), 'bad.json');
    writeFileSync(
      f,
      JSON.stringify({
        format: 'origin-doctor-sessions',
        version: 1,
        exportedAt: 'x',
        sessions: [{ report: { schemaVersion: 2 } }],
      }),
    );
    const r = await runCli(['import', f, '--db', path.join(tmp(), 'x.sqlite')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not an Origin Doctor session export \(at sessions\.0\.report/);
  });
});

describe('crash safety: a writer killed at random moments never loses a committed result', () => {
  test('200 rounds of SIGKILL', async () => {
    const writer = await bundleHelper(path.join(__dirname, '..', 'db', 'crash-writer.ts'), 'crash-writer');
    const file = path.join(tmp(), 'crash.sqlite');
    const committed = { sessions: new Set<string>(), probes: new Set<string>(), finished: new Set<string>() };
    for (let round = 0; round < 200; round++) {
      const child = spawn(process.execPath, [writer, file, String(round)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      // Kill at a random moment of writing: once the database is open, then 0–60 ms in (a few sessions).
      await new Promise<void>((resolve) => {
        const onData = (): void => {
          if (!out.includes('open\n')) return;
          child.stdout.off('data', onData);
          setTimeout(resolve, Math.random() * 60);
        };
        child.stdout.on('data', onData);
        child.once('close', () => resolve());
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
      // Only whole lines count: the kill can cut the last one short.
      for (const line of out.split('\n').slice(0, -1)) {
        const [kind, a, b] = line.split(' ');
        if (kind === 'session') committed.sessions.add(a!);
        else if (kind === 'probe') committed.probes.add(`${a} ${b}`);
        else if (kind === 'finished') committed.finished.add(a!);
      }
    }
    const db = new Database(file);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const sessions = new Set(
      (db.prepare('SELECT id FROM sessions').all() as { id: string }[]).map((r) => r.id),
    );
    const probes = new Set(
      (db.prepare('SELECT session_id, id FROM probes').all() as { session_id: string; id: string }[]).map(
        (r) => `${r.session_id} ${r.id}`,
      ),
    );
    const finished = new Set(
      (db.prepare("SELECT id FROM sessions WHERE status = 'finished'").all() as { id: string }[]).map(
        (r) => r.id,
      ),
    );
    for (const s of committed.sessions) expect(sessions.has(s)).toBe(true);
    for (const p of committed.probes) expect(probes.has(p)).toBe(true);
    for (const f of committed.finished) expect(finished.has(f)).toBe(true);
    expect(committed.probes.size).toBeGreaterThan(200);
    db.close();
  }, 420_000); // 200 child processes, each opening the file and checking its schema: ~0.6 s a round on a loaded 2-core machine
});

describe('a full disk and a read-only folder: a clear message, nothing saved is lost', () => {
  const mountTmpfs = (size: string): string => {
    const dir = tmp();
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
    return dir;
  };
  const umount = (dir: string): void => void execFileSync('umount', ['-l', dir]);

  test('the history file deleted while a run is storing into it: the session is saved again, and it says so', async () => {
    // A port that accepts and then says nothing keeps the run busy long enough to delete the file under it.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    const file = path.join(tmp(), 'deleted.sqlite');
    try {
      const running = runCli([
        'diagnose',
        '--endpoint',
        `http://127.0.0.1:${port}`,
        '--no-trace',
        '--timeout',
        '1500',
        '--db',
        file,
      ]);
      for (let i = 0; i < 50 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
      const run = await running;
      expect(run.stderr).toMatch(/was deleted or replaced during the run; this session was saved again/);
      const listed = await runCli(['history', '--db', file, '--json']);
      const doc = JSON.parse(listed.stdout) as { total: number; items: { endpoints: string[] }[] };
      expect(doc.total).toBe(1);
      expect(doc.items[0]!.endpoints).toEqual([`http://127.0.0.1:${port}`]);
    } finally {
      silent.close();
    }
  });

  test('disk full while storing', async () => {
    const dir = mountTmpfs('400k');
    try {
      const file = path.join(dir, 'full.sqlite');
      const { db } = await openDatabase(file);
      const repo = new SessionsRepo(db);
      addSession(repo, 'saved', 'x.example.com', [finding('tcp.timeout', 'a')]);
      let error: unknown = null;
      try {
        for (let i = 0; i < 10000; i++)
          repo.attach('saved', { kind: 'log', name: `l${i}`, content: 'y'.repeat(8000), createdAt: 'now' });
      } catch (e) {
        error = e;
      }
      expect((error as { code?: string }).code).toBe('SQLITE_FULL');
      const { toDbError } = await import('../../main/db/open');
      expect(toDbError(error, file)).toMatchObject({ key: 'db.disk_full' });
      expect(repo.get('saved')!.findings.map((f) => f.id)).toEqual(['tcp.timeout']);
      db.close();
    } finally {
      umount(dir);
    }
  });

  test('read-only folder: the CLI says so and exits 2; the existing history still reads', async () => {
    const dir = mountTmpfs('2m');
    try {
      const file = path.join(dir, 'ro.sqlite');
      const first = await diagnose(['--endpoint', 'https://127.0.0.1:1', '--no-trace', '--db', file]);
      execFileSync('mount', ['-o', 'remount,ro', dir]);
      const r = await runCli(['diagnose', '--endpoint', 'https://127.0.0.1:1', '--no-trace', '--db', file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/is read-only or not writable by you/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      execFileSync('mount', ['-o', 'remount,rw', dir]);
      const again = JSON.parse((await runCli(['history', '--db', file, '--json'])).stdout) as {
        items: { id: string }[];
      };
      expect(again.items.map((x) => x.id)).toEqual([first.report.session.id]);
    } finally {
      umount(dir);
    }
  });
});
