import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { createDesktopHandlers } from '../../main/use-cases/desktop-handlers';
import { UserError } from '../../main/app/ipc';
import { policyProbeChangeSchema } from '../../shared/model/policy-change';
import { reportSchema } from '../../shared/model/report';

// The Policy step's "Compare with another version": a form with both sets of rule files goes through the app's
// handlers (the worker thread reads and analyses them), the session stores the comparison, and it reopens.
const fixtures = path.resolve(__dirname, '..', 'fixtures', 'policy', 'change', 'iptables');
const file = (name: string) => ({ name, text: readFileSync(path.join(fixtures, name), 'utf8') });

function handlers() {
  const dir = mkdtempSync(path.join(tmpdir(), 'od-policy-change-'));
  return createDesktopHandlers({
    version: 'test',
    platform: process.platform,
    userData: dir,
    dbFile: path.join(dir, 'h.sqlite'),
    emit: () => undefined,
    writeClipboard: () => undefined,
    saveFile: async () => null,
    printPdf: async () => Buffer.from('%PDF-'),
  });
}
const sender = { id: 1 };
const form = {
  // The policy is asked about the endpoints' ports: the rules' 80 and 443 (loopback, nothing sent elsewhere).
  endpoints: ['http://127.0.0.1:80', 'https://127.0.0.1:443'],
  timeoutMs: '500',
  attempts: '1',
  lang: 'en' as const,
  provider: 'cloudflare',
};

async function refusedWith(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError');
}

const changeOf = (report: { probes: { kind: string; data: Record<string, unknown> }[] }) =>
  policyProbeChangeSchema.parse(report.probes.find((p) => p.kind === 'policy')!.data);

describe('desktop: compare the rules with another version', () => {
  test('a form with both sets stores the comparison in the session, and the session reopens with it', async () => {
    const h = handlers();
    const report = await h['diagnosis:run'](
      {
        runId: crypto.randomUUID(),
        form: { ...form, policies: [file('base.save')], policiesAfter: [file('drop-inserted.save')] },
      },
      sender,
    );
    expect(report.session.input.policiesAfter?.map((p) => p.name)).toEqual(['drop-inserted.save']);
    const { change, changeError } = changeOf(report);
    expect(changeError).toBeUndefined();
    expect(change!.verdict).toBe('cuts');
    // The DROP inserted above the allow list takes 173.245.48.0/24 away on both ports, and names its line.
    const rows = change!.rows.filter((r) => r.effect === 'taken');
    expect(rows.map((r) => `${r.range}:${r.port}`).sort()).toEqual([
      '173.245.48.0/20:443',
      '173.245.48.0/20:80',
    ]);
    const piece = rows[0]!.changes[0]!;
    expect([piece.range, piece.kind, piece.after.outcome]).toEqual(['173.245.48.0/24', 'added', 'drop']);
    expect(piece.cause.after?.file).toBe('drop-inserted.save');
    expect(piece.cause.after?.text).toContain('-s 173.245.48.0/24 -j DROP');
    // The probe's text carries the comparison too (the evidence a reader opens).
    expect(report.probes.find((p) => p.kind === 'policy')!.raw).toContain('NOT safe for the CDN');

    const opened = await h['sessions:open']({ id: report.session.id }, sender);
    expect(reportSchema.parse(opened.report).session.input.policiesAfter).toHaveLength(1);
    expect(changeOf(opened.report).change).toEqual(change);
    // A re-test runs the stored input again: both versions, so the comparison again.
    const again = await h['sessions:retest']({ runId: crypto.randomUUID(), id: report.session.id }, sender);
    expect(changeOf(again).change!.rows).toEqual(change!.rows);
  });

  test('near miss: a harmless change (an SSH rule) is stored as safe, and one set alone stores no comparison', async () => {
    const h = handlers();
    const safe = await h['diagnosis:run'](
      {
        runId: crypto.randomUUID(),
        form: { ...form, policies: [file('base.save')], policiesAfter: [file('ssh-added.save')] },
      },
      sender,
    );
    const { change } = changeOf(safe);
    expect(change!.verdict).toBe('safe');
    expect(change!.rows.filter((r) => r.effect === 'taken')).toEqual([]);
    const alone = await h['diagnosis:run'](
      { runId: crypto.randomUUID(), form: { ...form, policies: [file('base.save')] } },
      sender,
    );
    expect(alone.session.input.policiesAfter).toBeUndefined();
    expect(changeOf(alone)).toEqual({});
  });

  test('re-running the Policy step with another version adds the comparison to the linked session', async () => {
    const h = handlers();
    const first = await h['diagnosis:run'](
      { runId: crypto.randomUUID(), form: { ...form, policies: [file('base.save')] } },
      sender,
    );
    const second = await h['diagnosis:rerun-step'](
      {
        runId: crypto.randomUUID(),
        sessionId: first.session.id,
        layer: 'policy',
        form: { ...form, policies: [file('base.save')], policiesAfter: [file('range-deleted.save')] },
      },
      sender,
    );
    const { change } = changeOf(second);
    expect(change!.verdict).toBe('cuts');
    expect(change!.rows.map((r) => r.range)).toContain('103.21.244.0/22');
    expect(change!.rows.find((r) => r.range === '103.21.244.0/22')!.changes[0]!.kind).toBe('removed');
  });

  test('another version that cannot be read, or given without rules to compare, is refused with words', async () => {
    const h = handlers();
    const unreadable = await refusedWith(
      h['diagnosis:run'](
        {
          runId: crypto.randomUUID(),
          form: {
            ...form,
            policies: [file('base.save')],
            policiesAfter: [
              { name: 'next.rules', text: '*filter\n-A INPUT -s 10.0.0.0/33 -j ACCEPT\nCOMMIT\n' },
            ],
          },
        },
        sender,
      ),
    );
    expect(unreadable.key).toBe('app.policy_after_unreadable');
    expect(String(unreadable.params.detail)).toContain('next.rules');
    const alone = await refusedWith(
      h['diagnosis:run'](
        { runId: crypto.randomUUID(), form: { ...form, policiesAfter: [file('ssh-added.save')] } },
        sender,
      ),
    );
    expect(alone.key).toBe('app.policy_after_alone');
    expect((await h['sessions:list']({ limit: 10, offset: 0 }, sender)).total).toBe(0);
  });
});
