import type { SessionInput } from '../../shared/model/report';
import type { PolicyData } from '../../shared/model/probe-data';
import { analysePolicy } from './analyse';
import type { PolicyFormat, PolicyError } from './model';
import { parsePolicies } from './parse';

export { analysePolicy } from './analyse';
export { detectFormat, parsePolicies, parsePolicy, MAX_POLICY_BYTES } from './parse';
export { POLICY_FORMATS, type PolicyFormat } from './model';

/** The ports the policy is asked about: the session's endpoints' ports, else the web's two. */
export function policyPorts(input: Pick<SessionInput, 'endpoints'>): number[] {
  const ports = [...new Set(input.endpoints.map((e) => e.port))].sort((a, b) => a - b);
  return ports.length ? ports : [80, 443];
}

export type PolicyRun = { ok: true; data: PolicyData } | { ok: false; error: PolicyError };

/**
 * The policy layer of a session: its rule files parsed in layer order and simulated against the ranges in force
 * on the session's ports. `clock` measures the analysis (performance.now in the app, the CLI and tests).
 */
export function runPolicy(
  input: Pick<SessionInput, 'endpoints' | 'policies' | 'provider'>,
  ranges: readonly string[],
  clock: () => number,
  ports: readonly number[] = policyPorts(input),
): PolicyRun {
  const started = clock();
  const parsed = parsePolicies(
    (input.policies ?? []).map((p) => ({
      name: p.name,
      text: p.text,
      format: (p.format as PolicyFormat) ?? null,
    })),
  );
  if (!parsed.ok) return { ok: false, error: parsed.error };
  const data = analysePolicy({
    sets: parsed.value,
    ranges,
    ports,
    provider: input.provider,
    destinations: [...new Set(input.endpoints.map((e) => e.address))],
  });
  return { ok: true, data: { ...data, elapsedMs: Math.round((clock() - started) * 10) / 10 } };
}
