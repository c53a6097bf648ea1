import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { ChannelInput, EventName, EventPayload } from '../../shared/ipc/contract';
import type { SessionField } from '../../shared/net/session-input';
import { buildSessionInput } from '../../shared/net/session-input';
import { createTranslator } from '../../shared/i18n/translate';
import type { Lang, Report, SessionInput } from '../../shared/model/report';
import type { Handlers } from '../app/ipc';
import { UserError } from '../app/ipc';
import { originBundleSchema } from '../../shared/model/origin-bundle';
import { analyseForm, type FormAnalysis, type FormAnalysisRequest } from './form-analysis';
import { createOffThreadParser, ParseStopped, PARSE_TIMEOUT_MS } from './off-thread';
import { parseWatchSpec } from './watch';
import { DbError, openDatabase } from '../db/open';
import { processAlive, SessionsRepo, type StoredSession } from '../db/sessions-repo';
import {
  compareSessions,
  exportSessions,
  importSessions,
  oversizeInImport,
  rerunStep,
  retest,
  StoredInputError,
  runAndStore,
  sessionExportSchema,
} from './sessions';
import { SessionTooBigError, storedReport } from './stored-report';
import type { RunDiagnosisDeps } from './run-diagnosis';
import type { RunnerEvent } from '../probes/runner';
import { pcapOf, renderPdf, renderReport } from './export-report';

export interface DesktopPorts {
  readonly version: string;
  readonly platform: string;
  readonly userData: string;
  /** The history's SQLite file (under userData in the app). */
  readonly dbFile: string;
  /** Sends an event to the window that asked (by its webContents id). */
  readonly emit: <E extends EventName>(senderId: number, event: E, payload: EventPayload<E>) => void;
  readonly now?: () => Date;
  /** Writes to the system clipboard (Electron's clipboard in the app). */
  readonly writeClipboard: (text: string) => void;
  /** Asks where to save a file and writes it; null when the person cancelled. */
  readonly saveFile: (suggestedName: string, data: string | Buffer) => Promise<string | null>;
  /** Prints report HTML to PDF (Electron's printToPDF in the app). */
  readonly printPdf: (html: string) => Promise<Buffer>;
  /** The system time zone for "generated at" in exported reports. */
  readonly timeZone?: string;
  /**
   * The built worker that reads pasted and picked texts off the main thread (out/main/parse-worker.js beside the
   * app's main file; found by itself when left out), and how long a read may take (20 s).
   */
  readonly parseWorkerFile?: string;
  readonly parseTimeoutMs?: number;
}

type Form = ChannelInput<'diagnosis:run'>['form'];

/**
 * Turns the app's form into a session input with the CLI's own rules: every field validated and worded in the
 * form's language; rule files and the origin's output checked before any probe runs, with the file and line.
 * `analyse` reads the pasted and picked texts (in a worker thread in the app; in this thread when left out).
 */
