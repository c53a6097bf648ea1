import type { Translate } from '../../shared/i18n/translate';
import { visible } from './html';
import type { ReportModel } from './model';
import type { PolicyChangeModel } from './policy-change-view';
import { appendAll, maxOf } from '../../shared/util/arrays';

/**
 * Escapes text for Markdown (and the HTML a ticket system may render it into): nothing in it formats or links.
 * GitHub-flavoured Markdown also links bare `scheme://…`, `www.…` and e-mail addresses by itself (its autolink
 * extension): the colon before `//` and the dot after `www` are escaped, which stops it; an e-mail address takes
 * no escape, so a word joiner (U+2060, invisible) follows its `@`.
 */
export function mdEscape(s: string | number | null | undefined): string {
  return visible(String(s ?? ''))
    .replace(/[\\`*_{}[\]()#+!|<>~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/:(?=\/\/)/g, '\\:')
    .replace(/\b(www)\./gi, '$1\\.')
    .replace(/@/g, '@\u2060')
    .replace(/\r?\n/g, ' ');
}

/** A fenced block that the content cannot close early. */
function fence(s: string, lang = ''): string {
  const body = visible(s);
  const longest = maxOf(
    Array.from(body.matchAll(/`+/g), (m) => m[0].length),
    2,
  );
  const f = '`'.repeat(longest + 1);
  return `${f}${lang}\n${body}\n${f}`;
}

/**
 * A table cell in code style (a CIDR range): the text is stored data, so it may hold anything. One line, `|`
 * escaped (GFM splits cells before it reads code spans), fenced by more backticks than it holds.
 */
