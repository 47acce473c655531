import type { Logger } from '../../log.ts';
import { zaloOaStoreOf } from '../../store/zaloOaStore.ts';
import type { Store } from '../../store/store.ts';
import { describeOaError, ZaloOaError, ZaloOaTokenError } from './errors.ts';
import { CHANNEL } from './normalise.ts';
import type { IssuedTokens, ZaloOAuth } from './oauth.ts';

/**
 * The OA's access token (about 25 h) and its single-use, rotating refresh token, kept in SQLite and
 * read from there on every use, so a CLI authorisation or another process's refresh is seen at once.
 * Refreshes happen ahead of expiry and after a -216, one at a time: concurrent callers await the
 * refresh under way instead of spending the refresh token twice (the second use would kill it).
 * When Zalo refuses the refresh token, the OA must be authorised again: that is logged as an error,
 * kept in the database (dead_at) and shown by status() (health check, dashboard). Tokens are never
 * logged.
 */

const DAY = 86_400_000;
/** Refresh tokens are reported to last 3 months (third-party guide; unverified). */
const REFRESH_TOKEN_DAYS = 90;
export const REAUTHORIZE_HINT = 'run `npx xhht zalo-oa authorize` to authorise the OA again';

export interface TokenStatus {
  state: 'ok' | 'not_authorised' | 'reauthorization_required';
  accessExpiresAt?: string;
  refreshedAt?: string;
  deadSince?: string;
  /** Zalo's code and short reason for refusing the refresh token. */
  reason?: string;
  /** The last refresh that could not reach Zalo (the token is still good). */
  lastRefreshProblem?: string;
  action?: string;
}

export interface TokenManagerOptions {
  store: Store;
  oauth: Pick<ZaloOAuth, 'refresh'>;
  appId: string;
  logger: Logger;
  now?: () => Date;
  /** Refresh when the access token expires within this (default 15 minutes). */
  refreshAheadMs?: number;
}

export class OaTokenManager {
  private refreshing: Promise<string> | undefined;
  private lastRefreshProblem: string | undefined;

  constructor(private readonly opts: TokenManagerOptions) {}

  /** A usable access token: the stored one, refreshed first when it is about to expire. */
  async accessToken(): Promise<string> {
    const row = this.row();
    if (!row) throw new ZaloOaTokenError('not_authorised', 'no token stored');
    if (row.dead_at) throw new ZaloOaTokenError('reauthorization_required', row.dead_reason ?? 'refresh token refused');
    const expiresAt = Date.parse(row.access_expires_at);
    const now = this.now().getTime();
    if (expiresAt - now > (this.opts.refreshAheadMs ?? 15 * 60_000)) return row.access_token;
    try {
      return await this.refresh();
    } catch (err) {
      // Zalo unreachable for a moment: the current token still works until it really expires.
      if (err instanceof ZaloOaTokenError && err.problem === 'refresh_unavailable' && expiresAt > now) return row.access_token;
      throw err;
    }
  }

  /**
   * After Zalo answered -216 to `rejected`: a new token. Callers that saw the same rejection share
   * one refresh; a caller whose token was already replaced gets the new one without refreshing.
   */
  async renewAfterRejection(rejected: string): Promise<string> {
    const row = this.row();
    if (row && !row.dead_at && row.access_token !== rejected) return row.access_token;
    return this.refresh();
  }

  /** Keeps the refresh token alive while nothing is sent (each refresh rotates it). Never throws. */
  async keepFresh(): Promise<void> {
    const row = this.row();
    if (!row || row.dead_at) return;
    try {
      await this.accessToken();
    } catch {
      // already logged by refresh()
    }
  }

  /** Stores tokens from the first code exchange (CLI) or a refresh. */
  save(issued: IssuedTokens): void {
    const now = this.now();
    zaloOaStoreOf(this.opts.store).saveTokens(
      {
        appId: this.opts.appId,
        accessToken: issued.accessToken,
        accessExpiresAt: new Date(now.getTime() + issued.expiresInSec * 1000).toISOString(),
        refreshToken: issued.refreshToken,
        refreshExpiresAt: new Date(now.getTime() + REFRESH_TOKEN_DAYS * DAY).toISOString(),
      },
      now.toISOString(),
    );
    this.lastRefreshProblem = undefined;
  }

  status(): TokenStatus {
    return tokenStatus(this.opts.store, this.opts.appId, this.lastRefreshProblem);
  }

  private refresh(): Promise<string> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<string> {
    const { logger, appId } = this.opts;
    const row = this.row();
    if (!row) throw new ZaloOaTokenError('not_authorised', 'no token stored');
    if (row.dead_at) throw new ZaloOaTokenError('reauthorization_required', row.dead_reason ?? 'refresh token refused');
    let issued: IssuedTokens;
    try {
      issued = await this.opts.oauth.refresh(row.refresh_token);
    } catch (err) {
      if (err instanceof ZaloOaError && err.kind === 'api') {
        // Another process may have rotated the pair meanwhile: then ours was stale, not dead.
        const latest = this.row();
        if (latest && !latest.dead_at && latest.refresh_token !== row.refresh_token) return latest.access_token;
        const reason = `${err.code ?? '?'} ${err.description}`;
        zaloOaStoreOf(this.opts.store).markTokensDead(appId, row.refresh_token, reason, this.now().toISOString());
        logger.error(
          { channel: CHANNEL, code: err.code, reason: err.description, action: REAUTHORIZE_HINT },
          'Zalo refused the OA refresh token: nothing can be sent on the Zalo OA until it is authorised again',
        );
        throw new ZaloOaTokenError('reauthorization_required', reason);
      }
      this.lastRefreshProblem = describeOaError(err);
      logger.warn({ channel: CHANNEL, error: this.lastRefreshProblem }, 'zalo oa token refresh failed; will try again');
      throw new ZaloOaTokenError('refresh_unavailable', this.lastRefreshProblem);
    }
    // Persisted before use: the old refresh token is already spent.
    this.save(issued);
    logger.info({ channel: CHANNEL, expiresInSec: issued.expiresInSec }, 'zalo oa access token refreshed');
    return issued.accessToken;
  }

  private row() {
    return zaloOaStoreOf(this.opts.store).tokens(this.opts.appId);
  }

  private now(): Date {
    return this.opts.now ? this.opts.now() : new Date();
  }
}

/** The token state for /healthz and the dashboard: dates and reasons only, never a token. */
export function tokenStatus(store: Store, appId: string, lastRefreshProblem?: string): TokenStatus {
  const row = zaloOaStoreOf(store).tokens(appId);
  if (!row) return { state: 'not_authorised', action: 'run `npx xhht zalo-oa authorize` to authorise the OA' };
  if (row.dead_at) {
    return {
      state: 'reauthorization_required',
      deadSince: row.dead_at,
      ...(row.dead_reason ? { reason: row.dead_reason } : {}),
      action: REAUTHORIZE_HINT,
    };
  }
  return {
    state: 'ok',
    accessExpiresAt: row.access_expires_at,
    refreshedAt: row.updated_at,
    ...(lastRefreshProblem ? { lastRefreshProblem } : {}),
  };
}
