import { basename } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Translate } from '../../shared/i18n/translate';
import { originBundleSchema, type OriginBundle } from '../../shared/model/origin-bundle';
import { parsePort } from '../../shared/net/validate';
import { bundleFromPastes } from '../origin/paste';
import { isLoopback, isWildcard } from '../origin/parsers';
import { MAX_POLICY_BYTES } from '../policy';
import { collectOrigin } from '../probes/origin-collect';
import { UsageError, parseStrictArgs } from './args';
import { readTextFile } from './ca-files';
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

/** A short human summary of a bundle: listeners on the expected ports, the firewall, counters, what needed root. */
export function formatBundleText(b: OriginBundle, t: Translate): string {
  const out: string[] = [t('origin.summary_heading', { host: b.host.hostname || '-', at: b.collectedAt })];
  if (b.listenersSource === null) out.push(`  ${t('origin.summary_no_listeners')}`);
  for (const port of b.ports) {
    const on = b.listeners.filter((l) => l.port === port);
    const state =
      on.length === 0
        ? t('origin.summary_port_none')
        : on.some((l) => isWildcard(l.address))
          ? t('origin.summary_port_all')
          : on.every((l) => isLoopback(l.address))
            ? t('origin.summary_port_loopback')
            : t('origin.summary_port_some');
    out.push(
      `  ${t('origin.summary_port', { port, state, listeners: on.map((l) => `${l.address}:${l.port}${l.process ? ` (${l.process})` : ''}`).join(', ') || '-' })}`,
    );
  }
  out.push(`  ${t('origin.summary_firewall', { files: b.firewall.map((f) => f.name).join(', ') || '-' })}`);
  if (b.conntrack)
    out.push(`  ${t('origin.summary_conntrack', { count: b.conntrack.count, max: b.conntrack.max })}`);
  if (b.listenQueue) out.push(`  ${t('origin.summary_listen_queue', b.listenQueue)}`);
  for (const l of b.errorLogs)
    out.push(
      `  ${t('origin.summary_log', {
        file: l.file,
        lines: l.lines,
        counts:
          Object.entries(l.counts)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ') || '-',
      })}`,
    );
  if (b.needsRoot.length) out.push(`  ${t('origin.summary_needs_root', { parts: b.needsRoot.join(', ') })}`);
  for (const u of b.unavailable) out.push(`  ${t('origin.summary_unavailable', u)}`);
  return terminalSafe(out.join('\n')) + '\n';
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
  });
  const v = values as Record<string, string | string[] | undefined>;
  const ports = ((v.port as string[] | undefined) ?? [])
    .flatMap((p) => p.split(','))
    .map((p) => {
      const r = parsePort(p.trim());
      if (!r.ok) throw new UsageError({ key: r.error.key, params: { ...r.error.params, option: '--port' } });
      return r.value;
    });
  const expected = ports.length ? [...new Set(ports)].sort((a, b) => a - b) : [80, 443];
  const from = (v.from as string[] | undefined) ?? [];
  let bundle: OriginBundle;
  if (from.length) {
    const pastes = from.map((f) => ({
      name: basename(f),
      text: readTextFile(f, '--from', MAX_POLICY_BYTES, 'policy.file_too_big'),
    }));
    const r = bundleFromPastes(pastes, expected, new Date());
    if (r.unrecognised.length)
      throw new UsageError({
        key: 'origin.paste_unrecognised',
        params: { files: terminalSafe(r.unrecognised.join(', ')) },
      });
    bundle = r.bundle;
  } else {
    bundle = await collectOrigin({
      ports: expected,
      signal: io.signal,
      now: () => new Date(),
      logFiles: (v.log as string[] | undefined) ?? [],
      ...(v['proc-root'] ? { procRoot: v['proc-root'] as string, tools: false } : {}),
    });
  }
  const json = JSON.stringify(bundle, null, 2) + '\n';
  const text = formatBundleText(bundle, t);
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
