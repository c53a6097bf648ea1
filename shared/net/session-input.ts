import { findProvider, PROVIDERS } from '../catalog/providers';
import { LANGS, SSL_MODES, SYMPTOMS, type Lang, type SessionInput } from '../model/report';
import {
  parseCidr,
  parseDnsServer,
  parseDomain,
  parseOriginEndpoint,
  quoteInput,
  type InputError,
  type Parsed,
} from './validate';

/** Limits that keep the tool a diagnostic, not a scanner. */
export const LIMITS = {
  endpoints: 16,
  dnsServers: 8,
  sourceRanges: 10000,
  attempts: 20,
  timeoutMin: 100,
  timeoutMax: 60000,
} as const;

/** A session as a person typed it (form fields or command-line options): strings, not yet trusted. */
export interface RawSessionInput {
  readonly domain?: string | undefined;
  readonly endpoints?: readonly string[] | undefined;
  readonly dnsServers?: readonly string[] | undefined;
  readonly sourceRanges?: readonly string[] | undefined;
  readonly provider?: string | undefined;
  readonly symptom?: string | undefined;
  readonly sslMode?: string | undefined;
  readonly timeoutMs?: string | undefined;
  readonly attempts?: string | undefined;
  readonly healthPath?: string | undefined;
  readonly lang?: string | undefined;
  /** Origins come from elsewhere too (a `--provider-config` file, read later): no endpoint here is not an error. */
  readonly originsElsewhere?: boolean | undefined;
}

export type SessionField = Exclude<keyof RawSessionInput, 'originsElsewhere'>;

class Invalid extends Error {
  constructor(readonly error: InputError) {
    super(error.key);
  }
}

/**
 * Validates a whole session input. One function for the app's form and the CLI's options, so both accept and
 * refuse exactly the same things. `label` names a field in the error (`--endpoint`, or the form's label).
 */
export function buildSessionInput(
  raw: RawSessionInput,
  label: (field: SessionField) => string,
  defaultLang: Lang = 'en',
): Parsed<SessionInput> {
  const fail = (key: string, field: SessionField, params: Record<string, string | number> = {}): never => {
    throw new Invalid({ key, params: { ...params, option: label(field) } });
  };
  const unwrap = <T>(r: Parsed<T>, field: SessionField): T =>
    r.ok ? r.value : fail(r.error.key, field, r.error.params);
  const choice = <T extends string>(
    field: SessionField,
    value: string | undefined,
    choices: readonly T[],
  ): T | null => {
    if (value === undefined) return null;
    if (!(choices as readonly string[]).includes(value))
      fail('input.bad_choice', field, { value: quoteInput(value), choices: choices.join(', ') });
    return value as T;
  };
  const int = (
    field: SessionField,
    value: string | undefined,
    min: number,
    max: number,
    fallback: number,
  ): number => {
    if (value === undefined) return fallback;
    if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
      fail('input.int_range', field, { value: quoteInput(value), min, max });
    }
    return Number(value);
  };
  try {
    const domain = raw.domain !== undefined ? unwrap(parseDomain(raw.domain), 'domain') : null;
    const given = (raw.endpoints ?? []).map((e) => unwrap(parseOriginEndpoint(e), 'endpoints'));
    if (given.length > LIMITS.endpoints) fail('input.too_many', 'endpoints', { max: LIMITS.endpoints });
    const endpoints = given.flatMap((g) => (g.kind === 'address' ? [g.endpoint] : []));
    const originNames = given.flatMap((g) => (g.kind === 'name' ? [g.origin] : []));
    const seen = new Set<string>();
    for (const g of given) {
      const e = g.kind === 'address' ? g.endpoint : g.origin;
      const key = `${e.scheme}|${g.kind === 'address' ? g.endpoint.address : g.origin.name}|${e.port}`;
      if (seen.has(key)) fail('input.duplicate_endpoint', 'endpoints', { value: quoteInput(e.url) });
      seen.add(key);
    }
    if (!domain && given.length === 0 && raw.originsElsewhere !== true)
      fail('input.nothing_to_do', 'endpoints');
    const dnsServers = (raw.dnsServers ?? []).map((s) => unwrap(parseDnsServer(s), 'dnsServers'));
    if (dnsServers.length > LIMITS.dnsServers)
      fail('input.too_many', 'dnsServers', { max: LIMITS.dnsServers });
    const sourceRanges = [
      ...new Set((raw.sourceRanges ?? []).map((s) => unwrap(parseCidr(s), 'sourceRanges'))),
    ];
    if (sourceRanges.length > LIMITS.sourceRanges)
      fail('input.too_many', 'sourceRanges', { max: LIMITS.sourceRanges });
    let provider: string | null = null;
    if (raw.provider !== undefined) {
      const p = findProvider(raw.provider);
      if (!p)
        fail('input.unknown_provider', 'provider', {
          value: quoteInput(raw.provider),
          known: PROVIDERS.map((x) => x.id).join(', '),
        });
      provider = p!.id;
    }
    const healthPath = raw.healthPath ?? '/';
    if (!/^\/[\x21-\x7e]*$/.test(healthPath) || healthPath.length > 2048) {
      fail('input.bad_health_path', 'healthPath', { value: quoteInput(healthPath) });
    }
    return {
      ok: true,
      value: {
        domain,
        endpoints,
        ...(originNames.length > 0 ? { originNames } : {}),
        dnsServers,
        sourceRanges,
        provider,
        symptom: choice('symptom', raw.symptom, SYMPTOMS),
        sslMode: choice('sslMode', raw.sslMode, SSL_MODES),
        timeoutMs: int('timeoutMs', raw.timeoutMs, LIMITS.timeoutMin, LIMITS.timeoutMax, 3000),
        attempts: int('attempts', raw.attempts, 1, LIMITS.attempts, 4),
        healthPath,
        lang: choice('lang', raw.lang, LANGS) ?? defaultLang,
        caFiles: [],
      },
    };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.error };
    throw e;
  }
}

