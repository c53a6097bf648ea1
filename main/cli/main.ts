import { randomUUID } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { reportSchema, type Report } from '../../shared/model/report';
import { createTranslator, describeError, type Translate } from '../../shared/i18n/translate';
import type { RunnerEvent } from '../probes/runner';
import { APP_VERSION } from '../version';
import { detectLang, parseDiagnoseArgs, parseWatchArgs, UsageError } from './args';
import { formatReportText, terminalSafe } from './text-output';
import { readCaFiles, readRangesFile, readTextFile } from './ca-files';
import { policyCommand, policyStepFor, readPolicyFiles } from './policy-command';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
}

export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

/** Runs the command line; returns the exit status (0 nothing wrong, 1 problems found, 2 bad input). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const lang = detectLang(argv, io.env);
  const t = createTranslator(lang);
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(t('cli.help', { version: APP_VERSION }) + '\n');
        return EXIT.ok;
      case 'version':
      case '--version':
        io.stdout.write(`origin-doctor ${APP_VERSION}\n`);
        return EXIT.ok;
      case 'diagnose':
        if (rest.includes('--help') || rest.includes('-h')) {
          io.stdout.write(t('cli.help', { version: APP_VERSION }) + '\n');
          return EXIT.ok;
        }
        return await diagnoseCommand(rest, io, t, lang);
      case 'watch':
        if (rest.includes('--help') || rest.includes('-h')) {
          io.stdout.write(t('cli.help', { version: APP_VERSION }) + '\n');
          return EXIT.ok;
        }
        return await diagnoseCommand(rest, io, t, lang, true);
      case 'policy':
        if (rest.includes('--help') || rest.includes('-h')) {
          io.stdout.write(t('cli.help', { version: APP_VERSION }) + '\n');
          return EXIT.ok;
        }
        return policyCommand(rest, io, t);
      case 'origin-check':
        if (rest.includes('--help') || rest.includes('-h')) {
          io.stdout.write(t('cli.help', { version: APP_VERSION }) + '\n');
          return EXIT.ok;
        }
        return await (await import('./origin-command')).originCheckCommand(rest, io, t);
      case 'history':
      case 'show':
      case 'compare':
      case 'export':
      case 'import':
      case 'delete':
      case 'retest':
      case 'update':
        return await (await import('./session-commands')).sessionCommand(command, rest, io, t);
      default:
        throw new UsageError({
          key: 'cli.unknown_command',
          params: { value: terminalSafe(JSON.stringify(command)) },
        });
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`origin-doctor: ${describeError(t, e.error)}\n`);
      return EXIT.usage;
    }
    // Loaded here rather than at start: only the session commands can throw it, and they loaded it already.
    const { SessionTooBigError } = await import('../use-cases/stored-report');
    if (e instanceof SessionTooBigError) {
      const params = { ...e.params, id: terminalSafe(e.id), path: terminalSafe(e.oversize.path) };
      io.stderr.write(`origin-doctor: ${t(e.key, params)}\n`);
      return EXIT.usage;
    }
    throw e;
  }
}

async function diagnoseCommand(
  argv: string[],
  io: CliIo,
  t: Translate,
  lang: ReturnType<typeof detectLang>,
  watch = false,
): Promise<number> {
  const opts = watch ? parseWatchArgs(argv, lang) : parseDiagnoseArgs(argv, lang);
  // The probes, the store, the reports and what they pull in (tls, http, child_process, better-sqlite3, …) load
  // only for the commands that use them: `policy` and `--version` start without them.
  const [
    { runDiagnosis },
    { decodeErrorPage },
    { timeZoneOf, writeReports },
    { openStore },
    { importSessions, runAndStore },
    { toDbError },
    { readOriginBundle },
    { readProviderConfigs },
  ] = await Promise.all([
    import('../use-cases/run-diagnosis'),
    import('../diagnosis/error-page'),
    import('./report-output'),
    import('./session-commands'),
    import('../use-cases/sessions'),
    import('../db/open'),
    import('./origin-command'),
    import('./provider-config-files'),
  ]);
  if (opts.caFiles.length > 0) opts.input.extraCa = readCaFiles(opts.caFiles);
  if (opts.providerCaFiles.length > 0)
    opts.input.providerCa = readCaFiles(opts.providerCaFiles, '--provider-ca');
  const rules = opts.rules.length > 0 ? readPolicyFiles(opts.rules, opts.rulesFormat) : null;
  if (rules) opts.input.policies = rules.files;
  if (opts.originBundle) opts.input.origin = readOriginBundle(opts.originBundle);
  if (opts.rangesFile) opts.input.rangesOverride = readRangesFile(opts.rangesFile);
  if (opts.providerConfigFiles.length > 0)
    Object.assign(opts.input, readProviderConfigs(opts.input, opts.providerConfigFiles));
  if (opts.symptomPage) {
    const decoded = decodeErrorPage(readTextFile(opts.symptomPage, '--symptom-page'));
    if (decoded) {
      io.stderr.write(
        `${t('cli.symptom_recognised', { provider: t(`provider.${decoded.provider}`), code: decoded.code, reference: decoded.reference ?? '-', layer: t(`layer.${decoded.layer}`) })}\n`,
      );
      opts.input.symptomDetail = {
        provider: decoded.provider,
        code: decoded.code,
        reference: decoded.reference,
        layer: decoded.layer,
      };
      opts.input.symptom ??= decoded.symptom;
    } else {
      io.stderr.write(`${t('cli.symptom_not_recognised')}\n`);
    }
  }
  // Opened before probing: a database that cannot be used is said at once, not after the run.
  const store = opts.db ? await openStore(opts.db, io, t) : null;
  const progress = createProgress(io.stderr, t);
  const deps = {
    now: () => new Date(),
    newId: randomUUID,
    signal: io.signal,
    trace: opts.trace,
    dns: opts.dns,
    onEvent: watch
      ? (e: RunnerEvent) => {
          // A watch prints every round as it ends, terminal or not: it is the point of watching.
          if (e.type === 'probe-finished' && e.record.kind === 'watch')
            io.stderr.write(`${terminalSafe(e.record.raw ?? '')}\n`);
        }
      : progress.onEvent,
    capture: opts.capture,
    // The rule files were parsed above to refuse bad input before probing: the policy step reuses that parse.
    ...(rules ? { policy: policyStepFor(rules) } : {}),
  };
  let report: Report;
  const inodeOf = (file: string): number | null => {
    try {
      return statSync(file).ino;
    } catch {
      return null;
    }
  };
  const openedInode = store ? inodeOf(store.file) : null;
  try {
    report = store ? await runAndStore(store.repo, opts.input, deps) : await runDiagnosis(opts.input, deps);
    if (store && inodeOf(store.file) !== openedInode) {
      // The history file was deleted (or replaced) during the run: the rows went to a file nobody can open any
      // more. Save the session again in a file at the same path, and say so.
      store.close();
      const again = await openStore(store.file, io, t);
      try {
        importSessions(
          again.repo,
          {
            format: 'origin-doctor-sessions',
            version: 1,
            exportedAt: new Date().toISOString(),
            sessions: [{ report, status: 'finished', parentId: null, tags: [], notes: '' }],
          },
          randomUUID,
          again.db,
        );
      } finally {
        again.close();
      }
      io.stderr.write(`origin-doctor: ${t('db.file_replaced', { file: terminalSafe(store.file) })}\n`);
    }
  } catch (e) {
    const err = store ? toDbError(e, store.file) : null;
    if (err && err.key !== 'db.failed') throw new UsageError({ key: err.key, params: err.params });
    throw e;
  } finally {
    store?.close();
  }
  progress.done();
  // The contract is checked on the way out: a report that does not match it is a bug, not a result.
  const checked = reportSchema.parse(report);
  const json = JSON.stringify(checked, null, 2) + '\n';
  if (opts.json === '-') {
    io.stdout.write(json);
  } else if (opts.json) {
    try {
      writeFileSync(opts.json, json);
    } catch (e) {
      io.stderr.write(formatReportText(checked, t));
      throw new UsageError({
        key: 'cli.cannot_write',
        params: { file: terminalSafe(opts.json), reason: (e as NodeJS.ErrnoException).code ?? String(e) },
      });
    }
  }
  if (opts.reports.html || opts.reports.md || opts.reports.pdf || opts.reports.pcap) {
    await writeReports(
      checked,
      opts.reports,
      {
        lang: checked.session.input.lang,
        redact: opts.redact,
        now: new Date(),
        timeZone: timeZoneOf(io.env),
      },
      io,
    );
  }
  io.stderr.write(formatReportText(checked, t));
  if (io.signal.aborted) {
    io.stderr.write(`${t('cli.cancelled')}\n`);
    return EXIT.problems;
  }
  return checked.findings.some((f) => f.severity !== 'info') ? EXIT.problems : EXIT.ok;
}

/** A one-line progress bar on a terminal; nothing when stderr is not one (logs stay clean). */
function createProgress(
  stderr: CliIo['stderr'],
  t: Translate,
): { onEvent: (e: RunnerEvent) => void; done: () => void } {
  if (!stderr.isTTY) return { onEvent: () => undefined, done: () => undefined };
  let total = 0;
  let finished = 0;
  let last = '';
  const draw = (): void => {
    const width = 24;
    const filled = total === 0 ? 0 : Math.round((finished / total) * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${finished}/${total} ${last}`;
    stderr.write(`\r\x1b[2K${line.slice(0, (stderr.columns ?? 80) - 1)}`);
  };
  return {
    onEvent: (e) => {
      if (e.type === 'probe-started') {
        total++;
        last = t('cli.progress_running', { kind: e.kind, target: terminalSafe(e.target) });
      } else if (e.type === 'probe-finished') {
        finished++;
        last = t('cli.progress_done', {
          kind: e.record.kind,
          target: terminalSafe(e.record.target),
          status: e.record.status,
        });
      }
      draw();
    },
    done: () => stderr.write('\r\x1b[2K'),
  };
}
