import { X509Certificate } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import net from 'node:net';
import tls from 'node:tls';
import type { Endpoint } from '../../shared/model/report';
import {
  TLS_VERSIONS,
  type ProviderCaSource,
  type CertInfo,
  type TlsAttempt,
  type TlsData,
  type TlsOutcome,
} from '../../shared/model/probe-data';
import { classifyConnectError } from './tcp';
import { describeCert, providerAnchorOf, verifyChain } from './tls-verify';
import { remainingMs, stageContext, withDeadline, type ProbeContext } from './types';

/** A name no origin serves: what an origin does with it shows its default-certificate behaviour. */
export const FOREIGN_SNI = 'origin-doctor-probe.invalid';

/**
 * OpenSSL error codes of a failed handshake → what happened. `wrong version number` means the bytes that came
 * back were not TLS at all (usually an HTTP server answering on the port); alert codes name the TLS alert the
 * server sent; `packet length too long` is another face of plain text on a TLS port.
 */
export function classifyTlsError(
  code: string | undefined,
  message: string,
): { outcome: TlsOutcome; alert: string | null } {
  const c = code ?? '';
  if (
    c === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    c === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' ||
    /wrong version number|http request/i.test(message)
  ) {
    return { outcome: 'plain_http', alert: null };
  }
  const alert = /ALERT_([A-Z_]+)$/.exec(c)?.[1] ?? /TLSV1_(UNRECOGNIZED_NAME)$/.exec(c)?.[1] ?? null;
  if (alert) return { outcome: 'alert', alert: alert.toLowerCase() };
  if (c === 'ECONNRESET' || c === 'EPIPE') return { outcome: 'reset', alert: null };
  if (/socket disconnected before secure TLS connection/i.test(message))
    return { outcome: 'closed', alert: null };
  const net = classifyConnectError(c);
  if (net === 'refused' || net === 'unreachable' || net === 'timeout') return { outcome: net, alert: null };
  return { outcome: 'error', alert: null };
}

interface AttemptOptions {
  readonly servername: string | null;
  readonly domain: string | null;
  readonly minVersion?: tls.SecureVersion;
  readonly maxVersion?: tls.SecureVersion;
  readonly ciphers?: string;
  readonly requestOCSP?: boolean;
}

interface AttemptResult {
  readonly attempt: TlsAttempt;
  readonly served: Buffer[];
  readonly ocsp: boolean | null;
}

/**
 * One handshake on an inspection socket. `rejectUnauthorized` is false here only, and `ca` is empty so the
 * certificates Node reports are exactly the ones the server sent (with trust anchors in the store, Node would
 * append the issuer it found there); the chain is verified separately by verifyChain.
 */
export function handshake(ep: Endpoint, opts: AttemptOptions, ctx: ProbeContext): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let start = performance.now();
    let settled = false;
    let ocsp: boolean | null = opts.requestOCSP ? false : null;
    const base = {
      servername: opts.servername,
      version: null,
      cipher: null,
      alpn: null,
      leafSha256: null,
      leafCoversDomain: null,
    };
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect({
        host: ep.address,
        port: ep.port,
        ...(opts.servername ? { servername: opts.servername } : {}),
        ALPNProtocols: ['h2', 'http/1.1'],
        rejectUnauthorized: false,
        ca: [],
        ...(opts.minVersion ? { minVersion: opts.minVersion } : {}),
        ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
        ...(opts.ciphers ? { ciphers: opts.ciphers } : {}),
        ...(opts.requestOCSP ? { requestOCSP: true } : {}),
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? null;
      resolve({ attempt: { ...base, outcome: 'error', code, alert: null, ms: 0 }, served: [], ocsp });
      return;
    }
    start = performance.now();
    const elapsed = (): number => Math.round((performance.now() - start) * 1000) / 1000;
    const finish = (r: AttemptResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(r);
    };
    const fail = (outcome: TlsOutcome, code: string | null, alert: string | null): void =>
      finish({ attempt: { ...base, outcome, code, alert, ms: elapsed() }, served: [], ocsp });
    const onAbort = (): void => fail('error', 'ECANCELLED', null);
    let tcpConnected = false;
    socket.once('connect', () => (tcpConnected = true));
    const timer = setTimeout(() => fail(tcpConnected ? 'stalled' : 'timeout', null, null), ctx.timeoutMs);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.on('OCSPResponse', (response: Buffer) => {
      ocsp = Buffer.isBuffer(response) && response.length > 0;
    });
    socket.once('secureConnect', () => {
      const served: Buffer[] = [];
      let cert = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | Record<string, never>;
      const seen = new Set<string>();
      while (cert && 'raw' in cert && cert.raw && !seen.has(cert.fingerprint256)) {
        seen.add(cert.fingerprint256);
        served.push(cert.raw);
        cert = cert.issuerCertificate;
      }
      let covers: boolean | null = null;
      if (served[0] && opts.domain)
        covers = new X509Certificate(served[0]).checkHost(opts.domain) !== undefined;
      const leaf = served[0] ? new X509Certificate(served[0]).fingerprint256 : null;
      const cipher = socket.getCipher();
      // Stapled OCSP arrives during the handshake; one turn of the loop lets its event land first.
      setImmediate(() =>
        finish({
          attempt: {
            servername: opts.servername,
            outcome: 'ok',
            code: null,
            alert: null,
            ms: elapsed(),
            version: socket.getProtocol(),
            cipher: cipher?.standardName ?? cipher?.name ?? null,
            alpn: socket.alpnProtocol || null,
            leafSha256: leaf,
            leafCoversDomain: covers,
          },
          served,
          ocsp,
        }),
      );
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const { outcome, alert } = classifyTlsError(err.code, err.message);
      fail(outcome, err.code ?? null, alert);
    });
    socket.once('close', () => fail('closed', null, null));
    if (ctx.signal.aborted) onAbort();
  });
}

