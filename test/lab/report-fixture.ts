import type { Report } from '../../shared/model/report';
import { runPolicy } from '../../main/policy';

/** A stored-looking session for report tests: every kind of probe, findings in several layers, two causes. */
export function sampleReport(evil = ''): Report {
  const at = '2026-11-28T08:00:00.000Z';
  const url = 'https://203.0.113.7:443';
  return {
    schemaVersion: 1,
    tool: { name: 'origin-doctor', version: '0.1.0' },
    session: {
      id: '11111111-2222-4333-8444-555555555555',
      createdAt: at,
      finishedAt: '2026-11-28T08:00:03.200Z',
      input: {
        domain: 'www.example.com',
        endpoints: [{ url, scheme: 'https', address: '203.0.113.7', family: 4, port: 443 }],
        dnsServers: [],
        sourceRanges: ['173.245.48.0/20'],
        provider: 'cloudflare',
        symptom: '526',
        sslMode: 'strict',
        timeoutMs: 3000,
        attempts: 4,
        healthPath: '/',
        lang: 'en',
        caFiles: [],
      },
      environment: {
        os: 'linux',
        release: '6.1',
        arch: 'x64',
        node: '20.20.2',
        root: false,
        host: `laptop ${evil}`,
      },
    },
    probes: [
      {
        id: 'tcp-1',
        kind: 'tcp',
        target: url,
        startedAt: at,
        durationMs: 620,
        status: 'ok',
        data: {
          address: '203.0.113.7',
          port: 443,
          family: 4,
          url,
          attempts: [1, 2, 3, 4].map((seq) => ({ seq, outcome: 'connected', ms: 10 + seq, code: null })),
          stats: { sent: 4, connected: 4, lossPct: 0, minMs: 11, avgMs: 12.5, maxMs: 14, stddevMs: 1.1 },
        },
        raw: 'seq=1 203.0.113.7:443 connected 11.000 ms',
      },
      {
        id: 'tls-1',
        kind: 'tls',
        target: url,
        startedAt: '2026-11-28T08:00:00.100Z',
        durationMs: 90,
        status: 'fail',
        // What the probe records for an expired leaf: the session's findings and causes are re-derived from it.
        data: expiredTls(url, `CN=www.example.com ${evil}`),
        raw: `0: s=CN=www.example.com ${evil} | i=CN=Test CA`,
      },
      {
        id: 'http-1',
        kind: 'http',
        target: url,
        startedAt: '2026-11-28T08:00:00.050Z',
        durationMs: 140,
        status: 'ok',
        data: {
          url,
          address: '203.0.113.7',
          port: 443,
          scheme: 'https',
          domain: 'www.example.com',
          path: '/',
          redirectLoop: 'none',
          foreignHost: null,
          h2: 'ok',
          h2Error: null,
          keepAliveTimeoutS: 5,
          clockSkewS: 0,
          chain: [
            {
              url: 'https://www.example.com/',
              host: 'www.example.com',
              outcome: 'response',
              code: null,
              status: 200,
              headers: { server: `nginx ${evil}` },
              bodySample: 'ok',
              bodyBytes: 2,
              timing: { connectMs: 12, tlsMs: 40, ttfbMs: 95, totalMs: 101 },
              httpVersion: '1.1',
            },
          ],
        },
        raw: `GET https://www.example.com/ → 200 server: nginx ${evil}`,
      },
      {
        id: 'trace-1',
        kind: 'trace',
        target: '203.0.113.7',
        startedAt: at,
        durationMs: 1200,
        status: 'ok',
        data: {
          target: '203.0.113.7',
          tool: 'traceroute',
          toolPath: '/usr/sbin/traceroute',
          args: [],
          problem: null,
          exitCode: 0,
          reached: true,
          lastResponder: '203.0.113.7',
          lastResponderTtl: 3,
          stopAnnotation: null,
          hops: [
            { ttl: 1, probes: [{ address: '192.168.1.1', rttMs: 0.4, annotation: null }] },
            { ttl: 2, probes: [{ address: null, rttMs: null, annotation: null }] },
            { ttl: 3, probes: [{ address: '203.0.113.7', rttMs: 12.4, annotation: null }] },
          ],
        },
        raw: ' 1  192.168.1.1  0.4 ms\n 2  *\n 3  203.0.113.7  12.4 ms',
      },
    ],
    findings: [
      {
        id: 'tls.cert_expired',
        severity: 'error',
        layer: 'protocol',
        target: url,
        message: 'expired',
        evidence: ['tls-1'],
        params: {
          subject: `CN=www.example.com ${evil}`,
          position: 0,
          detail: '2026-11-01T00:00:00.000Z',
          domain: 'www.example.com',
          providerError: '526',
        },
      },
      {
        id: 'http.ok',
        severity: 'info',
        layer: 'protocol',
        target: url,
        message: 'ok',
        evidence: ['http-1'],
        params: { path: '/', host: 'www.example.com', status: 200, ttfbMs: 95 },
      },
      {
        id: 'tcp.ok',
        severity: 'info',
        layer: 'network',
        target: url,
        message: 'ok',
        evidence: ['tcp-1'],
        params: { address: '203.0.113.7', port: 443, sent: 4, connected: 4, lossPct: 0, avgMs: 12.5 },
      },
    ],
    causes: [
      {
        id: 'cause.tls_cert_expired',
        confidence: 0.9,
        targets: [url],
        targetConfidence: { [url]: 0.9 },
        findings: ['tls.cert_expired'],
        summary: 'expired',
        params: { targets: url, domain: 'www.example.com' },
        checks: [
          {
            key: 'check.openssl_chain',
            params: {},
            text: 'look',
            command:
              'openssl s_client -connect 203.0.113.7:443 -servername www.example.com -showcerts </dev/null',
            env: 'openssl',
          },
        ],
        fix: [
          {
            key: 'fix.renew_certbot',
            params: {},
            text: 'renew',
            command: 'certbot renew --cert-name www.example.com',
            env: 'certbot',
          },
        ],
      },
    ],
    verdict: 'broken',
  };
}

