import { recheckStoredInput } from '../../shared/net/session-input';
import type { InputError } from '../../shared/net/validate';
import { z } from 'zod';
import type { Comparison, FindingChange } from '../../shared/model/comparison';
export type { Comparison, FindingChange };
import { reportSchema, type ProbeKind, type Report, type SessionInput } from '../../shared/model/report';
import { findOversize, type Oversize } from '../../shared/model/session-limits';
import type { WizardLayer } from '../../shared/ipc/contract';
import type { SessionsRepo, StoredSession } from '../db/sessions-repo';
import { planProbes, rangesInForce, reportFrom, runDiagnosis, type RunDiagnosisDeps } from './run-diagnosis';
import { resolveOriginNames } from './resolve-origins';
import { withResolvedEndpoints } from '../../shared/net/origin-name';
import { runProbes, type RunnerEvent } from '../probes/runner';
import { APP_VERSION } from '../version';

/**
 * Runs a session and stores it as it happens: the session row first, each probe result the moment it finishes,
 * the findings and causes at the end. A run killed halfway keeps every finished probe and reads as interrupted.
 */
export async function runAndStore(
  repo: SessionsRepo,
  input: SessionInput,
  deps: Omit<RunDiagnosisDeps, 'session'> & { parentId?: string | null },
): Promise<Report> {
  const id = deps.newId();
  const createdAt = deps.now().toISOString();
  repo.create({ id, createdAt, input, parentId: deps.parentId ?? null, toolVersion: APP_VERSION });
  const report = await runDiagnosis(input, {
    ...deps,
    session: { id, createdAt },
    onEvent: storing(repo, id, deps.onEvent),
  });
  finishStored(repo, report, deps.signal.aborted);
  return report;
}

/** Passes a run's events on, committing each probe result to the session the moment it finishes. */
function storing(
  repo: SessionsRepo,
  id: string,
  onEvent: RunDiagnosisDeps['onEvent'],
): (e: RunnerEvent) => void {
  return (e) => {
    if (e.type === 'probe-finished') repo.appendProbe(id, e.record);
    onEvent?.(e);
  };
}

/** Records the end of a stored run: status, verdict, findings, causes and the probes' order. */
function finishStored(repo: SessionsRepo, report: Report, cancelled: boolean): void {
  repo.finish(report.session.id, {
    status: cancelled ? 'cancelled' : 'finished',
    finishedAt: report.session.finishedAt,
    verdict: report.verdict,
    environment: report.session.environment,
    findings: report.findings,
    causes: report.causes,
    probeOrder: report.probes.map((p) => p.id),
  });
}

/** The probe kinds each wizard step runs; a step re-run replaces exactly these. */
export const LAYER_KINDS: Record<WizardLayer, readonly ProbeKind[]> = {
  network: ['dns', 'tcp', 'trace', 'local'],
  protocol: ['tls', 'http', 'mgmt'],
  policy: ['policy'],
  origin: ['origin'],
};

/**
 * Runs one step of a stored session again — after the rules or the origin's output were given, or after a fix —
 * keeping the other steps' probes as they were, and stores the result as a new session linked to the first.
 */
export async function rerunStep(
  repo: SessionsRepo,
  parentId: string,
  layer: WizardLayer,
  stepInput: SessionInput,
  deps: Omit<RunDiagnosisDeps, 'session'>,
): Promise<Report | null> {
  const parent = repo.get(parentId);
  if (!parent) return null;
  // The step runs on the stored session's input (perhaps an imported file's): checked like fresh input first,
  // as a re-test is, so nothing it holds reaches a probe unchecked and nothing is stored for a refused run.
  const checked = recheckStoredInput(stepInput);
  if (!checked.ok) throw new StoredInputError(parentId, checked.error);
  const input = checked.value;
  const kinds = LAYER_KINDS[layer];
  const id = deps.newId();
  const createdAt = deps.now().toISOString();
  repo.create({ id, createdAt, input, parentId, toolVersion: APP_VERSION });
  const kept = parent.probes.filter((p) => !kinds.includes(p.kind));
  kept.forEach((p) => repo.appendProbe(id, p));
  // The network step looks origin names up again; the other steps probe the addresses the kept lookups found.
  const ranges = rangesInForce(input);
  const resolved = kinds.includes('dns')
    ? await resolveOriginNames(input, ranges, { ...deps, onEvent: storing(repo, id, deps.onEvent) })
    : { input: withResolvedEndpoints(input, kept, ranges), records: [] };
  const fresh = await runProbes(
    planProbes(resolved.input, deps).filter((t) => kinds.includes(t.kind)),
    {
      timeoutMs: input.timeoutMs,
      signal: deps.signal,
      now: deps.now,
      onEvent: storing(repo, id, deps.onEvent),
    },
  );
  const report = reportFrom(input, [...kept, ...resolved.records, ...fresh], {
    id,
    createdAt,
    finishedAt: deps.now().toISOString(),
  });
  finishStored(repo, report, deps.signal.aborted);
  return report;
}

/** Runs a stored session's input again, as a new session linked to it (after the customer's fix). */
export async function retest(
  repo: SessionsRepo,
  parentId: string,
  deps: Omit<RunDiagnosisDeps, 'session'>,
): Promise<Report | null> {
  const parent = repo.get(parentId);
  if (!parent) return null;
  // A stored session may have come from an import: its input is checked like fresh input before it runs.
  const checked = recheckStoredInput(parent.input);
  if (!checked.ok) throw new StoredInputError(parentId, checked.error);
  return runAndStore(repo, checked.value, { ...deps, parentId });
}