export async function formToInput(
  form: Form,
  now: Date,
  analyse: (req: FormAnalysisRequest) => Promise<FormAnalysis> = async (req) => analyseForm(req),
): Promise<SessionInput> {
  const lang: Lang = form.lang ?? 'en';
  const t = createTranslator(lang);
  const {
    policies: rules,
    policiesAfter: rulesAfter,
    originBundle,
    originPastes,
    errorPage,
    capture: _capture,
    watch,
    ...fields
  } = form;
  const input = buildSessionInput(fields, (field: SessionField) => t(`app.field.${field}`), lang);
  if (!input.ok) throw new UserError(input.error.key, input.error.params);
  let watchSpec: SessionInput['watch'] = null;
  if (watch) {
    const w = parseWatchSpec(watch, { intervalS: t('app.watch_every'), durationS: t('app.watch_for') });
    if (!w.ok) throw new UserError(w.error.key, w.error.params);
    watchSpec = w.value;
  }
  let origin = null;
  const hasBundle = originBundle !== undefined && originBundle !== null;
  if (hasBundle) {
    const b = originBundleSchema.safeParse(originBundle);
    if (!b.success) {
      const issue = b.error.issues[0]!;
      throw new UserError('origin.bundle_invalid', {
        file: t('app.origin_bundle'),
        path: issue.path.join('.') || '-',
        detail: issue.message,
      });
    }
    origin = b.data;
  }
  const policies = (rules ?? []).map((r) => ({ name: r.name, text: r.text, format: null }));
  const policiesAfter = (rulesAfter ?? []).map((r) => ({ name: r.name, text: r.text, format: null }));
  const analysed = await analyse({
    policies: policies.map((p) => ({ name: p.name, text: p.text })),
    policiesAfter: policiesAfter.map((p) => ({ name: p.name, text: p.text })),
    // A bundle read from its JSON file wins over pasted output, as it always has.
    originPastes: hasBundle ? null : (originPastes ?? null),
    ports: [...new Set(input.value.endpoints.map((e) => e.port))],
    errorPage: errorPage ?? null,
    now: now.toISOString(),
  });
  if (analysed.policyError) throw new UserError(analysed.policyError.key, analysed.policyError.params);
  // The other version's files may share names with the rules' (two versions of rules.v4): say which set it is.
  if (analysed.policyAfterError)
    throw new UserError('app.policy_after_unreadable', {
      detail: t(analysed.policyAfterError.key, analysed.policyAfterError.params),
    });
  origin ??= analysed.origin;
  // Another version with nothing to compare it with would be dropped without a word: the run has no policy step.
  if (policiesAfter.length && !policies.length && !origin?.firewall?.length)
    throw new UserError('app.policy_after_alone', {});
  let symptomDetail: SessionInput['symptomDetail'] = null;
  let symptom = input.value.symptom;
  const decoded = analysed.errorPage;
  if (decoded) {
    symptomDetail = {
      provider: decoded.provider,
      code: decoded.code,
      reference: decoded.reference,
      layer: decoded.layer,
    };
    symptom ??= decoded.symptom;
  }
  return {
    ...input.value,
    symptom,
    ...(policies.length ? { policies } : {}),
    ...(policiesAfter.length ? { policiesAfter } : {}),
    ...(origin ? { origin } : {}),
    ...(symptomDetail ? { symptomDetail } : {}),
    ...(watchSpec ? { watch: watchSpec } : {}),
  };
}

