import type { ProviderConfig } from '../../shared/model/provider-config';
import type { SessionInput } from '../../shared/model/report';
import { addressScope } from '../../shared/net/origin-name';
import { LIMITS } from '../../shared/net/session-input';
import { parseOriginEndpoint, quoteInput, type Parsed } from '../../shared/net/validate';

/**
 * The session with the origins of imported provider configurations added as endpoints (names are resolved like
 * any `--endpoint` name) and the configurations kept with it, so reports and re-tests know their source. Disabled
 * origins are kept in the configuration but not probed; an endpoint already given is not added twice; a private,
 * loopback, link-local or CGNAT address is reported (config.origin_private), not probed, unless --probe-private.
 */
export function withProviderConfigs(
  input: SessionInput,
  configs: readonly ProviderConfig[],
): Parsed<SessionInput> {
  const endpoints = [...input.endpoints];
  const originNames = [...(input.originNames ?? [])];
  const seen = new Set([
    ...endpoints.map((e) => `${e.scheme}|${e.address}|${e.port}`),
    ...originNames.map((o) => `${o.scheme}|${o.name}|${o.port}`),
  ]);
  for (const config of configs)
    for (const origin of config.origins) {
      if (!origin.enabled) continue;
      for (const url of origin.endpoints) {
        const r = parseOriginEndpoint(url);
        if (!r.ok)
          return {
            ok: false,
            error: {
              key: 'input.provider_config_origin',
              params: {
                file: quoteInput(config.file),
                origin: quoteInput(origin.id),
                value: quoteInput(url),
              },
            },
          };
        // The provider's setting, not an address typed here: one it cannot reach is reported, not probed (as for
        // a name), unless --probe-private.
        if (
          r.value.kind === 'address' &&
          addressScope(r.value.endpoint.address) !== 'public' &&
          input.probePrivate !== true
        )
          continue;
        const e = r.value.kind === 'address' ? r.value.endpoint : r.value.origin;
        const key = `${e.scheme}|${r.value.kind === 'address' ? r.value.endpoint.address : r.value.origin.name}|${e.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (r.value.kind === 'address') endpoints.push(r.value.endpoint);
        else originNames.push(r.value.origin);
      }
    }
  if (endpoints.length + originNames.length > LIMITS.endpoints)
    return {
      ok: false,
      error: { key: 'input.too_many', params: { option: '--provider-config', max: LIMITS.endpoints } },
    };
  return {
    ok: true,
    value: {
      ...input,
      endpoints,
      ...(originNames.length > 0 ? { originNames } : {}),
      providerConfigs: [...(input.providerConfigs ?? []), ...configs],
    },
  };
}
