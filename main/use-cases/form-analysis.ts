import type { OriginBundle } from '../../shared/model/origin-bundle';
import { decodeErrorPage, type DecodedErrorPage } from '../diagnosis/error-page';
import { bundleFromPastes } from '../origin/paste';
import { runPolicy, type PolicyRun } from '../policy';
import { parsePolicies } from '../policy/parse';

/** The texts of the app's form that a person pasted or picked, with what reading them needs. */
export interface FormAnalysisRequest {
  readonly policies: readonly { name: string; text: string }[];
  /** Another version of the rule files to compare with them; empty when none was given. */
  readonly policiesAfter?: readonly { name: string; text: string }[];
  readonly originPastes: readonly { name: string; text: string }[] | null;
  /** The session's endpoint ports: the bundle made from pasted listeners is checked against them. */
  readonly ports: readonly number[];
  readonly errorPage: string | null;
  /** ISO time stamp: the collection time of a bundle built from pastes. */
  readonly now: string;
}

/** What the form's texts say: the first rule file that cannot be read, the origin bundle, the decoded page. */
export interface FormAnalysis {
  readonly policyError: { key: string; params: Record<string, string | number> } | null;
  /** The first file of the other version that cannot be read, or null. */
  readonly policyAfterError?: { key: string; params: Record<string, string | number> } | null;
  readonly origin: OriginBundle | null;
  readonly errorPage: DecodedErrorPage | null;
}

/**
 * Reads every text of the form with the engine's own readers (the CLI's): rule files through the policy parsers,
 * pasted origin output into a bundle, the error page decoded. Pure and synchronous: the desktop app runs it in a
 * worker thread (parse-worker.ts), so a slow or hostile paste never blocks the main process.
 */
export function analyseForm(req: FormAnalysisRequest): FormAnalysis {
  const parsed = parsePolicies(req.policies.map((r) => ({ name: r.name, text: r.text, format: null })));
  const after = req.policiesAfter?.length
    ? parsePolicies(req.policiesAfter.map((r) => ({ name: r.name, text: r.text, format: null })))
    : null;
  const pastes = req.originPastes?.filter((p) => p.text.trim() !== '') ?? [];
  const origin =
    pastes.length > 0 && req.originPastes
      ? bundleFromPastes(req.originPastes, req.ports, new Date(req.now)).bundle
      : null;
  const page = req.errorPage && req.errorPage.trim() !== '' ? decodeErrorPage(req.errorPage) : null;
  return {
    policyError: parsed.ok ? null : parsed.error,
    policyAfterError: after && !after.ok ? after.error : null,
    origin,
    errorPage: page,
  };
}

/** A session's policy layer to analyse: its rule files against the ranges in force on its ports (runPolicy). */
export interface PolicyAnalysisRequest {
  readonly input: Parameters<typeof runPolicy>[0];
  readonly ranges: readonly string[];
}

/** What the parse worker is asked: a form's texts read, or a session's policy layer analysed. */
export type WorkerRequest =
  | { readonly kind: 'form'; readonly form: FormAnalysisRequest }
  | { readonly kind: 'policy'; readonly policy: PolicyAnalysisRequest };

/** The worker's answer to each kind of request. */
export type WorkerAnswer<R extends WorkerRequest> = R extends { kind: 'form' } ? FormAnalysis : PolicyRun;

/** Answers one worker request with the engine's functions (the same ones the CLI calls in its own thread). */
export function answerWorkerRequest(req: WorkerRequest): FormAnalysis | PolicyRun {
  switch (req.kind) {
    case 'form':
      return analyseForm(req.form);
    case 'policy':
      return runPolicy(req.policy.input, req.policy.ranges, () => performance.now());
  }
}
