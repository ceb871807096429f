import type { Config } from '../config/schema.js';
import type { CredentialProvider } from '../credentials/types.js';
import type { RefreshSource } from './RefreshCoordinator.js';

/** The refresh coordinator's view of a provider: a stable id, the endpoint its breaker guards, a fetch. */
export function refreshSourceFor(config: Config, provider: CredentialProvider): RefreshSource {
  const o = config.auth.oauth2;
  const [id, endpoint] =
    provider.name === 'oauth2'
      ? [`oauth2:${o.client_id}@${o.token_url}`, o.token_url ?? 'oauth2']
      : provider.name === 'helper'
        ? ['helper', 'helper']
        : [provider.name, provider.name];
  return { id, endpoint, fetch: ({ force }) => provider.getCredential({ forceRefresh: force }) };
}
