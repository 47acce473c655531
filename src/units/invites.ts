import { createHash, randomInt } from 'node:crypto';
import type { Store } from '../store/store.ts';

/** Invite codes: 8 characters from an alphabet without look-alikes (0/O, 1/I/L), shown as ABCD-EFGH. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const DEFAULT_INVITE_DAYS = 14;

export function newInviteCode(): string {
  let code = '';
  for (let i = 0; i < 8; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** Codes are stored hashed: a leaked database does not leak usable codes. */
export function hashInviteCode(code: string): string {
  const canonical = code.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return createHash('sha256').update(`xhht-invite:${canonical}`).digest('hex');
}

export function looksLikeInviteCode(text: string): boolean {
  return /^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$/.test(text.trim());
}

export function createInvite(store: Store, unitId: string, now: Date, days = DEFAULT_INVITE_DAYS): { code: string; expiresAt: string } {
  if (!store.units.unit(unitId)) throw new Error(`unknown unit "${unitId}"`);
  const code = newInviteCode();
  const expiresAt = new Date(now.getTime() + days * 86_400_000).toISOString();
  store.units.addInvite(hashInviteCode(code), unitId, now.toISOString(), expiresAt);
  return { code, expiresAt };
}

export type RedeemResult =
  | { ok: true; unitId: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'used' };

/** Checks and consumes a code inside the caller's transaction. */
export function redeemInvite(store: Store, code: string, personId: number, now: Date): RedeemResult {
  const hash = hashInviteCode(code);
  const invite = store.units.invite(hash);
  if (!invite) return { ok: false, reason: 'unknown' };
  if (invite.used_at) return { ok: false, reason: 'used' };
  if (invite.expires_at <= now.toISOString()) return { ok: false, reason: 'expired' };
  if (!store.units.useInvite(hash, personId, now.toISOString())) return { ok: false, reason: 'used' };
  return { ok: true, unitId: invite.unit_id };
}
