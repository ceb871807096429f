import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { PROVIDERS, type ProviderName } from '../../config/schema.js';
import { loopbackLogin } from '../../credentials/oauth2/login.js';
import { OAuth2Provider } from '../../credentials/oauth2/provider.js';
import { isSubscriptionToken } from '../../credentials/policy.js';
import { oauthEntryId } from '../../credentials/store.js';
import { describeSecret } from '../../credentials/types.js';
import { ClaudeAuthError } from '../../errors.js';
import { action, printJson } from '../action.js';
import { type CliContext, cliContext, readSecretFromStdin, withConfigOption } from '../context.js';

interface LoginOptions {
  config?: string;
  provider?: string;
  apiKeyStdin?: boolean;
  tokenStdin?: boolean;
  refreshTokenStdin?: boolean;
  browser: boolean;
  verify: boolean;
  json?: boolean;
}

export function registerLogin(program: Command): void {
  withConfigOption(
    program
      .command('login')
      .description(
        'store a credential: an API key, a `claude setup-token` token, or OAuth 2.0 tokens from your own identity provider',
      )
      .option('--provider <name>', `one of ${PROVIDERS.join(', ')} (default: [auth] provider)`)
      .option('--api-key-stdin', 'api_key: read the API key from stdin')
      .option('--token-stdin', 'claude_code_token: read the `claude setup-token` token from stdin')
      .option(
        '--refresh-token-stdin',
        'oauth2: read a refresh token obtained elsewhere from stdin (headless hosts)',
      )
      .option('--no-browser', 'oauth2: print the login URL without opening a browser')
      .option('--no-verify', 'oauth2: store a piped refresh token without trading it for an access token')
      .option('--json', 'print the result as JSON'),
  ).action(
    action(async (opts: LoginOptions) => {
      const ctx = cliContext(opts);
      const provider = parseProvider(opts.provider ?? ctx.config.auth.provider);
      const message = await login(ctx, provider, opts);
      const note =
        provider !== ctx.config.auth.provider
          ? ` Note: the config uses provider "${ctx.config.auth.provider}"; set [auth] provider = "${provider}" to use this one.`
          : '';
      if (opts.json) printJson({ provider, stored: true, store: ctx.store.path, message });
      else process.stdout.write(`${message}${note}\n`);
      return 0;
    }),
  );
}

function parseProvider(name: string): ProviderName {
  if ((PROVIDERS as readonly string[]).includes(name)) return name as ProviderName;
  throw new ClaudeAuthError('usage', `--provider must be one of ${PROVIDERS.join(', ')}, got "${name}"`);
}

async function login(ctx: CliContext, provider: ProviderName, opts: LoginOptions): Promise<string> {
  switch (provider) {
    case 'api_key': {
      if (!opts.apiKeyStdin)
        throw new ClaudeAuthError('usage', 'login --provider api_key needs --api-key-stdin', {
          hint: 'Example: pbpaste | claude-auth login --provider api_key --api-key-stdin',
        });
      const key = await readSecretFromStdin('Anthropic API key');
      checkSecretShape(key, 'API key');
      if (isSubscriptionToken(key)) {
        throw new ClaudeAuthError(
          'policy_violation',
          'that is a Claude subscription token (sk-ant-oat…), not an API key',
          {
            hint: 'Store it with `claude-auth login --provider claude_code_token --token-stdin`.',
          },
        );
      }
      await ctx.store.update((d) => {
        d.api_key = { ...d.api_key, key, saved_at: Date.now() };
      });
      return `Stored the API key ${describeSecret(key)} in ${ctx.store.path}.`;
    }
    case 'claude_code_token': {
      if (!opts.tokenStdin)
        throw new ClaudeAuthError('usage', 'login --provider claude_code_token needs --token-stdin', {
          hint: 'Example: claude setup-token, then paste its token into: claude-auth login --provider claude_code_token --token-stdin',
        });
      const token = await readSecretFromStdin('`claude setup-token` token');
      checkSecretShape(token, 'token');
      if (!isSubscriptionToken(token)) {
        throw new ClaudeAuthError(
          'usage',
          'that does not look like a `claude setup-token` token (they start with sk-ant-oat)',
          {
            hint: 'For an API key use `claude-auth login --provider api_key --api-key-stdin`.',
          },
        );
      }
      await ctx.store.update((d) => {
        d.claude_code_token = { ...d.claude_code_token, token, saved_at: Date.now() };
      });
      return `Stored the Claude Code token ${describeSecret(token)} in ${ctx.store.path}. It is only handed to official \`claude\` agents (claude-auth env --mode direct).`;
    }
    case 'helper': {
      const credential = await ctx.provider().getCredential({ forceRefresh: true });
      return `The helper works: it printed ${describeSecret(credential.secret)}. Nothing is stored; it runs again every ${ctx.config.auth.helper.ttl_ms} ms.`;
    }
    case 'oauth2':
      return loginOAuth2(ctx, opts);
  }
}

