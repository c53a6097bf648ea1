import type { Report } from '../../shared/model/report';
import type { Translate } from '../../shared/i18n/translate';

/** Makes an untrusted string safe for a terminal: escape sequences and other control characters are shown, not run. */
export function terminalSafe(s: string): string {
  return s.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** Fix steps whose "command" is configuration to paste into a file, not a shell command. */
const CONFIG_ENVS = new Set(['nginx', 'apache', 'fail2ban']);

const MARK: Record<string, string> = { error: '✗', warn: '!', info: '✓' };

/** The human-readable summary printed on stderr: verdict, findings, then causes with checks and fix steps. */
export function formatReportText(report: Report, t: Translate): string {
  const lines: string[] = [];
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
          lines.push(...indent(terminalSafe(ch.text), '       - ', '         '));
          const prompt = CONFIG_ENVS.has(ch.env ?? '') ? '           | ' : '           $ ';
          if (ch.command) lines.push(...indent(terminalSafe(ch.command), prompt, prompt));
        }
      }
      if (c.fix.length > 0) {
        lines.push(`     ${t('cli.fix')}:`);
        for (const s of c.fix) {
          lines.push(
            ...indent(terminalSafe(s.env ? `[${s.env}] ${s.text}` : s.text), '       - ', '         '),
          );
          const prompt = CONFIG_ENVS.has(s.env ?? '') ? '           | ' : '           $ ';
          if (s.command) lines.push(...indent(terminalSafe(s.command), prompt, prompt));
        }
      }
    });
  }
  lines.push('');
  return lines.join('\n');
}

function indent(text: string, first: string, rest: string): string[] {
  return text.split('\n').map((l, i) => (i === 0 ? first : rest) + l);
}
