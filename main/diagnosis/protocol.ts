import type { CertProblem, HttpData, HttpExchange, TlsAttempt, TlsData } from '../../shared/model/probe-data';
import type { DiagnosisFacts, FindingDraft } from './types';
import { probesOf } from './network';
import { compareHostAnswers } from './vhost';

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

/** Problems that mean "no path to a trusted root", as opposed to dates or the name on the leaf. */
const TRUST_PROBLEMS = new Set<CertProblem['kind']>(['self_signed', 'chain_incomplete', 'untrusted_root']);

type Emit = (id: string, params: FindingDraft['params'], severity?: FindingDraft['severity']) => void;

function emitterFor(out: FindingDraft[], target: string, evidence: string[]): Emit {
  return (id, params, severity) =>
    out.push({ id, target, evidence, params, ...(severity ? { severity } : {}) });
}

/** The handshake as the CDN makes it did not complete: HTTP on the port, or how the handshake failed. */
function failedHandshakeFindings(data: TlsData, emit: Emit): void {
  const m = data.main;
  if (m.outcome === 'plain_http') {
    emit('tls.plain_http_on_tls_port', { address: data.address, port: data.port, providerError: '525' });
    return;
  }
  emit('tls.handshake_failed', {
    address: data.address,
    port: data.port,
    how: m.alert ? `alert ${m.alert}` : m.outcome,
    code: m.code ?? '',
    providerError: '525',
    // Connected, then silence mid-handshake: the classic MTU black hole reads differently.
    ...(m.outcome === 'stalled' ? { context: 'stalled' } : {}),
  });
}

/**
 * The served chain's problems, one finding per kind. A chain that leads to the provider's own origin CA is valid
 * for that provider and not publicly trusted: two facts, said as such, instead of a trust problem.
 */
function certificateFindings(
  data: TlsData,
  mode: string | null,
  providerName: string | null,
  emit: Emit,
): void {
  const providerRoot = data.providerCa?.root ?? null;
  const seen = new Set<string>();
  let trustProblem = false;
  for (const p of data.problems) {
    if (TRUST_PROBLEMS.has(p.kind)) trustProblem = true;
    if (providerRoot && TRUST_PROBLEMS.has(p.kind)) continue;
    const id = PROBLEM_FINDING[p.kind];
    if (seen.has(id)) continue;
    seen.add(id);
    const cert = data.chain[p.index];
    const downgrade = mode === 'full' && STRICT_ONLY.has(id);
    // A certificate without an AIA URL: say it has none rather than print an empty place to download from.
    const noAia = id === 'tls.chain_incomplete' && p.detail === '';
    emit(
      id,
      {
        subject: cert?.subject ?? '',
        issuer: cert?.issuer ?? '',
        position: p.index,
        detail: p.detail,
        domain: data.domain ?? '',
        providerError: STRICT_ONLY.has(id) ? '526' : '',
        ...(downgrade ? { context: 'full_mode' } : noAia ? { context: 'no_aia' } : {}),
      },
      downgrade ? 'warn' : undefined,
    );
  }
  if (providerRoot) {
    const provider = providerName ?? data.providerCa!.provider;
    // Where the root came from: the preset's shipped roots (with their date) or a --provider-ca file. A provider
    // known by its ranges only (no preset) is worded as "the provider", not by the placeholder id `custom`.
    const source = data.providerCa?.source ?? null;
    const custom = providerName === null && data.providerCa!.provider === 'custom';
    const context = custom ? 'custom' : source?.kind;
    const origin: Record<string, string> =
      source?.kind === 'file'
        ? { file: source.file }
        : source?.kind === 'preset'
          ? { published: source.published }
          : {};
    emit('tls.provider_origin_ca', {
      provider,
      root: providerRoot,
      mode: mode ?? '-',
      ...origin,
      ...(context ? { context } : {}),
    });
    if (trustProblem)
      emit('tls.not_publicly_trusted', {
        provider,
        root: providerRoot,
        subject: data.chain[0]?.subject ?? '',
        ...(custom ? { context: 'custom' } : {}),
      });
  }
}

