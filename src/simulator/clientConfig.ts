import type { Config } from '../config/schema.js';
import type { Simulator } from './types.js';

/**
 * `config` with `[auth]` pointed at the simulator's OAuth 2.0 server as client `clientId`: the
 * refresh_token grant, tokens sent as `Authorization: Bearer`. Everything else is kept.
 */
export function simulatorOAuthConfig(
  config: Config,
  sim: Pick<Simulator, 'tokenUrl' | 'authorizeUrl'>,
  clientId: string,
): Config {
  return {
    ...config,
    auth: {
      ...config.auth,
      provider: 'oauth2',
      oauth2: {
        ...config.auth.oauth2,
        token_url: sim.tokenUrl,
        authorize_url: sim.authorizeUrl,
        client_id: clientId,
        grant: 'refresh_token',
        inject_as: 'authorization',
      },
    },
  };
}
