import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerHandlers, type IpcMainLike } from '../../main/app/ipc';
import { openDatabase } from '../../main/db/open';
import { SessionsRepo } from '../../main/db/sessions-repo';
import { createDesktopHandlers } from '../../main/use-cases/desktop-handlers';
import type { SessionExport } from '../../main/use-cases/sessions';
import { createTranslator } from '../../shared/i18n/translate';
import en from '../../shared/i18n/locales/en.json';
import type { ProbeRecord, Report } from '../../shared/model/report';
import { findOversize, SESSION_LIMITS } from '../../shared/model/session-limits';
import { runCli } from '../lab/cli';

// Issue 19 item 8, "the app stays up": crafted sessions are refused with words (never a hang, a crash or a blank
// window), sessions built from pasted origin output always reopen, exports of crafted sessions end in a report
// or a clear error. Everything goes through the real registration wrapper, as the renderer's calls do.

type Envelope = {
  ok: boolean;
  value?: unknown;
  error?: { key: string; params: Record<string, string | number> };
};

/** Every history made here, removed at the end (some hold a 10 MB crafted session). */
const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function app() {
  const dir = mkdtempSync(path.join(tmpdir(), 'od-stays-up-'));
  made.push(dir);
  const dbFile = path.join(dir, 'h.sqlite');
  const saved: string[] = [];
  const handlers = new Map<string, (event: unknown, input: unknown) => Promise<unknown>>();
  const ipc: IpcMainLike = { handle: (channel, listener) => void handlers.set(channel, listener as never) };
  registerHandlers(
    ipc,
    createDesktopHandlers({
      version: 'test',
      platform: process.platform,
      userData: dir,
      dbFile,
      timeZone: 'UTC',
      emit: () => undefined,
      writeClipboard: () => undefined,
      saveFile: async (name, data) => {
        const file = path.join(dir, name);
        writeFileSync(file, data);
        saved.push(file);
        return file;
      },
      printPdf: async (html) => Buffer.from(`%PDF-1.7 ${html.length}`),
    }),
    (url) => url === 'app://renderer/index.html',
  );
  const invoke = async (channel: string, input: unknown): Promise<Envelope> =>
    (await handlers.get(channel)!(
      { senderFrame: { url: 'app://renderer/index.html', parent: null }, sender: { id: 1 } },
      input,
    )) as Envelope;
  const ok = async <T>(channel: string, input: unknown): Promise<T> => {
    const r = await invoke(channel, input);
    if (!r.ok) throw new Error(`${channel}: ${JSON.stringify(r.error)}`);
    return r.value as T;
  };
  return { dir, dbFile, saved, invoke, ok };
}

const form = { endpoints: ['http://127.0.0.1:1'], timeoutMs: '500', attempts: '4', lang: 'en' as const };
const t = { en: createTranslator('en'), zh: createTranslator('zh-CN') };
const words = (e: { key: string; params: Record<string, string | number> }) => ({
  en: t.en(e.key, e.params),
  zh: t.zh(e.key, e.params),
});
const clone = <T>(v: T): T => structuredClone(v);

/** A real session (a refused endpoint on loopback), exported the way the app exports it. */
let real: SessionExport;
beforeAll(async () => {
  const a = app();
  const report = await a.ok<Report>('diagnosis:run', { runId: crypto.randomUUID(), form });
  const { saved } = await a.ok<{ saved: string }>('sessions:export', { ids: [report.session.id] });
  real = JSON.parse(readFileSync(saved, 'utf8')) as SessionExport;
});

/** The real export with its one session changed by `edit`, under a fresh id. */
function crafted(edit: (r: Report) => void): SessionExport {
  const doc = clone(real);
  const r = doc.sessions[0]!.report;
  r.session.id = crypto.randomUUID();
  edit(r);
  return doc;
}
const tcpOf = (r: Report): ProbeRecord => r.probes.find((p) => p.kind === 'tcp')!;
const attemptsOf = (p: ProbeRecord) => p.data.attempts as { seq: number }[];

const NESTED = 'nested-placeholder';

