import { describe, expect, test } from 'vitest';
import { rankCauses } from '../../../main/diagnosis/causes';
import type { DiagnosisFacts, FindingDraft } from '../../../main/diagnosis/types';
import { CAUSE_IDS, type CauseId } from '../../../shared/catalog/ids';
import type { Endpoint } from '../../../shared/model/report';
import { sessionInput } from '../../lab/session-input';

// For every cause of the catalog: the least evidence that must produce it (strongly: at least `min`), and a near
// miss — evidence that looks alike — that must not (absent, or no more than a weak mention). Findings here are
// what the probes' findings look like; the lab and protocol tests produce them from real sockets.

const https = (address: string, port = 443): Endpoint => ({
  url: `https://${address.includes(':') ? `[${address}]` : address}:${port}`,
  scheme: 'https',
  address,
  family: address.includes(':') ? 6 : 4,
  port,
});
const http = (address: string, port = 80): Endpoint => ({
  url: `http://${address}:${port}`,
  scheme: 'http',
  address,
  family: 4,
  port,
});
const A = https('203.0.113.7');
const A80 = http('203.0.113.7');
const V6 = https('2001:db8::7');

const f = (
  id: string,
  target: string,
  params: FindingDraft['params'] = {},
  severity?: FindingDraft['severity'],
): FindingDraft => ({
  id,
  target,
  evidence: ['p'],
  params,
  ...(severity ? { severity } : {}),
});

interface Case {
  readonly endpoints: Endpoint[];
  readonly findings: FindingDraft[];
  readonly domain?: string;
}

const facts = (c: Case): DiagnosisFacts => ({
  input: sessionInput({ endpoints: c.endpoints, domain: c.domain ?? null }),
  probes: [],
  providerRanges: ['198.18.200.0/24'],
  providerName: 'Cloudflare',
});

