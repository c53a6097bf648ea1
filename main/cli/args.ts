import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LANGS, type Lang, type SessionInput } from '../../shared/model/report';
import { parseWatchSpec } from '../use-cases/watch-spec';
import { buildSessionInput, type SessionField } from '../../shared/net/session-input';
import { parseCidr, parsePort, quoteInput, type InputError } from '../../shared/net/validate';
import { findProvider, PROVIDERS } from '../../shared/catalog/providers';
import { POLICY_FORMATS, type PolicyFormat } from '../policy/model';

export interface DiagnoseOptions {
  readonly input: SessionInput;
  readonly caFiles: string[];
  /** `--provider-ca` files: the CA(s) the provider trusts for origin certificates (read into the input later). */
  readonly providerCaFiles: string[];
  /** `--provider-config` files: the provider's origin configuration (read, and their origins added, later). */
  readonly providerConfigFiles: string[];
  readonly json: string | null;
  readonly trace: boolean;
  readonly dns: boolean;
  readonly db: string | null;
  readonly reports: { html?: string; md?: string; pdf?: string; pcap?: string };
  /** Capture the probes' packets (tcpdump / dumpcap) for the handshake timeline. */
  readonly capture: boolean;
  readonly redact: boolean;
  readonly symptomPage: string | null;
  /** Rule files for the policy layer, in layer order, and the format forced on them (null: detect). */
  readonly rules: string[];
  readonly rulesFormat: PolicyFormat | null;
  readonly originBundle: string | null;
  readonly rangesFile: string | null;
}

export interface PolicyOptions {
  readonly rules: string[];
  readonly rulesFormat: PolicyFormat | null;
  readonly provider: string | null;
  readonly ranges: string[];
  readonly ports: number[];
  readonly json: string | null;
  readonly rangesFile: string | null;
  /** `--before` / `--after`: two versions of the rules to compare (empty unless comparing). */
  readonly before: string[];
  readonly after: string[];
  /** `--all`: every range × port in a comparison, not only those that change. */
  readonly all: boolean;
  /** `--ranges-before`: the provider list the customer copied, beside the one in force. */
  readonly rangesBefore: string | null;
}

export class UsageError extends Error {
  constructor(readonly error: InputError) {
    super(error.key);
  }
}

const err = (key: string, params: Record<string, string | number> = {}): UsageError =>
  new UsageError({ key, params });

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
export function parseStrictArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
) {
  return parseStrict(argv, options);
}

function parseStrict<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = (e as Error).message;
    const opt = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw err('cli.unknown_option', { option: quoteInput(opt) });
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

const OPTION_OF: Record<SessionField, string> = {
  domain: '--domain',
  endpoints: '--endpoint',
  dnsServers: '--dns-server',
  sourceRanges: '--source-range',
  provider: '--provider',
  symptom: '--symptom',
  sslMode: '--ssl-mode',
  timeoutMs: '--timeout',
  attempts: '--attempts',
  healthPath: '--health-path',
  lang: '--lang',
};

/**
 * `watch` = `diagnose` options plus `--every SECONDS` (default 5) and `--for SECONDS` (default 60), bounded so a
 * watch stays a diagnostic: at least 1 s apart, at most a day, at most 2,000 rounds.
 */
export function parseWatchArgs(argv: string[], defaultLang: Lang = 'en'): DiagnoseOptions {
  const rest: string[] = [];
  const taken: Record<'every' | 'for', string | undefined> = { every: undefined, for: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(every|for)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined || value.startsWith('-')) throw err('cli.missing_value', { option: `--${m[1]}` });
    taken[m[1] as 'every' | 'for'] = value;
  }
  const spec = parseWatchSpec(
    { intervalS: taken.every, durationS: taken.for },
    { intervalS: '--every', durationS: '--for' },
  );
  if (!spec.ok) throw new UsageError(spec.error);
  const { intervalS, durationS } = spec.value;
  const opts = parseDiagnoseArgs(rest, defaultLang);
  return { ...opts, input: { ...opts.input, watch: { intervalS, durationS } }, trace: false, dns: false };
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
    ca: { type: 'string', multiple: true },
    'provider-ca': { type: 'string', multiple: true },
    'no-dns': { type: 'boolean' },
    db: { type: 'string' },
    html: { type: 'string' },
    md: { type: 'string' },
    pdf: { type: 'string' },
    redact: { type: 'boolean' },
    'symptom-page': { type: 'string' },
    rules: { type: 'string', multiple: true },
    'rules-format': { type: 'string' },
    'origin-bundle': { type: 'string' },
    management: { type: 'boolean' },
    'ranges-file': { type: 'string' },
    'ssh-port': { type: 'string', multiple: true },
    'rdp-port': { type: 'string', multiple: true },
    capture: { type: 'boolean' },
    pcap: { type: 'string' },
    'probe-private': { type: 'boolean' },
    'provider-config': { type: 'string', multiple: true },
  });
  const v = values as Record<string, string | string[] | boolean | undefined>;
  const str = (k: string): string | undefined => v[k] as string | undefined;
  const list = (k: string): string[] => (v[k] as string[] | undefined) ?? [];
  const input = buildSessionInput(
    {
      domain: str('domain'),
      endpoints: list('endpoint'),
      dnsServers: list('dns-server'),
      sourceRanges: list('source-range'),
      provider: str('provider'),
      symptom: str('symptom'),
      sslMode: str('ssl-mode'),
      timeoutMs: str('timeout'),
      attempts: str('attempts'),
      healthPath: str('health-path'),
      lang: str('lang'),
      originsElsewhere: list('provider-config').length > 0,
    },
    (field) => OPTION_OF[field],
    defaultLang,
  );
  if (!input.ok) throw new UsageError(input.error);
  const json = str('json') ?? null;
  if (json !== null && json.trim() === '') throw err('cli.missing_value', { option: '--json' });
  const caFiles = list('ca');
  const ssh = parsePortValues(list('ssh-port'), '--ssh-port');
  const rdp = parsePortValues(list('rdp-port'), '--rdp-port');
  const management =
    v.management === true || ssh.length || rdp.length
      ? {
          ssh: ssh.length ? ssh : v.management === true ? [22] : [],
          rdp: rdp.length ? rdp : v.management === true ? [3389] : [],
        }
      : null;
  return {
    input: {
      ...input.value,
      caFiles,
      ...(management ? { management } : {}),
      ...(v['probe-private'] === true ? { probePrivate: true } : {}),
    },
    caFiles,
    providerCaFiles: list('provider-ca'),
    providerConfigFiles: list('provider-config'),
    json,
    trace: v['no-trace'] !== true,
    dns: v['no-dns'] !== true,
    db: str('db') ?? null,
    reports: {
      ...(str('html') ? { html: str('html')! } : {}),
      ...(str('md') ? { md: str('md')! } : {}),
      ...(str('pdf') ? { pdf: str('pdf')! } : {}),
      ...(str('pcap') ? { pcap: str('pcap')! } : {}),
    },
    capture: v.capture === true || str('pcap') !== undefined,
    redact: v.redact === true,
    symptomPage: str('symptom-page') ?? null,
    rules: list('rules'),
    rulesFormat: rulesFormat(str('rules-format'), list('rules')),
    originBundle: str('origin-bundle') ?? null,
    rangesFile: str('ranges-file') ?? null,
  };
}

