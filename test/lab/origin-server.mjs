// A tiny origin for the namespace lab: an HTTP server on each port given, on every address (IPv4 and IPv6),
// and with `--tls PORT CERT KEY` an HTTPS server too. Prints "ready" once all listen; exits when stdin closes
// so it never outlives the test that started it.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tlsLib from 'node:tls';

const args = process.argv.slice(2);
const tlsAt = args.indexOf('--tls');
const plainPorts = (tlsAt === -1 ? args : args.slice(0, tlsAt)).map(Number);
const tls =
  tlsAt === -1
    ? null
    : {
        port: Number(args[tlsAt + 1]),
        cert: readFileSync(args[tlsAt + 2]),
        key: readFileSync(args[tlsAt + 3]),
      };
// With a certificate there is also a TLS port that always fails the handshake: only RSA ciphers offered for an
// ECDSA certificate, so OpenSSL answers every ClientHello with a handshake_failure alert.
const TLS_FAIL_PORT = 8443;
const total = plainPorts.length + (tls ? 2 : 0);
let listening = 0;
// A configured site: every name gets its page except a name no site has (`*.invalid`, what the probe asks with
// to find the default server), which gets the default server's 404 — as nginx with a default_server block does.
const handler = (port) => (req, res) => {
  if (/\.invalid(:\d+)?$/i.test(req.headers.host ?? '')) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('no site for this name\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', date: new Date().toUTCString() });
  res.end(`origin ${port} ${req.headers.host ?? ''}\n`);
};
const ready = () => {
  listening++;
  if (listening === total) process.stdout.write('ready\n');
};
for (const port of plainPorts)
  http.createServer(handler(port)).listen({ port, host: '::', ipv6Only: false }, ready);
if (tls) {
  const server = https.createServer({ cert: tls.cert, key: tls.key }, handler(tls.port));
  server.on('tlsClientError', () => undefined);
  server.listen({ port: tls.port, host: '::', ipv6Only: false }, ready);
  const failing = tlsLib.createServer({
    cert: tls.cert,
    key: tls.key,
    maxVersion: 'TLSv1.2',
    ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
  });
  failing.on('tlsClientError', () => undefined);
  failing.listen({ port: TLS_FAIL_PORT, host: '::', ipv6Only: false }, ready);
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
