import { createHash, randomBytes } from 'node:crypto';

/**
 * One login: every refresh and access token descended from it. Revoking the family (reuse of a
 * spent refresh token, or `revokeFamily`) kills them all at once, as rotating-token servers do.
 */
interface Family {
  readonly clientId: string | undefined;
  readonly scope: string;
  revoked: boolean;
}

interface AccessRecord {
  /** null for client_credentials tokens, which belong to no login. */
  readonly family: Family | null;
  readonly expiresAt: number;
}

interface RefreshRecord {
  readonly family: Family;
  readonly expiresAt: number | null;
  spent: boolean;
}

interface CodeRecord {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly scope: string;
  readonly expiresAt: number;
  /** Set once redeemed: a second redemption revokes what the first one issued (RFC 6749 §4.1.2). */
  family: Family | null;
}

/** The JSON body of a successful token response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope: string;
}

/** Outcome of a grant: a token response, or the RFC 6749 error to answer. */
export type GrantResult =
  | { readonly ok: true; readonly body: TokenResponse }
  | {
      readonly ok: false;
      readonly error: 'invalid_grant' | 'invalid_scope';
      readonly description: string;
      /** True when a spent token or code was replayed and its family revoked. */
      readonly reuse?: boolean;
    };

/** What an access token presented on /v1/* is. */
export type AccessCheck = 'valid' | 'expired' | 'revoked' | 'unknown';

/** Default scope of a simulated login. */
export const DEFAULT_SCOPE = 'user:inference';

/** Authorization codes live this long (RFC 6749 recommends at most 10 minutes). */
const CODE_TTL_MS = 60_000;

function secret(prefix: string): string {
  return prefix + randomBytes(24).toString('base64url');
}

/** base64url(sha256(verifier)), the S256 code challenge of RFC 7636. */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

function scopeWithin(requested: string, granted: string): boolean {
  const allowed = new Set(granted.split(' '));
  return requested.split(' ').every((s) => s === '' || allowed.has(s));
}

/** Every token the OAuth side has issued, with single-use refresh rotation and family revocation. */
export class TokenStore {
  private readonly access = new Map<string, AccessRecord>();
  private readonly refreshTokens = new Map<string, RefreshRecord>();
  private readonly codes = new Map<string, CodeRecord>();

  /**
   * @param now clock in epoch ms
   * @param accessTtlSeconds lifetime of access tokens issued from now on (mutable)
   * @param refreshTtlSeconds lifetime of each refresh token, or undefined for none
   */
  constructor(
    private readonly now: () => number,
    public accessTtlSeconds: number,
    private readonly refreshTtlSeconds: number | undefined,
  ) {}

  /** Classifies an access token presented as a credential. */
  checkAccess(token: string): AccessCheck {
    const rec = this.access.get(token);
    if (rec === undefined) return 'unknown';
    if (rec.family?.revoked) return 'revoked';
    return this.now() < rec.expiresAt ? 'valid' : 'expired';
  }

  /** Starts a new family, as if a user logged in. */
  issueFamily(clientId: string | undefined, scope: string, accessTtlSeconds?: number): TokenResponse {
    const family: Family = { clientId, scope, revoked: false };
    return this.issue(family, scope, accessTtlSeconds ?? this.accessTtlSeconds);
  }

  /** An access token without refresh token or family (client_credentials). */
  issueStandalone(scope: string): TokenResponse {
    const token = secret('sim_at_');
    const ttl = this.accessTtlSeconds;
    this.access.set(token, { family: null, expiresAt: this.now() + ttl * 1000 });
    return { access_token: token, token_type: 'Bearer', expires_in: ttl, scope };
  }

  private issue(family: Family, scope: string, ttl: number): TokenResponse {
    const now = this.now();
    const accessToken = secret('sim_at_');
    const refreshToken = secret('sim_rt_');
    this.access.set(accessToken, { family, expiresAt: now + ttl * 1000 });
    const expiresAt = this.refreshTtlSeconds === undefined ? null : now + this.refreshTtlSeconds * 1000;
    this.refreshTokens.set(refreshToken, { family, expiresAt, spent: false });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ttl,
      refresh_token: refreshToken,
      scope,
    };
  }

  /** The refresh_token grant: strict single use; replaying a spent token revokes the family. */
  refresh(token: string, clientId: string | undefined, scope: string | undefined): GrantResult {
    const rec = this.refreshTokens.get(token);
    if (rec === undefined) return invalidGrant('refresh token not recognised');
    const family = rec.family;
    if (family.revoked) return invalidGrant('refresh token has been revoked');
    if (rec.spent) {
      family.revoked = true;
      return { ok: false, error: 'invalid_grant', description: 'refresh token already used', reuse: true };
    }
    if (rec.expiresAt !== null && this.now() >= rec.expiresAt) return invalidGrant('refresh token expired');
    if (family.clientId !== undefined && clientId !== family.clientId) {
      return invalidGrant('refresh token was issued to another client');
    }
    if (scope !== undefined && !scopeWithin(scope, family.scope)) {
      return { ok: false, error: 'invalid_scope', description: 'requested scope exceeds the granted scope' };
    }
    rec.spent = true;
    return { ok: true, body: this.issue(family, scope || family.scope, this.accessTtlSeconds) };
  }

  /** Revokes the family of a refresh token; returns false when the token is unknown. */
  revokeFamilyOf(refreshToken: string): boolean {
    const rec = this.refreshTokens.get(refreshToken);
    if (rec === undefined) return false;
    rec.family.revoked = true;
    return true;
  }

  /** Stores an authorization code for a PKCE S256 challenge and returns it. */
  createCode(clientId: string, redirectUri: string, challenge: string, scope: string): string {
    const code = secret('sim_code_');
    this.codes.set(code, {
      clientId,
      redirectUri,
      challenge,
      scope,
      expiresAt: this.now() + CODE_TTL_MS,
      family: null,
    });
    return code;
  }

  /** The authorization_code grant: single use, same client and redirect_uri, PKCE verified. */
  redeemCode(
    code: string,
    clientId: string | undefined,
    redirectUri: string | undefined,
    verifier: string | undefined,
  ): GrantResult {
    const rec = this.codes.get(code);
    if (rec === undefined) return invalidGrant('authorization code not recognised');
    if (rec.family !== null) {
      rec.family.revoked = true;
      return {
        ok: false,
        error: 'invalid_grant',
        description: 'authorization code already used',
        reuse: true,
      };
    }
    if (this.now() >= rec.expiresAt) return invalidGrant('authorization code expired');
    if (clientId !== rec.clientId) return invalidGrant('authorization code was issued to another client');
    if (redirectUri !== rec.redirectUri)
      return invalidGrant('redirect_uri does not match the authorization request');
    if (verifier === undefined || !VERIFIER.test(verifier) || s256(verifier) !== rec.challenge) {
      return invalidGrant('PKCE verification failed');
    }
    const family: Family = { clientId: rec.clientId, scope: rec.scope, revoked: false };
    rec.family = family;
    return { ok: true, body: this.issue(family, rec.scope, this.accessTtlSeconds) };
  }
}

function invalidGrant(description: string): GrantResult {
  return { ok: false, error: 'invalid_grant', description };
}
