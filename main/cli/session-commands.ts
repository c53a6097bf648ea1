import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Translate } from '../../shared/i18n/translate';
import { LANGS, VERDICTS, type Lang, type Verdict } from '../../shared/model/report';
import { timeZoneOf, writeOutput, writeReports } from './report-output';
import { quoteInput } from '../../shared/net/validate';
import { readBounded } from '../adapters/bounded-read';
import { DbError, openDatabase } from '../db/open';
import { defaultDbFile } from '../db/paths';
import { processAlive, SessionsRepo, type StoredSession } from '../db/sessions-repo';
import {
  compareSessions,
  exportSessions,
  importSessions,
  oversizeInImport,
  retest,
  StoredInputError,
  sessionExportSchema,
} from '../use-cases/sessions';
import { storedReport } from '../use-cases/stored-report';
import { UsageError } from './args';
import { formatReportText, terminalSafe } from './text-output';
import type { CliIo } from './main';

export interface Store {
  readonly repo: SessionsRepo;
  readonly file: string;
  readonly db: Database.Database;
  close(): void;
}

/** Opens the session database for a command, telling the person about a corrupt file kept aside or a migration. */
export async function openStore(file: string, io: CliIo, t: Translate): Promise<Store> {
  let opened;
  try {
    opened = await openDatabase(file);
  } catch (e) {
    if (e instanceof DbError) throw new UsageError({ key: e.key, params: e.params });
    throw e;
  }
  for (const n of opened.notices) {
    if (n.kind === 'corrupt_moved')
      io.stderr.write(`origin-doctor: ${t('db.corrupt_moved', { file: n.file, movedTo: n.movedTo })}\n`);
    if (n.kind === 'migrated' && n.backup)
      io.stderr.write(`origin-doctor: ${t('db.migrated', { from: n.from, to: n.to, backup: n.backup })}\n`);
  }
  const repo = new SessionsRepo(opened.db);
  repo.markOrphansInterrupted(processAlive);
  return { repo, file, db: opened.db, close: () => void (opened.db.open && opened.db.close()) };
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  positionals: number,
) {
  let r;
  try {
    r = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    const opt = /'(-{1,2}[^' ]+)/.exec((e as Error).message)?.[1] ?? '';
    throw new UsageError({ key: 'cli.unknown_option', params: { option: quoteInput(opt) } });
  }
  if (r.positionals.length !== positionals)
    throw new UsageError({ key: 'cli.session_args', params: { count: positionals } });
  return r;
}

const dbOption = { db: { type: 'string' } } as const;
/** An export of a few thousand sessions is tens of MB; the cap counts bytes read, so /dev/zero or a FIFO stop. */
const MAX_IMPORT_BYTES = 200 * 1024 * 1024;

/** Finds a session by its id or an unambiguous prefix of at least 4 characters. */
function resolveId(store: Store, idOrPrefix: string): StoredSession {
  const exact = store.repo.get(idOrPrefix);
  if (exact) return exact;
  if (/^[0-9a-f-]{4,}$/i.test(idOrPrefix)) {
    const rows = store.db
      .prepare("SELECT id FROM sessions WHERE id LIKE ? || '%' LIMIT 2")
      .all(idOrPrefix.toLowerCase()) as { id: string }[];
    if (rows.length === 1) return store.repo.get(rows[0]!.id)!;
    if (rows.length > 1)
      throw new UsageError({ key: 'cli.session_ambiguous', params: { id: quoteInput(idOrPrefix) } });
  }
  throw new UsageError({
    key: 'cli.session_not_found',
    params: { id: quoteInput(idOrPrefix), file: store.file },
  });
}