/** A stored session whose input would not pass as fresh input (an imported file's): it is not run again. */
export class StoredInputError extends Error {
  constructor(
    readonly id: string,
    readonly error: InputError,
  ) {
    super(error.key);
  }
}

/**
 * Per problem finding (warn or error; the same id on the same target), what happened between two sessions:
 * fixed (only in the first), still failing (in both), new (only in the second).
 */
export function compareSessions(a: StoredSession, b: StoredSession): Comparison {
  const problems = (s: StoredSession) =>
    new Map(s.findings.filter((f) => f.severity !== 'info').map((f) => [`${f.id}\u0000${f.target}`, f]));
  const pa = problems(a);
  const pb = problems(b);
  const changes: Comparison['changes'][number][] = [];
  for (const [k, f] of pa)
    changes.push({
      id: f.id,
      target: f.target,
      severity: f.severity,
      change: pb.has(k) ? 'still_failing' : 'fixed',
    });
  for (const [k, f] of pb)
    if (!pa.has(k)) changes.push({ id: f.id, target: f.target, severity: f.severity, change: 'new' });
  const order: FindingChange[] = ['new', 'still_failing', 'fixed'];
  changes.sort(
    (x, y) =>
      order.indexOf(x.change) - order.indexOf(y.change) ||
      x.id.localeCompare(y.id) ||
      x.target.localeCompare(y.target),
  );
  return {
    a: a.summary.id,
    b: b.summary.id,
    verdict: { a: a.summary.verdict, b: b.summary.verdict },
    changes,
  };
}

export const sessionExportSchema = z.object({
  format: z.literal('origin-doctor-sessions'),
  version: z.literal(1),
  exportedAt: z.string(),
  sessions: z.array(
    z.object({
      report: reportSchema,
      status: z.enum(['running', 'finished', 'interrupted', 'cancelled']),
      parentId: z.string().nullable(),
      tags: z.array(z.string()),
      notes: z.string(),
    }),
  ),
});
export type SessionExport = z.infer<typeof sessionExportSchema>;

/**
 * The first session of an import (parsed JSON, not yet checked against the schema) that is over SESSION_LIMITS,
 * with its place in the file counted from 1; null when every one is within them. Run before the schema check, so
 * a crafted file costs one linear walk, not a slow parse followed by a frozen window.
 */
export function oversizeInImport(json: unknown): { index: number; oversize: Oversize } | null {
  const sessions = (json as { sessions?: unknown } | null)?.sessions;
  if (!Array.isArray(sessions)) return null;
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i] as { report?: unknown; notes?: unknown } | null;
    const oversize = findOversize(s?.report ?? null, typeof s?.notes === 'string' ? s.notes : undefined);
    if (oversize) return { index: i + 1, oversize };
  }
  return null;
}

/** Sessions as one JSON document a colleague can import. */
export function exportSessions(repo: SessionsRepo, ids: readonly string[], now: Date): SessionExport {
  const sessions = ids.map((id) => {
    const s = repo.get(id);
    if (!s) throw new Error(`no session ${id}`);
    return {
      report: repo.toReport(s),
      status: s.summary.status,
      parentId: s.summary.parentId,
      tags: s.summary.tags,
      notes: s.notes,
    };
  });
  return { format: 'origin-doctor-sessions', version: 1, exportedAt: now.toISOString(), sessions };
}

export type ImportOutcome = {
  readonly id: string;
  readonly result: 'imported' | 'already_present' | 'imported_as_copy';
  readonly newId?: string;
};

/**
 * Imports an export. It never overwrites: a session whose id is already stored with the same content is left
 * as it is; one with different content comes in as a copy under a new id, and the outcome says so.
 */
export function importSessions(
  repo: SessionsRepo,
  doc: SessionExport,
  newId: () => string,
  db: { transaction: <T>(fn: () => T) => () => T },
): ImportOutcome[] {
  return db.transaction(() =>
    doc.sessions.map((s): ImportOutcome => {
      const existing = repo.get(s.report.session.id);
      let id = s.report.session.id;
      let result: ImportOutcome['result'] = 'imported';
      if (existing) {
        if (JSON.stringify(repo.toReport(existing)) === JSON.stringify(s.report))
          return { id, result: 'already_present' };
        id = newId();
        result = 'imported_as_copy';
      }
      const r = s.report;
      const parentKnown = s.parentId !== null && repo.get(s.parentId) !== null;
      repo.create({
        id,
        createdAt: r.session.createdAt,
        input: r.session.input,
        parentId: parentKnown ? s.parentId : null,
        toolVersion: r.tool.version,
      });
      r.probes.forEach((p) => repo.appendProbe(id, p));
      repo.finish(id, {
        status: s.status === 'running' ? 'interrupted' : s.status,
        finishedAt: r.session.finishedAt,
        verdict: r.verdict,
        environment: r.session.environment,
        findings: r.findings,
        causes: r.causes,
      });
      repo.update(id, { tags: s.tags, notes: s.notes });
      return result === 'imported' ? { id, result } : { id: s.report.session.id, result, newId: id };
    }),
  )();
}