/**
 * Checks a stored or imported session's input exactly like fresh input before it is run again: an imported file
 * is someone else's text (an endpoint `--help` would reach traceroute as an option; 10,000 attempts would pass
 * the caps). The fields the form does not have are checked here too: override ranges as CIDRs, within the limit.
 */
export function recheckStoredInput(input: SessionInput): Parsed<SessionInput> {
  const dns = (s: { address: string; port: number }): string =>
    `${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port}`;
  const r = buildSessionInput(
    {
      domain: input.domain ?? undefined,
      // Addresses a run resolved from a name are not input: the name is resolved again.
      endpoints: [
        ...input.endpoints.filter((e) => e.name === undefined).map((e) => e.url),
        ...(input.originNames ?? []).map((o) => o.url),
      ],
      dnsServers: input.dnsServers.map(dns),
      sourceRanges: input.sourceRanges,
      provider: input.provider ?? undefined,
      symptom: input.symptom ?? undefined,
      sslMode: input.sslMode ?? undefined,
      timeoutMs: String(input.timeoutMs),
      attempts: String(input.attempts),
      healthPath: input.healthPath,
      lang: input.lang,
    },
    (f) => f,
    input.lang,
  );
  if (!r.ok) return r;
  const override = input.rangesOverride ?? null;
  if (override) {
    if (override.length > LIMITS.sourceRanges)
      return {
        ok: false,
        error: { key: 'input.too_many', params: { option: 'rangesOverride', max: LIMITS.sourceRanges } },
      };
    for (const c of override) {
      const p = parseCidr(c);
      if (!p.ok)
        return {
          ok: false,
          error: { key: p.error.key, params: { ...p.error.params, option: 'rangesOverride' } },
        };
    }
  }
  const { originNames: _stale, ...rest } = input;
  return { ok: true, value: { ...rest, ...r.value, caFiles: input.caFiles } };
}
