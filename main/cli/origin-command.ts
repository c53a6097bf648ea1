import { basename } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Translate } from '../../shared/i18n/translate';
import { originBundleSchema, type OriginBundle } from '../../shared/model/origin-bundle';
import { bundleFromPastes } from '../origin/paste';
import { formatBundleText } from '../origin/format';
import { MAX_POLICY_BYTES } from '../policy';
import { collectOrigin } from '../probes/origin-collect';
import { UsageError, parsePortValues, parseStrictArgs } from './args';
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
  const ports = parsePortValues((v.port as string[] | undefined) ?? [], '--port');
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
