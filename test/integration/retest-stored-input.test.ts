import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { openDatabase } from '../../main/db/open';
import { SessionsRepo } from '../../main/db/sessions-repo';
import { recheckStoredInput } from '../../shared/net/session-input';
import type { SessionInput } from '../../shared/model/report';
import { runCli } from '../lab/cli';
import { sessionInput } from '../lab/session-input';

/** A stored session (perhaps from an imported file) is checked like fresh input before `retest` runs it. */

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function storeOne(input: SessionInput): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'od-retest-'));
  dirs.push(dir);
  const file = path.join(dir, 'h.sqlite');
  const { db } = await openDatabase(file);
  new SessionsRepo(db).create({
    id: 'aaaaaaaa-0000-4000-8000-000000000001',
    createdAt: '2026-11-28T10:00:00.000Z',
    input,
    parentId: null,
    toolVersion: 'test',
  });
  db.close();
  return file;
}

test('an endpoint address "--help" in a stored session is refused, never handed to a probe', async () => {
  const file = await storeOne(
    sessionInput({ endpoints: [{ url: '--help', scheme: 'http', address: '--help', family: 4, port: 80 }] }),
  );
  const r = await runCli(['retest', 'aaaaaaaa', '--db', file]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/cannot be run again: its stored input would not be accepted .*--help/);
});

test('10,000 attempts in a stored session are refused at the same cap as --attempts', async () => {
  const file = await storeOne(
    sessionInput({
      endpoints: [{ url: 'http://127.0.0.1:9', scheme: 'http', address: '127.0.0.1', family: 4, port: 9 }],
      attempts: 10000,
    }),
  );
  const r = await runCli(['retest', 'aaaaaaaa', '--db', file]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/cannot be run again/);
  expect(r.stderr).toMatch(/20/);
});

test('near miss: an ordinary stored input passes the check unchanged', () => {
  const input = sessionInput({ domain: 'www.example.com', attempts: 20, timeoutMs: 200 });
  const r = recheckStoredInput(input);
  expect(r).toEqual({ ok: true, value: input });
});

test('import and show print no control character or ANSI sequence from the imported file', async () => {
  const src = await storeOne(sessionInput({ domain: 'www.example.com' }));
  const dir = path.dirname(src);
  const exported = path.join(dir, 'e.json');
  expect((await runCli(['export', 'aaaaaaaa', '--all', '--db', src, '--json', exported])).code).toBe(0);
  const doc = JSON.parse(readFileSync(exported, 'utf8')) as {
    sessions: { report: { session: { id: string; createdAt: string } } }[];
  };
  const hostileId = 'bbbbbbbb\u001b]0;owned\u0007\u001b[2J\u009b31m';
  doc.sessions[0]!.report.session.id = hostileId;
  writeFileSync(exported, JSON.stringify(doc));
  const db = path.join(dir, 'other.sqlite');
  const imp = await runCli(['import', exported, '--db', db]);
  expect(imp.code).toBe(0);
  const show = await runCli(['show', 'bbbbbbbb', '--db', db]);
  expect(show.code).toBe(0);
  for (const out of [imp.stdout, imp.stderr, show.stdout, show.stderr])
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  expect(imp.stdout).toContain('bbbbbbbb\\x1b]0;owned\\x07');
});

test('deleting a session another live process is still running is refused; once finished it deletes', async () => {
  // storeOne leaves the session 'running', owned by this (live) test process: to the CLI, another run's.
  const file = await storeOne(sessionInput({ domain: 'www.example.com' }));
  const refused = await runCli(['delete', 'aaaaaaaa', '--yes', '--db', file]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/is still running/);
  const { db } = await openDatabase(file);
  const repo = new SessionsRepo(db);
  expect(repo.get('aaaaaaaa-0000-4000-8000-000000000001')).not.toBeNull();
  repo.finish('aaaaaaaa-0000-4000-8000-000000000001', {
    status: 'finished',
    finishedAt: '2026-11-28T10:00:01.000Z',
    verdict: 'healthy',
    environment: null,
    findings: [],
    causes: [],
  });
  db.close();
  const deleted = await runCli(['delete', 'aaaaaaaa', '--yes', '--db', file]);
  expect(deleted.code).toBe(0);
});

test('a step run again on a stored session is checked like a re-test: "--help" refused, nothing stored or probed', async () => {
  const { rerunStep, StoredInputError } = await import('../../main/use-cases/sessions');
  const file = await storeOne(
    sessionInput({ endpoints: [{ url: '--help', scheme: 'http', address: '--help', family: 4, port: 80 }] }),
  );
  const { db } = await openDatabase(file);
  try {
    const repo = new SessionsRepo(db);
    const parent = repo.get('aaaaaaaa-0000-4000-8000-000000000001')!;
    let events = 0;
    const run = rerunStep(repo, parent.summary.id, 'network', parent.input, {
      now: () => new Date('2026-11-29T10:00:00Z'),
      newId: () => 'cccccccc-0000-4000-8000-000000000003',
      signal: new AbortController().signal,
      onEvent: () => void events++,
    });
    await expect(run).rejects.toBeInstanceOf(StoredInputError);
    await expect(run).rejects.toMatchObject({
      error: { params: { value: expect.stringContaining('--help') } },
    });
    expect(repo.get('cccccccc-0000-4000-8000-000000000003')).toBeNull();
    expect(events).toBe(0);
  } finally {
    db.close();
  }
});
