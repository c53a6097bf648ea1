import { createHash } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import type { Endpoint, SslMode } from '../../shared/model/report';
import type { HTTP_OUTCOMES, HttpData, HttpExchange } from '../../shared/model/probe-data';
import { APP_VERSION } from '../version';
import { classifyConnectError } from './tcp';
import { remainingMs, stageContext, withDeadline, type ProbeContext } from './types';

/** At most this much of a body is read; a bigger body (or a gzip bomb) is cut, not buffered. */
export const MAX_BODY = 64 * 1024;
const KEPT_BODY = 2 * 1024;
/** Response headers larger than this are refused by the parser (a CDN gives up at far less: 520). */
export const MAX_HEADER_BYTES = 64 * 1024;
export const MAX_REDIRECTS = 5;
export const FOREIGN_HOST = 'origin-doctor-probe.invalid';

type Outcome = (typeof HTTP_OUTCOMES)[number];

export interface RequestSpec {
  readonly scheme: 'http' | 'https';
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly host: string;
  readonly servername: string | null;
  readonly path: string;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

function urlOf(spec: RequestSpec): string {
  const defaultPort = spec.scheme === 'https' ? 443 : 80;
  return `${spec.scheme}://${spec.host}${spec.port === defaultPort ? '' : `:${spec.port}`}${spec.path}`;
}

/**
 * Why a request ended without a response. A TLS record (0x16 handshake, 0x15 alert) coming back on a plain
 * port means the port speaks TLS; OpenSSL's "wrong version number" on an https request means it does not.
 * "socket hang up" is a close (FIN) without a byte of reply: an empty reply. A read ECONNRESET or an EPIPE is an
 * RST from the origin or a middlebox, before or during the reply: a reset, never an empty reply.
 */
export function classifyHttpError(
  err: NodeJS.ErrnoException,
  firstBytes: Buffer | null,
  scheme: 'http' | 'https',
): Outcome {
  const code = err.code ?? '';
  if (
    scheme === 'http' &&
    firstBytes &&
    firstBytes.length > 0 &&
    (firstBytes[0] === 0x15 || firstBytes[0] === 0x16) &&
    firstBytes[1] === 0x03
  ) {
    return 'tls_on_plain_port';
  }
  if (
    scheme === 'https' &&
    (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG')
  )
    return 'plain_on_tls_port';
  if (code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  if (code === 'ECONNRESET' && /hang up/.test(err.message)) return 'empty_reply';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  const net = classifyConnectError(code);
  if (net === 'refused' || net === 'unreachable' || net === 'timeout') return net;
  return 'error';
}

/**
 * The body with the Host name replaced by a fixed token, hashed: a default server that prints the Host it was
 * asked for gives the same digest for any two names. Compared byte-wise (latin1), case-insensitively.
 */
export function hostNeutralBody(
  body: Buffer,
  host: string,
): { hostNeutralSha256: string; bodyNamesHost: boolean } {
  const text = body.toString('latin1');
  const pattern = new RegExp(host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
  const neutral = text.replace(pattern, '\u0000HOST\u0000');
  return {
    hostNeutralSha256: createHash('sha256').update(neutral, 'latin1').digest('hex'),
    bodyNamesHost: neutral !== text,
  };
}

/** One request to the origin's address, speaking as the CDN: its Host, its SNI, no certificate check (full mode). */
export function exchange(spec: RequestSpec, ctx: ProbeContext): Promise<HttpExchange> {
  return new Promise((resolve) => {
    const start = performance.now();
    const at = (): number => round(performance.now() - start);
    const timing: { connectMs: number | null; tlsMs: number | null; ttfbMs: number | null } = {
      connectMs: null,
      tlsMs: null,
      ttfbMs: null,
    };
    let firstBytes: Buffer | null = null;
    let settled = false;
    const base = { url: urlOf(spec), host: spec.host };
    const options: https.RequestOptions = {
      host: spec.address,
      family: spec.family,
      port: spec.port,
      path: spec.path,
      method: 'GET',
      agent: false,
      headers: {
        Host: spec.host,
        'User-Agent': `origin-doctor/${APP_VERSION}`,
        Accept: '*/*',
        'Accept-Encoding': 'identity',
        Connection: 'close',
      },
      maxHeaderSize: MAX_HEADER_BYTES,
      ...(spec.scheme === 'https'
        ? { servername: spec.servername ?? undefined, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }
        : {}),
    };
    const req = (spec.scheme === 'https' ? https : http).request(options);
    const finish = (r: Omit<HttpExchange, 'url' | 'host' | 'timing'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      req.destroy();
      resolve({ ...base, ...r, timing: { ...timing, totalMs: at() } });
    };
    const failed = (outcome: Outcome, code: string | null): void =>
      finish({ outcome, code, status: null, headers: {}, bodySample: '', bodyBytes: 0, httpVersion: null });
    const onAbort = (): void => failed('error', 'ECANCELLED');
    const timer = setTimeout(() => failed('timeout', null), ctx.timeoutMs);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    req.on('socket', (socket: Socket) => {
      socket.once('connect', () => (timing.connectMs = at()));
      socket.once('secureConnect', () => (timing.tlsMs = at()));
      socket.once('data', (b: Buffer) => {
        timing.ttfbMs = at();
        firstBytes = b.subarray(0, 16);
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      failed(classifyHttpError(err, firstBytes, spec.scheme), err.code ?? null),
    );
    req.on('response', (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      const all: Buffer[] = [];
      let bytes = 0;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers))
        headers[k] = Array.isArray(v) ? v.join(', ') : (v ?? '');
      const done = (): void =>
        finish({
          outcome: 'response',
          code: null,
          status: res.statusCode ?? null,
          statusText: res.statusMessage ?? null,
          headers,
          bodySample: Buffer.concat(chunks).subarray(0, KEPT_BODY).toString('utf8'),
          bodyBytes: bytes,
          ...hostNeutralBody(Buffer.concat(all).subarray(0, MAX_BODY), spec.host),
          httpVersion: res.httpVersion,
        });
      res.on('data', (b: Buffer) => {
        if (bytes < KEPT_BODY) chunks.push(b);
        if (bytes < MAX_BODY) all.push(b);
        bytes += b.length;
        if (bytes >= MAX_BODY) done();
      });
      res.on('end', done);
      res.on('aborted', done);
      res.on('error', done);
    });
    if (ctx.signal.aborted) onAbort();
    req.end();
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Follows redirects the way the CDN would see them: a Location on the protected domain is requested again from
 * the origin (http on port 80, https on 443, or the endpoint given for that scheme); a Location elsewhere ends
 * the chain. Returns the loop kind when a URL comes back.
 */
async function followRedirects(
  first: RequestSpec,
  endpoints: readonly Endpoint[],
  sslMode: SslMode | null,
  ctx: ProbeContext,
): Promise<{ chain: HttpExchange[]; loop: HttpData['redirectLoop'] }> {
  const chain: HttpExchange[] = [];
  // The URLs the visitor's browser asks the CDN for; a URL that comes back is a loop.
  const seen: string[] = [];
  let visitor = `${first.scheme}://${first.host}${first.path}`;
  let spec = first;
  let forced = false;
  for (let i = 0; i <= MAX_REDIRECTS && !ctx.signal.aborted; i++) {
    const again = seen.indexOf(visitor);
    if (again !== -1) {
      const schemes = new Set(seen.slice(again).map((k) => k.split(':')[0]));
      const loop =
        forced || schemes.size > 1 ? 'scheme_flip' : again === seen.length - 1 ? 'same_url' : 'cycle';
      return { chain, loop };
    }
    seen.push(visitor);
    // Each hop gets what remains of the probe's budget, so a chain of slow hops ends within one timeout.
    const ex = await exchange(spec, stageContext(ctx));
    chain.push(ex);
    if (ex.outcome !== 'response' || !REDIRECTS.has(ex.status ?? 0) || !ex.headers.location)
      return { chain, loop: 'none' };
    let next: URL;
    try {
      next = new URL(ex.headers.location, visitor);
    } catch {
      return { chain, loop: 'none' };
    }
    if (
      next.hostname.toLowerCase() !== spec.host.toLowerCase() ||
      (next.protocol !== 'http:' && next.protocol !== 'https:')
    ) {
      return { chain, loop: 'none' };
    }
    const scheme = next.protocol === 'https:' ? 'https' : 'http';
    const path = `${next.pathname}${next.search}`;
    // The CDN's SSL mode decides how it fetches that URL from the origin: flexible always speaks HTTP, full and
    // strict always HTTPS — so an origin that redirects to the other scheme sends the visitor round forever.
    const fetchScheme =
      sslMode === 'flexible' ? 'http' : sslMode === 'full' || sslMode === 'strict' ? 'https' : scheme;
    if (fetchScheme !== scheme) forced = true;
    const endpoint = endpoints.find((e) => e.address === spec.address && e.scheme === fetchScheme);
    const port =
      fetchScheme === spec.scheme ? spec.port : (endpoint?.port ?? (fetchScheme === 'https' ? 443 : 80));
    spec = { ...spec, scheme: fetchScheme, port, path };
    visitor = `${scheme}://${spec.host}${path}`;
  }
  return { chain, loop: 'cycle' };
}

/** HTTP/2 through ALPN compared with HTTP/1.1: an origin can advertise h2 and then break on it (a CDN's 520). */
function h2Check(
  spec: RequestSpec,
  ctx: ProbeContext,
): Promise<{ h2: HttpData['h2']; error: string | null }> {
  return new Promise((resolve) => {
    let settled = false;
    let session: http2.ClientHttp2Session | null = null;
    let secured = false;
    const socket = tls.connect({
      host: spec.address,
      port: spec.port,
      ...(spec.servername ? { servername: spec.servername } : {}),
      ALPNProtocols: ['h2', 'http/1.1'],
      rejectUnauthorized: false,
    });
    const finish = (h2: HttpData['h2'], error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      session?.destroy();
      socket.destroy();
      resolve({ h2, error });
    };
    const onAbort = (): void => finish(null, 'ECANCELLED');
    // No TLS at all within the deadline says nothing about h2; a stalled h2 exchange after TLS does.
    const timer = setTimeout(
      () => (secured ? finish('broken', 'timeout') : finish(null, 'timeout')),
      ctx.timeoutMs,
    );
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (e: NodeJS.ErrnoException) =>
      finish(secured ? 'broken' : null, e.code ?? e.message),
    );
    socket.once('secureConnect', () => {
      secured = true;
      if (socket.alpnProtocol !== 'h2') return finish('not_offered', null);
      session = http2.connect(`https://${spec.host}:${spec.port}`, { createConnection: () => socket });
      session.on('error', (e: NodeJS.ErrnoException) => finish('broken', e.code ?? e.message));
      const stream = session.request({
        ':path': spec.path,
        ':method': 'GET',
        'user-agent': `origin-doctor/${APP_VERSION}`,
      });
      stream.on('response', () => finish('ok', null));
      stream.on('error', (e: NodeJS.ErrnoException) => finish('broken', e.code ?? e.message));
      stream.on('close', () => finish('broken', `stream closed (${stream.rstCode})`));
      stream.end();
    });
    if (ctx.signal.aborted) onAbort();
  });
}

/** True when the port completes a TLS handshake. */
function speaksTls(spec: RequestSpec, ctx: ProbeContext): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: spec.address,
      port: spec.port,
      ...(spec.servername ? { servername: spec.servername } : {}),
      rejectUnauthorized: false,
    });
    const done = (v: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), Math.min(remainingMs(ctx), 2000));
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Seconds this machine's clock is ahead of the origin's, from the Date header; null without one. */
export function clockSkewSeconds(dateHeader: string | undefined, receivedAt: Date): number | null {
  if (!dateHeader) return null;
  const t = Date.parse(dateHeader);
  return Number.isNaN(t) ? null : Math.round((receivedAt.getTime() - t) / 1000);
}

/** `Keep-Alive: timeout=5, max=100` → 5. */
export function keepAliveTimeout(header: string | undefined): number | null {
  const m = /timeout=(\d+)/i.exec(header ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * The back-to-origin request: to the endpoint's address with Host and SNI = the domain (curl --connect-to),
 * redirects followed as the CDN would, the same request with a foreign Host, and h2 against http/1.1.
 */
/** The request as the CDN sends it to an endpoint: the domain as Host and SNI, else the address. */
export function requestSpecFor(ep: Endpoint, domain: string | null, path: string): RequestSpec {
  return {
    scheme: ep.scheme,
    address: ep.address,
    family: ep.family,
    port: ep.port,
    host: domain ?? (ep.family === 6 ? `[${ep.address}]` : ep.address),
    servername: domain,
    path,
  };
}

export async function httpProbe(
  ep: Endpoint,
  input: {
    domain: string | null;
    healthPath: string;
    sslMode: SslMode | null;
    endpoints: readonly Endpoint[];
  },
  now: () => Date,
  probeCtx: ProbeContext,
): Promise<HttpData> {
  // One deadline for the whole probe: --timeout bounds it as a whole, not each hop or check.
  const ctx = withDeadline(probeCtx);
  const spec = requestSpecFor(ep, input.domain, input.healthPath);
  const [{ chain, loop }, foreignHost, h2] = await Promise.all([
    followRedirects(spec, input.endpoints, input.sslMode, ctx),
    input.domain
      ? exchange({ ...spec, host: FOREIGN_HOST, servername: FOREIGN_HOST }, stageContext(ctx))
      : Promise.resolve(null),
    ep.scheme === 'https' ? h2Check(spec, stageContext(ctx)) : Promise.resolve({ h2: null, error: null }),
  ]);
  let first = chain[0]!;
  // A TLS server often resets a plain request without a byte of answer: a handshake tells that apart from a crash.
  if (
    ep.scheme === 'http' &&
    (first.outcome === 'empty_reply' || first.outcome === 'reset') &&
    (await speaksTls(spec, ctx))
  ) {
    first = { ...first, outcome: 'tls_on_plain_port' };
    chain[0] = first;
  }
  return {
    url: ep.url,
    address: ep.address,
    port: ep.port,
    scheme: ep.scheme,
    domain: input.domain,
    path: input.healthPath,
    chain,
    redirectLoop: loop,
    foreignHost,
    h2: h2.h2,
    h2Error: h2.error,
    keepAliveTimeoutS: keepAliveTimeout(first.headers['keep-alive']),
    clockSkewS: clockSkewSeconds(first.headers.date, now()),
  };
}

/** curl -w like text for the raw evidence. */
export function formatHttpRaw(d: HttpData): string {
  const line = (e: HttpExchange): string =>
    `GET ${e.url} (Host: ${e.host}) → ${e.outcome === 'response' ? `${e.status} HTTP/${e.httpVersion}` : e.outcome}${e.code ? ` [${e.code}]` : ''}` +
    ` connect=${e.timing.connectMs ?? '-'} tls=${e.timing.tlsMs ?? '-'} ttfb=${e.timing.ttfbMs ?? '-'} total=${e.timing.totalMs} ms` +
    (e.headers.location ? ` location=${e.headers.location}` : '');
  return [
    ...d.chain.map(line),
    ...(d.redirectLoop !== 'none' ? [`redirect loop: ${d.redirectLoop}`] : []),
    ...(d.foreignHost ? [`foreign Host: ${line(d.foreignHost)}`] : []),
    ...(d.h2 ? [`h2: ${d.h2}${d.h2Error ? ` (${d.h2Error})` : ''}`] : []),
  ].join('\n');
}
