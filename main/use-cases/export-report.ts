import { createTranslator } from '../../shared/i18n/translate';
import type { Lang, Report } from '../../shared/model/report';
import { captureDataSchema } from '../../shared/model/probe-data';
import { renderHtml } from '../report/html';
import { renderMarkdown } from '../report/markdown';
import { buildReportModel } from '../report/model';
import type { PdfPrinter } from '../adapters/pdf-chromium';
import { redactReport } from '../report/redact';
import type { Comparison } from './sessions';

export interface ExportOptions {
  readonly lang: Lang;
  readonly redact: boolean;
  readonly now: Date;
  readonly timeZone: string;
  readonly status?: string;
  readonly notes?: string;
  readonly tags?: string[];
  readonly comparison?: Comparison | null;
}

export interface RenderedReport {
  readonly html: string;
  readonly markdown: string;
  readonly json: string;
}

/** A report in every text format, from one model; redaction first when asked, so no format leaks more than another. */
export function renderReport(report: Report, o: ExportOptions): RenderedReport {
  const t = createTranslator(o.lang);
  const red = o.redact ? redactReport(report, [o.notes ?? '']) : null;
  const r = red?.report ?? report;
  const notes = red ? red.extra[0] : o.notes;
  const model = buildReportModel(
    {
      report: r,
      status: o.status ?? 'finished',
      notes: notes ?? '',
      tags: o.tags ?? [],
      comparison: o.comparison ?? null,
      redactions: red?.counts ?? null,
      generatedAt: o.now,
      timeZone: o.timeZone,
      lang: o.lang,
    },
    t,
  );
  return {
    html: renderHtml(model, t),
    markdown: renderMarkdown(model, t),
    json: JSON.stringify(r, null, 2) + '\n',
  };
}

/** The PDF: the same HTML, printed by the given printer (Electron in the app, Chromium in the CLI). */
export function renderPdf(rendered: RenderedReport, print: PdfPrinter): Promise<Buffer> {
  return print(rendered.html);
}

/** The pcap bytes a session stored, or null when it has none (no `--capture`, or too large to keep). */
export function pcapOf(report: Report): Buffer | null {
  for (const p of report.probes) {
    const parsed = p.kind === 'capture' ? captureDataSchema.safeParse(p.data) : null;
    if (parsed?.success && parsed.data.pcap) return Buffer.from(parsed.data.pcap, 'base64');
  }
  return null;
}