describe('an over-size session is refused with words naming what is too big', () => {
  const cases: [string, (r: Report) => void, string, RegExp, RegExp][] = [
    [
      '150k TCP attempts (a 10 MB file)',
      (r) => {
        const p = tcpOf(r);
        const a = attemptsOf(p)[0]!;
        p.data.attempts = Array.from({ length: 150_000 }, (_, i) => ({ ...a, seq: i + 1 }));
      },
      'attempts',
      /TCP attempts in one probe/,
      /TCP 尝试次数/,
    ],
    [
      '30k probes',
      (r) => {
        const p = r.probes[0]!;
        r.probes = Array.from({ length: 30_000 }, (_, i) => ({ ...p, id: `p-${i}` }));
      },
      'probes',
      /number of probes/,
      /探测数量/,
    ],
    [
      'a 2 MiB target',
      (r) => void (tcpOf(r).target = 'x'.repeat(2 * 1024 * 1024)),
      'text',
      /length of one text/,
      /单段文本长度/,
    ],
    [
      'probe data nested 5000 deep',
      // JSON.stringify itself overflows on such nesting: the file's text is written as a person would craft it.
      (r) => void (tcpOf(r).data.extra = NESTED),
      'depth',
      /nesting depth/,
      /嵌套深度/,
    ],
    [
      '6000 findings',
      (r) => {
        const f = { ...r.findings[0]! };
        r.findings = Array.from({ length: 6000 }, () => f);
      },
      'findings',
      /number of findings/,
      /发现数量/,
    ],
  ];

  for (const [name, edit, what, enText, zhText] of cases)
    test(name, { timeout: 120_000 }, async () => {
      const a = app();
      const text = JSON.stringify(crafted(edit)).replace(
        JSON.stringify(NESTED),
        `${'['.repeat(5000)}"leaf"${']'.repeat(5000)}`,
      );
      const started = performance.now();
      const r = await a.invoke('sessions:import', { name: 'crafted.json', text });
      const ms = performance.now() - started;
      expect(r.ok).toBe(false);
      expect(r.error!.key).toBe('session.import_too_big');
      expect(r.error!.params.what).toBe(what);
      const w = words(r.error!);
      expect(w.en).toMatch(enText);
      expect(w.en).toMatch(/crafted\.json: session 1 is too big/);
      expect(w.zh).toMatch(zhText);
      // Refused after one linear walk: a generous bound on a loaded machine (the app froze for minutes before).
      expect(ms).toBeLessThan(15_000);
      // Nothing came in.
      expect(await a.ok<{ total: number }>('sessions:list', { limit: 10, offset: 0 })).toMatchObject({
        total: 0,
      });
    });
});

/** The biggest sessions the product makes, built to the product's own bounds. */
function biggestLegitimate(): Report[] {
  const base = real.sessions[0]!.report;
  const tcp = tcpOf(base);
  const a = attemptsOf(tcp)[0]!;
  const endpoints = Array.from({ length: 16 }, (_, i) => ({
    ...base.session.input.endpoints[0]!,
    url: `http://127.0.0.1:${1000 + i}`,
    port: 1000 + i,
  }));
  const sixteenByTwenty = clone(base);
  sixteenByTwenty.session.input.endpoints = endpoints;
  sixteenByTwenty.session.input.attempts = 20;
  sixteenByTwenty.probes = endpoints.map((e, i) => ({
    ...tcp,
    id: `tcp-${i + 1}`,
    target: e.url,
    data: {
      ...tcp.data,
      url: e.url,
      port: e.port,
      attempts: Array.from({ length: 20 }, (_, k) => ({ ...a, seq: k + 1 })),
    },
  }));
  const watch = clone(sixteenByTwenty);
  watch.session.input.watch = { intervalS: 1, durationS: 2000 };
  const round = (n: number) => ({
    round: n,
    atS: n - 1,
    ok: n % 7 !== 0,
    endpoints: endpoints.map((e) => ({
      url: e.url,
      sent: 1,
      connected: n % 7 === 0 ? 0 : 1,
      connectMs: n % 7 === 0 ? null : 1.5,
      tcpFailure: n % 7 === 0 ? ('timeout' as const) : null,
      httpOutcome: 'ok',
      httpStatus: 200,
      ttfbMs: 3,
      ok: n % 7 !== 0,
    })),
  });
  watch.probes.push(
    ...Array.from({ length: 2000 }, (_, i) => ({
      id: `round-${i + 1}`,
      kind: 'watch' as const,
      target: 'watch',
      startedAt: base.session.createdAt,
      durationMs: 10,
      status: 'ok' as const,
      data: round(i + 1),
    })),
  );
  const capture = clone(base);
  // A 16 MiB capture is 22 Mi characters of base64; an 8 MiB rule file beside it.
  capture.probes.push({
    ...base.probes[0]!,
    id: 'capture',
    kind: 'capture',
    data: { pcap: 'QUJD'.repeat((16 * 1024 * 1024) / 3) },
  });
  capture.session.input.policies = [
    { name: 'iptables.txt', format: null, text: '-A INPUT -j ACCEPT\n'.repeat((8 * 1024 * 1024) / 19) },
  ];
  return [sixteenByTwenty, watch, capture];
}

