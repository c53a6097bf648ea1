import type { Translate } from '../../shared/i18n/translate';
import { httpDataSchema, type HttpExchange } from '../../shared/model/probe-data';
import type { Report } from '../../shared/model/report';

/**
 * The raw evidence of each HTTP exchange, written the way `curl -v` shows it, so the customer's engineer can hold
 * it against their own curl or access log: the request line with its Host, the status line, every response header
 * and the start of the body. Pure; built from the report as given, so a redacted report gives redacted evidence
 * (cookie and authorization header values, internal names and addresses are already pseudonyms there). Not
 * escaped: each renderer escapes for its medium.
 */

/** Characters of the body shown; the probe keeps 2 KiB, a page of HTML is more than a reader needs. */
export const BODY_SHOWN = 1024;

function exchangeText(e: HttpExchange, t: Translate): string {
  let target = e.url;
  try {
    const u = new URL(e.url);
    target = `${u.pathname}${u.search}`;
  } catch {
    // Not a URL we can split: the whole string stands as the request target.
  }
  const lines = [`> GET ${target} HTTP/1.1`, `> Host: ${e.host}`];
  if (e.outcome !== 'response' || e.status === null) {
    lines.push(`< ${t('report.http_no_response', { outcome: e.outcome, code: e.code ?? '-' })}`);
    return lines.join('\n');
  }
  lines.push(`< HTTP/${e.httpVersion ?? '1.1'} ${e.status}${e.statusText ? ` ${e.statusText}` : ''}`);
  for (const [name, value] of Object.entries(e.headers)) lines.push(`< ${name}: ${value}`);
  lines.push('<');
  if (e.bodyBytes === 0) lines.push(t('report.http_body_empty'));
  else {
    const shown = e.bodySample.slice(0, BODY_SHOWN);
    lines.push(shown);
    lines.push(
      t(shown.length < e.bodyBytes ? 'report.http_body_cut' : 'report.http_body_whole', {
        shown: shown.length,
        total: e.bodyBytes,
      }),
    );
  }
  return lines.join('\n');
}

/** The exchanges of one HTTP probe as text (redirects in order, then the request with another Host); '' otherwise. */
export function httpEvidence(probe: Report['probes'][number], t: Translate): string {
  if (probe.kind !== 'http') return '';
  const parsed = httpDataSchema.safeParse(probe.data);
  if (!parsed.success) return '';
  const d = parsed.data;
  const blocks = d.chain.map((e) => exchangeText(e, t));
  if (d.foreignHost) blocks.push(`${t('report.http_foreign_host')}\n${exchangeText(d.foreignHost, t)}`);
  return blocks.join('\n\n');
}