function codeCell(s: string): string {
  const body = visible(s).replace(/\n/g, ' ').replace(/\|/g, '\\|');
  const f = '`'.repeat(
    maxOf(
      Array.from(body.matchAll(/`+/g), (m) => m[0].length),
      0,
    ) + 1,
  );
  const pad = /^`|`$/.test(body) ? ' ' : '';
  return `${f}${pad}${body}${pad}${f}`;
}

/** The summary for a ticket: verdict, causes with their fixes, the findings per layer and the input. */
export function renderMarkdown(m: ReportModel, t: Translate): string {
  const out: string[] = [];
  out.push(`# ${mdEscape(m.title)}`, '');
  out.push(`**${mdEscape(t('app.verdict', { verdict: m.verdictText }))}**`, '');
  out.push(
    `_${mdEscape(t('report.generated', { time: m.generatedAt, version: m.toolVersion, id: m.sessionId, status: m.status }))}_`,
    '',
  );
  if (m.redacted) {
    out.push(
      `_${mdEscape(
        t('report.redacted', {
          what:
            m.redacted
              .filter((r) => r.count > 0)
              .map((r) => `${r.label} × ${r.count}`)
              .join(', ') || t('report.redacted_none'),
        }),
      )}_`,
      '',
    );
  }
  out.push(`## ${mdEscape(t('app.causes'))}`, '');
  if (m.causes.length === 0) out.push(mdEscape(t('report.no_causes')), '');
  m.causes.forEach((c, i) => {
    out.push(`${i + 1}. **${c.confidencePct}%** \`${c.id}\` — ${mdEscape(c.summary)}`);
    out.push(`   - ${mdEscape(t('report.rests_on'))}: ${c.findings.map((f) => `\`${f}\``).join(', ')}`);
    for (const s of c.fix) {
      out.push(`   - ${s.env ? `[${mdEscape(s.env)}] ` : ''}${mdEscape(s.text)}`);
      if (s.command) out.push('', fence(s.command).replace(/^/gm, '     '), '');
    }
  });
  if (m.knowledge.length) {
    out.push('', `## ${mdEscape(t('kb.title'))}`, '');
    for (const k of m.knowledge) {
      out.push(`### \`${k.id}\``, '');
      for (const p of k.parts) out.push(`- **${mdEscape(p.title)}**: ${mdEscape(p.text)}`);
      out.push('');
    }
  }
  if (m.asCode.length) {
    out.push('', `## ${mdEscape(t('report.as_code'))}`, '');
    for (const c of m.asCode)
      out.push(`### ${mdEscape(c.text)}`, '', fence(c.command, c.env === 'terraform' ? 'hcl' : 'yaml'), '');
  }
  out.push('', `## ${mdEscape(t('report.layers'))}`, '');
  for (const l of m.layers) {
    out.push(`### ${mdEscape(l.name)}: ${mdEscape(t(`state.${l.state}`))}`, '');
    if (l.findings.length === 0) continue;
    out.push(
      `| ${mdEscape(t('report.col_finding'))} | ${mdEscape(t('report.col_target'))} | ${mdEscape(t('report.col_explanation'))} |`,
      '|---|---|---|',
    );
    for (const f of l.findings) out.push(`| \`${f.id}\` | ${mdEscape(f.target)} | ${mdEscape(f.message)} |`);
    out.push('');
  }
  if (m.watch) {
    out.push(`## ${mdEscape(t('report.watch'))}`, '', mdEscape(m.watch.summary), '');
    for (const c of m.watch.charts)
      out.push(
        `- **${mdEscape(c.title)}**: \`${c.rounds.map((r) => (r.ok ? '✓' : '✗')).join('')}\` (${c.rounds.filter((r) => !r.ok).length}/${c.rounds.length} ✗)`,
      );
    out.push('');
  }
  if (m.observation) {
    const o = m.observation;
    out.push(`## ${mdEscape(t('report.observe'))}`, '', mdEscape(o.summary), '');
    for (const n of o.notes) out.push(mdEscape(n), '');
    out.push(`| ${o.columns.map(mdEscape).join(' | ')} |`, `|${o.columns.map(() => '---').join('|')}|`);
    appendAll(
      out,
      o.rows.map((r) => `| ${r.map(mdEscape).join(' | ')} |`),
    );
    out.push('');
    if (o.counters.length)
      out.push(`**${mdEscape(t('report.observe_counters'))}**`, '', fence(o.counters.join('\n')), '');
    if (o.log) out.push(mdEscape(o.log), '');
    for (const l of o.ladders) {
      out.push(`**${mdEscape(l.title)}**`, '');
      out.push(
        fence(
          l.events
            .map((e) => `+${e.t} ms`.padEnd(14) + `${e.from} → ${e.to}`.padEnd(20) + e.label)
            .join('\n'),
        ),
        '',
      );
    }
  }
  if (m.capture) {
    out.push(`## ${mdEscape(t('report.capture'))}`, '');
    if (m.capture.problem) out.push(mdEscape(m.capture.problem), '');
    else {
      out.push(mdEscape(m.capture.summary), '');
      if (m.capture.sha) out.push(mdEscape(m.capture.sha), '');
      if (m.capture.note) out.push(mdEscape(m.capture.note), '');
      for (const l of m.capture.ladders) {
        out.push(`**${mdEscape(l.title)}**`, '');
        out.push(
          fence(
            l.events
              .map((e) => `+${e.t} ms`.padEnd(14) + `${e.from} → ${e.to}`.padEnd(20) + e.label)
              .join('\n'),
          ),
          '',
        );
      }
    }
  }
  if (m.policy) {
    // For a ticket: the coverage, and only what is not simply allowed.
    out.push(`## ${mdEscape(t('report.policy'))}`, '', `**${mdEscape(m.policy.coverage)}**`, '');
    const notAllowed = m.policy.rows.filter((r) => r.outcome !== 'allowed');
    if (notAllowed.length) {
      out.push(
        `| ${mdEscape(t('policy.col_range'))} | ${mdEscape(t('policy.col_port'))} | ${mdEscape(t('policy.col_result'))} | ${mdEscape(t('policy.col_decided'))} |`,
        '|---|---|---|---|',
      );
      for (const r of notAllowed) {
        out.push(
          `| ${codeCell(r.range)} | ${r.port} | ${mdEscape(r.outcomeText)} (${mdEscape(r.allowedPct)}) | ${mdEscape(r.decided)} |`,
        );
        for (const s of r.segments.filter((x) => x.outcome !== 'allow'))
          out.push(`| ↳ ${codeCell(s.range)} | | ${mdEscape(s.outcomeText)} | ${mdEscape(s.decided)} |`);
      }
      out.push('');
    }
    for (const a of m.policy.anomalies.filter((x) => x.relevant))
      out.push(
        `- ${mdEscape(a.kind)}: ${mdEscape(a.at)} ${mdEscape(a.text)}${a.other ? ` — ${mdEscape(a.other)}` : ''}`,
      );
    out.push('');
  }
  if (m.policyChange) appendAll(out, policyChangeMarkdown(m.policyChange, t));
  if (m.comparison) {
    out.push(`## ${mdEscape(t('report.comparison', { parent: m.comparison.parentId }))}`, '');
    for (const c of m.comparison.changes)
      out.push(`- ${mdEscape(c.change)}: \`${c.id}\` ${mdEscape(c.target)}`);
    out.push('');
  }
  // A ticket carries the HTTP exchanges as they were (the HTML and PDF carry every tool's output).
  const exchanges = m.probes.filter((p) => p.kind === 'http' && p.raw);
  if (exchanges.length) {
    out.push(`## ${mdEscape(t('report.raw_http'))}`, '');
    for (const p of exchanges) out.push(`### ${mdEscape(p.id)} ${mdEscape(p.target)}`, '', fence(p.raw), '');
  }
  out.push(`## ${mdEscape(t('report.input'))}`, '');
  for (const r of m.input) out.push(`- **${mdEscape(r.label)}**: ${mdEscape(r.value)}`);
  if (m.notes) out.push('', `## ${mdEscape(t('report.notes'))}`, '', fence(m.notes));
  out.push('');
  return out.join('\n');
}

/** The change impact for a ticket: the verdict with the lines cutting, coverage before → after, the changed rows. */
function policyChangeMarkdown(c: PolicyChangeModel, t: Translate): string[] {
  const out = [`## ${mdEscape(t('report.policy_change'))}`, ''];
  if (c.verdict === null) return [...out, mdEscape(c.error), ''];
  const [head, ...cut] = c.verdictLines;
  out.push(`**${mdEscape(head)}**`, '');
  for (const l of cut) out.push(`- ${mdEscape(l.trim())}`);
  if (cut.length) out.push('');
  for (const [label, files] of [
    [t('policy.change_heading_before'), c.filesBefore],
    [t('policy.change_heading_after'), c.filesAfter],
  ] as const) {
    out.push(mdEscape(label), '');
    for (const f of files) out.push(`- ${mdEscape(f)}`);
    out.push('');
  }
  out.push(mdEscape(c.coverage), '');
  if (c.undecided) out.push(mdEscape(c.undecided), '');
  out.push(mdEscape(c.rowsSummary), '');
  if (c.rows.length) {
    out.push(
      `| ${mdEscape(t('policy.col_range'))} | ${mdEscape(t('policy.col_port'))} | ${mdEscape(t('policy.col_before'))} | ${mdEscape(t('policy.col_after'))} | ${mdEscape(t('policy.col_why'))} |`,
      '|---|---|---|---|---|',
    );
    for (const r of c.rows) {
      out.push(
        `| ${codeCell(r.range)} | ${r.port} | ${mdEscape(r.before)} | ${mdEscape(r.after)} | ${mdEscape(r.effectText)} |`,
      );
      for (const p of r.changes)
        out.push(
          `| ↳ ${codeCell(p.range)} | | ${mdEscape(p.before)}: ${mdEscape(p.lineBefore)} | ${mdEscape(p.after)}: ${mdEscape(p.lineAfter)} | ${mdEscape(p.effectText)} — ${mdEscape(p.why)} |`,
        );
      if (r.moreChanges) out.push(`| | | | | ${mdEscape(r.moreChanges)} |`);
    }
    out.push('');
  }
  for (const a of [c.anomaliesIntroduced, c.anomaliesRemoved]) {
    out.push(mdEscape(a.heading));
    for (const x of a.items)
      out.push(
        `- ${mdEscape(x.kind)}: ${mdEscape(x.at)} ${mdEscape(x.text)}${x.other ? ` — ${mdEscape(x.other)}` : ''}`,
      );
    if (a.more) out.push(`- ${mdEscape(a.more)}`);
    out.push('');
  }
  if (c.anomaliesIncomplete) out.push(mdEscape(c.anomaliesIncomplete), '');
  return out;
}
