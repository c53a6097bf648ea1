import { FINDINGS, isFindingId, SEVERITIES, type Severity } from '../../shared/catalog/ids';
import type { Cause, Finding, FixStep, Verdict } from '../../shared/model/report';
import type { Translate } from '../../shared/i18n/translate';
import { rankCauses } from './causes';
import { networkFindings } from './network';
import { mgmtFindings } from './mgmt';
import { captureFindings } from './capture';
import { watchFindings } from './watch';
import { routeFindings } from './routes';
import { vantageFindings } from './vantage';
import { originFindings } from './origin';
import { observationFindings } from './observation';
import { originNameFindings } from './origin-name';
import { policyFindings } from './policy';
import { protocolFindings } from './protocol';
import type { CauseDraft, DiagnosisFacts, FindingDraft, FixDraft } from './types';
import { appendAll } from '../../shared/util/arrays';

export interface Diagnosis {
  readonly findings: Finding[];
  readonly causes: Cause[];
  readonly verdict: Verdict;
}

/** The verdict from the worst finding: any error → broken, any warning → degraded, else healthy. */
export function verdictOf(findings: readonly Pick<Finding, 'severity'>[]): Verdict {
  if (findings.some((f) => f.severity === 'error')) return 'broken';
  if (findings.some((f) => f.severity === 'warn')) return 'degraded';
  return 'healthy';
}

function wordFinding(d: FindingDraft, t: Translate): Finding {
  const spec = isFindingId(d.id)
    ? FINDINGS[d.id]
    : { layer: 'network' as const, severity: 'warn' as Severity };
  return {
    id: d.id,
    severity: d.severity ?? spec.severity,
    layer: spec.layer,
    target: d.target,
    message: t(`finding.${d.id}`, d.params),
    evidence: d.evidence,
    params: d.params,
  };
}

function wordStep(s: FixDraft, t: Translate): FixStep {
  return {
    key: s.key,
    params: s.params ?? {},
    text: t(s.key, s.params ?? {}),
    ...(s.command !== undefined ? { command: s.command } : {}),
    ...(s.env !== undefined ? { env: s.env } : {}),
  };
}

function wordCause(c: CauseDraft, t: Translate): Cause {
  return {
    id: c.id,
    confidence: c.confidence,
    targets: c.targets,
    targetConfidence: c.targetConfidence,
    findings: c.findings,
    summary: t(`${c.id}.summary`, c.params),
    checks: c.checks.map((s) => wordStep(s, t)),
    fix: c.fix.map((s) => wordStep(s, t)),
    params: c.params,
  };
}

/**
 * Facts → findings → ranked causes → verdict, worded in the translator's language. Pure and deterministic;
 * findings are ordered by severity (worst first), then by layer and id.
 */
export function diagnose(facts: DiagnosisFacts, t: Translate): Diagnosis {
  const drafts = [
    ...networkFindings(facts),
    ...originNameFindings(facts),
    ...protocolFindings(facts),
    ...policyFindings(facts),
    ...originFindings(facts),
    ...observationFindings(facts),
    ...mgmtFindings(facts),
    ...routeFindings(facts),
    ...captureFindings(facts),
    ...watchFindings(facts),
  ];
  appendAll(drafts, vantageFindings(facts, drafts));
  const findings = drafts
    .map((d) => wordFinding(d, t))
    .sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity));
  const causes = rankCauses(facts, drafts).map((c) => wordCause(c, t));
  return { findings, causes, verdict: verdictOf(findings) };
}
