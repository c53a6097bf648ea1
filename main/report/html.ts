import type { Translate } from '../../shared/i18n/translate';
import { OUTCOME_COLORS } from '../../shared/catalog/colors';
import type { PolicyModel, ReportModel } from './model';
import type { CaptureModel, WatchModel } from './capture-view';
import { maxOf } from '../../shared/util/arrays';
import type { ObservationModel } from './observation-view';
import type { PolicyChangeAnomalyView, PolicyChangeModel } from './policy-change-view';

/**
 * Makes an untrusted string safe to read: control characters (ANSI escapes included) and bidi overrides, which
 * can make text say something else than it is, are shown as visible code points instead of acting.
 */
export function visible(s: string): string {
  return s.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
}

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(s: string | number | null | undefined): string {
  return visible(String(s ?? '')).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * An id (`policy.backorigin_not_allowed`) escaped, with break opportunities after its dots and underscores: a
 * narrow column wraps it between its words, never inside one.
 */
export function idHtml(id: string): string {
  return esc(id).replace(/([._])/g, '$1<wbr>');
}

/**
 * A target (`https://198.18.1.2:8443`, `ssh://[2001:db8::2]:22`, a file name) escaped, with break opportunities
 * where a reader expects them: after the scheme, before the port, after a path's slashes and inside an IPv6
 * literal's colons. Applied to escaped text, whose entities (`&#60;`) hold none of these characters.
 */
export function targetHtml(target: string): string {
  return esc(target)
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)/i, '$1<wbr>')
    .replace(/\[[0-9a-f:.]+\]/gi, (v6) => v6.replace(/:/g, ':<wbr>'))
    .replace(/(:\d{1,5})(?=\/|$)/, '<wbr>$1')
    .replace(/(?<=[^/:])\/(?=[^/])/g, '/<wbr>');
}

