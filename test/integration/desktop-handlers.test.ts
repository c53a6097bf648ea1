import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { createDesktopHandlers } from '../../main/use-cases/desktop-handlers';
import { UserError } from '../../main/app/ipc';
import { openDatabase } from '../../main/db/open';
import { SessionsRepo } from '../../main/db/sessions-repo';

// The app's handlers called directly (the e2e tests go through the page): what the renderer cannot easily show.
function handlers() {
  const dir = mkdtempSync(path.join(tmpdir(), 'od-handlers-'));
  const saved: string[] = [];
  const h = createDesktopHandlers({
    version: 'test',
    platform: process.platform,
    userData: dir,
    dbFile: path.join(dir, 'h.sqlite'),
    emit: () => undefined,
    writeClipboard: () => undefined,
    saveFile: async (name, data) => {
      const file = path.join(dir, name);
      writeFileSync(file, data);
      saved.push(file);
      return file;
    },
    printPdf: async () => Buffer.from('%PDF-'),
  });
  return { h, dir, saved };
}
const sender = { id: 1 };
const form = { endpoints: ['http://127.0.0.1:1'], timeoutMs: '500', attempts: '1', lang: 'en' as const };

async function refusedWith(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('desktop handlers', () => {
  test('notes saved without tags keep the tags the session has', async () => {
    const { h, dir } = handlers();
    const report = await h['diagnosis:run']({ runId: crypto.randomUUID(), form }, sender);
    await h['sessions:update']({ id: report.session.id, notes: 'first', tags: ['ticket-42'] }, sender);
    await h['sessions:update']({ id: report.session.id, notes: '## network\nsecond' }, sender);
    const opened = await h['sessions:open']({ id: report.session.id }, sender);
    expect(opened.tags).toEqual(['ticket-42']);
    expect(opened.notes).toBe('## network\nsecond');
    // The same history the CLI reads.
    const db = await openDatabase(path.join(dir, 'h.sqlite'));
    expect(new SessionsRepo(db.db).get(report.session.id)!.summary.tags).toEqual(['ticket-42']);
    db.db.close();
  });

  test('a step re-run is a new session linked to the first, with the other steps’ probes kept', async () => {
    const { h } = handlers();
    const first = await h['diagnosis:run'](
      { runId: crypto.randomUUID(), form: { ...form, provider: 'cloudflare' } },
      sender,
    );
    const rules = {
      name: 'iptables.txt',
      text: '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n',
    };
    const second = await h['diagnosis:rerun-step'](
      {
        runId: crypto.randomUUID(),
        sessionId: first.session.id,
        layer: 'policy',
        form: { ...form, policies: [rules] },
      },
      sender,
    );
    expect(second.session.id).not.toBe(first.session.id);
    expect(second.probes.filter((p) => p.kind === 'tcp').map((p) => p.startedAt)).toEqual(
      first.probes.filter((p) => p.kind === 'tcp').map((p) => p.startedAt),
    );
    expect(second.findings.map((f) => f.id)).toContain('policy.backorigin_not_allowed');
    const list = await h['sessions:list']({ limit: 10, offset: 0 }, sender);
    expect(list.items.find((s) => s.id === second.session.id)!.parentId).toBe(first.session.id);
  });

  test('bad input is refused with words, and nothing is lost', async () => {
    const { h } = handlers();
    const first = await h['diagnosis:run']({ runId: crypto.randomUUID(), form }, sender);
    expect((await refusedWith(h['sessions:import']({ name: 'x.json', text: 'not json' }, sender))).key).toBe(
      'history.import_not_json',
    );
    const bad = await refusedWith(
      h['sessions:import']({ name: 'x.json', text: '{"format":"other"}' }, sender),
    );
    expect([bad.key, bad.params.file]).toEqual(['history.import_invalid', 'x.json']);
    expect(
      (
        await refusedWith(
          h['report:export']({ id: first.session.id, format: 'pcap', redact: false, lang: 'en' }, sender),
        )
      ).key,
    ).toBe('cli.no_capture');
    expect((await refusedWith(h['sessions:open']({ id: 'nope' }, sender))).key).toBe('history.not_found');
    expect(
      (
        await refusedWith(
          h['diagnosis:run'](
            { runId: crypto.randomUUID(), form: { ...form, watch: { intervalS: '0.1', durationS: '5' } } },
            sender,
          ),
        )
      ).key,
    ).toBe('input.bad_seconds');
    expect((await h['sessions:list']({ limit: 10, offset: 0 }, sender)).total).toBe(1);
  });

  test('export and import round-trip; a report exports in every format', async () => {
    const { h, saved } = handlers();
    const first = await h['diagnosis:run']({ runId: crypto.randomUUID(), form }, sender);
    for (const format of ['html', 'md', 'json', 'pdf'] as const)
      expect(
        (await h['report:export']({ id: first.session.id, format, redact: true, lang: 'zh-CN' }, sender))
          .saved,
      ).toMatch(new RegExp(`\\.${format}$`));
    expect(
      readFileSync(
        saved.find((f) => f.endsWith('.html'))!,
        'utf8',
      ),
    ).toContain('lang="zh-CN"');
    const out = await h['sessions:export']({ ids: [first.session.id] }, sender);
    const other = handlers();
    const result = await other.h['sessions:import'](
      { name: 'e.json', text: readFileSync(out.saved!, 'utf8') },
      sender,
    );
    expect(result).toEqual({ imported: 1, copies: 0, present: 0 });
    const again = await other.h['sessions:import'](
      { name: 'e.json', text: readFileSync(out.saved!, 'utf8') },
      sender,
    );
    expect(again).toEqual({ imported: 0, copies: 0, present: 1 });
  });
});
