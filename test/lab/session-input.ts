import type { Endpoint, SessionInput } from '../../shared/model/report';

export const ORIGIN_URL = 'https://203.0.113.7:443';
export const ORIGIN_ENDPOINT: Endpoint = {
  url: ORIGIN_URL,
  scheme: 'https',
  address: '203.0.113.7',
  family: 4,
  port: 443,
};

/** A session input with the defaults the CLI would give, for tests that store or diagnose by hand. */
export function sessionInput(extra: Partial<SessionInput> = {}): SessionInput {
  return {
    domain: null,
    endpoints: [ORIGIN_ENDPOINT],
    dnsServers: [],
    sourceRanges: [],
    provider: null,
    symptom: null,
    sslMode: null,
    timeoutMs: 3000,
    attempts: 4,
    healthPath: '/',
    lang: 'en',
    caFiles: [],
    ...extra,
  };
}