async function loginOAuth2(ctx: CliContext, opts: LoginOptions): Promise<string> {
  const oauthConfig = ctx.config.auth.oauth2;
  const provider = new OAuth2Provider(oauthConfig, ctx.store);
  const id = oauthEntryId(oauthConfig.token_url as string, oauthConfig.client_id as string);
  if (oauthConfig.grant === 'client_credentials') {
    const credential = await provider.getCredential({ forceRefresh: true });
    return `Client credentials work: got an access token valid until ${expiry(credential.expiresAt)}; stored in ${ctx.store.path}.`;
  }
  let tokens: Parameters<OAuth2Provider['merge']>[1];
  if (opts.refreshTokenStdin) {
    const refreshToken = await readSecretFromStdin('refresh token');
    checkSecretShape(refreshToken, 'refresh token');
    await ctx.store.update((d) => {
      const {
        reauth_required: _,
        access_token: _a,
        expires_at: _e,
        ...rest
      } = d.oauth2?.[id] ?? {
        token_url: oauthConfig.token_url as string,
        client_id: oauthConfig.client_id as string,
        grant: oauthConfig.grant,
      };
      (d.oauth2 ??= {})[id] = { ...rest, refresh_token: refreshToken };
    });
    if (!opts.verify) return `Stored the refresh token in ${ctx.store.path}; it is used on first need.`;
    const credential = await provider.getCredential({ forceRefresh: true });
    return `Logged in: the refresh token works; access token valid until ${expiry(credential.expiresAt)}; stored in ${ctx.store.path}.`;
  } else {
    tokens = await loopbackLogin({
      config: oauthConfig,
      env: process.env,
      now: Date.now,
      onAuthorizeUrl: (url) => {
        process.stderr.write(
          `Open this URL in a browser to log in:\n\n  ${url}\n\nWaiting for the redirect…\n`,
        );
        if (opts.browser) openBrowser(url);
      },
    });
  }
  const entry = await ctx.store.update((d) => {
    const entries = (d.oauth2 ??= {});
    entries[id] = provider.merge(entries[id], tokens);
    return entries[id];
  });
  return `Logged in; access token valid until ${expiry(entry?.expires_at ?? null)}; tokens stored in ${ctx.store.path}.`;
}

function expiry(at: number | null | undefined): string {
  return at ? new Date(at).toISOString() : '(the server gave no expiry)';
}

function checkSecretShape(secret: string, what: string): void {
  if (!secret)
    throw new ClaudeAuthError('usage', `no ${what} on stdin`, { hint: `Pipe the ${what} into the command.` });
  if (/\s/.test(secret)) throw new ClaudeAuthError('usage', `the ${what} on stdin contains white space`);
}

function openBrowser(url: string): void {
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY && process.platform === 'linux') return;
  const opener =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    spawn(opener, [url], { stdio: 'ignore', detached: true })
      .on('error', () => undefined)
      .unref();
  } catch {
    // the URL is printed; a person can open it
  }
}
