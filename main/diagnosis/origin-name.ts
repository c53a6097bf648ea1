import type { CauseId } from '../../shared/catalog/ids';
import { addressScope, originViews, SHORT_TTL_S, type OriginNameView } from '../../shared/net/origin-name';
import { parseIpLiteral } from '../../shared/net/validate';
import { guardStep, safe } from './shell';
import type { DiagnosisFacts, FindingDraft, FixDraft } from './types';

/**
 * Findings about origin endpoints given by name: what the provider gets when it resolves the name. The target is
 * the endpoint as given (`https://origin.example.com:443`); the addresses probed for it carry their own findings.
 */
export function originNameFindings(facts: DiagnosisFacts): FindingDraft[] {
  return [
    ...originViews(facts.input, facts.probes, facts.providerRanges).flatMap((v) => findingsOf(v, facts)),
    ...configFindings(facts),
  ];
}

/** Origins of a `--provider-config` file at an address the provider cannot reach over the Internet. */
function configFindings(facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  for (const config of facts.input.providerConfigs ?? [])
    for (const origin of config.origins) {
      if (!origin.enabled) continue;
      const scope = parseIpLiteral(origin.host).ok ? addressScope(origin.host) : 'public';
      if (scope === 'public') continue;
      out.push({
        id: 'config.origin_private',
        target: origin.endpoints[0] ?? origin.host,
        evidence: [],
        params: {
          file: config.file,
          origin: origin.id,
          address: `${origin.host} (${scope})`,
          ...(facts.input.probePrivate === true ? { context: 'probed' } : {}),
        },
      });
    }
  return out;
}

const answersOf = (v: OriginNameView): string =>
  v.lookups
    .map((l) => `${l.data.server}: ${l.data.outcome === 'ok' ? l.data.addresses.join(' ') : l.data.outcome}`)
    .join('; ');

function findingsOf(v: OriginNameView, facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  const target = v.origin.url;
  const name = v.origin.name;
  const all = v.lookups.map((l) => l.probeId);
  if (v.lookups.length === 0) return out;
  if (v.answered.length === 0) {
    // A definite "no such name" from any resolver, with none answering, is a name the provider cannot use. When
    // every resolver failed to say, whether the name resolves is unknown, and the finding says only that.
    out.push({
      id: v.negative.length > 0 ? 'dns.origin_name_unresolved' : 'dns.origin_name_lookup_failed',
      target,
      evidence: all,
      params: { name, answers: answersOf(v), timeoutMs: facts.input.timeoutMs },
    });
  }
  if (v.mismatch)
    out.push({
      id: 'dns.origin_name_mismatch',
      target,
      evidence: all,
      params: { name, answers: answersOf(v) },
    });
  const evidenceOf = (address: string): string[] =>
    v.answered.filter((l) => l.data.addresses.includes(address)).map((l) => l.probeId);
  const unreachable = v.addresses.filter((a) => a.scope !== 'public');
  if (unreachable.length > 0)
    out.push({
      id: 'dns.origin_name_private',
      target,
      evidence: [...new Set(unreachable.flatMap((a) => evidenceOf(a.address)))],
      params: {
        name,
        addresses: unreachable.map((a) => `${a.address} (${a.scope})`).join(', '),
        ...(facts.input.probePrivate === true ? { context: 'probed' } : {}),
      },
    });
  const inRanges = v.addresses.filter((a) => a.provider !== null);
  if (v.loopNames.length > 0 || inRanges.length > 0)
    out.push({
      id: 'dns.origin_name_loop',
      target,
      evidence: all,
      params: {
        name,
        via: [...v.loopNames, ...inRanges.map((a) => `${a.address} (${a.provider})`)].join(', '),
        chain: [name, ...(v.answered[0]?.data.cnameChain ?? [])].join(' -> '),
      },
    });
  if (v.answered.length > 0) {
    const probed = v.addresses.filter((a) => a.probe);
    const left = v.addresses.filter((a) => !a.probe);
    out.push({
      id: 'dns.origin_name_resolved',
      target,
      evidence: v.answered.map((l) => l.probeId),
      params: {
        name,
        probed: probed.map((a) => a.address).join(', ') || '-',
        notProbed: left.map((a) => a.address).join(', ') || '-',
        resolvers: v.answered.map((l) => l.data.server).join(', '),
        ...(left.length > 0 ? { context: 'partial' } : {}),
      },
    });
  }
  // A short TTL over several answers is a load balancer handing out addresses in turn: the provider connects to
  // whichever it got last, so each one was probed and any of them failing fails some requests.
  if (v.minTtl !== null && v.minTtl <= SHORT_TTL_S && (v.addresses.length > 1 || v.mismatch))
    out.push({
      id: 'dns.origin_name_changing',
      target,
      evidence: v.answered.map((l) => l.probeId),
      params: { name, ttl: v.minTtl, count: v.addresses.length },
    });
  return out;
}

/** Cause support from origin-name findings: which finding makes which cause how likely, and why. */
export const ORIGIN_NAME_SUPPORT: Record<string, [CauseId, number][]> = {
  // The provider looks the name up the same way: no address, no back-to-origin connection (Cloudflare 530 / 1016).
  'dns.origin_name_unresolved': [['cause.origin_dns_error', 0.85]],
  // Resolvers that did not answer: the provider's may, or may not — a weak reason, said as such.
  'dns.origin_name_lookup_failed': [['cause.origin_dns_error', 0.4]],
  'dns.origin_name_mismatch': [['cause.origin_dns_error', 0.35]],
  // An address only the customer's own network reaches: the provider's edge connects into nothing.
  'dns.origin_name_private': [['cause.origin_private_address', 0.85]],
  'config.origin_private': [['cause.origin_private_address', 0.85]],
  // The origin is the provider itself: each back-to-origin request comes back in as a visitor request (a loop).
  'dns.origin_name_loop': [['cause.origin_loop', 0.95]],
};

/** Check and fix steps for the origin-name causes, with the session's names in the commands. */
export function originNameFixes(id: CauseId, facts: DiagnosisFacts): { checks: FixDraft[]; fix: FixDraft[] } {
  const names = [...new Set((facts.input.originNames ?? []).map((o) => o.name))];
  const checks = names.flatMap((name) =>
    guardStep({
      key: 'check.dig_origin',
      params: { name },
      env: 'dig',
      command: () => {
        const n = safe('domain', name);
        return `dig +noall +answer ${n} A\ndig +noall +answer ${n} AAAA`;
      },
    }),
  );
  const domain = facts.input.domain ?? '';
  const list = names.join(', ');
  switch (id) {
    case 'cause.origin_dns_error':
      return { checks, fix: [{ key: 'fix.origin_name_record', params: { names: list } }] };
    case 'cause.origin_private_address':
      return { checks, fix: [{ key: 'fix.origin_name_public', params: { names: list } }] };
    default:
      return { checks, fix: [{ key: 'fix.origin_loop', params: { names: list, domain } }] };
  }
}
