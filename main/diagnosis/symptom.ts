import type { CauseId } from '../../shared/catalog/ids';
import type { Symptom } from '../../shared/model/report';

/**
 * What the customer sees, as priors on causes: the provider's error code already says which branch of the
 * method failed (KNOWLEDGE.md: 521 refused, 522 silence, 523 no route, 524 slow, 525 handshake, 526 certificate,
 * 520 empty or odd reply; the Chinese clouds' 502 / 504 cover the same ground). Causes the symptom points at rank
 * higher; the evidence still decides which of them is true.
 */
export const SYMPTOM_CAUSES: Record<Symptom, readonly CauseId[]> = {
  '520': ['cause.origin_overloaded', 'cause.h2_broken', 'cause.origin_app_error', 'cause.keepalive_mismatch'],
  '521': [
    'cause.service_down',
    'cause.firewall_reject',
    'cause.bound_to_loopback',
    'cause.protocol_port_mismatch',
    'cause.rate_limiting',
  ],
  '522': ['cause.firewall_drop', 'cause.backorigin_not_allowed', 'cause.origin_overloaded', 'cause.routing'],
  '523': ['cause.routing', 'cause.dns_misconfigured'],
  '524': ['cause.origin_slow', 'cause.origin_overloaded'],
  '525': ['cause.tls_handshake_failure', 'cause.sni_required', 'cause.protocol_port_mismatch'],
  '526': [
    'cause.tls_cert_expired',
    'cause.tls_chain_incomplete',
    'cause.tls_hostname_mismatch',
    'cause.tls_untrusted',
  ],
  '502': [
    'cause.service_down',
    'cause.firewall_drop',
    'cause.firewall_reject',
    'cause.backorigin_not_allowed',
    'cause.tls_handshake_failure',
    'cause.protocol_port_mismatch',
    'cause.sni_required',
    'cause.rate_limiting',
  ],
  '504': [
    'cause.firewall_drop',
    'cause.backorigin_not_allowed',
    'cause.origin_slow',
    'cause.origin_overloaded',
  ],
  refused: ['cause.service_down', 'cause.firewall_reject', 'cause.bound_to_loopback'],
  timeout: [
    'cause.firewall_drop',
    'cause.backorigin_not_allowed',
    'cause.origin_slow',
    'cause.origin_overloaded',
  ],
  tls: [
    'cause.tls_handshake_failure',
    'cause.tls_cert_expired',
    'cause.tls_chain_incomplete',
    'cause.tls_hostname_mismatch',
    'cause.tls_untrusted',
    'cause.sni_required',
    'cause.protocol_port_mismatch',
  ],
};

/** How much closer to certainty a cause the symptom points at moves: a fifth of the way. */
export const SYMPTOM_WEIGHT = 0.2;

/** The confidence of a cause once the symptom is taken into account. */
export function withSymptom(
  cause: CauseId,
  confidence: number,
  symptom: Symptom | null,
): { confidence: number; matches: boolean } {
  if (!symptom || !SYMPTOM_CAUSES[symptom].includes(cause)) return { confidence, matches: false };
  return { confidence: confidence + (1 - confidence) * SYMPTOM_WEIGHT, matches: true };
}
