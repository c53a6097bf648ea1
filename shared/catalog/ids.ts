/** The stable finding and cause ids of the report contract (DESIGN.md). New ids may be added; none renamed. */

export const LAYERS = ['network', 'protocol', 'policy', 'origin', 'local'] as const;
export type Layer = (typeof LAYERS)[number];

export const SEVERITIES = ['info', 'warn', 'error'] as const;
export type Severity = (typeof SEVERITIES)[number];

interface FindingSpec {
  readonly layer: Layer;
  readonly severity: Severity;
}

/** Every finding id with the layer it belongs to and its default severity. */
export const FINDINGS = {
  'dns.nxdomain': { layer: 'network', severity: 'error' },
  'dns.servfail': { layer: 'network', severity: 'error' },
  'dns.timeout': { layer: 'network', severity: 'warn' },
  'dns.not_via_provider': { layer: 'network', severity: 'warn' },
  'dns.origin_exposed': { layer: 'network', severity: 'warn' },
  'dns.resolver_mismatch': { layer: 'network', severity: 'warn' },
  'dns.refused': { layer: 'network', severity: 'warn' },
  'dns.no_address': { layer: 'network', severity: 'error' },
  'dns.origin_name_resolved': { layer: 'network', severity: 'info' },
  'dns.origin_name_unresolved': { layer: 'network', severity: 'error' },
  'dns.origin_name_lookup_failed': { layer: 'network', severity: 'warn' },
  'dns.origin_name_mismatch': { layer: 'network', severity: 'warn' },
  'dns.origin_name_private': { layer: 'network', severity: 'error' },
  'dns.origin_name_loop': { layer: 'network', severity: 'error' },
  'dns.origin_name_changing': { layer: 'network', severity: 'info' },
  'tcp.ok': { layer: 'network', severity: 'info' },
  'tcp.refused': { layer: 'network', severity: 'error' },
  'tcp.timeout': { layer: 'network', severity: 'error' },
  'tcp.unreachable': { layer: 'network', severity: 'error' },
  'tcp.reset': { layer: 'network', severity: 'error' },
  'tcp.loss': { layer: 'network', severity: 'warn' },
  'tcp.high_latency': { layer: 'network', severity: 'warn' },
  'tcp.error': { layer: 'local', severity: 'error' },
  'path.incomplete': { layer: 'network', severity: 'warn' },
  'path.unavailable': { layer: 'local', severity: 'info' },
  'local.no_route': { layer: 'local', severity: 'error' },
  'tls.ok': { layer: 'protocol', severity: 'info' },
  'tls.handshake_failed': { layer: 'protocol', severity: 'error' },
  'tls.cert_expired': { layer: 'protocol', severity: 'error' },
  'tls.cert_not_yet_valid': { layer: 'protocol', severity: 'error' },
  'tls.cert_expiring_soon': { layer: 'protocol', severity: 'warn' },
  'tls.hostname_mismatch': { layer: 'protocol', severity: 'error' },
  'tls.self_signed': { layer: 'protocol', severity: 'error' },
  'tls.chain_incomplete': { layer: 'protocol', severity: 'error' },
  'tls.untrusted_root': { layer: 'protocol', severity: 'error' },
  'tls.provider_origin_ca': { layer: 'protocol', severity: 'info' },
  'tls.not_publicly_trusted': { layer: 'protocol', severity: 'info' },
  'tls.protocol_outdated': { layer: 'protocol', severity: 'warn' },
  'tls.sni_required': { layer: 'protocol', severity: 'warn' },
  'tls.ct_revocation': { layer: 'protocol', severity: 'info' },
  'tls.plain_http_on_tls_port': { layer: 'protocol', severity: 'error' },
  'http.ok': { layer: 'protocol', severity: 'info' },
  'http.5xx': { layer: 'protocol', severity: 'error' },
  'http.4xx': { layer: 'protocol', severity: 'warn' },
  'http.vhost_missing': { layer: 'protocol', severity: 'error' },
  'http.vhost_catch_all': { layer: 'protocol', severity: 'warn' },
  'http.redirect_loop': { layer: 'protocol', severity: 'error' },
  'http.slow_ttfb': { layer: 'protocol', severity: 'warn' },
  'http.rate_limited': { layer: 'protocol', severity: 'warn' },
  'http.empty_reply': { layer: 'protocol', severity: 'error' },
  'http.reset': { layer: 'protocol', severity: 'error' },
  'http.tls_on_plain_port': { layer: 'protocol', severity: 'error' },
  'http.h2_broken': { layer: 'protocol', severity: 'warn' },
  'policy.backorigin_blocked': { layer: 'policy', severity: 'error' },
  'policy.backorigin_not_allowed': { layer: 'policy', severity: 'error' },
  'policy.conflict': { layer: 'policy', severity: 'warn' },
  'policy.shadowed_rule': { layer: 'policy', severity: 'warn' },
  'policy.redundant_rule': { layer: 'policy', severity: 'info' },
  'policy.overly_permissive': { layer: 'policy', severity: 'warn' },
  'policy.rate_limit_backorigin': { layer: 'policy', severity: 'warn' },
  'policy.real_ip_denies_visitors': { layer: 'policy', severity: 'error' },
  'policy.undecided': { layer: 'policy', severity: 'warn' },
  'policy.unreadable': { layer: 'policy', severity: 'warn' },
  'origin.not_listening': { layer: 'origin', severity: 'error' },
  'origin.listeners_unread': { layer: 'origin', severity: 'warn' },
  'origin.bound_loopback': { layer: 'origin', severity: 'error' },
  'origin.conntrack_full': { layer: 'origin', severity: 'error' },
  'origin.listen_overflow': { layer: 'origin', severity: 'warn' },
  'origin.fd_exhaustion': { layer: 'origin', severity: 'error' },
  'origin.disk_full': { layer: 'origin', severity: 'error' },
  'origin.memory_pressure': { layer: 'origin', severity: 'warn' },
  'origin.upstream_errors': { layer: 'origin', severity: 'warn' },
  'origin.limiting_requests': { layer: 'origin', severity: 'warn' },
  'origin.keepalive_short': { layer: 'origin', severity: 'warn' },
  'mgmt.ssh_answered': { layer: 'protocol', severity: 'info' },
  'mgmt.ssh_outdated': { layer: 'protocol', severity: 'warn' },
  'mgmt.no_answer': { layer: 'network', severity: 'info' },
  'mgmt.rdp_answered': { layer: 'protocol', severity: 'info' },
  'mgmt.rdp_no_nla': { layer: 'protocol', severity: 'warn' },
  'mgmt.open_to_world': { layer: 'policy', severity: 'warn' },
  'local.proxy_set': { layer: 'local', severity: 'info' },
  'local.route_detour': { layer: 'local', severity: 'info' },
  'vantage.rules_block_this_machine': { layer: 'local', severity: 'warn' },
  'vantage.symptom_mismatch': { layer: 'network', severity: 'warn' },
  'origin.route_swallows_provider': { layer: 'origin', severity: 'warn' },
  'local.clock_skew': { layer: 'local', severity: 'warn' },
  'capture.unavailable': { layer: 'local', severity: 'info' },
  'capture.syn_unanswered': { layer: 'network', severity: 'info' },
  'capture.rst_answer': { layer: 'network', severity: 'info' },
  'capture.icmp_answer': { layer: 'network', severity: 'info' },
  'capture.tls_alert': { layer: 'protocol', severity: 'info' },
  'watch.stable': { layer: 'network', severity: 'info' },
  'watch.always_failing': { layer: 'network', severity: 'error' },
  'watch.intermittent': { layer: 'network', severity: 'warn' },
  'watch.bursts': { layer: 'network', severity: 'warn' },
  'watch.recovering': { layer: 'network', severity: 'warn' },
  'watch.started_failing': { layer: 'network', severity: 'error' },
} as const satisfies Record<string, FindingSpec>;

