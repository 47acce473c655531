/**
 * Typed failures of the Zalo OA channel. Messages carry the endpoint name, a code and Zalo's short
 * description only: never a token, a URL with parameters, or a user id.
 */

export type ZaloOaErrorKind =
  /** Zalo answered with `error` ≠ 0 (negative codes): `code` holds it. */
  | 'api'
  /** A non-2xx answer without Zalo's envelope (proxy page, 429, 5xx). */
  | 'http'
  | 'network'
  | 'timeout'
  | 'aborted'
  /** 2xx with something that is not the documented envelope. */
  | 'invalid_response';

export class ZaloOaError extends Error {
  override readonly name = 'ZaloOaError';
  constructor(
    /** "message/cs", "message/template", "oauth" … */
    readonly endpoint: string,
    readonly kind: ZaloOaErrorKind,
    readonly code: number | undefined,
    readonly description: string,
    readonly httpStatus?: number,
  ) {
    super(`zalo oa ${endpoint}: ${code !== undefined ? `${code} ` : ''}${description}`);
  }

  /** -216: the access token is invalid or expired. */
  get isTokenInvalid(): boolean {
    return this.kind === 'api' && this.code === -216;
  }

  /** -230: the person has not interacted with the OA in the last 7 days. */
  get isOutsideWindow(): boolean {
    return this.kind === 'api' && this.code === -230;
  }

  /** -213: reported for people who do not follow the OA (third-party docs; unverified). */
  get isNotFollower(): boolean {
    return this.kind === 'api' && this.code === -213;
  }

  /** Worth trying again later: no answer, a 429 or a server error. */
  get isTransient(): boolean {
    if (this.kind === 'network' || this.kind === 'timeout' || this.kind === 'invalid_response') return true;
    return this.kind === 'http' && (this.httpStatus === 429 || (this.httpStatus ?? 0) >= 500);
  }
}

export type TokenProblem =
  /** No token was ever stored: run `xhht zalo-oa authorize`. */
  | 'not_authorised'
  /** Zalo refused the refresh token (expired after ~3 months, revoked, or already used). */
  | 'reauthorization_required'
  /** The refresh could not reach Zalo; the stored refresh token is still good. */
  | 'refresh_unavailable';

/** No usable access token. `problem` says whether an operator must act. */
export class ZaloOaTokenError extends Error {
  override readonly name = 'ZaloOaTokenError';
  constructor(
    readonly problem: TokenProblem,
    detail: string,
  ) {
    super(`zalo oa token: ${problem} (${detail})`);
  }

  get needsOperator(): boolean {
    return this.problem !== 'refresh_unavailable';
  }
}

/** Safe to log and to store in outbox.last_error. */
export function describeOaError(err: unknown): string {
  if (err instanceof ZaloOaError || err instanceof ZaloOaTokenError) return err.message.slice(0, 300);
  return err instanceof Error ? `unexpected ${err.name}` : 'unexpected error';
}