const TABLE: Record<CauseId, { produce: Case; min: number; nearMiss: Case }> = {
  'cause.service_down': {
    produce: { endpoints: [A], findings: [f('tcp.refused', A.url)] },
    min: 0.55,
    nearMiss: { endpoints: [A], findings: [f('tcp.timeout', A.url)] },
  },
  'cause.bound_to_loopback': {
    produce: {
      endpoints: [A],
      findings: [f('tcp.refused', A.url), f('origin.bound_loopback', 'origin', { port: 443 })],
    },
    min: 0.9,
    nearMiss: {
      endpoints: [A],
      findings: [f('tcp.refused', A.url), f('origin.not_listening', 'origin', { port: 443 })],
    },
  },
  'cause.firewall_drop': {
    produce: { endpoints: [A, A80], findings: [f('tcp.timeout', A.url), f('tcp.ok', A80.url)] },
    min: 0.8,
    nearMiss: { endpoints: [A, A80], findings: [f('tcp.ok', A.url), f('tcp.ok', A80.url)] },
  },
  'cause.firewall_reject': {
    produce: {
      endpoints: [A],
      findings: [
        f('tcp.refused', A.url),
        f('capture.icmp_answer', A.url, { from: A.address, name: 'port_unreachable', fromTarget: true }),
      ],
    },
    min: 0.8,
    nearMiss: { endpoints: [A], findings: [f('tcp.timeout', A.url)] },
  },
  'cause.backorigin_not_allowed': {
    produce: {
      endpoints: [A],
      findings: [
        f('tcp.timeout', A.url),
        f('policy.backorigin_not_allowed', 'policy', { ports: '443', outcome: 'drop' }),
      ],
    },
    min: 0.9,
    nearMiss: { endpoints: [A], findings: [f('tcp.timeout', A.url), f('policy.redundant_rule', 'policy')] },
  },
  'cause.policy_conflict': {
    produce: { endpoints: [A], findings: [f('policy.shadowed_rule', 'policy', {}, 'error')] },
    min: 0.75,
    nearMiss: { endpoints: [A], findings: [f('policy.redundant_rule', 'policy')] },
  },
  'cause.routing': {
    produce: { endpoints: [A], findings: [f('local.no_route', A.url), f('tcp.unreachable', A.url)] },
    min: 0.85,
    nearMiss: { endpoints: [A], findings: [f('tcp.refused', A.url)] },
  },
  'cause.dns_misconfigured': {
    produce: { endpoints: [A], domain: 'www.example.com', findings: [f('dns.nxdomain', 'www.example.com')] },
    min: 0.75,
    nearMiss: { endpoints: [A], domain: 'www.example.com', findings: [f('tcp.ok', A.url)] },
  },
  'cause.origin_dns_error': {
    produce: { endpoints: [], findings: [f('dns.origin_name_unresolved', 'https://origin.example.com:443')] },
    min: 0.8,
    // A name that resolves, once per resolver, is nothing to fix.
    nearMiss: { endpoints: [A], findings: [f('dns.origin_name_resolved', 'https://origin.example.com:443')] },
  },
  'cause.origin_private_address': {
    produce: {
      endpoints: [],
      findings: [f('dns.origin_name_private', 'https://origin.example.com:443')],
    },
    min: 0.8,
    nearMiss: {
      endpoints: [A],
      findings: [f('dns.origin_name_changing', 'https://origin.example.com:443')],
    },
  },
  'cause.origin_loop': {
    produce: {
      endpoints: [],
      findings: [f('dns.origin_name_loop', 'https://origin.example.com:443')],
    },
    min: 0.9,
    // The protected domain going through the provider is how it should be; only the origin name must not.
    nearMiss: { endpoints: [A], domain: 'www.example.com', findings: [f('tcp.ok', A.url)] },
  },
  'cause.tls_cert_expired': {
    produce: { endpoints: [A], findings: [f('tls.cert_expired', A.url)] },
    min: 0.85,
    // In full (not strict) mode the provider does not check: a warning for later, not the cause of a 526.
    nearMiss: { endpoints: [A], findings: [f('tls.cert_expiring_soon', A.url)] },
  },
  'cause.tls_chain_incomplete': {
    produce: { endpoints: [A], findings: [f('tls.chain_incomplete', A.url)] },
    min: 0.8,
    nearMiss: { endpoints: [A], findings: [f('tls.chain_incomplete', A.url, {}, 'warn')] },
  },
  'cause.tls_hostname_mismatch': {
    produce: { endpoints: [A], findings: [f('tls.hostname_mismatch', A.url)] },
    min: 0.8,
    nearMiss: { endpoints: [A], findings: [f('tls.hostname_mismatch', A.url, {}, 'warn')] },
  },
  'cause.sni_required': {
    produce: { endpoints: [A], findings: [f('tls.sni_required', A.url)] },
    min: 0.55,
    nearMiss: { endpoints: [A], findings: [f('tls.ok', A.url)] },
  },
  'cause.protocol_port_mismatch': {
    produce: { endpoints: [A], findings: [f('tls.plain_http_on_tls_port', A.url)] },
    min: 0.85,
    nearMiss: { endpoints: [A], findings: [f('tls.handshake_failed', A.url)] },
  },
  'cause.vhost_missing': {
    produce: { endpoints: [A], findings: [f('http.vhost_missing', A.url)] },
    min: 0.8,
    nearMiss: { endpoints: [A], findings: [f('http.4xx', A.url)] },
  },
  'cause.redirect_loop': {
    produce: { endpoints: [A], findings: [f('http.redirect_loop', A.url)] },
    min: 0.85,
    nearMiss: { endpoints: [A], findings: [f('http.ok', A.url)] },
  },
  'cause.rate_limiting': {
    produce: { endpoints: [A], findings: [f('http.rate_limited', A.url)] },
    min: 0.7,
    nearMiss: { endpoints: [A], findings: [f('http.5xx', A.url)] },
  },
  'cause.origin_overloaded': {
    produce: { endpoints: [A], findings: [f('origin.conntrack_full', 'origin')] },
    min: 0.8,
    nearMiss: { endpoints: [A], findings: [f('origin.disk_full', 'origin')] },
  },
  'cause.origin_slow': {
    produce: { endpoints: [A], findings: [f('http.slow_ttfb', A.url)] },
    min: 0.7,
    nearMiss: { endpoints: [A], findings: [f('tcp.high_latency', A.url)] },
  },
  'cause.tls_untrusted': {
    produce: { endpoints: [A], findings: [f('tls.self_signed', A.url)] },
    min: 0.75,
    nearMiss: { endpoints: [A], findings: [f('tls.self_signed', A.url, {}, 'warn')] },
  },
  'cause.tls_handshake_failure': {
    produce: {
      endpoints: [A],
      findings: [
        f('tls.handshake_failed', A.url),
        f('capture.tls_alert', A.url, { name: 'handshake_failure', level: 'fatal', dir: 'in' }),
      ],
    },
    min: 0.75,
    nearMiss: { endpoints: [A], findings: [f('tls.protocol_outdated', A.url)] },
  },
  'cause.origin_app_error': {
    produce: { endpoints: [A], findings: [f('http.5xx', A.url)] },
    min: 0.65,
    nearMiss: { endpoints: [A], findings: [f('http.4xx', A.url)] },
  },
  'cause.h2_broken': {
    produce: { endpoints: [A], findings: [f('http.h2_broken', A.url)] },
    min: 0.65,
    nearMiss: { endpoints: [A], findings: [f('http.ok', A.url)] },
  },
  'cause.ipv6_broken': {
    produce: { endpoints: [A, V6], findings: [f('tcp.ok', A.url), f('tcp.timeout', V6.url)] },
    min: 0.65,
    // Both families failing is not an IPv6 problem.
    nearMiss: { endpoints: [A, V6], findings: [f('tcp.timeout', A.url), f('tcp.timeout', V6.url)] },
  },
  'cause.keepalive_mismatch': {
    produce: { endpoints: [A], findings: [f('origin.keepalive_short', 'origin')] },
    min: 0.45,
    nearMiss: { endpoints: [A], findings: [f('http.ok', A.url)] },
  },
};

/** A weak mention is allowed in a near miss (a cause still worth listing last), a strong one is not. */
const WEAK = 0.45;

describe('every cause: the evidence that produces it, and a near miss that must not', () => {
  test('the table covers every cause of the catalog', () => {
    expect(Object.keys(TABLE).sort()).toEqual([...CAUSE_IDS].sort());
  });
  test.each(CAUSE_IDS.map((id) => [id]))('%s', (id) => {
    const row = TABLE[id];
    const produced = rankCauses(facts(row.produce), row.produce.findings).find((c) => c.id === id);
    expect(produced, `${id} from its evidence`).toBeDefined();
    expect(produced!.confidence).toBeGreaterThanOrEqual(row.min);
    const near = rankCauses(facts(row.nearMiss), row.nearMiss.findings).find((c) => c.id === id);
    expect(near?.confidence ?? 0, `${id} from a near miss`).toBeLessThanOrEqual(WEAK);
  });
});
