// A tiny origin for the namespace lab: an HTTP server on each port given, on every address (IPv4 and IPv6).
// Prints "ready" once all ports listen; exits when stdin closes so it never outlives the test that started it.
import http from 'node:http';

const ports = process.argv.slice(2).map(Number);
let listening = 0;
for (const port of ports) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`origin ${port} ${req.headers.host ?? ''}\n`);
  });
  server.listen({ port, host: '::', ipv6Only: false }, () => {
    listening++;
    if (listening === ports.length) process.stdout.write('ready\n');
  });
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
