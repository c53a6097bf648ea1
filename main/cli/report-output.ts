import { writeFileSync } from 'node:fs';
import type { Report } from '../../shared/model/report';
import { createTranslator } from '../../shared/i18n/translate';
import { chromiumPrinter, PdfUnavailable, sandboxUnavailable } from '../adapters/pdf-chromium';
import { pcapOf, renderPdf, renderReport, type ExportOptions } from '../use-cases/export-report';
import { UsageError } from './args';
import type { CliIo } from './main';
import { terminalSafe } from './text-output';

export interface ReportTargets {
  readonly html?: string | undefined;
  readonly md?: string | undefined;
  readonly pdf?: string | undefined;
  readonly json?: string | undefined;
  /** The session's packet capture, as a pcap file for Wireshark. */
  readonly pcap?: string | undefined;
}

/** Writes one output: a file, or stdout for `-`; a file that cannot be written is a clear usage error. */
export function writeOutput(io: CliIo, file: string, data: string | Buffer): void {
  if (file === '-') {
    io.stdout.write(data);
    return;
  }
  try {
    writeFileSync(file, data);
  } catch (e) {
    throw new UsageError({
      key: 'cli.cannot_write',
      params: { file: terminalSafe(file), reason: (e as NodeJS.ErrnoException).code ?? String(e) },
    });
  }
}

/** Writes the asked formats of one report; the PDF is the HTML printed by Chromium. */
export async function writeReports(
  report: Report,
  targets: ReportTargets,
  options: ExportOptions,
  io: CliIo,
): Promise<void> {
  if (targets.pcap) {
    const pcap = pcapOf(report);
    if (!pcap) throw new UsageError({ key: 'cli.no_capture', params: {} });
    writeOutput(io, targets.pcap, pcap);
  }
  const rendered = renderReport(report, options);
  if (targets.json) writeOutput(io, targets.json, rendered.json);
  if (targets.html) writeOutput(io, targets.html, rendered.html);
  if (targets.md) writeOutput(io, targets.md, rendered.markdown);
  if (targets.pdf) {
    let pdf: Buffer;
    try {
      pdf = await renderPdf(rendered, chromiumPrinter(io.env));
    } catch (e) {
      if (e instanceof PdfUnavailable)
        throw new UsageError({ key: 'report.pdf_needs_chromium', params: { looked: e.looked.join(', ') } });
      throw new UsageError({
        key: 'report.pdf_failed',
        params: { reason: terminalSafe(e instanceof Error ? e.message.split('\n')[0]! : String(e)) },
      });
    }
    writeOutput(io, targets.pdf, pdf);
    if (sandboxUnavailable()) io.stderr.write(`${createTranslator(options.lang)('report.pdf_no_sandbox')}\n`);
  }
}

/** The reader's time zone for "generated at", from TZ or the system. */
export function timeZoneOf(env: NodeJS.ProcessEnv): string {
  return env.TZ || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
