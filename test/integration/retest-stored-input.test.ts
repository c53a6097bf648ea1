import { mkdtempSync, rmSync } from 'node:fs';
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