export type FindingId = keyof typeof FINDINGS;
export const FINDING_IDS = Object.keys(FINDINGS) as FindingId[];

/** Every cause id; the diagnosis engine ranks these. */
export const CAUSE_IDS = [
  'cause.service_down',
  'cause.bound_to_loopback',
  'cause.firewall_drop',
  'cause.firewall_reject',
  'cause.backorigin_not_allowed',
  'cause.policy_conflict',
  'cause.routing',
  'cause.dns_misconfigured',
  'cause.origin_dns_error',
  'cause.origin_private_address',
  'cause.origin_loop',
  'cause.tls_cert_expired',
  'cause.tls_chain_incomplete',
  'cause.tls_hostname_mismatch',
  'cause.sni_required',
  'cause.protocol_port_mismatch',
  'cause.vhost_missing',
  'cause.redirect_loop',
  'cause.rate_limiting',
  'cause.origin_overloaded',
  'cause.origin_slow',
  'cause.tls_untrusted',
  'cause.tls_handshake_failure',
  'cause.origin_app_error',
  'cause.h2_broken',
  'cause.ipv6_broken',
  'cause.keepalive_mismatch',
] as const;

export type CauseId = (typeof CAUSE_IDS)[number];

/** True when `id` is a finding id this version knows. */
export function isFindingId(id: string): id is FindingId {
  return Object.prototype.hasOwnProperty.call(FINDINGS, id);
}
