import { basename } from 'node:path';
import { writeFileSync } from 'node:fs';
import { findProvider } from '../../shared/catalog/providers';
import type { Translate } from '../../shared/i18n/translate';
import type { PolicyChangeData } from '../../shared/model/policy-change';
import { MAX_POLICY_BYTES, parsePolicies, type PolicyFormat } from '../policy';
import { comparePolicies } from '../policy/compare';
import { formatPolicyChangeText } from '../policy/compare-format';
import { rangesDrift } from '../policy/drift';
import type { RuleSet } from '../policy/model';
import { UsageError, type PolicyOptions } from './args';
import { readRangesFile, readTextFile } from './ca-files';
import type { CliIo } from './main';
import { terminalSafe } from './text-output';

/**
 * The names files are shown under: their base names, or the paths as given where two base names are the same
 * (`old/rules.v4` and `new/rules.v4` must not both read "rules.v4").
 */
export function displayNames(paths: readonly string[]): string[] {
  const base = paths.map((p) => basename(p));
  return paths.map((p, i) => (base.filter((b) => b === base[i]).length > 1 ? p : base[i]!));
}

/** Reads and parses one version's files, each once; a file that cannot be read or parsed is named with its line. */
function readVersion(
  paths: readonly string[],
  names: readonly string[],
  option: string,
  format: PolicyFormat | null,
): RuleSet[] {
  const files = paths.map((file, i) => ({
    name: names[i]!,
    format,
    text: readTextFile(file, option, MAX_POLICY_BYTES, 'policy.file_too_big'),
  }));
  const parsed = parsePolicies(files);
  if (!parsed.ok) throw new UsageError({ key: parsed.error.key, params: parsed.error.params });
  return parsed.value;
}

function writeJson(file: string, data: PolicyChangeData): void {
  try {
    writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  } catch (e) {
    throw new UsageError({
      key: 'cli.cannot_write',
      params: { file: terminalSafe(file), reason: (e as NodeJS.ErrnoException).code ?? String(e) },
    });
  }
}

/**
 * `origin-doctor policy --before FILE… --after FILE…`: what a rule change does to the provider's back-to-origin
 * traffic. Exit 0 when it takes nothing away, 1 when it does (or may: an answer depends on rules not fully read).
 */
export function policyCompareCommand(opts: PolicyOptions, io: CliIo, t: Translate): number {
  const started = performance.now();
  const names = displayNames([...opts.before, ...opts.after]);
  const before = readVersion(opts.before, names.slice(0, opts.before.length), '--before', opts.rulesFormat);
  const after = readVersion(opts.after, names.slice(opts.before.length), '--after', opts.rulesFormat);
  const preset = opts.provider ? findProvider(opts.provider) : undefined;
  const override = opts.rangesFile ? readRangesFile(opts.rangesFile) : null;
  const current = override ?? preset?.ranges ?? [];
  const ranges = [...new Set([...opts.ranges, ...current])];
  const customerList = opts.rangesBefore ? readRangesFile(opts.rangesBefore, '--ranges-before') : null;
  if (preset && !override && preset.ranges.length === 0 && opts.ranges.length === 0)
    io.stderr.write(`${t('policy.provider_no_ranges', { provider: preset.name })}\n`);
  const compared = comparePolicies({
    before,
    after,
    ranges,
    ports: opts.ports,
    provider: preset?.name ?? null,
    destinations: [],
    all: opts.all,
  });
  const drift = customerList
    ? rangesDrift({
        customer: customerList,
        current: [...current],
        currentDate: override ? null : (preset?.rangesCheckedOn ?? null),
        history: override ? [] : (preset?.rangesHistory ?? []),
        sets: after,
        ports: opts.ports,
      })
    : null;
  const data: PolicyChangeData = {
    ...compared,
    drift,
    elapsedMs: Math.round((performance.now() - started) * 10) / 10,
  };
  const text = terminalSafe(formatPolicyChangeText(data, t));
  if (opts.json === '-') {
    io.stdout.write(JSON.stringify(data, null, 2) + '\n');
    io.stderr.write(text);
  } else {
    if (opts.json) writeJson(opts.json, data);
    io.stdout.write(text);
  }
  return data.verdict === 'safe' ? 0 : 1;
}