/** The desktop app's IPC handlers: thin adapters from the contract to the same use-cases the CLI calls. */
export function createDesktopHandlers(ports: DesktopPorts): Handlers {
  const running = new Map<string, AbortController>();
  const now = ports.now ?? (() => new Date());
  let store: Promise<{ repo: SessionsRepo; db: Database }> | null = null;
  const history = async (): Promise<{ repo: SessionsRepo; db: Database }> => {
    store ??= (async () => {
      try {
        const opened = await openDatabase(ports.dbFile, now);
        const repo = new SessionsRepo(opened.db);
        // Sessions left "running" by an app or CLI that crashed or was killed read as interrupted; a CLI run
        // still going on in the same history is left alone.
        repo.markOrphansInterrupted(processAlive);
        return { repo, db: opened.db };
      } catch (e) {
        store = null;
        if (e instanceof DbError) throw new UserError(e.key, e.params as Record<string, string | number>);
        throw e;
      }
    })();
    return store;
  };
  const progress =
    (runId: string, senderId: number) =>
    (e: RunnerEvent): void => {
      const base =
        e.type === 'probe-finished'
          ? { probeId: e.record.id, kind: e.record.kind, target: e.record.target, status: e.record.status }
          : e.type === 'probe-started'
            ? { probeId: e.id, kind: e.kind, target: e.target, status: null }
            : { probeId: e.id, kind: '', target: '', status: null };
      ports.emit(senderId, 'probe:progressed', { runId, type: e.type, ...base });
    };
  const tracked = async <T>(runId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    running.set(runId, controller);
    try {
      return await work(controller.signal);
    } finally {
      running.delete(runId);
    }
  };
  const notFound = (id: string): UserError => new UserError('history.not_found', { id });
  const parseTimeoutMs = ports.parseTimeoutMs ?? PARSE_TIMEOUT_MS;
  const parser = createOffThreadParser({
    ...(ports.parseWorkerFile !== undefined ? { workerFile: ports.parseWorkerFile } : {}),
    timeoutMs: parseTimeoutMs,
  });
  /**
   * The form's texts read in the worker thread. One read per window and channel: a newer one from the same window
   * cancels the older; `signal` is the run's (diagnosis:cancel); a read past the timeout is stopped.
   */
  const readForm = (form: Form, key: string, signal: AbortSignal): Promise<SessionInput> =>
    formToInput(form, now(), (req) =>
      parser.analyse(key, req, signal).catch((e: unknown) => {
        if (!(e instanceof ParseStopped)) throw e;
        const seconds = Math.round(parseTimeoutMs / 100) / 10;
        throw new UserError(`app.parse_${e.reason}`, { seconds, detail: e.detail });
      }),
    );
  /**
   * The run's policy layer analysed in the worker too. A read that is stopped (timeout, cancel) makes the policy
   * probe an error that says so, and the diagnosis names the rules as unreadable: never a verdict without them.
   */
  const policyPort =
    (runId: string, signal: AbortSignal): RunDiagnosisDeps['policy'] =>
    async (input, ranges) =>
      parser.policy(`${runId}:policy`, { input, ranges }, signal).catch((e: unknown) => {
        if (!(e instanceof ParseStopped)) throw e;
        const seconds = Math.round(parseTimeoutMs / 100) / 10;
        return { ok: false, error: { key: `app.parse_${e.reason}`, params: { seconds, detail: e.detail } } };
      });
  // A stored session is read back through its schemas and the size limits: a damaged or crafted one is refused
  // with words, before anything draws, diagnoses or exports it.
  const openStored = (repo: SessionsRepo, id: string): { s: StoredSession; report: Report } => {
    try {
      const s = repo.get(id);
      if (!s) throw notFound(id);
      return { s, report: storedReport(repo, s) };
    } catch (e) {
      if (e instanceof SessionTooBigError) throw new UserError(e.key, e.params);
      if (e instanceof DbError) throw new UserError(e.key, e.params as Record<string, string | number>);
      throw e;
    }
  };

  return {
    'app:info': async () => ({ version: ports.version, platform: ports.platform, userData: ports.userData }),
    'diagnosis:run': async ({ runId, form }, sender) =>
      tracked(runId, async (signal) => {
        const input = await readForm(form, `${sender.id}:diagnosis:run`, signal);
        const { repo } = await history();
        return runAndStore(repo, input, {
          now,
          newId: randomUUID,
          signal,
          policy: policyPort(runId, signal),
          capture: form.capture === true,
          onEvent: progress(runId, sender.id),
        });
      }),
    'diagnosis:rerun-step': async ({ runId, sessionId, layer, form }, sender) => {
      const { repo } = await history();
      const parent = repo.get(sessionId);
      if (!parent) throw notFound(sessionId);
      const report = await tracked(runId, async (signal) => {
        // The step's own inputs come from the form (new rules, the origin's output); the rest as first run.
        const fromForm = await readForm(form, `${sender.id}:diagnosis:rerun-step:${layer}`, signal);
        const input: SessionInput = {
          ...parent.input,
          lang: fromForm.lang,
          ...(layer === 'policy'
            ? { policies: fromForm.policies ?? [], policiesAfter: fromForm.policiesAfter ?? [] }
            : {}),
          ...(layer === 'origin' ? { origin: fromForm.origin ?? null } : {}),
        };
        return rerunStep(repo, sessionId, layer, input, {
          now,
          newId: randomUUID,
          signal,
          policy: policyPort(runId, signal),
          onEvent: progress(runId, sender.id),
        });
      }).catch((e: unknown) => {
        if (e instanceof StoredInputError) throw new UserError(e.error.key, e.error.params);
        throw e;
      });
      if (!report) throw notFound(sessionId);
      return report;
    },
    'diagnosis:cancel': async ({ runId }) => {
      const c = running.get(runId);
      c?.abort();
      return c !== undefined;
    },
    'clipboard:write': async ({ text }) => {
      ports.writeClipboard(text);
      return true;
    },
    'sessions:list': async (q) => {
      const { repo } = await history();
      return repo.list({
        limit: q.limit,
        offset: q.offset,
        ...(q.search?.trim() ? { search: q.search.trim() } : {}),
        ...(q.verdict ? { verdict: q.verdict } : {}),
      });
    },
    'sessions:open': async ({ id }) => {
      const { repo } = await history();
      // Re-derived by the current engine: a stored session may be an imported file's.
      const { s, report } = openStored(repo, id);
      return {
        report,
        status: s.summary.status,
        parentId: s.summary.parentId,
        notes: s.notes,
        tags: s.summary.tags,
      };
    },
    'sessions:update': async ({ id, notes, tags }) => {
      const { repo } = await history();
      const s = repo.get(id);
      if (!s) throw notFound(id);
      // Tags left out keep the ones the session has (set from the CLI, or an import).
      repo.update(id, { notes, tags: tags ?? s.summary.tags });
      return true;
    },
    'sessions:delete': async ({ id }) => {
      const { repo } = await history();
      // A session another run is still writing (here or in a CLI) is not deleted under it.
      if (repo.get(id)?.summary.status === 'running') throw new UserError('session.delete_running', { id });
      return repo.delete(id);
    },
    'sessions:retest': async ({ runId, id }, sender) => {
      const { repo } = await history();
      const report = await tracked(runId, (signal) =>
        retest(repo, id, {
          now,
          newId: randomUUID,
          signal,
          policy: policyPort(runId, signal),
          onEvent: progress(runId, sender.id),
        }),
      ).catch((e: unknown) => {
        if (e instanceof StoredInputError) throw new UserError(e.error.key, e.error.params);
        throw e;
      });
      if (!report) throw notFound(id);
      return report;
    },
    'sessions:compare': async ({ a, b }) => {
      const { repo } = await history();
      const sa = repo.get(a);
      const sb = repo.get(b);
      if (!sa) throw notFound(a);
      if (!sb) throw notFound(b);
      return compareSessions(sa, sb);
    },
    'sessions:export': async ({ ids }) => {
      const { repo } = await history();
      for (const id of ids) if (!repo.get(id)) throw notFound(id);
      const doc = exportSessions(repo, ids, now());
      const name =
        ids.length === 1 ? `origin-doctor-${ids[0]}.json` : `origin-doctor-${ids.length}-sessions.json`;
      return { saved: await ports.saveFile(name, JSON.stringify(doc, null, 2) + '\n') };
    },
    'sessions:import': async ({ name, text }) => {
      const { repo, db } = await history();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new UserError('history.import_not_json', { file: name });
      }
      const big = oversizeInImport(json);
      if (big)
        throw new UserError('session.import_too_big', { file: name, index: big.index, ...big.oversize });
      const doc = sessionExportSchema.safeParse(json);
      if (!doc.success) {
        const issue = doc.error.issues[0]!;
        throw new UserError('history.import_invalid', {
          file: name,
          path: issue.path.join('.') || '-',
          detail: issue.message,
        });
      }
      const outcomes = importSessions(repo, doc.data, randomUUID, db);
      return {
        imported: outcomes.filter((o) => o.result === 'imported').length,
        copies: outcomes.filter((o) => o.result === 'imported_as_copy').length,
        present: outcomes.filter((o) => o.result === 'already_present').length,
      };
    },
    'report:export': async ({ id, format, redact, lang }) => {
      const { repo } = await history();
      const { s, report } = openStored(repo, id);
      const base = `origin-doctor-${id}`;
      if (format === 'pcap') {
        const pcap = pcapOf(report);
        if (!pcap) throw new UserError('cli.no_capture', {});
        return { saved: await ports.saveFile(`${base}.pcap`, pcap) };
      }
      const parent = s.summary.parentId ? repo.get(s.summary.parentId) : null;
      const rendered = renderReport(report, {
        lang,
        redact,
        now: now(),
        timeZone: ports.timeZone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'),
        status: s.summary.status,
        notes: s.notes,
        tags: s.summary.tags,
        comparison: parent ? compareSessions(parent, s) : null,
      });
      const data =
        format === 'html'
          ? rendered.html
          : format === 'md'
            ? rendered.markdown
            : format === 'json'
              ? rendered.json
              : await renderPdf(rendered, ports.printPdf);
      return { saved: await ports.saveFile(`${base}.${format}`, data) };
    },
  };
}
