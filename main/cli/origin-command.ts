import { basename } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Translate } from '../../shared/i18n/translate';
import { originBundleSchema, type OriginBundle } from '../../shared/model/origin-bundle';
import { bundleFromPastes } from '../origin/paste';
import { formatBundleText } from '../origin/format';
import { MAX_POLICY_BYTES } from '../policy';
import { collectOrigin } from '../probes/origin-collect';
import { runObservation } from '../probes/observe';
import { parseFirewallLog, summariseFirewallLog } from '../origin/firewall-log';
import { findProvider, PROVIDERS } from '../../shared/catalog/providers';
import { parseCidr, quoteInput } from '../../shared/net/validate';
import { UsageError, parsePortValues, parseStrictArgs } from './args';
import { readRangesFile, readTextFile } from './ca-files';
import type { CliIo } from './main';
import { terminalSafe } from './text-output';

/** Reads and validates an origin-check bundle given with `--origin-bundle`. */
export function readOriginBundle(file: string): OriginBundle {
  const text = readTextFile(file, '--origin-bundle', MAX_POLICY_BYTES, 'policy.file_too_big');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageError({ key: 'origin.bundle_not_json', params: { file: terminalSafe(file) } });
  }
  const parsed = originBundleSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError({
      key: 'origin.bundle_invalid',
      params: {
        file: terminalSafe(file),
        path: issue.path.join('.') || '-',
        detail: terminalSafe(issue.message),
      },
    });
  }
  return parsed.data;
}

/** `--observe SECONDS`: a whole number from 1 to 600. */
export function parseObserveSeconds(raw: string): number {
  const n = /^\s*\d{1,4}\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 600)
    throw new UsageError({ key: 'origin.observe_seconds', params: { value: quoteInput(raw) } });
  return n;
}

/** The provider's ranges for origin-check: `--source-range` plus the `--ranges-file` or the `--provider` preset. */
function providerRanges(v: Record<string, string | string[] | undefined>): string[] {
  const own = ((v['source-range'] as string[] | undefined) ?? []).map((r) => {
    const c = parseCidr(r);
    if (!c.ok)
      throw new UsageError({ key: c.error.key, params: { ...c.error.params, option: '--source-range' } });
    return c.value;
  });
  let base: readonly string[] = [];
  if (v.provider !== undefined) {
    const p = findProvider(v.provider as string);
    if (!p)
      throw new UsageError({
        key: 'input.unknown_provider',
        params: {
          option: '--provider',
          value: quoteInput(v.provider as string),
          known: PROVIDERS.map((x) => x.id).join(', '),
        },
      });
    base = p.ranges;
  }
  if (v['ranges-file'] !== undefined) base = readRangesFile(v['ranges-file'] as string);
  return [...new Set([...own, ...base])];
}

/** `origin-doctor origin-check`: collect (or read pasted output) and write the bundle. Changes nothing. */
export async function originCheckCommand(argv: string[], io: CliIo, t: Translate): Promise<number> {
  const { values } = parseStrictArgs(argv, {
    port: { type: 'string', multiple: true },
    json: { type: 'string' },
    log: { type: 'string', multiple: true },
    from: { type: 'string', multiple: true },
    'proc-root': { type: 'string' },
    lang: { type: 'string' },
    observe: { type: 'string' },
    provider: { type: 'string' },
    'source-range': { type: 'string', multiple: true },
    'ranges-file': { type: 'string' },
  });
  const v = values as Record<string, string | string[] | undefined>;
  const ports = parsePortValues((v.port as string[] | undefined) ?? [], '--port');
  const expected = ports.length ? [...new Set(ports)].sort((a, b) => a - b) : [80, 443];
  const from = (v.from as string[] | undefined) ?? [];
  const seconds = v.observe === undefined ? null : parseObserveSeconds(v.observe as string);
  const ranges = providerRanges(v);
  if (seconds !== null && from.length) throw new UsageError({ key: 'origin.observe_with_from', params: {} });
  if (seconds !== null && ranges.length === 0)
    throw new UsageError({ key: 'origin.observe_needs_ranges', params: { option: '--observe' } });
  let bundle: OriginBundle;
  if (from.length) {
    const pastes = from.map((f) => ({
      name: basename(f),
      text: readTextFile(f, '--from', MAX_POLICY_BYTES, 'policy.file_too_big'),
    }));
    // Every paste is read as before; kernel firewall log lines in them are also read for the provider's addresses.
    const now = new Date();
    const logs = pastes.map((p) => ({ name: p.name, entries: parseFirewallLog(p.text, now) }));
    const r = bundleFromPastes(pastes, expected, now);
    const unrecognised = r.unrecognised.filter((n) => !logs.some((l) => l.name === n && l.entries !== null));
    if (unrecognised.length)
      throw new UsageError({
        key: 'origin.paste_unrecognised',
        params: { files: terminalSafe(unrecognised.join(', ')) },
      });
    bundle = r.bundle;
    const found = logs.flatMap((l) => (l.entries ? [{ name: l.name, entries: l.entries }] : []));
    if (found.length) {
      bundle.firewallLog = summariseFirewallLog(found, ranges, null);
      // Without the provider's ranges no line can be said to be the provider's: named, not guessed.
      if (ranges.length === 0)
        bundle.unavailable.push({
          part: 'firewall log',
          reason:
            'no provider ranges given (--provider, --source-range or --ranges-file): provider lines not told apart',
        });
    }
  } else {
    const collecting = collectOrigin({
      ports: expected,
      // Ctrl-C ends an observation window, not the collection beside it.
      signal: seconds !== null ? new AbortController().signal : io.signal,
      now: () => new Date(),
      logFiles: (v.log as string[] | undefined) ?? [],
      ...(v['proc-root'] ? { procRoot: v['proc-root'] as string, tools: false } : {}),
    });
    const observing =
      seconds !== null
        ? runObservation({
            seconds,
            ports: expected,
            ranges,
            signal: io.signal,
            now: () => new Date(),
            ...(v['proc-root'] ? { procRoot: v['proc-root'] as string } : {}),
            onWindowOpen: () =>
              io.stderr.write(`${t('origin.observe_window', { seconds, ports: expected.join(', ') })}\n`),
          })
        : null;
    bundle = await collecting;
    if (observing) bundle.observation = await observing;
  }
  const json = JSON.stringify(bundle, null, 2) + '\n';
  const text = terminalSafe(formatBundleText(bundle, t));
  const target = (v.json as string | undefined) ?? null;
  if (target === '-') {
    io.stdout.write(json);
    io.stderr.write(text);
  } else {
    if (target) {
      try {
        writeFileSync(target, json);
      } catch (e) {
        throw new UsageError({
          key: 'cli.cannot_write',
          params: { file: terminalSafe(target), reason: (e as NodeJS.ErrnoException).code ?? String(e) },
        });
      }
    }
    io.stdout.write(text);
    if (target) io.stdout.write(`${t('origin.summary_written', { file: terminalSafe(target) })}\n`);
  }
  return 0;
}
