import type { Report } from '../../shared/model/report';
import { findOversize, type Oversize } from '../../shared/model/session-limits';
import type { SessionsRepo, StoredSession } from '../db/sessions-repo';
import { diagnoseSession } from './run-diagnosis';

/**
 * A stored session's report as it is shown and exported: its probes and input as stored, its findings, causes,
 * check and fix steps and verdict re-derived by the current engine. A stored session may come from an imported
 * file, so the texts and commands stored with its causes are never printed as the tool's own advice.
 */
export function rederivedReport(report: Report): Report {
  const { findings, causes, verdict } = diagnoseSession(report.session.input, report.probes);
  return { ...report, findings, causes, verdict };
}

/** A stored session over SESSION_LIMITS (a crafted file, a damaged database): it is not opened, shown or exported. */
export class SessionTooBigError extends Error {
  readonly key = 'session.too_big';
  constructor(
    readonly id: string,
    readonly oversize: Oversize,
  ) {
    super(`session ${id} is too big: ${oversize.what} at ${oversize.path}`);
  }
  /** The message's values (`what` names a `size.*` key the message words in either language). */
  get params(): Record<string, string | number> {
    return { id: this.id, ...this.oversize };
  }
}

/**
 * The report of a stored session, re-derived for display or export (see `rederivedReport`). One over the size
 * limits throws SessionTooBigError before anything works on it: drawing or diagnosing it could freeze the app.
 */
export function storedReport(repo: SessionsRepo, s: StoredSession): Report {
  const report = repo.toReport(s);
  const oversize = findOversize(report, s.notes);
  if (oversize) throw new SessionTooBigError(s.summary.id, oversize);
  return rederivedReport(report);
}
