import type { CertProblem, HttpExchange, TlsAttempt } from '../../shared/model/probe-data';
import type { DiagnosisFacts, FindingDraft } from './types';
import { probesOf } from './network';

/** A first byte later than this is reported; the provider's own limit (Cloudflare: 100 s → 524) is in the text. */
export const SLOW_TTFB_MS = 2000;
/** Clock difference with the origin above which certificate dates and logs stop lining up. */
export const CLOCK_SKEW_S = 120;

const PROBLEM_FINDING: Record<CertProblem['kind'], string> = {
  no_certificate: 'tls.handshake_failed',
  expired: 'tls.cert_expired',
  not_yet_valid: 'tls.cert_not_yet_valid',
  expiring_soon: 'tls.cert_expiring_soon',
  hostname_mismatch: 'tls.hostname_mismatch',
  self_signed: 'tls.self_signed',
  chain_incomplete: 'tls.chain_incomplete',
  untrusted_root: 'tls.untrusted_root',
};

/** Certificate findings that only break a CDN in strict mode (HTTPS, verified); in full mode they are warnings. */
const STRICT_ONLY = new Set([
  'tls.cert_expired',
  'tls.cert_not_yet_valid',
  'tls.hostname_mismatch',
  'tls.self_signed',
  'tls.chain_incomplete',
  'tls.untrusted_root',
]);

function describeAttempt(a: TlsAttempt | null): string {
  if (!a) return '-';
  if (a.outcome === 'ok') return a.leafCoversDomain ? 'ok' : 'ok-other-cert';
  return a.alert ? `alert ${a.alert}` : a.outcome;
}

const PLAIN_ON_TLS_PAGE =
  /plain HTTP request was sent to HTTPS port|speaking plain HTTP to an SSL-enabled server port/i;

const RATE_LIMIT_HEADERS = [
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'ratelimit-limit',
  'ratelimit',
  'x-rate-limit-limit',
];

function isRateLimited(e: HttpExchange): boolean {
  if (e.status === 429) return true;
  return e.status === 503 && RATE_LIMIT_HEADERS.some((h) => e.headers[h] !== undefined);
}

