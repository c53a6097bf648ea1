import type { HttpExchange } from '../../shared/model/probe-data';

/** How the answer to our Host compares with the answer to a made-up Host. */
export type HostComparison = 'alike' | 'different' | 'unknown';

/** Headers that tell one site's answer from another's; Date, lengths and cookies vary between any two requests. */
const MAIN_HEADERS = ['content-type', 'location'] as const;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A header value with the Host it answered replaced by a token, so `https://$host/` reads the same for any name. */
function neutral(value: string | undefined, host: string): string {
  return (value ?? '').replace(new RegExp(escapeRegExp(host), 'gi'), '\u0000HOST\u0000');
}

/**
 * Whether the origin answered our Host exactly as it answered a Host it cannot know: the same status, the same
 * main headers and the same body once each Host name is replaced — or the same empty reply (nginx's `return 444`
 * in a default server). Alike means the domain falls through to the default server. Bodies are compared by the
 * probe's host-neutral digest; data without one is compared by its kept sample only when that sample is the whole
 * body, and is otherwise `unknown`.
 */
export function compareHostAnswers(ours: HttpExchange, foreign: HttpExchange): HostComparison {
  if (ours.outcome === 'empty_reply' && foreign.outcome === 'empty_reply') return 'alike';
  if (ours.outcome !== 'response' || foreign.outcome !== 'response') return 'different';
  if (ours.status !== foreign.status) return 'different';
  for (const h of MAIN_HEADERS)
    if (neutral(ours.headers[h], ours.host) !== neutral(foreign.headers[h], foreign.host)) return 'different';
  if (ours.hostNeutralSha256 !== undefined && foreign.hostNeutralSha256 !== undefined)
    return ours.hostNeutralSha256 === foreign.hostNeutralSha256 ? 'alike' : 'different';
  const whole = (e: HttpExchange): boolean => new TextEncoder().encode(e.bodySample).length >= e.bodyBytes;
  if (!whole(ours) || !whole(foreign)) return 'unknown';
  return neutral(ours.bodySample, ours.host) === neutral(foreign.bodySample, foreign.host)
    ? 'alike'
    : 'different';
}
