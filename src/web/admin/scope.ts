import type { AdminContext } from './session.ts';

/**
 * What an account may see. The province secretariat sees everything; a commune officer sees only the
 * units of their commune (and what their focal points did). Citizens carry no commune yet, so
 * citizen data is province-only.
 */

export const isProvince = (ctx: AdminContext): boolean => ctx.account.role === 'province';

export function canSeeCommune(ctx: AdminContext, communeCode: string): boolean {
  return isProvince(ctx) || ctx.account.communeCode === communeCode;
}

/**
 * The commune a query is limited to: what was asked for, or the officer's own commune. `forbidden`
 * when an officer asks for another commune (403, never a silently narrowed answer).
 */
export function communeFilter(ctx: AdminContext, requested: string | undefined): { ok: true; commune: string | null } | { ok: false } {
  if (isProvince(ctx)) return { ok: true, commune: requested ?? null };
  if (requested !== undefined && requested !== ctx.account.communeCode) return { ok: false };
  return { ok: true, commune: ctx.account.communeCode };
}

/** For exports: undefined = the whole province. */
export function exportScope(ctx: AdminContext): { communeCodes?: string[] } {
  return isProvince(ctx) ? {} : { communeCodes: [ctx.account.communeCode ?? ''] };
}