/** True when the port answers a plain HTTP request with an HTTP status line. */
export function speaksPlainHttp(ep: Pick<Endpoint, 'address' | 'port'>, ctx: ProbeContext): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: ep.address, port: ep.port });
    let buf = '';
    const done = (v: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), Math.min(remainingMs(ctx), 2000));
    socket.once('connect', () =>
      socket.write('HEAD / HTTP/1.0\r\nHost: origin-doctor-probe.invalid\r\n\r\n'),
    );
    socket.on('data', (b: Buffer) => {
      buf += b.toString('latin1');
      if (buf.length >= 5) done(buf.startsWith('HTTP/'));
    });
    socket.once('error', () => done(false));
    socket.once('end', () => done(buf.startsWith('HTTP/')));
  });
}

/** Where the local OpenSSL itself refuses a version (policy or build), the origin's answer cannot be known. */
const LOCAL_REFUSALS = new Set([
  'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
  'ERR_SSL_NO_CIPHERS_AVAILABLE',
  'ERR_TLS_INVALID_PROTOCOL_VERSION',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
]);

/**
 * The CA(s) a provider trusts for origin certificates: its preset's shipped roots and / or `--provider-ca` files.
 * `sources[i]` says where `pems[i]` came from, so the report can name the anchor a chain led to.
 */
export interface ProviderAnchors {
  readonly provider: string;
  readonly pems: readonly string[];
  readonly sources?: readonly ProviderCaSource[];
}

/** The anchors as the report lists them: one row per source, with how many roots it gave. */
function countAnchors(sources: readonly ProviderCaSource[]): (ProviderCaSource & { roots: number })[] {
  const rows = new Map<string, ProviderCaSource & { roots: number }>();
  for (const s of sources) {
    const key = s.kind === 'preset' ? `preset:${s.provider}` : `file:${s.file}`;
    const row = rows.get(key);
    if (row) row.roots++;
    else rows.set(key, { ...s, roots: 1 });
  }
  return [...rows.values()];
}

/**
 * The TLS probe: the handshake as the CDN makes it (SNI = domain), then without SNI and with a foreign SNI (the
 * default-certificate behaviour), then one handshake per protocol version. TLS 1.0 / 1.1 are tried at OpenSSL
 * security level 0; where the local OpenSSL cannot speak them at all, the version is "not testable here".
 */
