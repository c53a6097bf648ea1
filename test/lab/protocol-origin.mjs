// A lab origin that misbehaves at the protocol layer the way real origins do, one port per behaviour, on every
// address (IPv4 and IPv6). Usage: protocol-origin.mjs CONFIG.json, where the config maps a behaviour to its port
// and, for TLS ones, names the PEM files. Prints "ready" once all listen; exits when stdin closes, so it never
// outlives the test that started it.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const DOMAIN = config.domain;
const listeners = [];

const hostOf = (request) => /^host:\s*(\S+)/im.exec(request)?.[1] ?? '';
const site = (req, res) => {
  // A configured site: the domain gets its page, a name no site has gets the default server's 404.
  if (/\.invalid(:\d+)?$/i.test(req.headers.host ?? '')) return res.writeHead(404).end('no site\n');
  res.writeHead(200, { 'content-type': 'text/plain' }).end('the site\n');
};
const notFound =
  '<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>\n';
const plainOk = 'HTTP/1.1 200 OK\r\ncontent-length: 8\r\nconnection: close\r\n\r\ndefault\n';

const make = {
  // TLS chains: served as given by the PEM files (leaf + what the origin sends with it).
  tls: (spec) => https.createServer({ cert: readFileSync(spec.cert), key: readFileSync(spec.key) }, site),
  // nginx `return 444` in the default server: the connection closes without a reply, for every name.
  default444: () => net.createServer((s) => s.once('data', () => s.end())),
  defaultSame404: () =>
    http.createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end(notFound)),
  defaultOtherSite: () =>
    http.createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<title>Another customer shop</title>\n'),
    ),
  defaultRedirect: () =>
    http.createServer((_req, res) => res.writeHead(301, { location: 'https://main.example/' }).end()),
  default421: () => http.createServer((_req, res) => res.writeHead(421).end()),
  // A catch-all application: every Host gets the same page, naming the Host it was asked for.
  catchAll: () =>
    http.createServer((req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<h1>Welcome to ${req.headers.host}</h1>\n`),
    ),
  // An IPS / crashing worker: the request is read, then the connection is reset (RST).
  resetAfterRequest: () => net.createServer((s) => s.once('data', () => s.resetAndDestroy())),
  // The domain's worker dies without a byte (FIN), while other names get the default page.
  emptyForDomain: () =>
    net.createServer((s) =>
      s.once('data', (b) => (hostOf(b.toString()) === DOMAIN ? s.end() : s.end(plainOk))),
    ),
};

let listening = 0;
for (const [name, spec] of Object.entries(config.ports)) {
  const server = name.startsWith('tls') ? make.tls(spec) : make[name]();
  server.on('tlsClientError', () => undefined);
  server.on('connection', (s) => s.on('error', () => undefined));
  server.listen({ port: spec.port, host: '::', ipv6Only: false }, () => {
    listening++;
    if (listening === Object.keys(config.ports).length) process.stdout.write('ready\n');
  });
  listeners.push(server);
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