describe('near miss: the biggest sessions the product makes stay well within the limits', () => {
  test('16 endpoints × 20 attempts, a 2000-round watch, a 16 MiB capture with an 8 MiB rule file', () => {
    for (const r of biggestLegitimate()) expect(findOversize(r, 'notes '.repeat(30_000))).toBeNull();
    // "Well within": a tenth of each count limit would still hold them.
    expect(2000 + 16).toBeLessThan(SESSION_LIMITS.probes / 5);
    expect(20).toBeLessThan(SESSION_LIMITS.attempts / 10);
  });

  test('the 16 × 20 session and the 2000-round watch import and open', { timeout: 180_000 }, async () => {
    const a = app();
    const [sixteen, watch] = biggestLegitimate();
    for (const r of [sixteen!, watch!]) {
      const doc = clone(real);
      doc.sessions[0]!.report = r;
      r.session.id = crypto.randomUUID();
      expect(await a.ok('sessions:import', { name: 'big.json', text: JSON.stringify(doc) })).toMatchObject({
        imported: 1,
      });
      const opened = await a.ok<{ report: Report }>('sessions:open', { id: r.session.id });
      expect(opened.report.probes).toHaveLength(r.probes.length);
    }
  });
});

/** Writes a report straight into the history, as a crafted or damaged database would hold it (no import checks). */
async function store(dbFile: string, r: Report, notes = ''): Promise<void> {
  const db = await openDatabase(dbFile);
  const repo = new SessionsRepo(db.db);
  const id = r.session.id;
  repo.create({
    id,
    createdAt: r.session.createdAt,
    input: r.session.input,
    parentId: null,
    toolVersion: 'x',
  });
  db.db.transaction(() => r.probes.forEach((p) => repo.appendProbe(id, p)))();
  repo.finish(id, {
    status: 'finished',
    finishedAt: r.session.finishedAt,
    verdict: r.verdict,
    environment: r.session.environment,
    findings: r.findings,
    causes: r.causes,
  });
  repo.update(id, { tags: ['x'], notes });
  db.db.close();
}

