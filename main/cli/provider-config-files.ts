import type { SessionInput } from '../../shared/model/report';
import { parseProviderConfig } from '../provider-config/parse';
import { withProviderConfigs } from '../provider-config/apply';
import { UsageError } from './args';
import { readTextFile } from './ca-files';

const OPTION = '--provider-config';

/**
 * Reads `--provider-config` files (CloudFront, Cloudflare pools / monitors JSON) into the session: their origins
 * join the endpoints, the files' settings are kept with the input. A file that cannot be used stops the run with
 * one line naming the file and, for a field, its JSON path.
 */
export function readProviderConfigs(input: SessionInput, files: readonly string[]): SessionInput {
  const configs = files.map((file) => {
    const r = parseProviderConfig(readTextFile(file, OPTION), file, input.sslMode);
    if (!r.ok) throw new UsageError({ key: r.error.key, params: { ...r.error.params, option: OPTION } });
    return r.value;
  });
  const applied = withProviderConfigs(input, configs);
  if (!applied.ok)
    throw new UsageError({ key: applied.error.key, params: { ...applied.error.params, option: OPTION } });
  const v = applied.value;
  if (!v.domain && v.endpoints.length === 0 && (v.originNames ?? []).length === 0)
    throw new UsageError({ key: 'input.nothing_to_do', params: { option: OPTION } });
  return v;
}