function rulesFormat(value: string | undefined, rules: string[]): PolicyFormat | null {
  if (value === undefined) return null;
  if (!(POLICY_FORMATS as readonly string[]).includes(value))
    throw err('input.bad_choice', {
      option: '--rules-format',
      value: quoteInput(value),
      choices: POLICY_FORMATS.join(', '),
    });
  if (rules.length === 0) throw err('cli.rules_format_alone');
  return value as PolicyFormat;
}

/** Port options, repeatable and comma-separated (`--port 80,443 --port 8443`); a bad one names its option. */
export function parsePortValues(values: readonly string[], option: string): number[] {
  return values
    .flatMap((p) => p.split(','))
    .map((p) => {
      const r = parsePort(p.trim());
      if (!r.ok) throw new UsageError({ key: r.error.key, params: { ...r.error.params, option } });
      return r.value;
    });
}

/** Parses `policy` options: rule files, the ranges to check (provider preset and/or CIDRs) and the ports. */
export function parsePolicyArgs(argv: string[]): PolicyOptions {
  const { values } = parseStrict(argv, {
    rules: { type: 'string', multiple: true },
    'rules-format': { type: 'string' },
    provider: { type: 'string' },
    'source-range': { type: 'string', multiple: true },
    port: { type: 'string', multiple: true },
    json: { type: 'string' },
    lang: { type: 'string' },
    'ranges-file': { type: 'string' },
    before: { type: 'string', multiple: true },
    after: { type: 'string', multiple: true },
    all: { type: 'boolean' },
    'ranges-before': { type: 'string' },
  });
  const v = values as Record<string, string | string[] | boolean | undefined>;
  const rules = (v.rules as string[] | undefined) ?? [];
  const before = (v.before as string[] | undefined) ?? [];
  const after = (v.after as string[] | undefined) ?? [];
  const comparing = before.length > 0 || after.length > 0;
  if (comparing && rules.length > 0) throw err('cli.compare_with_rules');
  if (comparing && (before.length === 0 || after.length === 0)) throw err('cli.compare_needs_both');
  if (!comparing) {
    if (rules.length === 0) throw err('cli.rules_required');
    if (v.all !== undefined) throw err('cli.compare_only', { option: '--all' });
    if (v['ranges-before'] !== undefined) throw err('cli.compare_only', { option: '--ranges-before' });
  }
  let provider: string | null = null;
  if (v.provider !== undefined) {
    const p = findProvider(v.provider as string);
    if (!p)
      throw err('input.unknown_provider', {
        option: '--provider',
        value: quoteInput(v.provider as string),
        known: PROVIDERS.map((x) => x.id).join(', '),
      });
    provider = p.id;
  }
  const ranges = ((v['source-range'] as string[] | undefined) ?? []).map((r) => {
    const c = parseCidr(r);
    if (!c.ok)
      throw new UsageError({ key: c.error.key, params: { ...c.error.params, option: '--source-range' } });
    return c.value;
  });
  const ports = parsePortValues((v.port as string[] | undefined) ?? [], '--port');
  const json = (v.json as string | undefined) ?? null;
  if (json !== null && json.trim() === '') throw err('cli.missing_value', { option: '--json' });
  return {
    rules,
    rulesFormat: rulesFormat(v['rules-format'] as string | undefined, [...rules, ...before]),
    provider,
    ranges,
    ports: ports.length ? [...new Set(ports)].sort((a, b) => a - b) : [80, 443],
    json,
    rangesFile: (v['ranges-file'] as string | undefined) ?? null,
    before,
    after,
    all: v.all === true,
    rangesBefore: (v['ranges-before'] as string | undefined) ?? null,
  };
}
