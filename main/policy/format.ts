import type { PolicyBranch, PolicyData, PolicyRuleRef, PolicySegment } from '../../shared/model/probe-data';
import type { Translate } from '../../shared/i18n/translate';
import { appendAll } from '../../shared/util/arrays';

/** The policy analysis as plain text: the CLI's `policy` output and the raw evidence stored with the probe. */

const pct = (share: number): string => `${(Math.floor(share * 10000) / 100).toString()} %`;

/** `file:line`, or the file alone for a default that has no line (a cloud group's implicit deny). */
function at(r: PolicyRuleRef): string {
  return r.line > 0 ? `${r.file}:${r.line}` : r.file;
}

/** Columns a string takes in a terminal: CJK and full-width characters take two. */
function width(s: string): number {
  let w = 0;
  for (const c of s)
    w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(
      c,
    )
      ? 2
      : 1;
  return w;
}

function pad(s: string, n: number): string {
  const w = width(s);
  return w >= n ? `${s} ` : s + ' '.repeat(n - w);
}

/** A rule's text without the `-A CHAIN` its step already names. */
function stepText(r: PolicyRuleRef): string {
  const head = `-A ${r.chain} `;
  return r.text.startsWith(head) ? r.text.slice(head.length) : r.text;
}

/**
 * The way to the deciding rule when it took a jump or goto ("INPUT line 10 -j ufw-before-input → ufw-user-input
 * line 17 -s … -j DROP"); empty when the base chain decided (the rule alone says it all).
 */
export function pathText(path: readonly PolicyRuleRef[] | undefined, t: Translate): string {
  if (!path || path.length < 2) return '';
  const steps = path.map((r) => t('policy.path_step', { chain: r.chain, line: r.line, text: stepText(r) }));
  return t('policy.path', { path: steps.join(' → ') });
}

/** Conditions shown per possible answer; the rest are counted. */
const MAX_WHEN = 3;

function via(path: readonly PolicyRuleRef[] | undefined, t: Translate): string {
  const text = pathText(path, t);
  return text ? ` (${text})` : '';
}

/** One possible answer of an undecided segment: the outcome, where, and on which branches of uncertain rules. */
function branchText(b: PolicyBranch, t: Translate): string {
  const outcome = t(`policy.outcome_${b.outcome}`);
  const where = b.rule
    ? `${at(b.rule)}${b.byDefault ? ` ${t('policy.by_default')}` : ''}${via(b.path, t)}`
    : t('policy.no_file_speaks');
  if (b.when.length === 0) return t('policy.branch_always', { outcome, at: where });
  const conds = b.when
    .slice(0, MAX_WHEN)
    .map((w) =>
      t(w.matched ? 'policy.when_matches' : 'policy.when_not_matches', { what: w.what, at: at(w) }),
    );
  if (b.when.length > MAX_WHEN) conds.push(t('policy.when_more', { count: b.when.length - MAX_WHEN }));
  return t('policy.branch', { outcome, at: where, when: conds.join(t('policy.when_and')) });
}

/** Who decided a segment, in words: the rule, or the chain default, with bans and limits named. */
export function decidedBy(s: PolicySegment, t: Translate): string {
  if (s.possible.length > 0)
    return t('policy.undecided', {
      branches: s.possible.map((b) => branchText(b, t)).join(t('policy.branch_or')),
    });
  if (!s.rule) return t('policy.no_file_speaks');
  const parts = [`${at(s.rule)}`];
  if (s.byDefault) parts.push(t('policy.by_default'));
  if (s.ban) parts.push(t('policy.ban_list'));
  parts.push(s.rule.text);
  const path = pathText(s.path, t);
  if (path) parts.push(path);
  for (const l of s.limits)
    parts.push(
      t(l.perSource ? 'policy.limit_per_source' : 'policy.limit_global', { at: at(l), detail: l.detail }),
    );
  if (s.assumed) parts.push(t('policy.assumed', { what: s.assumed }));
  return parts.join('  ');
}

/** The coverage line: the share allowed per family, and the share no one can call for rules not fully read. */
export function coverageText(d: PolicyData, t: Translate): string {
  const fam = (v: number | null): string => (v === null ? t('policy.coverage_none') : pct(v));
  const line = t('policy.coverage', {
    provider: d.provider ?? t('policy.custom_ranges'),
    count: d.ranges.length,
    ports: d.ports.join(', '),
    v4: fam(d.coverage.v4),
    v6: fam(d.coverage.v6),
  });
  const { v4, v6 } = d.undecided;
  if (!v4 && !v6) return line;
  return `${line}; ${t('policy.coverage_undecided', { v4: fam(v4), v6: fam(v6) })}`;
}

export function formatPolicyText(d: PolicyData, t: Translate): string {
  const out: string[] = [];
  out.push(t('policy.heading_files'));
  for (const f of d.files)
    out.push(
      `  ${t('policy.file_line', { name: f.name, format: f.format, layer: t(`policy.layer_${f.layer}`), count: f.ruleCount })}`,
    );
  const notes = d.files.flatMap((f) => f.notes.map((n) => `  ${f.name}: ${t(n.key, n.params)}`));
  if (notes.length) appendAll(out, [t('policy.heading_notes'), ...notes]);
  out.push('');
  if (d.ranges.length === 0) out.push(t('policy.no_ranges'));
  else {
    out.push(coverageText(d, t));
    out.push('');
    out.push(
      `${pad(t('policy.col_range'), 20)}${pad(t('policy.col_port'), 6)}${pad(t('policy.col_result'), 10)}${pad(t('policy.col_allowed'), 10)}${t('policy.col_decided')}`,
    );
    for (const r of d.rows) {
      const head = `${pad(r.range, 20)}${pad(String(r.port), 6)}${pad(t(`policy.row_${r.outcome}`), 10)}${pad(pct(r.allowedShare), 10)}`;
      const only = r.segments.length === 1 ? r.segments[0] : undefined;
      if (only) {
        out.push(`${head}${decidedBy(only, t)}`);
        continue;
      }
      out.push(head);
      for (const s of r.segments)
        out.push(`    ${pad(s.range, 32)}${pad(t(`policy.outcome_${s.outcome}`), 12)}${decidedBy(s, t)}`);
      if (r.moreSegments > 0) out.push(`    ${t('policy.more_segments', { count: r.moreSegments })}`);
    }
  }
  out.push('');
  const total = Object.values(d.anomalyCounts).reduce((a, b) => a + b, 0);
  out.push(t('policy.heading_anomalies', { count: total }));
  if (total === 0) out.push(`  ${t('policy.no_anomalies')}`);
  for (const a of d.anomalies) {
    out.push(
      `  ${pad(t(`policy.anomaly_${a.kind}`), 22)}${at(a.rule)}  ${a.rule.text}${a.relevant ? `  [${t('policy.relevant')}]` : ''}`,
    );
    if (a.other)
      out.push(
        `  ${pad('', 22)}${t(`policy.anomaly_other_${a.kind}`, { at: at(a.other), text: a.other.text })}`,
      );
  }
  const listed = d.anomalies.length;
  if (total > listed) out.push(`  ${t('policy.more_anomalies', { count: total - listed })}`);
  if (!d.anomaliesComplete) out.push(`  ${t('policy.anomalies_incomplete')}`);
  return out.join('\n') + '\n';
}
