import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { makeOriginCa, makePki, type OriginCaPki, type TestPki } from './certs';

/** Loopback origins that misbehave in one precise way each; all listen on 127.0.0.1 with a random port. */
export interface Servers {
  readonly ports: Record<string, number>;
  /** A root shaped like a provider's origin CA, whose leaf the `originCa` server sends alone. */
  readonly originCa: OriginCaPki;
  close(): Promise<void>;
}

const DOMAIN = 'www.site.test';

export async function startProtocolServers(pki: TestPki): Promise<Servers> {
  const servers: net.Server[] = [];
  const ports: Record<string, number> = {};
  const listen = async (name: string, server: net.Server): Promise<void> => {
    // Node's own answers to garbage stay (HTTP servers reply 400, as nginx does); TLS errors are only silenced.
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    ports[name] = (server.address() as net.AddressInfo).port;
  };
  // A configured site: the domain gets its page; a name no site has (`*.invalid`) gets the default server's 404.
  const ok = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (/\.invalid(:\d+)?$/i.test(req.headers.host ?? '')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no site for this name\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', date: new Date().toUTCString() }).end('ok\n');
  };
  const chain = (leaf: { pem: string; keyPem: string }, withIntermediate = true) => ({
    key: leaf.keyPem,
    cert: leaf.pem + (withIntermediate ? pki.intermediate.pem : ''),
  });

  await listen('good', https.createServer(chain(pki.good), ok));
  await listen('expired', https.createServer(chain(pki.expired), ok));
  await listen('notYetValid', https.createServer(chain(pki.notYetValid), ok));
  await listen('wrongName', https.createServer(chain(pki.wrongName), ok));
  await listen('selfSigned', https.createServer(chain(pki.selfSigned, false), ok));
  await listen('noIntermediate', https.createServer(chain(pki.good, false), ok));
  await listen('noAia', https.createServer(chain(pki.noAia, false), ok));
  // Leaf + intermediate, complete up to a private root that is not in the trust store (never sent, as usual).
  const privatePki = await makePki(DOMAIN);
  await listen(
    'untrustedRoot',
    https.createServer(
      { key: privatePki.good.keyPem, cert: privatePki.good.pem + privatePki.intermediate.pem },
      ok,
    ),
  );
  // A leaf issued straight by an origin-CA-shaped root, sent alone, as a provider's origin certificate is.
  const originCa = await makeOriginCa(DOMAIN);
  await listen('originCa', https.createServer({ key: originCa.leaf.keyPem, cert: originCa.leaf.pem }, ok));
  // Staples an OCSP response to every handshake that asks for one.
  const stapling = https.createServer(chain(pki.good), ok);
  stapling.on(
    'OCSPRequest',
    (_cert: Buffer, _issuer: Buffer, cb: (err: Error | null, resp: Buffer) => void) =>
      cb(null, Buffer.from('stapled-ocsp-response')),
  );
  await listen('stapling', stapling);
  await listen('expiringSoon', https.createServer(chain(pki.expiringSoon), ok));
  // Several sites on one address: the default certificate is another site's; the domain's needs SNI.
  const good = tls.createSecureContext(chain(pki.good));
  await listen(
    'sniDefault',
    https.createServer(
      { ...chain(pki.otherSite), SNICallback: (name, cb) => cb(null, name === DOMAIN ? good : undefined) },
      ok,
    ),
  );
  // No default certificate at all: without SNI the handshake fails.
  await listen(
    'sniStrict',
    https.createServer(
      { SNICallback: (name, cb) => (name === DOMAIN ? cb(null, good) : cb(new Error('unknown name'))) },
      ok,
    ),
  );
  // Plain HTTP on the port the CDN reaches with HTTPS, and the reverse.
  await listen('plainHttp', http.createServer(ok));
  await listen('tlsPort', https.createServer(chain(pki.good), ok));
  // Redirects: to itself; A → B → A; HTTP → HTTPS (loops in flexible mode).
  await listen(
    'redirectSelf',
    http.createServer((req, res) => res.writeHead(302, { location: `http://${DOMAIN}${req.url}` }).end()),
  );
  await listen(
    'redirectAB',
    http.createServer((req, res) => res.writeHead(301, { location: req.url === '/a' ? '/b' : '/a' }).end()),
  );
  await listen(
    'redirectToHttps',
    http.createServer((req, res) => res.writeHead(301, { location: `https://${DOMAIN}${req.url}` }).end()),
  );
  await listen(
    'rateLimited',
    http.createServer((_req, res) => res.writeHead(429, { 'retry-after': '30' }).end('slow down\n')),
  );
  await listen(
    'slow',
    http.createServer((req, res) => setTimeout(() => ok(req, res), 2500)),
  );
  await listen(
    'serverError',
    http.createServer((_req, res) => res.writeHead(502, { server: 'nginx' }).end('Bad Gateway\n')),
  );
  // Reset right after accept; reset (RST) right after the request; a close (FIN) without any reply for the
  // domain while other Hosts get a page (a crashing site, not a missing one).
  await listen(
    'resetAfterAccept',
    net.createServer((s) => s.resetAndDestroy()),
  );
  await listen(
    'resetAfterRequest',
    net.createServer((s) => s.once('data', () => s.resetAndDestroy())),
  );
  const hostOf = (request: string): string => /^host:\s*(\S+)/im.exec(request)?.[1] ?? '';
  const plainOk =
    'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 8\r\nconnection: close\r\n\r\ndefault\n';
  await listen(
    'emptyReply',
    net.createServer((s) =>
      s.once('data', (b: Buffer) => (hostOf(b.toString()) === DOMAIN ? s.end() : s.end(plainOk))),
    ),
  );
  // Default servers the domain falls through to: nginx's `return 444` (close, no reply) for every name; the same
  // 404 page; another site's 200 page; a redirect to another domain. And a catch-all app naming the Host asked.
  await listen(
    'default444',
    net.createServer((s) => s.once('data', () => s.end())),
  );
  const notFound =
    '<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>\n';
  await listen(
    'defaultSame404',
    http.createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end(notFound)),
  );
  await listen(
    'defaultOtherSite',
    http.createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<title>Another customer shop</title>\n'),
    ),
  );
  await listen(
    'defaultRedirect',
    http.createServer((_req, res) => res.writeHead(301, { location: 'https://main.example/' }).end()),
  );
  await listen(
    'catchAll',
    http.createServer((req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<h1>Welcome to ${req.headers.host}</h1>\n`),
    ),
  );
  // Only another Host is served: the domain gets 404, anything else the default site.
  await listen(
    'vhostMissing',
    http.createServer((req, res) =>
      req.headers.host === DOMAIN
        ? res.writeHead(404).end('not found\n')
        : res.writeHead(200, { 'content-type': 'text/plain' }).end('the default site\n'),
    ),
  );
  await listen(
    'misdirected',
    http.createServer((_req, res) => res.writeHead(421).end()),
  );
  // h2 offered through ALPN but every h2 stream is reset; HTTP/1.1 works.
  await listen(
    'h2Broken',
    http2.createSecureServer({ ...chain(pki.good), allowHTTP1: true }, (req, res) => {
      if (req.httpVersion === '2.0') req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      else ok(req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse);
    }),
  );
  // A skewed clock: Date ten minutes in the past.
  await listen(
    'skewed',
    http.createServer((req, res) =>
      /\.invalid(:\d+)?$/i.test(req.headers.host ?? '')
        ? res.writeHead(404).end()
        : res.writeHead(200, { date: new Date(Date.now() - 600_000).toUTCString() }).end('ok\n'),
    ),
  );

  return {
    ports,
    originCa,
    close: () =>
      Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined),
  };
}
