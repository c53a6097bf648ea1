import { findProvider } from '../catalog/providers';
import { parseCidr, parseEndpoint } from './validate';

/**
 * The command the Origin step asks the customer's ops team to run on the origin server: `origin-check --observe`
 * with the session's provider, ranges and ports filled in. Only values that validate go in (a known provider id,
 * CIDRs, ports of parsed endpoints), so nothing typed into the form can smuggle shell syntax into a command meant
 * to be pasted into a root shell. Null when there is nothing to tell the provider's addresses by.
 */
export function observeCommand(opts: {
  readonly provider: string;
  readonly ranges: readonly string[];
  readonly endpoints: readonly string[];
  readonly seconds?: number;
}): string | null {
  const provider = opts.provider ? findProvider(opts.provider)?.id : undefined;
  const ranges = [
    ...new Set(
      opts.ranges.flatMap((r) => {
        const c = parseCidr(r.trim());
        return c.ok ? [c.value] : [];
      }),
    ),
  ];
  if (!provider && ranges.length === 0) return null;
  const ports = [
    ...new Set(
      opts.endpoints.flatMap((e) => {
        const p = parseEndpoint(e.trim());
        return p.ok ? [p.value.port] : [];
      }),
    ),
  ].sort((a, b) => a - b);
  return [
    'sudo origin-doctor origin-check',
    `--observe ${opts.seconds ?? 60}`,
    ...(provider ? [`--provider ${provider}`] : []),
    ...ranges.map((r) => `--source-range ${r}`),
    ...(ports.length ? ports : [80, 443]).map((p) => `--port ${p}`),
    '--json origin.json',
  ].join(' ');
}
