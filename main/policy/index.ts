import type { SessionInput } from '../../shared/model/report';
import type { PolicyData } from '../../shared/model/probe-data';
import type { PolicyProbeChange } from '../../shared/model/policy-change';
import { analysePolicy } from './analyse';
import { comparePolicies } from './compare';
import type { PolicyFormat, PolicyError, RuleSet } from './model';
import { parsePolicies, type PolicyFileInput } from './parse';

export { analysePolicy } from './analyse';
export { detectFormat, parsePolicies, parsePolicy, MAX_POLICY_BYTES } from './parse';
export { POLICY_FORMATS, type PolicyFormat } from './model';

/** The ports the policy is asked about: the session's endpoints' ports, else the web's two. */
export function policyPorts(input: Pick<SessionInput, 'endpoints'>): number[] {
  const ports = [...new Set(input.endpoints.map((e) => e.port))].sort((a, b) => a - b);
  return ports.length ? ports : [80, 443];
}

/** The analysis of a session's rule files, with the change impact when another version of them was given. */
export type PolicyRun =
  { ok: true; data: PolicyData & PolicyProbeChange } | { ok: false; error: PolicyError };

/** Rule files as runPolicy reads them: each file's name, text and forced format (null: detect). */
function asParseInput(files: NonNullable<SessionInput['policies']>): PolicyFileInput[] {
  return files.map((p) => ({ name: p.name, text: p.text, format: (p.format as PolicyFormat) ?? null }));
}

/**
 * The policy layer of a session: its rule files parsed in layer order and simulated against the ranges in force
 * on the session's ports. `clock` measures the analysis (performance.now in the app, the CLI and tests).
 */
export function runPolicy(
  input: Pick<SessionInput, 'endpoints' | 'policies' | 'provider' | 'policiesAfter'>,
  ranges: readonly string[],
  clock: () => number,
  ports: readonly number[] = policyPorts(input),
): PolicyRun {
  const started = clock();
  const parsed = parsePolicies(asParseInput(input.policies ?? []));
  if (!parsed.ok) return { ok: false, error: parsed.error };
  return runParsedPolicy(parsed.value, input, ranges, clock, ports, clock() - started);
}

/**
 * runPolicy on rule sets parsed before (parsePolicies of the same files), so a caller that already parsed them to
 * refuse bad input does not parse them again. `parseMs`: the time that parse took, counted in `elapsedMs`.
 */
export function runParsedPolicy(
  sets: readonly RuleSet[],
  input: Pick<SessionInput, 'endpoints' | 'provider' | 'policiesAfter'>,
  ranges: readonly string[],
  clock: () => number,
  ports: readonly number[],
  parseMs: number,
): PolicyRun {
  const started = clock();
  const destinations = [...new Set(input.endpoints.map((e) => e.address))];
  const data = analysePolicy({ sets, ranges, ports, provider: input.provider, destinations });
  const analysed = Math.round((parseMs + clock() - started) * 10) / 10;
  const other = input.policiesAfter ?? [];
  if (other.length === 0) return { ok: true, data: { ...data, elapsedMs: analysed } };
  // The other version is compared whole with the set analysed above; one that cannot be read is named (file and
  // line) beside the analysis, which stands on its own.
  const after = parsePolicies(asParseInput(other));
  if (!after.ok) return { ok: true, data: { ...data, elapsedMs: analysed, changeError: after.error } };
  const compareStarted = clock();
  const compared = comparePolicies({
    before: sets,
    after: after.value,
    ranges,
    ports,
    provider: input.provider,
    destinations,
    all: false,
  });
  const change = { ...compared, drift: null, elapsedMs: Math.round((clock() - compareStarted) * 10) / 10 };
  return { ok: true, data: { ...data, elapsedMs: analysed, change } };
}

/** True when `files` are exactly the files `input` holds, in order: rule sets parsed from one serve the other. */
export function samePolicyFiles(
  input: Pick<SessionInput, 'policies'>,
  files: readonly { name: string; text: string; format: string | null }[],
): boolean {
  const given = input.policies ?? [];
  return (
    given.length === files.length &&
    given.every(
      (p, i) =>
        p.name === files[i]!.name && p.text === files[i]!.text && (p.format ?? null) === files[i]!.format,
    )
  );
}
