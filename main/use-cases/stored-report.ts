import type { Report } from '../../shared/model/report';
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

/** The report of a stored session, re-derived for display or export (see `rederivedReport`). */
export function storedReport(repo: SessionsRepo, s: StoredSession): Report {
  return rederivedReport(repo.toReport(s));
}