/** Findings of the protocol layer: TLS as the CDN shakes hands, HTTP as the CDN asks, each with its evidence. */
export function protocolFindings(facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  const mode = facts.input.sslMode;
  for (const { probe, data } of probesOf(facts.probes, 'tls')) {
    const target = data.url;
    const evidence = [probe.id];
    const m = data.main;
    if (m.code === 'ECANCELLED') continue;
    if (m.outcome === 'refused' || m.outcome === 'unreachable' || m.outcome === 'timeout') continue; // the TCP findings say it
    if (m.outcome === 'plain_http') {
      out.push({
        id: 'tls.plain_http_on_tls_port',
        target,
        evidence,
        params: { address: data.address, port: data.port, providerError: '525' },
      });
      continue;
    }
    if (m.outcome !== 'ok') {
      out.push({
        id: 'tls.handshake_failed',
        target,
        evidence,
        params: {
          address: data.address,
          port: data.port,
          how: m.alert ? `alert ${m.alert}` : m.outcome,
          code: m.code ?? '',
          providerError: '525',
          // Connected, then silence mid-handshake: the classic MTU black hole reads differently.
          ...(m.outcome === 'stalled' ? { context: 'stalled' } : {}),
        },
      });
      continue;
    }
    out.push({
      id: 'tls.ok',
      target,
      evidence,
      params: { version: m.version, cipher: m.cipher, alpn: m.alpn ?? '-' },
    });
    const seen = new Set<string>();
    for (const p of data.problems) {
      const id = PROBLEM_FINDING[p.kind];
      if (seen.has(id)) continue;
      seen.add(id);
      const cert = data.chain[p.index];
      const downgrade = mode === 'full' && STRICT_ONLY.has(id);
      out.push({
        id,
        target,
        evidence,
        params: {
          subject: cert?.subject ?? '',
          position: p.index,
          detail: p.detail,
          domain: data.domain ?? '',
          providerError: STRICT_ONLY.has(id) ? '526' : '',
          ...(downgrade ? { context: 'full_mode' } : {}),
        },
        ...(downgrade ? { severity: 'warn' as const } : {}),
      });
    }
    // SNI: with the domain the origin serves the right certificate; without SNI it fails or serves another one.
    const noSni = data.noSni;
    if (
      data.domain &&
      m.leafCoversDomain &&
      noSni &&
      (noSni.outcome !== 'ok' || (noSni.leafSha256 !== m.leafSha256 && !noSni.leafCoversDomain))
    ) {
      out.push({
        id: 'tls.sni_required',
        target,
        evidence,
        params: {
          domain: data.domain,
          withoutSni: describeAttempt(noSni),
          foreignSni: describeAttempt(data.foreignSni),
        },
      });
    }
    // Transparency and revocation of the leaf: information for the reader, a warning when nothing can be checked.
    const leaf = data.chain[0];
    if (leaf && leaf.sctCount !== undefined) {
      const crl = leaf.crlUrls ?? [];
      out.push({
        id: 'tls.ct_revocation',
        target,
        evidence,
        params: {
          scts: leaf.sctCount ?? '?',
          ocsp: leaf.ocspUrl ?? '-',
          crl: crl.join(', ') || '-',
          stapled: data.ocspStapled === null ? '-' : data.ocspStapled ? 'yes' : 'no',
          subject: leaf.subject,
          // Nobody can check whether a CA-issued leaf without OCSP or CRL was revoked: said in other words.
          ...(!leaf.selfIssued && !leaf.ocspUrl && crl.length === 0 ? { context: 'none' } : {}),
        },
      });
    }
    const old = (['TLSv1', 'TLSv1.1'] as const).filter((v) => data.versions[v] === 'accepted');
    if (old.length > 0)
      out.push({ id: 'tls.protocol_outdated', target, evidence, params: { versions: old.join(', ') } });
  }

  for (const { probe, data } of probesOf(facts.probes, 'http')) {
    const target = data.url;
    const evidence = [probe.id];
    const first = data.chain[0];
    const last = data.chain[data.chain.length - 1];
    if (!first || !last || first.code === 'ECANCELLED') continue;
    const base = { path: data.path, host: first.host };
    if (data.redirectLoop !== 'none') {
      out.push({
        id: 'http.redirect_loop',
        target,
        evidence,
        params: {
          ...base,
          kind: data.redirectLoop,
          hops: data.chain
            .map((e) => `${e.status ?? e.outcome} ${e.headers.location ?? ''}`.trim())
            .join(' → '),
          mode: facts.input.sslMode ?? '-',
        },
      });
    }
    switch (first.outcome) {
      case 'tls_on_plain_port':
        out.push({
          id: 'http.tls_on_plain_port',
          target,
          evidence,
          params: { ...base, port: data.port, providerError: '520' },
        });
        break;
      case 'plain_on_tls_port':
        if (!out.some((f) => f.id === 'tls.plain_http_on_tls_port' && f.target === target)) {
          out.push({
            id: 'tls.plain_http_on_tls_port',
            target,
            evidence,
            params: { address: data.address, port: data.port, providerError: '525' },
          });
        }
        break;
      case 'empty_reply':
      case 'reset':
      case 'headers_too_large':
        out.push({
          id: 'http.empty_reply',
          target,
          evidence,
          params: { ...base, how: first.outcome, providerError: '520' },
        });
        break;
      case 'timeout':
        // Connected and (for HTTPS) through TLS, then nothing: a slow origin. A stalled handshake is TLS's finding.
        if (first.timing.connectMs !== null && (data.scheme === 'http' || first.timing.tlsMs !== null)) {
          out.push({
            id: 'http.slow_ttfb',
            target,
            evidence,
            params: {
              ...base,
              ttfbMs: `> ${facts.input.timeoutMs}`,
              limitMs: SLOW_TTFB_MS,
              providerError: '524',
            },
          });
        }
        break;
      case 'response':
        break;
      default:
        break; // refused / unreachable: the TCP findings say it
    }
    // nginx and Apache answer a plain request on an HTTPS port with a 400 page that says so.
    if (first.outcome === 'response' && first.status === 400 && PLAIN_ON_TLS_PAGE.test(first.bodySample)) {
      out.push({
        id: 'http.tls_on_plain_port',
        target,
        evidence,
        params: { ...base, port: data.port, providerError: '520' },
      });
      continue;
    }
    if (last.outcome === 'response' && data.redirectLoop === 'none') {
      const status = last.status ?? 0;
      const foreign = data.foreignHost;
      const foreignOk = foreign?.outcome === 'response' && (foreign.status ?? 0) < 400;
      if (isRateLimited(last)) {
        out.push({
          id: 'http.rate_limited',
          target,
          evidence,
          params: { ...base, status, retryAfter: last.headers['retry-after'] ?? '-' },
        });
      } else if (status === 421 || (status === 404 && foreignOk)) {
        out.push({
          id: 'http.vhost_missing',
          target,
          evidence,
          params: { ...base, status, foreignStatus: foreign?.status ?? '-' },
        });
      } else if (status >= 500) {
        out.push({
          id: 'http.5xx',
          target,
          evidence,
          params: { ...base, status, server: last.headers.server ?? '-' },
        });
      } else if (status >= 400) {
        out.push({ id: 'http.4xx', target, evidence, params: { ...base, status } });
      } else {
        out.push({
          id: 'http.ok',
          target,
          evidence,
          params: { ...base, status, ttfbMs: first.timing.ttfbMs },
        });
      }
      if (first.timing.ttfbMs !== null && first.timing.ttfbMs > SLOW_TTFB_MS) {
        out.push({
          id: 'http.slow_ttfb',
          target,
          evidence,
          params: {
            ...base,
            ttfbMs: Math.round(first.timing.ttfbMs),
            limitMs: SLOW_TTFB_MS,
            providerError: '524',
          },
        });
      }
    }
    if (data.h2 === 'broken')
      out.push({ id: 'http.h2_broken', target, evidence, params: { ...base, error: data.h2Error ?? '' } });
    if (data.clockSkewS !== null && Math.abs(data.clockSkewS) > CLOCK_SKEW_S) {
      out.push({ id: 'local.clock_skew', target, evidence, params: { skewSeconds: data.clockSkewS } });
    }
  }
  return out;
}
