import { zaloOaStoreOf, type UnreachableReminder } from '../../store/zaloOaStore.ts';
import type { Store } from '../../store/store.ts';
import { UNREACHABLE_LABELS, type UnreachableReason } from './reminderRouting.ts';
import { tokenStatus, type TokenStatus } from './tokens.ts';

/**
 * What the secretariat's dashboard (and `xhht zalo-oa status`) can show about the Zalo OA: whether
 * the OA is authorised, and the reminders that could not reach people ("cannot reach on Zalo").
 * Plain reads: no token, no user id.
 */

export interface ZaloOaOverview {
  tokens: TokenStatus;
  /** Reminders listed in the last `days` days. */
  cannotReach: number;
  days: number;
}

export function zaloOaOverview(store: Store, appId: string, now = new Date(), days = 30): ZaloOaOverview {
  const since = new Date(now.getTime() - days * 86_400_000).toISOString();
  return { tokens: tokenStatus(store, appId), cannotReach: zaloOaStoreOf(store).unreachableCountSince(since), days };
}

export interface CannotReachEntry extends UnreachableReminder {
  /** Why, in Vietnamese, for the dashboard. */
  reasonLabel: string;
}

/** Newest first: the unit, the deadline and step, the channel, and why it could not be sent. */
export function cannotReachOnZalo(store: Store, opts: { since?: Date; limit?: number } = {}): CannotReachEntry[] {
  const since = (opts.since ?? new Date(0)).toISOString();
  return zaloOaStoreOf(store)
    .unreachableSince(since, opts.limit ?? 500)
    .map((r) => ({ ...r, reasonLabel: UNREACHABLE_LABELS[r.reason as UnreachableReason] ?? r.reason }));
}