export async function tlsProbe(
  ep: Endpoint,
  domain: string | null,
  trustAnchors: readonly string[],
  now: () => Date,
  probeCtx: ProbeContext,
  providerAnchors: ProviderAnchors | null = null,
): Promise<TlsData> {
  // One deadline for the whole probe: the follow-up handshakes get what the first one left, not a timeout each.
  const ctx = withDeadline(probeCtx);
  let main = await handshake(ep, { servername: domain, domain, requestOCSP: true }, stageContext(ctx));
  // Some plain-HTTP servers reset a ClientHello instead of answering it; ask in HTTP to tell them apart.
  if (
    (main.attempt.outcome === 'reset' || main.attempt.outcome === 'closed') &&
    (await speaksPlainHttp(ep, ctx))
  ) {
    main = { ...main, attempt: { ...main.attempt, outcome: 'plain_http' } };
  }
  const reachable =
    main.attempt.outcome !== 'refused' &&
    main.attempt.outcome !== 'unreachable' &&
    main.attempt.outcome !== 'timeout';
  const versions: TlsData['versions'] = {};
  let noSni: TlsAttempt | null = null;
  let foreignSni: TlsAttempt | null = null;
  const stage = stageContext(ctx);
  if (reachable && main.attempt.outcome !== 'plain_http' && !ctx.signal.aborted && stage.timeoutMs > 0) {
    // A handshake that ran out of a budget cut short by the deadline says nothing: it is left out (not tried),
    // never read as the origin refusing.
    const cut = stage.timeoutMs < ctx.timeoutMs;
    const told = (r: TlsAttempt): TlsAttempt | null =>
      cut && (r.outcome === 'timeout' || r.outcome === 'stalled') ? null : r;
    const [a, b, ...vs] = await Promise.all([
      domain ? handshake(ep, { servername: null, domain }, stage) : Promise.resolve(null),
      handshake(ep, { servername: FOREIGN_SNI, domain }, stage),
      ...TLS_VERSIONS.map((v) =>
        handshake(
          ep,
          {
            servername: domain,
            domain,
            minVersion: v,
            maxVersion: v,
            ...(v === 'TLSv1' || v === 'TLSv1.1' ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
          },
          stage,
        ),
      ),
    ]);
    noSni = a ? told(a.attempt) : null;
    foreignSni = told(b!.attempt);
    TLS_VERSIONS.forEach((v, i) => {
      const r = vs[i]!.attempt;
      if (told(r) === null) return;
      versions[v] =
        r.outcome === 'ok'
          ? 'accepted'
          : r.code && LOCAL_REFUSALS.has(r.code) && r.ms < 5
            ? 'not_testable'
            : 'refused';
    });
  }
  let chain: CertInfo[] = [];
  let problems: TlsData['problems'] = [];
  let providerCa: TlsData['providerCa'] = null;
  if (main.attempt.outcome === 'ok') {
    chain = main.served.map(describeCert);
    problems = verifyChain(main.served, trustAnchors, domain, now());
    if (providerAnchors) {
      const found = providerAnchorOf(main.served, providerAnchors.pems, now());
      const sources = providerAnchors.sources;
      providerCa = {
        provider: providerAnchors.provider,
        root: found?.subject ?? null,
        ...(sources
          ? { source: found ? (sources[found.index] ?? null) : null, anchors: countAnchors(sources) }
          : {}),
      };
    }
  }
  return {
    address: ep.address,
    port: ep.port,
    url: ep.url,
    domain,
    main: main.attempt,
    noSni,
    foreignSni,
    versions,
    chain,
    problems,
    ocspStapled: main.attempt.outcome === 'ok' ? main.ocsp : null,
    ...(providerAnchors ? { providerCa } : {}),
  };
}

/**
 * The probe card's status: failed handshake or a certificate problem → fail, only "expiring soon" → warn. A chain
 * that leads to the provider's own origin CA is valid for that provider, so its trust problems do not count.
 */
export function tlsStatus(data: TlsData): 'ok' | 'warn' | 'fail' {
  if (data.main.outcome !== 'ok') return 'fail';
  const trust = new Set(['self_signed', 'chain_incomplete', 'untrusted_root']);
  const problems = data.problems.filter((p) => !(data.providerCa?.root && trust.has(p.kind)));
  if (problems.some((p) => p.kind !== 'expiring_soon')) return 'fail';
  return problems.length ? 'warn' : 'ok';
}

/** The trust anchors: Node's bundled roots, the system's where this Node can read them, plus extra CAs. */
export function trustAnchors(extraPem: readonly string[]): string[] {
  const system = (tls as unknown as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  let fromSystem: string[];
  try {
    fromSystem = system ? system('system') : [];
  } catch {
    fromSystem = []; // this platform's store is unreadable: Node's roots and the extra CAs still apply
  }
  return [...new Set([...tls.rootCertificates, ...fromSystem, ...extraPem])];
}

/** An anchor's source in the raw evidence (not translated, like the rest of the openssl-like text). */
function describeSource(s: ProviderCaSource): string {
  return s.kind === 'preset' ? `preset ${s.provider}, published ${s.published}` : `file ${s.file}`;
}

/** openssl-like text for the raw evidence. */
export function formatTlsRaw(d: TlsData): string {
  const line = (label: string, a: TlsAttempt | null): string =>
    a === null
      ? `${label}: not tried`
      : `${label}: ${a.outcome}${a.alert ? ` (alert ${a.alert})` : ''}${a.code && a.outcome !== 'ok' ? ` [${a.code}]` : ''}` +
        (a.outcome === 'ok'
          ? ` ${a.version} ${a.cipher} alpn=${a.alpn ?? '-'} leaf=${a.leafSha256?.slice(0, 23)}…`
          : '') +
        ` ${a.ms.toFixed(1)} ms`;
  return [
    line(`SNI ${d.domain ?? '(none)'}`, d.main),
    line('no SNI', d.noSni),
    line(`SNI ${FOREIGN_SNI}`, d.foreignSni),
    `versions: ${Object.entries(d.versions)
      .map(([v, r]) => `${v}=${r}`)
      .join(' ')}`,
    `OCSP stapled: ${d.ocspStapled === null ? '-' : d.ocspStapled ? 'yes' : 'no'}`,
    ...d.chain.map(
      (c, i) =>
        `${i}: s=${c.subject} | i=${c.issuer} | ${c.validFrom} → ${c.validTo} | ${c.keyType}${c.keyBits ? ` ${c.keyBits}` : c.curve ? ` ${c.curve}` : ''} | ${c.signatureAlgorithm ?? '?'}`,
    ),
    ...d.problems.map((p) => `problem: ${p.kind} at ${p.index}${p.detail ? ` (${p.detail})` : ''}`),
    ...(d.providerCa?.anchors
      ? [
          `provider origin CA anchors: ${d.providerCa.anchors.map((a) => `${describeSource(a)} (${a.roots})`).join(', ')}` +
            ` → ${d.providerCa.root ? `${d.providerCa.root} [${d.providerCa.source ? describeSource(d.providerCa.source) : '?'}]` : 'none'}`,
        ]
      : []),
  ].join('\n');
}
