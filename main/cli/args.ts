import { parseArgs, type ParseArgsConfig } from 'node:util';
import { findProvider, PROVIDERS } from '../../shared/catalog/providers';
import { LANGS, SSL_MODES, SYMPTOMS, type Lang, type SessionInput } from '../../shared/model/report';
import {
  parseCidr,
  parseDnsServer,
  parseDomain,
  parseEndpoint,
  quoteInput,
  type InputError,
} from '../../shared/net/validate';

/** Limits that keep the tool a diagnostic, not a scanner. */
export const LIMITS = {
  endpoints: 16,
  dnsServers: 8,
  sourceRanges: 10000,
  attempts: 20,
  timeoutMin: 100,
  timeoutMax: 60000,
} as const;

export interface DiagnoseOptions {
  readonly input: SessionInput;
  readonly json: string | null;
  readonly trace: boolean;
}

export class UsageError extends Error {
  constructor(readonly error: InputError) {
    super(error.key);
  }
}

const err = (key: string, params: Record<string, string | number> = {}): UsageError => new UsageError({ key, params });

/** The language asked for with `--lang`, else from the environment's LANG / LC_ALL, else English. */
export function detectLang(argv: readonly string[], env: NodeJS.ProcessEnv): Lang {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = a === '--lang' ? argv[i + 1] : a.startsWith('--lang=') ? a.slice(7) : undefined;
    if (v && (LANGS as readonly string[]).includes(v)) return v as Lang;
  }
  const envLang = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^zh/i.test(envLang) ? 'zh-CN' : 'en';
}

/**
 * Node's parseArgs with its errors turned into our message keys: an unknown option, a missing value, or a
 * value that looks like an option (`--endpoint -n`) each get one line that says what to do.
 */
function parseStrict<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = (e as Error).message;
    const opt = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw err('cli.unknown_option', { option: quoteInput(opt) });
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const value = /'([^']*)'/.exec(message)?.[1] ?? '';
      throw err('cli.unexpected_argument', { value: quoteInput(value) });
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (/ambiguous/.test(message)) throw err('cli.value_looks_like_option', { option: opt });
      throw err('cli.missing_value', { option: opt });
    }
    throw err('cli.bad_arguments', { detail: quoteInput(message) });
  }
}

function parseIntOption(name: string, raw: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw err('cli.int_range', { option: name, value: quoteInput(raw), min, max });
  }
  return Number(raw);
}

function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: InputError }, option: string): T {
  if (!r.ok) throw new UsageError({ key: r.error.key, params: { ...r.error.params, option } });
  return r.value;
}

/** Parses `diagnose` options into a validated session input. Throws UsageError with a message key. */
export function parseDiagnoseArgs(argv: string[], defaultLang: Lang = 'en'): DiagnoseOptions {
  const { values } = parseStrict(argv, {
    domain: { type: 'string' },
    endpoint: { type: 'string', multiple: true },
    'dns-server': { type: 'string', multiple: true },
    'source-range': { type: 'string', multiple: true },
    provider: { type: 'string' },
    symptom: { type: 'string' },
    'ssl-mode': { type: 'string' },
    timeout: { type: 'string' },
    attempts: { type: 'string' },
    'health-path': { type: 'string' },
    json: { type: 'string' },
    lang: { type: 'string' },
    'no-trace': { type: 'boolean' },
  });
  const v = values as Record<string, string | string[] | boolean | undefined>;
  const str = (k: string): string | undefined => v[k] as string | undefined;
  const list = (k: string): string[] => (v[k] as string[] | undefined) ?? [];

  const domain = str('domain') !== undefined ? unwrap(parseDomain(str('domain')!), '--domain') : null;
  const endpoints = list('endpoint').map((e) => unwrap(parseEndpoint(e), '--endpoint'));
  if (endpoints.length > LIMITS.endpoints) throw err('cli.too_many', { option: '--endpoint', max: LIMITS.endpoints });
  const seen = new Set<string>();
  for (const e of endpoints) {
    const key = `${e.scheme}|${e.address}|${e.port}`;
    if (seen.has(key)) throw err('cli.duplicate_endpoint', { value: quoteInput(e.url) });
    seen.add(key);
  }
  if (!domain && endpoints.length === 0) throw err('cli.nothing_to_do');
  const dnsServers = list('dns-server').map((s) => unwrap(parseDnsServer(s), '--dns-server'));
  if (dnsServers.length > LIMITS.dnsServers) throw err('cli.too_many', { option: '--dns-server', max: LIMITS.dnsServers });
  const sourceRanges = [...new Set(list('source-range').map((s) => unwrap(parseCidr(s), '--source-range')))];
  if (sourceRanges.length > LIMITS.sourceRanges) throw err('cli.too_many', { option: '--source-range', max: LIMITS.sourceRanges });

  let provider: string | null = null;
  if (str('provider') !== undefined) {
    const p = findProvider(str('provider')!);
    if (!p) throw err('cli.unknown_provider', { value: quoteInput(str('provider')!), known: PROVIDERS.map((x) => x.id).join(', ') });
    provider = p.id;
  }
  const symptomRaw = str('symptom');
  if (symptomRaw !== undefined && !(SYMPTOMS as readonly string[]).includes(symptomRaw)) {
    throw err('cli.bad_choice', { option: '--symptom', value: quoteInput(symptomRaw), choices: SYMPTOMS.join(', ') });
  }
  const sslRaw = str('ssl-mode');
  if (sslRaw !== undefined && !(SSL_MODES as readonly string[]).includes(sslRaw)) {
    throw err('cli.bad_choice', { option: '--ssl-mode', value: quoteInput(sslRaw), choices: SSL_MODES.join(', ') });
  }
  const langRaw = str('lang');
  if (langRaw !== undefined && !(LANGS as readonly string[]).includes(langRaw)) {
    throw err('cli.bad_choice', { option: '--lang', value: quoteInput(langRaw), choices: LANGS.join(', ') });
  }
  const healthPath = str('health-path') ?? '/';
  if (!/^\/[\x21-\x7e]*$/.test(healthPath) || healthPath.length > 2048) {
    throw err('cli.bad_health_path', { value: quoteInput(healthPath) });
  }
  const json = str('json') ?? null;
  if (json !== null && json.trim() === '') throw err('cli.missing_value', { option: '--json' });

  return {
    input: {
      domain,
      endpoints,
      dnsServers,
      sourceRanges,
      provider,
      symptom: (symptomRaw as SessionInput['symptom']) ?? null,
      sslMode: (sslRaw as SessionInput['sslMode']) ?? null,
      timeoutMs: str('timeout') !== undefined ? parseIntOption('--timeout', str('timeout')!, LIMITS.timeoutMin, LIMITS.timeoutMax) : 3000,
      attempts: str('attempts') !== undefined ? parseIntOption('--attempts', str('attempts')!, 1, LIMITS.attempts) : 4,
      healthPath,
      lang: (langRaw as Lang | undefined) ?? defaultLang,
    },
    json,
    trace: v['no-trace'] !== true,
  };
}