/** SNI, transparency and revocation, and old protocol versions: what a good handshake still says. */
function handshakeDetailFindings(data: TlsData, emit: Emit): void {
  const m = data.main;
  // SNI: with the domain the origin serves the right certificate; without SNI it fails or serves another one.
  const noSni = data.noSni;
  if (
    data.domain &&
    m.leafCoversDomain &&
    noSni &&
    (noSni.outcome !== 'ok' || (noSni.leafSha256 !== m.leafSha256 && !noSni.leafCoversDomain))
  ) {
    emit('tls.sni_required', {
      domain: data.domain,
      withoutSni: describeAttempt(noSni),
      foreignSni: describeAttempt(data.foreignSni),
    });
  }
  // Transparency and revocation of the leaf: information for the reader, a warning when nothing can be checked.
  const leaf = data.chain[0];
  if (leaf && leaf.sctCount !== undefined) {
    const crl = leaf.crlUrls ?? [];
    emit('tls.ct_revocation', {
      scts: leaf.sctCount ?? '?',
      ocsp: leaf.ocspUrl ?? '-',
      crl: crl.join(', ') || '-',
      stapled: data.ocspStapled === null ? '-' : data.ocspStapled ? 'yes' : 'no',
      subject: leaf.subject,
      // Nobody can check whether a CA-issued leaf without OCSP or CRL was revoked: said in other words.
      ...(!leaf.selfIssued && !leaf.ocspUrl && crl.length === 0 ? { context: 'none' } : {}),
    });
  }
  const old = (['TLSv1', 'TLSv1.1'] as const).filter((v) => data.versions[v] === 'accepted');
  if (old.length > 0) emit('tls.protocol_outdated', { versions: old.join(', ') });
}

/** TLS as the CDN shakes hands with one endpoint. */
function tlsFindings(data: TlsData, mode: string | null, providerName: string | null, emit: Emit): void {
  const m = data.main;
  if (m.code === 'ECANCELLED') return;
  if (m.outcome === 'refused' || m.outcome === 'unreachable' || m.outcome === 'timeout') return; // the TCP findings say it
  if (m.outcome !== 'ok') return failedHandshakeFindings(data, emit);
  emit('tls.ok', { version: m.version, cipher: m.cipher, alpn: m.alpn ?? '-' });
  certificateFindings(data, mode, providerName, emit);
  handshakeDetailFindings(data, emit);
}

type Base = { path: string; host: string };

/**
 * The request ended without a response. A close without a byte (FIN) is an empty reply; an RST is a reset — a
 * WAF / IPS on the origin or a crashing worker — and reads differently. Both for our Host and a made-up one
 * alike is nginx's `return 444` in a default server: the domain is not configured there (or every name fails).
 */
function failedRequestFindings(
  data: HttpData,
  first: HttpExchange,
  base: Base,
  timeoutMs: number,
  hasTlsPlain: boolean,
  emit: Emit,
): void {
  switch (first.outcome) {
    case 'tls_on_plain_port':
      emit('http.tls_on_plain_port', { ...base, port: data.port, providerError: '520' });
      return;
    case 'plain_on_tls_port':
      if (!hasTlsPlain)
        emit('tls.plain_http_on_tls_port', { address: data.address, port: data.port, providerError: '525' });
      return;
    case 'empty_reply':
    case 'headers_too_large':
      emit('http.empty_reply', { ...base, how: first.outcome, providerError: '520' });
      if (first.outcome === 'empty_reply' && data.foreignHost?.outcome === 'empty_reply')
        emit('http.vhost_missing', {
          ...base,
          status: '-',
          foreignStatus: '-',
          context: 'empty',
        });
      return;
    case 'reset': {
      // Bytes before the RST: cut mid-reply; none: reset right after the request.
      const when = first.timing.ttfbMs !== null ? 'mid_reply' : 'after_request';
      emit('http.reset', {
        ...base,
        how: 'reset',
        when,
        providerError: '520',
        ...(when === 'mid_reply' ? { context: 'mid_reply' } : {}),
      });
      return;
    }
    case 'timeout':
      // Connected and (for HTTPS) through TLS, then nothing: a slow origin. A stalled handshake is TLS's finding.
      if (first.timing.connectMs !== null && (data.scheme === 'http' || first.timing.tlsMs !== null))
        emit('http.slow_ttfb', {
          ...base,
          ttfbMs: `> ${timeoutMs}`,
          limitMs: SLOW_TTFB_MS,
          providerError: '524',
        });
      return;
    default:
      return; // a response is judged below; refused / unreachable: the TCP findings say it
  }
}

