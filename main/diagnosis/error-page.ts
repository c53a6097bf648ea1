import type { Layer } from '../../shared/catalog/ids';
import type { Symptom } from '../../shared/model/report';

/** What a pasted error page or response-header dump says, when it is recognised. */
export interface DecodedErrorPage {
  readonly provider: 'cloudflare' | 'akamai' | 'tencent' | 'aliyun' | 'huawei' | 'origin';
  /** The HTTP / provider code the visitor saw. */
  readonly code: number;
  /** The symptom it maps to, used as a prior on causes. */
  readonly symptom: Symptom;
  /** Where the wizard starts looking. */
  readonly layer: Layer;
  /** The provider's request reference (Cloudflare Ray ID, Akamai Reference #, EdgeOne / Tencent log UUID, Alibaba EagleId). */
  readonly reference: string | null;
}

const LAYER_OF: Record<Symptom, Layer> = {
  '520': 'protocol',
  '521': 'network',
  '522': 'network',
  '523': 'network',
  '524': 'protocol',
  '525': 'protocol',
  '526': 'protocol',
  '502': 'network',
  '504': 'network',
  refused: 'network',
  timeout: 'network',
  tls: 'protocol',
};

/** 527 (Railgun) has no symptom of its own; any other 52x, 502 and 504 do. */
function symptomOf(code: number): Symptom | null {
  if (code === 527) return '520';
  const s = String(code);
  return (
    (['520', '521', '522', '523', '524', '525', '526', '502', '504'] as const).find((x) => x === s) ?? null
  );
}

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  bull: '•',
};

/** Pages carry text as entities (`Reference&#32;#30&#46;…`); read them as the browser shows them. */
function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1));
      return n > 0 && n < 0x110000 ? String.fromCodePoint(n) : m;
    }
    return NAMED[e.toLowerCase()] ?? m;
  });
}

/** "Gateway Timeout" / "Bad Gateway" pages without the number. */
const byWords = (text: string): number | null =>
  /Gateway Time-?out/i.test(text) ? 504 : /Bad Gateway/i.test(text) ? 502 : null;

const first = (text: string, re: RegExp): string | null => re.exec(text)?.[1] ?? null;

/**
 * Reads a pasted provider error page or response headers. Only what the text really says is used: a page
 * without a recognisable provider mark and code is "not recognised" (null), never a guess.
 * - Cloudflare: "Error 522" with "Ray ID: …" or a `cf-ray` header.
 * - Akamai: "Reference #18.…" on its error page.
 * - Tencent CDN / EdgeOne: `x-nws-log-uuid` / `eo-log-uuid` headers or "EdgeOne" on the page.
 * - Alibaba Cloud CDN / WAF: `eagleid` header, or Tengine's error page.
 * - Huawei Cloud: its "HuaweiCloud" / `x-hws-request-id` marks.
 * - The origin's own nginx / Apache 502 / 504 page (no provider mark): the origin's proxy failed upstream.
 */
export function decodeErrorPage(raw: string): DecodedErrorPage | null {
  const text = decodeEntities(raw.slice(0, 1024 * 1024));
  const status = first(text, /^HTTP\/[\d.]+\s+(\d{3})/m);
  const code = (c: string | null): number | null => (c && /^\d{3}$/.test(c) ? Number(c) : null);
  const build = (
    provider: DecodedErrorPage['provider'],
    n: number | null,
    reference: string | null,
  ): DecodedErrorPage | null => {
    if (n === null) return null;
    const symptom = symptomOf(n);
    return symptom ? { provider, code: n, symptom, layer: LAYER_OF[symptom], reference } : null;
  };

  const ray =
    first(text, /Ray ID:?\s*(?:<[^>]*>\s*)*([0-9a-f]{16})/i) ??
    first(text, /^cf-ray:\s*([0-9a-f]{16}(?:-[A-Z]{3})?)/im);
  if (ray || /cloudflare/i.test(text)) {
    const n =
      code(first(text, /Error (?:code )?(52\d)\b/i)) ??
      code(first(text, /cf-error-code[^>]*>\s*(52\d)/i)) ??
      code(status);
    const decoded = build('cloudflare', n, ray);
    if (decoded) return decoded;
  }
  const akamai = first(text, /Reference\s*#\s*([0-9a-f]+(?:\.[0-9a-f]+){2,})/i);
  if (akamai)
    return build('akamai', code(status) ?? code(first(text, /\b(50[24])\b/)) ?? byWords(text), akamai);
  const tencent = first(text, /^(?:x-nws-log-uuid|eo-log-uuid):\s*(\S+)/im);
  if (tencent || /EdgeOne/i.test(text))
    return build('tencent', code(status) ?? code(first(text, /\b(50[24]|52\d)\b/)), tencent);
  const eagle = first(text, /^eagleid:\s*(\S+)/im);
  if (eagle || /<center>\s*Tengine/i.test(text))
    return build('aliyun', code(status) ?? code(first(text, /\b(50[24])\b/)), eagle);
  const huawei = first(text, /^x-hws-request-id:\s*(\S+)/im);
  if (huawei || /HuaweiCloud/i.test(text))
    return build('huawei', code(status) ?? code(first(text, /\b(50[24])\b/)), huawei);
  const origin = first(text, /<title>\s*(50[24]) (?:Bad Gateway|Gateway Time-?out)\s*<\/title>/i);
  if (origin && /<center>\s*(nginx|openresty)|Apache/i.test(text))
    return build('origin', Number(origin), null);
  return null;
}
