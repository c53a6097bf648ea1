import { basename } from 'node:path';
import { writeFileSync } from 'node:fs';
import { findProvider } from '../../shared/catalog/providers';
import type { Translate } from '../../shared/i18n/translate';
import type { PolicyData } from '../../shared/model/probe-data';
import {
  MAX_POLICY_BYTES,
  parsePolicies,
  policyPorts,
  runParsedPolicy,
  runPolicy,
  samePolicyFiles,
  type PolicyFormat,
  type PolicyRun,
} from '../policy';
import type { RuleSet } from '../policy/model';
import { formatPolicyText } from '../policy/format';
import { parsePolicyArgs, UsageError } from './args';
import { readRangesFile, readTextFile } from './ca-files';
import type { CliIo } from './main';
import { policyCompareCommand } from './policy-compare-command';
import { terminalSafe } from './text-output';

export interface PolicyFileText {
  readonly name: string;
  readonly format: string | null;
  readonly text: string;
}

/** `--rules` files as read and parsed once: the texts (kept in the session) and the rule sets made from them. */
export interface PolicyFilesRead {
  readonly files: PolicyFileText[];
  readonly sets: readonly RuleSet[];
  /** How long the parse took (counted in the policy's `elapsedMs`). */
  readonly parseMs: number;
}

/**
 * Reads `--rules` files and parses them once up front, so a file that cannot be read or understood is said
 * before any probe runs, with its name and line; the run reuses the rule sets (runParsedPolicy) instead of
 * parsing the files again.
 */
export function readPolicyFiles(files: readonly string[], format: PolicyFormat | null): PolicyFilesRead {
  const out = files.map((file) => ({
    name: basename(file),
    format,
    text: readTextFile(file, '--rules', MAX_POLICY_BYTES, 'policy.file_too_big'),
  }));
  const started = performance.now();
  const parsed = parsePolicies(out.map((f) => ({ name: f.name, text: f.text, format })));
  if (!parsed.ok) throw new UsageError({ key: parsed.error.key, params: parsed.error.params });
  return { files: out, sets: parsed.value, parseMs: performance.now() - started };
}

/**
 * The policy step of a diagnosis for files read by readPolicyFiles: their rule sets reused when the step analyses
 * exactly those files, a full runPolicy when it analyses others too (an origin bundle's firewall dump joins them).
 */
export function policyStepFor(
  read: PolicyFilesRead,
): (input: Parameters<typeof runPolicy>[0], ranges: readonly string[]) => Promise<PolicyRun> {
  return (input, ranges) =>
    Promise.resolve(
      samePolicyFiles(input, read.files)
        ? runParsedPolicy(read.sets, input, ranges, () => performance.now(), policyPorts(input), read.parseMs)
        : runPolicy(input, ranges, () => performance.now()),
    );
}

/** True when back-to-origin traffic is blocked or limited somewhere, or the rules clash where it matters. */
export function policyHasProblems(d: PolicyData): boolean {
  return (
    d.rows.some((r) => r.outcome !== 'allowed') ||
    d.anomalies.some(
      (a) =>
        a.relevant && (a.kind === 'shadowed' || a.kind === 'correlated' || a.kind === 'overly_permissive'),
    ) ||
    d.anomalies.some((a) => a.kind === 'overly_permissive')
  );
}

/** `origin-doctor policy`: the coverage table and the anomalies of rule files, without probing anything. */
export function policyCommand(argv: string[], io: CliIo, t: Translate): number {
  const opts = parsePolicyArgs(argv);
  if (opts.before.length > 0) return policyCompareCommand(opts, io, t);
  const read = readPolicyFiles(opts.rules, opts.rulesFormat);
  const preset = opts.provider ? findProvider(opts.provider) : undefined;
  const override = opts.rangesFile ? readRangesFile(opts.rangesFile) : null;
  const ranges = [...new Set([...opts.ranges, ...(override ?? preset?.ranges ?? [])])];
  if (preset && !override && preset.ranges.length === 0 && opts.ranges.length === 0)
    io.stderr.write(`${t('policy.provider_no_ranges', { provider: preset.name })}\n`);
  const result = runParsedPolicy(
    read.sets,
    { endpoints: [], provider: preset?.name ?? null },
    ranges,
    () => performance.now(),
    opts.ports,
    read.parseMs,
  );
  if (!result.ok) throw new UsageError({ key: result.error.key, params: result.error.params });
  const text = terminalSafe(formatPolicyText(result.data, t));
  if (opts.json === '-') {
    io.stdout.write(JSON.stringify(result.data, null, 2) + '\n');
    io.stderr.write(text);
  } else {
    if (opts.json) {
      try {
        writeFileSync(opts.json, JSON.stringify(result.data, null, 2) + '\n');
      } catch (e) {
        throw new UsageError({
          key: 'cli.cannot_write',
          params: { file: terminalSafe(opts.json), reason: (e as NodeJS.ErrnoException).code ?? String(e) },
        });
      }
    }
    io.stdout.write(text);
  }
  return policyHasProblems(result.data) ? 1 : 0;
}
