import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ZaloOaError } from './errors.ts';
import { fetchText } from './http.ts';

/**
 * OAuth v4 for Official Accounts: the permission URL with PKCE (S256), and the token endpoint
 * (`POST {oauthRoot}/v4/oa/access_token`, form-encoded, app secret in the `secret_key` header) for
 * the first code exchange and every refresh. Each refresh returns a new refresh token and the old
 * one stops working, so the caller must persist the answer before using it.
 */

export interface PkcePair {
  codeVerifier: string;
  codeChallenge: string;
  state: string;
}

/** RFC 7636: a 43-character verifier from 32 random bytes, challenge = BASE64URL(SHA-256(verifier)). */
export function createPkce(): PkcePair {
  const codeVerifier = randomBytes(32).toString('base64url');
  return { codeVerifier, codeChallenge: pkceChallenge(codeVerifier), state: randomBytes(16).toString('base64url') };
}

export function pkceChallenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier).digest('base64url');
}

export function permissionUrl(p: { oauthRoot: string; appId: string; redirectUri: string; codeChallenge: string; state: string }): string {
  const q = new URLSearchParams({ app_id: p.appId, redirect_uri: p.redirectUri, code_challenge: p.codeChallenge, state: p.state });
  return `${p.oauthRoot.replace(/\/+$/, '')}/v4/oa/permission?${q.toString()}`;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds; Zalo sends it as a string ("90000", about 25 h). */
  expiresInSec: number;
}

const tokenSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.union([z.string().regex(/^\d+$/), z.number().int()]).transform(Number).pipe(z.number().int().positive()),
});

const errorSchema = z.looseObject({
  error: z.coerce.number().int().optional(),
  error_name: z.string().optional(),
  error_description: z.string().optional(),
});

export interface OAuthOptions {
  oauthRoot: string;
  appId: string;
  appSecret: string;
  timeoutMs?: number;
}

export class ZaloOAuth {
  constructor(private readonly opts: OAuthOptions) {}

  exchangeCode(p: { code: string; codeVerifier: string }): Promise<IssuedTokens> {
    return this.request({ code: p.code, app_id: this.opts.appId, grant_type: 'authorization_code', code_verifier: p.codeVerifier }, [p.code, p.codeVerifier]);
  }

  refresh(refreshToken: string): Promise<IssuedTokens> {
    return this.request({ refresh_token: refreshToken, app_id: this.opts.appId, grant_type: 'refresh_token' }, [refreshToken]);
  }

  /** Any JSON answer without tokens is Zalo's refusal (kind 'api'); no answer or a 5xx is transient. */
  private async request(form: Record<string, string>, secrets: string[]): Promise<IssuedTokens> {
    const endpoint = 'oauth';
    const { status, text } = await fetchText(endpoint, `${this.opts.oauthRoot.replace(/\/+$/, '')}/v4/oa/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', secret_key: this.opts.appSecret, accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      timeoutMs: this.opts.timeoutMs ?? 15_000,
    });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ZaloOaError(endpoint, status >= 200 && status < 300 ? 'invalid_response' : 'http', undefined, `HTTP ${status}, not JSON`, status);
    }
    const ok = tokenSchema.safeParse(json);
    if (ok.success && status >= 200 && status < 300) {
      return { accessToken: ok.data.access_token, refreshToken: ok.data.refresh_token, expiresInSec: ok.data.expires_in };
    }
    if (status >= 500 || status === 429) throw new ZaloOaError(endpoint, 'http', undefined, `HTTP ${status}`, status);
    const err = errorSchema.safeParse(json);
    const e = err.success ? err.data : {};
    const description = scrub(e.error_name ?? e.error_description ?? 'no tokens in the answer', [...secrets, this.opts.appSecret]);
    throw new ZaloOaError(endpoint, 'api', e.error ?? status, description, status);
  }
}

function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[secret]');
  return out.slice(0, 200);
}
