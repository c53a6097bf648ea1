import type { CauseId } from '../../shared/catalog/ids';
import type { FixStep, ProbeRecord, SessionInput } from '../../shared/model/report';

/** Everything the diagnosis reasons over. Pure data: the same facts always give the same result. */
export interface DiagnosisFacts {
  readonly input: SessionInput;
  readonly probes: readonly ProbeRecord[];
  /** Back-to-origin ranges in force: `--source-range` plus the provider preset's. */
  readonly providerRanges: readonly string[];
  readonly providerName: string | null;
}

export type Params = Record<string, string | number | boolean | null>;

/** A finding before it is worded: id, target, evidence (probe ids) and the values its text needs. */
export interface FindingDraft {
  readonly id: string;
  /** Overrides the catalog's severity where the context changes it (a certificate problem in full mode). */
  readonly severity?: 'info' | 'warn' | 'error';
  readonly target: string;
  readonly evidence: string[];
  readonly params: Params;
}

/** Words a fix step needs: a message key with values, and optionally a command with real values filled in. */
export interface FixDraft {
  readonly key: string;
  readonly params?: Params;
  readonly command?: string;
  readonly env?: string;
}

/** A cause before it is worded. */
export interface CauseDraft {
  readonly id: CauseId;
  readonly confidence: number;
  readonly targets: string[];
  readonly targetConfidence: Record<string, number>;
  readonly findings: string[];
  readonly params: Params;
  readonly checks: FixDraft[];
  readonly fix: FixDraft[];
}

export type { FixStep };