/** A CIDR range escaped, breakable after an IPv6 group's colons and before its prefix length. */
export function rangeHtml(range: string): string {
  return esc(range)
    .replace(/(:+)(?=[0-9a-f])/gi, '$1<wbr>')
    .replace(/\//, '<wbr>/');
}

/** Column widths of a result table laid out for print (fixed layout: long words wrap, the page never overflows). */
function cols(...widths: (string | null)[]): string {
  return `<colgroup>${widths.map((w) => (w ? `<col style="width:${w}">` : '<col>')).join('')}</colgroup>`;
}

const COLORS: Record<string, string> = OUTCOME_COLORS;

function tcpChart(c: ReportModel['tcpCharts'][number], t: Translate): string {
  const max = maxOf(
    c.attempts.map((a) => a.ms),
    1,
  );
  const w = 420;
  const rowH = 16;
  const h = c.attempts.length * rowH + 6;
  const bars = c.attempts
    .map((a, i) => {
      const len = Math.max(2, Math.round((a.ms / max) * (w - 170)));
      const y = i * rowH + 3;
      return `<text x="0" y="${y + 11}" font-size="11">#${esc(a.seq)}</text><rect x="28" y="${y}" width="${len}" height="11" fill="${COLORS[a.outcome] ?? '#57606a'}"/><text x="${32 + len}" y="${y + 10}" font-size="11">${esc(a.ms.toFixed(1))} ms ${esc(t(`outcome.${a.outcome}`))}</text>`;
    })
    .join('');
  return `<figure><figcaption>${esc(t('report.chart_tcp', { target: c.target }))}</figcaption><svg role="img" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg">${bars}</svg></figure>`;
}

function httpChart(c: ReportModel['httpCharts'][number], t: Translate): string {
  const w = 420;
  const total = Math.max(1, c.totalMs);
  const x = (ms: number | null): number => Math.round(((ms ?? 0) / total) * (w - 120));
  const phases: [string, number | null, number | null, string][] = [
    [t('report.phase_connect'), 0, c.connectMs, '#0969da'],
    [t('report.phase_tls'), c.connectMs, c.tlsMs, '#8250df'],
    [t('report.phase_ttfb'), c.tlsMs ?? c.connectMs, c.ttfbMs, '#bf8700'],
    [t('report.phase_total'), c.ttfbMs, c.totalMs, '#1f883d'],
  ];
  const rows = phases
    .filter(([, , end]) => end !== null)
    .map(([label, start, end, color], i) => {
      const y = i * 16 + 3;
      const x0 = 60 + x(start);
      const width = Math.max(2, x(end) - x(start));
      return `<text x="0" y="${y + 10}" font-size="11">${esc(label)}</text><rect x="${x0}" y="${y}" width="${width}" height="11" fill="${color}"/><text x="${x0 + width + 4}" y="${y + 10}" font-size="11">${esc((end ?? 0).toFixed(1))} ms</text>`;
    })
    .join('');
  return `<figure><figcaption>${esc(t('report.chart_http', { target: c.target, status: c.status }))}</figcaption><svg role="img" width="${w}" height="70" viewBox="0 0 ${w} 70" xmlns="http://www.w3.org/2000/svg">${rows}</svg></figure>`;
}

function pathChart(p: ReportModel['paths'][number], t: Translate): string {
  const step = 26;
  const h = p.hops.length * step + 8;
  const nodes = p.hops
    .map((hop, i) => {
      const y = i * step + 12;
      const color = hop.address ? (hop.annotation ? '#cf222e' : '#1f883d') : '#afb8c1';
      const line =
        i < p.hops.length - 1
          ? `<line x1="14" y1="${y}" x2="14" y2="${y + step}" stroke="#d0d7de" stroke-width="2"/>`
          : '';
      const label = `${hop.ttl}. ${hop.address ?? '*'}${hop.rttMs !== null ? ` ${hop.rttMs.toFixed(1)} ms` : ''}${hop.annotation ? ` ${hop.annotation}` : ''}`;
      return `${line}<circle cx="14" cy="${y}" r="6" fill="${color}"/><text x="28" y="${y + 4}" font-size="11">${esc(label)}</text>`;
    })
    .join('');
  const caption = t(p.reached ? 'report.path_reached' : 'report.path_stopped', { target: p.target });
  return `<figure><figcaption>${esc(caption)}</figcaption><svg role="img" width="420" height="${h}" viewBox="0 0 420 ${h}" xmlns="http://www.w3.org/2000/svg">${nodes}</svg></figure>`;
}

function timelineChart(m: ReportModel, t: Translate): string {
  if (m.timeline.length === 0) return '';
  // A timeline taller than a page says nothing more; the evidence table lists every probe.
  const shown = m.timeline.slice(0, MAX_TIMELINE_ROWS);
  const end = maxOf(
    m.timeline.map((x) => x.startMs + x.durationMs),
    1,
  );
  const w = 640;
  const scale = (ms: number): number => (ms / end) * (w - 230);
  const rows = shown
    .map((x, i) => {
      const y = i * 15 + 2;
      const color =
        x.status === 'ok'
          ? '#1f883d'
          : x.status === 'warn'
            ? '#bf8700'
            : x.status === 'skipped'
              ? '#afb8c1'
              : '#cf222e';
      return `<text x="0" y="${y + 10}" font-size="10">${esc(`${x.id} ${x.target}`.slice(0, 34))}</text><rect x="${220 + scale(x.startMs)}" y="${y}" width="${Math.max(2, scale(x.durationMs))}" height="10" fill="${color}"/>`;
    })
    .join('');
  const h = shown.length * 15 + 4;
  return `<svg role="img" aria-label="${esc(t('report.timeline'))}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg">${rows}</svg><p class="muted">${esc(t('report.timeline_total', { ms: Math.round(end) }))}${m.timeline.length > shown.length ? ` ${esc(t('report.more_timeline', { count: m.timeline.length - shown.length }))}` : ''}</p>`;
}

const LANE_X: Record<string, number> = { client: 110, path: 340, origin: 570 };
const TONE: Record<string, string> = { ok: '#1f883d', bad: '#cf222e', plain: '#57606a' };

/** A ladder diagram of one connection: lanes for this machine, the way (when a router spoke) and the origin. */
function ladderSvg(l: CaptureModel['ladders'][number]): string {
  const w = 680;
  const top = 30;
  const row = 24;
  const h = top + l.events.length * row + 10;
  const lanes = l.lanes
    .map(
      (x) =>
        `<text x="${LANE_X[x.lane]}" y="14" font-size="11" text-anchor="middle" font-weight="600">${esc(x.label)}</text><line x1="${LANE_X[x.lane]}" y1="20" x2="${LANE_X[x.lane]}" y2="${h}" stroke="#8c959f"/>`,
    )
    .join('');
  const arrows = l.events
    .map((e, i) => {
      const y = top + i * row + 14;
      const x1 = LANE_X[e.from]!;
      const x2 = LANE_X[e.to]!;
      const dir = x2 > x1 ? -1 : 1;
      const color = TONE[e.tone];
      return `<text x="4" y="${y + 3}" font-size="10" fill="#57606a">+${esc(e.t)} ms</text><line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" stroke="${color}" stroke-width="1.5"/><path d="M${x2} ${y} l${dir * 7} -4 v8 z" fill="${color}"/><text x="${(x1 + x2) / 2}" y="${y - 4}" font-size="10" text-anchor="middle" fill="${color}">${esc(e.label.slice(0, 70))}</text>`;
    })
    .join('');
  return `<figure><svg role="img" aria-label="${esc(l.title)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg">${lanes}${arrows}</svg><figcaption>${esc(l.title)}${l.more ? ` · ${esc(l.more)}` : ''}</figcaption></figure>`;
}

function captureSection(c: CaptureModel): string {
  if (c.problem) return `<p>${esc(c.problem)}</p>`;
  return `<p class="muted">${esc(c.summary)}${c.sha ? ` · ${esc(c.sha)}` : ''}</p>${
    c.pcapDataUri
      ? `<p><a download="${esc(c.pcapName)}" href="${esc(c.pcapDataUri)}">${esc(c.pcapName)}</a></p>`
      : ''
  }${c.note ? `<p class="muted">${esc(c.note)}</p>` : ''}${c.ladders.map(ladderSvg).join('')}`;
}

/** The per-port × range table of the provider's SYNs, the counters that rose, the log, and example ladders. */
function observationSection(o: ObservationModel, t: Translate): string {
  const head = o.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = o.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  const counters = o.counters.length
    ? `<h3>${esc(t('report.observe_counters'))}</h3><ul>${o.counters.map((c) => `<li><code>${esc(c)}</code></li>`).join('')}</ul>`
    : '';
  return `<p class="muted">${esc(o.summary)}</p>${o.notes.map((n) => `<p class="muted">${esc(n)}</p>`).join('')}<table class="results"><thead><tr>${head}</tr></thead>${body}</table>${counters}${
    o.log ? `<p>${esc(o.log)}</p>` : ''
  }${o.ladders.map(ladderSvg).join('')}`;
}

/** One chart per endpoint: a bar per round, its height the connect time, red when the round failed. */
function watchSvg(c: WatchModel['charts'][number]): string {
  const w = 680;
  const h = 110;
  const n = Math.max(1, c.rounds.length);
  const bw = Math.max(1, Math.min(24, (w - 60) / n - 1));
  const max = maxOf(
    c.rounds.map((r) => r.ms ?? 0),
    1,
  );
  const bars = c.rounds
    .map((r, i) => {
      const x = 50 + i * (bw + 1);
      const bh = r.ok ? Math.max(2, ((r.ms ?? 0) / max) * 80) : 80;
      return `<rect x="${x.toFixed(1)}" y="${(90 - bh).toFixed(1)}" width="${bw.toFixed(1)}" height="${bh.toFixed(1)}" fill="${r.ok ? '#1f883d' : '#cf222e'}"><title>#${r.n} +${r.atS}s ${esc(r.what)}</title></rect>`;
    })
    .join('');
  return `<figure><svg role="img" aria-label="${esc(c.title)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg"><text x="0" y="14" font-size="10">${esc(Math.round(max))} ms</text><text x="0" y="90" font-size="10">0</text><line x1="48" y1="90" x2="${w}" y2="90" stroke="#8c959f"/>${bars}<text x="50" y="104" font-size="10">#1</text><text x="${(50 + (c.rounds.length - 1) * (bw + 1) + bw).toFixed(1)}" y="104" font-size="10" text-anchor="end">#${c.rounds.at(-1)?.n ?? 0}</text></svg><figcaption>${esc(c.title)}: ${c.rounds.filter((r) => !r.ok).length}/${c.rounds.length} ✗</figcaption></figure>`;
}

const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,'Segoe UI','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;color:#1f2328}
body{max-width:960px;margin:0 auto;padding:24px;line-height:1.45}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{font-size:14px;margin:12px 0 4px}
.muted{color:#57606a;font-size:12px}.banner{padding:10px 14px;border-radius:6px;color:#fff;font-weight:600;font-size:18px}
.verdict-healthy{background:#1f883d}.verdict-degraded{background:#bf8700}.verdict-broken{background:#cf222e}
table{border-collapse:collapse;width:100%;font-size:12px;margin:6px 0}th,td{border:1px solid #d0d7de;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#f6f8fa}
code,pre{font-family:ui-monospace,'SFMono-Regular',Menlo,Consolas,monospace;font-size:12px}pre{background:#f6f8fa;padding:8px;border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere;margin:4px 0}
.cause{border:1px solid #d0d7de;border-radius:8px;padding:10px 12px;margin:8px 0}.pct{font-weight:700;margin-right:6px}
.state{display:inline-block;min-width:44px;text-align:center;border-radius:10px;padding:0 8px;font-size:12px;color:#fff}
.state-pass{background:#1f883d}.state-warn{background:#bf8700}.state-fail{background:#cf222e}.state-none{background:#8c959f}
.sev-error{color:#cf222e}.sev-warn{color:#9a6700}.sev-info{color:#1f883d}
.kb dt{font-weight:600;margin-top:4px}.kb dd{margin:0 0 4px 0}.kb{break-inside:avoid}
.pol-blocked td:nth-child(3),.pol-drop td:nth-child(3),.pol-reject td:nth-child(3),.pol-http_deny td:nth-child(3){color:#cf222e;font-weight:600}.pol-partial td:nth-child(3),.pol-limited td:nth-child(3){color:#9a6700;font-weight:600}.pol-allowed td:nth-child(3),.pol-allow td:nth-child(3){color:#1f883d}.pol-sub td{font-size:12px;border-top:none}.chg-taken td:nth-child(5),.chg-unknown td:nth-child(5){color:#cf222e;font-weight:600}.chg-given td:nth-child(5),.chg-maybe_given td:nth-child(5){color:#1f883d}table.policy-change code{font-size:11px}table.policy td:last-child{font-family:ui-monospace,monospace;font-size:11px}.env{font-size:11px;background:#ddf4ff;color:#0969da;padding:0 6px;border-radius:10px}
table.results{table-layout:fixed}table.results th,table.results td{overflow-wrap:break-word}table.results code{font-size:11px}.ev a{white-space:nowrap}
figure{margin:8px 0}figcaption{font-size:12px;color:#57606a}.appendix{display:none}
@media print{body{max-width:none;padding:0}table{width:calc(100% - 2px)}details{display:none}.appendix{display:block;page-break-before:always}.cause>div,.cause pre,figure,tr{break-inside:avoid}h2,h3{break-after:avoid}.cause h3{break-after:avoid}}
`;

/** Charts per kind (TCP, HTTP, path); a session has at most 16 endpoints. */
export const MAX_CHARTS = 16;
/** Timeline rows drawn; a full session has a few dozen probes. */
export const MAX_TIMELINE_ROWS = 60;

export const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** One self-contained HTML file: inline CSS and SVG, a strict CSP, no script, every untrusted string escaped. */
/** The coverage table (every provider range × port, blocked parts with their rule line) and the anomalies. */
function policySection(p: PolicyModel, t: Translate): string {
  const rows = p.rows
    .map((r) => {
      const head = `<tr class="pol-${esc(r.outcome)}"><td><code>${rangeHtml(r.range)}</code></td><td>${esc(r.port)}</td><td>${esc(r.outcomeText)}</td><td>${esc(r.allowedPct)}</td><td>${esc(r.decided)}</td></tr>`;
      const subs = r.segments
        .map(
          (s) =>
            `<tr class="pol-sub pol-${esc(s.outcome)}"><td>&#8627; <code>${rangeHtml(s.range)}</code></td><td></td><td>${esc(s.outcomeText)}</td><td></td><td>${esc(s.decided)}</td></tr>`,
        )
        .join('');
      return head + subs;
    })
    .join('');
  const anomalies = p.anomalies.length
    ? `<table class="results">${cols('26%', '22%', null)}<thead><tr><th>${esc(t('policy.heading_anomalies', { count: p.anomalies.length }))}</th><th>${esc(t('report.col_target'))}</th><th>${esc(t('report.col_explanation'))}</th></tr></thead>${p.anomalies
        .map(
          (a) =>
            `<tr><td>${esc(a.kind)}${a.relevant ? ` <span class="env">${esc(t('policy.relevant'))}</span>` : ''}</td><td><code>${targetHtml(a.at)}</code></td><td><code>${esc(a.text)}</code>${a.other ? `<br><span class="muted">${esc(a.other)}</span>` : ''}</td></tr>`,
        )
        .join('')}</table>`
    : `<p class="muted">${esc(t('policy.heading_anomalies', { count: 0 }))} ${esc(t('policy.no_anomalies'))}</p>`;
  return `<ul>${p.files.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>
<p><strong>${esc(p.coverage)}</strong></p>${p.notes.length ? `<ul class="muted">${p.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
${p.rows.length ? `<table class="policy results">${cols('20%', '9%', '12%', '13%', null)}<thead><tr><th>${esc(t('policy.col_range'))}</th><th>${esc(t('policy.col_port'))}</th><th>${esc(t('policy.col_result'))}</th><th>${esc(t('policy.col_allowed'))}</th><th>${esc(t('policy.col_decided'))}</th></tr></thead>${rows}</table>` : ''}${p.hiddenRows ? `<p class="muted">${esc(t('policy.more_segments', { count: p.hiddenRows }))}</p>` : ''}
${anomalies}`;
}

const CHANGE_BANNER: Record<string, string> = { safe: 'healthy', cuts: 'broken', undecided: 'degraded' };

function changeAnomalies(a: PolicyChangeAnomalyView, t: Translate): string {
  if (!a.items.length) return `<p class="muted">${esc(a.heading)}</p>`;
  return `<table class="results">${cols('26%', '22%', null)}<thead><tr><th>${esc(a.heading)}</th><th>${esc(t('report.col_target'))}</th><th>${esc(t('report.col_explanation'))}</th></tr></thead>${a.items
    .map(
      (x) =>
        `<tr><td>${esc(x.kind)}${x.relevant ? ` <span class="env">${esc(t('policy.relevant'))}</span>` : ''}</td><td><code>${targetHtml(x.at)}</code></td><td><code>${esc(x.text)}</code>${x.other ? `<br><span class="muted">${esc(x.other)}</span>` : ''}</td></tr>`,
    )
    .join('')}</table>${a.more ? `<p class="muted">${esc(a.more)}</p>` : ''}`;
}

/**
 * The change impact: the verdict for the CDN, the files on each side, coverage before → after, each changed row
 * with its sub-ranges and the lines responsible on each side, and the anomalies introduced and removed.
 */
function policyChangeSection(c: PolicyChangeModel, t: Translate): string {
  if (c.verdict === null) return `<p class="sev-error">${esc(c.error)}</p>`;
  const [head, ...cut] = c.verdictLines;
  const files = (label: string, list: string[]): string =>
    `<p>${esc(label)}</p><ul>${list.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>`;
  const line = (s: string): string => `<code>${esc(s)}</code>`;
  const rows = c.rows
    .map((r) => {
      const headRow = `<tr class="chg-${esc(r.effect)}"><td><code>${rangeHtml(r.range)}</code></td><td>${esc(r.port)}</td><td>${esc(r.before)}</td><td>${esc(r.after)}</td><td>${esc(r.effectText)}</td></tr>`;
      const subs = r.changes
        .map(
          (p) =>
            `<tr class="pol-sub chg-${esc(p.effect)}"><td>&#8627; <code>${rangeHtml(p.range)}</code></td><td></td><td>${esc(p.before)}<br>${line(p.lineBefore)}</td><td>${esc(p.after)}<br>${line(p.lineAfter)}</td><td>${esc(p.effectText)}<br><span class="muted">${esc(p.why)}</span></td></tr>`,
        )
        .join('');
      const more = r.moreChanges
        ? `<tr class="pol-sub"><td colspan="5" class="muted">${esc(r.moreChanges)}</td></tr>`
        : '';
      return headRow + subs + more;
    })
    .join('');
  return `<div class="banner verdict-${esc(CHANGE_BANNER[c.verdict] ?? 'degraded')}">${esc(head)}</div>${cut.length ? `<ul>${cut.map((l) => `<li>${esc(l.trim())}</li>`).join('')}</ul>` : ''}
${files(t('policy.change_heading_before'), c.filesBefore)}${files(t('policy.change_heading_after'), c.filesAfter)}
<p><strong>${esc(c.coverage)}</strong></p>${c.undecided ? `<p class="muted">${esc(c.undecided)}</p>` : ''}
<p>${esc(c.rowsSummary)}</p>
${c.rows.length ? `<table class="policy-change results">${cols('20%', '8%', '24%', '24%', null)}<thead><tr><th>${esc(t('policy.col_range'))}</th><th>${esc(t('policy.col_port'))}</th><th>${esc(t('policy.col_before'))}</th><th>${esc(t('policy.col_after'))}</th><th>${esc(t('policy.col_why'))}</th></tr></thead>${rows}</table>` : ''}
${changeAnomalies(c.anomaliesIntroduced, t)}${changeAnomalies(c.anomaliesRemoved, t)}${c.anomaliesIncomplete ? `<p class="muted">${esc(c.anomaliesIncomplete)}</p>` : ''}`;
}

export function renderHtml(m: ReportModel, t: Translate): string {
  const kv = (rows: { label: string; value: string }[]): string =>
    `<table>${rows.map((r) => `<tr><th>${esc(r.label)}</th><td>${esc(r.value).replace(/\n/g, '<br>')}</td></tr>`).join('')}</table>`;
  const step = (s: { text: string; command: string | null; env: string | null }): string =>
    `<li>${s.env ? `<span class="env">${esc(s.env)}</span> ` : ''}${esc(s.text)}${s.command ? `<pre>${esc(s.command)}</pre>` : ''}</li>`;
  const causes = m.causes.length
    ? m.causes
        .map(
          (
            c,
            i,
          ) => `<div class="cause" id="cause-${i + 1}"><div><span class="pct">${c.confidencePct}%</span><code>${esc(c.id)}</code></div><p>${esc(c.summary)} <a href="#kb-${esc(c.id)}">${esc(t('kb.learn_more'))}</a></p>
<p class="muted">${esc(t('report.rests_on'))}: ${c.findings.map((f) => `<code>${esc(f)}</code>`).join(', ')} · ${esc(t('report.evidence'))}: ${c.evidence.map((e) => `<a href="#probe-${esc(e)}">${esc(e)}</a>`).join(', ')}</p>
${c.checks.length ? `<h3>${esc(t('cli.checks'))}</h3><ul>${c.checks.map(step).join('')}</ul>` : ''}
${c.fix.length ? `<h3>${esc(t('cli.fix'))}</h3><ul>${c.fix.map(step).join('')}</ul>` : ''}</div>`,
        )
        .join('')
    : `<p>${esc(t('report.no_causes'))}</p>`;
  const layers = m.layers
    .map(
      (l) =>
        `<h3><span class="state state-${l.state}">${esc(t(`state.${l.state}`))}</span> ${esc(l.name)}</h3>${
          l.findings.length
            ? `<table class="results">${cols('24%', '21%', null, '11%')}<thead><tr><th>${esc(t('report.col_finding'))}</th><th>${esc(t('report.col_target'))}</th><th>${esc(t('report.col_explanation'))}</th><th>${esc(t('report.evidence'))}</th></tr></thead>${l.findings
                .map(
                  (f) =>
                    `<tr><td class="sev-${esc(f.severity)}"><a href="#kb-${esc(f.id)}"><code>${idHtml(f.id)}</code></a></td><td>${targetHtml(f.target)}</td><td>${esc(f.message)}</td><td class="ev">${f.evidence.map((e) => `<a href="#probe-${esc(e)}">${esc(e)}</a>`).join(' ')}</td></tr>`,
                )
                .join('')}</table>`
            : `<p class="muted">${esc(t('report.layer_nothing'))}</p>`
        }`,
    )
    .join('');
  const probes = `<table class="results">${cols('16%', '10%', null, '14%', '14%')}<thead><tr><th>id</th><th>${esc(t('report.col_kind'))}</th><th>${esc(t('report.col_target'))}</th><th>${esc(t('report.col_status'))}</th><th>${esc(t('report.col_duration'))}</th></tr></thead>${m.probes
    .map(
      (p) =>
        `<tr id="probe-${esc(p.id)}"><td><code>${idHtml(p.id)}</code></td><td>${esc(p.kind)}</td><td>${targetHtml(p.target)}</td><td>${esc(t(`probe_status.${p.status}`))}</td><td>${esc(p.durationMs.toFixed(1))} ms</td></tr>`,
    )
    .join('')}</table>`;
  const raws = m.probes.filter((p) => p.raw);
  // One chart per endpoint is what a reader can take in; beyond the cap the evidence table has the numbers.
  const capped = <T>(xs: readonly T[]): T[] => xs.slice(0, MAX_CHARTS);
  const hidden =
    Math.max(0, m.tcpCharts.length - MAX_CHARTS) +
    Math.max(0, m.httpCharts.length - MAX_CHARTS) +
    Math.max(0, m.paths.length - MAX_CHARTS);
  const charts =
    [
      ...capped(m.tcpCharts).map((c) => tcpChart(c, t)),
      ...capped(m.httpCharts).map((c) => httpChart(c, t)),
      ...capped(m.paths).map((p) => pathChart(p, t)),
    ].join('') +
    (hidden > 0 ? `<p class="muted">${esc(t('report.more_charts', { count: hidden }))}</p>` : '');
  const comparison = m.comparison
    ? `<section id="comparison"><h2>${esc(t('report.comparison', { parent: m.comparison.parentId }))}</h2>${
        m.comparison.changes.length
          ? `<table class="results">${cols('20%', '34%', null)}${m.comparison.changes.map((c) => `<tr><td>${esc(c.change)}</td><td><code>${idHtml(c.id)}</code></td><td>${targetHtml(c.target)}</td></tr>`).join('')}</table>`
          : `<p>${esc(t('cli.compare_nothing'))}</p>`
      }</section>`
    : '';
  const redaction = m.redacted
    ? `<p class="muted" id="redaction">${esc(
        t('report.redacted', {
          what:
            m.redacted
              .filter((r) => r.count > 0)
              .map((r) => `${r.label} × ${r.count}`)
              .join(', ') || t('report.redacted_none'),
        }),
      )}</p>`
    : '';
  return `<!doctype html>
<html lang="${esc(m.lang)}"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${CSP}"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(m.title)}</title><style>${STYLE}</style></head><body>
<header id="title"><h1>${esc(m.title)}</h1><p class="muted">${esc(t('report.generated', { time: m.generatedAt, version: m.toolVersion, id: m.sessionId, status: m.status }))}</p>${redaction}</header>
<div id="verdict" class="banner verdict-${esc(m.verdict)}">${esc(t('app.verdict', { verdict: m.verdictText }))}</div>
<section id="causes"><h2>${esc(t('app.causes'))}</h2>${causes}</section>
${comparison}
<section id="input"><h2>${esc(t('report.input'))}</h2>${kv(m.input)}</section>
<section id="layers"><h2>${esc(t('report.layers'))}</h2>${layers}</section>
<section id="charts"><h2>${esc(t('report.measurements'))}</h2>${charts || `<p class="muted">${esc(t('report.no_measurements'))}</p>`}</section>
${m.asCode.length ? `<section id="as-code"><h2>${esc(t('report.as_code'))}</h2>${m.asCode.map((c) => `<div class="as-code"><h3><span class="env">${esc(c.env)}</span> ${esc(c.text)} <code>${esc(c.cause)}</code></h3><pre>${esc(c.command)}</pre></div>`).join('')}</section>` : ''}
${m.watch ? `<section id="watch"><h2>${esc(t('report.watch'))}</h2><p class="muted">${esc(m.watch.summary)}</p>${m.watch.charts.map(watchSvg).join('')}</section>` : ''}
${m.observation ? `<section id="observation"><h2>${esc(t('report.observe'))}</h2>${observationSection(m.observation, t)}</section>` : ''}
${m.capture ? `<section id="capture"><h2>${esc(t('report.capture'))}</h2>${captureSection(m.capture)}</section>` : ''}
<section id="policy"><h2>${esc(t('report.policy'))}</h2>${m.policy ? policySection(m.policy, t) : `<p class="muted">${esc(t('report.policy_none'))}</p>`}</section>
${m.policyChange ? `<section id="policy-change"><h2>${esc(t('report.policy_change'))}</h2>${policyChangeSection(m.policyChange, t)}</section>` : ''}
<section id="evidence"><h2>${esc(t('report.evidence_table'))}</h2>${probes}</section>
<section id="timeline"><h2>${esc(t('report.timeline'))}</h2>${timelineChart(m, t)}</section>
${m.knowledge.length ? `<section id="knowledge"><h2>${esc(t('kb.title'))}</h2>${m.knowledge.map((k) => `<div class="kb" id="kb-${esc(k.id)}"><h3><code>${esc(k.id)}</code></h3><dl>${k.parts.map((p) => `<dt>${esc(p.title)}</dt><dd>${esc(p.text)}</dd>`).join('')}</dl></div>`).join('')}</section>` : ''}
<section id="environment"><h2>${esc(t('report.environment'))}</h2>${kv(m.environment)}</section>
<section id="notes"><h2>${esc(t('report.notes'))}</h2>${m.notes ? `<pre>${esc(m.notes)}</pre>` : `<p class="muted">${esc(t('report.no_notes'))}</p>`}${m.tags.length ? `<p>${m.tags.map((x) => `<code>${esc(x)}</code>`).join(' ')}</p>` : ''}</section>
<section id="raw"><h2>${esc(t('report.raw'))}</h2>${raws.map((p) => `<details><summary><code>${esc(p.id)}</code> ${esc(p.target)}</summary><pre>${esc(p.raw)}</pre></details>`).join('')}</section>
<section class="appendix" id="appendix"><h2>${esc(t('report.appendix'))}</h2>${raws.map((p) => `<h3><code>${esc(p.id)}</code> ${esc(p.target)}</h3><pre>${esc(p.raw)}</pre>`).join('')}</section>
</body></html>
`;
}
