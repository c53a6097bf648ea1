import { z } from 'zod';
import {
  POLICY_ANOMALIES,
  POLICY_OUTCOMES,
  POLICY_ROW_OUTCOMES,
  policyFileSchema,
  policyRuleRefSchema,
} from './probe-data';

/**
 * The impact of a rule change (`policy --before … --after …`): per provider range × port the outcome before and
 * after, the sub-ranges that change with the lines responsible on each side, coverage before → after, and the
 * anomalies the change introduces or removes.
 */

/** Why a sub-range's outcome changed, read from the rules that decide it on each side. */
export const POLICY_CHANGE_KINDS = [
  /** A rule that is new in the after set decides it now (or a new jump, limit or match on its way). */
  'added',
  /** The rule that decided it before is gone. */
  'removed',
  /** The same rules in another order: another one matches first now. */
  'reordered',
  /** A chain's default policy changed, and the default decides it on one side. */
  'default_policy',
  /** The deciding rules are the same text on both sides: something they depend on changed (a set, a file). */
  'indirect',
] as const;
export type PolicyChangeKind = (typeof POLICY_CHANGE_KINDS)[number];

/**
 * What the change does to the provider's traffic: `taken` (allowed or limited before, less after), `given`,
 * `neutral` (another kind of block), `unknown` (may take something away: an answer depends on rules not fully
 * read), `maybe_given` (nothing can be taken away, more may be let through).
 */
export const POLICY_CHANGE_EFFECTS = ['taken', 'given', 'neutral', 'unknown', 'maybe_given'] as const;
export type PolicyChangeEffect = (typeof POLICY_CHANGE_EFFECTS)[number];

/** One side of a changed sub-range: its outcome and the rule (or chain default) deciding it. */
export const policyChangeSideSchema = z.object({
  outcome: z.enum(POLICY_OUTCOMES),
  rule: policyRuleRefSchema.nullable(),
  byDefault: z.boolean(),
  /** Limits on the way (per-source limits turn an allow into `limited`). */
  limits: z.array(policyRuleRefSchema),
  /** For `unknown`: the rules the answer depends on. */
  undecided: z.array(policyRuleRefSchema),
});
export type PolicyChangeSide = z.infer<typeof policyChangeSideSchema>;

export const policyChangePieceSchema = z.object({
  /** `first-last` or one CIDR. */
  range: z.string(),
  cidrs: z.array(z.string()),
  cidrCount: z.number().int().nonnegative(),
  addresses: z.string(),
  before: policyChangeSideSchema,
  after: policyChangeSideSchema,
  kind: z.enum(POLICY_CHANGE_KINDS),
  effect: z.enum(POLICY_CHANGE_EFFECTS),
  /**
   * The lines responsible: for `added` the new rule (after); for `removed` the rule gone (before); for `reordered`
   * the rule that decides now, where it was and where it is; for `default_policy` the chain's policy line on each
   * side. A side is null when no line there is responsible.
   */
  cause: z.object({ before: policyRuleRefSchema.nullable(), after: policyRuleRefSchema.nullable() }),
});
export type PolicyChangePiece = z.infer<typeof policyChangePieceSchema>;

export const policyChangeRowSchema = z.object({
  range: z.string(),
  family: z.union([z.literal(4), z.literal(6)]),
  port: z.number().int(),
  before: z.enum(POLICY_ROW_OUTCOMES),
  after: z.enum(POLICY_ROW_OUTCOMES),
  beforeShare: z.number().min(0).max(1),
  afterShare: z.number().min(0).max(1),
  /** The worst effect of its pieces; null when nothing changes in this row. */
  effect: z.enum(POLICY_CHANGE_EFFECTS).nullable(),
  changes: z.array(policyChangePieceSchema),
  moreChanges: z.number().int().nonnegative(),
});
export type PolicyChangeRow = z.infer<typeof policyChangeRowSchema>;

export const policyChangeAnomalySchema = z.object({
  kind: z.enum(POLICY_ANOMALIES),
  rule: policyRuleRefSchema,
  action: z.string(),
  other: policyRuleRefSchema.nullable(),
  otherAction: z.string().nullable(),
  relevant: z.boolean(),
});
export type PolicyChangeAnomaly = z.infer<typeof policyChangeAnomalySchema>;

const familyShares = z.object({ v4: z.number().nullable(), v6: z.number().nullable() });

export const policyChangeSideSummarySchema = z.object({
  files: z.array(policyFileSchema),
  coverage: familyShares,
  undecided: familyShares,
});

/** The provider's list the customer copied, beside the list shipped now (`--ranges-before`, the preset's history). */
export const policyRangesDriftSchema = z.object({
  /**
   * Per family the customer's list holds: the published list it equals — the current one (`until` null) or a dated
   * earlier one — or null when it equals none this tool ships.
   */
  families: z.array(
    z.object({
      family: z.union([z.literal(4), z.literal(6)]),
      match: z.object({ until: z.string().nullable(), source: z.string() }).nullable(),
    }),
  ),
  /** The dated earlier lists this tool ships (anything else is unknown to it). */
  known: z.array(z.object({ family: z.union([z.literal(4), z.literal(6)]), until: z.string() })),
  /** Date the current list was checked, when it is the preset's. */
  currentDate: z.string().nullable(),
  /** Addresses in the current list that the customer's list lacks, as CIDRs. */
  added: z.array(z.string()),
  /** Addresses in the customer's list that the current list no longer holds. */
  removed: z.array(z.string()),
  /** Of `added`: the ranges × ports the after rules do not fully allow. */
  notAllowed: z.array(
    z.object({ range: z.string(), port: z.number().int(), outcome: z.enum(POLICY_ROW_OUTCOMES) }),
  ),
});
export type PolicyRangesDrift = z.infer<typeof policyRangesDriftSchema>;

export const policyChangeDataSchema = z.object({
  provider: z.string().nullable(),
  ranges: z.array(z.string()),
  ports: z.array(z.number().int()),
  before: policyChangeSideSummarySchema,
  after: policyChangeSideSummarySchema,
  /** `safe`: nothing is taken away; `cuts`: something is; `undecided`: something may be (rules not fully read). */
  verdict: z.enum(['safe', 'cuts', 'undecided']),
  /** Rows in `rows`: the changed ones, or all with `--all`. */
  rows: z.array(policyChangeRowSchema),
  rowCount: z.number().int().nonnegative(),
  changedRows: z.number().int().nonnegative(),
  anomalies: z.object({
    introduced: z.array(policyChangeAnomalySchema),
    removed: z.array(policyChangeAnomalySchema),
    introducedCount: z.number().int().nonnegative(),
    removedCount: z.number().int().nonnegative(),
    /** False when a chain was too large to compare every pair on one side. */
    complete: z.boolean(),
  }),
  drift: policyRangesDriftSchema.nullable(),
  elapsedMs: z.number().nonnegative(),
});
export type PolicyChangeData = z.infer<typeof policyChangeDataSchema>;

/**
 * What a session stores of a comparison, beside the policy analysis in the policy probe's data: `change` when the
 * session held another version of its rule files (`policiesAfter`) and both were read, `changeError` (the message
 * key and values, naming the file and line) when the other version could not be read. Both absent otherwise, and
 * in sessions stored before comparisons existed.
 */
export const policyProbeChangeSchema = z.object({
  change: policyChangeDataSchema.optional(),
  changeError: z
    .object({ key: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])) })
    .optional(),
});
export type PolicyProbeChange = z.infer<typeof policyProbeChangeSchema>;