/**
 * What the answer says. The domain is unknown to the origin when it answers 421, when it answers 404 while a
 * made-up Host gets a page, or when it answers exactly as it answers a made-up Host (the default server: its 404,
 * another site's page, a redirect elsewhere). A 2xx page alike for every Host that names our domain is a
 * catch-all application: a warning, not a missing site.
 */
function answerFindings(data: HttpData, base: Base, emit: Emit): void {
  const first = data.chain[0]!;
  const last = data.chain[data.chain.length - 1]!;
  const status = last.status ?? 0;
  const foreign = data.foreignHost;
  const foreignOk = foreign?.outcome === 'response' && (foreign.status ?? 0) < 400;
  // A redirect on our own name was followed: the first answers differ in kind, the last one is judged.
  const alike = foreign && data.chain.length === 1 ? compareHostAnswers(first, foreign) : 'different';
  const vhost = { ...base, status, foreignStatus: foreign?.status ?? '-' };
  if (isRateLimited(last)) {
    emit('http.rate_limited', { ...base, status, retryAfter: last.headers['retry-after'] ?? '-' });
  } else if (status === 421 || (status === 404 && foreignOk)) {
    emit('http.vhost_missing', vhost);
  } else if (alike === 'alike' && status < 500) {
    if (status < 300 && first.bodyNamesHost === true) {
      emit('http.ok', { ...base, status, ttfbMs: first.timing.ttfbMs });
      emit('http.vhost_catch_all', vhost);
    } else {
      const location = last.headers.location;
      emit('http.vhost_missing', {
        ...vhost,
        context: status < 300 ? 'alike_page' : location ? 'alike_redirect' : 'alike',
        location: location ?? '-',
      });
    }
  } else if (status >= 500) {
    emit('http.5xx', { ...base, status, server: last.headers.server ?? '-' });
  } else if (status >= 400) {
    emit('http.4xx', { ...base, status });
  } else {
    emit('http.ok', { ...base, status, ttfbMs: first.timing.ttfbMs });
  }
  if (first.timing.ttfbMs !== null && first.timing.ttfbMs > SLOW_TTFB_MS) {
    emit('http.slow_ttfb', {
      ...base,
      ttfbMs: Math.round(first.timing.ttfbMs),
      limitMs: SLOW_TTFB_MS,
      providerError: '524',
    });
  }
}

/** HTTP as the CDN asks one endpoint. */
function httpFindings(data: HttpData, facts: DiagnosisFacts, hasTlsPlain: boolean, emit: Emit): void {
  const first = data.chain[0];
  const last = data.chain[data.chain.length - 1];
  if (!first || !last || first.code === 'ECANCELLED') return;
  const base = { path: data.path, host: first.host };
  if (data.redirectLoop !== 'none') {
    emit('http.redirect_loop', {
      ...base,
      kind: data.redirectLoop,
      hops: data.chain.map((e) => `${e.status ?? e.outcome} ${e.headers.location ?? ''}`.trim()).join(' → '),
      mode: facts.input.sslMode ?? '-',
    });
  }
  failedRequestFindings(data, first, base, facts.input.timeoutMs, hasTlsPlain, emit);
  // nginx and Apache answer a plain request on an HTTPS port with a 400 page that says so.
  if (first.outcome === 'response' && first.status === 400 && PLAIN_ON_TLS_PAGE.test(first.bodySample)) {
    emit('http.tls_on_plain_port', { ...base, port: data.port, providerError: '520' });
    return;
  }
  if (last.outcome === 'response' && data.redirectLoop === 'none') answerFindings(data, base, emit);
  if (data.h2 === 'broken') emit('http.h2_broken', { ...base, error: data.h2Error ?? '' });
  if (data.clockSkewS !== null && Math.abs(data.clockSkewS) > CLOCK_SKEW_S)
    emit('local.clock_skew', { skewSeconds: data.clockSkewS });
}

/** Findings of the protocol layer: TLS as the CDN shakes hands, HTTP as the CDN asks, each with its evidence. */
export function protocolFindings(facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  for (const { probe, data } of probesOf(facts.probes, 'tls'))
    tlsFindings(data, facts.input.sslMode, facts.providerName, emitterFor(out, data.url, [probe.id]));
  for (const { probe, data } of probesOf(facts.probes, 'http')) {
    const hasTlsPlain = out.some((f) => f.id === 'tls.plain_http_on_tls_port' && f.target === data.url);
    httpFindings(data, facts, hasTlsPlain, emitterFor(out, data.url, [probe.id]));
  }
  return out;
}
