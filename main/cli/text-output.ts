import type { Report } from '../../shared/model/report';
import { watchRoundSchema } from '../../shared/model/probe-data';
import type { Translate } from '../../shared/i18n/translate';
import { appendAll, maxOf } from '../../shared/util/arrays';

/**
 * Makes an untrusted string safe for a terminal: escape sequences and other control characters (C0, DEL, C1 such
 * as the one-byte CSI 0x9b) are shown, not run; bidi overrides, isolates and marks, which make a terminal show a
 * command in another order than it runs ("Trojan Source"), are shown as code points.
 */
export function terminalSafe(s: string): string {
  return s.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => {
      const code = c.charCodeAt(0);
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
    },
  );
}

/** Fix steps whose "command" is configuration to paste into a file, not a shell command. */
const CONFIG_ENVS = new Set(['nginx', 'apache', 'fail2ban']);

/** Fix steps written as infrastructure code (Terraform, Ansible): too long for a terminal summary. */
export const CODE_ENVS = new Set(['terraform', 'ansible']);

const MARK: Record<string, string> = { error: '✗', warn: '!', info: '✓' };

/** The human-readable summary printed on stderr: verdict, findings, then causes with checks and fix steps. */
export function formatReportText(report: Report, t: Translate): string {
  const lines: string[] = [...watchChartText(report, t)];
  lines.push(`${t('cli.verdict')}: ${t(`verdict.${report.verdict}`)}`);
  lines.push('');
  lines.push(`${t('cli.findings')}:`);
  for (const f of report.findings) {
    lines.push(
      `  ${MARK[f.severity] ?? '-'} [${f.id}] ${terminalSafe(f.target)} — ${terminalSafe(f.message)}`,
    );
  }
  if (report.causes.length > 0) {
    lines.push('');
    lines.push(`${t('cli.causes')}:`);
    report.causes.forEach((c, i) => {
      const symptom =
        c.params.matchesSymptom === true
          ? ` [${t('cli.matches_symptom', { symptom: String(c.params.symptom) })}]`
          : '';
      lines.push(
        `  ${i + 1}. ${c.id} (${Math.round(c.confidence * 100)}%)${symptom} — ${terminalSafe(c.summary)}`,
      );
      if (c.checks.length > 0) {
        lines.push(`     ${t('cli.checks')}:`);
        for (const ch of c.checks) {
          appendAll(lines, indent(terminalSafe(ch.text), '       - ', '         '));
          const prompt = CONFIG_ENVS.has(ch.env ?? '') ? '           | ' : '           $ ';
          if (ch.command) appendAll(lines, indent(terminalSafe(ch.command), prompt, prompt));
        }
      }
      const asCode = c.fix.filter((s) => CODE_ENVS.has(s.env ?? ''));
      if (c.fix.length > 0) {
        lines.push(`     ${t('cli.fix')}:`);
        for (const s of c.fix.filter((x) => !CODE_ENVS.has(x.env ?? ''))) {
          appendAll(lines, [
            ...indent(terminalSafe(s.env ? `[${s.env}] ${s.text}` : s.text), '       - ', '         '),
          ]);
          const prompt = CONFIG_ENVS.has(s.env ?? '') ? '           | ' : '           $ ';
          if (s.command) appendAll(lines, indent(terminalSafe(s.command), prompt, prompt));
        }
        // Terraform and Ansible are files to keep, not lines to paste: named here, written in full in the report.
        if (asCode.length)
          lines.push(
            `       - ${t('cli.as_code_hint', { what: [...new Set(asCode.map((s) => s.env))].join(', ') })}`,
          );
      }
    });
  }
  lines.push('');
  return lines.join('\n');
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * A watch as one line per endpoint, a character per round: the bar's height is the connect time, ✗ a failed
 * round. What a long `mtr` shows, in a terminal.
 */
export function watchChartText(report: Report, t: Translate): string[] {
  const rounds = report.probes.flatMap((p) => {
    const r = p.kind === 'watch' ? watchRoundSchema.safeParse(p.data) : null;
    return r?.success ? [r.data] : [];
  });
  if (rounds.length === 0) return [];
  const w = report.session.input.watch;
  const lines = [t('cli.watch_chart', { rounds: rounds.length, every: w?.intervalS ?? '-' })];
  for (const ep of report.session.input.endpoints) {
    const cells = rounds.map((r) => r.endpoints.find((e) => e.url === ep.url));
    const max = maxOf(
      cells.map((c) => c?.connectMs ?? 0),
      1,
    );
    const chart = cells
      .map((c) =>
        !c
          ? ' '
          : !c.ok
            ? '✗'
            : BARS[Math.min(BARS.length - 1, Math.floor(((c.connectMs ?? 0) / max) * BARS.length))],
      )
      .join('');
    const ok = cells.filter((c) => c?.ok).length;
    lines.push(
      `  ${terminalSafe(ep.url)}  ${chart}  ${t('cli.watch_row', { ok, total: cells.length, max: Math.round(max * 10) / 10 })}`,
    );
  }
  lines.push('');
  return lines;
}

function indent(text: string, first: string, rest: string): string[] {
  return text.split('\n').map((l, i) => (i === 0 ? first : rest) + l);
}