/** `history`, `show`, `compare`, `export`, `import`, `delete`: the stored sessions, for the CLI. */
export async function sessionCommand(
  command: string,
  argv: string[],
  io: CliIo,
  t: Translate,
): Promise<number> {
  const withStore = async <R>(file: string | undefined, fn: (store: Store) => R | Promise<R>): Promise<R> => {
    const store = await openStore(file ?? defaultDbFile(io.env), io, t);
    try {
      return await fn(store);
    } finally {
      store.close();
    }
  };
  switch (command) {
    case 'history': {
      const { values } = parse(
        argv,
        {
          ...dbOption,
          search: { type: 'string' },
          verdict: { type: 'string' },
          domain: { type: 'string' },
          endpoint: { type: 'string' },
          cause: { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
          limit: { type: 'string' },
          offset: { type: 'string' },
          json: { type: 'boolean' },
        },
        0,
      );
      if (values.verdict !== undefined && !(VERDICTS as readonly string[]).includes(values.verdict)) {
        throw new UsageError({
          key: 'input.bad_choice',
          params: { option: '--verdict', value: quoteInput(values.verdict), choices: VERDICTS.join(', ') },
        });
      }
      for (const [name, v] of [
        ['--from', values.from],
        ['--to', values.to],
      ] as const) {
        if (v !== undefined && Number.isNaN(Date.parse(v)))
          throw new UsageError({ key: 'cli.bad_date', params: { option: name, value: quoteInput(v) } });
      }
      const num = (v: string | undefined, name: string, max: number): number | undefined => {
        if (v === undefined) return undefined;
        if (!/^\d{1,6}$/.test(v) || Number(v) > max)
          throw new UsageError({
            key: 'input.int_range',
            params: { option: name, value: quoteInput(v), min: 0, max },
          });
        return Number(v);
      };
      const page = await withStore(values.db, (s) =>
        s.repo.list({
          ...(values.search !== undefined ? { search: values.search } : {}),
          ...(values.verdict !== undefined ? { verdict: values.verdict as Verdict } : {}),
          ...(values.domain !== undefined ? { domain: values.domain } : {}),
          ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
          ...(values.cause !== undefined ? { cause: values.cause } : {}),
          ...(values.from !== undefined ? { from: new Date(values.from).toISOString() } : {}),
          ...(values.to !== undefined ? { to: new Date(values.to).toISOString() } : {}),
          limit: num(values.limit, '--limit', 500) ?? 50,
          offset: num(values.offset, '--offset', 1_000_000) ?? 0,
        }),
      );
      if (values.json) {
        io.stdout.write(JSON.stringify(page, null, 2) + '\n');
      } else {
        io.stdout.write(`${t('cli.history_total', { total: page.total })}\n`);
        for (const s of page.items) {
          io.stdout.write(
            [
              s.id,
              s.createdAt.replace('T', ' ').slice(0, 19),
              t(`status.${s.status}`),
              s.verdict ? t(`verdict.${s.verdict}`) : '-',
              s.domain ?? '-',
              s.endpoints.join(' ') || '-',
              s.topCause ?? '',
            ]
              .map((c) => terminalSafe(c))
              .join('  ') + '\n',
          );
        }
      }
      return 0;
    }
    case 'show': {
      const { values, positionals } = parse(argv, { ...dbOption, json: { type: 'boolean' } }, 1);
      return withStore(values.db, (store) => {
        const s = resolveId(store, positionals[0]!);
        // Findings, causes and fix steps by the current engine: a stored session may be an imported file's.
        const report = storedReport(store.repo, s);
        if (values.json) {
          io.stdout.write(
            JSON.stringify(
              {
                report,
                status: s.summary.status,
                parentId: s.summary.parentId,
                tags: s.summary.tags,
                notes: s.notes,
                attachments: s.attachments,
              },
              null,
              2,
            ) + '\n',
          );
        } else {
          io.stdout.write(
            `${t('cli.show_header', { id: terminalSafe(s.summary.id), createdAt: terminalSafe(s.summary.createdAt), status: t(`status.${s.summary.status}`) })}\n${formatReportText(report, t)}`,
          );
        }
        return 0;
      });
    }
    case 'compare': {
      const { values, positionals } = parse(argv, { ...dbOption, json: { type: 'boolean' } }, 2);
      return withStore(values.db, (store) => {
        const c = compareSessions(resolveId(store, positionals[0]!), resolveId(store, positionals[1]!));
        if (values.json) {
          io.stdout.write(JSON.stringify(c, null, 2) + '\n');
        } else {
          io.stdout.write(
            `${t('cli.compare_header', { a: c.a, b: c.b, va: c.verdict.a ?? '-', vb: c.verdict.b ?? '-' })}\n`,
          );
          if (c.changes.length === 0) io.stdout.write(`  ${t('cli.compare_nothing')}\n`);
          for (const ch of c.changes)
            io.stdout.write(`  ${t(`change.${ch.change}`)}  [${ch.id}] ${terminalSafe(ch.target)}\n`);
        }
        return c.changes.some((ch) => ch.change !== 'fixed') ? 1 : 0;
      });
    }
    case 'export': {
      const { values, positionals } = parse(
        argv,
        {
          ...dbOption,
          json: { type: 'string' },
          html: { type: 'string' },
          md: { type: 'string' },
          pdf: { type: 'string' },
          pcap: { type: 'string' },
          all: { type: 'boolean' },
          redact: { type: 'boolean' },
          lang: { type: 'string' },
        },
        1,
      );
      if (!values.json && !values.html && !values.md && !values.pdf && !values.pcap)
        throw new UsageError({ key: 'cli.export_needs_output', params: {} });
      if (values.lang !== undefined && !(LANGS as readonly string[]).includes(values.lang)) {
        throw new UsageError({
          key: 'input.bad_choice',
          params: { option: '--lang', value: quoteInput(values.lang), choices: LANGS.join(', ') },
        });
      }
      return withStore(values.db, async (store) => {
        const s = resolveId(store, positionals[0]!);
        if (values.all && values.json) {
          writeOutput(
            io,
            values.json,
            JSON.stringify(exportSessions(store.repo, [s.summary.id], new Date()), null, 2) + '\n',
          );
          return 0;
        }
        const parent = s.summary.parentId ? store.repo.get(s.summary.parentId) : null;
        await writeReports(
          storedReport(store.repo, s),
          { json: values.json, html: values.html, md: values.md, pdf: values.pdf, pcap: values.pcap },
          {
            lang: (values.lang as Lang | undefined) ?? s.input.lang,
            redact: values.redact === true,
            now: new Date(),
            timeZone: timeZoneOf(io.env),
            status: s.summary.status,
            notes: s.notes,
            tags: s.summary.tags,
            comparison: parent ? compareSessions(parent, s) : null,
          },
          io,
        );
        return 0;
      });
    }
    case 'import': {
      const { values, positionals } = parse(argv, { ...dbOption, json: { type: 'boolean' } }, 1);
      const file = positionals[0]!;
      let doc: unknown;
      try {
        const r = readBounded(file, MAX_IMPORT_BYTES);
        if (r.kind === 'too-big')
          throw new UsageError({
            key: 'cli.import_too_big',
            params: { file: quoteInput(file), max: MAX_IMPORT_BYTES / 1024 / 1024 },
          });
        doc = JSON.parse(r.bytes.toString('utf8'));
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError({
          key: 'cli.import_unreadable',
          params: { file: quoteInput(file), reason: (e as NodeJS.ErrnoException).code ?? 'not JSON' },
        });
      }
      const big = oversizeInImport(doc);
      if (big)
        throw new UsageError({
          key: 'session.import_too_big',
          params: {
            file: quoteInput(file),
            index: big.index,
            ...big.oversize,
            path: terminalSafe(big.oversize.path),
          },
        });
      const parsed = sessionExportSchema.safeParse(doc);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new UsageError({
          key: 'cli.import_invalid',
          params: {
            file: quoteInput(file),
            where: issue?.path.join('.') || '-',
            issue: issue?.message ?? '',
          },
        });
      }
      return withStore(values.db, (store) => {
        const outcomes = importSessions(store.repo, parsed.data, randomUUID, store.db);
        if (values.json) io.stdout.write(JSON.stringify(outcomes, null, 2) + '\n');
        else
          for (const o of outcomes)
            io.stdout.write(
              `${t(`import.${o.result}`, { id: terminalSafe(o.id), newId: terminalSafe(o.newId ?? '') })}\n`,
            );
        return 0;
      });
    }
    case 'retest': {
      const { values, positionals } = parse(argv, { ...dbOption, json: { type: 'string' } }, 1);
      return withStore(values.db, async (store) => {
        const parent = resolveId(store, positionals[0]!);
        const report = await retest(store.repo, parent.summary.id, {
          now: () => new Date(),
          newId: randomUUID,
          signal: io.signal,
        }).catch((e: unknown) => {
          if (!(e instanceof StoredInputError)) throw e;
          throw new UsageError({
            key: 'cli.stored_input_invalid',
            params: { id: e.id, reason: t(e.error.key, e.error.params) },
          });
        });
        if (!report)
          throw new UsageError({
            key: 'cli.session_not_found',
            params: { id: quoteInput(positionals[0]!), file: store.file },
          });
        if (values.json) writeOutput(io, values.json, JSON.stringify(report, null, 2) + '\n');
        const c = compareSessions(parent, store.repo.get(report.session.id)!);
        io.stderr.write(
          `${t('cli.retest_header', { id: report.session.id, parent: parent.summary.id })}\n${formatReportText(report, t)}`,
        );
        for (const ch of c.changes)
          io.stderr.write(`  ${t(`change.${ch.change}`)}  [${ch.id}] ${terminalSafe(ch.target)}\n`);
        return report.findings.some((f) => f.severity !== 'info') ? 1 : 0;
      });
    }
    case 'update': {
      const { values, positionals } = parse(
        argv,
        { ...dbOption, tags: { type: 'string' }, notes: { type: 'string' } },
        1,
      );
      if (values.tags === undefined && values.notes === undefined)
        throw new UsageError({ key: 'cli.update_needs', params: {} });
      if ((values.notes ?? '').length > 1_000_000)
        throw new UsageError({ key: 'cli.notes_too_long', params: {} });
      return withStore(values.db, (store) => {
        const s = resolveId(store, positionals[0]!);
        store.repo.update(s.summary.id, {
          tags: values.tags !== undefined ? values.tags.split(',') : s.summary.tags,
          notes: values.notes ?? s.notes,
        });
        io.stdout.write(`${t('cli.updated', { id: s.summary.id })}\n`);
        return 0;
      });
    }
    case 'delete': {
      const { values, positionals } = parse(argv, { ...dbOption, yes: { type: 'boolean' } }, 1);
      return withStore(values.db, (store) => {
        const s = resolveId(store, positionals[0]!);
        if (!values.yes) {
          io.stderr.write(
            `origin-doctor: ${t('cli.delete_confirm', { id: s.summary.id, domain: s.summary.domain ?? '-', createdAt: s.summary.createdAt })}\n`,
          );
          return 2;
        }
        // Still running (orphans were marked interrupted on open): its process is writing into it right now.
        if (s.summary.status === 'running')
          throw new UsageError({ key: 'session.delete_running', params: { id: s.summary.id } });
        store.repo.delete(s.summary.id);
        io.stdout.write(`${t('cli.deleted', { id: s.summary.id })}\n`);
        return 0;
      });
    }
    default:
      throw new UsageError({
        key: 'cli.unknown_command',
        params: { value: terminalSafe(JSON.stringify(command)) },
      });
  }
}