/**
 * The same session with a policy step: a real analysis of a pasted iptables-save whose comment carries `evil`,
 * so untrusted rule text reaches every renderer the way a customer's paste would.
 */
export function withPolicy(report: Report, evil = ''): Report {
  const text = [
    '*filter',
    ':INPUT DROP [0:0]',
    `-A INPUT -s 173.245.48.0/21 -p tcp -m tcp --dport 443 -m comment --comment "${evil}" -j DROP`,
    '-A INPUT -s 173.245.48.0/20 -p tcp -m tcp --dport 443 -j ACCEPT',
    'COMMIT',
    '',
  ].join('\n');
  const run = runPolicy(
    {
      endpoints: report.session.input.endpoints,
      policies: [{ name: 'pasted.rules', format: null, text }],
      provider: 'Cloudflare',
    },
    ['173.245.48.0/20', '103.21.244.0/22'],
    () => 0,
  );
  if (!run.ok) throw new Error(JSON.stringify(run.error));
  return {
    ...report,
    session: {
      ...report.session,
      input: { ...report.session.input, policies: [{ name: 'pasted.rules', format: null, text }] },
    },
    probes: [
      ...report.probes,
      {
        id: 'policy-1',
        kind: 'policy',
        target: 'pasted.rules',
        startedAt: report.session.createdAt,
        durationMs: 2,
        status: 'fail',
        data: { ...run.data },
        raw: text,
      },
    ],
  };
}

/** A TLS probe's data for a handshake that completed with an expired leaf (valid until 2026-11-01). */
function expiredTls(url: string, subject: string): Record<string, unknown> {
  const attempt = {
    servername: 'www.example.com',
    outcome: 'ok',
    code: null,
    alert: null,
    ms: 40,
    version: 'TLSv1.3',
    cipher: 'TLS_AES_128_GCM_SHA256',
    alpn: 'h2',
    leafSha256: 'AA',
    leafCoversDomain: true,
  };
  const leaf = {
    subject,
    issuer: 'CN=Test CA',
    sans: ['www.example.com'],
    validFrom: '2025-11-01T00:00:00.000Z',
    validTo: '2026-11-01T00:00:00.000Z',
    keyType: 'ec',
    keyBits: null,
    curve: 'prime256v1',
    signatureAlgorithm: 'ecdsa-with-SHA256',
    sha256: 'AA',
    sha1: 'BB',
    serial: '01',
    isCa: false,
    selfIssued: false,
    aiaIssuerUrl: null,
    ocspUrl: null,
    der: '',
  };
  return {
    address: '203.0.113.7',
    port: 443,
    url,
    domain: 'www.example.com',
    main: attempt,
    noSni: attempt,
    foreignSni: attempt,
    versions: {},
    chain: [leaf],
    problems: [{ kind: 'expired', index: 0, detail: '2026-11-01T00:00:00.000Z' }],
    ocspStapled: null,
  };
}