describe('a stored over-size session is not opened or exported, and says why', () => {
  test('150k attempts written into the database', { timeout: 180_000 }, async () => {
    const a = app();
    await a.ok('sessions:list', { limit: 1, offset: 0 }); // the history file exists
    const r = crafted((x) => {
      const p = tcpOf(x);
      p.data.attempts = Array.from({ length: 150_000 }, (_, i) => ({ ...attemptsOf(p)[0]!, seq: i + 1 }));
    }).sessions[0]!.report;
    await store(a.dbFile, r);
    for (const [channel, input] of [
      ['sessions:open', { id: r.session.id }],
      ['report:export', { id: r.session.id, format: 'html', redact: false, lang: 'zh-CN' }],
    ] as const) {
      const started = performance.now();
      const res = await a.invoke(channel, input);
      expect(performance.now() - started).toBeLessThan(30_000);
      expect(res.ok).toBe(false);
      expect(res.error).toMatchObject({ key: 'session.too_big', params: { what: 'attempts' } });
      expect(words(res.error!).zh).toMatch(/会话 .* 太大/);
    }
    // Near miss: the rest of the history is fine.
    expect(await a.ok<{ total: number }>('sessions:list', { limit: 10, offset: 0 })).toMatchObject({
      total: 1,
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Item 3: a session built from pasted origin output can always be reopened.

const ORIGIN = path.join(__dirname, '..', 'fixtures', 'origin');
const originFixtures = readdirSync(ORIGIN, { withFileTypes: true })
  .filter((d) => d.isFile() && /\.(txt|json)$/.test(d.name))
  .map((d) => ({ name: d.name, text: readFileSync(path.join(ORIGIN, d.name), 'utf8') }))
  .concat(
    readdirSync(path.join(ORIGIN, 'firewall')).map((n) => ({
      name: n,
      text: readFileSync(path.join(ORIGIN, 'firewall', n), 'utf8'),
    })),
  );

/** Runs a session from pastes, then reopens it and renders every view's data and every export format. */
async function pasteRunReopen(a: ReturnType<typeof app>, pastes: { name: string; text: string }[]) {
  const run = await a.invoke('diagnosis:run', {
    runId: crypto.randomUUID(),
    form: { ...form, attempts: '1', originPastes: pastes },
  });
  if (!run.ok) {
    // A paste may be refused as input: then in words the app has, never an internal error.
    expect(run.error!.key).not.toBe('ipc.internal_error');
    expect(Object.keys(en)).toContain(run.error!.key);
    return null;
  }
  const id = (run.value as Report).session.id;
  const opened = await a.invoke('sessions:open', { id });
  expect(opened).toMatchObject({ ok: true });
  const report = (opened.value as { report: Report }).report;
  expect(report.session.input.origin).toBeTruthy();
  for (const format of ['html', 'md', 'json', 'pdf'] as const)
    expect(
      await a.invoke('report:export', { id, format, redact: format === 'md', lang: 'zh-CN' }),
    ).toMatchObject({
      ok: true,
    });
  return report;
}

describe('a session built from pasted origin output always reopens', () => {
  test(
    'every origin fixture pasted (ss, netstat, iptables-save, logs, dmesg …), run, saved, reopened, exported',
    { timeout: 300_000 },
    async () => {
      const a = app();
      for (const f of originFixtures) {
        const report = await pasteRunReopen(a, [f]);
        expect([f.name, report === null]).toEqual([f.name, false]);
      }
      // All of them at once, as a person pastes several outputs.
      expect(await pasteRunReopen(a, originFixtures.slice(0, 8))).not.toBeNull();
    },
  );

  test('adversarial pastes (fuzz seed 20261129): reopen never throws', { timeout: 300_000 }, async () => {
    const a = app();
    const tokens = [
      ' ',
      '\n',
      'A',
      '0',
      '{',
      '[',
      '"',
      '\t',
      ':',
      '\u001b[31m',
      '\u0000',
      '\r',
      '`',
      'LISTEN ',
    ];
    const paste = fc.oneof(
      fc
        .record({
          base: fc.constantFrom(...originFixtures.map((f) => f.text)),
          at: fc.nat(),
          token: fc.constantFrom(...tokens),
          times: fc.integer({ min: 1, max: 120_000 }),
        })
        .map(({ base, at, token, times }) => {
          const i = at % (base.length + 1);
          return base.slice(0, i) + token.repeat(times) + base.slice(i);
        }),
      fc.string({ unit: 'binary', maxLength: 2000 }),
      fc.constantFrom(...originFixtures.map((f) => f.text)).map((s) => s.replace(/\n/g, '\r\n')),
    );
    const samples = fc.sample(paste, { seed: 20261129, numRuns: 12 });
    for (const text of samples) await pasteRunReopen(a, [{ name: 'paste.txt', text }]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Item 4: export of a crafted stored session gives a report or a clear error, never a crash.

describe('export of a crafted stored session: a report or a clear error', () => {
  const C0 = '\u0000\u0007\u001b[2J\u001b]8;;https://x.example\u0007\u202e\r\n';
  const variants: [string, (r: Report) => void][] = [
    [
      'unknown finding and cause ids',
      (r) => {
        r.findings.push({ ...r.findings[0]!, id: 'zz.not_a_finding' });
        r.causes.push({ ...(r.causes[0] ?? causeLike()), id: 'cause.not_a_cause' });
      },
    ],
    [
      'probe data with fields missing or of the wrong shape',
      (r) => {
        for (const p of r.probes) p.data = p.kind === 'tcp' ? {} : { chain: 'x', attempts: 7, hops: null };
      },
    ],
    [
      'control characters and ANSI sequences in every text',
      (r) => {
        for (const p of r.probes) {
          p.target = `${p.target}${C0}`;
          p.raw = `${C0}${p.raw ?? ''}`;
        }
        for (const f of r.findings) f.message = C0;
        r.session.input.domain = `a${C0}.example`;
      },
    ],
    [
      'huge fields (a 256 KiB target, raw output of 256 KiB backticks)',
      (r) => {
        tcpOf(r).target = 'y'.repeat(256 * 1024);
        tcpOf(r).raw = '`'.repeat(256 * 1024);
      },
    ],
    ['a watch round with no endpoints', (r) => r.probes.push(watchLike())],
    ['no probes at all', (r) => void (r.probes = [])],
  ];

  function causeLike(): Report['causes'][number] {
    return {
      id: 'cause.service_down',
      confidence: 0.5,
      targets: [],
      targetConfidence: {},
      findings: [],
      summary: '',
      checks: [],
      fix: [],
      params: {},
    };
  }
  function watchLike(): ProbeRecord {
    return {
      id: 'round-1',
      kind: 'watch',
      target: 'watch',
      startedAt: '2026-11-29T10:00:00Z',
      durationMs: 1,
      status: 'ok',
      data: { round: 1, atS: 0, ok: true, endpoints: [] },
    };
  }

  for (const [name, edit] of variants)
    test(name, { timeout: 120_000 }, async () => {
      const a = app();
      await a.ok('sessions:list', { limit: 1, offset: 0 });
      const r = crafted(edit).sessions[0]!.report;
      await store(a.dbFile, r, `notes ${C0}`);
      for (const format of ['html', 'md', 'json', 'pdf', 'pcap'] as const)
        for (const lang of ['en', 'zh-CN'] as const) {
          const res = await a.invoke('report:export', { id: r.session.id, format, redact: true, lang });
          if (!res.ok) {
            expect([format, res.error!.key]).not.toEqual([format, 'ipc.internal_error']);
            expect(Object.keys(en)).toContain(res.error!.key);
          }
        }
      // The JSON export is the report itself: it parses back.
      const json = await a.invoke('report:export', {
        id: r.session.id,
        format: 'json',
        redact: false,
        lang: 'en',
      });
      if (json.ok)
        expect(() => JSON.parse(readFileSync((json.value as { saved: string }).saved, 'utf8'))).not.toThrow();
    });

  test('a damaged row (a finding that is not a finding) is named, not an internal error', async () => {
    const a = app();
    await a.ok('sessions:list', { limit: 1, offset: 0 });
    const r = crafted(() => undefined).sessions[0]!.report;
    await store(a.dbFile, r);
    const db = await openDatabase(a.dbFile);
    db.db.prepare('UPDATE findings SET json = ? WHERE session_id = ?').run('{"id":1}', r.session.id);
    db.db.close();
    for (const [channel, input] of [
      ['sessions:open', { id: r.session.id }],
      ['report:export', { id: r.session.id, format: 'md', redact: false, lang: 'en' }],
    ] as const)
      expect(await a.invoke(channel, input)).toMatchObject({ ok: false, error: { key: 'db.damaged_row' } });
  });
});

describe('the CLI refuses the same over-size sessions with the same words', () => {
  test(
    'import of 150k attempts: exit 2, one line naming what is too big; show of a stored one too',
    { timeout: 180_000 },
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'od-stays-up-cli-'));
      const file = path.join(dir, 'crafted.json');
      const doc = crafted((r) => {
        const p = tcpOf(r);
        p.data.attempts = Array.from({ length: 150_000 }, (_, i) => ({ ...attemptsOf(p)[0]!, seq: i + 1 }));
        p.target = `${p.target}\u001b[2J`;
      });
      writeFileSync(file, JSON.stringify(doc));
      const db = path.join(dir, 'h.sqlite');
      const imp = await runCli(['import', file, '--db', db], {
        env: { ...process.env, LC_ALL: 'zh_CN.UTF-8' },
      });
      expect(imp.code).toBe(2);
      expect(imp.stderr).toMatch(
        /第 1 个会话太大，无法导入：probes\.1\.data\.attempts 处的单个探测的 TCP 尝试次数为 150000/,
      );
      expect(imp.stderr.trim().split('\n')).toHaveLength(1);
      // Written into the database by other means, it is not shown either.
      await store(db, doc.sessions[0]!.report);
      const show = await runCli(['show', doc.sessions[0]!.report.session.id, '--db', db], {
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      });
      expect(show.code).toBe(2);
      expect(show.stderr).toMatch(/is too big to open or export: the number of TCP attempts in one probe/);
      expect(show.stderr).not.toContain('\u001b');
      rmSync(dir, { recursive: true, force: true });
    },
  );
});
