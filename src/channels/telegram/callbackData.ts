import { createHash } from 'node:crypto';

/**
 * Inline-button callback data. Telegram allows 1–64 bytes, and every tap must carry the prompt it
 * belongs to (its scope), so the engine can reject a tap on an old question ("stale button").
 *
 *   c|<scope>|<choiceId>   when it fits in 64 bytes (the usual case: ids are short)
 *   h|<token>              otherwise; token = hash of (scope, choiceId), looked up in the store
 *
 * The token is derived from the content, so saving it twice is harmless and the lookup table only
 * ever holds one row per distinct (scope, choice) pair of the flows.
 */

export const MAX_CALLBACK_BYTES = 64;

/** A scope the engine never uses: an unreadable tap becomes a "stale button" for it. */
export const UNKNOWN_SCOPE = '?';

export interface CallbackTarget {
  /** undefined when the output carried no scope. */
  scope: string | undefined;
  choiceId: string;
}

export type EncodedCallback = { data: string; token?: undefined } | { data: string; token: { token: string; scope: string; choiceId: string } };

export function encodeCallbackData(scope: string | undefined, choiceId: string): EncodedCallback {
  const s = scope ?? '';
  const direct = `c|${s}|${choiceId}`;
  if (!s.includes('|') && Buffer.byteLength(direct, 'utf8') <= MAX_CALLBACK_BYTES) return { data: direct };
  const token = callbackToken(s, choiceId);
  return { data: `h|${token}`, token: { token, scope: s, choiceId } };
}

export function callbackToken(scope: string, choiceId: string): string {
  // 16 base64url characters = 96 bits: no collision among the few thousand pairs a flow set has.
  return createHash('sha256').update(scope).update('\u0000').update(choiceId).digest('base64url').slice(0, 16);
}

/** Reads callback data back; undefined when it is not ours or the token is unknown. */
export function decodeCallbackData(
  data: string,
  lookup: (token: string) => { scope: string; choiceId: string } | undefined,
): CallbackTarget | undefined {
  if (data.startsWith('c|')) {
    const rest = data.slice(2);
    const bar = rest.indexOf('|');
    if (bar < 0) return undefined;
    const scope = rest.slice(0, bar);
    const choiceId = rest.slice(bar + 1);
    if (choiceId === '') return undefined;
    return { scope: scope === '' ? undefined : scope, choiceId };
  }
  if (data.startsWith('h|')) {
    const found = lookup(data.slice(2));
    if (!found) return undefined;
    return { scope: found.scope === '' ? undefined : found.scope, choiceId: found.choiceId };
  }
  return undefined;
}
